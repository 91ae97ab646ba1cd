import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isProducerStateError, splitByPartition } from './kafka-log';
import { partitionForKey } from './message-log.port';

// kafkajs' own error shapes: a non-retriable protocol error as the broker sent it, and the same
// wrapped by the retrier when it gave up.
const protocol = (type: string, code: number) => new KafkaJSProtocolError({ type, code, retriable: false, message: type } as never);

describe('isProducerStateError', () => {
  it('recognises the errors after which only a new producer id helps, wrapped or not', () => {
    expect(isProducerStateError(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', 45))).toBe(true);
    expect(isProducerStateError(protocol('UNKNOWN_PRODUCER_ID', 59))).toBe(true);
    expect(isProducerStateError(new KafkaJSNumberOfRetriesExceeded(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', 45), { retryCount: 5, retryTime: 100 } as never))).toBe(true);
  });

  it('leaves leadership changes and other failures to the ordinary retries', () => {
    expect(isProducerStateError(protocol('NOT_LEADER_FOR_PARTITION', 6))).toBe(false);
    expect(isProducerStateError(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(isProducerStateError(undefined)).toBe(false);
  });
});

describe('splitByPartition', () => {
  it('groups messages by the partition Kafka gives their key, keeping each group in send order', () => {
    const messages = ['a', 'b', 'a', 'c', 'b', 'a'].map((key, i) => ({ key, i }));
    const groups = splitByPartition(messages, 12, 0);
    for (const [partition, list] of groups) {
      expect(new Set(list.map((m) => partitionForKey(m.key, 12, 0)))).toEqual(new Set([partition]));
      expect(list.map((m) => m.i)).toEqual([...list.map((m) => m.i)].sort((x, y) => x - y));
    }
    expect([...groups.values()].flat().length).toBe(messages.length);
  });

  it('sends the keyless messages of one call to one partition, rotating between calls', () => {
    const keyless = [{ key: null }, { key: null }];
    expect([...splitByPartition(keyless, 4, 5).keys()]).toEqual([1]);
    expect([...splitByPartition(keyless, 4, 6).keys()]).toEqual([2]);
  });
});
