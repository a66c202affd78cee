import { useState, type FormEvent } from 'react';
import type { PendingToolCall } from '../api/types';
import type { ToolStep } from '../state/runReducer';

const statusLabels: Record<string, string> = {
  running: 'Running',
  awaiting_approval: 'Waiting for approval',
  completed: 'Done',
  failed: 'Failed',
  denied: 'Denied',
  cancelled: 'Cancelled',
  timed_out: 'Timed out',
  no_result: 'No result',
};

export function statusLabel(status: string): string {
  return statusLabels[status] ?? status.replaceAll('_', ' ');
}

function prettyJson(text: string): string {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // the model may produce malformed JSON: show it as it is
  }
}

function summary(text: string | undefined, max = 120): string {
  if (!text) return '';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const MAX_RESULT_CHARS = 20_000;

interface Props {
  step: ToolStep;
  pending?: PendingToolCall | undefined;
  submitted?: boolean;
  onApprove?: (toolCallId: string) => void;
  onDeny?: (toolCallId: string, reason?: string) => void;
}

/** A tool call inline in the conversation, collapsible; with Approve/Deny while it waits for approval. */
export function ToolStepView({ step, pending, submitted = false, onApprove, onDeny }: Props) {
  const failed = step.isError || step.status === 'failed';
  const args = prettyJson(step.arguments);
  const result = step.result && step.result.length > MAX_RESULT_CHARS ? `${step.result.slice(0, MAX_RESULT_CHARS)}\n…` : step.result;
  return (
    <article
      className={`msg msg-tool${failed ? ' is-error' : ''}`}
      data-role="tool"
      data-status={step.status}
      data-tool-call-id={step.toolCallId}
      aria-label={`Tool ${step.name}: ${statusLabel(step.status)}`}
    >
      <details open={pending !== undefined}>
        <summary>
          <span className={`tool-dot status-${failed ? 'failed' : step.status}`} aria-hidden="true" />
          <span className="tool-name">{step.name || 'tool'}</span>
          <span className="tool-status" data-testid="tool-status">
            {statusLabel(step.status)}
          </span>
          {step.durationMs !== undefined && <span className="tool-duration">{formatDuration(step.durationMs)}</span>}
          {step.result && <span className="tool-summary">{summary(step.result)}</span>}
        </summary>
        <div className="tool-body">
          {args && (
            <>
              <h4>Arguments</h4>
              <pre>
                <code>{args}</code>
              </pre>
            </>
          )}
          {result !== undefined && (
            <>
              <h4>{failed ? 'Error' : 'Result'}</h4>
              <pre>
                <code>{result}</code>
              </pre>
            </>
          )}
        </div>
      </details>
      {pending && onApprove && onDeny && (
        <ApprovalCard pending={pending} submitted={submitted} onApprove={onApprove} onDeny={onDeny} />
      )}
    </article>
  );
}

function ApprovalCard({
  pending,
  submitted,
  onApprove,
  onDeny,
}: {
  pending: PendingToolCall;
  submitted: boolean;
  onApprove: (toolCallId: string) => void;
  onDeny: (toolCallId: string, reason?: string) => void;
}) {
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const reasonId = `deny-reason-${pending.toolCallId}`;
  const expires = pending.expiresAt ? new Date(pending.expiresAt) : undefined;

  function submitDeny(e: FormEvent) {
    e.preventDefault();
    onDeny(pending.toolCallId, reason.trim() || undefined);
  }

  return (
    <div className="approval" role="group" aria-label={`Approval for ${pending.name}`} data-testid="approval">
      <p>
        The agent wants to run <strong>{pending.name}</strong>.{pending.reason && <> {pending.reason}</>}
      </p>
      {expires && !Number.isNaN(expires.getTime()) && (
        <p className="muted">Decide before {expires.toLocaleTimeString()}.</p>
      )}
      {submitted ? (
        <p className="muted" role="status">
          Sending your decision…
        </p>
      ) : denying ? (
        <form onSubmit={submitDeny} className="deny-form">
          <label htmlFor={reasonId}>Reason (optional)</label>
          <textarea id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} rows={2} autoFocus />
          <div className="row">
            <button type="submit" className="danger">
              Confirm deny
            </button>
            <button type="button" onClick={() => setDenying(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="row">
          <button type="button" className="primary" onClick={() => onApprove(pending.toolCallId)}>
            Approve
          </button>
          <button type="button" onClick={() => setDenying(true)}>
            Deny
          </button>
        </div>
      )}
    </div>
  );
}
