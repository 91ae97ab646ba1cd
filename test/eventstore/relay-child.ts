/**
 * One relay process for relay-crash.e2e.spec.ts, which SIGKILLs it at random points. Imports the
 * library files directly (not the package indexes) so it starts fast under ts-node.
 *
 *   DATABASE_URL, KAFKA_BROKERS, TOPIC_PREFIX, TOPIC   where to read and write
 *   RELAY_NAME, BATCH_SIZE                             relay settings
 *   AFTER_SEND_DELAY_MS   test hook: a random pause of up to this many ms after each Kafka write,
 *                         before the relay checkpoints, so kills land between the two. It wraps the
 *                         MessageLog here, so the library carries no test hook.
 *
 * Prints "active" when it holds the relay lease and "sent <n>" after each Kafka write.
 */
import type { MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { PostgresEventStore } from '../../libs/eventstore/src/postgres-event-store';
import { PostgresRelayLeases } from '../../libs/eventstore/src/postgres-relay-leases';
import { Relay } from '../../libs/eventstore/src/relay';
import { KafkaMessageLog } from '../../libs/messaging/src/kafka-log';
import { Database } from '../../libs/runtime/src/database';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`relay-child needs ${name}`);
  return value;
}

async function main(): Promise<void> {
  const db = new Database(env('DATABASE_URL'), 3, false);
  const kafka = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'relay-child', prefix: env('TOPIC_PREFIX') });
  const maxDelay = Number(process.env.AFTER_SEND_DELAY_MS ?? 0);
  const log = {
    async send(topic: string, messages: OutgoingMessage[]) {
      await kafka.send(topic, messages);
      process.stdout.write(`sent ${messages.length}\n`);
      if (maxDelay > 0) await new Promise((r) => setTimeout(r, Math.random() * maxDelay));
    },
  } as unknown as MessageLog;
  const topic = env('TOPIC');
  const relay = new Relay({
    name: env('RELAY_NAME'),
    store: new PostgresEventStore(db),
    log,
    route: (e) => ({ topic, key: e.streamId }),
    leases: new PostgresRelayLeases(db, { standbyPollMs: 25 }),
    batchSize: Number(process.env.BATCH_SIZE ?? 500),
    pollIntervalMs: 20,
  });
  relay.start();
  const watch = setInterval(() => {
    if (relay.state === 'active') {
      process.stdout.write('active\n');
      clearInterval(watch);
    }
  }, 5);
  process.once('SIGTERM', async () => {
    clearInterval(watch);
    await relay.stop();
    await kafka.close();
    await db.close();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
