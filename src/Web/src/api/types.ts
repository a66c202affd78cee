// Wire types of the Agents API (JSON, camelCase). Kept in one place so a contract change is one diff.

export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  traceId?: string;
  errors?: Record<string, string[]>;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Me {
  userId: string;
  tenantId: string;
  displayName: string;
  kind: string;
  roles: string[];
  scopes: string[];
  tier: string;
}

export interface RunParameters {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
}

export interface AgentTool {
  name: string;
  approval: 'never' | 'always' | 'policy';
}

export interface Agent {
  id: string;
  ownerId: string;
  name: string;
  instructions: string;
  model: string;
  defaults: RunParameters;
  tools: AgentTool[];
  maxSteps: number;
  stepTimeoutSeconds: number;
}

export interface ChatThread {
  id: string;
  title: string | null;
  metadata?: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  activeRunId?: string | null;
}

export type MessageRole = 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text as produced by the model (may be malformed). */
  arguments: string;
}

export interface Message {
  id: string;
  threadId: string;
  role: MessageRole;
  content: string;
  toolCalls?: ToolCall[] | null;
  toolCallId?: string | null;
  name?: string | null;
  runId?: string | null;
  agentId?: string | null;
  incomplete?: boolean | null;
  createdAt: string;
}

export type RunStatus =
  | 'queued'
  | 'in_progress'
  | 'requires_action'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'expired';

export const terminalRunStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number;
}

export interface RunStep {
  index: number;
  kind: 'model_call' | 'tool_call';
  status: string;
  model?: string;
  toolCallId?: string;
  toolName?: string;
  arguments?: string;
  resultSummary?: string;
  usage?: Usage;
  startedAt: string;
  completedAt?: string;
}

export interface PendingToolCall {
  toolCallId: string;
  name: string;
  arguments: string;
  reason?: string;
  expiresAt?: string;
}

export interface Run {
  id: string;
  threadId: string;
  agentId: string;
  status: RunStatus;
  parameters?: RunParameters;
  userMessageId?: string;
  steps: RunStep[];
  pendingToolCalls: PendingToolCall[];
  usage?: Usage;
  error?: ProblemDetails | null;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
}

export interface CreateRunRequest {
  message: string;
  agentId?: string;
  parameters?: RunParameters;
  stream?: boolean;
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  calls: number;
}

export interface UsageGroup extends UsageTotals {
  key: string;
}

export type UsageGroupBy = 'day' | 'agent' | 'model';

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageGroupBy;
  total: UsageTotals;
  groups: UsageGroup[];
}

// --- admin: policies and activity (role Agents.Admin) --------------------------------------------

/** The subset of JSON Schema the server's settings schemas use (anything else falls back to a JSON editor). */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  maxLength?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
}

export type PolicyStageName = 'request' | 'response' | 'tool_call';
export type FailMode = 'open' | 'closed';

export interface PolicyInfo {
  name: string;
  description: string;
  stages: PolicyStageName[];
  defaultTimeoutMs: number;
  defaultFailMode: FailMode;
  settingsSchema: JsonSchema;
}

/** One chain entry as configured (file, stored); unset members come from the layer below. */
export interface PolicyEntry {
  policy?: string | null;
  id?: string | null;
  enabled?: boolean | null;
  timeoutMs?: number | null;
  failMode?: string | null;
  settings?: Record<string, unknown> | null;
}

/** Where an effective value came from, lowest precedence first (`test` only in test results). */
export type ValueSource = 'default' | 'file' | 'stored' | 'agent' | 'test';

export interface EffectiveEntry {
  id: string;
  policy: string;
  enabled: boolean;
  timeoutMs: number;
  failMode: FailMode;
  settings: Record<string, unknown>;
  /** Per setting name, and for `enabled`, `timeoutMs`, `failMode`. */
  sources: Record<string, ValueSource>;
}

export interface PolicyChainView {
  /** Where the list of entries came from. */
  source: 'file' | 'stored' | 'agent';
  storedVersion: number;
  updatedBy?: string | null;
  updatedAt?: string | null;
  agentId?: string | null;
  entries: EffectiveEntry[];
  stored?: PolicyEntry[] | null;
  file: PolicyEntry[];
}

export interface PolicyTestRequest {
  policy?: string;
  settings?: Record<string, unknown>;
  chain?: PolicyEntry[];
  agentId?: string;
  surface?: 'openai' | 'anthropic' | 'run';
  request?: Record<string, unknown>;
  response?: string;
  toolCalls?: { name: string; arguments?: string }[];
}

export type PolicyActionName = 'pass' | 'modify' | 'block' | 'require_approval';

export interface PolicyTestResult {
  request: PolicyActionName;
  modifiedRequest?: Record<string, unknown> | null;
  response?: PolicyActionName | null;
  responseText?: string | null;
  toolCalls: { name: string; action: PolicyActionName; policy?: string | null; reason?: string | null }[];
  decisions: ActivityEvent[];
}

/** One event of the admins' activity stream; members that do not apply are left out. */
export interface ActivityEvent {
  id: string;
  type: string;
  at: string;
  instance?: string;
  surface?: string;
  userId?: string;
  requestId?: string;
  model?: string;
  agentId?: string;
  runId?: string;
  policy?: string;
  stage?: string;
  action?: string;
  tool?: string;
  reason?: string;
  score?: number;
  status?: number;
  code?: string;
  stream?: boolean;
  partial?: boolean;
  inputTokens?: number;
  outputTokens?: number;
  durationMs?: number;
}

export interface ActivityFilters {
  type?: string;
  userId?: string;
  policy?: string;
}
