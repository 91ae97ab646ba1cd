/**
 * A projector process for the crash, scale-out and zombie tests, killed or paused by the parent:
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register test/projections/child-projector.ts
 * Env: DATABASE_URL, KAFKA_BROKERS, PREFIX, TOPIC, GROUP_SUFFIX (a group of its own), CATCH_UP_MS
 * (when set: wait until caught up, print "caught-up", exit 0), INSTANCE (written into
 * applied.instance; default pid-<pid>), MAX_BATCH (default 20), NO_DELAY (no sleep in apply),
 * ZOMBIE (the hooks of support/zombie-hooks.ts).
 * Writes "started", "tx-open", "tx-done" and "assigned <partitions>" lines synchronously, so the
 * parent knows whether a kill landed inside a transaction, and which partitions the process
 * holds, even though it dies at once.
 */
import { writeSync } from 'node:fs';
import { KafkaMessageLog } from '@streamfold/messaging';
import { Database } from '@streamfold/runtime';
import { ProjectionRunner } from '@streamfold/projections';
import { countsProjection } from './support/counts-projection';
import { installZombieHooks } from './support/zombie-hooks';

async function main(): Promise<void> {
  const env = process.env;
  const db = new Database(env.DATABASE_URL!, 5, false);
  const log = new KafkaMessageLog({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 'child-projector', prefix: env.PREFIX! });
  const definition = countsProjection({
    topics: [env.TOPIC!],
    instance: env.INSTANCE ?? `pid-${process.pid}`,
    delayMs: env.NO_DELAY ? undefined : () => 10 + Math.floor(Math.random() * 30),
  });
  const apply = definition.apply;
  definition.apply = async (deliveries, ctx) => {
    writeSync(1, `tx-open ${deliveries.length}\n`);
    await apply(deliveries, ctx);
    writeSync(1, 'tx-done\n');
  };
  const suffix = env.GROUP_SUFFIX;
  const runner = new ProjectionRunner(db, log, definition, {
    maxBatchSize: Number(env.MAX_BATCH ?? 20),
    groupId: suffix ? (consumer) => `${consumer}.${suffix}` : undefined,
    logger: { log: () => undefined, warn: (m) => writeSync(2, `${m}\n`), error: (m) => writeSync(2, `${m}\n`) },
  });
  reportAssignments(log);
  if (env.ZOMBIE) installZombieHooks(log, definition, () => runner.stats());
  await runner.start();
  writeSync(1, 'started\n');
  if (env.CATCH_UP_MS) {
    await runner.waitUntilCaughtUp(Number(env.CATCH_UP_MS));
    writeSync(1, 'caught-up\n');
    await runner.stop();
    await log.close();
    await db.close();
    process.exit(0);
  }
}

/** Prints the partitions held after every rebalance: the parent waits on the group's hand-over. */
function reportAssignments(log: KafkaMessageLog): void {
  const consume = log.consume.bind(log);
  log.consume = (options) =>
    consume({
      ...options,
      onAssignment: (assigned) => writeSync(1, `assigned ${assigned.map((tp) => tp.partition).sort((a, b) => a - b).join(',')}\n`),
    });
}

main().catch((error) => {
  writeSync(2, `child-projector failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
