// Local stand-in for Azure Storage: Azurite's Blob, Queue and Table services in this process, data on
// disk under <data dir>/azurite. On-disk on purpose: --inMemoryPersistence freezes for tens of
// seconds during its periodic cleanup once thousands of queue messages went through.
//
//   node local/azurite.mjs [--blob-port 10000] [--queue-port 10001] [--table-port 10002] [--data-dir DIR]
//
// AGENTS_AZURITE_ACCESS_LOG=true logs every request (off by default: the log grows fast under load).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const { values: args } = parseArgs({
  options: {
    'blob-port': { type: 'string', default: '10000' },
    'queue-port': { type: 'string', default: '10001' },
    'table-port': { type: 'string', default: '10002' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
  },
});

const dataDir = path.resolve(args['data-dir'] ?? process.env.AGENTS_LOCAL_DATA_DIR ?? path.join(here, '..', '.data'));
const location = path.join(dataDir, 'azurite');
fs.mkdirSync(location, { recursive: true });

const packageDir = path.dirname(require.resolve('azurite/package.json'));
const cli = path.join(packageDir, 'dist', 'src', 'azurite.js');

// Azurite's CLI reads process.argv; run it in this process so signals reach it directly.
process.argv = [process.argv[0], cli,
  '--blobHost', args.host, '--blobPort', args['blob-port'],
  '--queueHost', args.host, '--queuePort', args['queue-port'],
  '--tableHost', args.host, '--tablePort', args['table-port'],
  '--location', location,
  '--skipApiVersionCheck',
  '--loose',
  '--disableTelemetry',
  // Azurite logs every request to the console; keep its log small unless asked.
  ...(process.env.AGENTS_AZURITE_ACCESS_LOG === 'true' ? [] : ['--silent']),
];

// Azurite keeps its metadata (queues' messages, tables' entities, blobs' leases) in LokiJS databases that it writes to
// disk every 5 s, each on its own timer: a SIGKILL loses up to 5 s of writes it acknowledged, unevenly between the
// databases (a task hub's history can keep a step whose queue message is gone). Azure Storage loses nothing it
// acknowledged. SIGUSR2 writes every database now, then writes DIR/azurite.flushed: a test that crashes the stack
// kills the app first, flushes, then kills Azurite, and so sees what Azure would keep.
const Loki = createRequire(path.join(packageDir, 'package.json'))('lokijs');
const databases = new Set();
const configureOptions = Loki.prototype.configureOptions;
Loki.prototype.configureOptions = function register(...options) {
  databases.add(this);
  return configureOptions.apply(this, options);
};
process.on('SIGUSR2', () => {
  const saves = [...databases].map((db) => new Promise((resolve, reject) => db.saveDatabase((e) => (e ? reject(e) : resolve()))));
  Promise.all(saves).then(
    () => fs.writeFileSync(path.join(dataDir, 'azurite.flushed'), `${new Date().toISOString()}\n`),
    (e) => console.error(`azurite: flushing to disk failed: ${e.message}`));
});

// Azurite closes its servers on SIGINT/SIGTERM; make sure the process then really ends.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => setTimeout(() => process.exit(0), 3000).unref());
}
// Started by stack.mjs with an IPC channel: exit when the parent goes away, even if it was killed.
process.channel?.unref();
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

require(cli);
