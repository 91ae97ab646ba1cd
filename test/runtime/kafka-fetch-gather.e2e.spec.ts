import { KafkaMessageLog } from '@streamfold/messaging';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

/**
 * `fetchGather` on the real broker: a member that asks it to hold each fetch for a window gets a
 * steady trickle of records in a few large batches, one per window, instead of one batch per
 * record, and still every record in order. (Without it the broker answers each fetch as soon as
 * one record is there: about one batch per send here.)
 */
describe('kafka consumer fetchGather', () => {
  const prefix = topicPrefix('fgather');
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'e2e-fgather', prefix });

  afterAll(async () => {
    await deleteTopics(prefix);
    await log.close();
  });

  it('hands over a window of records per fetch, all of them, in order', async () => {
    await log.ensureTopics([{ name: 'trickle', partitions: 1 }]);
    const values: number[] = [];
    const batches: number[] = [];
    let assigned = false;
    const handle = await log.consume({
      groupId: 'gathered',
      topics: ['trickle'],
      fetchGather: { waitMs: 1000, bytes: 1024 * 1024 },
      onAssignment: (partitions) => (assigned = partitions.length > 0),
      eachBatch: async (batch) => {
        batches.push(batch.messages.length);
        for (const m of batch.messages) values.push(Number(m.value.toString()));
      },
    });
    try {
      await eventually(async () => (assigned ? true : undefined), 30_000, 'the partition to be assigned');
      // Let the member's fetch loop run empty first, so the records meet fetches already waiting.
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 0; i < 100; i++) {
        await log.send('trickle', [{ key: 'k', value: String(i) }]);
        await new Promise((r) => setTimeout(r, 30));
      }
      await eventually(async () => (values.length >= 100 ? true : undefined), 30_000, 'all 100 records');
    } finally {
      await handle.stop();
    }
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // 100 sends over at least 3 s, fetches held for 1 s each: a handful of batches (a broker can
    // only answer later under load, never earlier, as 1 MiB is never reached).
    expect(batches.length).toBeLessThanOrEqual(8);
  });
});
