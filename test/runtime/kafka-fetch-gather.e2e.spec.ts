import { KafkaMessageLog } from '@streamfold/messaging';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

/**
 * `fetchGather` on the real broker: a member that asks it to hold each fetch for a window gets a
 * steady trickle of records in a few large batches, about one per window, instead of one batch
 * per record, and still every record in order. (Without it the broker answers each fetch as soon
 * as one record is there: one batch per send here.)
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
    let sending = 0;
    let sent = 0;
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
      sending = Date.now();
      for (let i = 0; i < 100; i++) {
        await log.send('trickle', [{ key: 'k', value: String(i) }]);
        await new Promise((r) => setTimeout(r, 30));
      }
      sent = Date.now();
      await eventually(async () => (values.length >= 100 ? true : undefined), 30_000, 'all 100 records');
    } finally {
      await handle.stop();
    }
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Fetches held for 1 s each (1 MiB is never reached): about one batch per second of sending,
    // plus the last window's, with room for a fetch cut short by a session reset. Bounded by the
    // time the sends took, so a slow machine only raises the bound; without the option each of
    // the 100 sends is a batch of its own.
    expect(batches.length).toBeLessThanOrEqual(Math.ceil((sent - sending) / 1000) + 3);
  });
});
