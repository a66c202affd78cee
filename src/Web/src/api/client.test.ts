import { describe, expect, it } from 'vitest';
import { jsonResponse, recordingSleep, scriptedFetch, sse, streamResponse } from '../test/fakeFetch';
import { ApiClient } from './client';
import { ApiError } from './problem';
import type { SseEvent } from './sse';

function client(answers: Parameters<typeof scriptedFetch>[0], extra: { tokens?: string[] } = {}) {
  const { fetch, requests } = scriptedFetch(answers);
  const { sleep, delays } = recordingSleep();
  const tokens = extra.tokens ?? ['tok-1', 'tok-2', 'tok-3'];
  const tokenCalls: (boolean | undefined)[] = [];
  const connectivity: boolean[] = [];
  let unauthorized = 0;
  const api = new ApiClient({
    baseUrl: 'http://127.0.0.1:7071/api/',
    fetch,
    sleep,
    random: () => 0.5,
    getAccessToken: async (options) => {
      tokenCalls.push(options?.forceRefresh);
      return options?.forceRefresh ? tokens[1]! : tokens[0]!;
    },
    onConnectivity: (r) => connectivity.push(r),
    onUnauthorized: () => unauthorized++,
  });
  return { api, requests, delays, tokenCalls, connectivity, unauthorized: () => unauthorized };
}

