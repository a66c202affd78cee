import { useId, useRef, useState, type FormEvent } from 'react';
import type { AdminApi } from '../api/admin';
import type { Agent, PolicyTestResult } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { buildChain, hasErrors } from './chainDraft';
import { buildTestSample, emptyTryIt, type Surface, type TryItForm } from './tryIt';
import type { PolicyChainState } from './usePolicyChain';

const surfaces: { value: Surface; label: string }[] = [
  { value: 'openai', label: 'Gateway (OpenAI)' },
  { value: 'anthropic', label: 'Gateway (Anthropic)' },
  { value: 'run', label: 'Agent run' },
];

function actionClass(action: string | null | undefined): string {
  return `action action-${action ?? 'none'}`;
}

/** A sample (user message, response text, tool call) through the chain or one policy; shows each decision and why. */
export function TryItPanel({ admin, state, agents }: { admin: AdminApi; state: PolicyChainState; agents: Agent[] }) {
  const [form, setForm] = useState<TryItForm>(emptyTryIt);
  const [useDraft, setUseDraft] = useState(true);
  const [result, setResult] = useState<PolicyTestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const id = useId();
  const set = (change: Partial<TryItForm>) => setForm((f) => ({ ...f, ...change }));

  const chainIds = state.draft.map((e) => e.id);
  const otherPolicies = state.policies.map((p) => p.name).filter((n) => !chainIds.includes(n));
  const withDraft = state.dirty && useDraft;
  // An entry removed or renamed since it was picked: back to the whole chain.
  const target = chainIds.includes(form.target) || otherPolicies.includes(form.target) ? form.target : '';

  async function run(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    setError(null);
    let chain;
    if (withDraft) {
      const built = buildChain(state.draft, state.policies);
      if (hasErrors(built.errors)) {
        setFormError('The edited chain has problems (see Policies). Fix them, or test the saved chain instead.');
        return;
      }
      chain = built.chain;
    }
    const { sample, error: missing } = buildTestSample({ ...form, target }, chain);
    if (!sample) {
      setFormError(missing ?? 'Nothing to test.');
      return;
    }
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setRunning(true);
    try {
      setResult(await admin.testPolicies(sample, c.signal));
    } catch (err) {
      if (!c.signal.aborted) {
        setResult(null);
        setError(err);
      }
    } finally {
      if (controller.current === c) setRunning(false);
    }
  }

  return (
    <div className="try-it">
      <p className="hint try-intro">
        Runs a sample through the policies without sending anything upstream (only the judge asks its model). Test
        decisions do not appear in the activity stream.
      </p>
      <form className="try-form" onSubmit={(e) => void run(e)} noValidate aria-describedby={formError ? `${id}-form-error` : undefined}>
        <div className="try-grid">
          <div className="field">
            <label htmlFor={`${id}-target`}>Test</label>
            <select id={`${id}-target`} value={target} onChange={(e) => set({ target: e.target.value })}>
              <option value="">The whole chain</option>
              {chainIds.length > 0 && (
                <optgroup label="Only this entry">
                  {chainIds.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </optgroup>
              )}
              {otherPolicies.length > 0 && (
                <optgroup label="A policy not in the chain">
                  {otherPolicies.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-surface`}>Surface</label>
            <select
              id={`${id}-surface`}
              value={form.surface}
              aria-describedby={`${id}-surface-hint`}
              onChange={(e) => set({ surface: e.target.value as Surface })}
            >
              {surfaces.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-surface-hint`}>
              Only an agent run can park a tool call for approval.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-agent`}>Agent (optional)</label>
            <select id={`${id}-agent`} value={form.agentId} onChange={(e) => set({ agentId: e.target.value })}>
              <option value="">None</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name || a.id}
                </option>
              ))}
            </select>
          </div>
        </div>
        {state.dirty && (
          <label className="checkbox-line">
            <input type="checkbox" checked={useDraft} onChange={(e) => setUseDraft(e.target.checked)} />
            Test my unsaved changes to the chain
          </label>
        )}
        <div className="field">
          <label htmlFor={`${id}-message`}>User message</label>
          <textarea id={`${id}-message`} rows={3} value={form.message} onChange={(e) => set({ message: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-response`}>Model response (optional)</label>
          <textarea id={`${id}-response`} rows={2} value={form.response} onChange={(e) => set({ response: e.target.value })} />
        </div>
        <div className="try-grid">
          <div className="field">
            <label htmlFor={`${id}-tool`}>Tool name</label>
            <input
              id={`${id}-tool`}
              type="text"
              value={form.toolName}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. delete_files"
              onChange={(e) => set({ toolName: e.target.value })}
            />
          </div>
          <div className="field field-wide">
            <label htmlFor={`${id}-args`}>Tool arguments (JSON)</label>
            <textarea
              id={`${id}-args`}
              className="mono"
              rows={2}
              value={form.toolArguments}
              spellCheck={false}
              placeholder='{"path": "/"}'
              onChange={(e) => set({ toolArguments: e.target.value })}
            />
          </div>
        </div>
        {formError && (
          <p className="field-error" id={`${id}-form-error`} role="alert">
            {formError}
          </p>
        )}
        <div className="row">
          <button type="submit" className="primary" disabled={running}>
            {running ? 'Testing…' : 'Run test'}
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => {
              setForm(emptyTryIt);
              setResult(null);
              setError(null);
              setFormError(null);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
      <div aria-live="polite">{result && <TestResult result={result} />}</div>
    </div>
  );
}

function TestResult({ result }: { result: PolicyTestResult }) {
  return (
    <section className="test-result" aria-label="Test result" data-testid="test-result">
      <h3>Result</h3>
      <dl className="outcome">
        <div>
          <dt>Request</dt>
          <dd>
            <span className={actionClass(result.request)} data-testid="outcome-request">
              {result.request}
            </span>
          </dd>
        </div>
        {result.response && (
          <div>
            <dt>Response</dt>
            <dd>
              <span className={actionClass(result.response)} data-testid="outcome-response">
                {result.response}
              </span>
            </dd>
          </div>
        )}
        {result.toolCalls.map((call, i) => (
          <div key={i}>
            <dt>
              Tool call <code>{call.name}</code>
            </dt>
            <dd>
              <span className={actionClass(call.action)} data-testid="outcome-tool-call">
                {call.action.replace('_', ' ')}
              </span>
              {call.policy && <> by {call.policy}</>}
              {call.reason && <span className="reason"> — {call.reason}</span>}
            </dd>
          </div>
        ))}
      </dl>
      {result.modifiedRequest && (
        <details>
          <summary>Request after the policies</summary>
          <pre className="json">{JSON.stringify(result.modifiedRequest, null, 2)}</pre>
        </details>
      )}
      {result.response && result.response !== 'block' && typeof result.responseText === 'string' && (
        <details open={result.response === 'modify'}>
          <summary>Response text after the policies</summary>
          <pre className="json">{result.responseText}</pre>
        </details>
      )}
      <h4>Decisions</h4>
      {result.decisions.length === 0 ? (
        <p className="muted">No policy had anything to say: everything passed.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" data-testid="test-decisions">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Stage</th>
                <th scope="col">Decision</th>
                <th scope="col">Score</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {result.decisions.map((d, i) => (
                <tr key={d.id || i} data-policy={d.policy}>
                  <th scope="row">{d.policy}</th>
                  <td>
                    {d.stage?.replace('_', ' ')}
                    {d.tool && (
                      <>
                        {' '}
                        <code>{d.tool}</code>
                      </>
                    )}
                  </td>
                  <td>
                    <span className={actionClass(d.action)}>{d.action?.replace('_', ' ')}</span>
                  </td>
                  <td>{typeof d.score === 'number' ? d.score.toFixed(2) : ''}</td>
                  <td className="reason-cell">{d.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
