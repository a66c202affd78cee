// Shared setup of the SDK tests: the host under test, and an API key of alice's made through the real API.
//   AGENTS_GATEWAY_TEST_API  the host's base URL, e.g. http://127.0.0.1:7071
//   AGENTS_OIDC_ISSUER       the local OIDC provider that issues alice's token
import { obtainTokens } from '../../local/dev-token.mjs';

export const api = (process.env.AGENTS_GATEWAY_TEST_API ?? '').replace(/\/+$/, '');
const issuer = process.env.AGENTS_OIDC_ISSUER;

if (!api || !issuer) {
  throw new Error('Set AGENTS_GATEWAY_TEST_API (the host, whose model endpoint is the simulator) and AGENTS_OIDC_ISSUER; see docs/gateway.md.');
}

let cached;

/** Alice's access token and a new API key of hers (created once per test file). */
export async function credentials() {
  cached ??= (async () => {
    const { access_token: token } = await obtainTokens({ issuer, username: 'alice' });
    const res = await fetch(`${api}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `sdk-tests-${Date.now()}` }),
    });
    if (res.status !== 201) throw new Error(`creating an API key answered ${res.status}: ${await res.text()}`);
    const { key } = await res.json();
    return { token, key };
  })();
  return cached;
}

/** Calls our own API as alice (for admin routes the SDKs know nothing of). */
export async function adminFetch(path, init = {}) {
  const { token } = await credentials();
  return fetch(`${api}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
}

export const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};
