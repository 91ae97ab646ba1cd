import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck, pathList } from './duck';
import { ensureDir, hourDir, offsetFileName, TEMP_PREFIX } from './lake-layout';
import { lakeSelectList, LakeSchemas, STAGED_COLUMNS } from './lake-schema';
import type { Run } from './staging';

/**
 * Writes runs as Parquet through DuckDB: the staged JSON lines go to a scratch file, DuckDB's
 * read_json parses and types them in C++, and COPY writes the Parquet file under a temporary name
 * in its final folder; the rename (atomic within one file system) publishes it. A file either
 * exists whole under its final name or not at all.
 */
export class LakeWriter {
  private readonly select: string;

  constructor(private readonly duck: Duck, private readonly dir: string, schemas: LakeSchemas = {}) {
    this.select = lakeSelectList(schemas);
  }

  /** Writes the runs in offset order; returns the files written. */
  async writeRuns(topic: string, partition: number, runs: Run[]): Promise<string[]> {
    const written: string[] = [];
    for (const run of runs) {
      if (run.lines.length === 0) continue; // only skipped messages: nothing to keep
      const folder = resolve(hourDir(this.dir, topic, run.hour));
      ensureDir(folder);
      const name = offsetFileName(topic, partition, run.first, run.last);
      const temp = join(folder, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
      const staging = join(tmpdir(), `streamfold-lake-${process.pid}-${randomBytes(6).toString('hex')}.ndjson`);
      try {
        writeFileSync(staging, run.lines.join('\n') + '\n');
        await this.duck.run(
          `COPY (SELECT ${this.select} FROM read_json(${pathList([staging]).slice(1, -1)}, format = 'newline_delimited', columns = ${STAGED_COLUMNS}) ORDER BY o) ` +
            `TO '${temp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`,
        );
        renameSync(temp, join(folder, name));
        written.push(join(folder, name));
      } finally {
        rmSync(staging, { force: true });
        rmSync(temp, { force: true });
      }
    }
    return written;
  }
}
