import { decodeFetchV11, fixKafkajsRecordDecoder, KafkajsDecoders } from './kafkajs-record-decoder';

/* eslint-disable @typescript-eslint/no-var-requires */
const Encoder = require('kafkajs/src/protocol/encoder');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression');
const fetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response') as { decode(raw: Buffer): Promise<unknown> };
const kafkajsDecode = fetchV11.decode;
const kafkajs: KafkajsDecoders = {
  Decoder: require('kafkajs/src/protocol/decoder'),
  recordBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder'),
  messageSet: require('kafkajs/src/protocol/messageSet/decoder'),
};
/* eslint-enable @typescript-eslint/no-var-requires */

interface TestRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer | null | string[]>;
  timestampDelta?: number;
}

/** One record batch as a broker stores it (kafkajs' own encoder), as bytes. */
async function batch(firstOffset: string, firstTimestamp: number, records: TestRecord[], compression = Compression.None): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression,
    firstOffset: require('kafkajs/src/utils/long').fromValue(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + 1000,
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.timestampDelta ?? i * 3, key: r.key, value: r.value, headers: r.headers })),
  });
  return encoded.buffer;
}

/** A Fetch v11 response: one topic, each partition's record set the given bytes. */
function response(topic: string, partitions: Buffer[]): Buffer {
  const e = new Encoder().writeInt32(0).writeInt16(0).writeInt32(77).writeInt32(1).writeString(topic).writeInt32(partitions.length);
  partitions.forEach((records, partition) => {
    e.writeInt32(partition).writeInt16(0).writeInt64('1200').writeInt64('1200').writeInt64('0');
    e.writeInt32(1).writeInt64('42').writeInt64('7'); // one aborted transaction
    e.writeInt32(-1).writeBytes(records);
  });
  return e.buffer;
}

const envelope = (i: number) => Buffer.from(JSON.stringify({ eventId: `e${i}`, type: 'social.PostLiked', data: { postId: `p${i % 7}`, note: 'ü€😀' } }));
const likes = (from: number, n: number): TestRecord[] =>
  Array.from({ length: n }, (_, k) => ({
    key: Buffer.from(`p${(from + k) % 7}`),
    value: envelope(from + k),
    headers: { 'sf-type': 'social.PostLiked', 'sf-event-id': `e${from + k}`, 'sf-schema': '1', 'sf-seq': `${1000 + from + k}:${from + k}` },
  }));

async function both(raw: Buffer) {
  return { ours: await decodeFetchV11(raw, kafkajs), theirs: await kafkajsDecode(raw) };
}