describe('ApiClient', () => {
  it('sends the bearer token to the base URL and parses JSON', async () => {
    const c = client([jsonResponse({ data: [], nextCursor: null })]);
    await expect(c.api.listThreads('abc', 20)).resolves.toEqual({ data: [], nextCursor: null });
    expect(c.requests[0]!.url).toBe('http://127.0.0.1:7071/api/v1/threads?limit=20&cursor=abc');
    expect(c.requests[0]!.headers['authorization']).toBe('Bearer tok-1');
  });

  it('reads a last page without nextCursor (the server leaves nulls out) as nextCursor null', async () => {
    const c = client([jsonResponse({ data: [] }), jsonResponse({ data: [{ id: 'm1' }] })]);
    await expect(c.api.listMessages('t1')).resolves.toEqual({ data: [], nextCursor: null });
    await expect(c.api.listThreads()).resolves.toEqual({ data: [{ id: 'm1' }], nextCursor: null });
  });

  it('returns undefined for 204', async () => {
    const c = client([new Response(null, { status: 204 })]);
    await expect(c.api.deleteThread('t/1')).resolves.toBeUndefined();
    expect(c.requests[0]!.url).toBe('http://127.0.0.1:7071/api/v1/threads/t%2F1');
    expect(c.requests[0]!.method).toBe('DELETE');
  });

  it('throws ProblemDetails as ApiError', async () => {
    const c = client([jsonResponse({ title: 'Thread not found', status: 404, code: 'thread_not_found' }, 404)]);
    const error = await c.api.renameThread('x', 'New').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('thread_not_found');
    expect(c.requests).toHaveLength(1);
  });

  it('retries a GET after 503 and a network error, with backoff', async () => {
    const c = client([jsonResponse({ title: 'Unavailable' }, 503), new TypeError('Failed to fetch'), jsonResponse({ data: [] })]);
    await expect(c.api.listAgents()).resolves.toEqual({ data: [] });
    expect(c.requests).toHaveLength(3);
    expect(c.delays).toEqual([400, 800]);
    expect(c.connectivity).toEqual([true, false, true]);
  });

  it('waits as long as Retry-After says on 429, also for a POST', async () => {
    const c = client([jsonResponse({ title: 'Too many requests' }, 429, { 'Retry-After': '2' }), jsonResponse({ id: 't1' }, 201)]);
    await expect(c.api.createThread()).resolves.toEqual({ id: 't1' });
    expect(c.delays).toEqual([2000]);
  });

  it('does not repeat a POST after a 500 or a network error', async () => {
    const c = client([jsonResponse({ title: 'Boom' }, 500)]);
    await expect(c.api.createThread('x')).rejects.toMatchObject({ status: 500 });
    expect(c.requests).toHaveLength(1);

    const n = client([new TypeError('Failed to fetch')]);
    await expect(n.api.createThread('x')).rejects.toMatchObject({ status: 0, code: 'network_error' });
    expect(n.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts', async () => {
    const c = client([jsonResponse({}, 502), jsonResponse({}, 502), jsonResponse({}, 502)]);
    await expect(c.api.me()).rejects.toMatchObject({ status: 502 });
    expect(c.requests).toHaveLength(3);
  });

  it('refreshes the token once on 401 and repeats the request', async () => {
    const c = client([jsonResponse({ title: 'Unauthorized' }, 401), jsonResponse({ displayName: 'Alice Admin' })]);
    await expect(c.api.me()).resolves.toEqual({ displayName: 'Alice Admin' });
    expect(c.requests.map((r) => r.headers['authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(c.tokenCalls).toEqual([undefined, true]);
  });

  it('reports a 401 that survives the refresh', async () => {
    const c = client([jsonResponse({ title: 'Unauthorized' }, 401), jsonResponse({ title: 'Unauthorized' }, 401)]);
    await expect(c.api.me()).rejects.toMatchObject({ status: 401 });
    expect(c.requests).toHaveLength(2);
    expect(c.unauthorized()).toBe(1);
  });

  it('sends approvals and usage queries in the documented shape', async () => {
    const c = client([jsonResponse({ id: 'r1' }, 202), jsonResponse({ groups: [] })]);
    await c.api.submitApproval('t1', 'r1', 'c1', false, 'Not now');
    await c.api.usage('day', new Date('2026-11-01T00:00:00Z'), new Date('2026-11-22T00:00:00Z'));
    expect(c.requests[0]!.url).toBe('http://127.0.0.1:7071/api/v1/threads/t1/runs/r1/approvals');
    expect(JSON.parse(c.requests[0]!.body!)).toEqual({ toolCallId: 'c1', approve: false, reason: 'Not now' });
    expect(c.requests[1]!.url).toBe(
      'http://127.0.0.1:7071/api/v1/usage?groupBy=day&from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-22T00%3A00%3A00.000Z',
    );
  });

  it('streams a new run with POST and resumes from the events endpoint after a drop', async () => {
    const run = { id: 'run_7', threadId: 't1', status: 'queued' };
    const c = client([
      streamResponse({ chunks: [sse(1, 'run.created', run), sse(2, 'message.delta', { text: 'Hi' })], end: 'drop' }),
      streamResponse({ chunks: [sse(3, 'message.delta', { text: '!' }), sse(4, 'done', { status: 'completed' })] }),
    ]);
    const events: SseEvent[] = [];
    const result = await c.api.streamRun({
      threadId: 't1',
      start: { message: 'Hello', agentId: 'default', parameters: { temperature: 0.2 } },
      onEvent: (e) => events.push(e),
    });
    expect(result.outcome).toBe('done');
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4']);
    expect(c.requests[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:7071/api/v1/threads/t1/runs' });
    expect(JSON.parse(c.requests[0]!.body!)).toEqual({ message: 'Hello', agentId: 'default', parameters: { temperature: 0.2 }, stream: true });
    expect(c.requests[1]).toMatchObject({ method: 'GET', url: 'http://127.0.0.1:7071/api/v1/threads/t1/runs/run_7/events' });
    expect(c.requests[1]!.headers['last-event-id']).toBe('2');
    expect(c.requests[1]!.headers['authorization']).toBe('Bearer tok-1');
  });

  it('does not repeat the start of a run that failed before run.created', async () => {
    const c = client([new TypeError('Failed to fetch')]);
    const error = await c.api.streamRun({ threadId: 't1', start: { message: 'Hello' }, onEvent: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(c.requests).toHaveLength(1);
  });
});
