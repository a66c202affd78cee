import { useOnline } from '../lib/online';

export function OfflineBanner() {
  const online = useOnline();
  if (online) return null;
  return (
    <div className="banner banner-offline" role="status" data-testid="offline-banner">
      You are offline or the server cannot be reached. Requests are retried when the connection returns.
    </div>
  );
}
