import { useEffect, useLayoutEffect, useRef } from 'react';
import type { PendingToolCall } from '../api/types';
import type { ChatItem } from '../state/history';
import { Markdown } from './Markdown';
import { ToolStepView } from './ToolStepView';

interface Props {
  items: ChatItem[];
  pendingApprovals: PendingToolCall[];
  submittedApprovals: string[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onApprove: (toolCallId: string) => void;
  onDeny: (toolCallId: string, reason?: string) => void;
}

const STICK_TO_BOTTOM_PX = 80;

/**
 * The conversation. Follows new text while the reader is at the bottom, keeps their place when
 * older messages are prepended, and loads older ones when the top comes into view.
 */
export function MessageList(props: Props) {
  const { items, hasOlder, loadingOlder, onLoadOlder } = props;
  const scrollRef = useRef<HTMLElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const distanceFromBottom = useRef(0);
  const firstKey = useRef<string | undefined>(undefined);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const newFirst = items[0]?.key;
    const prepended = firstKey.current !== undefined && newFirst !== firstKey.current && items.length > 0;
    firstKey.current = newFirst;
    if (prepended || distanceFromBottom.current < STICK_TO_BOTTOM_PX) {
      // Same distance from the bottom as before: the same content stays in view (or the bottom does).
      el.scrollTop = el.scrollHeight - el.clientHeight - (prepended ? distanceFromBottom.current : 0);
    }
  }, [items]);

  useEffect(() => {
    const el = scrollRef.current;
    const sentinel = sentinelRef.current;
    if (!el || !sentinel || !hasOlder || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        // Only when the reader scrolled up: not while the list is still shorter than the viewport.
        if (entries.some((e) => e.isIntersecting) && el.scrollHeight > el.clientHeight && el.scrollTop < 200) onLoadOlder();
      },
      { root: el, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasOlder, onLoadOlder]);

  return (
    <section
      ref={scrollRef}
      className="messages"
      aria-label="Conversation"
      data-testid="messages"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        distanceFromBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight;
      }}
    >
      <div className="messages-inner">
        {hasOlder && (
          <div ref={sentinelRef} className="older">
            <button type="button" className="ghost" onClick={onLoadOlder} disabled={loadingOlder}>
              {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
            </button>
          </div>
        )}
        {items.map((item) => (
          <ItemView key={item.key} item={item} {...props} />
        ))}
      </div>
    </section>
  );
}

function ItemView({ item, pendingApprovals, submittedApprovals, onApprove, onDeny }: Props & { item: ChatItem }) {
  switch (item.kind) {
    case 'user':
      return (
        <article className="msg msg-user" data-role="user" data-pending={item.pending ? 'true' : undefined} aria-label="You">
          <p className="user-text">{item.text}</p>
        </article>
      );
    case 'assistant':
      return (
        <article
          className="msg msg-assistant"
          data-role="assistant"
          data-streaming={item.streaming ? 'true' : 'false'}
          data-message-id={item.messageId}
          aria-label="Assistant"
        >
          {/* aria-busy holds screen-reader announcements until the message is complete. */}
          <div aria-live="polite" aria-busy={item.streaming} className={item.streaming ? 'streaming' : undefined}>
            {item.text ? <Markdown text={item.text} /> : item.streaming && <span className="typing">Thinking…</span>}
          </div>
          {item.incomplete && (
            <p className="badge" data-testid="incomplete">
              Stopped before the end
            </p>
          )}
        </article>
      );
    case 'tool': {
      const pending = pendingApprovals.find((p) => p.toolCallId === item.step.toolCallId);
      return (
        <ToolStepView
          step={item.step}
          pending={pending}
          submitted={submittedApprovals.includes(item.step.toolCallId)}
          onApprove={onApprove}
          onDeny={onDeny}
        />
      );
    }
  }
}
