import { describe, expect, it } from 'vitest';
import type { Message } from '../api/types';
import { composeChat, itemsFromMessages, mergeMessages, storedHoldsRun } from './history';
import { initialRunState, type RunViewState } from './runReducer';

const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s)).toISOString();
const msg = (m: Partial<Message> & Pick<Message, 'id' | 'role'>): Message => ({ threadId: 't1', content: '', createdAt: at(0), incomplete: false, sortKey: '', ...m });

describe('itemsFromMessages', () => {
  it('turns tool calls into steps completed by their tool messages', () => {
    const items = itemsFromMessages([
      msg({ id: 'u1', role: 'user', content: 'Weather?', createdAt: at(1) }),
      msg({ id: 'a1', role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }], createdAt: at(2) }),
      msg({ id: 'tm1', role: 'tool', toolCallId: 'c1', name: 'weather', content: '3°C, rain', createdAt: at(3) }),
      msg({ id: 'a2', role: 'assistant', content: 'It is 3°C and raining.', createdAt: at(4) }),
    ]);
    expect(items.map((i) => i.kind)).toEqual(['user', 'tool', 'assistant']);
    expect(items[1]).toMatchObject({ step: { toolCallId: 'c1', name: 'weather', status: 'completed', result: '3°C, rain' } });
  });

  it('adds live details (duration, error) of runs finished in this session', () => {
    const items = itemsFromMessages(
      [msg({ id: 'a1', role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'x', arguments: '{}' }] })],
      new Map([['c1', { toolCallId: 'c1', name: 'x', arguments: '{}', status: 'failed', isError: true, durationMs: 12, result: 'boom' }]]),
    );
    expect(items[0]).toMatchObject({ step: { status: 'failed', durationMs: 12, isError: true, result: 'boom' } });
  });

  it('shows a tool result whose call is not loaded yet on its own', () => {
    const items = itemsFromMessages([msg({ id: 'tm', role: 'tool', toolCallId: 'c0', name: 'lookup', content: 'ok' })]);
    expect(items).toEqual([{ kind: 'tool', key: 'tc0', step: { toolCallId: 'c0', name: 'lookup', arguments: '', status: 'completed', result: 'ok' } }]);
  });
});

describe('composeChat', () => {
  const live: RunViewState = {
    ...initialRunState(),
    runId: 'r1',
    userMessageId: 'u2',
    items: [{ kind: 'assistant', key: 'a0', text: 'Streaming…', streaming: true }],
  };

  it('hides stored messages of the live run, keeps its user message, and appends the live items', () => {
    const stored = [
      msg({ id: 'u1', role: 'user', content: 'first', createdAt: at(1) }),
      msg({ id: 'a1', role: 'assistant', content: 'old answer', runId: 'r0', createdAt: at(2) }),
      msg({ id: 'u2', role: 'user', content: 'second', runId: 'r1', createdAt: at(3) }),
      msg({ id: 'a2', role: 'assistant', content: 'partial stored', runId: 'r1', createdAt: at(4) }),
    ];
    const items = composeChat(stored, new Map(), 'second', live);
    expect(items.map((i) => (i.kind === 'tool' ? 'tool' : `${i.kind}:${i.text}`))).toEqual([
      'user:first',
      'assistant:old answer',
      'user:second',
      'assistant:Streaming…',
    ]);
  });

  it('shows the optimistic user message until the stored one arrives', () => {
    const items = composeChat([], new Map(), 'hello', { ...initialRunState() });
    expect(items).toEqual([{ kind: 'user', key: 'pending-user', text: 'hello', pending: true }]);
  });
});

describe('mergeMessages', () => {
  it('orders by creation time and replaces by id', () => {
    const merged = mergeMessages(
      [msg({ id: 'b', role: 'user', createdAt: at(2) }), msg({ id: 'c', role: 'assistant', content: 'old', createdAt: at(3) })],
      [msg({ id: 'a', role: 'user', createdAt: at(1) }), msg({ id: 'c', role: 'assistant', content: 'new', createdAt: at(3) })],
    );
    expect(merged.map((m) => `${m.id}${m.content}`)).toEqual(['a', 'b', 'cnew']);
  });
});

describe('storedHoldsRun', () => {
  const run: RunViewState = {
    ...initialRunState(),
    finished: true,
    items: [
      { kind: 'assistant', key: 'a0', messageId: 'm1', text: 'Checking.', streaming: false },
      { kind: 'tool', key: 'tc1', step: { toolCallId: 'c1', name: 'x', arguments: '{}', status: 'completed' } },
      { kind: 'assistant', key: 'a1', messageId: 'm2', text: 'Done.', streaming: false },
    ],
  };

  it('is true only when every streamed answer is stored (the store may lag behind done)', () => {
    expect(storedHoldsRun([msg({ id: 'm1', role: 'assistant' })], run)).toBe(false);
    expect(storedHoldsRun([msg({ id: 'm1', role: 'assistant' }), msg({ id: 'm2', role: 'assistant' })], run)).toBe(true);
  });

  it('is false for streamed text whose message id never arrived', () => {
    const noId: RunViewState = { ...run, items: [{ kind: 'assistant', key: 'a0', text: 'Hi', streaming: false }] };
    expect(storedHoldsRun([msg({ id: 'm1', role: 'assistant' })], noId)).toBe(false);
  });
});
