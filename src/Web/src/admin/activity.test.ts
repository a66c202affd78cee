import { describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../api/types';
import { activityReducer, compareNewestFirst, describeActivity, initialActivity, mergeEvents } from './activity';

function ev(n: number, extra: Partial<ActivityEvent> = {}): ActivityEvent {
  const at = new Date(Date.UTC(2026, 10, 22, 6, 0, n)).toISOString();
  return { id: `act_${String(n).padStart(4, '0')}`, type: 'policy.block', at, ...extra };
}

const ids = (events: ActivityEvent[]) => events.map((e) => e.id);

describe('mergeEvents', () => {
  it('puts the newest on top, whatever order events arrive in', () => {
    expect(ids(mergeEvents([ev(2)], [ev(1), ev(3)]))).toEqual(['act_0003', 'act_0002', 'act_0001']);
  });

  it('drops events it already holds (the recent list and the live stream overlap)', () => {
    const recent = [ev(3), ev(2), ev(1)];
    const merged = mergeEvents(recent, [ev(2), ev(4), ev(4)]);
    expect(ids(merged)).toEqual(['act_0004', 'act_0003', 'act_0002', 'act_0001']);
  });

  it('returns the same list when nothing is new', () => {
    const list = [ev(2), ev(1)];
    expect(mergeEvents(list, [ev(1), ev(2)])).toBe(list);
  });

  it('keeps at most the limit, dropping the oldest', () => {
    const many = Array.from({ length: 8 }, (_, i) => ev(i));
    const merged = mergeEvents([], many, 5);
    expect(ids(merged)).toEqual(['act_0007', 'act_0006', 'act_0005', 'act_0004', 'act_0003']);
    expect(mergeEvents(merged, [ev(1)], 5)).toEqual(merged);
  });

  it('orders events of the same time by id, and events without a readable time last', () => {
    const a = ev(1, { id: 'act_b' });
    const b = ev(1, { id: 'act_a' });
    const c = { ...ev(9), at: 'not a date' };
    expect(ids([b, c, a].sort(compareNewestFirst))).toEqual(['act_b', 'act_a', 'act_0009']);
  });

  it('ignores events without an id', () => {
    expect(mergeEvents([], [{ ...ev(1), id: '' }])).toEqual([]);
  });
});

describe('activityReducer', () => {
  it('shows events at once while live', () => {
    const s = activityReducer(initialActivity, { type: 'received', events: [ev(1), ev(2)] });
    expect(ids(s.events)).toEqual(['act_0002', 'act_0001']);
    expect(s.pending).toEqual([]);
  });

  it('holds new events while paused and shows them, de-duplicated, on resume', () => {
    let s = activityReducer(initialActivity, { type: 'received', events: [ev(1)] });
    s = activityReducer(s, { type: 'paused', paused: true });
    s = activityReducer(s, { type: 'received', events: [ev(1), ev(2), ev(3), ev(2)] });
    expect(ids(s.events)).toEqual(['act_0001']);
    expect(ids(s.pending)).toEqual(['act_0003', 'act_0002']);
    s = activityReducer(s, { type: 'paused', paused: false });
    expect(ids(s.events)).toEqual(['act_0003', 'act_0002', 'act_0001']);
    expect(s.pending).toEqual([]);
  });

  it('bounds what it holds while paused too', () => {
    let s = activityReducer(initialActivity, { type: 'paused', paused: true });
    s = activityReducer(s, { type: 'received', events: Array.from({ length: 10 }, (_, i) => ev(i)) }, 4);
    expect(s.pending).toHaveLength(4);
    s = activityReducer(s, { type: 'paused', paused: false }, 4);
    expect(ids(s.events)).toEqual(['act_0009', 'act_0008', 'act_0007', 'act_0006']);
  });

  it('empties the list when the filters change, keeping the pause', () => {
    let s = activityReducer(initialActivity, { type: 'received', events: [ev(1)] });
    s = activityReducer(s, { type: 'paused', paused: true });
    s = activityReducer(s, { type: 'cleared' });
    expect(s).toEqual({ events: [], pending: [], paused: true });
  });

  it('keeps the same state for a batch with nothing new', () => {
    const s = activityReducer(initialActivity, { type: 'received', events: [ev(1)] });
    expect(activityReducer(s, { type: 'received', events: [ev(1)] })).toBe(s);
  });
});

describe('describeActivity', () => {
  it('describes a policy decision: action, stage, tool, score, and the reason apart', () => {
    expect(
      describeActivity(ev(1, { type: 'policy.approval', action: 'require_approval', stage: 'tool_call', tool: 'send_email', score: 0.6, reason: 'Sends mail' })),
    ).toEqual({ decision: 'require approval · tool call · tool send_email · score 0.60', reason: 'Sends mail' });
  });

  it('describes a gateway request and an error', () => {
    expect(
      describeActivity(ev(1, { type: 'gateway.request', status: 200, surface: 'openai', model: 'sim-small', inputTokens: 12, outputTokens: 30, durationMs: 45, stream: true })),
    ).toEqual({ decision: '200 · openai · sim-small · 12 in / 30 out tokens · 45 ms · streamed' });
    expect(describeActivity(ev(1, { type: 'gateway.error', status: 403, code: 'policy_blocked' })).decision).toBe('403 · policy_blocked');
  });
});
