import { describeError } from '../api/problem';

/** Shown when the app cannot start at all (e.g. /config.json missing or invalid). */
export function StartupError({ error }: { error: unknown }) {
  const view = describeError(error);
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card" role="alert" data-testid="startup-error">
        <h1>The app could not start</h1>
        <p>{view.title}</p>
        {view.detail && <p>{view.detail}</p>}
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    </main>
  );
}
