import { createHash } from 'node:crypto';
import { IdempotencyKeyReused } from '@streamfold/core';

/**
 * SHA-256 (hex) of a command's input as canonical JSON: object keys sorted at every depth, so
 * two bodies that differ only in key order are one input. Stored with the command id, it tells a
 * client's retry (same key, same input: answered with the first result) from a new request that
 * reused a key (refused).
 */
export function commandFingerprint(input: unknown): string {
  const canonical = JSON.stringify(input, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]))
      : value,
  );
  return createHash('sha256').update(canonical ?? 'undefined').digest('hex');
}

/**
 * Throws IdempotencyKeyReused when a command id is used again with another input. Nothing to
 * compare when either side has no fingerprint (a command stored before fingerprints were, or a
 * caller that passes none): the id alone decides then, as it always did.
 */
export function assertSameInput(commandId: string, stored: string | null | undefined, given: string | undefined): void {
  if (stored === null || stored === undefined || given === undefined) return;
  if (stored !== given) throw new IdempotencyKeyReused(commandId);
}
