import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config';

const sample = {
  apiBaseUrl: 'http://127.0.0.1:7071/api/',
  auth: {
    authority: 'http://127.0.0.1:8090/',
    clientId: 'agents-spa',
    scopes: ['openid', 'profile', 'offline_access', 'api://agents/Agents.Access'],
    redirectPath: '/auth/callback',
  },
};

describe('parseConfig', () => {
  it('normalises URLs', () => {
    const config = parseConfig(sample, 'http://127.0.0.1:7071');
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:7071/api');
    expect(config.auth.authority).toBe('http://127.0.0.1:8090');
  });

  it('resolves a relative apiBaseUrl against the page origin', () => {
    expect(parseConfig({ ...sample, apiBaseUrl: '/api' }, 'http://127.0.0.1:5173').apiBaseUrl).toBe('http://127.0.0.1:5173/api');
  });

  it('names the missing or invalid setting', () => {
    const { clientId: _omit, ...authWithoutClient } = sample.auth;
    expect(() => parseConfig({ ...sample, auth: authWithoutClient }, 'http://x')).toThrow(/auth\.clientId/);
    expect(() => parseConfig({ ...sample, apiBaseUrl: '' }, 'http://x')).toThrow(/apiBaseUrl/);
    expect(() => parseConfig({ ...sample, auth: { ...sample.auth, scopes: [] } }, 'http://x')).toThrow(/auth\.scopes/);
    expect(() => parseConfig({ ...sample, auth: { ...sample.auth, scopes: ['profile'] } }, 'http://x')).toThrow(/openid/);
    expect(() => parseConfig({ ...sample, auth: { ...sample.auth, redirectPath: 'auth/callback' } }, 'http://x')).toThrow(/redirectPath/);
    expect(() => parseConfig({ ...sample, auth: { ...sample.auth, authority: '/relative' } }, 'http://x')).toThrow(ConfigError);
    expect(() => parseConfig([], 'http://x')).toThrow(ConfigError);
  });
});

describe('loadConfig', () => {
  it('fetches /config.json without cache', async () => {
    let seen: { url: string; init: RequestInit | undefined } | undefined;
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      seen = { url, init };
      return new Response(JSON.stringify(sample), { headers: { 'Content-Type': 'application/json' } });
    }) as unknown as typeof fetch;
    const config = await loadConfig(fetchImpl, 'http://127.0.0.1:7071');
    expect(config.auth.clientId).toBe('agents-spa');
    expect(seen?.url).toBe('http://127.0.0.1:7071/config.json');
    expect(seen?.init?.cache).toBe('no-store');
  });

  it('fails with a clear message when the file is missing', async () => {
    const fetchImpl = (async () => new Response('not found', { status: 404 })) as unknown as typeof fetch;
    await expect(loadConfig(fetchImpl, 'http://x')).rejects.toThrow('Could not fetch /config.json: HTTP 404.');
  });
});
