import { resolve } from 'node:path';

/** Raised when the environment cannot describe a runnable system; printed as one line at boot. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validated runtime configuration. Every value comes from the environment; with nothing set
 * the system runs on the embedded default (in-process log, embedded PostgreSQL under DATA_DIR).
 */
export interface StreamfoldConfig {
  /** HTTP port. @default 3000 */
  port: number;
  /** Comma-separated `host:port` list; absent means the embedded in-process log. */
  kafkaBrokers: string[] | null;
  /** `postgres://` URL; absent means embedded PostgreSQL (PGlite) under `dataDir`. */
  databaseUrl: string | null;
  /** Prefix of every topic name and consumer group id. @default '' */
  topicPrefix: string;
  /** Kafka client id. @default 'streamfold' */
  kafkaClientId: string;
  /** Replicas of topics this process creates (KAFKA_REPLICATION_FACTOR). @default null: min(3, brokers in the cluster) */
  kafkaReplicationFactor: number | null;
  /** min.insync.replicas of topics this process creates (KAFKA_MIN_INSYNC_REPLICAS). @default null: 2 with 3+ replicas, else the broker's */
  kafkaMinInsyncReplicas: number | null;
  /** HS256 secret for bearer tokens. @default a fixed development secret on the embedded default */
  jwtSecret: string;
  /** Folder for embedded data (PGlite files, the embedded log). @default '.data' */
  dataDir: string;
  /** pino level. @default 'info' */
  logLevel: string;
  /** Size of the PostgreSQL pool of commands and queries (DB_POOL_SIZE). @default 10 */
  dbPoolSize: number;
  /** Size of the relay's own pool (DB_RELAY_POOL_SIZE): its reads and checkpoints never wait behind requests. @default 2 */
  dbRelayPoolSize: number;
  /**
   * Size of the projections' and processors' own pool (DB_PROJECTIONS_POOL_SIZE): one connection
   * per transaction in flight (each runner commits up to 4 partition batches at a time). @default 8
   */
  dbProjectionsPoolSize: number;
  /**
   * The relay's linger (RELAY_LINGER_MS): after an append wakes it, its next round starts no
   * sooner than this long after the previous one began, so appends that come faster than that
   * share a round, a produce request and the read models' transactions downstream. Sparse appends
   * and a backlog never wait. 0 relays every wake at once. @default 10
   */
  relayLingerMs: number;
  /**
   * Whether read models' batches wait for their commit's WAL flush (PROJECTIONS_SYNCHRONOUS_COMMIT,
   * ProjectionRunnerOptions.synchronousCommit). Off: a server crash may undo their last commits,
   * checkpoints with them, and they are read again from the log. Processors always wait. @default false
   */
  projectionsSynchronousCommit: boolean;
  /**
   * What this process does, from PROCESS_ROLES (comma-separated `api`, `relay`, `projections`,
   * `sink`). Every process serves /health and /metrics; `api` serves the contexts' HTTP API,
   * `relay` publishes the event store to the log, `projections` runs projections and processors,
   * `sink` offloads every hosted topic into the analytics lake (LAKE_DIR).
   * (Not to be confused with users' roles in bearer tokens.) @default all of them
   */
  processRoles: ProcessRole[];
  /** Whether this process serves the contexts' API (`api` in PROCESS_ROLES). */
  api: boolean;
  /** Whether this process runs projections and processors (`projections` in PROCESS_ROLES). */
  workers: boolean;
  /** Whether this process runs the relay (`relay` in PROCESS_ROLES). */
  relay: boolean;
  /** Whether this process writes topics into the lake (`sink` in PROCESS_ROLES). */
  sink: boolean;
  /** Writes a user may send per window; 0 disables the limit. @default 300 */
  rateLimitWrites: number;
  /** Length of the rate-limit window in seconds. @default 10 */
  rateLimitWindowSeconds: number;
  /** Name this process's logs and metrics are shipped under (SERVICE_NAME). @default 'streamfold' */
  serviceName: string;
  /** Whether pino lines are also shipped to `app_logs` (LOG_SHIPPING). @default true */
  logShipping: boolean;
  /** Seconds between metric snapshots to `app_metrics`; 0 ships none (METRICS_SHIP_INTERVAL_SECONDS). @default 10 */
  metricsShipIntervalSeconds: number;
  /**
   * Nest's HTTP adapter (HTTP_ADAPTER): `express`, or `fastify`, whose request path takes less than
   * half the CPU per request (bench `--only=http`). Routes, errors and limits are the same on both. @default 'express'
   */
  httpAdapter: HttpAdapterName;
}

/** The HTTP adapters a host can run on (HTTP_ADAPTER). */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
/** One of HTTP_ADAPTERS. */
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

function parseHttpAdapter(raw: string | undefined): HttpAdapterName {
  if (raw === undefined || raw === '') return 'express';
  if (!(HTTP_ADAPTERS as readonly string[]).includes(raw)) throw new ConfigError(`HTTP_ADAPTER must be one of ${HTTP_ADAPTERS.join(', ')}, got "${raw}"`);
  return raw as HttpAdapterName;
}

