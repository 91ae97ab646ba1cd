import { APP_LOGS_TOPIC, APP_METRICS_TOPIC } from '@streamfold/eventstore';
import { DEAD_LETTER_TOPIC } from '@streamfold/projections';
import { ConfigError, FRAMEWORK_MIGRATIONS, Infrastructure, loadConfig, MigrationClass, StartupError, StreamfoldConfig } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { allMigrations, allTopics } from '../context/context';

/** Prints a startup failure as one line and exits 1; anything unexpected keeps its stack. */
export function exitOnStartupError(error: unknown): never {
  const commander = error as { code?: string; exitCode?: number };
  if (typeof commander?.code === 'string' && commander.code.startsWith('commander.')) {
    process.exit(commander.exitCode ?? 1); // commander already printed help or the usage error
  }
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`streamfold: ${error.message}\n`);
  } else {
    process.stderr.write(`streamfold: unexpected startup failure: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
}

/**
 * The environment's configuration, or a one-line error and exit 1. `defaults` are settings the
 * application chooses for itself (its own HTTP adapter, say); a variable set to a non-empty value
 * in the environment wins (an empty one counts as unset, as everywhere in `loadConfig`).
 */
export function readConfig(defaults: Readonly<Record<string, string>> = {}): StreamfoldConfig {
  try {
    return loadConfig(withDefaults(process.env, defaults));
  } catch (error) {
    exitOnStartupError(error);
  }
}

/** `env` with `defaults` filled in where a variable is unset or empty. */
export function withDefaults(env: NodeJS.ProcessEnv, defaults: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const merged = { ...env };
  for (const [name, value] of Object.entries(defaults)) if (!merged[name]) merged[name] = value;
  return merged;
}

/** What a host runs besides its contexts' own: host-level migrations. */
export interface HostOptions {
  /** Migrations of the host that belong to no context, run after the framework's. @default [] */
  migrations?: MigrationClass[];
}

/** Framework migrations, then the host's, then each context's, in that order. */
export function hostMigrations(contexts: readonly ContextDefinition[], host: HostOptions = {}): MigrationClass[] {
  const all = [...FRAMEWORK_MIGRATIONS, ...(host.migrations ?? []), ...allMigrations(contexts)];
  return all.filter((m, i) => all.indexOf(m) === i);
}

/** The framework's topics (dead letters, the processes' own logs and metrics) and every context's. */
export function hostTopics(contexts: readonly ContextDefinition[]) {
  return [DEAD_LETTER_TOPIC, APP_LOGS_TOPIC, APP_METRICS_TOPIC, ...allTopics(contexts)];
}

/** Opens database and log for the given contexts: migrations per `schema`, topics created unless told not to. */
export function startInfrastructure(
  config: StreamfoldConfig,
  contexts: readonly ContextDefinition[],
  options: { schema?: 'apply' | 'check' | 'skip'; createTopics?: boolean; host?: HostOptions } = {},
): Promise<Infrastructure> {
  const say = (level: string) => (msg: string) => process.stdout.write(JSON.stringify({ level, time: Date.now(), msg }) + '\n');
  const { host, ...rest } = options;
  return Infrastructure.start(config, {
    migrations: hostMigrations(contexts, host),
    topics: hostTopics(contexts),
    log: { info: say('info'), warn: say('warn') },
    ...rest,
  });
}
