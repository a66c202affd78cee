import { ApiError, apiErrorFromResponse, networkError } from './problem';
import { defaultSleep, streamEvents, type SseEvent, type StreamResult, type StreamState } from './sse';
import type {
  Agent,
  ChatThread,
  CreateRunRequest,
  Me,
  Message,
  Page,
  Run,
  UsageGroupBy,
  UsageReport,
} from './types';

export type TokenProvider = (options?: { forceRefresh?: boolean }) => Promise<string | null>;

export interface ApiClientOptions {
  /** `.../api`, absolute, no trailing slash. */
  baseUrl: string;
  getAccessToken: TokenProvider;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Attempts per request for transient failures (network, 408, 429, 5xx). Default 3. */
  maxAttempts?: number;
  /** Told whether each request reached the server (drives the offline banner). */
  onConnectivity?: (reachable: boolean) => void;
  /** Called when the API still answers 401 after a token refresh. */
  onUnauthorized?: () => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Whether repeating the request after a network error or 5xx is safe. Defaults to true for
   * GET/PUT/DELETE. A POST is only repeated after 429 (the server refused it before doing anything).
   */
  idempotent?: boolean;
  /** Extra request headers (e.g. `If-Match`). */
  headers?: Record<string, string>;
  /** Sees the successful response before its body is read (e.g. for an `ETag`). */
  onResponse?: (response: Response) => void;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** Decides whether a failed attempt is repeated; pure so that the policy is tested on its own. */
export function shouldRetry(error: ApiError, idempotent: boolean): boolean {
  if (error.status === 429) return true;
  return idempotent && error.isTransient;
}

export function retryDelayMs(attempt: number, error: ApiError, random: () => number): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, MAX_RETRY_DELAY_MS);
  const base = 400 * 2 ** (attempt - 1);
  return Math.round(Math.min(base, MAX_RETRY_DELAY_MS) * (0.8 + 0.4 * random()));
}