/** The token secret when JWT_SECRET is unset: development only, loadConfig refuses it in production. */
export const DEV_JWT_SECRET = 'streamfold-development-secret-change-me';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** The kinds of work a process can take on (PROCESS_ROLES). */
export const PROCESS_ROLES = ['api', 'relay', 'projections', 'sink'] as const;
/** One of PROCESS_ROLES. */
export type ProcessRole = (typeof PROCESS_ROLES)[number];

function parseRoles(raw: string | undefined): ProcessRole[] {
  if (raw === undefined || raw.trim() === '') return [...PROCESS_ROLES];
  const roles = raw.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(PROCESS_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) {
    throw new ConfigError(`PROCESS_ROLES must be a comma-separated list of ${PROCESS_ROLES.join(', ')}, got "${raw}"`);
  }
  return [...new Set(roles)] as ProcessRole[];
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function replication(env: Env): { kafkaReplicationFactor: number | null; kafkaMinInsyncReplicas: number | null } {
  const optional = (name: string) => (env[name] === undefined || env[name] === '' ? null : intVar(env, name, 1, 1, 32));
  const kafkaReplicationFactor = optional('KAFKA_REPLICATION_FACTOR');
  const kafkaMinInsyncReplicas = optional('KAFKA_MIN_INSYNC_REPLICAS');
  if (kafkaReplicationFactor !== null && kafkaMinInsyncReplicas !== null && kafkaMinInsyncReplicas > kafkaReplicationFactor) {
    throw new ConfigError(`KAFKA_MIN_INSYNC_REPLICAS (${kafkaMinInsyncReplicas}) cannot exceed KAFKA_REPLICATION_FACTOR (${kafkaReplicationFactor})`);
  }
  return { kafkaReplicationFactor, kafkaMinInsyncReplicas };
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'on', 'yes'].includes(raw)) return true;
  if (['false', '0', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function parseServiceName(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return 'streamfold';
  // It is a Kafka key and a Prometheus label value: keep it short and plain.
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw new ConfigError(`SERVICE_NAME may hold 1 to 64 letters, digits, ".", "_" and "-", got "${raw}"`);
  return raw;
}

function parseBrokers(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const brokers = raw.split(',').map((b) => b.trim()).filter(Boolean);
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError(`KAFKA_BROKERS must be a comma-separated list of host:port, got "${broker}"`);
    }
  }
  return brokers;
}

function parseDatabaseUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function rolesOf(processRoles: ProcessRole[]) {
  return { processRoles, api: processRoles.includes('api'), workers: processRoles.includes('projections'), relay: processRoles.includes('relay'), sink: processRoles.includes('sink') };
}

/** Reads and validates the environment. Throws ConfigError with a message naming the variable. */
export function loadConfig(env: Env = process.env): StreamfoldConfig {
  if (env.ROLES !== undefined && env.PROCESS_ROLES === undefined) {
    throw new ConfigError('ROLES was renamed PROCESS_ROLES (process roles; users\' roles live in bearer tokens)');
  }
  const topicPrefix = env.KAFKA_TOPIC_PREFIX ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) {
    throw new ConfigError(`KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-", got "${topicPrefix}"`);
  }
  const kafkaBrokers = parseBrokers(env.KAFKA_BROKERS);
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL);
  const jwtSecret = env.JWT_SECRET ?? '';
  const embedded = kafkaBrokers === null && databaseUrl === null;
  if (jwtSecret === '' && !embedded && env.NODE_ENV === 'production') {
    throw new ConfigError('JWT_SECRET must be set in production');
  }
  if (jwtSecret !== '' && jwtSecret.length < 16) {
    throw new ConfigError('JWT_SECRET must be at least 16 characters');
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    port: intVar(env, 'PORT', 3000, 0, 65535),
    kafkaBrokers,
    databaseUrl,
    topicPrefix,
    kafkaClientId: env.KAFKA_CLIENT_ID || 'streamfold',
    ...replication(env),
    jwtSecret: jwtSecret || DEV_JWT_SECRET,
    dataDir: resolve(env.DATA_DIR || '.data'),
    logLevel,
    dbPoolSize: intVar(env, 'DB_POOL_SIZE', 10, 1, 500),
    dbRelayPoolSize: intVar(env, 'DB_RELAY_POOL_SIZE', 2, 1, 100),
    dbProjectionsPoolSize: intVar(env, 'DB_PROJECTIONS_POOL_SIZE', 8, 1, 500),
    relayLingerMs: intVar(env, 'RELAY_LINGER_MS', 10, 0, 1000),
    projectionsSynchronousCommit: boolVar(env, 'PROJECTIONS_SYNCHRONOUS_COMMIT', false),
    ...rolesOf(parseRoles(env.PROCESS_ROLES)),
    rateLimitWrites: intVar(env, 'RATE_LIMIT_WRITES', 300, 0, 1_000_000),
    rateLimitWindowSeconds: intVar(env, 'RATE_LIMIT_WINDOW_SECONDS', 10, 1, 3600),
    serviceName: parseServiceName(env.SERVICE_NAME),
    logShipping: boolVar(env, 'LOG_SHIPPING', true),
    metricsShipIntervalSeconds: intVar(env, 'METRICS_SHIP_INTERVAL_SECONDS', 10, 0, 3600),
    httpAdapter: parseHttpAdapter(env.HTTP_ADAPTER),
  };
}

/** Nest injection token of the validated StreamfoldConfig. */
export const STREAMFOLD_CONFIG = Symbol('STREAMFOLD_CONFIG');
