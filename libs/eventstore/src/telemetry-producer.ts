import { randomUUID } from 'node:crypto';
import { HEADER } from '@streamfold/core';
import type { MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { backoff, sleep } from './sleep';

/** Batching, back-pressure and retry bounds of a TelemetryProducer. */
export interface TelemetryProducerOptions {
  /** Most messages per send. @default 2000 */
  batchSize?: number;
  /**
   * Most bytes per send (keys, values and headers), so that no partition's record batch nears the
   * broker's 1 MB `message.max.bytes`. @default 524288
   */
  maxBatchBytes?: number;
  /** Longest a message waits for its batch to fill. @default 10 */
  lingerMs?: number;
  /** Messages queued or in flight above which publish() waits and tryPublish() refuses. @default 10_000 */
  maxBuffered?: number;
  /** First pause after a failed send; doubles on each failure. @default 100 */
  initialBackoffMs?: number;
  /** Longest pause between retries of a failed send. @default 5000 */
  maxBackoffMs?: number;
  /** How long close() waits for the buffer to drain before giving up. @default 30000 */
  closeTimeoutMs?: number;
  /** Told about each failed send (it is retried). @default console.warn */
  onSendError?: (error: Error, topic: string, count: number) => void;
}

type Entry = { topic: string; message: OutgoingMessage; at: number; bytes: number };

/**
 * Produces high-volume telemetry (positions) straight to the log in batches: these are not
 * aggregates, the Kafka log is their record, so they skip the event store and the relay. Memory is
 * bounded: past maxBuffered, publish() resolves only once a batch has been sent, so producers slow
 * down to the broker's pace instead of growing the heap. Failed sends are retried with backoff,
 * never dropped, and keep their place in line, so per-key order holds.
 */
export class TelemetryProducer {
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private queuedBytes = 0;
  private readonly lingerMs: number;
  private readonly maxBuffered: number;
  private readonly options: TelemetryProducerOptions;
  private queue: Entry[] = [];
  private inFlight = 0;
  private enqueued = 0;
  private sent = 0;
  private readonly spaceWaiters: Array<() => void> = [];
  private flushWaiters: Array<{ upTo: number; resolve: () => void }> = [];
  /** Set and cleared synchronously by drain(), so it is never left set by a drain that found nothing ready. */
  private draining = false;
  private linger: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly abandon = new AbortController();

  constructor(private readonly log: MessageLog, options: TelemetryProducerOptions = {}) {
    this.options = options;
    this.batchSize = options.batchSize ?? 2000;
    this.maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
    this.lingerMs = options.lingerMs ?? 10;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    for (const [name, value] of Object.entries({ batchSize: this.batchSize, maxBatchBytes: this.maxBatchBytes, maxBuffered: this.maxBuffered })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  /** Messages queued or in flight. */
  get buffered(): number {
    return this.queue.length + this.inFlight;
  }

  /** Messages tryPublish() would take right now: lets a caller accept or refuse a whole batch at once. */
  get room(): number {
    return this.spaceWaiters.length > 0 || this.closed ? 0 : Math.max(0, this.maxBuffered - this.buffered);
  }

  /** Enqueues one event; resolves at once while there is room, otherwise once room frees up. */
  publish(topic: string, key: string, type: string, data: unknown, occurredAt: Date | string = new Date()): Promise<void> {
    if (this.closed) return Promise.reject(new Error('TelemetryProducer is closed'));
    const entry = { topic, message: telemetryMessage(key, type, data, occurredAt), at: 0, bytes: 0 };
    if (this.hasRoom()) return Promise.resolve(this.enqueue(entry));
    // Waiters are served first come, first served, so one caller's events keep their order.
    return new Promise((resolve) => this.spaceWaiters.push(() => (this.enqueue(entry), resolve())));
  }

  /** Enqueues only when there is room now; false tells the caller to slow down (or drop, its choice). */
  tryPublish(topic: string, key: string, type: string, data: unknown, occurredAt: Date | string = new Date()): boolean {
    if (this.closed || !this.hasRoom()) return false;
    this.enqueue({ topic, message: telemetryMessage(key, type, data, occurredAt), at: 0, bytes: 0 });
    return true;
  }

  /** Sends everything enqueued before this call, without waiting for the linger. */
  flush(): Promise<void> {
    const upTo = this.enqueued;
    if (this.sent >= upTo) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ upTo, resolve });
      this.kick();
    });
  }

  /** Refuses new publishes, sends what is buffered or waiting for room, then stops. */
  async close(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 30000);
    while (this.buffered > 0 || this.spaceWaiters.length > 0) {
      if (Date.now() > deadline) {
        this.abandon.abort();
        throw new Error(`TelemetryProducer closed with ${this.buffered + this.spaceWaiters.length} messages unsent`);
      }
      const gaveUp = new AbortController();
      await Promise.race([this.flush(), sleep(Math.max(0, deadline - Date.now()), gaveUp.signal)]);
      gaveUp.abort();
    }
    if (this.linger) clearTimeout(this.linger);
  }

  private hasRoom(): boolean {
    return this.spaceWaiters.length === 0 && this.buffered < this.maxBuffered;
  }

  private enqueue(entry: Entry): void {
    entry.at = Date.now();
    entry.bytes = messageBytes(entry.message);
    this.queue.push(entry);
    this.queuedBytes += entry.bytes;
    this.enqueued++;
    if (this.full()) this.kick();
    else this.scheduleLinger(this.lingerMs);
  }

  private scheduleLinger(ms: number): void {
    if (!this.linger) this.linger = setTimeout(() => this.kick(), Math.max(0, ms));
  }

  /** A partial batch goes out only once its oldest message lingered enough, or someone flushes. */
  private ready(): boolean {
    if (this.full() || this.closed || this.flushWaiters.length > 0) return true;
    return Date.now() - this.queue[0].at >= this.lingerMs;
  }

  private kick(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    // drain() may return without awaiting anything (a timer fired a hair before the linger was
    // up): a promise kept from it would read as "draining" forever and stall the producer.
    if (!this.draining && this.queue.length > 0) void this.drain().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.abandon.signal.aborted) {
        if (!this.ready()) {
          this.scheduleLinger(this.queue[0].at + this.lingerMs - Date.now());
          break;
        }
        const batch = this.queue.splice(0, this.nextBatchLength());
        for (const entry of batch) this.queuedBytes -= entry.bytes;
        this.inFlight += batch.length;
        try {
          await this.sendBatch(batch);
          this.sent += batch.length;
        } finally {
          this.inFlight -= batch.length;
        }
        this.admitWaiters();
        this.flushWaiters = this.flushWaiters.filter((w) => (this.sent >= w.upTo ? (w.resolve(), false) : true));
      }
    } finally {
      // Cleared synchronously after the last emptiness check, so a concurrent enqueue always starts a new drain.
      this.draining = false;
    }
  }

  /** A whole batch is queued: by count or by bytes. */
  private full(): boolean {
    return this.queue.length >= this.batchSize || this.queuedBytes >= this.maxBatchBytes;
  }

  /** How many queued messages the next send takes: at least one, then up to either bound. */
  private nextBatchLength(): number {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.batchSize && (n === 0 || bytes + this.queue[n].bytes <= this.maxBatchBytes)) bytes += this.queue[n++].bytes;
    return n;
  }

  private admitWaiters(): void {
    while (this.spaceWaiters.length > 0 && this.buffered < this.maxBuffered) this.spaceWaiters.shift()!();
  }

  /** One send per topic, in enqueue order; a failed topic is retried before the next batch starts. */
  private async sendBatch(batch: Entry[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of batch) {
      const list = byTopic.get(topic);
      if (list) list.push(message);
      else byTopic.set(topic, [message]);
    }
    for (const [topic, messages] of byTopic) {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.log.send(topic, messages);
          break;
        } catch (error) {
          if (this.abandon.signal.aborted) throw error;
          (this.options.onSendError ?? defaultOnSendError)(error as Error, topic, messages.length);
          await sleep(backoff(attempt, this.options.initialBackoffMs ?? 100, this.options.maxBackoffMs ?? 5000), this.abandon.signal);
        }
      }
    }
  }
}

