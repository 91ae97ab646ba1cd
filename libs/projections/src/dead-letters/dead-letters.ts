import { HEADER } from '@streamfold/core';
import type { Database } from '@streamfold/runtime';
import type { Delivery, ProjectionDefinition } from '../projection';
import { parseConsumerId, projectionContext } from '../runner/consumer-id';
import { decodeFor } from '../runner/decode';
import { ApplyFailed } from '../runner/retry-policy';
import { describeError } from './dead-letter-writer';

/** pending until an operator acts; replayed (applied once, after a fix) and discarded are final. */
export type DeadLetterStatus = 'pending' | 'replayed' | 'discarded';

/** One row of sf_dead_letters: where the message came from, why it failed, and what was done since. */
export interface DeadLetter {
  id: string;
  /** `${projection}@v${version}` that failed on it. */
  consumer: string;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** Event type from the message headers (null for a message without one). */
  type: string | null;
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  createdAt: Date;
  resolvedAt: Date | null;
}

/** Which dead letters to list; fields combine with AND. */
export interface DeadLetterFilter {
  consumer?: string;
  /** Every version of one projection. */
  projection?: string;
  status?: DeadLetterStatus;
  /** @default 100 */
  limit?: number;
}

/** The outcome of replayAll: each pending dead letter either replayed or refused with its reason. */
export interface ReplayReport {
  replayed: DeadLetter[];
  failed: Array<{ id: string; error: string }>;
}

/** Refused operations name the reason; the CLI prints them as they are. */
export class DeadLetterRefused extends Error {
  override name = 'DeadLetterRefused';
}

const COLUMNS = `id::text AS id, consumer, topic, partition, "offset", key, headers, error, attempts, status, created_at, resolved_at`;

/**
 * Lists, replays and discards dead letters. A replay applies the original event through the
 * projection's apply in the same transaction that marks it 'replayed', under a row lock: it
 * applies exactly once, and a second replay is refused.
 */
export class DeadLetters {
  private readonly projections: Map<string, ProjectionDefinition>;

  constructor(private readonly db: Database, projections: ProjectionDefinition[]) {
    this.projections = new Map(projections.map((p) => [p.name, p]));
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const result = await this.db.query(
      `SELECT ${COLUMNS} FROM sf_dead_letters
       WHERE ($1::text IS NULL OR consumer = $1) AND ($2::text IS NULL OR substring(consumer from '^(.*)@v[0-9]+$') = $2)
         AND ($3::text IS NULL OR status = $3)
       ORDER BY id LIMIT $4`,
      [filter.consumer ?? null, filter.projection ?? null, filter.status ?? null, filter.limit ?? 100],
    );
    return result.rows.map(toDeadLetter);
  }

  /** Applies one pending dead letter; throws DeadLetterRefused when it is not pending or cannot be applied. */
  async replay(id: string | number): Promise<DeadLetter> {
    try {
      return await this.db.transaction(async (sql) => {
        const found = await sql.query(`SELECT ${COLUMNS}, value FROM sf_dead_letters WHERE id = $1 FOR UPDATE`, [String(id)]);
        if (found.rowCount === 0) throw new DeadLetterRefused(`dead letter ${id} does not exist`);
        const row = found.rows[0];
        if (row.status !== 'pending') {
          throw new DeadLetterRefused(`dead letter ${id} was already ${row.status} at ${(row.resolved_at as Date).toISOString()}; it is applied at most once`);
        }
        const { name, version } = parseConsumerId(row.consumer);
        const definition = this.projections.get(name);
        if (!definition) throw new DeadLetterRefused(`dead letter ${id}: projection ${name} is not registered in this process`);
        const delivery = toDelivery(id, row, definition);
        try {
          await definition.apply([delivery], projectionContext(sql, version));
        } catch (error) {
          throw new ApplyFailed(error);
        }
        const updated = await sql.query(
          `UPDATE sf_dead_letters SET status = 'replayed', resolved_at = now(), attempts = attempts + 1
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [String(id)],
        );
        return toDeadLetter(updated.rows[0]);
      });
    } catch (error) {
      if (!(error instanceof ApplyFailed)) throw error;
      // The rollback undid the apply; keep the new error so the next look at the list shows it.
      const message = describeError(error.cause);
      await this.db.query(`UPDATE sf_dead_letters SET attempts = attempts + 1, error = $2 WHERE id = $1 AND status = 'pending'`, [String(id), message]);
      throw new DeadLetterRefused(`dead letter ${id} failed again and stays pending: ${message}`);
    }
  }

  /** Replays every pending dead letter of a consumer in log order; one failing does not stop the others. */
  async replayAll(consumer: string): Promise<ReplayReport> {
    const pending = await this.db.query(
      `SELECT id::text AS id FROM sf_dead_letters WHERE consumer = $1 AND status = 'pending' ORDER BY topic, partition, "offset"`,
      [consumer],
    );
    const report: ReplayReport = { replayed: [], failed: [] };
    for (const { id } of pending.rows) {
      try {
        report.replayed.push(await this.replay(id));
      } catch (error) {
        if (!(error instanceof DeadLetterRefused)) throw error;
        report.failed.push({ id, error: error.message });
      }
    }
    return report;
  }

  /** Marks a pending dead letter as deliberately dropped. */
  async discard(id: string | number): Promise<DeadLetter> {
    const result = await this.db.query(
      `UPDATE sf_dead_letters SET status = 'discarded', resolved_at = now() WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
      [String(id)],
    );
    if (result.rowCount === 0) {
      const existing = await this.db.query(`SELECT status FROM sf_dead_letters WHERE id = $1`, [String(id)]);
      throw new DeadLetterRefused(
        existing.rowCount === 0 ? `dead letter ${id} does not exist` : `dead letter ${id} is ${existing.rows[0].status}, not pending`,
      );
    }
    return toDeadLetter(result.rows[0]);
  }
}

function toDelivery(id: string | number, row: Record<string, any>, definition: ProjectionDefinition): Delivery {
  const headers = row.headers as Record<string, string>;
  const message = { topic: row.topic, partition: row.partition, offset: Number(row.offset), key: row.key, value: row.value as Buffer, headers, timestamp: 0 };
  const decoded = decodeFor(definition, message);
  if ('delivery' in decoded) return decoded.delivery;
  const why = 'skip' in decoded ? decoded.skip : decoded.malformed.message;
  throw new DeadLetterRefused(`dead letter ${id} is not a valid event (${why}); discard it`);
}

function toDeadLetter(row: Record<string, any>): DeadLetter {
  return {
    id: row.id,
    consumer: row.consumer,
    topic: row.topic,
    partition: row.partition,
    offset: Number(row.offset),
    key: row.key,
    type: (row.headers as Record<string, string>)[HEADER.type] ?? null,
    error: row.error,
    attempts: row.attempts,
    status: row.status,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}
