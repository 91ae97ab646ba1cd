import { ConfigError } from '@streamfold/runtime';
import type { ErrorRatePolicy } from './domain/error-rate';

/** The ops context's settings, from the environment, validated when the context is defined (at boot). */
export interface OpsConfig {
  /** OPS_ERROR_RATE_THRESHOLD: error ratio over 5 minutes that raises ErrorRateExceeded. @default 0.05 */
  errorRate: ErrorRatePolicy;
  /** OPS_LOG_RETENTION_MINUTES: how much event time the search table keeps behind its newest line. @default 1440 */
  logRetentionMs: number;
}

type Env = Record<string, string | undefined>;

function num(env: Env, name: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new ConfigError(`${name} must be ${what}, got "${raw}"`);
  return n;
}

/** Reads OPS_ERROR_RATE_THRESHOLD, OPS_ERROR_RATE_MIN_LINES and OPS_LOG_RETENTION_MINUTES; throws ConfigError naming the variable. */
export function loadOpsConfig(env: Env = process.env): OpsConfig {
  return {
    errorRate: {
      threshold: num(env, 'OPS_ERROR_RATE_THRESHOLD', 0.05, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
      minLines: num(env, 'OPS_ERROR_RATE_MIN_LINES', 20, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
      windowMs: 5 * 60_000,
    },
    logRetentionMs: num(env, 'OPS_LOG_RETENTION_MINUTES', 1440, (n) => Number.isInteger(n) && n >= 1, 'a positive integer') * 60_000,
  };
}
