// Local stand-in for Entra ID: a real OpenID Connect authorization server (oidc-provider) with one
// public SPA client, code + PKCE (S256) only, RS256 JWT access tokens for api://agents carrying
// Entra-like claims, rotating refresh tokens and a login form. See docs/local-stack.md.
//
//   node local/oidc-provider.mjs [--port 8090] [--host 127.0.0.1] [--issuer URL] [--data-dir DIR]
//
// Environment: OIDC_PORT, OIDC_ISSUER (overrides the issuer string only; the "rogue" mode used by
// tests to prove that a token signed with the right key but from another issuer is rejected),
// OIDC_ACCESS_TOKEN_TTL (seconds, default 600), OIDC_EXTRA_REDIRECT_URIS (comma-separated),
// AGENTS_LOCAL_DATA_DIR.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';
import {
  API_AUDIENCE, API_SCOPE, LOCAL_TENANT_ID, SPA_CLIENT_ID, USERS, findUser,
} from './dev-users.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// The chat app as `./dev up` serves it (4280, Static Web Apps' local port), the API's origin, and Vite's dev server.
const DEFAULT_REDIRECT_URIS = [
  'http://127.0.0.1:4280/auth/callback',
  'http://localhost:4280/auth/callback',
  'http://127.0.0.1:7071/',
  'http://localhost:7071/',
  'http://127.0.0.1:7071/auth/callback',
  'http://localhost:7071/auth/callback',
  'http://127.0.0.1:5173/auth/callback',
  'http://localhost:5173/auth/callback',
];

// The API's scope, accepted both in its short form and in Entra's "<app id uri>/<scope>" form, so the
// SPA can send the same scope string to Entra and to this provider. `scp` always carries the short form.
const API_SCOPES = [API_SCOPE, `${API_AUDIENCE}/${API_SCOPE}`];

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    issuer: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const port = Number(args.port ?? process.env.OIDC_PORT ?? 8090);
const issuer = (process.env.OIDC_ISSUER ?? args.issuer ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
const dataDir = path.resolve(args['data-dir'] ?? process.env.AGENTS_LOCAL_DATA_DIR ?? path.join(here, '..', '.data'));
const accessTokenTtl = positiveInt(process.env.OIDC_ACCESS_TOKEN_TTL ?? '600', 'OIDC_ACCESS_TOKEN_TTL');

const redirectUris = [
  ...DEFAULT_REDIRECT_URIS,
  ...(process.env.OIDC_EXTRA_REDIRECT_URIS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
];
for (const uri of redirectUris) {
  if (!URL.canParse(uri)) throw new Error(`OIDC_EXTRA_REDIRECT_URIS: not an absolute URL: ${uri}`);
}
const spaOrigins = new Set(redirectUris.map((uri) => new URL(uri).origin));
const postLogoutRedirectUris = [...new Set([...[...spaOrigins].map((o) => `${o}/`), ...redirectUris])];

function positiveInt(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return value;
}

/** Loads the RS256 signing key, creating it once, so the `kid` survives restarts. */
function loadOrCreateSigningKeys(file) {
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const thumbprint = crypto.createHash('sha256')
      .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
      .digest('base64url');
    const jwks = { keys: [{ ...jwk, kid: thumbprint, alg: 'RS256', use: 'sig' }] };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // 'wx': if another provider created the file meanwhile, keep theirs.
      fs.writeFileSync(file, `${JSON.stringify(jwks, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
  const jwks = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error(`${file} holds no keys`);
  return jwks;
}

function toShortScope(scope) {
  return scope.startsWith(`${API_AUDIENCE}/`) ? scope.slice(API_AUDIENCE.length + 1) : scope;
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
    main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
    h1 { font-size: 1.3rem; font-weight: 500; }
    label { display: block; margin: .8rem 0 .2rem; }
    input { width: 100%; box-sizing: border-box; padding: .45rem; font-size: 1rem; }
    button { margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }
    .error { color: #b00020; }
    .hint { color: #666; font-size: .85rem; }
  </style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function loginPage(uid, clientId, { username = '', error } = {}) {
  return page('Sign in - local Agents tenant', `
  <h1>Sign in to the local Agents tenant</h1>
  <p class="hint">Application: ${escapeHtml(clientId)}</p>
  ${error ? `<p class="error" role="alert" id="login-error">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
    <label for="username">Username</label>
    <input id="username" name="username" type="text" required autofocus value="${escapeHtml(username)}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required>
    <button id="sign-in" name="sign-in" type="submit">Sign in</button>
  </form>
  <p class="hint">Local users: ${Object.keys(USERS).map(escapeHtml).join(', ')}</p>`);
}

const keysFile = path.join(dataDir, 'oidc', 'jwks.json');
const jwks = loadOrCreateSigningKeys(keysFile);

const provider = new Provider(issuer, {
  clients: [{
    client_id: SPA_CLIENT_ID,
    client_name: 'Agents SPA (local)',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
  }],
  responseTypes: ['code'],
  // PKCE is required for every client; oidc-provider only implements S256.
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'oid', 'tid', 'roles'],
  },
  // Put the profile claims into the ID token itself (the SPA does not call userinfo), as Entra does.
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    const user = findUser(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: user.name,
          preferred_username: user.username,
          oid: user.oid,
          tid: LOCAL_TENANT_ID,
          ...(user.roles.length ? { roles: [...user.roles] } : {}),
        };
      },
    };
  },
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    const user = findUser(token.accountId);
    if (!user) return undefined;
    const scp = [...new Set((token.scope ?? '').split(' ').filter((s) => API_SCOPES.includes(s)).map(toShortScope))];
    return {
      oid: user.oid,
      tid: LOCAL_TENANT_ID,
      azp: token.clientId,
      ver: '2.0',
      name: user.name,
      preferred_username: user.username,
      scp: scp.join(' '),
      ...(user.roles.length ? { roles: [...user.roles] } : {}),
    };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A client that sends no `resource` gets tokens for the API, like Entra picks the resource from the scope.
      defaultResource: (_ctx, _client, oneOf) => (oneOf ? (oneOf.includes(API_AUDIENCE) ? API_AUDIENCE : oneOf[0]) : API_AUDIENCE),
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== API_AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
        return {
          scope: API_SCOPES.join(' '),
          audience: API_AUDIENCE,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      // Auto-confirm: submit the provider's own logout form (it carries the xsrf token) at once.
      logoutSource(ctx, form) {
        ctx.body = page('Signing out', `
  <h1>Signing out…</h1>
  ${form.replace('</form>', '<input type="hidden" name="logout" value="yes"><noscript><button type="submit">Sign out</button></noscript></form>')}
  <script>document.forms[0].submit();</script>`);
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>You are signed out.</h1>');
      },
    },
  },
  // OpenID Connect drops offline_access unless the request also says prompt=consent, which SPAs (and
  // Entra) do not send. So the SPA gets a refresh token with every code grant; it ends with the session.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  jwks,
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  clientBasedCORS: (_ctx, origin) => spaOrigins.has(origin),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<h1>Sign-in error</h1>${Object.entries(out)
      .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`).join('')}`);
  },
});

