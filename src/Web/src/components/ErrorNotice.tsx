import { describeError } from '../api/problem';

interface Props {
  error: unknown;
  /** Shown as a button when the failure may go away by trying again. */
  onRetry?: (() => void) | undefined;
  onDismiss?: (() => void) | undefined;
  retryLabel?: string;
}

/** A ProblemDetails (or any error) shown readably: title, detail, code, trace id, field errors. */
export function ErrorNotice({ error, onRetry, onDismiss, retryLabel = 'Retry' }: Props) {
  const view = describeError(error);
  return (
    <div className="notice notice-error" role="alert" data-testid="error" data-code={view.code}>
      <div className="notice-body">
        <strong className="notice-title">{view.title}</strong>
        {view.detail && <p className="notice-detail">{view.detail}</p>}
        {view.fieldErrors.length > 0 && (
          <ul className="notice-fields">
            {view.fieldErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        )}
        {(view.code || view.traceId) && (
          <p className="notice-meta">
            {view.code && (
              <>
                Code <code>{view.code}</code>
              </>
            )}
            {view.code && view.traceId && ' · '}
            {view.traceId && (
              <>
                Trace <code>{view.traceId}</code>
              </>
            )}
          </p>
        )}
      </div>
      <div className="notice-actions">
        {onRetry && (
          <button type="button" onClick={onRetry}>
            {retryLabel}
          </button>
        )}
        {onDismiss && (
          <button type="button" className="ghost" onClick={onDismiss} aria-label="Dismiss error">
            ×
          </button>
        )}
      </div>
    </div>
  );
}