describe('the Fetch v11 record decoder (kafkajs 2.2.4)', () => {
  it('gives exactly what kafkajs gives: offsets past 2^32, timestamps, keys, values, headers, batch contexts', async () => {
    const raw = response('likes', [
      Buffer.concat([await batch('0', 1_700_000_000_000, likes(0, 3)), await batch('3', 1_700_000_000_500, likes(3, 2))]),
      await batch('8589934592', 1_700_000_001_000, likes(10, 4)),
      Buffer.alloc(0),
    ]);
    const { ours, theirs } = await both(raw);
    expect(ours).toEqual(theirs);
    const partitions = (ours as { responses: Array<{ partitions: Array<{ messages: Array<{ offset: string; timestamp: string; headers: object }> }> }> }).responses[0].partitions;
    expect(partitions.map((p) => p.messages.length)).toEqual([5, 4, 0]);
    expect(partitions[1].messages[3]).toMatchObject({ offset: '8589934595', timestamp: '1700000001009' });
    expect(partitions[0].messages[4].headers).toEqual({ 'sf-type': Buffer.from('social.PostLiked'), 'sf-event-id': Buffer.from('e4'), 'sf-schema': Buffer.from('1'), 'sf-seq': Buffer.from('1004:4') });
  });

  it('null keys and values, empty and repeated headers, negative and multi-byte deltas', async () => {
    const records: TestRecord[] = [
      { key: null, value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), headers: { a: ['1', '2', '3'], b: '' }, timestampDelta: -5 },
      { key: Buffer.from('k'), value: Buffer.from('v'), headers: { 'ü': 'x' }, timestampDelta: 2 ** 40 },
    ];
    const { ours, theirs } = await both(response('t', [await batch('123', 1_600_000_000_000, records)]));
    expect(ours).toEqual(theirs);
  });

  it('header names it has seen before come back as they are, names of the same length apart, and many distinct names still decode', async () => {
    // Names are matched against those seen before byte for byte: same length, different bytes.
    const sameLength: TestRecord[] = ['sf-aaa', 'sf-aab', 'sf-baa', 'sf-aaa', 'tf-aaa'].map((name, i) => ({ key: null, value: Buffer.from(`${i}`), headers: { [name]: `${i}`, 'sf-seq': `${i}:0` } }));
    // More distinct names than it keeps (32), and longer ones than it keeps (64 bytes).
    const many: TestRecord[] = Array.from({ length: 50 }, (_, i) => ({ key: null, value: null, headers: { [`n-${i}`]: 'x', [`${'long-'.repeat(14)}${i}`]: 'y', 'sf-seq': `${i}:1` } }));
    const { ours, theirs } = await both(response('t', [await batch('0', 1_600_000_000_000, sameLength), await batch('0', 1_600_000_000_000, many)]));
    expect(ours).toEqual(theirs);
    const partitions = (ours as { responses: Array<{ partitions: Array<{ messages: Array<{ headers: Record<string, Buffer> }> }> }> }).responses[0].partitions;
    expect(partitions[0].messages.map((m) => Object.keys(m.headers)[0])).toEqual(['sf-aaa', 'sf-aab', 'sf-baa', 'sf-aaa', 'tf-aaa']);
    expect(Object.keys(partitions[1].messages[49].headers)).toEqual(['n-49', `${'long-'.repeat(14)}49`, 'sf-seq']);
  });

  it('leaves compressed batches to kafkajs, between plain ones', async () => {
    const raw = response('t', [Buffer.concat([await batch('0', 1, likes(0, 2)), await batch('2', 1, likes(2, 3), Compression.GZIP), await batch('5', 1, likes(5, 1))])]);
    const { ours, theirs } = await both(raw);
    expect(ours).toEqual(theirs);
    expect((ours as { responses: Array<{ partitions: Array<{ messages: unknown[] }> }> }).responses[0].partitions[0].messages).toHaveLength(6);
  });

  it('ends a partition at a batch the broker cut at maxBytes', async () => {
    const whole = Buffer.concat([await batch('0', 1, likes(0, 3)), await batch('3', 1, likes(3, 3))]);
    for (const cut of [whole.length - 1, whole.length - 80, whole.length / 2 + 5]) {
      const { ours, theirs } = await both(response('t', [whole.subarray(0, cut)]));
      expect(ours).toEqual(theirs);
      expect((ours as { responses: Array<{ partitions: Array<{ messages: unknown[] }> }> }).responses[0].partitions[0].messages).toHaveLength(3);
    }
  });

  it('log-append time, control batches and offsets beyond 2^53 decode as kafkajs does', async () => {
    const appendTime = await batch('10', 1_000, likes(0, 2));
    appendTime.writeInt16BE(appendTime.readInt16BE(21) | 0x08 | 0x20 | 0x10, 21);
    const huge = await batch('9007199254740993', 5, likes(0, 2));
    const { ours, theirs } = await both(response('t', [appendTime, huge]));
    expect(ours).toEqual(theirs);
    const [a, b] = (ours as { responses: Array<{ partitions: Array<{ messages: Array<{ timestamp: string; offset: string; isControlRecord: boolean }> }> }> }).responses[0].partitions;
    expect(a.messages[1]).toMatchObject({ timestamp: '2000', isControlRecord: true });
    expect(b.messages[1].offset).toBe('9007199254740994');
  });

  it('is what kafkajs uses once installed', async () => {
    expect(fixKafkajsRecordDecoder()).toBe('fixed');
    expect(fetchV11.decode).not.toBe(kafkajsDecode);
    const raw = response('t', [await batch('0', 1, likes(0, 2))]);
    expect(await fetchV11.decode(raw)).toEqual(await kafkajsDecode(raw));
  });
});
