import { join } from 'node:path';
import { EmbeddedMessageLog, KafkaMessageLog, MessageLog, TopicSpec } from '@streamfold/messaging';
import { StreamfoldConfig } from './config';
import { Database, describeUrl } from './database';
import { EmbeddedPostgres } from './embedded-postgres';
import { MigrationClass, migrateUp, pendingMigrations } from './migrations/index';
import { StartupError } from './startup-error';

/** Where start-up reports applied migrations and warnings; silent by default. */
export interface InfrastructureLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What Infrastructure.start prepares before Nest starts: the schema and the topics. */
export interface StartOptions {
  migrations: MigrationClass[];
  topics: TopicSpec[];
  /**
   * Pending migrations at start: 'apply' them, 'check' (fail with a clear message when any is
   * pending) or 'skip'. @default 'apply' on embedded PostgreSQL or with MIGRATE_ON_START=true, else 'check'
   */
  schema?: 'apply' | 'check' | 'skip';
  /** Create missing topics at start. @default true */
  createTopics?: boolean;
  log?: InfrastructureLog;
}

/** The connections a process runs on, real or embedded, opened and verified before Nest starts. */
export class Infrastructure {
  private constructor(
    readonly config: StreamfoldConfig,
    /** Commands and queries (DB_POOL_SIZE). */
    readonly database: Database,
    readonly log: MessageLog,
    private readonly embeddedPostgres: EmbeddedPostgres | null,
    /** The relay's pool and the projections' pool; both are `database` on embedded PGlite, which runs one transaction at a time anyway. */
    readonly pools: { relay: Database; projections: Database },
  ) {}

  get description(): { database: string; log: string } {
    return {
      database: this.database.embedded ? `embedded PGlite (${join(this.config.dataDir, 'pglite')})` : describeUrl(this.database.url),
      log: this.log.kind === 'kafka' ? `Kafka ${this.config.kafkaBrokers!.join(',')}` : `embedded log (${join(this.config.dataDir, 'log')})`,
    };
  }

  static async start(config: StreamfoldConfig, options: StartOptions): Promise<Infrastructure> {
    const log = options.log ?? { info: () => undefined, warn: () => undefined };
    let embedded: EmbeddedPostgres | null = null;
    let database: Database;
    if (config.databaseUrl) {
      database = new Database(config.databaseUrl, config.dbPoolSize, false);
    } else {
      embedded = await EmbeddedPostgres.start(config.dataDir).catch((error: Error) => {
        throw new StartupError(`cannot start embedded PostgreSQL in ${config.dataDir}: ${error.message}`);
      });
      database = new Database(embedded.url, Math.min(config.dbPoolSize, 8), true);
    }
    let messageLog: MessageLog | null = null;
    try {
      await database.verify();
      const mode = options.schema ?? (database.embedded || process.env.MIGRATE_ON_START === 'true' ? 'apply' : 'check');
      if (mode === 'apply') {
        const applied = await migrateUp(database.url, options.migrations);
        if (applied.length > 0) log.info(`applied migrations: ${applied.join(', ')}`);
      } else if (mode === 'check') {
        const pending = await pendingMigrations(database.url, options.migrations);
        if (pending.length > 0) {
          throw new StartupError(
            `database ${describeUrl(database.url)} has ${pending.length} pending migration(s) (${pending.join(', ')}): run "npm run migration:run" or set MIGRATE_ON_START=true`,
          );
        }
      }
      messageLog = await openLog(config);
      if (options.createTopics ?? true) await messageLog.ensureTopics(options.topics);
      const pools = database.embedded
        ? { relay: database, projections: database }
        : {
            relay: new Database(database.url, config.dbRelayPoolSize, false, 'streamfold-relay'),
            projections: new Database(database.url, config.dbProjectionsPoolSize, false, 'streamfold-projections'),
          };
      return new Infrastructure(config, database, messageLog, embedded, pools);
    } catch (error) {
      await messageLog?.close().catch(() => undefined);
      await database.close();
      await embedded?.stop().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.log.close().catch(() => undefined);
    if (this.pools.relay !== this.database) await this.pools.relay.close();
    if (this.pools.projections !== this.database) await this.pools.projections.close();
    await this.database.close();
    await this.embeddedPostgres?.stop().catch(() => undefined);
  }
}

async function openLog(config: StreamfoldConfig): Promise<MessageLog> {
  if (!config.kafkaBrokers) {
    return new EmbeddedMessageLog({ prefix: config.topicPrefix, dir: join(config.dataDir, 'log') });
  }
  const kafka = new KafkaMessageLog({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    prefix: config.topicPrefix,
    replicationFactor: config.kafkaReplicationFactor ?? undefined,
    minInsyncReplicas: config.kafkaMinInsyncReplicas ?? undefined,
  });
  try {
    await withTimeout(kafka.ping(), 15000, 'no answer in 15s');
  } catch (error) {
    await kafka.close().catch(() => undefined);
    throw new StartupError(`cannot reach Kafka at ${config.kafkaBrokers.join(',')}: ${(error as Error).message}`);
  }
  return kafka;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
