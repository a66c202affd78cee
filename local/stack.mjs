// Starts the local stand-ins for Azure (Azurite, the Cosmos DB emulator, the OIDC provider), waits until
// each answers, writes their addresses to an env file and stays in the foreground until stopped.
//
//   node local/stack.mjs [--data-dir DIR] [--ports default|free|blob=N,queue=N,table=N,cosmos=N,oidc=N]
//                        [--env-file PATH] [--exit-with-stdin]
//
// Data lives in DIR: Azurite's in DIR/azurite, the Cosmos DB emulator's in DIR/cosmos, the OIDC provider's signing keys
// in DIR/oidc. A child that dies after it was ready (a crash, kill -9) is started again on the same port with the same
// data; each child's PID is in DIR/logs/NAME.pid. Explicit ports let a stack restart where it was (tests do).
//
// On Node 20, `--env-file PATH` must name an existing file (Node checks it before the script runs);
// use `--env-out PATH` instead, or `node local/stack.mjs -- --env-file PATH`.
//
// Defaults: data dir <repo>/.data, ports Azurite 10000-10002, Cosmos 8081, OIDC 8090, env file
// <data dir>/stack.env. Child output goes to <data dir>/logs/<name>.log. See docs/local-stack.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API_AUDIENCE, DEFAULT_CLIENT_SCOPE, SPA_CLIENT_ID } from './dev-users.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVBGQbW8uhB3PYBiN1UBiN0Q/6tx7Z/7u5Bg/P5kiA==';
const DEFAULT_PORTS = Object.freeze({ blob: 10000, queue: 10001, table: 10002, cosmos: 8081, oidc: 8090 });
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 6_000;

