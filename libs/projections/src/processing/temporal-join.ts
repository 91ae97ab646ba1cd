/**
 * A temporal table: every version of a value per key, each valid from an event time. Joining an
 * event against it answers "what was in force when this happened" (invariant 6 of docs/architecture.md): a
 * threshold changed at 12:00 applies to transactions from 12:00 on, never to earlier ones, even
 * when the transaction or the change arrives late. Pure and JSON-serialisable (jsonb column).
 */

/** One value of a key and the event time it is in force from. */
export interface TemporalVersion<V> {
  /** Event time from which this value is in force (inclusive), epoch ms. */
  validFromMs: number;
  value: V;
}

/** Every version of every key, and how far back lookups can still be answered. */
export interface TemporalTable<V> {
  /** Versions per key, ascending by validFromMs, at most one per validFromMs. */
  versions: Record<string, TemporalVersion<V>[]>;
  /**
   * Lookups before this time cannot be answered (older versions were pruned); null when
   * nothing was pruned.
   */
  retainedFromMs: number | null;
}

/** A table with no versions and nothing pruned. */
export function emptyTemporalTable<V>(): TemporalTable<V> {
  return { versions: {}, retainedFromMs: null };
}

/**
 * Adds a version in event-time order, wherever it arrives: an out-of-order change lands between
 * the versions it falls between. A version with the same validFromMs replaces the existing one,
 * so a redelivered change is idempotent. Returns a new table; the input is untouched.
 */
export function upsert<V>(table: TemporalTable<V>, key: string, value: V, validFromMs: number): TemporalTable<V> {
  requireFiniteTime(validFromMs);
  const versions = [...(table.versions[key] ?? [])];
  const index = firstAfter(versions, validFromMs);
  if (index > 0 && versions[index - 1].validFromMs === validFromMs) versions[index - 1] = { validFromMs, value };
  else versions.splice(index, 0, { validFromMs, value });
  return { ...table, versions: { ...table.versions, [key]: versions } };
}

/**
 * The value in force at atMs: the latest version with validFromMs <= atMs, or undefined when the
 * key had no value yet. Throws RangeError for a time before the retention horizon, because the
 * version in force then may have been pruned and a guess would be silently wrong.
 */
export function lookup<V>(table: TemporalTable<V>, key: string, atMs: number): V | undefined {
  requireFiniteTime(atMs);
  if (table.retainedFromMs !== null && atMs < table.retainedFromMs) {
    throw new RangeError(`temporal table lookup at ${new Date(atMs).toISOString()} is before its retention horizon ${new Date(table.retainedFromMs).toISOString()}`);
  }
  const versions = table.versions[key];
  if (!versions) return undefined;
  const index = firstAfter(versions, atMs);
  return index === 0 ? undefined : versions[index - 1].value;
}

/**
 * Drops versions no lookup at or after horizonMs can need: for each key it keeps the version in
 * force at the horizon and everything after. Bounds the state of a long-running join.
 */
export function pruneBefore<V>(table: TemporalTable<V>, horizonMs: number): TemporalTable<V> {
  requireFiniteTime(horizonMs);
  if (table.retainedFromMs !== null && horizonMs <= table.retainedFromMs) return table;
  const versions: Record<string, TemporalVersion<V>[]> = {};
  for (const [key, list] of Object.entries(table.versions)) {
    const inForce = firstAfter(list, horizonMs) - 1;
    versions[key] = inForce > 0 ? list.slice(inForce) : list;
  }
  return { versions, retainedFromMs: horizonMs };
}

/** Index of the first version whose validFromMs is after t (binary search; versions are sorted). */
function firstAfter<V>(versions: TemporalVersion<V>[], t: number): number {
  let lo = 0;
  let hi = versions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (versions[mid].validFromMs <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function requireFiniteTime(value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`event time must be finite epoch milliseconds, got ${value}`);
}
