import { ConfigError, Infrastructure, loadConfig, StartupError, StreamfoldConfig } from '@streamfold/runtime';
import { MIGRATIONS } from '../../../migrations';
import { APP_TOPICS } from './topics';

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

export function readConfig(): StreamfoldConfig {
  try {
    return loadConfig();
  } catch (error) {
    exitOnStartupError(error);
  }
}

export function startInfrastructure(config: StreamfoldConfig, options: { schema?: 'apply' | 'check' | 'skip'; createTopics?: boolean } = {}) {
  const say = (level: string) => (msg: string) =>
    process.stdout.write(JSON.stringify({ level, time: Date.now(), msg }) + '\n');
  return Infrastructure.start(config, {
    migrations: MIGRATIONS,
    topics: APP_TOPICS,
    log: { info: say('info'), warn: say('warn') },
    ...options,
  });
}
