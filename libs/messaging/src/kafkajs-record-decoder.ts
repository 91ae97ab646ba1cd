/**
 * kafkajs 2.2.4 decodes every record of a fetch with 64-bit arithmetic on BigInts: its `Long` is a
 * BigInt, so each record parses the batch's first offset and first timestamp from strings, adds
 * the deltas and prints them back, and reads its timestamp delta one byte at a time with a BigInt
 * add and shift each. It then builds the record's headers by spreading a new object per header.
 * Folding 1,000,000 likes, that decoding and the garbage it leaves were about a third of our CPU.
 *
 * This replaces the decoding of uncompressed record batches (magic 2) in Fetch v11 responses, the
 * version kafkajs uses against any broker since Kafka 2.3, with one pass over the bytes in plain
 * numbers. It yields records of the same shape and values: `offset` and `timestamp` as decimal
 * strings, `key`, `value` and header values as views of the response buffer, duplicate header keys
 * as arrays, and the batch context. Compressed batches, the legacy message set, offsets or
 * timestamps beyond 2^53 and anything it cannot account for go to kafkajs' own decoder, and a
 * truncated last batch (the broker's `maxBytes` cut) ends the partition, as kafkajs does.
 * `kafkajs-record-decoder.unit.spec.ts` compares the two on the same bytes.
 */

interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readString(): string;
  readBytes(size: number): Buffer;
  canReadBytes(size: number): boolean;
  readArray<T>(reader: (d: KafkajsDecoder) => T): T[];
  readArrayAsync<T>(reader: (d: KafkajsDecoder) => Promise<T>): Promise<T[]>;
}

type DecoderClass = new (buffer: Buffer) => KafkajsDecoder;
type RecordBatchDecoder = (d: KafkajsDecoder) => Promise<{ records: unknown[] }>;
type MessageSetDecoder = (d: KafkajsDecoder, size: number) => unknown;

/** A decoded record, as kafkajs' record decoder returns it. */
export interface KafkajsRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | Array<Buffer | null>>;
  isControlRecord: boolean;
  batchContext: object;
}

const MAGIC_BYTE = 2;
const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;
const RECORDS_START = 61;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A batch this decoder leaves to kafkajs. */
class NotPlain extends Error {}

/** Reads fields of `buf` from `at`, never past `end`. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
    public end: number,
  ) {}

  /** A zigzag varint, as kafkajs' readVarInt. */
  varint(): number {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      if (this.at >= this.end || shift > 28) throw new NotPlain();
      byte = this.buf[this.at++];
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return (value >>> 1) ^ -(value & 1);
  }

  /** A zigzag varlong that must fit a double exactly (timestamp deltas do). */
  varlong(): number {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      if (this.at >= this.end || scale > 2 ** 49) throw new NotPlain();
      byte = this.buf[this.at++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.at + length > this.end) throw new NotPlain();
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  /**
   * A header name as kafkajs gives it (`String` of its text, so a null name reads "null"). Every
   * record of a topic carries the same few names: those seen before are matched byte for byte and
   * returned as the same string, instead of a new string per header per record.
   */
  headerName(): string {
    const length = this.varint();
    if (length < 0) return 'null';
    const at = this.at;
    if (at + length > this.end) throw new NotPlain();
    this.at += length;
    for (let i = 0; i < KNOWN_NAMES.length; i++) {
      const known = KNOWN_NAMES[i];
      if (known.bytes.length !== length) continue;
      let same = true;
      for (let j = 0; j < length; j++) {
        if (known.bytes[j] !== this.buf[at + j]) {
          same = false;
          break;
        }
      }
      if (same) return known.name;
    }
    const name = this.buf.toString('utf8', at, at + length);
    // Only short names, and only so many: a stream of distinct names must not grow the list.
    if (KNOWN_NAMES.length < MAX_KNOWN_NAMES && length <= MAX_KNOWN_NAME_BYTES) KNOWN_NAMES.push({ name, bytes: Buffer.from(this.buf.subarray(at, at + length)) });
    return name;
  }
}

/** Header names seen so far (each with its bytes), shared by every fetch of the process. */
const KNOWN_NAMES: Array<{ name: string; bytes: Buffer }> = [];
const MAX_KNOWN_NAMES = 32;
const MAX_KNOWN_NAME_BYTES = 64;

/**
 * The records of one uncompressed batch that starts at `start` and ends before `end`, or
 * NotPlain when kafkajs should decode it.
 */
