import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AdminApi } from '../api/admin';
import type { PolicyChainView, PolicyInfo } from '../api/types';
import {
  buildChain,
  classifySaveFailure,
  clearFieldError,
  draftFromView,
  draftSignature,
  hasErrors,
  noErrors,
  type DraftEntry,
  type DraftErrors,
} from './chainDraft';

export interface PolicyChainState {
  policies: PolicyInfo[];
  view: PolicyChainView | null;
  draft: DraftEntry[];
  setDraft: (change: (draft: DraftEntry[]) => DraftEntry[]) => void;
  errors: DraftErrors;
  clearError: (key: string, path: string) => void;
  dirty: boolean;
  busy: 'loading' | 'saving' | 'resetting' | null;
  /** Reading the policies or the chain failed. */
  loadError: unknown;
  /** Saving or resetting failed other than with field errors or a conflict. */
  actionError: unknown;
  dismissActionError: () => void;
  /** The chain changed on the server since it was read (409 `policy_chain_changed`, or 412). */
  conflict: boolean;
  /** What the last save or reset did, for a status line. */
  notice: string | null;
  reload: () => Promise<void>;
  save: () => Promise<void>;
  reset: () => Promise<void>;
  discard: () => void;
}

/** The policies, the chain as stored (with its ETag), and the admin's unsaved edits of it. */
export function usePolicyChain(admin: AdminApi): PolicyChainState {
  const [policies, setPolicies] = useState<PolicyInfo[]>([]);
  const [loaded, setLoaded] = useState<{ view: PolicyChainView; etag: string | null; draft: DraftEntry[] } | null>(null);
  const [draft, setDraftState] = useState<DraftEntry[]>([]);
  const [errors, setErrors] = useState<DraftErrors>(noErrors);
  const [busy, setBusy] = useState<PolicyChainState['busy']>('loading');
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const read = useCallback(
    async (signal?: AbortSignal) => {
      const [list, { chain, etag }] = await Promise.all([admin.listPolicies(signal), admin.getChain(null, signal)]);
      const fresh = draftFromView(chain, list);
      setPolicies(list);
      setLoaded({ view: chain, etag, draft: fresh });
      setDraftState(fresh);
      setErrors(noErrors);
      setConflict(false);
      setLoadError(null);
      return chain;
    },
    [admin],
  );

  const reload = useCallback(async () => {
    setBusy('loading');
    setNotice(null);
    try {
      await read();
    } catch (err) {
      setLoadError(err);
    } finally {
      setBusy(null);
    }
  }, [read]);

  useEffect(() => {
    const controller = new AbortController();
    read(controller.signal).then(
      () => setBusy(null),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setLoadError(err);
        setBusy(null);
      },
    );
    return () => controller.abort();
  }, [read]);

  const setDraft = useCallback((change: (draft: DraftEntry[]) => DraftEntry[]) => {
    setDraftState(change);
    setNotice(null);
  }, []);

  const clearError = useCallback((key: string, path: string) => setErrors((e) => clearFieldError(e, key, path)), []);

  const save = useCallback(async () => {
    if (!loaded) return;
    const built = buildChain(draft, policies);
    if (hasErrors(built.errors)) {
      setErrors(built.errors);
      return;
    }
    setBusy('saving');
    setErrors(noErrors);
    setActionError(null);
    setNotice(null);
    try {
      await admin.setChain(built.chain, loaded.etag);
      // The answer has no ETag: read the chain again for the next save's If-Match.
      const chain = await read();
      setNotice(`Saved. The stored chain is now version ${chain.storedVersion}.`);
    } catch (err) {
      const failure = classifySaveFailure(err, draft);
      if (failure.kind === 'conflict') setConflict(true);
      else if (failure.kind === 'fields') setErrors(failure.errors);
      else setActionError(err);
    } finally {
      setBusy(null);
    }
  }, [admin, draft, loaded, policies, read]);

  const reset = useCallback(async () => {
    setBusy('resetting');
    setActionError(null);
    setNotice(null);
    try {
      await admin.resetChain();
      await read();
      setNotice('Reset. The file defaults apply again.');
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  }, [admin, read]);

  const discard = useCallback(() => {
    if (!loaded) return;
    setDraftState(loaded.draft);
    setErrors(noErrors);
    setNotice(null);
  }, [loaded]);

  const dirty = useMemo(() => (loaded ? draftSignature(draft) !== draftSignature(loaded.draft) : false), [draft, loaded]);

  return {
    policies,
    view: loaded?.view ?? null,
    draft,
    setDraft,
    errors,
    clearError,
    dirty,
    busy,
    loadError,
    actionError,
    dismissActionError: () => setActionError(null),
    conflict,
    notice,
    reload,
    save,
    reset,
    discard,
  };
}
