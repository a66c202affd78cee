import { useEffect, useState, type ReactNode } from 'react';
import type { ApiClient } from '../api/client';
import { ApiError } from '../api/problem';
import type { Agent, ChatThread } from '../api/types';
import type { RunSettings } from '../state/settings';
import { useThreadChat, type StreamStatus } from '../state/useThreadChat';
import type { RunViewState } from '../state/runReducer';
import { Composer } from './Composer';
import { ErrorNotice } from './ErrorNotice';
import { MessageList } from './MessageList';
import { SettingsPanel } from './SettingsPanel';
import { threadTitle } from './ThreadSidebar';

interface Props {
  api: ApiClient;
  threadId: string | undefined;
  thread: ChatThread | undefined;
  agents: Agent[];
  settings: RunSettings;
  onSettingsChange: (next: RunSettings) => void;
  /** A first message typed before any thread existed, to send once the new thread is open. */
  queuedMessage: { threadId: string; text: string } | null;
  onQueuedMessageTaken: () => void;
  onStartChat: (text: string) => void;
  onRunFinished: () => void;
  sidebarToggle: ReactNode;
}

export function ChatView(props: Props) {
  const { api, threadId, thread, agents, settings, queuedMessage } = props;
  const chat = useThreadChat(api, threadId, thread?.activeRunId, props.onRunFinished);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const { send } = chat;

  useEffect(() => {
    if (queuedMessage && queuedMessage.threadId === threadId) {
      props.onQueuedMessageTaken();
      void send(queuedMessage.text, settings);
    }
    // Only a new queued message or thread triggers this (settings changes must not re-send).
  }, [queuedMessage, threadId]);

  // A thread that does not exist (or is someone else's: the API says 404 for both) cannot be retried or written to.
  const notFound = chat.loadError instanceof ApiError && chat.loadError.status === 404;
  const title = notFound ? 'Chat not found' : threadId ? threadTitle(thread) : 'New chat';

  return (
    <section className="chat" aria-labelledby="chat-title">
      <div className="chat-header">
        {props.sidebarToggle}
        <h1 id="chat-title" className="chat-title">
          {title}
        </h1>
        <button
          type="button"
          className="ghost"
          aria-expanded={settingsOpen}
          aria-controls="run-settings"
          onClick={() => setSettingsOpen((o) => !o)}
        >
          Settings
        </button>
      </div>
      {settingsOpen && <SettingsPanel id="run-settings" agents={agents} settings={settings} onChange={props.onSettingsChange} />}

      {chat.loadError ? <ErrorNotice error={chat.loadError} onRetry={notFound ? undefined : chat.reload} /> : null}

      {threadId ? (
        <MessageList
          items={chat.items}
          pendingApprovals={chat.run.pendingApprovals}
          submittedApprovals={chat.run.submittedApprovals}
          hasOlder={chat.hasOlder}
          loadingOlder={chat.loadingOlder}
          onLoadOlder={() => void chat.loadOlder()}
          onApprove={(id) => void chat.approve(id)}
          onDeny={(id, reason) => void chat.deny(id, reason)}
        />
      ) : (
        <div className="messages empty-chat">
          <p>Ask anything to start a new chat.</p>
        </div>
      )}

      {chat.loading && (
        <p className="muted loading-line" role="status">
          Loading messages…
        </p>
      )}

      <RunStatusLine busy={chat.busy} run={chat.run} stream={chat.stream} onRetry={chat.retryStream} />
      {chat.actionError ? <ErrorNotice error={chat.actionError} onDismiss={chat.dismissError} /> : null}

      <Composer
        busy={chat.busy}
        disabled={notFound}
        restore={chat.failedDraft}
        onRestored={chat.takeFailedDraft}
        onSend={(text) => (threadId ? void send(text, settings) : props.onStartChat(text))}
        onStop={() => void chat.stop()}
      />
    </section>
  );
}

function RunStatusLine({ busy, run, stream, onRetry }: { busy: boolean; run: RunViewState; stream: StreamStatus; onRetry: () => void }) {
  if (stream.kind === 'lost') {
    return (
      <ErrorNotice
        error={stream.error}
        onRetry={onRetry}
        retryLabel="Reconnect"
      />
    );
  }
  let text = '';
  if (stream.kind === 'reconnecting') {
    text = `Connection lost, reconnecting (attempt ${stream.attempt})…`;
  } else if (busy) {
    text =
      run.status === 'requires_action'
        ? 'Waiting for your approval'
        : run.status === 'queued' || run.status === 'starting'
          ? 'Starting…'
          : 'Generating…';
  }
  return (
    <p className="run-status" role="status" data-testid="run-status" data-run-status={run.status}>
      {text}
    </p>
  );
}
