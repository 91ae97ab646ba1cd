import type { Database, Sql } from '@streamfold/runtime';
import type { ProjectionDefinition } from '../projection';
import { ident, projectionContext, versionedTable } from './consumer-id';

/** building: being folded; live: reader views point at it; retired: replaced by a swap; failed: its rebuild stopped. */
export type VersionStatus = 'building' | 'live' | 'retired' | 'failed';

/**
 * Serializes version changes of one projection (setup DDL, activation, swap) across processes:
 * two runners creating the same tables at once would otherwise collide in pg_type.
 */
export async function lockProjection(sql: Sql, name: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`streamfold.projection:${name}`]);
}

/** The version the reader views point at, or null before any version of `name` was activated. */
export async function activeVersion(sql: Sql, name: string): Promise<number | null> {
  const result = await sql.query('SELECT active_version FROM sf_projections WHERE name = $1', [name]);
  return result.rowCount === 0 ? null : Number(result.rows[0].active_version);
}

/**
 * Makes a version usable: runs setup (idempotent) and records it. The first version of a projection
 * that has none active becomes active at once, with its reader views, so a fresh deployment serves
 * a read model that fills as events arrive; any later version waits for a rebuild's swap.
 */
export async function ensureVersion(db: Database, definition: ProjectionDefinition, version: number): Promise<{ activated: boolean }> {
  return db.transaction(async (sql) => {
    await lockProjection(sql, definition.name);
    await definition.setup(projectionContext(sql, version));
    await sql.query(
      `INSERT INTO sf_projection_versions (name, version, status) VALUES ($1, $2, 'building') ON CONFLICT DO NOTHING`,
      [definition.name, version],
    );
    const inserted = await sql.query(
      `INSERT INTO sf_projections (name, active_version) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING name`,
      [definition.name, version],
    );
    if (inserted.rowCount === 0) return { activated: false };
    await pointViews(sql, definition.tables, version);
    await setStatuses(sql, definition.name, version);
    return { activated: true };
  });
}

/**
 * Points every reader view at one version. DROP + CREATE rather than CREATE OR REPLACE: a rebuilt
 * version may change columns, which OR REPLACE refuses. Inside the caller's transaction readers
 * see the old view or the new one, never neither.
 */
export async function pointViews(sql: Sql, tables: string[], version: number): Promise<void> {
  for (const base of tables) {
    await sql.query(`DROP VIEW IF EXISTS ${ident(base)}`);
    await sql.query(`CREATE VIEW ${ident(base)} AS SELECT * FROM ${ident(versionedTable(base, version))}`);
  }
}

/** `version` becomes 'live'; the version live before it becomes 'retired'. */
export async function setStatuses(sql: Sql, name: string, version: number): Promise<void> {
  await sql.query(
    `UPDATE sf_projection_versions
       SET status = CASE WHEN version = $2 THEN 'live' ELSE 'retired' END,
           activated_at = CASE WHEN version = $2 THEN now() ELSE activated_at END
     WHERE name = $1 AND (version = $2 OR status = 'live')`,
    [name, version],
  );
}
