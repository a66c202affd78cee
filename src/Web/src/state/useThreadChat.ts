import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../api/client';
import { ApiError } from '../api/problem';
import { defaultSleep, StreamGaveUpError, type StreamState } from '../api/sse';
import type { Message, Run } from '../api/types';
import { connectivity } from '../lib/online';
import { submitDecision } from './approvals';
import { composeChat, mergeMessages, storedHoldsRun, type ChatItem } from './history';
import { initialRunState, runReducer, type RunAction, type RunViewState, type ToolStep } from './runReducer';
import { runParameters, type RunSettings } from './settings';

export type StreamStatus =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; attempt: number; delayMs: number }
  | { kind: 'lost'; error: unknown };

export interface ThreadChat {
  items: ChatItem[];
  loading: boolean;
  loadError: unknown;
  reload: () => void;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<void>;
  run: RunViewState;
  /** A run is being shown live (streaming, waiting for approval, or its stream was lost). */
  busy: boolean;
  stream: StreamStatus;
  actionError: unknown;
  dismissError: () => void;
  /** Text of a message that could not be sent, to put back into the composer. */
  failedDraft: string | undefined;
  takeFailedDraft: () => string | undefined;
  send: (text: string, settings: RunSettings) => Promise<void>;
  stop: () => Promise<void>;
  approve: (toolCallId: string) => Promise<void>;
  deny: (toolCallId: string, reason?: string) => Promise<void>;
  retryStream: () => void;
}

const PAGE_SIZE = 50;

