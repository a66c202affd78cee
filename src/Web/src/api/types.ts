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
