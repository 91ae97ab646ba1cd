/**
 * kafkajs 2.2.4 encodes each record of a produce request into a new `Encoder`, which starts as a
 * zero-filled 512-byte buffer, and each header into another one; it writes timestamp deltas with
 * BigInt arithmetic and copies every record into the batch, the batch into the partition, and so
 * on up. Sending 1,000,000 heartbeats, allocating those buffers alone was a sixth of the
 * producer's CPU, and kafkajs as a whole over a quarter.
 *
 * This encodes uncompressed Produce v3–v7 requests (the versions of the record batch format,
 * magic 2; kafkajs uses v7 against any broker since Kafka 2.1) in two passes: sizes first, then
 * one buffer written once, with a CRC-32C four times as fast as kafkajs' (`crc32c.ts`). The
 * bytes are the ones kafkajs writes for the same messages: `kafkajs-record-encoder.unit.spec.ts`
 * compares them. Compressed requests and other versions go
 * to kafkajs' own encoder.
 */

import { crc32c } from './crc32c';

/** A message as kafkajs' producer hands it to the protocol. */
interface ProduceMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string>>;
  timestamp?: number | string;
}

/** Produce request arguments, as kafkajs' Broker.produce receives them. */
export interface ProduceArgs {
  acks?: number;
  timeout?: number;
  compression?: number;
  transactionalId?: string | null;
  producerId?: { toString(): string } | number | string;
  producerEpoch?: number;
  topicData: Array<{ topic: string; partitions: Array<{ partition: number; firstSequence?: number; messages: ProduceMessage[] }> }>;
}

const TRANSACTIONAL = 0x10;
const MAGIC_BYTE = 2;
/** Base offset, length, leader epoch, magic, CRC; the CRC covers what follows it. */
const CRC_START = 21;
const RECORDS_START = 61;

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function varintSize(n: number): number {
  let v = zigzag32(n);
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Zigzag of a safe integer, as a non-negative double. */
function zigzag64(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function varlongSize(n: number): number {
  let v = zigzag64(n);
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

type Bytes = Buffer | string | null | undefined;

function bytesLength(value: Bytes): number {
  return value == null ? -1 : Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value), 'utf8');
}

/** Writes into one buffer, front to back. */
class Writer {
  at = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    let v = zigzag32(n);
    while (v >= 0x80) {
      this.buf[this.at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.at++] = v;
  }

  varlong(n: number): void {
    let v = zigzag64(n);
    while (v >= 128) {
      this.buf[this.at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
  }

  /** Length-prefixed bytes; `length` is what bytesLength gave for `value`. */
  bytes(value: Bytes, length: number): void {
    this.varint(length);
    if (length < 0) return;
    if (Buffer.isBuffer(value)) this.at += value.copy(this.buf, this.at);
    else this.at += this.buf.write(String(value), this.at, length, 'utf8');
  }

  int16(n: number): void {
    this.at = this.buf.writeInt16BE(n, this.at);
  }

  int32(n: number): void {
    this.at = this.buf.writeInt32BE(n, this.at);
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.int16(length);
    this.at += this.buf.write(value, this.at, length, 'utf8');
  }
}

/** One record's sizes, measured once and used to write it. */
interface Measured {
  message: ProduceMessage;
  timestampDelta: number;
  keyLength: number;
  valueLength: number;
  headers: Array<[string, number, Bytes, number]>;
  body: number;
}

function measure(message: ProduceMessage, offsetDelta: number, timestampDelta: number): Measured {
  const keyLength = bytesLength(message.key);
  const valueLength = bytesLength(message.value);
  const headers: Measured['headers'] = [];
  let body = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + varintSize(keyLength) + Math.max(keyLength, 0) + varintSize(valueLength) + Math.max(valueLength, 0);
  if (message.headers) {
    for (const name of Object.keys(message.headers)) {
      const raw = message.headers[name];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        const nameLength = Buffer.byteLength(name, 'utf8');
        const length = bytesLength(value);
        headers.push([name, nameLength, value, length]);
        body += varintSize(nameLength) + nameLength + varintSize(length) + Math.max(length, 0);
      }
    }
  }
  body += varintSize(headers.length);
  return { message, timestampDelta, keyLength, valueLength, headers, body };
}

/** One partition's record batch, as kafkajs' RecordBatch writes it uncompressed. */
function recordBatch(messages: ProduceMessage[], producerId: bigint, producerEpoch: number, firstSequence: number, transactional: boolean): Buffer {
  const now = Date.now();
  let first = Infinity;
  let max = -Infinity;
  for (const m of messages) {
    if (m.timestamp == null) continue;
    const t = Number(m.timestamp);
    if (t < first) first = t;
    if (t > max) max = t;
  }
  if (first === Infinity) first = max = now;
  const records = messages.map((m, i) => measure(m, i, (m.timestamp ? Number(m.timestamp) : now) - first));
  let size = RECORDS_START;
  for (const r of records) size += varintSize(r.body) + r.body;
  const w = new Writer(Buffer.allocUnsafe(size));
  w.buf.writeBigInt64BE(0n, 0);
  w.buf.writeInt32BE(size - 12, 8);
  w.buf.writeInt32BE(0, 12); // partition leader epoch
  w.buf.writeInt8(MAGIC_BYTE, 16);
  w.buf.writeInt16BE(transactional ? TRANSACTIONAL : 0, 21);
  w.buf.writeInt32BE(records.length - 1, 23);
  w.buf.writeBigInt64BE(BigInt(first), 27);
  w.buf.writeBigInt64BE(BigInt(max), 35);
  w.buf.writeBigInt64BE(producerId, 43);
  w.buf.writeInt16BE(producerEpoch, 51);
  w.buf.writeInt32BE(firstSequence, 53);
  w.buf.writeInt32BE(records.length, 57);
  w.at = RECORDS_START;
  records.forEach((r, i) => {
    w.varint(r.body);
    w.buf[w.at++] = 0; // record attributes: none
    w.varlong(r.timestampDelta);
    w.varint(i);
    w.bytes(r.message.key, r.keyLength);
    w.bytes(r.message.value, r.valueLength);
    w.varint(r.headers.length);
    for (const [name, nameLength, value, length] of r.headers) {
      w.varint(nameLength);
      w.at += w.buf.write(name, w.at, nameLength, 'utf8');
      w.bytes(value, length);
    }
  });
  w.buf.writeUInt32BE(crc32c(w.buf.subarray(CRC_START)), 17);
  return w.buf;
}

/** The body of a Produce v3–v7 request (they share one layout), uncompressed. */
export function encodeProduce(args: ProduceArgs): Buffer {
  const producerId = BigInt(String(args.producerId ?? -1));
  const transactional = !!args.transactionalId;
  const topics = args.topicData.map(({ topic, partitions }) => ({
    topic,
    partitions: partitions.map((p) => ({ partition: p.partition, batch: recordBatch(p.messages, producerId, args.producerEpoch ?? 0, p.firstSequence ?? 0, transactional) })),
  }));
  let size = 2 + (args.transactionalId == null ? 0 : Buffer.byteLength(args.transactionalId, 'utf8')) + 2 + 4 + 4;
  for (const t of topics) {
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
    for (const p of t.partitions) size += 4 + 4 + p.batch.length;
  }
  const w = new Writer(Buffer.allocUnsafe(size));
  if (args.transactionalId == null) w.int16(-1);
  else w.string(args.transactionalId);
  w.int16(args.acks ?? -1);
  w.int32(args.timeout ?? 30000);
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partition);
      w.int32(p.batch.length);
      w.at += p.batch.copy(w.buf, w.at);
    }
  }
  return w.buf;
}

