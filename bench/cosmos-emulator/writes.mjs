// Write throughput of the local Cosmos DB emulator, in memory and with persistence (local/cosmos-persistence.mjs),
// side by side in one run: both emulators start on free ports, then alternate rounds of upserts of ~1 KB documents
// over HTTPS keep-alive (the .NET SDK's gateway path), at a fixed concurrency. Prints a markdown table.
//
//   node bench/cosmos-emulator/writes.mjs [--rounds 4] [--writes 5000] [--concurrency 16]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const emulator = path.resolve(here, '..', '..', 'local', 'cosmos-emulator.mjs');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    writes: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const rounds = Number(args.rounds);
const writes = Number(args.writes);
const concurrency = Number(args.concurrency);
const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, rejectUnauthorized: false });

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

function call(port, method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method, path: url, agent, headers: {
      'content-type': 'application/json', 'x-ms-version': '2018-12-31', ...headers,
      ...(text ? { 'content-length': Buffer.byteLength(text) } : {}),
    } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function start(name, extra) {
  const port = await freePort();
  const child = spawn(process.execPath, [emulator, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('listening')) resolve(); }));
  await call(port, 'POST', '/dbs', { id: 'bench' });
  await call(port, 'POST', '/dbs/bench/colls', { id: 'docs', partitionKey: { paths: ['/pk'], kind: 'Hash' } });
  return { name, port, child };
}

async function round(target, n) {
  const payload = 'x'.repeat(900);
  let next = 0;
  const begun = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const pk = `user${i % 64}`;
      await call(target.port, 'POST', '/dbs/bench/colls/docs/docs', { id: `doc${i % 2000}`, pk, payload, n: i },
        { 'x-ms-documentdb-partitionkey': JSON.stringify([pk]), 'x-ms-documentdb-is-upsert': 'True' });
    }
  }));
  return n / (Number(process.hrtime.bigint() - begun) / 1e9);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmos-bench-'));
const targets = [await start('in memory', []), await start('persisted', ['--data-dir', dir])];
const results = Object.fromEntries(targets.map((t) => [t.name, []]));
try {
  for (const t of targets) await round(t, 500); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const t of (r % 2 ? [...targets].reverse() : targets)) results[t.name].push(await round(t, writes));
  }
} finally {
  for (const t of targets) t.child.kill('SIGKILL');
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const logBytes = fs.statSync(path.join(dir, 'cosmos.log')).size;
fs.rmSync(dir, { recursive: true, force: true });
const memory = median(results['in memory']);
const persisted = median(results.persisted);
console.log(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} CPUs (${os.cpus()[0].model.trim()}), Node ${process.version}; load average before the last round ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.`);
console.log(`Command: \`node bench/cosmos-emulator/writes.mjs --rounds ${rounds} --writes ${writes} --concurrency ${concurrency}\`: ${rounds} alternating rounds of ${writes} upserts (~1 KB documents over 2,000 ids in 64 partitions), ${concurrency} at a time, after 500 warm-up writes each.`);
console.log('');
console.log('| emulator | writes/s (median of rounds) | every round | |');
console.log('|---|---:|---|---|');
console.log(`| in memory | ${memory.toFixed(0)} | ${results['in memory'].map((x) => x.toFixed(0)).join(', ')} | |`);
console.log(`| persisted (log of ${(logBytes / 1e6).toFixed(1)} MB at the end) | ${persisted.toFixed(0)} | ${results.persisted.map((x) => x.toFixed(0)).join(', ')} | ${((persisted / memory - 1) * 100).toFixed(1)} % |`);
