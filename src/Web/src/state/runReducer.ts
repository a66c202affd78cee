import type { SseEvent } from '../api/sse';
import type { Message, PendingToolCall, ProblemDetails, Run, RunStatus } from '../api/types';

/** A tool call as the chat shows it: live from events, or rebuilt from stored messages. */
export interface ToolStep {
  toolCallId: string;
  name: string;
  /** Raw JSON text of the arguments. */
  arguments: string;
  /** `running`, `awaiting_approval`, or the server's final status (`completed`, `failed`, `denied`, ...). */
  status: string;
  isError?: boolean;
  result?: string;
  durationMs?: number;
}

export type RunItem =
  | { kind: 'assistant'; key: string; messageId?: string; text: string; streaming: boolean; incomplete?: boolean }
  | { kind: 'tool'; key: string; step: ToolStep };

export interface TokenCount {
  inputTokens: number;
  outputTokens: number;
}

export interface RunViewState {
  runId?: string;
  agentId?: string;
  userMessageId?: string;
  status: RunStatus | 'starting';
  /** Highest event id folded in; events at or below it are replays and are ignored. */
  lastEventId: number;
  /** Assistant messages and tool steps in the order they happened. */
  items: RunItem[];
  pendingApprovals: PendingToolCall[];
  /** Approvals whose decision has been sent but not yet acknowledged by the stream. */
  submittedApprovals: string[];
  error?: ProblemDetails;
  usage: TokenCount;
  stepUsage: Record<string, TokenCount>;
  /** True once `done` arrived: the stream is over and stored messages are authoritative. */
  finished: boolean;
  nextKey: number;
}

export type RunAction =
  | { type: 'reset' }
  | { type: 'event'; event: SseEvent }
  | { type: 'approval_submitted'; toolCallId: string }
  | { type: 'approval_failed'; toolCallId: string };

export function initialRunState(): RunViewState {
  return {
    status: 'starting',
    lastEventId: -1,
    items: [],
    pendingApprovals: [],
    submittedApprovals: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    stepUsage: {},
    finished: false,
    nextKey: 0,
  };
}

/**
 * Folds one run event (or a local action) into the view state. Pure, and idempotent against
 * replayed events: an event whose numeric id is not above the last one folded returns the same
 * state object.
 */
export function runReducer(state: RunViewState, action: RunAction): RunViewState {
  switch (action.type) {
    case 'reset':
      return initialRunState();
    case 'approval_submitted':
      return state.submittedApprovals.includes(action.toolCallId)
        ? state
        : { ...state, submittedApprovals: [...state.submittedApprovals, action.toolCallId] };
    case 'approval_failed':
      return { ...state, submittedApprovals: state.submittedApprovals.filter((id) => id !== action.toolCallId) };
    case 'event':
      return foldEvent(state, action.event);
  }
}

function foldEvent(state: RunViewState, event: SseEvent): RunViewState {
  let next = state;
  if (/^\d+$/.test(event.id)) {
    const id = Number(event.id);
    if (id <= state.lastEventId) return state;
    next = { ...state, lastEventId: id };
  }
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return next; // malformed payload: keep the position, show nothing
  }
  if (typeof data !== 'object' || data === null) return next;
  const d = data as Record<string, unknown>;

  switch (event.event) {
    case 'run.created':
      return onRunCreated(next, d as unknown as Run);
    case 'run.status': {
      const status = d['status'] as RunStatus;
      return {
        ...next,
        status,
        // Once the run leaves requires_action every decision has been taken.
        pendingApprovals: status === 'requires_action' ? next.pendingApprovals : [],
        submittedApprovals: status === 'requires_action' ? next.submittedApprovals : [],
      };
    }
    case 'message.delta':
      return onDelta(next, typeof d['text'] === 'string' ? d['text'] : '');
    case 'message.completed':
      return onMessageCompleted(next, d as unknown as Message);
    case 'tool_call.created':
      return upsertStep(next, String(d['toolCallId']), {
        name: String(d['name'] ?? ''),
        arguments: stringifyArguments(d['arguments']),
        status: 'running',
      });
    case 'tool_call.approval_required': {
      const pending: PendingToolCall = {
        toolCallId: String(d['toolCallId']),
        name: String(d['name'] ?? ''),
        arguments: stringifyArguments(d['arguments']),
      };
      if (typeof d['reason'] === 'string') pending.reason = d['reason'];
      if (typeof d['expiresAt'] === 'string') pending.expiresAt = d['expiresAt'];
      const withStep = upsertStep(next, pending.toolCallId, {
        name: pending.name,
        arguments: pending.arguments,
        status: 'awaiting_approval',
      });
      return { ...withStep, pendingApprovals: addPending(withStep.pendingApprovals, pending) };
    }
    case 'tool_call.completed': {
      const toolCallId = String(d['toolCallId']);
      const isError = d['isError'] === true;
      const patch: Partial<ToolStep> = {
        name: String(d['name'] ?? ''),
        arguments: stringifyArguments(d['arguments']),
        status: typeof d['status'] === 'string' ? d['status'] : isError ? 'failed' : 'completed',
        isError,
        result: stringifyResult(d['result']),
      };
      if (typeof d['durationMs'] === 'number') patch.durationMs = d['durationMs'];
      const withStep = upsertStep(next, toolCallId, patch);
      return {
        ...withStep,
        pendingApprovals: withStep.pendingApprovals.filter((p) => p.toolCallId !== toolCallId),
        submittedApprovals: withStep.submittedApprovals.filter((id) => id !== toolCallId),
      };
    }
    case 'usage': {
      // Keyed by step so that a step reported twice is counted once.
      const step = String(d['step'] ?? Object.keys(next.stepUsage).length);
      const stepUsage = {
        ...next.stepUsage,
        [step]: { inputTokens: numberOr(d['inputTokens'], 0), outputTokens: numberOr(d['outputTokens'], 0) },
      };
      const usage = Object.values(stepUsage).reduce(
        (sum, u) => ({ inputTokens: sum.inputTokens + u.inputTokens, outputTokens: sum.outputTokens + u.outputTokens }),
        { inputTokens: 0, outputTokens: 0 },
      );
      return { ...next, stepUsage, usage };
    }
    case 'error':
      return { ...next, error: d as ProblemDetails };
    case 'done': {
      const status = (d['status'] as RunStatus | undefined) ?? next.status;
      const usage = d['usage'] as Partial<TokenCount> | undefined;
      return {
        ...next,
        status,
        finished: true,
        pendingApprovals: [],
        submittedApprovals: [],
        usage: usage
          ? { inputTokens: numberOr(usage.inputTokens, 0), outputTokens: numberOr(usage.outputTokens, 0) }
          : next.usage,
        items: next.items.map((item) =>
          item.kind === 'assistant' && item.streaming
            ? { ...item, streaming: false, incomplete: status !== 'completed' }
            : item,
        ),
      };
    }
    default:
      return next; // unknown event types are ignored, so the server can add new ones
  }
}

