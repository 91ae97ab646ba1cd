import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance, DuckDBValue, StatementType } from '@duckdb/node-api';
import { pathList, retryOnVanishedFile } from './duck';
import { defaultLakeDir, lakeTopics, listTopicFiles } from './lake-layout';
import { coveredFiles } from './recovery';
import { sqlString } from './lake-schema';

export interface LakeQueryOptions {
  /** Lake root. @default process.env.LAKE_DIR || '.data/lake' */
  dir?: string;
  /** The query is interrupted after this long and rejects with LakeQueryTimeout. @default 10000 */
  timeoutMs?: number;
  /** Values for `$name` placeholders. */
  params?: Record<string, DuckDBValue>;
  /** Rows returned at most (the rest are cut off, `truncated` says so). @default 10000 */
  maxRows?: number;
}

export interface LakeQueryResult {
  columns: string[];
  /** JSON-friendly values: BIGINTs and timestamps come back as strings. */
  rows: Array<Record<string, unknown>>;
  truncated: boolean;
  elapsedMs: number;
}

export class LakeQueryTimeout extends Error {
  override name = 'LakeQueryTimeout';
}

/** Anything but a single SELECT (writes, settings, attaching files) is refused before it runs. */
export class LakeQueryRejected extends Error {
  override name = 'LakeQueryRejected';
}

/**
 * Runs one SELECT over the lake in a fresh in-memory DuckDB with one view per topic (named as the
 * topic, and by its last dot-separated segment when that is unambiguous: `social.likes` is also
 * `likes`). Read-only by construction: only a SELECT is accepted, file access is confined to the
 * lake folder and the settings are locked, so a query can neither write nor read elsewhere.
 */
export async function queryLake(sql: string, options: LakeQueryOptions = {}): Promise<LakeQueryResult> {
  return retryOnVanishedFile(() => queryOnce(sql, options));
}

async function queryOnce(sql: string, options: LakeQueryOptions): Promise<LakeQueryResult> {
  const dir = resolve(options.dir ?? defaultLakeDir());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRows = options.maxRows ?? 10_000;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const started = Date.now();
  try {
    await createViews(connection, dir);
    await lockDown(connection, dir);
    const statements = await connection.extractStatements(sql);
    if (statements.count !== 1) throw new LakeQueryRejected(`one statement expected, got ${statements.count}`);
    const prepared = await statements.prepare(0);
    if (prepared.statementType !== StatementType.SELECT) throw new LakeQueryRejected('only SELECT queries run over the lake');
    if (options.params) prepared.bind(options.params);
    const timer = setTimeout(() => connection.interrupt(), timeoutMs);
    try {
      const reader = await prepared.runAndReadUntil(maxRows + 1);
      const rows = reader.getRowObjectsJson() as Array<Record<string, unknown>>;
      return { columns: reader.columnNames(), rows: rows.slice(0, maxRows), truncated: rows.length > maxRows, elapsedMs: Date.now() - started };
    } catch (error) {
      if (/INTERRUPT/i.test((error as Error).message)) throw new LakeQueryTimeout(`lake query interrupted after ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * One view per topic over its current files: a listed set rather than a glob, so a merged file's
 * leftover inputs (a compaction cut short) are never counted twice.
 */
async function createViews(connection: DuckDBConnection, dir: string): Promise<void> {
  const topics = existsSync(dir) ? lakeTopics(dir).map((t) => ({ t, files: readableFiles(dir, t) })).filter((x) => x.files.length > 0) : [];
  const shortNames = new Map<string, number>();
  for (const { t } of topics) shortNames.set(shortName(t), (shortNames.get(shortName(t)) ?? 0) + 1);
  for (const { t, files } of topics) {
    await connection.run(`CREATE VIEW ${quoteIdent(t)} AS SELECT * FROM read_parquet(${pathList(files)}, hive_partitioning = true, union_by_name = true)`);
    const alias = shortName(t);
    if (alias !== t && shortNames.get(alias) === 1 && !topics.some((x) => x.t === alias)) await connection.run(`CREATE VIEW ${quoteIdent(alias)} AS SELECT * FROM ${quoteIdent(t)}`);
  }
}

/** The topic's Parquet files that hold rows nobody else holds. */
export function readableFiles(dir: string, topic: string): string[] {
  const files = listTopicFiles(dir, topic);
  const covered = new Set(coveredFiles(files.offsetFiles));
  return [...files.offsetFiles.filter((f) => !covered.has(f)).map((f) => f.path), ...files.otherFiles];
}

async function lockDown(connection: DuckDBConnection, dir: string): Promise<void> {
  await connection.run(`SET allowed_directories = [${sqlString(dir + '/')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

function shortName(topic: string): string {
  return topic.slice(topic.lastIndexOf('.') + 1);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
