import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { ChatThread } from '../api/types';

export interface ThreadsState {
  threads: ChatThread[];
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
  reload: () => Promise<void>;
  loadMore: () => Promise<void>;
  create: () => Promise<ChatThread>;
  rename: (id: string, title: string) => Promise<void>;
  remove: (id: string) => Promise<void>;
  /** Re-reads the first page (titles and order change after a run) without dropping later pages. */
  refreshFirstPage: () => Promise<void>;
}

function byUpdatedDesc(a: ChatThread, b: ChatThread): number {
  return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0;
}

function merge(current: ChatThread[], page: ChatThread[]): ChatThread[] {
  const byId = new Map(current.map((t) => [t.id, t]));
  for (const t of page) byId.set(t.id, t);
  return [...byId.values()].sort(byUpdatedDesc);
}

/** The sidebar's thread list: newest first, paged with a cursor. */
export function useThreads(api: ApiClient): ThreadsState {
  const [threads, setThreads] = useState<ChatThread[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const cursorRef = useRef<string | null>(null);

  const reload = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.listThreads(null);
      setThreads(page.data);
      setNextCursor(page.nextCursor);
      cursorRef.current = page.nextCursor;
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const loadMore = useCallback(async () => {
    const cursor = cursorRef.current;
    if (!cursor) return;
    setLoading(true);
    setError(null);
    try {
      const page = await api.listThreads(cursor);
      setThreads((current) => merge(current, page.data));
      setNextCursor(page.nextCursor);
      cursorRef.current = page.nextCursor;
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [api]);

  const refreshFirstPage = useCallback(async () => {
    try {
      const page = await api.listThreads(null);
      setThreads((current) => merge(current, page.data));
    } catch {
      // a stale title is not worth an error message
    }
  }, [api]);

  const create = useCallback(async () => {
    const thread = await api.createThread();
    setThreads((current) => [thread, ...current.filter((t) => t.id !== thread.id)]);
    return thread;
  }, [api]);

  const rename = useCallback(
    async (id: string, title: string) => {
      const updated = await api.renameThread(id, title);
      setThreads((current) => current.map((t) => (t.id === id ? { ...t, ...updated } : t)));
    },
    [api],
  );

  const remove = useCallback(
    async (id: string) => {
      await api.deleteThread(id);
      setThreads((current) => current.filter((t) => t.id !== id));
    },
    [api],
  );

  return { threads, nextCursor, loading, error, reload, loadMore, create, rename, remove, refreshFirstPage };
}
