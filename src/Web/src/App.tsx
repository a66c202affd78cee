import { useEffect, useMemo, useState } from 'react';
import type { User } from 'oidc-client-ts';
import { ApiClient } from './api/client';
import type { Me } from './api/types';
import { nameFromIdToken, rolesFromIdToken, type Auth } from './auth';
import type { AppConfig } from './config';
import { AdminPage } from './admin/AdminPage';
import { ChatPage } from './components/ChatPage';
import { ErrorNotice } from './components/ErrorNotice';
import { Header } from './components/Header';
import { OfflineBanner } from './components/OfflineBanner';
import { SignInScreen } from './components/SignInScreen';
import { UsageView } from './components/UsageView';
import { connectivity } from './lib/online';
import { parseRoute, usePathname } from './lib/router';
import { useTheme } from './lib/theme';

const ADMIN_ROLE = 'Agents.Admin';

interface Props {
  config: AppConfig;
  auth: Auth;
  initialUser: User | null;
  initialError: unknown;
}

export function App({ config, auth, initialUser, initialError }: Props) {
  const [user, setUser] = useState<User | null>(initialUser);
  const [sessionEnded, setSessionEnded] = useState(false);
  const theme = useTheme();

  useEffect(
    () =>
      auth.onUserChanged((next) => {
        setUser(next);
        if (!next) setSessionEnded(true);
      }),
    [auth],
  );

  // An expired token without a refresh token cannot be renewed silently here: sign in again.
  const usable = user !== null && !(user.expired && !user.refresh_token);
  if (!usable) {
    return <SignInScreen onSignIn={() => auth.signIn()} error={initialError} sessionEnded={sessionEnded} theme={theme} />;
  }
  return <SignedInApp key={user.profile.sub} config={config} auth={auth} user={user} theme={theme} />;
}

function SignedInApp({
  config,
  auth,
  user,
  theme,
}: {
  config: AppConfig;
  auth: Auth;
  user: User;
  theme: ReturnType<typeof useTheme>;
}) {
  const api = useMemo(
    () =>
      new ApiClient({
        baseUrl: config.apiBaseUrl,
        getAccessToken: (options) => auth.getAccessToken(options),
        onConnectivity: (reachable) => connectivity.report(reachable),
      }),
    [config, auth],
  );
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<unknown>(null);
  const [meSettled, setMeSettled] = useState(false);
  const route = parseRoute(usePathname());

  useEffect(() => {
    const controller = new AbortController();
    api
      .me(controller.signal)
      .then(setMe, (err: unknown) => {
        if (!controller.signal.aborted) setMeError(err);
      })
      .finally(() => {
        if (!controller.signal.aborted) setMeSettled(true);
      });
    return () => controller.abort();
  }, [api]);

  const displayName = me?.displayName || nameFromIdToken(user) || 'Signed in';
  const roles = me?.roles ?? rolesFromIdToken(user);
  const isAdmin = roles.includes(ADMIN_ROLE);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} displayName={displayName} isAdmin={isAdmin} theme={theme} onSignOut={() => void auth.signOut()} />
      <OfflineBanner />
      {meError ? <ErrorNotice error={meError} onDismiss={() => setMeError(null)} /> : null}
      <main id="main" className="app-main">
        {route.name === 'chat' && <ChatPage api={api} threadId={route.threadId} />}
        {route.name === 'usage' && <UsageView api={api} />}
        {route.name === 'admin' && <AdminPage api={api} allowed={isAdmin} rolesKnown={meSettled || isAdmin} />}
      </main>
    </div>
  );
}
