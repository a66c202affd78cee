// Durable storage for the local Cosmos DB emulator (@vercel/cosmosdb-server keeps everything in memory).
//
// Every change to a database, container or document is appended to <dir>/cosmos.log (one JSON line per change,
// written with a synchronous write before the server answers), and the log is replayed into the server's account when
// it is created. A replayed document is the stored one itself, so its _etag, _ts and _rid survive, and queries see
// the same documents in the same order as before. The log is compacted (rewritten as one record per live item, then
// renamed over the old one) at start and whenever it has grown to several times its compacted size.
//
// What it protects against: the emulator process dying (kill -9) or the whole stack stopping. A write is in the
// operating system's page cache before the client gets its answer, so a killed process loses nothing it acknowledged;
// there is no fsync per write, so a crash of the machine itself may lose the last writes (as with Azurite locally).
// A torn last line (the process killed in the middle of a write) is dropped at replay: its write was never answered.
//
// It hooks the server's collection class (Items) at its two mutation points, _set and delete, through which create,
// replace, upsert, patch and delete all go. User-defined functions and partition key ranges are not persisted (the
// app uses no UDFs; the ranges are derived from the container).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const Items = require('@vercel/cosmosdb-server/lib/account/items').default;
const accountModule = require('@vercel/cosmosdb-server/lib/account');

// The kinds of child collection persisted, by the _self segment that names them.
const KINDS = Object.freeze({ dbs: 'databases', colls: 'collections', docs: 'documents' });
const PERSISTED = new Set(Object.values(KINDS));
// Compact when the log is this many times larger than after the last compaction (and at least MIN_COMPACT_BYTES).
const GROWTH_BEFORE_COMPACTION = 4;
const MIN_COMPACT_BYTES = 64 * 1024 * 1024;

/**
 * Makes the emulator durable in `dir`: replays what is there into the account the server creates when it starts
 * listening, then logs every change. Call before the server listens.
 * @returns {{ stats: () => object }}
 */
export function persistTo(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'cosmos.log');
  let fd = null;
  let replaying = false;
  let account = null;
  let bytes = 0;
  let compactedBytes = 0;
  let records = 0;

  // The account is created by the server when it starts listening: take it over then, before any request.
  const Original = accountModule.default;
  accountModule.default = class PersistentAccount extends Original {
    constructor(...args) {
      super(...args);
      account = this;
      restore();
    }
  };

  const originalSet = Items.prototype._set;
  const originalDelete = Items.prototype.delete;
  Items.prototype._set = function set(data) {
    const result = originalSet.call(this, data);
    if (!replaying && fd !== null) {
      const where = locate(this);
      if (where) append({ o: 's', p: where.parent, k: where.kind, c: this._ridCount, d: result });
    }
    return result;
  };
  Items.prototype.delete = function remove(idOrRid, partition) {
    const data = this._item('/id', idOrRid, partition).read();
    originalDelete.call(this, idOrRid, partition);
    if (!replaying && fd !== null && data) {
      const where = locate(this);
      if (where) append({ o: 'd', p: where.parent, k: where.kind, r: data._rid, pk: partitionOf(this, data) });
    }
  };

  function locate(items) {
    const parent = items._parent;
    const kind = Object.keys(parent).find((key) => parent[key] === items);
    if (!PERSISTED.has(kind)) return null;
    return { parent: parent.read()?._self ?? '', kind };
  }

  function partitionOf(items, data) {
    const value = items._getPartition(data);
    return value === undefined ? undefined : value;
  }

  function append(record) {
    const line = `${JSON.stringify(record)}\n`;
    fs.writeSync(fd, line);
    bytes += Buffer.byteLength(line);
    records += 1;
    if (bytes > Math.max(MIN_COMPACT_BYTES, compactedBytes * GROWTH_BEFORE_COMPACTION)) compact();
  }

  // The Items that holds the children of kind `kind` of the item whose _self is `self` ('' for the account).
  function itemsAt(self, kind) {
    let item = account;
    const segments = self.split('/').filter(Boolean);
    for (let i = 0; i + 1 < segments.length; i += 2) {
      const children = item?.[KINDS[segments[i]]];
      item = children?._data.get(segments[i + 1]);
    }
    return item?.[kind] ?? null;
  }

  function restore() {
    replaying = true;
    let replayed = 0;
    try {
      if (fs.existsSync(file)) {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        for (let i = 0; i < lines.length; i++) {
          if (!lines[i]) continue;
          let record;
          try {
            record = JSON.parse(lines[i]);
          } catch (err) {
            if (i >= lines.length - 2) break; // a torn last line: the write was never answered
            throw new Error(`${file}, line ${i + 1}: ${err.message}`);
          }
          apply(record, i + 1);
          replayed += 1;
        }
      }
    } finally {
      replaying = false;
    }
    compact();
    console.log(`cosmos emulator: ${replayed} changes replayed from ${file}; ${records} live items kept`);
  }

  function apply(record, lineNumber) {
    const items = itemsAt(record.p, record.k);
    if (!items) {
      // The parent was deleted later in the log's history than this record was written: nothing to restore.
      return;
    }
    if (record.o === 's') {
      items._ridCount = Math.max(items._ridCount, record.c ?? 0);
      originalSet.call(items, record.d);
    } else if (record.o === 'd') {
      if (items._data.has(record.r)) originalDelete.call(items, record.r, record.pk);
    } else {
      throw new Error(`${file}, line ${lineNumber}: unknown operation ${record.o}`);
    }
  }

  // Rewrites the log as one record per live item (parents before children, in each collection's order), then
  // renames it over the old log, so a crash during compaction leaves the old log whole.
  function compact() {
    if (fd !== null) fs.closeSync(fd);
    const tmp = `${file}.${process.pid}.tmp`;
    const out = fs.openSync(tmp, 'w');
    let written = 0;
    let count = 0;
    const write = (parent, kind, items) => {
      for (const item of items._data.values()) {
        const data = item.read();
        const line = `${JSON.stringify({ o: 's', p: parent, k: kind, c: items._ridCount, d: data })}\n`;
        fs.writeSync(out, line);
        written += Buffer.byteLength(line);
        count += 1;
        for (const childKind of PERSISTED) {
          if (item[childKind] instanceof Items) write(data._self, childKind, item[childKind]);
        }
      }
    };
    write('', 'databases', account.databases);
    fs.fsyncSync(out);
    fs.closeSync(out);
    fs.renameSync(tmp, file);
    fd = fs.openSync(file, 'a');
    bytes = written;
    compactedBytes = written;
    records = count;
  }

  return { stats: () => ({ file, bytes, records }) };
}
