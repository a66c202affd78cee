import { describe, expect, it } from 'vitest';
import type { SseEvent } from '../api/sse';
import { initialRunState, runReducer, type RunAction, type RunViewState } from './runReducer';

let nextId = 1;
function ev(event: string, data: unknown, id: number = nextId++): RunAction {
  const e: SseEvent = { id: String(id), event, data: JSON.stringify(data) };
  return { type: 'event', event: e };
}

function fold(actions: RunAction[], from: RunViewState = initialRunState()): RunViewState {
  return actions.reduce(runReducer, from);
}

const run = {
  id: 'run_1',
  threadId: 'th_1',
  agentId: 'default',
  status: 'queued',
  userMessageId: 'msg_u',
  steps: [],
  pendingToolCalls: [],
  createdAt: '2026-11-22T10:00:00Z',
};

function assistantTexts(state: RunViewState): string[] {
  return state.items.flatMap((i) => (i.kind === 'assistant' ? [i.text] : []));
}

describe('runReducer', () => {
  it('learns the run from run.created', () => {
    nextId = 1;
    const s = fold([ev('run.created', run)]);
    expect(s.runId).toBe('run_1');
    expect(s.userMessageId).toBe('msg_u');
    expect(s.status).toBe('queued');
    expect(s.lastEventId).toBe(1);
  });

  it('concatenates deltas into one streaming assistant message', () => {
    nextId = 1;
    const s = fold([ev('run.created', run), ev('message.delta', { text: 'Hel' }), ev('message.delta', { text: 'lo' }), ev('message.delta', { text: ' world' })]);
    expect(s.items).toHaveLength(1);
    expect(s.items[0]).toMatchObject({ kind: 'assistant', text: 'Hello world', streaming: true });
  });

  it('replaces the streamed text with the completed message', () => {
    nextId = 1;
    const s = fold([
      ev('message.delta', { text: 'Hel' }),
      // a delta lost in transit: the completed message is authoritative
      ev('message.completed', { id: 'msg_a1', threadId: 'th_1', role: 'assistant', content: 'Hello!', createdAt: '' }),
    ]);
    expect(s.items).toEqual([{ kind: 'assistant', key: 'a0', messageId: 'msg_a1', text: 'Hello!', streaming: false, incomplete: false }]);
  });

  it('starts a new assistant message for deltas after a completed one', () => {
    nextId = 1;
    const s = fold([
      ev('message.delta', { text: 'Let me look.' }),
      ev('message.completed', { id: 'm1', role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'c1', name: 'search', arguments: '{}' }] }),
      ev('tool_call.created', { toolCallId: 'c1', name: 'search', arguments: '{"q":"x"}' }),
      ev('tool_call.completed', { toolCallId: 'c1', name: 'search', status: 'completed', isError: false, result: '3 hits', durationMs: 42 }),
      ev('message.delta', { text: 'Found ' }),
      ev('message.delta', { text: 'it.' }),
    ]);
    expect(s.items.map((i) => i.kind)).toEqual(['assistant', 'tool', 'assistant']);
    expect(assistantTexts(s)).toEqual(['Let me look.', 'Found it.']);
    expect(s.items[1]).toMatchObject({
      kind: 'tool',
      step: { toolCallId: 'c1', name: 'search', arguments: '{"q":"x"}', status: 'completed', result: '3 hits', durationMs: 42, isError: false },
    });
  });

  it('ignores replayed events with ids at or below the last one seen', () => {
    nextId = 1;
    const first = ev('message.delta', { text: 'A' }, 1);
    const second = ev('message.delta', { text: 'B' }, 2);
    const s = fold([first, second]);
    expect(runReducer(s, first)).toBe(s);
    expect(runReducer(s, second)).toBe(s);
    expect(assistantTexts(fold([first, second, first, second, ev('message.delta', { text: 'C' }, 3)]))).toEqual(['ABC']);
  });

  it('shows an approval while pending and removes it when the call completes', () => {
    nextId = 1;
    const waiting = fold([
      ev('run.created', run),
      ev('tool_call.created', { toolCallId: 'c9', name: 'delete_file', arguments: { path: '/tmp/x' } }),
      ev('tool_call.approval_required', { toolCallId: 'c9', name: 'delete_file', arguments: { path: '/tmp/x' }, reason: 'Deletes data', expiresAt: '2026-11-22T11:00:00Z' }),
      ev('run.status', { status: 'requires_action' }),
    ]);
    expect(waiting.status).toBe('requires_action');
    expect(waiting.pendingApprovals).toEqual([
      { toolCallId: 'c9', name: 'delete_file', arguments: '{"path":"/tmp/x"}', reason: 'Deletes data', expiresAt: '2026-11-22T11:00:00Z' },
    ]);
    expect(waiting.items).toHaveLength(1);
    expect(waiting.items[0]).toMatchObject({ step: { status: 'awaiting_approval' } });

    const submitted = runReducer(waiting, { type: 'approval_submitted', toolCallId: 'c9' });
    expect(submitted.submittedApprovals).toEqual(['c9']);
    expect(runReducer(submitted, { type: 'approval_failed', toolCallId: 'c9' }).submittedApprovals).toEqual([]);

    const denied = fold([ev('tool_call.completed', { toolCallId: 'c9', name: 'delete_file', status: 'denied', isError: true, result: 'Denied by user' })], submitted);
    expect(denied.pendingApprovals).toEqual([]);
    expect(denied.submittedApprovals).toEqual([]);
    expect(denied.items[0]).toMatchObject({ step: { status: 'denied', isError: true } });
  });

  it('clears approvals when the run moves on from requires_action', () => {
    nextId = 1;
    const s = fold([
      ev('tool_call.approval_required', { toolCallId: 'c1', name: 't', arguments: '{}' }),
      ev('run.status', { status: 'requires_action' }),
      ev('run.status', { status: 'in_progress' }),
    ]);
    expect(s.pendingApprovals).toEqual([]);
  });

  it('picks up approvals already pending when attaching to a run', () => {
    nextId = 1;
    const s = fold([
      ev('run.created', { ...run, status: 'requires_action', pendingToolCalls: [{ toolCallId: 'c2', name: 'send_mail', arguments: '{}', reason: 'r' }] }),
    ]);
    expect(s.pendingApprovals.map((p) => p.toolCallId)).toEqual(['c2']);
    expect(s.items[0]).toMatchObject({ kind: 'tool', step: { toolCallId: 'c2', status: 'awaiting_approval' } });
  });

  it('finishes on done: final status, usage, streaming text closed and marked incomplete when cancelled', () => {
    nextId = 1;
    const s = fold([
      ev('message.delta', { text: 'Partial' }),
      ev('usage', { step: 0, inputTokens: 10, outputTokens: 3, total: 13 }),
      ev('done', { status: 'cancelled', usage: { inputTokens: 10, outputTokens: 3 } }),
    ]);
    expect(s.finished).toBe(true);
    expect(s.status).toBe('cancelled');
    expect(s.usage).toEqual({ inputTokens: 10, outputTokens: 3 });
    expect(s.items[0]).toMatchObject({ text: 'Partial', streaming: false, incomplete: true });
  });

  it('counts usage per step once', () => {
    nextId = 1;
    const s = fold([
      ev('usage', { step: 0, inputTokens: 10, outputTokens: 5 }),
      ev('usage', { step: 1, inputTokens: 20, outputTokens: 7 }),
      ev('usage', { step: 1, inputTokens: 20, outputTokens: 7 }),
    ]);
    expect(s.usage).toEqual({ inputTokens: 30, outputTokens: 12 });
  });

  it('keeps the problem of an error event', () => {
    nextId = 1;
    const s = fold([ev('error', { title: 'Model unavailable', status: 503, code: 'model_unavailable' }), ev('done', { status: 'failed' })]);
    expect(s.error).toMatchObject({ code: 'model_unavailable' });
    expect(s.status).toBe('failed');
  });

  it('skips malformed data and unknown event types but keeps the position', () => {
    nextId = 1;
    const malformed: RunAction = { type: 'event', event: { id: '5', event: 'message.delta', data: '{not json' } };
    const s = fold([malformed, ev('something.new', { x: 1 }, 6)]);
    expect(s.items).toEqual([]);
    expect(s.lastEventId).toBe(6);
  });
});