interface EncoderLike {
  buf: Buffer;
  offset: number;
}
type ProduceProtocol = { request: { apiVersion: number; encode: () => Promise<EncoderLike> }; response: unknown };
interface BrokerInternals {
  lookupRequest(apiKey: number, definition: unknown): (args: ProduceArgs) => ProduceProtocol;
  produce(args: ProduceArgs): Promise<unknown>;
}

const PRODUCE_API_KEY = 0;
let installed: 'fixed' | 'not-needed' | null = null;

/** Installs the encoder under kafkajs 2.2.4's Broker.produce (once); other kafkajs versions are left as they are. */
export function fixKafkajsRecordEncoder(): 'fixed' | 'not-needed' {
  if (installed) return installed;
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return (installed = 'not-needed');
  const Broker = require('kafkajs/src/broker') as { prototype: BrokerInternals & Record<symbol, (protocol: ProduceProtocol) => Promise<unknown>> };
  const { requests } = require('kafkajs/src/protocol/requests') as { requests: { Produce: unknown } };
  const Encoder = require('kafkajs/src/protocol/encoder') as new (size: number) => EncoderLike;
  const send = Object.getOwnPropertySymbols(Broker.prototype).find((s) => s.description === 'private:Broker:sendRequest');
  if (!send) return (installed = 'not-needed');
  Broker.prototype.produce = async function (this: BrokerInternals & Record<symbol, (protocol: ProduceProtocol) => Promise<unknown>>, given: ProduceArgs) {
    const args: ProduceArgs = { ...given, acks: given.acks ?? -1, timeout: given.timeout ?? 30000, compression: given.compression ?? 0 };
    const protocol = this.lookupRequest(PRODUCE_API_KEY, requests.Produce)(args);
    const apiVersion = protocol.request.apiVersion;
    if (!args.compression && apiVersion >= 3 && apiVersion <= 7) {
      protocol.request.encode = async () => {
        const payload = new Encoder(0);
        payload.buf = encodeProduce(args);
        payload.offset = payload.buf.length;
        return payload;
      };
    }
    return this[send!](protocol);
  };
  return (installed = 'fixed');
}
