import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { Agent } from '../api/types';
import { navigate, routePath } from '../lib/router';
import { useRunSettings } from '../state/settings';
import { useThreads } from '../state/useThreads';
import { ChatView } from './ChatView';
import { ErrorNotice } from './ErrorNotice';
import { ThreadSidebar } from './ThreadSidebar';

/** Sidebar + conversation. On narrow screens the sidebar is a drawer opened from the chat header. */
export function ChatPage({ api, threadId }: { api: ApiClient; threadId: string | undefined }) {
  const threadsState = useThreads(api);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [settings, setSettings] = useRunSettings();
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);
  const [queuedMessage, setQueuedMessage] = useState<{ threadId: string; text: string } | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api.listAgents(controller.signal).then(
      (r) => setAgents(r.data),
      () => setAgents([]), // the panel shows "Loading agents…"; runs still work with the default agent
    );
    return () => controller.abort();
  }, [api]);

  const startThread = useCallback(
    async (firstMessage?: string) => {
      setCreating(true);
      setCreateError(null);
      try {
        const thread = await threadsState.create();
        if (firstMessage) setQueuedMessage({ threadId: thread.id, text: firstMessage });
        navigate(routePath({ name: 'chat', threadId: thread.id }));
        setSidebarOpen(false);
      } catch (err) {
        setCreateError(err);
      } finally {
        setCreating(false);
      }
    },
    [threadsState],
  );

  const thread = threadsState.threads.find((t) => t.id === threadId);

  return (
    <div className="chat-page">
      <ThreadSidebar
        id="threads-sidebar"
        open={sidebarOpen}
        threadsState={threadsState}
        selectedId={threadId}
        creating={creating}
        onNewChat={() => void startThread()}
        onSelected={() => setSidebarOpen(false)}
      />
      {sidebarOpen && <div className="scrim" aria-hidden="true" onClick={() => setSidebarOpen(false)} />}
      <div className="chat-column">
        {createError ? <ErrorNotice error={createError} onDismiss={() => setCreateError(null)} /> : null}
        <ChatView
          key={threadId ?? 'none'}
          api={api}
          threadId={threadId}
          thread={thread}
          agents={agents}
          settings={settings}
          onSettingsChange={setSettings}
          queuedMessage={queuedMessage}
          onQueuedMessageTaken={() => setQueuedMessage(null)}
          onStartChat={(text) => void startThread(text)}
          onRunFinished={() => void threadsState.refreshFirstPage()}
          sidebarToggle={
            <button
              type="button"
              className="ghost sidebar-toggle"
              aria-expanded={sidebarOpen}
              aria-controls="threads-sidebar"
              onClick={() => setSidebarOpen((o) => !o)}
            >
              Chats
            </button>
          }
        />
      </div>
    </div>
  );
}
