import { useState, type FormEvent } from 'react';
import type { ChatThread } from '../api/types';
import { navigate, routePath } from '../lib/router';
import type { ThreadsState } from '../state/useThreads';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorNotice } from './ErrorNotice';

export function threadTitle(thread: Pick<ChatThread, 'title'> | undefined): string {
  return thread?.title?.trim() || 'Untitled chat';
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

interface Props {
  id: string;
  open: boolean;
  threadsState: ThreadsState;
  selectedId: string | undefined;
  creating: boolean;
  onNewChat: () => void;
  onSelected: () => void;
}

/** The thread list: New chat, select, rename inline, delete with confirmation, load more. */
export function ThreadSidebar({ id, open, threadsState, selectedId, creating, onNewChat, onSelected }: Props) {
  const { threads, nextCursor, loading, error, reload, loadMore, rename, remove } = threadsState;
  const [editingId, setEditingId] = useState<string | null>(null);
  const [draftTitle, setDraftTitle] = useState('');
  const [toDelete, setToDelete] = useState<ChatThread | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);

  async function submitRename(e: FormEvent, thread: ChatThread) {
    e.preventDefault();
    const title = draftTitle.trim();
    setEditingId(null);
    if (!title || title === thread.title) return;
    try {
      await rename(thread.id, title);
    } catch (err) {
      setActionError(err);
    }
  }

  async function confirmDelete() {
    if (!toDelete) return;
    setDeleting(true);
    try {
      await remove(toDelete.id);
      if (toDelete.id === selectedId) navigate('/');
      setToDelete(null);
    } catch (err) {
      setActionError(err);
      setToDelete(null);
    } finally {
      setDeleting(false);
    }
  }

  return (
    <nav id={id} className={`sidebar${open ? ' is-open' : ''}`} aria-label="Threads">
      <button type="button" className="primary new-chat" onClick={onNewChat} disabled={creating}>
        New chat
      </button>
      {error ? <ErrorNotice error={error} onRetry={() => void reload()} /> : null}
      {actionError ? <ErrorNotice error={actionError} onDismiss={() => setActionError(null)} /> : null}
      <ul className="thread-list">
        {threads.map((thread) => {
          const title = threadTitle(thread);
          const selected = thread.id === selectedId;
          return (
            <li key={thread.id} className={selected ? 'is-selected' : undefined} data-testid="thread-item" data-thread-id={thread.id}>
              {editingId === thread.id ? (
                <form className="rename-form" onSubmit={(e) => void submitRename(e, thread)}>
                  <label htmlFor={`rename-${thread.id}`} className="visually-hidden">
                    Thread title
                  </label>
                  <input
                    id={`rename-${thread.id}`}
                    value={draftTitle}
                    maxLength={200}
                    autoFocus
                    onChange={(e) => setDraftTitle(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === 'Escape') setEditingId(null);
                    }}
                  />
                  <button type="submit">Save</button>
                  <button type="button" className="ghost" onClick={() => setEditingId(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  <a
                    href={routePath({ name: 'chat', threadId: thread.id })}
                    className="thread-link"
                    aria-current={selected ? 'page' : undefined}
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                      e.preventDefault();
                      navigate(routePath({ name: 'chat', threadId: thread.id }));
                      onSelected();
                    }}
                  >
                    <span className="thread-title">{title}</span>
                    <time className="thread-date" dateTime={thread.updatedAt}>
                      {dateFormat.format(new Date(thread.updatedAt))}
                    </time>
                  </a>
                  <span className="thread-actions">
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Rename ${title}`}
                      title="Rename"
                      onClick={() => {
                        setDraftTitle(thread.title ?? '');
                        setEditingId(thread.id);
                      }}
                    >
                      <PencilIcon />
                    </button>
                    <button
                      type="button"
                      className="icon"
                      aria-label={`Delete ${title}`}
                      title="Delete"
                      onClick={() => setToDelete(thread)}
                    >
                      <TrashIcon />
                    </button>
                  </span>
                </>
              )}
            </li>
          );
        })}
      </ul>
      {!loading && threads.length === 0 && !error && <p className="muted empty">No chats yet.</p>}
      {loading && (
        <p className="muted" role="status">
          Loading chats…
        </p>
      )}
      {nextCursor && !loading && (
        <button type="button" className="ghost load-more" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
      <ConfirmDialog
        open={toDelete !== null}
        title="Delete this chat?"
        confirmLabel="Delete"
        busy={deleting}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setToDelete(null)}
      >
        <p>
          “{threadTitle(toDelete ?? undefined)}” and all its messages will be deleted. This cannot be undone.
        </p>
      </ConfirmDialog>
    </nav>
  );
}

function PencilIcon() {
  return (
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" className="icon-svg">
      <path d="M11.5 2.5l2 2L6 12l-3 1 1-3 7.5-7.5z" />
    </svg>
  );
}

function TrashIcon() {
  return (
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" className="icon-svg">
      <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5M7 7v4M9 7v4" />
    </svg>
  );
}
