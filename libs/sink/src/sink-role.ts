import type { MessageLog } from '@streamfold/messaging';
import { compactLake, CompactResult } from './compaction';
import { Duck } from './duck';
import { defaultLakeDir } from './lake-layout';
import { LakeSchemas } from './lake-schema';
import { LakeSink, LakeSinkOptions, LakeSinkStats } from './lake-sink';

/** The sink's settings as read from the environment, validated at boot. */
export interface LakeConfig {
  /** LAKE_DIR. @default '.data/lake' */
  dir: string;
  /** LAKE_FLUSH_ROWS. @default 10000 */
  flushRows: number;
  /** LAKE_FLUSH_MS. @default 10000 */
  flushMs: number;
  /** LAKE_COMPACT_EVERY_MS; 0 turns compaction off. @default 60000 */
  compactEveryMs: number;
}

/** A LAKE_* variable that is not a valid setting; the host prints its message as one line and exits 1. */
export class InvalidLakeConfig extends Error {
  override name = 'InvalidLakeConfig';
}

/**
 * Reads and validates LAKE_DIR, LAKE_FLUSH_ROWS, LAKE_FLUSH_MS and LAKE_COMPACT_EVERY_MS (unset or
 * empty means the default). Throws InvalidLakeConfig naming the variable; call it at boot.
 */
export function lakeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LakeConfig {
  const int = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new InvalidLakeConfig(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    return value;
  };
  return { dir: env.LAKE_DIR || defaultLakeDir(), flushRows: int('LAKE_FLUSH_ROWS', 10_000, 1), flushMs: int('LAKE_FLUSH_MS', 10_000, 1), compactEveryMs: int('LAKE_COMPACT_EVERY_MS', 60_000, 0) };
}

/** Handle of a sink started by `runLakeSink`: stop it before the log closes, or a flush is cut short (the next start re-writes it). */
export interface RunningLakeSink {
  stats(): LakeSinkStats;
  /** The last compaction's result, null before the first. */
  lastCompaction(): CompactResult | null;
  /** Stops compaction (waiting for a merge in progress), then the sink. */
  stop(): Promise<void>;
}

/**
 * The `sink` process role (and the sink inside the embedded default): a LakeSink over `topics`
 * plus compaction on a timer. Compaction errors are reported and retried on the next tick: the
 * lake stays consistent whatever step a merge stopped at.
 */
export async function runLakeSink(options: {
  log: MessageLog;
  topics: string[];
  config?: LakeConfig;
  schemas?: LakeSchemas;
  groupId?: string;
  logger?: LakeSinkOptions['logger'];
}): Promise<RunningLakeSink> {
  const config = options.config ?? lakeConfigFromEnv();
  // On the embedded log the sink shares its process with the embedded PostgreSQL, which answers
  // every query on the main thread: DuckDB gets one thread and one writer there, so a COPY or a
  // merge never takes both cores of a small machine from the API.
  const embedded = options.log.kind === 'embedded';
  const share = embedded ? { threads: 1, writers: 1 } : {};
  const sink = await LakeSink.start({ log: options.log, topics: options.topics, dir: config.dir, flushRows: config.flushRows, flushMs: config.flushMs, schemas: options.schemas, groupId: options.groupId, logger: options.logger, ...share });
  const compactionDuck = embedded ? await Duck.open({ threads: 1 }) : undefined;
  let last: CompactResult | null = null;
  let compacting: Promise<void> = Promise.resolve();
  const timer = config.compactEveryMs > 0
    ? setInterval(() => {
        compacting = compacting.then(() =>
          compactLake({ dir: config.dir, topics: options.topics, duck: compactionDuck }).then(
            (result) => void (last = result),
            (error) => options.logger?.warn(`lake compaction failed (retried next time): ${(error as Error).message}`),
          ),
        );
      }, config.compactEveryMs)
    : null;
  timer?.unref();
  return {
    stats: () => sink.stats(),
    lastCompaction: () => last,
    stop: async () => {
      if (timer) clearInterval(timer);
      await compacting;
      compactionDuck?.close();
      await sink.stop();
    },
  };
}
