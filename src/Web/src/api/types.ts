// Wire types of the Agents API, from its OpenAPI document: schema.gen.ts is generated from openapi.json (the
// document the Functions app builds) by `npm run generate:api`, and `./dev openapi` refreshes both. The typecheck fails
// when either is stale, and this file fails to compile when the app relies on something the document does not say.
// Names here are the app's; where the server's member is a string with a fixed set of values, the app narrows it.
import type { components } from './schema.gen';

type Schemas = components['schemas'];

/** A schema with some members narrowed (the server types them as strings). */
type Narrow<T, N extends Partial<Record<keyof T, unknown>>> = Omit<T, keyof N> & N;

/** A problem from the server, or one the client makes up (a network failure), which may lack the server's members. */
export type ProblemDetails = Partial<Schemas['Problem']>;

/** A page of a list; the client reads an absent nextCursor (the last page) as null. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type Me = Schemas['MeResponse'];
export type RunParameters = Schemas['ModelParameters'];
export type AgentTool = Schemas['ToolGrant'];
export type Agent = Schemas['AgentDefinition'];
export type ChatThread = Schemas['ChatThread'];
export type Message = Schemas['ChatMessage'];
export type MessageRole = Message['role'];
export type ToolCall = Schemas['ToolCall'];
export type Run = Schemas['Run'];
export type RunStatus = Run['status'];

export const terminalRunStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

export type Usage = Schemas['TokenUsage'];
export type RunStep = Schemas['RunStep'];
/** As a run lists it; the tool_call.approval_required event may leave the reason and the expiry out. */
export type PendingToolCall = Narrow<Schemas['PendingToolCall'], { reason?: string; expiresAt?: string }>;
export type CreateRunRequest = Schemas['CreateRunRequest'];
export type UsageTotals = Schemas['UsageTotals'];
export type UsageGroup = Schemas['UsageGroup'];
/** The values of the usage routes' groupBy query parameter. */
export type UsageGroupBy = 'day' | 'agent' | 'model';
export type UsageReport = Narrow<Schemas['UsageReport'], { groupBy: UsageGroupBy }>;

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

export type PolicyInfo = Narrow<Schemas['PolicyInfo'], { stages: PolicyStageName[]; defaultFailMode: FailMode; settingsSchema: JsonSchema }>;

/** One chain entry as configured (file, stored); unset members come from the layer below. */
export type PolicyEntry = Schemas['PolicyEntry'];

/** Where an effective value came from, lowest precedence first (`test` only in test results). */
export type ValueSource = 'default' | 'file' | 'stored' | 'agent' | 'test';

/** `sources`: per setting name, and for `enabled`, `timeoutMs`, `failMode`. */
export type EffectiveEntry = Narrow<Schemas['EffectiveEntryView'], { failMode: FailMode; sources: Record<string, ValueSource> }>;

/** `source`: where the list of entries came from. */
export type PolicyChainView = Narrow<Schemas['PolicyChainView'], { source: 'file' | 'stored' | 'agent'; entries: EffectiveEntry[] }>;

export type PolicyTestRequest = Narrow<Schemas['PolicyTestRequest'], { surface?: 'openai' | 'anthropic' | 'run' | null }>;

export type PolicyActionName = 'pass' | 'modify' | 'block' | 'require_approval';

export type PolicyTestResult = Narrow<
  Schemas['PolicyTestResult'],
  {
    request: PolicyActionName;
    response?: PolicyActionName | null;
    toolCalls: Narrow<Schemas['PolicyToolCallResult'], { action: PolicyActionName }>[];
  }
>;

/** One event of the admins' activity stream; members that do not apply are left out. */
export type ActivityEvent = Schemas['ActivityEvent'];

export interface ActivityFilters {
  type?: string;
  userId?: string;
  policy?: string;
}
