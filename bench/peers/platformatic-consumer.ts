import { cpuMark, env, every, progress, resources, result } from '../lib/self';

/**
 * Second consume ceiling of fold and rebuild: a bare @platformatic/kafka consumer group (the
 * client DESIGN.md names as kafkajs' successor candidate; 1.x, the line that runs on Node 20) that
 * only counts messages, on the same topic and with the same fetch sizes as the bare kafkajs peer
 * (4 MB per partition), keys and values left as buffers. It answers the issue's question of
 * whether a client behind the MessageLog port would lift the ceiling our fold and rebuild sit under.
 */
/** The part of @platformatic/kafka 1.x this peer uses. */
interface PlatformaticKafka {
  MessagesStreamModes: { EARLIEST: string };
  Consumer: new (options: Record<string, unknown>) => {
    consume(options: { topics: string[]; mode: string; autocommit: boolean }): Promise<NodeJS.EventEmitter & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
  };
}

async function main() {
  // Loaded at run time, untyped: a benchmark-only package under bench/node_modules (absent until
  // `npm run bench` installs the peers), which the repository's type check must not need.
  const client = '@platformatic/kafka';
  const { Consumer, MessagesStreamModes } = (await import(client)) as PlatformaticKafka;
  const n = Number(env('N'));
  const consumer = new Consumer({
    groupId: env('GROUP'),
    clientId: 'bench-platformatic',
    bootstrapBrokers: env('KAFKA_BROKERS').split(','),
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxWaitTime: 100,
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
  });
  const mark = cpuMark();
  const started = Date.now();
  const stream = await consumer.consume({ topics: [env('TOPIC')], mode: MessagesStreamModes.EARLIEST, autocommit: true });
  let count = 0;
  const stopProgress = every(3000, () => progress(`progress counted ${count}/${n}`));
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => {
      if (++count === n) resolve();
    });
    stream.on('error', reject);
  });
  const seconds = (Date.now() - started) / 1000;
  const used = resources(mark);
  stopProgress();
  await stream.close();
  await consumer.close(true);
  result({ eventsPerSecond: n / seconds, events: count, seconds, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
