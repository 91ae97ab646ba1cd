import type { Sql } from '@streamfold/runtime';
import type { Delivery, ProjectionContext, ProjectionDefinition } from '@streamfold/projections';
import { Checkpoints } from './checkpoints';

/** How closely a SimulatedRunner imitates the runner's transactions. */
export interface SimulatedRunnerOptions {
  /**
   * Wrap each batch in BEGIN / COMMIT on ctx.sql, as the runner does. Off for processors whose
   * state and output are in-memory stand-ins (then ctx.sql is never used). @default true
   */
  transactional?: boolean;
}

/**
 * The projection runner's contract in miniature, for tests: one transaction per batch,
 * duplicates dropped by the runner's own rule (`admit`, see Checkpoints), unhandled types skipped, apply()
 * called with what is left, checkpoint kept only if the batch commits. No Kafka, no retries.
 */
export class SimulatedRunner {
  readonly checkpoints = new Checkpoints();
  private readonly transactional: boolean;

  constructor(
    private readonly definition: ProjectionDefinition,
    readonly ctx: ProjectionContext,
    options: SimulatedRunnerOptions = {},
  ) {
    this.transactional = options.transactional ?? true;
  }

  /**
   * Delivers one batch. 'rollback' simulates a crash after apply() and before the commit: the
   * transaction is rolled back and the checkpoint stays where it was.
   * @returns the deliveries apply() received (empty when all were duplicates or unhandled)
   */
  async deliver(batch: readonly Delivery[], outcome: 'commit' | 'rollback' = 'commit'): Promise<Delivery[]> {
    if (outcome === 'rollback' && !this.transactional) throw new Error('a crash cannot be simulated without transactions');
    const { fresh, pending } = this.checkpoints.filter(batch);
    const handles = this.definition.handles;
    const applied = handles ? fresh.filter((d) => handles.includes(d.envelope.type)) : fresh;
    if (this.transactional) await this.ctx.sql.query('BEGIN');
    try {
      if (applied.length > 0) await this.definition.apply(applied, this.ctx);
      if (outcome === 'rollback') {
        await this.ctx.sql.query('ROLLBACK');
        return applied;
      }
      if (this.transactional) await this.ctx.sql.query('COMMIT');
    } catch (error) {
      if (this.transactional) await this.ctx.sql.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    this.checkpoints.commit(pending);
    return applied;
  }

  /** Delivers every batch of toBatches(deliveries, batchSize), committing each. */
  async deliverAll(deliveries: readonly Delivery[], batchSize = 100): Promise<void> {
    for (const batch of toBatches(deliveries, batchSize)) await this.deliver(batch);
  }
}

/**
 * Cuts deliveries, kept in arrival order, into batches as a consumer fetches them: a batch is
 * a run of consecutive deliveries of one partition, at most batchSize long.
 */
export function toBatches(deliveries: readonly Delivery[], batchSize: number): Delivery[][] {
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${batchSize}`);
  const batches: Delivery[][] = [];
  for (const d of deliveries) {
    const last = batches[batches.length - 1];
    if (last && last.length < batchSize && last[0].topic === d.topic && last[0].partition === d.partition) last.push(d);
    else batches.push([d]);
  }
  return batches;
}

/** A Sql for tests that must not touch a database: any query fails and names the statement. */
export const noDatabase: Sql = {
  query: ((text: string) => Promise.reject(new Error(`this test runs without a database, but the code under test sent: ${String(text).slice(0, 80)}`))) as unknown as Sql['query'],
};
