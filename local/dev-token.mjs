// Gets tokens for a local user through the real authorization code + PKCE flow, over plain HTTP with no
// browser: discovery -> /auth -> login form -> (automatic consent) -> redirect_uri?code -> /token.
//
//   node local/dev-token.mjs alice [--issuer http://127.0.0.1:8090] [--json] [--password PW]
//                                  [--scope S] [--client-id ID] [--redirect-uri URI]
//
// Prints the access token, or with --json the whole token response (refresh_token, id_token, ...).
// The issuer defaults to $AGENTS_OIDC_ISSUER, then AGENTS_OIDC_ISSUER in <repo>/.data/stack.env, then
// http://127.0.0.1:8090. Importable: obtainTokens() and refreshTokens() for tests written in node.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT_SCOPE, SPA_CLIENT_ID, USERS } from './dev-users.mjs';

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:7071/auth/callback';

const discoveryCache = new Map();

async function discover(issuer) {
  if (!discoveryCache.has(issuer)) {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`discovery at ${issuer} answered ${res.status}`);
    discoveryCache.set(issuer, await res.json());
  }
  return discoveryCache.get(issuer);
}

/** The few cookies of one sign-in; sent back to the issuer on every request (paths are not tracked). */
class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)
        || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()));
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The readable text of an HTML page, for error messages. */
function textOf(html) {
  return html
    .replace(/<(style|script)[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
}

async function tokenRequest(tokenEndpoint, form) {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${body.error}: ${body.error_description ?? ''}`);
  return body;
}

/**
 * Signs `username` in with `password` through the authorization code flow with PKCE (S256) and returns the
 * token endpoint's JSON response ({ access_token, refresh_token, id_token, expires_in, scope, token_type }).
 */
export async function obtainTokens({
  issuer,
  username,
  password = USERS[username]?.password,
  clientId = SPA_CLIENT_ID,
  redirectUri = DEFAULT_REDIRECT_URI,
  scope = DEFAULT_CLIENT_SCOPE,
  resource,
}) {
  if (!issuer) throw new Error('issuer is required');
  if (!username || password === undefined) throw new Error(`no password known for user '${username}'`);
  const config = await discover(issuer.replace(/\/+$/, ''));

  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const nonce = crypto.randomBytes(16).toString('base64url');

  const authorize = new URL(config.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(resource ? { resource } : {}),
  }).toString();

  const callback = new URL(redirectUri);
  const jar = new CookieJar();
  let url = authorize.href;
  let init = { method: 'GET' };
  let submittedLogin = false;

  for (let hop = 0; hop < 15; hop += 1) {
    const current = new URL(url);
    if (current.origin === callback.origin && current.pathname === callback.pathname) {
      const params = current.searchParams;
      if (params.get('error')) throw new Error(`authorization failed: ${params.get('error')}: ${params.get('error_description') ?? ''}`);
      if (params.get('state') !== state) throw new Error('state mismatch in the authorization response');
      return tokenRequest(config.token_endpoint, {
        grant_type: 'authorization_code',
        code: params.get('code'),
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      });
    }

    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, cookie: jar.header(), accept: 'text/html' },
      signal: AbortSignal.timeout(10_000),
    });
    jar.store(res);

    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).href;
      init = { method: 'GET' };
      await res.arrayBuffer();
      continue;
    }

    const html = await res.text();
    const action = /<form[^>]*action="([^"]*\/login)"/i.exec(html)?.[1];
    if (res.status === 200 && action && submittedLogin) {
      const error = textOf(/id="login-error"[^>]*>([^<]*)</.exec(html)?.[1] ?? 'the login form came back');
      throw new Error(`sign-in as '${username}' failed: ${error}`);
    }
    if (res.status === 200 && action) {
      url = new URL(action.replaceAll('&amp;', '&'), url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      };
      submittedLogin = true;
      continue;
    }
    throw new Error(`unexpected ${res.status} at ${url}: ${textOf(html).slice(0, 300)}`);
  }
  throw new Error('too many redirects during sign-in');
}

/** Redeems a refresh token (the provider rotates it: use the returned refresh_token next time). */
export async function refreshTokens({ issuer, refreshToken, clientId = SPA_CLIENT_ID, scope }) {
  const config = await discover(issuer.replace(/\/+$/, ''));
  return tokenRequest(config.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
    ...(scope ? { scope } : {}),
  });
}

function defaultIssuer() {
  if (process.env.AGENTS_OIDC_ISSUER) return process.env.AGENTS_OIDC_ISSUER;
  const envFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.data', 'stack.env');
  if (fs.existsSync(envFile)) {
    const line = fs.readFileSync(envFile, 'utf8').split('\n').find((l) => l.startsWith('AGENTS_OIDC_ISSUER='));
    if (line) return line.slice('AGENTS_OIDC_ISSUER='.length).trim();
  }
  return 'http://127.0.0.1:8090';
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      issuer: { type: 'string' },
      password: { type: 'string' },
      scope: { type: 'string' },
      resource: { type: 'string' },
      'client-id': { type: 'string' },
      'redirect-uri': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const username = positionals[0];
  if (values.help || !username) {
    console.error(`usage: node local/dev-token.mjs <${Object.keys(USERS).join('|')}> [--issuer URL] [--json] [--password PW] [--scope S] [--resource R] [--client-id ID] [--redirect-uri URI]`);
    process.exit(values.help ? 0 : 2);
  }
  const tokens = await obtainTokens({
    issuer: values.issuer ?? defaultIssuer(),
    username,
    password: values.password ?? USERS[username]?.password,
    clientId: values['client-id'],
    redirectUri: values['redirect-uri'],
    scope: values.scope,
    resource: values.resource,
  });
  console.log(values.json ? JSON.stringify(tokens, null, 2) : tokens.access_token);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`dev-token: ${err.message}`);
    process.exit(1);
  });
}
