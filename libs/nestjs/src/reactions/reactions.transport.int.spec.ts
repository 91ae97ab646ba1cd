import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope, toWire } from '@streamfold/core';
import { EmbeddedMessageLog } from '@streamfold/messaging';
import type { Database } from '@streamfold/runtime';
import { connectReactions, ReactionContext, ReactionErrorFilter, ReactionsTransport } from './reactions.transport';

const seen: Array<{ id: string; offset: number }> = [];
const failures = new Map<string, number>();

@Controller()
class Notifier {
  @EventPattern('orders')
  async onOrder(@Payload() event: EventEnvelope, @Ctx() ctx: ReactionContext): Promise<void> {
    const data = event.data as { failTimes?: number };
    const failed = failures.get(event.eventId) ?? 0;
    if (failed < (data.failTimes ?? 0)) {
      failures.set(event.eventId, failed + 1);
      throw new Error(`notification service down for ${event.eventId}`);
    }
    seen.push({ id: event.eventId, offset: ctx.getMessage().offset });
  }
}

@Module({ controllers: [Notifier] })
class NotifierModule {}

const envelope = (i: number, data: unknown): EventEnvelope => ({
  eventId: `evt-${i}`,
  type: 'shop.OrderPlaced',
  schemaVersion: 1,
  streamId: `order-${i}`,
  streamPosition: 1,
  globalPosition: String(i),
  occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString(),
  recordedAt: new Date().toISOString(),
  correlationId: null,
  causationId: null,
  actor: null,
  data,
});

describe('ReactionsTransport (@EventPattern over the MessageLog port)', () => {
  let log: EmbeddedMessageLog;
  let app: INestMicroservice;
  // One INSERT per batch of dead letters, its columns as arrays (DeadLetterWriter.writeMany).
  const deadLetters: unknown[][] = [];

  beforeAll(async () => {
    log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'orders', partitions: 2 }]);
    const db = { pool: { query: async (_sql: string, params: unknown[]) => void deadLetters.push(params) } } as unknown as Database;
    app = await NestFactory.createMicroservice(NotifierModule, {
      strategy: new ReactionsTransport(log, db, { retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 } }),
      logger: false,
    });
    app.useGlobalFilters(new ReactionErrorFilter());
    await app.listen();
  });
  afterAll(async () => {
    await app.close();
    await log.close();
  });

  it('hands every event to its handler, retries a failing one, and dead-letters one that keeps failing', async () => {
    const messages = [envelope(1, {}), envelope(2, { failTimes: 2 }), envelope(3, { failTimes: 10 }), envelope(4, {})].map((e) => {
      const wire = toWire(e, 'customer-1', null);
      return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
    });
    await log.send('orders', messages);
    const deadline = Date.now() + 10_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // One key, one partition: order is kept, and the poison event does not stall the ones after it.
    expect(seen.map((s) => s.id)).toEqual(['evt-1', 'evt-2', 'evt-4']);
    expect(failures.get('evt-2')).toBe(2);
    expect(failures.get('evt-3')).toBe(3);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].flat()).toEqual(expect.arrayContaining(['reactions:orders', 'orders', 2, 'Error: notification service down for evt-3', 3]));
  });
});

describe('ReactionsTransport connected to an HTTP application, as startServer does', () => {
  it("dead-letters a failing event with the handler's own error, not Nest's \"Internal server error\"", async () => {
    const log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'orders', partitions: 1 }]);
    const deadLetters: unknown[][] = [];
    const db = { pool: { query: async (_sql: string, params: unknown[]) => void deadLetters.push(params) } } as unknown as Database;
    const app = await NestFactory.create(NotifierModule, { logger: false });
    connectReactions(app, new ReactionsTransport(log, db, { retry: { maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 5 } }));
    await app.startAllMicroservices();
    try {
      const wire = toWire(envelope(21, { failTimes: 10 }), 'customer-2', null);
      await log.send('orders', [{ key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp }]);
      const deadline = Date.now() + 10_000;
      while (deadLetters.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0].flat()).toEqual(expect.arrayContaining(['Error: notification service down for evt-21']));
    } finally {
      await app.close();
      await log.close();
    }
  });
});
