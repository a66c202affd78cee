import type { ApiClient } from './client';
import type { SseEvent, StreamResult, StreamState } from './sse';
import type {
  ActivityEvent,
  ActivityFilters,
  PolicyChainView,
  PolicyEntry,
  PolicyInfo,
  PolicyTestRequest,
  PolicyTestResult,
} from './types';

/** The chain as read, with the stored document's ETag (absent while no chain is stored). */
export interface ChainWithETag {
  chain: PolicyChainView;
  etag: string | null;
}

/** The admin routes (role Agents.Admin) of the policy pipeline and the activity stream, on top of ApiClient. */
export class AdminApi {
  constructor(private readonly api: ApiClient) {}

  async listPolicies(signal?: AbortSignal): Promise<PolicyInfo[]> {
    const list = await this.api.request<{ data?: PolicyInfo[] | null }>('GET', '/v1/admin/policies', { signal });
    return list?.data ?? [];
  }

  async getChain(agentId?: string | null, signal?: AbortSignal): Promise<ChainWithETag> {
    let etag: string | null = null;
    const chain = await this.api.request<PolicyChainView>('GET', '/v1/admin/policies/chain', {
      query: { agentId },
      signal,
      onResponse: (response) => {
        etag = response.headers.get('etag');
      },
    });
    return { chain, etag };
  }

  /** Stores the chain; with `etag`, only if nobody changed it since (409 `policy_chain_changed`, or 412). */
  setChain(chain: PolicyEntry[], etag: string | null): Promise<PolicyChainView> {
    return this.api.request('PUT', '/v1/admin/policies/chain', {
      body: { chain },
      ...(etag ? { headers: { 'If-Match': etag } } : {}),
    });
  }

  /** Deletes the stored chain: the file defaults apply again. */
  resetChain(): Promise<void> {
    return this.api.request('DELETE', '/v1/admin/policies/chain');
  }

  testPolicies(sample: PolicyTestRequest, signal?: AbortSignal): Promise<PolicyTestResult> {
    // Nothing is stored and only the judge calls a model, so a repeat is harmless.
    return this.api.request('POST', '/v1/admin/policies/test', { body: sample, signal, idempotent: true });
  }

  async recentActivity(filters: ActivityFilters, limit = 100, signal?: AbortSignal): Promise<ActivityEvent[]> {
    const list = await this.api.request<{ data?: ActivityEvent[] | null }>('GET', '/v1/admin/activity/recent', {
      query: { limit, ...filters },
      signal,
    });
    return list?.data ?? [];
  }

  /** Live events until aborted; events whose data is not a JSON object are skipped. */
  streamActivity(options: {
    filters: ActivityFilters;
    onEvents: (events: ActivityEvent[]) => void;
    onStateChange?: (state: StreamState) => void;
    signal?: AbortSignal;
  }): Promise<StreamResult> {
    return this.api.streamGet({
      path: '/v1/admin/activity',
      query: { ...options.filters },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
      onEvent: (event: SseEvent) => {
        const parsed = parseActivityEvent(event);
        if (parsed) options.onEvents([parsed]);
      },
    });
  }
}

/** An SSE event of the activity stream as an ActivityEvent (the `id:` and `event:` fields fill gaps in the data). */
export function parseActivityEvent(event: SseEvent): ActivityEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const e = data as Partial<ActivityEvent>;
  const id = typeof e.id === 'string' && e.id ? e.id : event.id;
  const type = typeof e.type === 'string' && e.type ? e.type : event.event;
  if (!id) return null;
  return { ...e, id, type, at: typeof e.at === 'string' ? e.at : '' } as ActivityEvent;
}
