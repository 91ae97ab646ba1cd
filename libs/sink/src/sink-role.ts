import type { MessageLog } from '@streamfold/messaging';
import { compactLake, CompactResult } from './compaction';
import { defaultLakeDir } from './lake-layout';
import { LakeSchemas } from './lake-schema';
import { LakeSink, LakeSinkOptions, LakeSinkStats } from './lake-sink';

/** The sink's settings as read from the environment, validated at boot. */
export interface LakeConfig {
  /** LAKE_DIR. @default '.data/lake' */
  dir: string;
  /** LAKE_FLUSH_ROWS. @default 10000 */
  flushRows: number;
  /** LAKE_FLUSH_MS. @default 1000 */
  flushMs: number;
  /** LAKE_COMPACT_EVERY_MS; 0 turns compaction off. @default 60000 */
  compactEveryMs: number;
}

export class InvalidLakeConfig extends Error {
  override name = 'InvalidLakeConfig';
}

export function lakeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LakeConfig {
  const int = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new InvalidLakeConfig(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    return value;
  };
  return { dir: env.LAKE_DIR || defaultLakeDir(), flushRows: int('LAKE_FLUSH_ROWS', 10_000, 1), flushMs: int('LAKE_FLUSH_MS', 1000, 1), compactEveryMs: int('LAKE_COMPACT_EVERY_MS', 60_000, 0) };
}

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
  const sink = await LakeSink.start({ log: options.log, topics: options.topics, dir: config.dir, flushRows: config.flushRows, flushMs: config.flushMs, schemas: options.schemas, groupId: options.groupId, logger: options.logger });
  let last: CompactResult | null = null;
  let compacting: Promise<void> = Promise.resolve();
  const timer = config.compactEveryMs > 0
    ? setInterval(() => {
        compacting = compacting.then(() =>
          compactLake({ dir: config.dir, topics: options.topics }).then(
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
      await sink.stop();
    },
  };
}
