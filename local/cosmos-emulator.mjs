// Local stand-in for Azure Cosmos DB (NoSQL API): @vercel/cosmosdb-server behind a small compatibility layer that
// makes the real .NET SDK (Gateway mode) work with it, durable in --data-dir (cosmos-persistence.mjs; in memory
// without it). See docs/local-stack.md.
//
//   node local/cosmos-emulator.mjs [--port 8081] [--host 127.0.0.1] [--no-ssl] [--data-dir DIR]
//
// One process, two servers:
//   - the cosmosdb-server on 127.0.0.1:<ephemeral port>, plain HTTP with keep-alive (its CLI closes
//     every connection, which caps it at a few hundred operations a second);
//   - the public server (HTTPS with the package's self-signed certificate) that forwards every request
//     to it, streaming bodies, except that it
//       (a) answers the SDK's query-plan requests with a single-range passthrough plan, so that the
//           server itself runs ORDER BY / TOP / aggregates and continuation tokens work;
//       (b) turns the server's 500 on reading a missing document (a TypeError in its handler) into
//           the 404 NotFound that Cosmos DB returns;
//       (c) rewrites the account's writable/readable locations to the public address.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { persistTo } from './cosmos-persistence.mjs';

const require = createRequire(import.meta.url);
const { createHttpServer } = require('@vercel/cosmosdb-server');

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.COSMOS_PORT ?? '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    'no-ssl': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
  },
});

const QUERY_PLAN = JSON.stringify({
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: 'None',
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: '',
    hasSelectValue: false,
    dCountInfo: null,
  },
  queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
});

const DOCUMENT_PATH = /^\/+dbs\/[^/]+\/colls\/[^/]+\/docs\/[^/]+\/?$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

// Before the server is created and listens: the account it creates on listening is restored from the data folder.
const persistence = args['data-dir'] ? persistTo(path.resolve(args['data-dir'])) : null;
const backend = createHttpServer({ keepAlive: true });
backend.keepAliveTimeout = 120_000;
backend.headersTimeout = 125_000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

function copyHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function sendJson(res, status, body, extraHeaders = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-ms-activity-id': randomUUID(),
    'x-ms-request-charge': '0',
    ...extraHeaders,
  });
  res.end(text);
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function isTrue(value) {
  return String(value ?? '').toLowerCase() === 'true';
}

function handle(req, res) {
  if (req.method === 'POST' && isTrue(req.headers['x-ms-cosmos-is-query-plan-request'])) {
    req.resume();
    req.on('end', () => sendJson(res, 200, QUERY_PLAN));
    return;
  }

  const pathname = req.url.split('?')[0];
  const isAccountRead = req.method === 'GET' && (pathname === '/' || pathname === '//');
  const isDocumentRead = req.method === 'GET' && DOCUMENT_PATH.test(pathname);

  const upstream = http.request({
    agent,
    host: '127.0.0.1',
    port: backend.address().port,
    method: req.method,
    path: req.url,
    // The Host header stays the public one: the server echoes it in content-location.
    headers: copyHeaders(req.headers),
  }, async (upstreamRes) => {
    try {
      if (isAccountRead && upstreamRes.statusCode === 200) {
        const publicAddress = `${args['no-ssl'] ? 'http' : 'https'}://${req.headers.host}/`;
        const account = JSON.parse(await readAll(upstreamRes));
        for (const location of [...(account.writableLocations ?? []), ...(account.readableLocations ?? [])]) {
          location.databaseAccountEndpoint = publicAddress;
        }
        sendJson(res, 200, account, pick(upstreamRes.headers, ['x-ms-activity-id', 'x-ms-request-charge', 'content-location']));
        return;
      }
      if (isDocumentRead && upstreamRes.statusCode === 500) {
        const text = (await readAll(upstreamRes)).toString();
        if (/Cannot read propert/i.test(text)) {
          sendJson(res, 404, {
            code: 'NotFound',
            message: 'Entity with the specified id does not exist in the system.',
          }, { 'x-ms-substatus': '0' });
        } else {
          sendJson(res, 500, text);
        }
        return;
      }
      res.writeHead(upstreamRes.statusCode, copyHeaders(upstreamRes.headers));
      upstreamRes.pipe(res);
    } catch (err) {
      fail(res, err);
    }
  });
  upstream.on('error', (err) => fail(res, err));
  req.pipe(upstream);
}

function pick(headers, names) {
  return Object.fromEntries(names.filter((n) => headers[n] !== undefined).map((n) => [n, headers[n]]));
}

function fail(res, err) {
  console.error('cosmos proxy error', err);
  if (!res.headersSent) sendJson(res, 503, { code: 'ServiceUnavailable', message: `emulator proxy: ${err.message}` });
  else res.destroy(err);
}

const packageDir = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
const publicServer = args['no-ssl']
  ? http.createServer(handle)
  : https.createServer({
    cert: fs.readFileSync(path.join(packageDir, 'cert.pem')),
    key: fs.readFileSync(path.join(packageDir, 'key.pem')),
  }, handle);
// Keep idle client connections longer than clients keep them in their pools, so a client never
// reuses a connection the server is just closing.
publicServer.keepAliveTimeout = 120_000;
publicServer.headersTimeout = 125_000;

backend.listen(0, '127.0.0.1', () => {
  publicServer.listen(Number(args.port), args.host, () => {
    const scheme = args['no-ssl'] ? 'http' : 'https';
    const where = persistence ? `data in ${persistence.stats().file}` : 'in memory';
    console.log(`cosmos emulator listening on ${scheme}://${args.host}:${publicServer.address().port}/ (cosmosdb-server on 127.0.0.1:${backend.address().port}, ${where})`);
  });
});

function shutdown() {
  publicServer.close();
  publicServer.closeAllConnections();
  backend.close(() => process.exit(0));
  backend.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
// Started by stack.mjs with an IPC channel: exit when the parent goes away, even if it was killed.
process.channel?.unref();
process.once('disconnect', shutdown);
