import { describe, expect, it } from 'vitest';
import { jsonResponse, recordingSleep, scriptedFetch, streamResponse } from '../test/fakeFetch';
import { AdminApi, parseActivityEvent } from './admin';
import { ApiClient } from './client';
import { ApiError } from './problem';
import type { ActivityEvent } from './types';

function admin(answers: Parameters<typeof scriptedFetch>[0]) {
  const { fetch, requests } = scriptedFetch(answers);
  const { sleep } = recordingSleep();
  const api = new ApiClient({ baseUrl: 'http://h/api', fetch, sleep, random: () => 0.5, getAccessToken: async () => 'tok' });
  return { admin: new AdminApi(api), requests };
}

const chainView = { source: 'stored', storedVersion: 2, entries: [], stored: [], file: [] };

describe('AdminApi', () => {
  it("reads the chain's ETag and sends it back as If-Match", async () => {
    const c = admin([jsonResponse(chainView, 200, { ETag: '"00a1-etag"' }), jsonResponse(chainView)]);
    const read = await c.admin.getChain('agent 1');
    expect(read.etag).toBe('"00a1-etag"');
    expect(c.requests[0]!.url).toBe('http://h/api/v1/admin/policies/chain?agentId=agent+1');
    await c.admin.setChain([{ policy: 'size-limit', id: 'size-limit' }], read.etag);
    expect(c.requests[1]).toMatchObject({ method: 'PUT', url: 'http://h/api/v1/admin/policies/chain' });
    expect(c.requests[1]!.headers['if-match']).toBe('"00a1-etag"');
    expect(JSON.parse(c.requests[1]!.body!)).toEqual({ chain: [{ policy: 'size-limit', id: 'size-limit' }] });
  });

  it('sends no If-Match when nothing was stored, and answers a null ETag then', async () => {
    const c = admin([jsonResponse({ ...chainView, stored: null }), jsonResponse(chainView)]);
    expect((await c.admin.getChain()).etag).toBeNull();
    await c.admin.setChain([], null);
    expect(c.requests[1]!.headers['if-match']).toBeUndefined();
  });

  it("surfaces a 400's field errors and a conflict as ApiErrors", async () => {
    const c = admin([
      jsonResponse({ status: 400, code: 'validation_failed', errors: { 'chain[0].settings.blockThreshold': ['must be between 0 and 1'] } }, 400),
      jsonResponse({ status: 409, code: 'policy_chain_changed', title: 'Someone else changed the chain first' }, 409),
    ]);
    const bad = await c.admin.setChain([], 'e').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).problem.errors).toEqual({ 'chain[0].settings.blockThreshold': ['must be between 0 and 1'] });
    const conflict = (await c.admin.setChain([], 'e').catch((e: unknown) => e)) as ApiError;
    expect([conflict.status, conflict.code]).toEqual([409, 'policy_chain_changed']);
  });

  it('asks for recent activity with the filters and reads the list', async () => {
    const e: ActivityEvent = { id: 'act_1', type: 'policy.block', at: '2026-11-22T06:00:00Z' };
    const c = admin([jsonResponse({ data: [e] })]);
    await expect(c.admin.recentActivity({ type: 'policy', userId: '', policy: 'tool-judge' }, 200)).resolves.toEqual([e]);
    expect(c.requests[0]!.url).toBe('http://h/api/v1/admin/activity/recent?limit=200&type=policy&policy=tool-judge');
  });

  it('streams live activity with the bearer token until aborted, skipping comments and bad data', async () => {
    const controller = new AbortController();
    const received: ActivityEvent[] = [];
    const c = admin([
      streamResponse({
        chunks: [
          'retry: 1000\n\n: keep-alive\n\n',
          'id: act_1\nevent: policy.block\ndata: {"id":"act_1","type":"policy.block","at":"2026-11-22T06:00:00Z","policy":"tool-judge"}\n\n',
          'id: act_2\nevent: gateway.request\ndata: not json\n\n',
        ],
      }),
    ]);
    const done = c.admin.streamActivity({
      filters: { type: 'policy.block' },
      signal: controller.signal,
      onEvents: (events) => {
        received.push(...events);
        controller.abort();
      },
    });
    await expect(done).resolves.toMatchObject({ outcome: 'aborted' });
    expect(received.map((e) => [e.id, e.policy])).toEqual([['act_1', 'tool-judge']]);
    expect(c.requests[0]!.url).toBe('http://h/api/v1/admin/activity?type=policy.block');
    expect(c.requests[0]!.headers['authorization']).toBe('Bearer tok');
    expect(c.requests[0]!.headers['accept']).toBe('text/event-stream');
  });
});

describe('parseActivityEvent', () => {
  it('fills id and type from the SSE fields when the data lacks them', () => {
    expect(parseActivityEvent({ id: 'act_9', event: 'policy.decision', data: '{"at":"x"}' })).toEqual({ id: 'act_9', type: 'policy.decision', at: 'x' });
    expect(parseActivityEvent({ id: '', event: 'message', data: '{}' })).toBeNull();
    expect(parseActivityEvent({ id: 'a', event: 'message', data: '[1]' })).toBeNull();
  });
});
