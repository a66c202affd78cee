// Runs the SDK tests against a Functions app of their own: reads the local stack (AGENTS_TEST_ENV_FILE), the simulator
// (AGENTS_TEST_MODEL_ENDPOINT) and the Functions host (AGENTS_FUNCTIONS_HOST_DIR, else ../shared/functions-host), the
// same variables as the C# integration tests (`./dev test` sets them), starts src/Functions' Debug build on func-host
// on a free loopback port with a database and a task hub of its own, runs `node --test test/`, stops the host.
//   AGENTS_TEST_ENV_FILE=... AGENTS_TEST_MODEL_ENDPOINT=http://127.0.0.1:PORT/v1/ npm run test:stack
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const envFile = process.env.AGENTS_TEST_ENV_FILE;
const model = process.env.AGENTS_TEST_MODEL_ENDPOINT;
if (!envFile || !fs.existsSync(envFile) || !model) {
  console.error('Set AGENTS_TEST_ENV_FILE (the local stack\'s env file) and AGENTS_TEST_MODEL_ENDPOINT (the simulator, .../v1/).');
  process.exit(2);
}
const stack = Object.fromEntries(fs.readFileSync(envFile, 'utf8').split('\n')
  .filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]));
const app = ['Debug', 'Release'].map((c) => path.join(root, 'src', 'Functions', 'bin', c, 'net10.0'))
  .find((d) => fs.existsSync(path.join(d, 'functions.metadata')));
if (!app) {
  console.error('Build the Functions app first: dotnet build src/Functions');
  process.exit(2);
}
const hostDir = process.env.AGENTS_FUNCTIONS_HOST_DIR || path.join(root, '..', 'shared', 'functions-host');
const launcher = path.join(hostDir, 'func-host');
if (!fs.existsSync(launcher)) {
  console.error(`No Functions host: ${launcher} does not exist (set AGENTS_FUNCTIONS_HOST_DIR).`);
  process.exit(2);
}

const port = await new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
});
const id = crypto.randomBytes(5).toString('hex');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'agents-sdk-'));
const storage = stack.AGENTS_STORAGE_CONNECTION;
const env = { ...process.env };
for (const k of ['CONTAINER_NAME', 'WEBSITE_HOSTNAME', 'WEBSITE_INSTANCE_ID']) delete env[k];
// The host's console is kept in a file and printed only when something fails.
const console_ = fs.openSync(path.join(work, 'host.log'), 'w');
// A process group of its own, killed whole at the end: the host starts the app's worker as its child, and killing the
// host alone left the worker running after every test run.
const host = spawn(launcher, ['--app', app, '--port', String(port), '--storage', storage,
  '--secrets', path.join(work, 'secrets'), '--logs', path.join(work, 'logs')], {
  detached: true,
  cwd: app,
  stdio: ['ignore', console_, console_],
  env: {
    ...env,
    DurableTask__HubName: `sdk${id}`,
    Runs__SweepSchedule: '*/10 * * * * *',
    Cosmos__Endpoint: stack.AGENTS_COSMOS_ENDPOINT,
    Cosmos__Key: stack.AGENTS_COSMOS_KEY,
    Cosmos__Emulator: 'true',
    Cosmos__CreateIfNotExists: 'true',
    Cosmos__Database: `sdk-${id}`,
    Model__Endpoint: model,
    Model__ApiKey: 'sim',
    Model__Deployment: 'sim-small',
    Identity__Providers__0__Name: 'local',
    Identity__Providers__0__Kind: 'Oidc',
    Identity__Providers__0__Issuer: stack.AGENTS_OIDC_ISSUER,
    Identity__Providers__0__Audiences__0: 'api://agents',
    Identity__Providers__0__RequiredScope: 'Agents.Access',
    Identity__Providers__0__RequireHttpsMetadata: 'false',
    Logging__LogLevel__Default: 'Warning',
  },
});
const stopHost = () => {
  try {
    process.kill(-host.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopHost();
    process.exit(1);
  });
}
const api = `http://127.0.0.1:${port}`;
let code = 1;
try {
  const deadline = Date.now() + 300_000; // a Functions host on two loaded cores can take minutes
  for (;;) {
    if (host.exitCode !== null) throw new Error(`the host exited with ${host.exitCode}`);
    try {
      if ((await fetch(`${api}/api/health/ready`, { signal: AbortSignal.timeout(5000) })).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error('the host was not ready within 300 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const tests = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', 'test/'], {
    cwd: here,
    stdio: 'inherit',
    env: { ...process.env, AGENTS_GATEWAY_TEST_API: api, AGENTS_OIDC_ISSUER: stack.AGENTS_OIDC_ISSUER },
  });
  code = await new Promise((resolve) => tests.on('exit', (c) => resolve(c ?? 1)));
} catch (e) {
  console.error(`sdk tests: ${e.message}`);
} finally {
  stopHost();
}
if (code !== 0) {
  console.error(`--- the Functions host's console (${path.join(work, 'host.log')}), last 200 lines:`);
  console.error(fs.readFileSync(path.join(work, 'host.log'), 'utf8').split('\n').slice(-200).join('\n'));
} else {
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
