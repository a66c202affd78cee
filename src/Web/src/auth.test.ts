import { describe, expect, it } from 'vitest';
import { createUserManagerSettings, safeReturnPath } from './auth';
import type { AppConfig } from './config';

class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

const config: AppConfig = {
  apiBaseUrl: 'http://127.0.0.1:7071/api',
  auth: {
    authority: 'http://127.0.0.1:8090',
    clientId: 'agents-spa',
    scopes: ['openid', 'profile', 'offline_access', 'api://agents/Agents.Access'],
    redirectPath: '/auth/callback',
  },
};

describe('createUserManagerSettings', () => {
  it('asks for code + PKCE with the configured client, scopes and redirect URIs', () => {
    const settings = createUserManagerSettings(config, 'http://127.0.0.1:5173', new MemoryStorage());
    expect(settings).toMatchObject({
      authority: 'http://127.0.0.1:8090',
      client_id: 'agents-spa',
      response_type: 'code',
      scope: 'openid profile offline_access api://agents/Agents.Access',
      redirect_uri: 'http://127.0.0.1:5173/auth/callback',
      post_logout_redirect_uri: 'http://127.0.0.1:5173/',
      automaticSilentRenew: true,
      loadUserInfo: false,
    });
  });

  it('keeps the user (tokens) and the sign-in state in the given session storage', async () => {
    const session = new MemoryStorage();
    const settings = createUserManagerSettings(config, 'http://127.0.0.1:7071', session);
    await settings.userStore!.set('user:test', '{"access_token":"secret"}');
    await settings.stateStore!.set('state-1', '{"code_verifier":"v"}');
    expect(session.getItem('agents.oidc.user:test')).toBe('{"access_token":"secret"}');
    expect(session.getItem('agents.oidc.state-1')).toBe('{"code_verifier":"v"}');
  });
});

describe('safeReturnPath', () => {
  it('allows only same-origin paths', () => {
    expect(safeReturnPath('/threads/abc')).toBe('/threads/abc');
    expect(safeReturnPath('//evil.example/x')).toBe('/');
    expect(safeReturnPath('/\\evil.example')).toBe('/');
    expect(safeReturnPath('https://evil.example/')).toBe('/');
    expect(safeReturnPath(undefined)).toBe('/');
  });
});