/** Everything one open thread needs: its stored messages (paged backwards) and its live run. */
export function useThreadChat(
  api: ApiClient,
  threadId: string | undefined,
  activeRunId: string | null | undefined,
  onRunFinished?: () => void,
): ThreadChat {
  const [messages, setMessages] = useState<Message[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [pendingUserText, setPendingUserText] = useState<string | undefined>();
  const [run, setRun] = useState<RunViewState>(initialRunState);
  const [live, setLive] = useState(false);
  const [stream, setStream] = useState<StreamStatus>({ kind: 'idle' });
  const [actionError, setActionError] = useState<unknown>(null);
  const [failedDraft, setFailedDraft] = useState<string | undefined>();
  const [reloadToken, setReloadToken] = useState(0);

  // Refs for async callbacks that outlive a render.
  const runRef = useRef<RunViewState>(run);
  const runIdRef = useRef<string | undefined>(undefined);
  const threadRef = useRef(threadId);
  const streamAbort = useRef<AbortController | null>(null);
  const stopRequested = useRef(false);
  const liveDetails = useRef(new Map<string, ToolStep>());
  const onRunFinishedRef = useRef(onRunFinished);
  onRunFinishedRef.current = onRunFinished;

  /** The reducer runs synchronously against a ref so that code after an await sees the latest state. */
  const dispatchRun = useCallback((action: RunAction) => {
    runRef.current = runReducer(runRef.current, action);
    setRun(runRef.current);
  }, []);

  /** Merges the newest stored page (after a run, or after a start whose fate is unknown). Null on failure. */
  const refreshNewest = useCallback(
    async (tid: string): Promise<Message[] | null> => {
      try {
        const page = await api.listMessages(tid, null, PAGE_SIZE);
        if (threadRef.current !== tid) return null;
        setMessages((current) => mergeMessages(current, page.data.slice().reverse()));
        return page.data;
      } catch {
        return null;
      }
    },
    [api],
  );

  const finalize = useCallback(
    async (tid: string) => {
      const finished = runRef.current;
      for (const item of finished.items) if (item.kind === 'tool') liveDetails.current.set(item.step.toolCallId, item.step);
      if (finished.error || finished.status === 'failed' || finished.status === 'expired') {
        const problem = finished.error ?? { title: `The run ${finished.status}` };
        setActionError(new ApiError(problem.status ?? 500, problem));
      }
      setStream({ kind: 'idle' });
      onRunFinishedRef.current?.();
      // The live view gives way to the stored messages once they hold the run's answers. The store
      // may lag behind `done` for a moment, so look again a few times; until then (or if the reload
      // fails) the finished live view stays: it shows the same content.
      for (const delayMs of [0, 1000, 3000]) {
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (threadRef.current !== tid || runRef.current !== finished) break; // another run or thread took over
        const stored = await refreshNewest(tid);
        if (stored && storedHoldsRun(stored, finished)) {
          setLive(false);
          setPendingUserText(undefined);
          break;
        }
      }
    },
    [refreshNewest],
  );

  const runStream = useCallback(
    async (tid: string, options: { start?: { message: string; settings: RunSettings }; runId?: string; lastEventId?: string }) => {
      streamAbort.current?.abort();
      const controller = new AbortController();
      streamAbort.current = controller;
      setLive(true);
      setStream({ kind: 'connecting' });
      const start = options.start
        ? {
            message: options.start.message,
            ...(options.start.settings.agentId ? { agentId: options.start.settings.agentId } : {}),
            ...(runParameters(options.start.settings) ? { parameters: runParameters(options.start.settings) } : {}),
          }
        : undefined;
      try {
        const result = await api.streamRun({
          threadId: tid,
          ...(start ? { start } : {}),
          ...(options.runId ? { runId: options.runId } : {}),
          ...(options.lastEventId ? { lastEventId: options.lastEventId } : {}),
          signal: controller.signal,
          onEvent: (event) => {
            if (event.event === 'run.created' && !runIdRef.current) {
              try {
                runIdRef.current = (JSON.parse(event.data) as Run).id;
              } catch {
                /* the reducer ignores it too */
              }
              if (stopRequested.current && runIdRef.current) void api.cancelRun(tid, runIdRef.current).catch(setActionError);
            }
            dispatchRun({ type: 'event', event });
          },
          onStateChange: (state: StreamState) => {
            if (state.kind === 'open') {
              connectivity.report(true);
              setStream({ kind: 'open' });
            } else if (state.kind === 'reconnecting') {
              if (state.error instanceof ApiError ? state.error.isNetworkError : state.error instanceof TypeError) {
                connectivity.report(false);
              }
              setStream({ kind: 'reconnecting', attempt: state.attempt, delayMs: state.delayMs });
            }
          },
        });
        if (result.outcome === 'aborted') return;
        await finalize(tid);
      } catch (err) {
        if (controller.signal.aborted) return;
        if (!runIdRef.current && !(err instanceof StreamGaveUpError)) {
          // The run never started (e.g. 409 run_active, validation, network): give the text back.
          setLive(false);
          setStream({ kind: 'idle' });
          if (options.start) {
            setPendingUserText(undefined);
            setFailedDraft(options.start.message);
          }
          setActionError(err);
          if (err instanceof ApiError && err.isNetworkError) {
            connectivity.report(false);
            // The request may have reached the server before the connection died: show what it stored.
            void refreshNewest(tid);
          }
          return;
        }
        if (options.runId && err instanceof ApiError && (err.status === 404 || err.status === 410)) {
          // Attached to a run that no longer has events (a stale activeRunId): the stored messages say it all.
          setLive(false);
          setStream({ kind: 'idle' });
          return;
        }
        setStream({ kind: 'lost', error: err });
      }
    },
    [api, dispatchRun, finalize, refreshNewest],
  );

  // Opening a thread: load its newest messages and attach to its active run, if any.
  useEffect(() => {
    threadRef.current = threadId;
    streamAbort.current?.abort();
    streamAbort.current = null;
    runIdRef.current = undefined;
    stopRequested.current = false;
    dispatchRun({ type: 'reset' });
    setLive(false);
    setStream({ kind: 'idle' });
    setPendingUserText(undefined);
    setActionError(null);
    setMessages([]);
    setOlderCursor(null);
    setLoadError(null);
    if (!threadId) return;

    const controller = new AbortController();
    setLoading(true);
    api
      .listMessages(threadId, null, PAGE_SIZE, controller.signal)
      .then((page) => {
        setMessages(page.data.slice().reverse());
        setOlderCursor(page.nextCursor);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setLoadError(err);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    if (activeRunId) {
      runIdRef.current = activeRunId;
      void runStream(threadId, { runId: activeRunId });
    }
    return () => {
      controller.abort();
      streamAbort.current?.abort();
      threadRef.current = undefined; // late callbacks of this thread (e.g. finalize's re-reads) stop
    };
    // activeRunId is deliberately read only when the thread opens; later runs come through our own stream.
  }, [api, threadId, reloadToken, dispatchRun, runStream]);

  const loadOlder = useCallback(async () => {
    const tid = threadRef.current;
    if (!tid || !olderCursor || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const page = await api.listMessages(tid, olderCursor, PAGE_SIZE);
      if (threadRef.current !== tid) return;
      setMessages((current) => mergeMessages(current, page.data.slice().reverse()));
      setOlderCursor(page.nextCursor);
    } catch (err) {
      setActionError(err);
    } finally {
      setLoadingOlder(false);
    }
  }, [api, olderCursor, loadingOlder]);

  const busy = live && !run.finished;

  const send = useCallback(
    async (text: string, settings: RunSettings) => {
      const tid = threadRef.current;
      if (!tid || busy) return;
      setActionError(null);
      setFailedDraft(undefined);
      stopRequested.current = false;
      runIdRef.current = undefined;
      dispatchRun({ type: 'reset' });
      setPendingUserText(text);
      await runStream(tid, { start: { message: text, settings } });
    },
    [busy, dispatchRun, runStream],
  );

  const stop = useCallback(async () => {
    const tid = threadRef.current;
    stopRequested.current = true;
    const runId = runIdRef.current;
    if (!tid || !runId) return; // cancelled as soon as run.created names the run
    try {
      await api.cancelRun(tid, runId);
    } catch (err) {
      setActionError(err);
      return;
    }
    if (streamAbort.current === null || stream.kind === 'lost') await finalize(tid);
  }, [api, finalize, stream.kind]);

  const decide = useCallback(
    async (toolCallId: string, approve: boolean, reason?: string) => {
      const tid = threadRef.current;
      const runId = runIdRef.current;
      if (!tid || !runId) return;
      dispatchRun({ type: 'approval_submitted', toolCallId });
      const stillPending = () =>
        runIdRef.current === runId && runRef.current.pendingApprovals.some((p) => p.toolCallId === toolCallId);
      try {
        await submitDecision(() => api.submitApproval(tid, runId, toolCallId, approve, reason), stillPending, defaultSleep);
      } catch (err) {
        dispatchRun({ type: 'approval_failed', toolCallId });
        setActionError(err);
      }
    },
    [api, dispatchRun],
  );

  const retryStream = useCallback(() => {
    const tid = threadRef.current;
    const runId = runIdRef.current;
    if (!tid || !runId) return;
    const last = runRef.current.lastEventId;
    void runStream(tid, { runId, ...(last >= 0 ? { lastEventId: String(last) } : {}) });
  }, [runStream]);

  const items = useMemo(
    () => composeChat(messages, liveDetails.current, pendingUserText, live ? run : undefined),
    [messages, pendingUserText, live, run],
  );

  return {
    items,
    loading,
    loadError,
    reload: () => setReloadToken((n) => n + 1),
    hasOlder: olderCursor !== null,
    loadingOlder,
    loadOlder,
    run,
    busy,
    stream,
    actionError,
    dismissError: () => setActionError(null),
    failedDraft,
    takeFailedDraft: () => {
      const draft = failedDraft;
      setFailedDraft(undefined);
      return draft;
    },
    send,
    stop,
    approve: (toolCallId) => decide(toolCallId, true),
    deny: (toolCallId, reason) => decide(toolCallId, false, reason),
    retryStream,
  };
}