/**
 * The only place that talks HTTP to the API: base URL, bearer token, ProblemDetails errors,
 * retries of transient failures and one token refresh on 401.
 */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly getAccessToken: TokenProvider;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly onConnectivity: ((reachable: boolean) => void) | undefined;
  private readonly onUnauthorized: (() => void) | undefined;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.getAccessToken = options.getAccessToken;
    // Never call a detached window.fetch (Illegal invocation); wrap it.
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.onConnectivity = options.onConnectivity;
    this.onUnauthorized = options.onUnauthorized;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const idempotent = options.idempotent ?? method !== 'POST';
    const url = this.url(path, options.query);
    let refreshedToken = false;
    let forceRefresh = false;
    for (let attempt = 1; ; attempt++) {
      let error: ApiError;
      try {
        const response = await this.send(method, url, options, forceRefresh);
        forceRefresh = false;
        if (response.ok) {
          this.onConnectivity?.(true);
          options.onResponse?.(response);
          if (response.status === 204 || response.headers.get('content-length') === '0') return undefined as T;
          const text = await response.text();
          return (text ? JSON.parse(text) : undefined) as T;
        }
        this.onConnectivity?.(true);
        error = await apiErrorFromResponse(response);
        if (response.status === 401 && !refreshedToken) {
          // The token may have expired in flight: renew it once and repeat (not counted as an attempt).
          refreshedToken = true;
          forceRefresh = true;
          attempt--;
          continue;
        }
        if (response.status === 401) this.onUnauthorized?.();
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (err instanceof ApiError) throw err;
        if (err instanceof SyntaxError) {
          throw new ApiError(502, { title: 'The server sent an unreadable answer', detail: err.message, status: 502 });
        }
        this.onConnectivity?.(false);
        error = networkError(err);
      }
      if (attempt >= this.maxAttempts || !shouldRetry(error, idempotent)) throw error;
      await this.sleep(retryDelayMs(attempt, error, this.random), options.signal);
      if (options.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    }
  }

  private async send(method: string, url: string, options: RequestOptions, forceRefresh: boolean): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers, ...(await this.authHeader(forceRefresh)) };
    const init: RequestInit = { method, headers, cache: 'no-store' };
    if (options.signal) init.signal = options.signal;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    return this.fetchImpl(url, init);
  }

  private async authHeader(forceRefresh = false): Promise<Record<string, string>> {
    const token = await this.getAccessToken(forceRefresh ? { forceRefresh: true } : undefined);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  // --- endpoints -------------------------------------------------------------------------------

  me(signal?: AbortSignal): Promise<Me> {
    return this.request('GET', '/v1/me', { signal });
  }

  listAgents(signal?: AbortSignal): Promise<{ data: Agent[] }> {
    return this.request('GET', '/v1/agents', { signal });
  }

  async listThreads(cursor?: string | null, limit = 20, signal?: AbortSignal): Promise<Page<ChatThread>> {
    return toPage(await this.request<WirePage<ChatThread>>('GET', '/v1/threads', { query: { limit, cursor }, signal }));
  }

  createThread(title?: string): Promise<ChatThread> {
    return this.request('POST', '/v1/threads', { body: title ? { title } : {} });
  }

  renameThread(threadId: string, title: string): Promise<ChatThread> {
    return this.request('PATCH', `/v1/threads/${encodeURIComponent(threadId)}`, { body: { title } });
  }

  deleteThread(threadId: string): Promise<void> {
    return this.request('DELETE', `/v1/threads/${encodeURIComponent(threadId)}`);
  }

  /** Newest first (`order=desc`), so that older pages are fetched with `nextCursor`. */
  async listMessages(threadId: string, cursor?: string | null, limit = 50, signal?: AbortSignal): Promise<Page<Message>> {
    const page = await this.request<WirePage<Message>>('GET', `/v1/threads/${encodeURIComponent(threadId)}/messages`, {
      query: { limit, cursor, order: 'desc' },
      signal,
    });
    return toPage(page);
  }

  getRun(threadId: string, runId: string, signal?: AbortSignal): Promise<Run> {
    return this.request('GET', runPath(threadId, runId), { signal });
  }

  cancelRun(threadId: string, runId: string): Promise<Run> {
    // Cancelling twice is harmless, so it may be repeated.
    return this.request('POST', `${runPath(threadId, runId)}/cancel`, { idempotent: true });
  }

  submitApproval(threadId: string, runId: string, toolCallId: string, approve: boolean, reason?: string): Promise<Run> {
    const body: { toolCallId: string; approve: boolean; reason?: string } = { toolCallId, approve };
    if (reason) body.reason = reason;
    return this.request('POST', `${runPath(threadId, runId)}/approvals`, { body });
  }

  usage(groupBy: UsageGroupBy, from: Date, to: Date, signal?: AbortSignal): Promise<UsageReport> {
    return this.request('GET', '/v1/usage', { query: { groupBy, from: from.toISOString(), to: to.toISOString() }, signal });
  }

  /**
   * A GET event stream with no final event (such as the admin activity stream): read until aborted,
   * reconnecting after drops with a fresh token each time. Throws like `streamEvents` when it gives up.
   */
  streamGet(options: {
    path: string;
    query?: RequestOptions['query'];
    onEvent: (event: SseEvent) => void;
    onStateChange?: (state: StreamState) => void;
    signal?: AbortSignal;
  }): Promise<StreamResult> {
    return streamEvents({
      fetch: this.fetchImpl,
      sleep: this.sleep,
      random: this.random,
      idleTimeoutMs: 60_000,
      isFinal: () => false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
      request: async () => ({ url: this.url(options.path, options.query), headers: await this.authHeader() }),
      onEvent: options.onEvent,
    });
  }

  /**
   * Starts a run with streaming (`start`) or attaches to an existing one (`runId`), and delivers its
   * events until `done`. The run id is learnt from `run.created`, after which a dropped connection
   * resumes from `GET .../events` with `Last-Event-ID`. A start that fails before `run.created` is
   * not repeated (it could create a second run).
   */
  streamRun(options: {
    threadId: string;
    start?: CreateRunRequest;
    runId?: string;
    lastEventId?: string;
    onEvent: (event: SseEvent) => void;
    onStateChange?: (state: StreamState) => void;
    signal?: AbortSignal;
  }): Promise<StreamResult> {
    let runId = options.runId;
    let startSent = false;
    return streamEvents({
      fetch: this.fetchImpl,
      sleep: this.sleep,
      random: this.random,
      idleTimeoutMs: 60_000,
      ...(options.lastEventId !== undefined ? { lastEventId: options.lastEventId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
      request: async () => {
        const headers = await this.authHeader();
        if (runId) return { url: this.url(`${runPath(options.threadId, runId)}/events`), headers };
        if (!options.start || startSent) return null;
        startSent = true;
        return {
          url: this.url(`/v1/threads/${encodeURIComponent(options.threadId)}/runs`),
          method: 'POST',
          headers,
          body: JSON.stringify({ ...options.start, stream: true }),
        };
      },
      onEvent: (event) => {
        if (event.event === 'run.created' && !runId) {
          try {
            runId = (JSON.parse(event.data) as Run).id;
          } catch {
            // leave runId unknown: the stream cannot be resumed, but the events still flow
          }
        }
        options.onEvent(event);
      },
    });
  }
}

/** A page as the server sends it: `nextCursor` is left out (not null) on the last page. */
type WirePage<T> = { data?: T[] | null; nextCursor?: string | null };

function toPage<T>(page: WirePage<T> | undefined): Page<T> {
  return { data: page?.data ?? [], nextCursor: page?.nextCursor ?? null };
}

function runPath(threadId: string, runId: string): string {
  return `/v1/threads/${encodeURIComponent(threadId)}/runs/${encodeURIComponent(runId)}`;
}
