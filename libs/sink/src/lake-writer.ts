import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Duck } from './duck';
import { ensureDir, hourDir, offsetFileName, TEMP_PREFIX } from './lake-layout';
import { ENVELOPE_STRUCTURE, lakeSelectList, LakeSchemas, sqlString, UNFIT_STAGED_ROWS } from './lake-schema';
import { STAGE_TABLE, StageTable } from './stage-table';
import type { Run } from './staging';

const UNFIT = 'streamfold-lake: unfit row';

/**
 * Writes runs as Parquet through DuckDB: a flush's rows go into the connection's stage table
 * through the appender (see StageTable), and one COPY per run parses the envelopes (json_transform,
 * in C++) and writes the Parquet file under a temporary name in its final folder. Only when every
 * run is written are they renamed, in offset order: the rename (atomic within one file system)
 * publishes a file, so a file exists whole under its final name or not at all, and a crash leaves
 * a prefix of the runs.
 */
export class LakeWriter {
  private readonly select: string;
  private stage: Promise<StageTable> | null = null;

  constructor(private readonly duck: Duck, private readonly dir: string, schemas: LakeSchemas = {}, private readonly compression: 'snappy' | 'zstd' = 'snappy') {
    this.select = lakeSelectList(schemas);
  }

  /**
   * Writes the runs and returns the files published, or 'unfit' (nothing published) when `verify`
   * is set and a row is not JSON, not an envelope, or has an occurredAt other than its `ts`, or
   * 'revoked' (nothing published) when `mayPublish` says no once they are written: it is asked
   * right before the renames, which then run without yielding.
   */
  writeRuns(topic: string, partition: number, runs: Run[], verify: boolean, mayPublish: () => boolean = () => true): Promise<string[] | 'unfit' | 'revoked'> {
    // The stage table belongs to the connection: one flush at a time fills and reads it.
    return this.duck.exclusive(async (connection) => {
      this.stage ??= StageTable.create(connection);
      const stage = await this.stage;
      const written: Array<{ temp: string; target: string }> = [];
      try {
        await stage.fill(runs.flatMap((r) => r.rows));
        for (const run of runs) {
          if (run.written === 0) continue;
          const outcome = await this.copyRun(connection, topic, partition, run, verify);
          if (outcome === 'unfit') return 'unfit';
          written.push(outcome);
        }
        if (!mayPublish()) return 'revoked';
        for (const w of written) renameSync(w.temp, w.target);
        return written.map((w) => w.target);
      } finally {
        for (const w of written) rmSync(w.temp, { force: true });
        await stage.clear();
      }
    });
  }

  private async copyRun(connection: DuckDBConnection, topic: string, partition: number, run: Run, verify: boolean): Promise<{ temp: string; target: string } | 'unfit'> {
    const folder = resolve(hourDir(this.dir, topic, run.hour));
    ensureDir(folder);
    const name = offsetFileName(topic, partition, run.first, run.last);
    const temp = join(folder, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
    // The check rides along the one pass: DuckDB's error() aborts the COPY at the first unfit row.
    const check = verify ? `WHERE CASE WHEN ${UNFIT_STAGED_ROWS} THEN error('${UNFIT}') ELSE true END` : '';
    const rows = `SELECT p, o, k, q, ts, json_transform(e, ${sqlString(ENVELOPE_STRUCTURE)}) AS e FROM ${STAGE_TABLE} WHERE o BETWEEN ${run.first} AND ${run.last}`;
    try {
      await connection.run(`COPY (SELECT ${this.select} FROM (${rows}) ${check}) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION ${this.compression})`);
      return { temp, target: join(folder, name) };
    } catch (error) {
      rmSync(temp, { force: true });
      // Not JSON, or a row the check refused: the exact path parses each message instead.
      if (verify) return 'unfit';
      throw error;
    }
  }
}