const usage = 'usage: node local/stack.mjs [--data-dir DIR] [--ports default|free|blob=N,queue=N,table=N,cosmos=N,oidc=N] [--env-file PATH | --env-out PATH] [--exit-with-stdin]';
let args;
try {
  ({ values: args } = parseArgs({
    // `node stack.mjs -- --env-file X` is allowed: see the note on --env-out below.
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
    options: {
      'data-dir': { type: 'string' },
      ports: { type: 'string', default: 'default' },
      'env-file': { type: 'string' },
      // Same as --env-file. Node 20 itself checks that a file named by --env-file exists, even after the
      // script name, and exits with code 9 if not; --env-out (or a leading --) avoids that.
      'env-out': { type: 'string' },
      'exit-with-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
let explicitPorts = null;
if (!['default', 'free'].includes(args.ports)) {
  explicitPorts = Object.fromEntries(args.ports.split(',').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));
  const names = Object.keys(DEFAULT_PORTS);
  if (names.some((n) => !Number.isInteger(explicitPorts[n]) || explicitPorts[n] <= 0) || Object.keys(explicitPorts).length !== names.length) {
    console.error(`--ports must be 'default', 'free' or ${names.map((n) => `${n}=N`).join(',')}, got '${args.ports}'\n${usage}`);
    process.exit(2);
  }
}
if (!fs.existsSync(path.join(here, 'node_modules', 'oidc-provider'))) {
  console.error(`The local stack's packages are not installed: run 'npm ci' in ${here}`);
  process.exit(1);
}

const dataDir = path.resolve(args['data-dir'] ?? path.join(here, '..', '.data'));
const envFile = path.resolve(args['env-out'] ?? args['env-file'] ?? path.join(dataDir, 'stack.env'));
const logDir = path.join(dataDir, 'logs');

// ---------------------------------------------------------------- addresses and the env file

function describe(ports) {
  const storage = (port) => `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    blob: storage(ports.blob),
    queue: storage(ports.queue),
    table: storage(ports.table),
    cosmos: `https://127.0.0.1:${ports.cosmos}/`,
    oidc: `http://127.0.0.1:${ports.oidc}`,
  };
}

function envLines(ports) {
  const urls = describe(ports);
  const connection = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=${urls.blob}`,
    `QueueEndpoint=${urls.queue}`,
    `TableEndpoint=${urls.table}`,
  ].join(';');
  return {
    AGENTS_AZURITE_BLOB: urls.blob,
    AGENTS_AZURITE_QUEUE: urls.queue,
    AGENTS_AZURITE_TABLE: urls.table,
    AGENTS_STORAGE_CONNECTION: `${connection};`,
    AGENTS_COSMOS_ENDPOINT: urls.cosmos,
    AGENTS_COSMOS_KEY: COSMOS_KEY,
    AGENTS_OIDC_ISSUER: urls.oidc,
    AGENTS_OIDC_CLIENT_ID: SPA_CLIENT_ID,
    AGENTS_OIDC_AUDIENCE: API_AUDIENCE,
    AGENTS_OIDC_SCOPE: DEFAULT_CLIENT_SCOPE,
  };
}

let envFileText;

function writeEnvFile(ports) {
  envFileText = `${Object.entries(envLines(ports)).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
  fs.mkdirSync(path.dirname(envFile), { recursive: true });
  const tmp = `${envFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, envFileText);
  fs.renameSync(tmp, envFile);
}

function removeEnvFile() {
  try {
    if (envFileText && fs.readFileSync(envFile, 'utf8') === envFileText) fs.unlinkSync(envFile);
  } catch {
    // already gone
  }
}

function printTable(ports, heading, { ownLogs = true } = {}) {
  const urls = describe(ports);
  const rows = [
    ['Azurite Blob', urls.blob],
    ['Azurite Queue', urls.queue],
    ['Azurite Table', urls.table],
    ['Cosmos DB emulator', `${urls.cosmos}  (data in ${path.join(dataDir, 'cosmos')}, self-signed TLS)`],
    ['OIDC provider', `${urls.oidc}  (users alice/alice-pw, bob/bob-pw)`],
  ];
  console.log(heading);
  for (const [name, url] of rows) console.log(`  ${name.padEnd(20)}${url}`);
  console.log(`  ${'env file'.padEnd(20)}${envFile}`);
  if (ownLogs) console.log(`  ${'logs'.padEnd(20)}${logDir}`);
}

// ---------------------------------------------------------------- probes

function request(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
  });
}

const json = (text) => { try { return JSON.parse(text); } catch { return undefined; } };

const probes = {
  async azurite(ports) {
    const answers = await Promise.all([['blob', 'Blob'], ['queue', 'Queue'], ['table', 'Table']].map(async ([key, service]) => {
      const res = await request(`http://127.0.0.1:${ports[key]}/${ACCOUNT}?comp=list`);
      return res?.headers.server?.startsWith(`Azurite-${service}/`) ?? false;
    }));
    return answers.every(Boolean);
  },
  async cosmos(ports) {
    const res = await request(`https://127.0.0.1:${ports.cosmos}/`);
    return res?.status === 200 && Array.isArray(json(res.body)?.writableLocations);
  },
  async oidc(ports) {
    const issuer = `http://127.0.0.1:${ports.oidc}`;
    const res = await request(`${issuer}/.well-known/openid-configuration`);
    return res?.status === 200 && json(res.body)?.issuer === issuer;
  },
};

