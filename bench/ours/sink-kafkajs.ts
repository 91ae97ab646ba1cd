import { Kafka, logLevel } from 'kafkajs';
import { cpuMark, env, every, progress, resources, result } from '../lib/self';

/**
 * sink peer: a bare kafkajs consumer (fresh group, from the beginning) that only counts the N
 * messages of the topic: the ceiling any consumer on this client can reach. Fetch sizes and
 * concurrency as the framework's consumer uses them.
 */
async function main() {
  const n = Number(env('N'));
  const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-sink-peer', logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: `${env('PREFIX')}bench-sink-peer`, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 });
  const mark = cpuMark();
  const started = Date.now();
  let first = 0;
  let seen = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const stopProgress = every(3000, () => progress(`progress consumed ${seen}/${n}`));
  await consumer.connect();
  await consumer.subscribe({ topics: [`${env('PREFIX')}${env('TOPIC')}`], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      first ||= Date.now();
      seen += batch.messages.length;
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      if (seen >= n) done();
    },
  });
  await finished;
  const ended = Date.now();
  const used = resources(mark);
  stopProgress();
  await consumer.disconnect();
  result({ eventsPerSecond: n / ((ended - first) / 1000), eventsPerSecondFromStart: n / ((ended - started) / 1000), events: seen, bytes, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
