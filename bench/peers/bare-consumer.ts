import { Kafka, logLevel } from 'kafkajs';
import { cpuMark, env, every, progress, resources, result } from '../lib/self';

/**
 * Peer (consume ceiling) of fold: a bare kafkajs consumer group that only counts messages, with the
 * fetch settings our KafkaMessageLog uses (4 MB per partition, 4 partitions concurrently).
 */
async function main() {
  const n = Number(env('N'));
  const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-bare', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: env('GROUP'), maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100, sessionTimeout: 10000, heartbeatInterval: 1000 });
  const mark = cpuMark();
  const started = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [env('TOPIC')], fromBeginning: true });
  let count = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const stopProgress = every(3000, () => progress(`progress counted ${count}/${n}`));
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      if (count >= n) resolveDone();
    },
  });
  await done;
  const seconds = (Date.now() - started) / 1000;
  const used = resources(mark);
  stopProgress();
  await consumer.disconnect();
  result({ eventsPerSecond: n / seconds, events: count, seconds, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
