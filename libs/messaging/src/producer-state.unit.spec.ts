import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isProducerStateError } from './kafka-log';

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
