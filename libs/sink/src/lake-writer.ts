import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck, pathList } from './duck';
import { ensureDir, hourDir, offsetFileName, TEMP_PREFIX } from './lake-layout';
import { lakeSelectList, LakeSchemas, STAGED_COLUMNS, UNFIT_STAGED_ROWS } from './lake-schema';
import type { Run } from './staging';

const UNFIT = 'streamfold-lake: unfit row';

/**
 * Writes runs as Parquet through DuckDB: each run's staged JSON lines go to a scratch file, and
 * one COPY parses them (read_json, in C++, off the Node thread) and writes the Parquet file under
 * a temporary name in its final folder. Only when every run is written are they renamed, in
 * offset order: the rename (atomic within one file system) publishes a file, so a file exists
 * whole under its final name or not at all, and a crash leaves a prefix of the runs.
 */
export class LakeWriter {
  private readonly select: string;

  constructor(private readonly duck: Duck, private readonly dir: string, schemas: LakeSchemas = {}, private readonly compression: 'snappy' | 'zstd' = 'snappy') {
    this.select = lakeSelectList(schemas);
  }

  /**
   * Writes the runs and returns the files published, or 'unfit' (nothing published) when `verify`
   * is set and a staged row is not JSON, not an envelope, or has an occurredAt other than its `ts`.
   */
  async writeRuns(topic: string, partition: number, runs: Run[], verify: boolean): Promise<string[] | 'unfit'> {
    const written: Array<{ temp: string; target: string }> = [];
    try {
      for (const run of runs) {
        if (run.lines.length === 0) continue;
        const outcome = await this.copyRun(topic, partition, run, verify);
        if (outcome === 'unfit') return 'unfit';
        written.push(outcome);
      }
      for (const w of written) renameSync(w.temp, w.target);
      return written.map((w) => w.target);
    } finally {
      for (const w of written) rmSync(w.temp, { force: true });
    }
  }

  private async copyRun(topic: string, partition: number, run: Run, verify: boolean): Promise<{ temp: string; target: string } | 'unfit'> {
    const folder = resolve(hourDir(this.dir, topic, run.hour));
    ensureDir(folder);
    const id = randomBytes(6).toString('hex');
    const name = offsetFileName(topic, partition, run.first, run.last);
    const temp = join(folder, `${TEMP_PREFIX}${id}-${name}`);
    const staging = join(tmpdir(), `streamfold-lake-${process.pid}-${id}.ndjson`);
    // The check rides along the one pass: DuckDB's error() aborts the COPY at the first unfit row.
    const check = verify ? `WHERE CASE WHEN ${UNFIT_STAGED_ROWS} THEN error('${UNFIT}') ELSE true END` : '';
    try {
      writeFileSync(staging, run.lines.join('\n') + '\n');
      await this.duck.run(
        `COPY (SELECT ${this.select} FROM read_json(${pathList([staging]).slice(1, -1)}, format = 'newline_delimited', columns = ${STAGED_COLUMNS}) ${check}) ` +
          `TO '${temp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${this.compression})`,
      );
      return { temp, target: join(folder, name) };
    } catch (error) {
      rmSync(temp, { force: true });
      // Not JSON, or a row the check refused: the exact path parses each message instead.
      if (verify) return 'unfit';
      throw error;
    } finally {
      rmSync(staging, { force: true });
    }
  }
}