function onRunCreated(state: RunViewState, run: Run): RunViewState {
  const next: RunViewState = { ...state, status: run.status ?? state.status };
  if (run.id) next.runId = run.id;
  if (run.agentId) next.agentId = run.agentId;
  if (run.userMessageId) next.userMessageId = run.userMessageId;
  // Attaching to a run that already waits for approval: show those calls as steps too.
  let withSteps = next;
  for (const p of run.pendingToolCalls ?? []) {
    withSteps = upsertStep(withSteps, p.toolCallId, { name: p.name, arguments: p.arguments, status: 'awaiting_approval' });
    withSteps = { ...withSteps, pendingApprovals: addPending(withSteps.pendingApprovals, p) };
  }
  return withSteps;
}

function onDelta(state: RunViewState, text: string): RunViewState {
  if (!text) return state;
  const index = openAssistantIndex(state.items);
  if (index === -1) {
    const item: RunItem = { kind: 'assistant', key: `a${state.nextKey}`, text, streaming: true };
    return { ...state, items: [...state.items, item], nextKey: state.nextKey + 1 };
  }
  const items = state.items.slice();
  const open = items[index] as Extract<RunItem, { kind: 'assistant' }>;
  items[index] = { ...open, text: open.text + text };
  return { ...state, items };
}

/** The stored message replaces what was streamed (it is authoritative, e.g. after a lost delta). */
function onMessageCompleted(state: RunViewState, message: Message): RunViewState {
  if (message.role !== 'assistant') return state;
  const completed = {
    messageId: message.id,
    text: message.content ?? '',
    streaming: false,
    incomplete: message.incomplete === true,
  };
  const existing = state.items.findIndex((i) => i.kind === 'assistant' && i.messageId === message.id);
  const index = existing !== -1 ? existing : openAssistantIndex(state.items);
  if (index === -1) {
    const item: RunItem = { kind: 'assistant', key: `a${state.nextKey}`, ...completed };
    return { ...state, items: [...state.items, item], nextKey: state.nextKey + 1 };
  }
  const items = state.items.slice();
  items[index] = { ...(items[index] as Extract<RunItem, { kind: 'assistant' }>), ...completed };
  return { ...state, items };
}

function openAssistantIndex(items: RunItem[]): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind === 'assistant' && item.streaming) return i;
  }
  return -1;
}

function upsertStep(state: RunViewState, toolCallId: string, patch: Partial<ToolStep>): RunViewState {
  const index = state.items.findIndex((i) => i.kind === 'tool' && i.step.toolCallId === toolCallId);
  if (index === -1) {
    const step: ToolStep = { toolCallId, name: '', arguments: '', status: 'running', ...dropEmpty(patch) };
    return { ...state, items: [...state.items, { kind: 'tool', key: `t${toolCallId}`, step }] };
  }
  const items = state.items.slice();
  const item = items[index] as Extract<RunItem, { kind: 'tool' }>;
  items[index] = { ...item, step: { ...item.step, ...dropEmpty(patch) } };
  return { ...state, items };
}

/** Later events may omit name/arguments; never overwrite known values with blanks. */
function dropEmpty(patch: Partial<ToolStep>): Partial<ToolStep> {
  const out: Partial<ToolStep> = {};
  for (const [key, value] of Object.entries(patch) as [keyof ToolStep, unknown][]) {
    if (value !== undefined && value !== '') (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

function addPending(list: PendingToolCall[], pending: PendingToolCall): PendingToolCall[] {
  return list.some((p) => p.toolCallId === pending.toolCallId) ? list : [...list, pending];
}

function stringifyArguments(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function stringifyResult(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
