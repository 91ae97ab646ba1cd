import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck, pathList } from './duck';
import { ensureDir, hourDir, offsetFileName, TEMP_PREFIX } from './lake-layout';
import { lakeSelectList, LakeSchemas, STAGED_COLUMNS, UNFIT_STAGED_ROWS } from './lake-schema';
import type { Run } from './staging';

/**
 * Writes runs as Parquet through DuckDB: the staged JSON lines go to a scratch file, DuckDB's
 * read_json parses and types them in C++ (off the Node thread), and COPY writes each run's Parquet
 * file under a temporary name in its final folder; the rename (atomic within one file system)
 * publishes it. A file either exists whole under its final name or not at all.
 */
export class LakeWriter {
  private readonly select: string;

  constructor(private readonly duck: Duck, private readonly dir: string, schemas: LakeSchemas = {}, private readonly compression: 'snappy' | 'zstd' = 'snappy') {
    this.select = lakeSelectList(schemas);
  }

  /**
   * Writes the runs in offset order and returns the files written, or 'unfit' (nothing written)
   * when `verify` is set and a staged row is not an envelope whose occurredAt equals its `ts`.
   */
  async writeRuns(topic: string, partition: number, runs: Run[], verify: boolean): Promise<string[] | 'unfit'> {
    const lines = runs.flatMap((r) => r.lines);
    if (lines.length === 0) return [];
    const id = randomBytes(6).toString('hex');
    const staging = join(tmpdir(), `streamfold-lake-${process.pid}-${id}.ndjson`);
    // One table per flush: partitions flush concurrently and their statements interleave.
    const table = `staged_${id}`;
    try {
      writeFileSync(staging, lines.join('\n') + '\n');
      const read = `read_json(${pathList([staging]).slice(1, -1)}, format = 'newline_delimited', columns = ${STAGED_COLUMNS})`;
      try {
        await this.duck.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${read}`);
      } catch (error) {
        if (verify) return 'unfit'; // a value that is not JSON: the exact path finds and skips it
        throw error;
      }
      if (verify) {
        const [{ n }] = await this.duck.rows<{ n: number }>(`SELECT count(*)::INT AS n FROM ${table} WHERE ${UNFIT_STAGED_ROWS}`);
        if (n > 0) return 'unfit';
      }
      const written: string[] = [];
      for (const run of runs) if (run.lines.length > 0) written.push(await this.copyRun(table, topic, partition, run));
      return written;
    } finally {
      rmSync(staging, { force: true });
      await this.duck.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    }
  }

  private async copyRun(table: string, topic: string, partition: number, run: Run): Promise<string> {
    const folder = resolve(hourDir(this.dir, topic, run.hour));
    ensureDir(folder);
    const name = offsetFileName(topic, partition, run.first, run.last);
    const temp = join(folder, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
    try {
      await this.duck.run(
        // The table keeps the staging file's (offset) order: DuckDB preserves insertion order.
        `COPY (SELECT ${this.select} FROM ${table} WHERE o BETWEEN ${run.first} AND ${run.last}) ` +
          `TO '${temp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${this.compression})`,
      );
      renameSync(temp, join(folder, name));
      return join(folder, name);
    } finally {
      rmSync(temp, { force: true });
    }
  }
}
