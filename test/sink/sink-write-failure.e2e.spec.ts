import { KafkaMessageLog } from '@streamfold/messaging';
import { writeFailureScenario } from '../../libs/sink/src/lake-test-kit';
import { deleteTopics, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

/**
 * A failed write on real Kafka: the consumer has already fetched past the failed batches (the
 * sink fetches while it writes), so they come back only because the sink replaces its consumer,
 * which resumes from the group's commit, never ahead of the files. Every message then lands once.
 */
describe('LakeSink on Kafka when a write fails', () => {
  const prefix = topicPrefix('sinkfail');
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'e2e-sink-failure', prefix });
  afterAll(async () => {
    await log.close();
    await deleteTopics(prefix);
  });

  it('replaces its consumer and writes every message exactly once when writing works again', async () => {
    expect(await writeFailureScenario(log, 400)).toEqual({ rows: 400, ids: 400, replaced: true });
  }, 120_000);
});
