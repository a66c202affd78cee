import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { AdminApi } from '../api/admin';
import type { ApiClient } from '../api/client';
import type { Agent } from '../api/types';
import { ActivityPanel } from './ActivityPanel';
import { PoliciesPanel } from './PoliciesPanel';
import { TryItPanel } from './TryItPanel';
import { usePolicyChain } from './usePolicyChain';

const tabs = [
  { id: 'policies', label: 'Policies' },
  { id: 'try', label: 'Try it' },
  { id: 'activity', label: 'Activity' },
] as const;
type TabId = (typeof tabs)[number]['id'];

function tabFromHash(): TabId {
  const hash = window.location.hash.slice(1);
  return tabs.some((t) => t.id === hash) ? (hash as TabId) : 'policies';
}

/**
 * The admin area (role Agents.Admin): the policy chain and its editor, a "try it" panel, and the live
 * activity stream. Others get a message instead, and no admin request is made for them.
 */
export function AdminPage({ api, allowed, rolesKnown }: { api: ApiClient; allowed: boolean; rolesKnown: boolean }) {
  return (
    <section className="page admin-page" aria-labelledby="admin-title" data-testid="admin-page">
      <h1 id="admin-title">Admin</h1>
      {allowed ? (
        <AdminContent api={api} />
      ) : rolesKnown ? (
        <p className="notice" data-testid="admin-forbidden">
          You need the Agents.Admin role to see this page.
        </p>
      ) : (
        <p className="muted" role="status">
          Checking your roles…
        </p>
      )}
    </section>
  );
}

function AdminContent({ api }: { api: ApiClient }) {
  const admin = useMemo(() => new AdminApi(api), [api]);
  const chain = usePolicyChain(admin);
  const [tab, setTab] = useState<TabId>(tabFromHash);
  const [agents, setAgents] = useState<Agent[]>([]);
  const tabRefs = useRef(new Map<TabId, HTMLButtonElement>());

  useEffect(() => {
    const controller = new AbortController();
    api.listAgents(controller.signal).then(
      (r) => setAgents(r.data),
      () => setAgents([]), // only the agent pickers need them
    );
    return () => controller.abort();
  }, [api]);

  function select(next: TabId, focus = false) {
    setTab(next);
    // The tab is in the address (#activity) so that a reload or a link opens it; no history entry per click.
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}#${next}`);
    if (focus) tabRefs.current.get(next)?.focus();
  }

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>, index: number) {
    const last = tabs.length - 1;
    const to = e.key === 'ArrowRight' ? (index === last ? 0 : index + 1) : e.key === 'ArrowLeft' ? (index === 0 ? last : index - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
    if (to < 0) return;
    e.preventDefault();
    select(tabs[to]!.id, true);
  }

  return (
    <>
      <div className="tabs" role="tablist" aria-label="Admin sections">
        {tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) tabRefs.current.set(t.id, el);
            }}
            type="button"
            role="tab"
            id={`admin-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`admin-panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => select(t.id)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t.label}
            {t.id === 'policies' && chain.dirty && (
              <span className="tab-dot" title="Unsaved changes">
                <span className="visually-hidden"> (unsaved changes)</span>
              </span>
            )}
          </button>
        ))}
      </div>
      {/* Panels stay mounted: edits survive switching tabs, and the activity stream keeps running. */}
      <div role="tabpanel" id="admin-panel-policies" aria-labelledby="admin-tab-policies" hidden={tab !== 'policies'}>
        <PoliciesPanel state={chain} admin={admin} agents={agents} />
      </div>
      <div role="tabpanel" id="admin-panel-try" aria-labelledby="admin-tab-try" hidden={tab !== 'try'}>
        <TryItPanel admin={admin} state={chain} agents={agents} />
      </div>
      <div role="tabpanel" id="admin-panel-activity" aria-labelledby="admin-tab-activity" hidden={tab !== 'activity'}>
        <ActivityPanel admin={admin} active={tab === 'activity'} policyIds={chain.draft.map((e) => e.id)} />
      </div>
    </>
  );
}