function plainBatch(buf: Buffer, start: number, end: number): KafkajsRecord[] {
  const attributes = buf.readInt16BE(start + 21);
  if ((attributes & COMPRESSION_MASK) !== 0) throw new NotPlain();
  const firstOffsetBig = buf.readBigInt64BE(start);
  const firstTimestampBig = buf.readBigInt64BE(start + 27);
  if (firstOffsetBig < 0n || firstOffsetBig > SAFE || firstTimestampBig > SAFE || firstTimestampBig < -SAFE) throw new NotPlain();
  const firstOffset = Number(firstOffsetBig);
  const firstTimestamp = Number(firstTimestampBig);
  const maxTimestamp = buf.readBigInt64BE(start + 35).toString();
  const timestampType = attributes & TIMESTAMP_TYPE_MASK ? LOG_APPEND_TIME : CREATE_TIME;
  const isControlBatch = (attributes & CONTROL_MASK) > 0;
  const batchContext = {
    firstOffset: firstOffsetBig.toString(),
    firstTimestamp: firstTimestampBig.toString(),
    partitionLeaderEpoch: buf.readInt32BE(start + 12),
    inTransaction: (attributes & TRANSACTIONAL_MASK) > 0,
    isControlBatch,
    lastOffsetDelta: buf.readInt32BE(start + 23),
    producerId: buf.readBigInt64BE(start + 43).toString(),
    producerEpoch: buf.readInt16BE(start + 51),
    firstSequence: buf.readInt32BE(start + 53),
    maxTimestamp,
    timestampType,
    magicByte: MAGIC_BYTE,
  };
  const count = buf.readInt32BE(start + 57);
  const records: KafkajsRecord[] = new Array(count < 0 ? 0 : count);
  const record = new Cursor(buf, start + RECORDS_START, end);
  for (let i = 0; i < count; i++) {
    record.end = end;
    const length = record.varint();
    const recordEnd = record.at + length;
    if (length <= 0 || recordEnd > end) throw new NotPlain();
    // A record's fields must lie within its own length, as kafkajs reads them from its slice.
    record.end = recordEnd;
    const recordAttributes = buf.readInt8(record.at++);
    const timestampDelta = record.varlong();
    const offsetDelta = record.varint();
    const key = record.bytes();
    const value = record.bytes();
    const headerCount = record.varint();
    const headers: KafkajsRecord['headers'] = {};
    for (let h = 0; h < headerCount; h++) {
      const name = record.headerName();
      const headerValue = record.bytes();
      const before = headers[name];
      headers[name] = before === undefined ? headerValue : Array.isArray(before) ? [...before, headerValue] : [before, headerValue];
    }
    records[i] = {
      magicByte: MAGIC_BYTE,
      attributes: recordAttributes,
      timestamp: timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : String(firstTimestamp + timestampDelta),
      offset: String(firstOffset + offsetDelta),
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
    record.at = recordEnd;
  }
  return records;
}

/** kafkajs' own decoders, which this one defers to. */
export interface KafkajsDecoders {
  Decoder: DecoderClass;
  recordBatch: RecordBatchDecoder;
  messageSet: MessageSetDecoder;
}

/** The records of one partition's record set (kafkajs' `decodeMessages`), fast where it can be. */
export async function decodeRecordSet(decoder: KafkajsDecoder, kafkajs: KafkajsDecoders): Promise<unknown[]> {
  const size = decoder.readInt32();
  if (size <= 0 || !decoder.canReadBytes(size)) return [];
  const buf = decoder.readBytes(size);
  if (buf.length <= MAGIC_OFFSET || buf.readInt8(MAGIC_OFFSET) !== MAGIC_BYTE) return kafkajs.messageSet(new kafkajs.Decoder(buf), size) as unknown[];
  let records: unknown[] = [];
  let at = 0;
  while (buf.length - at >= RECORD_BATCH_OVERHEAD) {
    const end = at + 12 + buf.readInt32BE(at + 8);
    // The broker cuts the last batch at maxBytes: a partial batch ends the set.
    if (end > buf.length) break;
    let batch: unknown[];
    try {
      batch = plainBatch(buf, at, end);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      const own = new kafkajs.Decoder(buf);
      own.offset = at;
      try {
        batch = (await kafkajs.recordBatch(own)).records;
      } catch (e) {
        if ((e as Error).name === 'KafkaJSPartialMessageError') break;
        throw e;
      }
    }
    records = records.length === 0 ? batch : records.concat(batch);
    at = end;
  }
  return records;
}

type FetchV11Response = { decode(rawData: Buffer): Promise<unknown>; parse: unknown };

let installed: 'fixed' | 'not-needed' | null = null;

/** Installs the fast path over kafkajs 2.2.4's Fetch v11 response decoder (once). */
export function fixKafkajsRecordDecoder(): 'fixed' | 'not-needed' {
  if (installed) return installed;
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return (installed = 'not-needed');
  const response = require('kafkajs/src/protocol/requests/fetch/v11/response') as FetchV11Response;
  const kafkajs: KafkajsDecoders = {
    Decoder: require('kafkajs/src/protocol/decoder') as DecoderClass,
    recordBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder,
    messageSet: require('kafkajs/src/protocol/messageSet/decoder') as MessageSetDecoder,
  };
  response.decode = (rawData: Buffer) => decodeFetchV11(rawData, kafkajs);
  return (installed = 'fixed');
}

/** kafkajs 2.2.4's Fetch v11 response decoder, with its record sets decoded by `decodeRecordSet`. */
export async function decodeFetchV11(rawData: Buffer, kafkajs: KafkajsDecoders) {
  const decoder = new kafkajs.Decoder(rawData);
  const clientSideThrottleTime = decoder.readInt32();
  const errorCode = decoder.readInt16();
  const sessionId = decoder.readInt32();
  const responses = await decoder.readArrayAsync(async (d) => ({
    topicName: d.readString(),
    partitions: await d.readArrayAsync(async (p) => ({
      partition: p.readInt32(),
      errorCode: p.readInt16(),
      highWatermark: p.readInt64().toString(),
      lastStableOffset: p.readInt64().toString(),
      lastStartOffset: p.readInt64().toString(),
      abortedTransactions: p.readArray((a) => ({ producerId: a.readInt64().toString(), firstOffset: a.readInt64().toString() })),
      preferredReadReplica: p.readInt32(),
      messages: await decodeRecordSet(p, kafkajs),
    })),
  }));
  // As kafkajs: the broker did not throttle this request; a client-side throttle is the client's.
  return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses };
}
