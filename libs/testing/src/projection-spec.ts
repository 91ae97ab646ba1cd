import type { Sql } from '@streamfold/runtime';
// The runner's own naming and view switching, so specs read tables the way the runner writes them.
import { type Delivery, ident, pointViews, projectionContext, type ProjectionDefinition, versionedTable } from '@streamfold/projections';
import { assertEqual } from './assert';
import { SimulatedRunner, toBatches } from './simulated-runner';

/** The one connection a projection spec runs on, and the batch sizes of its two runs. */
export interface ProjectionSpecOptions {
  /**
   * ONE connection (a pg Client or PoolClient, or pgliteSql(new PGlite())): the spec opens
   * transactions on it, which a Pool would spread over several connections. The spec drops and
   * recreates the projection's tables and the views named after them: use a throwaway database.
   */
  sql: Sql;
  /** Version built by the plain run; the at-least-once run builds version + 1. @default 1 */
  version?: number;
  /** Deliveries per batch in the plain run (within one partition). @default 100 */
  batchSize?: number;
  /** Fresh deliveries per batch in the at-least-once run; differs from batchSize on purpose. @default 1 */
  redeliveryBatchSize?: number;
}

/** What a projection spec checks once the given deliveries are applied, in both runs. */
export interface ProjectionExpectations {
  /**
   * Runs `query` (read-model tables by their base names, as readers do through views) and
   * checks it returns exactly expectedRows, in both runs.
   */
  expectQuery(query: string, expectedRows: unknown[], params?: unknown[]): Promise<void>;
}

/** A projection spec waiting for its deliveries. */
export interface ProjectionSpec {
  /** The deliveries, in arrival order (see deliveries()). */
  given(deliveries: Delivery[]): ProjectionExpectations;
}

/**
 * Tests a ProjectionDefinition against a real SQL database, twice:
 *
 * 1. plain: a fresh setup of `version`, each delivery once, in batches of batchSize;
 * 2. at least once: a fresh setup of `version + 1` (a rebuild, so processor state starts clean),
 *    every delivery arriving at least twice with the same offsets and sequences. Per batch of
 *    redeliveryBatchSize: apply it and roll back (a crash before the commit), deliver the previous
 *    batch again followed by this one with every delivery doubled (a refetch from an older offset),
 *    then deliver this batch once more (a consumer restart).
 *
 * Batches run as the projection runner runs them (SimulatedRunner): one transaction each, with
 * the runner's own duplicate rule (`admit`, see Checkpoints). The query must return the expected rows after
 * both runs. A projection that keeps effects outside the transaction, or whose result depends on
 * batch boundaries, fails the second run.
 */
export function projectionSpec(definition: ProjectionDefinition, options: ProjectionSpecOptions): ProjectionSpec {
  const { sql } = options;
  const version = options.version ?? 1;
  const batchSize = options.batchSize ?? 100;
  const redeliveryBatchSize = options.redeliveryBatchSize ?? 1;

  async function freshRunner(v: number): Promise<SimulatedRunner> {
    const ctx = projectionContext(sql, v);
    for (const base of definition.tables) await sql.query(`DROP TABLE IF EXISTS ${ident(versionedTable(base, v))} CASCADE`);
    await definition.setup(ctx);
    return new SimulatedRunner(definition, ctx);
  }

  async function plainRun(deliveries: Delivery[]): Promise<void> {
    const runner = await freshRunner(version);
    for (const batch of toBatches(deliveries, batchSize)) await labelled('delivered once', batch, () => runner.deliver(batch));
  }

  async function atLeastOnceRun(deliveries: Delivery[]): Promise<void> {
    const runner = await freshRunner(version + 1);
    let previous: Delivery[] = [];
    for (const batch of toBatches(deliveries, redeliveryBatchSize)) {
      await labelled('at-least-once run, crashed batch', batch, () => runner.deliver(batch, 'rollback'));
      const samePartition = previous.length > 0 && previous[0].topic === batch[0].topic && previous[0].partition === batch[0].partition;
      const refetch = [...(samePartition ? previous : []), ...batch.flatMap((d) => [d, d])];
      await labelled('at-least-once run, refetched batch', refetch, () => runner.deliver(refetch));
      await labelled('at-least-once run, redelivered batch', batch, () => runner.deliver(batch));
      previous = batch;
    }
  }

  return {
    given(deliveries) {
      let built: Promise<void> | undefined;
      // Built once per given(), however many queries are checked.
      const build = () => (built ??= plainRun(deliveries).then(() => atLeastOnceRun(deliveries)));
      return {
        async expectQuery(query, expectedRows, params) {
          await build();
          const runs: Array<[number, string]> = [
            [version, `${definition.name}: query after each delivery was applied once`],
            [version + 1, `${definition.name}: query after every delivery arrived at least twice (crash before commit, refetch, redelivery): the read model changed`],
          ];
          for (const [v, context] of runs) {
            await pointViews(sql, definition.tables, v);
            const { rows } = await sql.query(query, params);
            assertEqual(rows, expectedRows, context);
          }
        },
      };
    },
  };
}

async function labelled<T>(run: string, batch: Delivery[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Error) error.message = `[${run}: ${batch[0].topic}/${batch[0].partition} from offset ${batch[0].offset}] ${error.message}`;
    throw error;
  }
}
