import type { MessageLog } from '@streamfold/messaging';
import type { Database } from '@streamfold/runtime';
import type { ProjectionDefinition } from '../projection';
import { consumerId } from '../runner/consumer-id';
import { PartitionLag, partitionLag } from '../runner/lag';
import type { VersionStatus } from '../runner/versions';

/** One projection as operators see it: versions, lag of the active one, and its pending dead letters. */
export interface ProjectionStatus {
  name: string;
  /** Null before any runner started it. */
  activeVersion: number | null;
  versions: Array<{ version: number; status: VersionStatus; createdAt: Date; activatedAt: Date | null }>;
  /** Lag of the active version per partition. */
  partitions: PartitionLag[];
  totalLag: number;
  /** Event time of the last message the active version settled. */
  lastEventAt: Date | null;
  /** Dead letters of the active version still waiting for a replay or a discard. */
  pendingDeadLetters: number;
}

/**
 * Status of projections for the CLI and dashboards. Given a definition, lag covers every partition
 * of its topics; given only a name, the topics the active version has checkpoints on.
 */
export async function projectionStatus(
  db: Database,
  log: MessageLog,
  projections: Array<string | Pick<ProjectionDefinition, 'name' | 'topics'>>,
): Promise<ProjectionStatus[]> {
  const result: ProjectionStatus[] = [];
  for (const projection of projections) {
    const name = typeof projection === 'string' ? projection : projection.name;
    const active = await db.query(`SELECT active_version FROM sf_projections WHERE name = $1`, [name]);
    const activeVersion = active.rowCount === 0 ? null : Number(active.rows[0].active_version);
    const versions = await db.query(
      `SELECT version, status, created_at, activated_at FROM sf_projection_versions WHERE name = $1 ORDER BY version`,
      [name],
    );
    let partitions: PartitionLag[] = [];
    let pendingDeadLetters = 0;
    if (activeVersion !== null) {
      const consumer = consumerId(name, activeVersion);
      const topics = typeof projection === 'string'
        ? (await db.query(`SELECT DISTINCT topic FROM sf_checkpoints WHERE consumer = $1 ORDER BY topic`, [consumer])).rows.map((r) => r.topic as string)
        : projection.topics;
      partitions = await partitionLag(db.pool, log, consumer, topics);
      const dead = await db.query(`SELECT count(*)::int AS n FROM sf_dead_letters WHERE consumer = $1 AND status = 'pending'`, [consumer]);
      pendingDeadLetters = dead.rows[0].n;
    }
    const times = partitions.map((p) => p.lastEventAt?.getTime() ?? 0).filter((t) => t > 0);
    result.push({
      name,
      activeVersion,
      versions: versions.rows.map((r) => ({ version: r.version, status: r.status, createdAt: r.created_at, activatedAt: r.activated_at })),
      partitions,
      totalLag: partitions.reduce((n, p) => n + p.lag, 0),
      lastEventAt: times.length ? new Date(Math.max(...times)) : null,
      pendingDeadLetters,
    });
  }
  return result;
}
