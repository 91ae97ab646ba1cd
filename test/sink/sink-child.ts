/**
 * One lake sink process for sink-kill.e2e.spec.ts, which SIGKILLs it while it writes. Imports the
 * library files directly (not the package indexes) so it starts fast.
 *
 *   KAFKA_BROKERS, TOPIC_PREFIX, TOPIC, LAKE_DIR, GROUP_ID   where to read and write
 *   COMPACT_EVERY_MS   also compacts the topic on this period, so kills land inside merges too
 *
 * Prints "started" once it joined the group, then "rows <n>" after each flush that wrote rows.
 */
import { compactLake } from '../../libs/sink/src/compaction';
import { LakeSink } from '../../libs/sink/src/lake-sink';
import { KafkaMessageLog } from '../../libs/messaging/src/kafka-log';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`sink-child needs ${name}`);
  return value;
}

async function main(): Promise<void> {
  const log = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'sink-child', prefix: env('TOPIC_PREFIX') });
  const dir = env('LAKE_DIR');
  const topic = env('TOPIC');
  const sink = await LakeSink.start({ log, topics: [topic], dir, groupId: env('GROUP_ID'), flushRows: 1000, flushMs: 100, threads: 1 });
  process.stdout.write('started\n');
  let last = 0;
  const report = setInterval(() => {
    const { rows } = sink.stats();
    if (rows !== last) process.stdout.write(`rows ${(last = rows)}\n`);
  }, 50);
  const every = Number(process.env.COMPACT_EVERY_MS ?? 0);
  let compacting = Promise.resolve();
  const compaction = every > 0 ? setInterval(() => (compacting = compacting.then(() => compactLake({ dir, topics: [topic] }).then(() => undefined))), every) : null;
  process.once('SIGTERM', () => {
    clearInterval(report);
    if (compaction) clearInterval(compaction);
    void compacting.then(() => sink.stop()).then(() => log.close()).then(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
