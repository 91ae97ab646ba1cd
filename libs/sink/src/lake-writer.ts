import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureDir, hourDir, offsetFileName, TEMP_PREFIX } from './lake-layout';
import { ENVELOPE_STRUCTURE, lakeSelectList, LakeSchemas, sqlString, UNFIT_STAGED_ROWS } from './lake-schema';
import { PackedRows, recycle } from './packed-rows';
import { rowSourceName } from './row-source';
import type { Run } from './staging';
import type { WriterThread } from './writer-thread';

const UNFIT = 'streamfold-lake: unfit row';

/**
 * Writes runs as Parquet through DuckDB on the writer thread: a flush's rows are packed (see
 * RowPacker) and moved there, and one COPY per run reads the run's rows from the slot's row source
 * (`sf_rows_<slot>`, see write-worker.js), parses the envelopes (json_transform, in C++) and writes the Parquet file under a temporary name in its
 * final folder. Only when every run is written are they renamed, in offset order, here: the
 * rename (atomic within one file system) publishes a file, so a file exists whole under its final
 * name or not at all, and a crash leaves a prefix of the runs.
 */
export class LakeWriter {
  private readonly select: string;

  /** @param slot this writer's connection on the thread: flushes of one slot run one after another. */
  constructor(private readonly thread: WriterThread, private readonly slot: number, private readonly dir: string, schemas: LakeSchemas = {}, private readonly compression: 'snappy' | 'zstd' = 'snappy') {
    this.select = lakeSelectList(schemas);
  }

  /**
   * Writes the runs (their rows packed in `rows`, in offset order; moved to the writer thread) and
   * returns the files published, or `unfit` (nothing published; the rows back) when `verify`
   * is set and a row is not JSON, not an envelope, or has an occurredAt other than its `ts`, or
   * 'revoked' (nothing published) when `mayPublish` says no once they are written: it is asked
   * right before the renames, which then run without yielding.
   */
  async writeRuns(topic: string, partition: number, runs: Run[], rows: PackedRows, verify: boolean, mayPublish: () => boolean = () => true): Promise<string[] | { unfit: PackedRows } | 'revoked'> {
    const files: Array<{ temp: string; target: string }> = [];
    const statements: string[] = [];
    let row = 0; // the rows are packed in run order: a run's rows follow the previous run's
    for (const run of runs) {
      if (run.written === 0) continue;
      const folder = resolve(hourDir(this.dir, topic, run.hour));
      ensureDir(folder);
      const name = offsetFileName(topic, partition, run.first, run.last);
      const temp = join(folder, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
      files.push({ temp, target: join(folder, name) });
      statements.push(this.copyStatement(temp, row, row + run.written, verify));
      row += run.written;
    }
    if (files.length === 0) return mayPublish() ? [] : 'revoked';
    try {
      const reply = await this.thread.run(this.slot, rows, statements);
      // Not JSON, or a row the check refused: the exact path parses each message instead.
      if (!reply.ok && verify && reply.failed >= 0) return { unfit: reply.rows };
      if (!reply.ok) throw new Error(reply.message);
      recycle(reply.rows);
      if (!mayPublish()) return 'revoked';
      for (const f of files) renameSync(f.temp, f.target);
      return files.map((f) => f.target);
    } finally {
      for (const f of files) rmSync(f.temp, { force: true });
    }
  }

  private copyStatement(temp: string, start: number, end: number, verify: boolean): string {
    // The check rides along the one pass: DuckDB's error() aborts the COPY at the first unfit row.
    const check = verify ? `WHERE CASE WHEN ${UNFIT_STAGED_ROWS} THEN error('${UNFIT}') ELSE true END` : '';
    const rows = `SELECT p, o, k, q, ts, json_transform(e, ${sqlString(ENVELOPE_STRUCTURE)}) AS e FROM ${rowSourceName(this.slot)}(${start}, ${end})`;
    return `COPY (SELECT ${this.select} FROM (${rows}) ${check}) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION ${this.compression})`;
  }
}
