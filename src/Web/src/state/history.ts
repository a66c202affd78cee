import type { Message } from '../api/types';
import type { RunItem, RunViewState, ToolStep } from './runReducer';

/** One thing the conversation shows, from stored messages or from a live run. */
export type ChatItem =
  | { kind: 'user'; key: string; messageId?: string; text: string; pending?: boolean }
  | Extract<RunItem, { kind: 'assistant' }>
  | Extract<RunItem, { kind: 'tool' }>;

/**
 * Rebuilds the conversation from stored messages (oldest first): an assistant message's tool calls
 * become tool steps, completed by the matching `tool` message. `liveDetails` adds what only the live
 * stream knew (duration, error flag, final status) for runs finished in this session.
 */
export function itemsFromMessages(messages: Message[], liveDetails: ReadonlyMap<string, ToolStep> = new Map()): ChatItem[] {
  const results = new Map<string, Message>();
  for (const m of messages) if (m.role === 'tool' && m.toolCallId) results.set(m.toolCallId, m);

  const items: ChatItem[] = [];
  const shownToolCalls = new Set<string>();
  for (const m of messages) {
    if (m.role === 'user') {
      items.push({ kind: 'user', key: m.id, messageId: m.id, text: m.content });
    } else if (m.role === 'assistant') {
      if (m.content.trim() !== '' || !m.toolCalls?.length) {
        const item: ChatItem = { kind: 'assistant', key: m.id, messageId: m.id, text: m.content, streaming: false };
        if (m.incomplete) item.incomplete = true;
        items.push(item);
      }
      for (const call of m.toolCalls ?? []) {
        shownToolCalls.add(call.id);
        const result = results.get(call.id);
        const step: ToolStep = {
          toolCallId: call.id,
          name: call.name,
          arguments: call.arguments,
          status: result ? 'completed' : m.incomplete ? 'cancelled' : 'no_result',
          ...liveDetails.get(call.id),
        };
        if (result && step.result === undefined) step.result = result.content;
        items.push({ kind: 'tool', key: `t${call.id}`, step });
      }
    } else if (m.role === 'tool' && (!m.toolCallId || !shownToolCalls.has(m.toolCallId))) {
      // A result whose call is on an older page not loaded yet.
      const id = m.toolCallId ?? m.id;
      items.push({
        kind: 'tool',
        key: `t${id}`,
        step: { toolCallId: id, name: m.name ?? 'tool', arguments: '', status: 'completed', result: m.content, ...liveDetails.get(id) },
      });
    }
  }
  return items;
}

/**
 * The whole conversation: stored messages, then the optimistic user message, then the live run.
 * Stored assistant/tool messages of the live run are left out: the run's events (replayed from the
 * start when attaching) already show them.
 */
export function composeChat(
  messages: Message[],
  liveDetails: ReadonlyMap<string, ToolStep>,
  pendingUserText: string | undefined,
  run: RunViewState | undefined,
): ChatItem[] {
  const stored = run?.runId
    ? messages.filter((m) => m.role === 'user' || m.runId !== run.runId)
    : messages;
  const items = itemsFromMessages(stored, liveDetails);
  if (pendingUserText !== undefined && !(run?.userMessageId && stored.some((m) => m.id === run.userMessageId))) {
    items.push({ kind: 'user', key: 'pending-user', text: pendingUserText, pending: true });
  }
  if (run) items.push(...run.items);
  return items;
}

/** Merges a page into the stored list (oldest first), replacing same-id messages. */
export function mergeMessages(current: Message[], page: Message[]): Message[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of page) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Whether every answer the run streamed is among the stored messages. */
export function storedHoldsRun(stored: Message[], run: RunViewState): boolean {
  const ids = new Set(stored.map((m) => m.id));
  return run.items.every((item) => item.kind !== 'assistant' || item.text.trim() === '' || (item.messageId !== undefined && ids.has(item.messageId)));
}
