import { fromWire, HEADER } from '@streamfold/core';
import { EmbeddedMessageLog, LogMessage, MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { TelemetryProducer } from './telemetry-producer';

type Sent = { topic: string; messages: OutgoingMessage[] };

/** A log whose send can be held at a gate or made to fail, recording every successful send. */
function fakeLog() {
  const sent: Sent[] = [];
  let gate: Promise<void> | null = null;
  let open!: () => void;
  let failures = 0;
  const log = {
    async send(topic: string, messages: OutgoingMessage[]) {
      if (gate) await gate;
      if (failures > 0) {
        failures--;
        throw new Error('broker unavailable');
      }
      sent.push({ topic, messages });
    },
  } as unknown as MessageLog;
  return {
    log,
    sent,
    hold: () => (gate = new Promise((r) => (open = r))),
    release: () => ((gate = null), open()),
    failNext: (n: number) => (failures = n),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const values = (sent: Sent[]) => sent.flatMap((s) => s.messages.map((m) => (fromWire(m.value as string).envelope.data as { i: number }).i));

describe('TelemetryProducer', () => {
  it('keeps sending after its linger timer fired before the linger was up (it used to stall for good)', async () => {
    const fake = fakeLog();
    const producer = new TelemetryProducer(fake.log, { batchSize: 100, lingerMs: 30 });
    producer.tryPublish('logs', 'svc', 'streamfold.LogRecorded', { i: 1 });
    // What a timer firing a millisecond early does: a drain that finds nothing ready yet.
    (producer as unknown as { kick(): void }).kick();
    await sleep(80);
    expect(values(fake.sent)).toEqual([1]);
    producer.tryPublish('logs', 'svc', 'streamfold.LogRecorded', { i: 2 });
    await sleep(80);
    expect(values(fake.sent)).toEqual([1, 2]);
    await producer.close();
  });

  it('sends full batches at once and the rest after the linger', async () => {
    const fake = fakeLog();
    const producer = new TelemetryProducer(fake.log, { batchSize: 100, lingerMs: 40 });
    for (let i = 0; i < 250; i++) await producer.publish('positions', `user-${i % 7}`, 'video.PositionReported', { i });
    await sleep(5);
    expect(fake.sent.map((s) => s.messages.length)).toEqual([100, 100]);
    await sleep(60);
    expect(fake.sent.map((s) => s.messages.length)).toEqual([100, 100, 50]);
    expect(values(fake.sent)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    await producer.close();
  });

  it('bounds a send by bytes as well as by count, and a message larger than the bound still goes alone', async () => {
    const fake = fakeLog();
    const producer = new TelemetryProducer(fake.log, { batchSize: 100, maxBatchBytes: 4000, lingerMs: 1000 });
    const pad = 'x'.repeat(500);
    for (let i = 0; i < 20; i++) await producer.publish('positions', 'u', 'video.PositionReported', { i, pad });
    producer.tryPublish('positions', 'u', 'video.PositionReported', { i: 20, pad: 'y'.repeat(10_000) });
    await producer.flush();
    const sizes = fake.sent.map((s) => s.messages.reduce((n, m) => n + Buffer.byteLength(m.value as string), 0));
    // Each envelope is about 800 bytes: a full send holds four of them, none goes over the bound
    // except the one message that alone exceeds it.
    expect(fake.sent.map((s) => s.messages.length).slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(sizes.slice(0, 5).every((n) => n < 4000)).toBe(true);
    expect(fake.sent[fake.sent.length - 1].messages).toHaveLength(1);
    expect(values(fake.sent)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    await producer.close();
  });

  it('pushes back once maxBuffered messages wait: publish() waits, tryPublish() refuses', async () => {
    const fake = fakeLog();
    const producer = new TelemetryProducer(fake.log, { batchSize: 2, lingerMs: 0, maxBuffered: 5 });
    fake.hold();
    for (let i = 0; i < 5; i++) await producer.publish('t', 'k', 'x.Moved', { i });
    let sixth = false;
    const pending = producer.publish('t', 'k', 'x.Moved', { i: 5 }).then(() => (sixth = true));
    await sleep(20);
    expect(sixth).toBe(false);
    expect(producer.tryPublish('t', 'k', 'x.Moved', { i: 99 })).toBe(false);
    expect(producer.buffered).toBe(5);
    fake.release();
    await pending;
    expect(producer.buffered).toBeLessThanOrEqual(5);
    await producer.flush();
    expect(values(fake.sent)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(producer.tryPublish('t', 'k', 'x.Moved', { i: 6 })).toBe(true);
    await producer.close();
    expect(values(fake.sent)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('retries a failed send with backoff, in order, without losing or repeating messages', async () => {
    const fake = fakeLog();
    const errors: string[] = [];
    const producer = new TelemetryProducer(fake.log, { batchSize: 3, lingerMs: 1, initialBackoffMs: 5, onSendError: (e) => errors.push(e.message) });
    fake.failNext(2);
    for (let i = 0; i < 7; i++) await producer.publish('t', 'k', 'x.Moved', { i });
    await producer.flush();
    expect(errors).toEqual(['broker unavailable', 'broker unavailable']);
    expect(values(fake.sent)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await producer.close();
  });

  it('writes telemetry envelopes without positions or sequence, keyed, with the event time', async () => {
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'taxi_position', partitions: 4 }]);
    const producer = new TelemetryProducer(log, { batchSize: 64, lingerMs: 2 });
    const at = new Date('2025-11-25T08:00:00.000Z');
    for (let i = 0; i < 600; i++) await producer.publish('taxi_position', `taxi-${i % 9}`, 'taxi.PositionReported', { i }, at);
    await producer.close();
    await expect(producer.publish('taxi_position', 'taxi-1', 'taxi.PositionReported', {})).rejects.toThrow('closed');

    const seen: LogMessage[] = [];
    const consumer = await log.consume({ groupId: 'check', topics: ['taxi_position'], eachBatch: async (b) => void seen.push(...b.messages) });
    for (let waited = 0; seen.length < 600 && waited < 3000; waited += 10) await sleep(10);
    await consumer.stop();
    await log.close();
    expect(seen).toHaveLength(600);
    const { envelope, sequence } = fromWire(seen[0].value, seen[0].headers);
    expect(envelope).toMatchObject({ type: 'taxi.PositionReported', streamId: seen[0].key, streamPosition: null, globalPosition: null, occurredAt: at.toISOString() });
    expect(sequence).toBeNull();
    expect(seen.every((m) => m.headers[HEADER.sequence] === undefined && m.timestamp === at.getTime())).toBe(true);
    for (let k = 0; k < 9; k++) {
      const mine = seen.filter((m) => m.key === `taxi-${k}`).map((m) => (fromWire(m.value).envelope.data as { i: number }).i);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
      expect(mine).toHaveLength(Math.floor(600 / 9) + (k < 600 % 9 ? 1 : 0));
    }
  });
});
