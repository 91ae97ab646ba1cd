import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Duck, pathList } from './duck';
import { defaultLakeDir, lakeTopics, listTopicFiles, offsetFileName, OffsetFile, TEMP_PREFIX } from './lake-layout';
import { removeCovered } from './recovery';

export interface CompactOptions {
  /** Lake root. @default process.env.LAKE_DIR || '.data/lake' */
  dir?: string;
  /** Topics to compact. @default every topic in the lake */
  topics?: string[];
  /** An hour folder's partition is merged once it has at least this many files. @default 2 */
  minFiles?: number;
  /** Reuse a DuckDB (the sink's); otherwise one is opened and closed. */
  duck?: Duck;
}

export interface CompactResult {
  /** Files written by merging. */
  merged: number;
  /** Input files deleted. */
  removed: number;
  rows: number;
}

/**
 * Merges the small files of each hour folder, per Kafka partition, into one, without losing or
 * repeating a row: the merged file is written under a temporary name, renamed to the name of the
 * offset range it spans, and only then are its inputs deleted. A crash before the rename leaves
 * a temporary file (deleted by the sink's start); a crash after it leaves inputs whose ranges lie
 * inside the merged one, which readers ignore and recovery deletes. The sink's position (highest
 * last offset) is the same before and after. Safe beside a running sink: it only ever adds files
 * above every existing range. Run one compaction per lake at a time.
 */
export async function compactLake(options: CompactOptions = {}): Promise<CompactResult> {
  const dir = options.dir ?? defaultLakeDir();
  const minFiles = options.minFiles ?? 2;
  const duck = options.duck ?? (await Duck.open());
  const result: CompactResult = { merged: 0, removed: 0, rows: 0 };
  try {
    for (const topic of options.topics ?? lakeTopics(dir)) {
      const groups = new Map<string, OffsetFile[]>();
      for (const f of removeCovered(listTopicFiles(dir, topic).offsetFiles)) {
        const key = `${f.folder}\u0000${f.partition}`;
        groups.set(key, [...(groups.get(key) ?? []), f]);
      }
      for (const inputs of groups.values()) {
        if (inputs.length < minFiles) continue;
        result.rows += await merge(duck, topic, inputs);
        result.merged++;
        result.removed += inputs.length;
      }
    }
  } finally {
    if (!options.duck) duck.close();
  }
  return result;
}

async function merge(duck: Duck, topic: string, inputs: OffsetFile[]): Promise<number> {
  const { folder, partition } = inputs[0];
  const first = Math.min(...inputs.map((f) => f.first));
  const last = Math.max(...inputs.map((f) => f.last));
  const target = join(folder, offsetFileName(topic, partition, first, last));
  const temp = join(folder, `${TEMP_PREFIX}compact-${randomBytes(6).toString('hex')}.parquet`);
  // hive_partitioning off: the folder's key=value parts must not become columns of the file.
  const source = `read_parquet(${pathList(inputs.map((f) => f.path))}, union_by_name = true, hive_partitioning = false)`;
  try {
    const [{ n }] = await duck.rows<{ n: number }>(`SELECT count(*)::INT AS n FROM ${source}`);
    await duck.run(`COPY (SELECT * FROM ${source} ORDER BY kafka_offset) TO '${temp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(temp, target);
    for (const f of inputs) if (f.path !== target) rmSync(f.path, { force: true });
    return n;
  } finally {
    rmSync(temp, { force: true });
  }
}
