// The activity list: recent events, then live ones, de-duplicated by id, newest first, bounded; and
// while paused, what arrived meanwhile. Pure, so the list's rules are tested without a stream.

import type { ActivityEvent } from '../api/types';

/** The most events the list keeps (older ones fall off the end). */
export const MAX_EVENTS = 500;

function time(e: ActivityEvent): number {
  const t = Date.parse(e.at);
  return Number.isNaN(t) ? -Infinity : t;
}

/** Newest first: by time, then by id (ids are time-ordered, so this also orders events of one millisecond). */
export function compareNewestFirst(a: ActivityEvent, b: ActivityEvent): number {
  const dt = time(b) - time(a);
  if (dt !== 0 && !Number.isNaN(dt)) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * `current` plus the events of `incoming` it does not hold yet (by id), newest first, at most `limit`.
 * Returns `current` itself when nothing is new, so that a replayed batch causes no re-render.
 */
export function mergeEvents(current: ActivityEvent[], incoming: ActivityEvent[], limit: number = MAX_EVENTS): ActivityEvent[] {
  const seen = new Set(current.map((e) => e.id));
  const fresh: ActivityEvent[] = [];
  for (const e of incoming) {
    if (!e.id || seen.has(e.id)) continue;
    seen.add(e.id);
    fresh.push(e);
  }
  if (fresh.length === 0 && current.length <= limit) return current;
  const merged = [...current, ...fresh].sort(compareNewestFirst);
  return merged.length > limit ? merged.slice(0, limit) : merged;
}

export interface ActivityState {
  events: ActivityEvent[];
  /** Arrived while paused, not shown yet. */
  pending: ActivityEvent[];
  paused: boolean;
}

export type ActivityAction =
  | { type: 'received'; events: ActivityEvent[] }
  | { type: 'paused'; paused: boolean }
  | { type: 'cleared' };

export const initialActivity: ActivityState = { events: [], pending: [], paused: false };

export function activityReducer(state: ActivityState, action: ActivityAction, limit: number = MAX_EVENTS): ActivityState {
  switch (action.type) {
    case 'received': {
      if (!state.paused) {
        const events = mergeEvents(state.events, action.events, limit);
        return events === state.events ? state : { ...state, events };
      }
      const shown = new Set(state.events.map((e) => e.id));
      const pending = mergeEvents(state.pending, action.events.filter((e) => !shown.has(e.id)), limit);
      return pending === state.pending ? state : { ...state, pending };
    }
    case 'paused':
      if (action.paused === state.paused) return state;
      if (action.paused) return { ...state, paused: true };
      return { events: mergeEvents(state.events, state.pending, limit), pending: [], paused: false };
    case 'cleared':
      return { ...initialActivity, paused: state.paused };
  }
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2);
}

/** The "decision / reason" column of a row: what happened, and why when there is a reason. */
export function describeActivity(e: ActivityEvent): { decision: string; reason?: string } {
  const parts: string[] = [];
  if (e.type.startsWith('policy.')) {
    if (e.action) parts.push(e.action.replace(/_/g, ' '));
    if (e.stage) parts.push(e.stage === 'tool_call' ? 'tool call' : e.stage);
    if (e.tool) parts.push(`tool ${e.tool}`);
    if (typeof e.score === 'number') parts.push(`score ${formatScore(e.score)}`);
  } else {
    if (typeof e.status === 'number') parts.push(String(e.status));
    if (e.code) parts.push(e.code);
    if (e.surface) parts.push(e.surface);
    if (e.model) parts.push(e.model);
    if (typeof e.inputTokens === 'number' || typeof e.outputTokens === 'number') {
      parts.push(`${e.inputTokens ?? 0} in / ${e.outputTokens ?? 0} out tokens`);
    }
    if (typeof e.durationMs === 'number') parts.push(`${e.durationMs} ms`);
    if (e.stream) parts.push(e.partial ? 'streamed, cut short' : 'streamed');
    else if (e.partial) parts.push('cut short');
  }
  const view: { decision: string; reason?: string } = { decision: parts.join(' · ') };
  if (e.reason) view.reason = e.reason;
  return view;
}

/** How a type is shown: its tone in the list. */
export function activityTone(type: string): 'danger' | 'warning' | 'info' | 'neutral' {
  if (type === 'policy.block' || type === 'gateway.error') return 'danger';
  if (type === 'policy.approval') return 'warning';
  if (type.startsWith('policy.')) return 'info';
  return 'neutral';
}

/** The type filter's choices: exact types, and prefixes that match a family (`policy` → every `policy.*`). */
export const activityTypeChoices: { value: string; label: string }[] = [
  { value: '', label: 'All types' },
  { value: 'policy', label: 'policy.* (every policy event)' },
  { value: 'policy.block', label: 'policy.block' },
  { value: 'policy.approval', label: 'policy.approval' },
  { value: 'policy.decision', label: 'policy.decision' },
  { value: 'gateway', label: 'gateway.* (requests and errors)' },
  { value: 'gateway.request', label: 'gateway.request' },
  { value: 'gateway.error', label: 'gateway.error' },
];
