import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createAuth } from './auth';
import { StartupError } from './components/StartupError';
import { loadConfig } from './config';
import './styles.css';

async function start(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    const config = await loadConfig();
    const auth = createAuth(config);
    let signInError: unknown = null;
    const callback = await auth.handleCallback().catch((err: unknown) => {
      signInError = err; // e.g. access_denied from the provider: shown on the sign-in screen
      return 'none' as const;
    });
    if (callback === 'silent-frame') return; // a hidden renewal iframe: nothing to render
    const user = await auth.getUser();
    root.render(
      <StrictMode>
        <App config={config} auth={auth} initialUser={user} initialError={signInError} />
      </StrictMode>,
    );
  } catch (err) {
    root.render(<StartupError error={err} />);
  }
}

void start();
