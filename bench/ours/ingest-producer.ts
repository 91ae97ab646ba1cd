import { randomUUID } from 'node:crypto';
import { TelemetryProducer, telemetryMessage } from '@streamfold/eventstore';
import { KafkaMessageLog } from '@streamfold/messaging';
import { cpuMark, env, every, progress, resources, result } from '../lib/self';

/**
 * ingest-producer: N show_position heartbeats through TelemetryProducer (default batching) from one
 * process, timed until close() has flushed them all (acks=all, idempotent producer).
 */
async function main() {
  const n = Number(env('N'));
  const log = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-ingest', prefix: env('PREFIX') });
  const producer = new TelemetryProducer(log);
  const users = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
  const show = randomUUID();
  await log.send('show_position', [telemetryMessage('warmup', 'movieflix.ShowPositionRecorded', { warmup: true }, new Date())]);
  const mark = cpuMark();
  const started = Date.now();
  let published = 0;
  const stopProgress = every(3000, () => progress(`progress published ${published}/${n}`));
  for (let i = 0; i < n; i++) {
    const userId = users[i % users.length];
    await producer.publish('show_position', userId, 'movieflix.ShowPositionRecorded', { userId, showId: show, positionSec: i % 7200 }, new Date());
    published++;
  }
  await producer.close();
  const seconds = (Date.now() - started) / 1000;
  const used = resources(mark);
  stopProgress();
  await log.close();
  const sample = telemetryMessage(users[0], 'movieflix.ShowPositionRecorded', { userId: users[0], showId: show, positionSec: 1234 }, new Date());
  result({ eventsPerSecond: n / seconds, events: n, seconds, valueBytes: Buffer.byteLength(String(sample.value)), ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
