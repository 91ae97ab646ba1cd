import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PgliteLike, PgliteResult } from './pglite-sql';

// Plain JavaScript: the worker runs outside ts-jest. int8 comes back as a string, as `pg` does.
// initdb is most of PGlite's start-up (seconds); a freshly initialised data directory is cached
// as a tarball, written to a temporary name and renamed so concurrent jest workers never read half
// a file. A cache that fails to load is replaced.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { PGlite } = require(workerData.pglitePath);
const parsers = { 20: (value) => value };
const FIELDS = ['name', 'code', 'detail', 'hint', 'severity', 'position', 'schema', 'table', 'column', 'constraint'];
async function open() {
  const cache = workerData.cachePath;
  if (fs.existsSync(cache)) {
    try {
      const db = new PGlite({ parsers, loadDataDir: new Blob([fs.readFileSync(cache)]) });
      await db.waitReady;
      return db;
    } catch {}
  }
  const db = new PGlite({ parsers });
  await db.waitReady;
  try {
    const tmp = cache + '.' + process.pid + '.' + Date.now();
    fs.writeFileSync(tmp, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
    fs.renameSync(tmp, cache);
  } catch {}
  return db;
}
const ready = open();
parentPort.on('message', async (m) => {
  try {
    const db = await ready;
    const result = m.op === 'query' ? await db.query(m.text, m.params) : m.op === 'exec' ? await db.exec(m.text) : await db.close();
    parentPort.postMessage({ id: m.id, result });
  } catch (e) {
    const error = { message: String(e && e.message) };
    for (const f of FIELDS) if (e && e[f] !== undefined) error[f] = e[f];
    parentPort.postMessage({ id: m.id, error });
  }
});
`;

/** An in-memory PGlite running in a worker thread; close() it when done. */
export interface PgliteWorker extends PgliteLike {
  close(): Promise<void>;
}

/**
 * Starts an in-memory PostgreSQL (PGlite) in a worker thread, for `pgliteSql(await startPglite())`.
 * Why a worker: PGlite loads its WASM through dynamic import(), which jest's module sandbox
 * refuses without --experimental-vm-modules; a worker thread runs Node's own loader. Rows cross
 * the thread by structured clone and are rebuilt in the caller's realm (see revive). Query
 * options (custom parsers) are not forwarded: the worker already parses like `pg`.
 */
export async function startPglite(): Promise<PgliteWorker> {
  const pglitePath = require.resolve('@electric-sql/pglite');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pglitePath, cachePath: dataDirCache(pglitePath) } });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (m: { id: number; result?: unknown; error?: { message: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error));
    else p.resolve(revive(m.result));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`PGlite worker exited (code ${code})`)));
  // Referenced only while a request is pending: a test that forgets close(), or times out before
  // it, must not keep jest alive, and a script awaiting a reply must not exit under it.
  worker.unref();

  const call = <T>(message: { op: 'query' | 'exec' | 'close'; text?: string; params?: unknown[] }) =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, ...message });
    });

  const db: PgliteWorker = {
    query: (text, params) => call<PgliteResult>({ op: 'query', text, params }),
    exec: (text) => call<PgliteResult[]>({ op: 'exec', text }),
    async close() {
      await call({ op: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
  await db.query('SELECT 1');
  return db;
}

/** One cached empty data directory per PGlite version (its format changes with the version). */
function dataDirCache(pglitePath: string): string {
  let version = 'unknown';
  try {
    version = JSON.parse(readFileSync(join(dirname(pglitePath), '..', 'package.json'), 'utf8')).version;
  } catch {
    // An unknown version still caches; a stale cache that fails to load is rebuilt.
  }
  return join(tmpdir(), `streamfold-pglite-${version}-datadir.tar`);
}

/**
 * Structured clone delivers objects of Node's main realm, while jest runs tests in a vm realm
 * where `instanceof Date` and toStrictEqual would then fail. Rebuilds dates, byte arrays (as
 * Buffers, like `pg`), arrays and plain objects here.
 */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const tag = Object.prototype.toString.call(value);
  if (tag === '[object Date]') return new Date((value as Date).getTime());
  if (tag === '[object Uint8Array]') return Buffer.from(value as Uint8Array);
  if (Array.isArray(value)) return value.map(revive);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
}
