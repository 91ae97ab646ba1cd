import { join } from 'node:path';
import { ConfigError, StartupError, StreamfoldConfig } from '@streamfold/runtime';
import { InvalidLakeConfig, LakeConfig, lakeConfigFromEnv, LakeQueryRegistry, LakeSchemas } from '@streamfold/sink';
import type { ContextDefinition } from '../context/context';
import { allLakeQueries, allLakeSchemas } from '../context/context';
import { hostTopics } from '../bootstrap/boot';

/** Longest a lake query may run, from the CLI or HTTP, before it is interrupted. @default 10000 */
export const LAKE_QUERY_TIMEOUT_MS = 10_000;

/**
 * What the host needs to run and query the lake, built and validated before Nest starts so a bad
 * LAKE_* variable or a broken named query stops the boot with one line instead of a stack.
 */
export class LakeSetup {
  constructor(
    /** LAKE_* settings; `dir` defaults to `<DATA_DIR>/lake` (`.data/lake`, see hostLakeDir). */
    readonly config: LakeConfig,
    /** Every hosted topic, dead letters included: the sink offloads all of them. */
    readonly topics: string[],
    /** Typed columns of every context (`defineContext({ lakeSchemas })`). */
    readonly schemas: LakeSchemas,
    /** Every context's named queries (`defineContext({ lakeQueries })`), bound to `config.dir`. */
    readonly queries: LakeQueryRegistry,
  ) {}
}

/**
 * `<DATA_DIR>/lake`, beside the embedded data (DATA_DIR=<tmp> keeps everything in one place), or
 * `<DATA_DIR>/lake-<prefix>` under KAFKA_TOPIC_PREFIX: the sink trusts the offsets in file names,
 * so environments that share a broker under different prefixes must never share a folder.
 */
export function hostLakeDir(config: StreamfoldConfig): string {
  return join(config.dataDir, config.topicPrefix ? `lake-${config.topicPrefix}` : 'lake');
}

/**
 * Reads LAKE_* from `env` (unless `override` gives the settings) and the contexts' lake
 * declarations. Throws ConfigError or StartupError, which the entry points print as one line.
 */
export function lakeSetup(
  config: StreamfoldConfig,
  contexts: readonly ContextDefinition[],
  override: Partial<LakeConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): LakeSetup {
  let lake: LakeConfig;
  try {
    lake = { ...lakeConfigFromEnv({ ...env, LAKE_DIR: env.LAKE_DIR || hostLakeDir(config) }), ...override };
  } catch (error) {
    if (error instanceof InvalidLakeConfig) throw new ConfigError(error.message);
    throw error;
  }
  let queries: LakeQueryRegistry;
  try {
    queries = new LakeQueryRegistry(allLakeQueries(contexts), { dir: lake.dir, timeoutMs: LAKE_QUERY_TIMEOUT_MS, maxRows: 10_000 });
  } catch (error) {
    throw new StartupError(`lake queries: ${(error as Error).message}`);
  }
  return new LakeSetup(lake, hostTopics(contexts).map((t) => t.name), allLakeSchemas(contexts), queries);
}