function byteLength(value: string | Buffer | null | undefined): number {
  return value == null ? 0 : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

/** What a message adds to a record batch, near enough: key, value and headers. */
function messageBytes(message: OutgoingMessage): number {
  let bytes = byteLength(message.key) + byteLength(message.value);
  if (message.headers) for (const name in message.headers) bytes += name.length + byteLength(message.headers[name]);
  return bytes;
}

function defaultOnSendError(error: Error, topic: string, count: number): void {
  console.warn(`[telemetry] sending ${count} messages to ${topic} failed, retrying: ${error.message}`);
}

/**
 * Telemetry is not event-sourced: no stream or global position, and no sf-seq header.
 *
 * The same message `toWire` makes of the envelope (`telemetry-producer.unit.spec.ts` compares
 * them), written directly: the ingest path spent a quarter of its CPU building an envelope object,
 * stringifying it whole, printing two ISO times and parsing one back for the Kafka timestamp. Only
 * the key, the type and the data need JSON escaping; ids and times are printed once per millisecond.
 */
export function telemetryMessage(key: string, type: string, data: unknown, occurredAt: Date | string): OutgoingMessage {
  const time = (typeof occurredAt === 'string' ? new Date(occurredAt) : occurredAt).getTime();
  if (Number.isNaN(time)) throw new TypeError(`occurredAt is not a valid time: ${String(occurredAt)}`);
  const eventId = randomUUID();
  const head = `{"eventId":"${eventId}","type":${JSON.stringify(type)},"schemaVersion":1,"streamId":${JSON.stringify(key)},"streamPosition":null,"globalPosition":null,"occurredAt":"${occurredIso.of(time)}","recordedAt":"${recordedIso.of(Date.now())}","correlationId":null,"causationId":null,"actor":null`;
  // As in JSON.stringify of the envelope: data that has no JSON (undefined, a function) leaves the field out.
  const json = JSON.stringify({ data }) as string;
  return {
    key,
    value: json.length === 2 ? `${head}}` : `${head},${json.slice(1)}`,
    headers: { [HEADER.type]: type, [HEADER.eventId]: eventId, [HEADER.schemaVersion]: '1' },
    timestamp: time,
  };
}

/** `Date#toISOString` of the last millisecond asked for, kept: a busy producer asks for the same one many times. */
class IsoTimes {
  private time = NaN;
  private text = '';

  of(time: number): string {
    if (time !== this.time) {
      this.text = new Date(time).toISOString();
      this.time = time;
    }
    return this.text;
  }
}

const occurredIso = new IsoTimes();
const recordedIso = new IsoTimes();
