import { encodeProduce, fixKafkajsRecordEncoder, ProduceArgs } from './kafkajs-record-encoder';

/* eslint-disable @typescript-eslint/no-var-requires */
const produceV7 = require('kafkajs/src/protocol/requests/produce/v7/request') as (args: ProduceArgs) => { encode(): Promise<{ buffer: Buffer }> };
const Broker = require('kafkajs/src/broker') as { prototype: { produce: unknown } };
/* eslint-enable @typescript-eslint/no-var-requires */

async function kafkajsBytes(args: ProduceArgs): Promise<Buffer> {
  return (await produceV7(args).encode()).buffer;
}

const heartbeat = (i: number) => ({
  key: `user-${i % 5}`,
  value: JSON.stringify({ userId: `user-${i % 5}`, positionSec: i, note: 'ü€😀' }),
  headers: { 'sf-type': 'movieflix.ShowPositionRecorded', 'sf-event-id': `e${i}`, 'sf-schema': '1' },
  timestamp: String(1_700_000_000_000 + i * 7),
});

describe('the Produce record encoder (kafkajs 2.2.4)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes the bytes kafkajs writes: topics, partitions, 200 records, string keys, values and headers', async () => {
    const args: ProduceArgs = {
      acks: -1, timeout: 30000, compression: 0, producerId: '4711', producerEpoch: 3,
      topicData: [
        { topic: 'show_position', partitions: [{ partition: 0, firstSequence: 17, messages: Array.from({ length: 200 }, (_, i) => heartbeat(i)) }, { partition: 5, firstSequence: 0, messages: [heartbeat(9)] }] },
        { topic: 'likes', partitions: [{ partition: 2, firstSequence: 2_000_000_000, messages: [heartbeat(1), heartbeat(2)] }] },
      ],
    };
    expect(encodeProduce(args).equals(await kafkajsBytes(args))).toBe(true);
  });

  it('null and Buffer keys and values, repeated and Buffer headers, numeric timestamps far apart, a transactional id', async () => {
    const args: ProduceArgs = {
      acks: 1, timeout: 5000, compression: 0, transactionalId: 'tx-ü', producerId: '-1', producerEpoch: 0,
      topicData: [{ topic: 't', partitions: [{ partition: 1, firstSequence: 0, messages: [
        { key: null, value: null, timestamp: 1_600_000_000_000 },
        { key: Buffer.from([0, 255, 7]), value: Buffer.alloc(300, 9), headers: { a: ['1', '2', '3'], b: Buffer.from('bytes'), 'ü': '' }, timestamp: 1_600_000_000_000 + 2 ** 40 },
        { key: '', value: 'x'.repeat(20_000), timestamp: 1_600_000_000_001 },
      ] }] }],
    };
    expect(encodeProduce(args).equals(await kafkajsBytes(args))).toBe(true);
  });

  it('messages without timestamps take the time of the request, as in kafkajs', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_750_000_000_123);
    const args: ProduceArgs = { acks: -1, timeout: 30000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }, { key: 'k', value: 'w' }] }] }] };
    expect(encodeProduce(args).equals(await kafkajsBytes(args))).toBe(true);
  });

  it('a changed byte is seen: the comparison can fail', async () => {
    const args: ProduceArgs = { acks: -1, timeout: 30000, producerId: '1', topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [heartbeat(1)] }] }] };
    const ours = encodeProduce(args);
    ours[ours.length - 1] ^= 1;
    expect(ours.equals(await kafkajsBytes(args))).toBe(false);
  });

  it('is what kafkajs produces with once installed', () => {
    const before = Broker.prototype.produce;
    expect(fixKafkajsRecordEncoder()).toBe('fixed');
    expect(Broker.prototype.produce).not.toBe(before);
  });
});
