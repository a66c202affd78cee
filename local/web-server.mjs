// Serves the chat app's build the way Azure Static Web Apps does, for local development and the browser tests:
// the files of --root, its staticwebapp.config.json (navigation fallback, route and global headers), a generated
// /config.json naming the local OIDC provider, and /api/* proxied to the Functions app on the same origin, so the
// browser needs no CORS. Responses from the API are streamed as they arrive (server-sent events flow live).
//
//   node local/web-server.mjs --root DIR --port N --api http://127.0.0.1:7071 --issuer http://127.0.0.1:8090
//                             [--host 127.0.0.1]
//
// --port 0 picks a free port. Once listening it prints one line: `web-server ready at http://HOST:PORT`.
// (The SWA CLI emulator does the same job, but its npm install builds a native keychain module that fails here.)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT_SCOPE, SPA_CLIENT_ID } from './dev-users.mjs';

const usage = 'usage: node local/web-server.mjs --root DIR --port N --api URL --issuer URL [--host 127.0.0.1]';
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string' },
      api: { type: 'string' },
      issuer: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${usage}`, 2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
for (const name of ['root', 'port', 'api', 'issuer']) if (!args[name]) fail(`--${name} is required\n${usage}`, 2);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got '${args.port}'`, 2);
const root = path.resolve(args.root);
if (!fs.existsSync(path.join(root, 'index.html'))) fail(`no index.html in ${root} (build the chat app first)`, 1);
const api = parseUrl(args.api, '--api');
const issuer = parseUrl(args.issuer, '--issuer').href.replace(/\/+$/, '');

function fail(message, code) {
  console.error(`web-server: ${message}`);
  process.exit(code);
}

function parseUrl(text, name) {
  try {
    return new URL(text);
  } catch {
    return fail(`${name} must be an absolute URL, got '${text}'`, 2);
  }
}

// ---------------------------------------------------------------- staticwebapp.config.json

/** SWA route patterns: `*` matches anything (also across `/`), `{a,b}` either alternative. */
function globToRegExp(glob) {
  const source = glob.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
    .replace(/\{([^}]*)\}/g, (_, alternatives) => `(?:${alternatives.split(',').join('|')})`);
  return new RegExp(`^${source}$`, 'i');
}

function loadSiteConfig() {
  const file = path.join(root, 'staticwebapp.config.json');
  const config = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const fallback = config.navigationFallback;
  return {
    fallback: fallback?.rewrite,
    fallbackExclude: (fallback?.exclude ?? []).map(globToRegExp),
    routes: (config.routes ?? []).filter((r) => r.headers).map((r) => ({ match: globToRegExp(r.route), headers: r.headers })),
    globalHeaders: localHeaders(config.globalHeaders ?? {}),
  };
}

/**
 * In Azure the OIDC provider (Entra) is https, which the Content-Security-Policy allows; the local provider is plain
 * http on another port, so its origin is added where the app talks to it (discovery and token calls, silent renew).
 */
function localHeaders(headers) {
  const out = { ...headers };
  const key = Object.keys(out).find((k) => k.toLowerCase() === 'content-security-policy');
  if (key) {
    const origin = new URL(issuer).origin;
    out[key] = out[key].split(';').map((directive) => {
      const name = directive.trim().split(/\s+/)[0];
      return ['connect-src', 'frame-src'].includes(name) ? `${directive.trimEnd()} ${origin}` : directive;
    }).join(';');
  }
  return out;
}

const site = loadSiteConfig();

const configJson = JSON.stringify({
  apiBaseUrl: '/api',
  auth: {
    authority: issuer,
    clientId: SPA_CLIENT_ID,
    scopes: DEFAULT_CLIENT_SCOPE.split(' '),
    redirectPath: '/auth/callback',
  },
});

// ---------------------------------------------------------------- static files

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

/** The file a URL path names under root, or undefined (missing, a folder without index.html, or outside root). */
function fileFor(urlPath) {
  let file = path.join(root, urlPath);
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  try {
    if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    return fs.statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function headersFor(routePath) {
  const headers = { ...site.globalHeaders };
  for (const route of site.routes) if (route.match.test(routePath)) Object.assign(headers, route.headers);
  return headers;
}

function send(req, res, status, headers, body) {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function serveStatic(req, res, urlPath) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }, 'Method Not Allowed');
    return;
  }
  if (urlPath === '/config.json') {
    send(req, res, 200, { ...headersFor(urlPath), 'content-type': 'application/json; charset=utf-8' }, configJson);
    return;
  }
  let file = fileFor(urlPath);
  // Client-side routes (/auth/callback, /threads/…) get the app; a missing script or image stays a 404.
  if (!file && site.fallback && !path.extname(urlPath) && !site.fallbackExclude.some((re) => re.test(urlPath))) {
    file = fileFor(site.fallback);
  }
  if (!file) {
    send(req, res, 404, { ...site.globalHeaders, 'content-type': 'text/plain; charset=utf-8' }, 'Not Found');
    return;
  }
  const stat = fs.statSync(file);
  res.writeHead(200, {
    // Route headers go by the file served: `/` and the fallback get those of /index.html.
    ...headersFor(`/${path.relative(root, file).split(path.sep).join('/')}`),
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': stat.size,
    'last-modified': stat.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
}

// ---------------------------------------------------------------- /api proxy

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);
const agent = new http.Agent({ keepAlive: true });

function withoutHopByHop(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function proxy(req, res) {
  const headers = withoutHopByHop(req.headers);
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const upstream = http.request({
    agent, protocol: api.protocol, hostname: api.hostname, port: api.port, method: req.method, path: req.url, headers,
  }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
    res.flushHeaders(); // an event stream's headers go out before its first event
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('socket', (socket) => socket.setNoDelay(true));
  upstream.on('error', (err) => {
    if (res.headersSent) res.destroy();
    else send(req, res, 502, { 'content-type': 'text/plain; charset=utf-8' }, `The API at ${api.origin} did not answer: ${err.message}`);
  });
  // The browser went away (a closed event stream): close the upstream request too.
  res.on('close', () => { if (!res.writableFinished) upstream.destroy(); });
  req.pipe(upstream);
}

// ---------------------------------------------------------------- server

const server = http.createServer((req, res) => {
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    send(req, res, 400, { 'content-type': 'text/plain' }, 'Bad Request');
    return;
  }
  if (urlPath === '/api' || urlPath.startsWith('/api/')) proxy(req, res);
  else serveStatic(req, res, urlPath);
});
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0; // event streams stay open for as long as a run lasts
server.on('error', (err) => fail(err.message, 1));
server.listen(port, args.host, () => {
  const { port: actual } = server.address();
  console.log(`web-server ready at http://${args.host}:${actual} (files ${root}, /api -> ${api.origin}, issuer ${issuer})`);
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    agent.destroy();
    process.exit(0);
  });
}
