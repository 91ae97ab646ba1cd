import type { ProjectionContext } from '../projection';
import type { Sql } from '@streamfold/runtime';

/**
 * One version of one projection consumes as `${name}@v${version}`: the Kafka group id and the
 * sf_checkpoints.consumer share it, so a rebuild (a new version) starts with fresh offsets and
 * checkpoints while the live version keeps its own.
 */
export function consumerId(name: string, version: number): string {
  return `${name}@v${version}`;
}

/** Splits a consumer id back into `name` and `version`; throws for anything not `name@v<version>`. */
export function parseConsumerId(consumer: string): { name: string; version: number } {
  const match = /^(.+)@v(\d+)$/.exec(consumer);
  if (!match) throw new Error(`"${consumer}" is not a projection consumer id (expected <name>@v<version>)`);
  return { name: match[1], version: Number(match[2]) };
}

/** Physical table of a version: the view `<base>` points at one of them. */
export function versionedTable(base: string, version: number): string {
  return `${base}_v${version}`;
}

/** The context apply and setup receive: the transaction, the version, and its physical table names. */
export function projectionContext(sql: Sql, version: number): ProjectionContext {
  return { sql, version, table: (base) => versionedTable(base, version) };
}

/** Double-quotes an identifier (table and view names come from code, but may hold dots or capitals). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
