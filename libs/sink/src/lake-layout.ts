import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where things live in the lake: `<dir>/topic=<t>/date=YYYY-MM-DD/hour=HH/<file>.parquet`, the
 * Hive layout Spark, Trino and DuckDB all read. A sink file is named by its Kafka partition and
 * offset range, `<topic>+<partition>+<first>-<last>.parquet`: the names alone tell where the sink
 * resumes, so no checkpoint lives outside the data.
 */

/** `LAKE_DIR` or `.data/lake`. */
export function defaultLakeDir(): string {
  return process.env.LAKE_DIR || '.data/lake';
}

/** `YYYY-MM-DD/HH` of an event time, in UTC. */
export type HourKey = string;

export function hourKeyOf(epochMs: number): HourKey {
  // Called per message on the sink's hot path: format each hour once.
  const hour = Math.floor(epochMs / 3_600_000);
  if (hour === lastHour) return lastKey;
  const iso = new Date(hour * 3_600_000).toISOString();
  lastHour = hour;
  lastKey = `${iso.slice(0, 10)}/${iso.slice(11, 13)}`;
  return lastKey;
}

let lastHour = NaN;
let lastKey = '';

export function topicDir(dir: string, topic: string): string {
  return join(dir, `topic=${topic}`);
}

export function hourDir(dir: string, topic: string, hour: HourKey): string {
  const [date, hh] = hour.split('/');
  return join(topicDir(dir, topic), `date=${date}`, `hour=${hh}`);
}

export function offsetFileName(topic: string, partition: number, first: number, last: number): string {
  return `${topic}+${partition}+${first}-${last}.parquet`;
}

/** Prefix of files being written; a crash leaves them behind and recovery deletes them. */
export const TEMP_PREFIX = '.tmp-';

export interface OffsetFile {
  path: string;
  /** Folder of its hour partition. */
  folder: string;
  partition: number;
  first: number;
  last: number;
  bytes: number;
}

export interface TopicFiles {
  /** Files named by an offset range (written by the sink or by compaction). */
  offsetFiles: OffsetFile[];
  /** Other Parquet files (backfill) that carry no Kafka offsets. */
  otherFiles: string[];
  tempFiles: string[];
  bytes: number;
}

const OFFSET_NAME = /^(.+)\+(\d+)\+(\d+)-(\d+)\.parquet$/;

/** Walks one topic's hour folders. Missing folders are an empty topic, not an error. */
export function listTopicFiles(dir: string, topic: string): TopicFiles {
  const out: TopicFiles = { offsetFiles: [], otherFiles: [], tempFiles: [], bytes: 0 };
  for (const folder of hourFolders(dir, topic)) {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name.startsWith(TEMP_PREFIX)) {
        out.tempFiles.push(path);
        continue;
      }
      if (!name.endsWith('.parquet')) continue;
      const bytes = statSync(path).size;
      out.bytes += bytes;
      const m = OFFSET_NAME.exec(name);
      if (m && m[1] === topic) out.offsetFiles.push({ path, folder, partition: Number(m[2]), first: Number(m[3]), last: Number(m[4]), bytes });
      else out.otherFiles.push(path);
    }
  }
  return out;
}

export function hourFolders(dir: string, topic: string): string[] {
  const root = topicDir(dir, topic);
  const folders: string[] = [];
  for (const date of subdirs(root, 'date=')) for (const hour of subdirs(date, 'hour=')) folders.push(hour);
  return folders.sort();
}

/** Topics present in the lake, from their `topic=` folders. */
export function lakeTopics(dir: string): string[] {
  return subdirs(dir, 'topic=').map((p) => p.slice(p.lastIndexOf('topic=') + 6)).sort();
}

function subdirs(parent: string, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).map((n) => join(parent, n)).filter((p) => statSync(p).isDirectory());
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true });
}