function isListening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 500 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function freePorts(names) {
  const servers = await Promise.all(names.map(() => new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = Object.fromEntries(names.map((name, i) => [name, servers[i].address().port]));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

// ---------------------------------------------------------------- children

const children = new Map();
let stopping = false;

// A child that was ready and then died is started again this many times at most (a crash loop stops the stack).
const MAX_RESTARTS = 5;

function startChild(name, script, scriptArgs, env, restarts = 0) {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, restarts ? 'a' : 'w');
  const child = spawn(process.execPath, [path.join(here, script), ...scriptArgs], {
    cwd: here,
    env,
    // The IPC channel lets each child notice when this process goes away, even after a SIGKILL.
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  fs.closeSync(fd);
  // Written whole or not at all (a rename), so a reader never sees the file empty mid-write (a test that waits for a
  // restarted emulator's new PID read '' here once).
  const pidFile = path.join(logDir, `${name}.pid`);
  fs.writeFileSync(`${pidFile}.tmp`, `${child.pid}\n`);
  fs.renameSync(`${pidFile}.tmp`, pidFile);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  children.set(name, { child, logFile, exited, start: () => startChild(name, script, scriptArgs, env, restarts + 1) });
  exited.then(({ code, signal }) => {
    if (stopping) return;
    const why = signal ?? `code ${code}`;
    if (ready && restarts < MAX_RESTARTS) {
      // Its data is on disk: started again on the same port, it carries on where it was.
      console.error(`${name} exited unexpectedly (${why}); starting it again (${restarts + 1} of ${MAX_RESTARTS})`);
      children.get(name).start();
      return;
    }
    console.error(`\n${name} exited unexpectedly (${why}); last lines of ${logFile}:`);
    printTail(logFile);
    stop(1);
  });
}

let ready = false;

function printTail(file, lines = 15) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
    for (const line of text) console.error(`  | ${line}`);
  } catch {
    console.error('  (no log)');
  }
}

async function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children.values()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  const all = Promise.all([...children.values()].map((c) => c.exited));
  const timedOut = await Promise.race([all.then(() => false), delay(STOP_TIMEOUT_MS).then(() => true)]);
  if (timedOut) {
    for (const [name, { child }] of children) {
      if (child.exitCode === null && child.signalCode === null) {
        console.error(`${name} did not stop in time; killing it`);
        child.kill('SIGKILL');
      }
    }
    await all;
  }
  removeEnvFile();
  process.exit(exitCode);
}

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function waitUntilReady(ports) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const pending = new Set(Object.keys(probes));
  while (pending.size && Date.now() < deadline && !stopping) {
    await Promise.all([...pending].map(async (name) => {
      if (await probes[name](ports)) pending.delete(name);
    }));
    if (pending.size) await delay(200);
  }
  return [...pending];
}

// ---------------------------------------------------------------- main

async function main() {
  let ports;
  if (explicitPorts) {
    ports = explicitPorts;
  } else if (args.ports === 'free') {
    ports = await freePorts(Object.keys(DEFAULT_PORTS));
  } else {
    ports = { ...DEFAULT_PORTS };
    const busy = [];
    for (const [name, port] of Object.entries(ports)) {
      if (await isListening(port)) busy.push(`${name} ${port}`);
    }
    if (busy.length) {
      const healthy = (await Promise.all(Object.values(probes).map((probe) => probe(ports)))).every(Boolean);
      if (healthy) {
        writeEnvFile(ports);
        envFileText = undefined; // the running stack owns it
        printTable(ports, 'The local stack is already running:', { ownLogs: false });
        process.exit(0);
      }
      console.error(`Port(s) already in use by something that is not this stack: ${busy.join(', ')}.`);
      console.error('Stop it, or start with --ports free.');
      process.exit(1);
    }
  }

  fs.mkdirSync(logDir, { recursive: true });
  const env = { ...process.env, AGENTS_LOCAL_DATA_DIR: dataDir };
  // The issuer must be the address the stack announces; OIDC_ISSUER is only for a separately started rogue provider.
  delete env.OIDC_ISSUER;
  delete env.OIDC_PORT;
  delete env.COSMOS_PORT;

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
  if (args['exit-with-stdin']) {
    process.stdin.on('end', () => stop(0));
    process.stdin.on('close', () => stop(0));
    process.stdin.resume();
  }

  startChild('azurite', 'azurite.mjs', [
    '--blob-port', String(ports.blob), '--queue-port', String(ports.queue), '--table-port', String(ports.table),
    '--data-dir', dataDir,
  ], env);
  startChild('cosmos', 'cosmos-emulator.mjs', ['--port', String(ports.cosmos), '--data-dir', path.join(dataDir, 'cosmos')], env);
  startChild('oidc', 'oidc-provider.mjs', ['--port', String(ports.oidc), '--data-dir', dataDir], env);

  const started = Date.now();
  const notReady = await waitUntilReady(ports);
  if (stopping) return;
  if (notReady.length) {
    console.error(`Not ready after ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}`);
    for (const name of notReady) {
      console.error(`last lines of ${children.get(name).logFile}:`);
      printTail(children.get(name).logFile);
    }
    await stop(1);
    return;
  }

  ready = true;
  writeEnvFile(ports);
  printTable(ports, `Local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Ctrl+C stops it):`);
}

main().catch((err) => {
  console.error(err);
  stop(1);
});
