import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { AdminApi } from '../api/admin';
import type { Agent, PolicyInfo } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice } from '../components/ErrorNotice';
import { addEntry, countErrors, moveEntry, removeEntry, updateEntry, type DraftEntry } from './chainDraft';
import { ChainEntryCard } from './ChainEntryCard';
import { EffectiveChainTable } from './EffectiveChainTable';
import type { PolicyChainState } from './usePolicyChain';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function AvailablePolicies({ policies }: { policies: PolicyInfo[] }) {
  return (
    <section className="admin-section" aria-labelledby="available-policies-title">
      <h2 id="available-policies-title">Available policies</h2>
      <ul className="policy-list" data-testid="available-policies">
        {policies.map((p) => (
          <li key={p.name} data-policy={p.name}>
            <strong className="policy-name">{p.name}</strong>
            <span className="muted policy-meta">
              {p.stages.map((s) => s.replace('_', ' ')).join(', ')} · default timeout {p.defaultTimeoutMs} ms
            </span>
            <p>{p.description}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Policies: what exists, the chain with the source of each value and its editor, and an agent's view of it. */
export function PoliciesPanel({ state, admin, agents }: { state: PolicyChainState; admin: AdminApi; agents: Agent[] }) {
  const { policies, view, draft, setDraft, errors, clearError, dirty, busy } = state;
  const [toAdd, setToAdd] = useState('');
  const [confirmReset, setConfirmReset] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const focusTargets = useRef(new Map<string, HTMLElement>());
  const pendingFocus = useRef<{ key: string; name: 'up' | 'down' | 'heading' } | null>(null);
  const chainHeading = useRef<HTMLHeadingElement>(null);
  const addId = useId();
  const editing = busy === null && view !== null;

  useEffect(() => {
    const target = pendingFocus.current;
    if (!target) return;
    pendingFocus.current = null;
    const get = (name: string) => focusTargets.current.get(`${target.key}:${name}`);
    let element = get(target.name);
    // At either end the button just used is disabled: the other direction keeps focus in the entry.
    if (element instanceof HTMLButtonElement && element.disabled) element = get(target.name === 'up' ? 'down' : 'up');
    if (element instanceof HTMLButtonElement && element.disabled) element = get('heading');
    element?.focus();
  }, [draft]);

  const registerFocus = useCallback((key: string, name: string, element: HTMLElement | null) => {
    if (element) focusTargets.current.set(`${key}:${name}`, element);
    else focusTargets.current.delete(`${key}:${name}`);
  }, []);

  function move(entry: DraftEntry, index: number, delta: -1 | 1) {
    const target = Math.max(0, Math.min(draft.length - 1, index + delta));
    pendingFocus.current = { key: entry.key, name: delta < 0 ? 'up' : 'down' };
    setDraft((d) => moveEntry(d, index, delta));
    setAnnouncement(`${entry.id} moved to position ${target + 1} of ${draft.length}.`);
  }

  function remove(entry: DraftEntry) {
    setDraft((d) => removeEntry(d, entry.key));
    setAnnouncement(`${entry.id} removed from the chain (not saved yet).`);
    chainHeading.current?.focus();
  }

  function add() {
    const policy = toAdd || policies[0]?.name;
    if (!policy) return;
    const next = addEntry(draft, policy);
    const added = next[next.length - 1]!;
    pendingFocus.current = { key: added.key, name: 'heading' };
    setDraft(() => next);
    setAnnouncement(`${added.id} added at position ${next.length} (not saved yet).`);
  }

  const problemCount = countErrors(errors);

  return (
    <div className="policies-panel">
      {policies.length > 0 && <AvailablePolicies policies={policies} />}

      <section className="admin-section" aria-labelledby="chain-title">
        <div className="section-head">
          <h2 id="chain-title" ref={chainHeading} tabIndex={-1}>
            Chain
          </h2>
          {dirty && (
            <span className="unsaved" data-testid="unsaved">
              Unsaved changes
            </span>
          )}
        </div>
        {view && (
          <p className="chain-meta" data-testid="chain-source" data-source={view.source}>
            {view.stored ? (
              <>
                Entries from the <strong>stored</strong> configuration, version {view.storedVersion}
                {view.updatedBy && <> · set by {view.updatedBy}</>}
                {view.updatedAt && <> · {dateFormat.format(new Date(view.updatedAt))}</>}. Values not set there come from
                the file or the policy's defaults.
              </>
            ) : (
              <>
                Entries from the configuration <strong>file</strong> (nothing stored). Saving stores the chain; Reset goes
                back to the file.
              </>
            )}
          </p>
        )}

        <div className="toolbar" role="group" aria-label="Chain actions">
          <button type="button" className="primary" disabled={!editing || !dirty} onClick={() => void state.save()}>
            {busy === 'saving' ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!editing || !dirty} onClick={state.discard}>
            Discard changes
          </button>
          <button type="button" className="ghost" disabled={busy !== null} onClick={() => void state.reload()}>
            Reload
          </button>
          <button
            type="button"
            className="ghost danger-text"
            disabled={!editing || !view?.stored}
            title={view?.stored ? undefined : 'Nothing is stored: the file defaults already apply.'}
            onClick={() => setConfirmReset(true)}
          >
            Reset to file defaults
          </button>
        </div>

        <p className="visually-hidden" role="status" aria-live="polite">
          {announcement}
        </p>
        {state.notice && (
          <p className="notice notice-ok" role="status" data-testid="chain-notice">
            {state.notice}
          </p>
        )}
        {busy === 'loading' && (
          <p className="muted" role="status">
            Loading the chain…
          </p>
        )}
        {state.loadError ? <ErrorNotice error={state.loadError} onRetry={() => void state.reload()} /> : null}
        {state.conflict && (
          <div className="notice notice-error" role="alert" data-testid="chain-conflict">
            <div className="notice-body">
              <strong className="notice-title">Someone else changed the chain after you opened it.</strong>
              <p className="notice-detail">Reload to see their version. Your unsaved changes will be lost.</p>
            </div>
            <div className="notice-actions">
              <button type="button" onClick={() => void state.reload()}>
                Reload
              </button>
            </div>
          </div>
        )}
        {state.actionError ? <ErrorNotice error={state.actionError} onDismiss={state.dismissActionError} /> : null}
        {problemCount > 0 && (
          <div className="notice notice-error" role="alert" data-testid="chain-errors">
            <div className="notice-body">
              <strong className="notice-title">
                Not saved: {problemCount === 1 ? '1 problem' : `${problemCount} problems`}, shown next to the fields.
              </strong>
              {errors.general.length > 0 && (
                <ul className="notice-fields">
                  {errors.general.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              )}
            </div>
          </div>
        )}

        {view && (
          <>
            {draft.length === 0 ? (
              <p className="muted empty-chain">The chain is empty: no policy reviews anything.</p>
            ) : (
              <ol className="chain-list" aria-label="Chain entries, in the order they run">
                {draft.map((entry, index) => (
                  <ChainEntryCard
                    key={entry.key}
                    entry={entry}
                    index={index}
                    count={draft.length}
                    policy={policies.find((p) => p.name === entry.policy)}
                    file={view.file}
                    errors={errors.entries[entry.key]}
                    disabled={!editing}
                    onChange={(next, path) => {
                      setDraft((d) => updateEntry(d, entry.key, () => next));
                      clearError(entry.key, path);
                    }}
                    onMove={(delta) => move(entry, index, delta)}
                    onRemove={() => remove(entry)}
                    registerFocus={(name, el) => registerFocus(entry.key, name, el)}
                  />
                ))}
              </ol>
            )}
            <div className="add-entry">
              <label htmlFor={addId}>Add a policy</label>
              <select id={addId} value={toAdd || policies[0]?.name || ''} onChange={(e) => setToAdd(e.target.value)} disabled={!editing}>
                {policies.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
              <button type="button" onClick={add} disabled={!editing || policies.length === 0}>
                Add
              </button>
            </div>
          </>
        )}
      </section>

      <AgentPreview admin={admin} agents={agents} policies={policies} version={view?.storedVersion} />

      <ConfirmDialog
        open={confirmReset}
        title="Reset to the file defaults?"
        confirmLabel="Reset"
        busy={busy === 'resetting'}
        onCancel={() => setConfirmReset(false)}
        onConfirm={() => {
          setConfirmReset(false);
          void state.reset();
        }}
      >
        <p>
          This deletes the stored chain for everyone. The chain of the configuration file applies again on the next
          request{dirty ? ', and your unsaved changes are lost' : ''}.
        </p>
      </ConfirmDialog>
    </div>
  );
}

/** The effective chain for one agent (its override applies on top): read-only, with the source of every value. */
function AgentPreview({ admin, agents, policies, version }: { admin: AdminApi; agents: Agent[]; policies: PolicyInfo[]; version: number | undefined }) {
  const [agentId, setAgentId] = useState('');
  const [result, setResult] = useState<Awaited<ReturnType<AdminApi['getChain']>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const selectId = useId();

  useEffect(() => {
    setResult(null);
    setError(null);
    if (!agentId) return;
    const controller = new AbortController();
    admin.getChain(agentId, controller.signal).then(setResult, (err: unknown) => {
      if (!controller.signal.aborted) setError(err);
    });
    return () => controller.abort();
  }, [admin, agentId, version]);

  return (
    <section className="admin-section" aria-labelledby="agent-preview-title">
      <h2 id="agent-preview-title">Effective chain for an agent</h2>
      <p className="hint">
        Agent runs use the saved chain with the agent's override on top (set in the agent's <code>policies</code>).
      </p>
      <div className="inline-field">
        <label htmlFor={selectId}>Agent</label>
        <select id={selectId} value={agentId} onChange={(e) => setAgentId(e.target.value)}>
          <option value="">Choose an agent…</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name || a.id}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      {result && <EffectiveChainTable chain={result.chain} policies={policies} />}
    </section>
  );
}
