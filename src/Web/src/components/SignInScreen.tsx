import { useState } from 'react';
import { ThemeToggle } from './Header';
import { ErrorNotice } from './ErrorNotice';
import type { ThemeChoice } from '../lib/theme';

interface Props {
  onSignIn: () => Promise<void>;
  error: unknown;
  sessionEnded: boolean;
  theme: { choice: ThemeChoice; cycle: () => void };
}

export function SignInScreen({ onSignIn, error, sessionEnded, theme }: Props) {
  const [redirecting, setRedirecting] = useState(false);
  const [signInError, setSignInError] = useState<unknown>(null);
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <h1>Agents</h1>
        <p>Chat with your agents, watch their tools work, and approve what needs approval.</p>
        {sessionEnded && (
          <p role="status" className="notice">
            Your session has ended. Sign in again to continue.
          </p>
        )}
        {error ? <ErrorNotice error={error} /> : null}
        {signInError ? <ErrorNotice error={signInError} /> : null}
        <button
          type="button"
          className="primary large"
          disabled={redirecting}
          onClick={() => {
            setRedirecting(true);
            onSignIn().catch((err: unknown) => {
              setSignInError(err);
              setRedirecting(false);
            });
          }}
        >
          Sign in
        </button>
        <ThemeToggle theme={theme} />
      </div>
    </main>
  );
}
