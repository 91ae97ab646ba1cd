/**
 * GetTaxi's tunables, read from the environment once at boot and validated there: a bad value
 * stops the process with a message naming the variable, never a silent default.
 */
export interface TaxiConfig {
  /** Retention of taxi_position and user_position on Kafka (TAXI_POSITION_RETENTION_MS). @default 3_600_000 (1 h) */
  positionRetentionMs: number;
  /** A driver whose last position is older than this is not matched (TAXI_FRESH_MS). @default 30_000 */
  freshMs: number;
  /** How long a ride request waits for a driver before NoDriverAvailable (TAXI_MATCH_TIMEOUT_MS). @default 10_000 */
  matchTimeoutMs: number;
  /** Event-time window of the surge processor (TAXI_SURGE_WINDOW_MS). @default 300_000 (5 min) */
  surgeWindowMs: number;
  /** Late positions within this long after completion correct the fare (TAXI_FARE_GRACE_MS). @default 120_000 */
  fareGraceMs: number;
  /** How often the fare settler and the matcher's retry loop look for work (TAXI_WORKER_INTERVAL_MS). @default 250 */
  workerIntervalMs: number;
}

const SPEC: Record<keyof TaxiConfig, [env: string, fallback: number, min: number]> = {
  positionRetentionMs: ['TAXI_POSITION_RETENTION_MS', 3_600_000, 60_000],
  freshMs: ['TAXI_FRESH_MS', 30_000, 1_000],
  matchTimeoutMs: ['TAXI_MATCH_TIMEOUT_MS', 10_000, 100],
  surgeWindowMs: ['TAXI_SURGE_WINDOW_MS', 300_000, 10_000],
  fareGraceMs: ['TAXI_FARE_GRACE_MS', 120_000, 0],
  workerIntervalMs: ['TAXI_WORKER_INTERVAL_MS', 250, 10],
};

/** Parses the TAXI_* variables; throws one message listing every invalid one. */
export function loadTaxiConfig(env: NodeJS.ProcessEnv = process.env): TaxiConfig {
  const problems: string[] = [];
  const config = {} as TaxiConfig;
  for (const [field, [name, fallback, min]] of Object.entries(SPEC) as Array<[keyof TaxiConfig, [string, number, number]]>) {
    const raw = env[name]?.trim();
    const value = raw ? Number(raw) : fallback;
    if (!Number.isSafeInteger(value) || value < min) problems.push(`${name} must be an integer >= ${min} (milliseconds), got "${raw}"`);
    config[field] = value;
  }
  if (problems.length > 0) throw new Error(`invalid GetTaxi configuration: ${problems.join('; ')}`);
  return config;
}

/** The process's configuration, validated on first import (at boot, since the context imports it). */
export const TAXI_CONFIG: TaxiConfig = loadTaxiConfig();