/** Creates the grant for our first-party SPA without asking: everything it asked for is granted. */
async function autoConsent(req, res, interaction) {
  const { prompt: { details }, params, session } = interaction;
  if (params.client_id !== SPA_CLIENT_ID) throw new errors.AccessDenied('consent is only automatic for the first-party SPA');
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  const consent = interaction.grantId ? {} : { grantId };
  await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

async function readForm(req, limit = 16 * 1024) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  });
  res.end(html);
}

async function handleInteraction(req, res, uid, action) {
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw new errors.InvalidRequest('interaction mismatch');
  const { prompt, params } = interaction;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return sendHtml(res, 200, loginPage(uid, params.client_id));
    if (prompt.name === 'consent') return autoConsent(req, res, interaction);
    throw new errors.InvalidRequest(`unsupported prompt ${prompt.name}`);
  }
  if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
    const form = await readForm(req);
    const username = (form.get('username') ?? '').trim();
    const user = findUser(username);
    if (!user || !crypto.timingSafeEqual(sha256(form.get('password') ?? ''), sha256(user.password))) {
      return sendHtml(res, 200, loginPage(uid, params.client_id, { username, error: 'Invalid username or password.' }));
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
  }
  res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed');
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest();

const providerCallback = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login))?\/?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) return providerCallback(req, res);
  handleInteraction(req, res, match[1], match[2]).catch((err) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) console.error('interaction failed', err);
    if (!res.headersSent) {
      sendHtml(res, status, page('Sign-in error', `<h1>Sign-in error</h1><p>${escapeHtml(err.error_description ?? err.message)}</p>
  <p class="hint">Start again from the application.</p>`));
    } else res.end();
  });
});
server.keepAliveTimeout = 65_000;

provider.on('server_error', (_ctx, err) => console.error('server_error', err));

server.listen(port, args.host, () => {
  console.log(`oidc-provider listening on http://${args.host}:${server.address().port} issuer=${issuer} kid=${jwks.keys[0].kid} keys=${keysFile}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
// Started by stack.mjs with an IPC channel: exit when the parent goes away, even if it was killed.
process.channel?.unref();
process.once('disconnect', shutdown);
