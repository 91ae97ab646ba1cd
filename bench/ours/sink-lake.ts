import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaMessageLog, MessageLog } from '@streamfold/messaging';
import { LakeSink, lakeStatus } from '@streamfold/sink';
import { cpuMark, env, every, progress, quietLogger, resources, result } from '../lib/self';

/**
 * sink: LakeSink offloads the N messages of the topic into Parquet files (a fresh lake folder,
 * a fresh group), timed from the first batch until its files hold all N rows; then the lake's
 * row count is checked against N.
 */
async function main() {
  const n = Number(env('N'));
  const dir = mkdtempSync(join(tmpdir(), 'bench-lake-'));
  const kafka = new KafkaMessageLog({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-sink', prefix: env('PREFIX') });
  let first = 0;
  // Notes the first batch's arrival, so group joining is not counted (as for the peer).
  const log: MessageLog = Object.assign(Object.create(kafka) as MessageLog, {
    consume: (options: Parameters<MessageLog['consume']>[0]) =>
      kafka.consume({ ...options, eachBatch: (batch, context) => ((first ||= Date.now()), options.eachBatch(batch, context)) }),
  });
  const mark = cpuMark();
  const started = Date.now();
  const sink = await LakeSink.start({ log, topics: [env('TOPIC')], dir, groupId: 'bench-sink', flushRows: Number(env('FLUSH_ROWS', '20000')),
    // Throughput, not freshness: the last partitions to reach their end would otherwise wait the default 10 s age.
    flushMs: Number(env('FLUSH_MS', '1000')), logger: quietLogger });
  const stopProgress = every(3000, () => progress(`progress written ${sink.stats().rows}/${n}`));
  while (sink.stats().rows < n) await new Promise((r) => setTimeout(r, 20));
  const ended = Date.now();
  const used = resources(mark);
  stopProgress();
  const stats = sink.stats();
  await sink.stop();
  const [status] = await lakeStatus(dir);
  await kafka.close();
  rmSync(dir, { recursive: true, force: true });
  if (status.rows !== n) throw new Error(`lake holds ${status.rows} rows, expected ${n}`);
  result({ eventsPerSecond: n / ((ended - first) / 1000), eventsPerSecondFromStart: n / ((ended - started) / 1000), events: n, files: stats.files, parquetBytes: status.bytes, ...used });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
