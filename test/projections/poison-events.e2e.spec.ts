import { HEADER } from '@streamfold/core';
import type { LogMessage } from '@streamfold/messaging';
import { eventually } from '../e2e-env';
import { countsProjection } from './support/counts-projection';
import { FakeRelay } from './support/fake-relay';
import { applications, countsOf, Harness, measured, openHarness, quietLogger } from './support/harness';
import { DEAD_LETTER_HEADER, DEAD_LETTER_TOPIC, DeadLetterRefused, DeadLetters, ProjectionRunner } from './support/lib';

// Invariant 7 (docs/architecture.md): bounded retries with backoff, then the dead-letter topic and table; the
// partition moves on; a replay after the fix applies the event exactly once.
describe('poison events', () => {
  let h: Harness;
  beforeAll(async () => (h = await openHarness('poison')));
  afterAll(async () => h.close());

  it('dead-letters a poison event after its retries, keeps the partition going, and replays it exactly once', async () => {
    await h.log.ensureTopics([{ name: 'poison_in', partitions: 3 }]);
    const relay = new FakeRelay(h.log, 'poison_in');
    let bugFixed = false;
    const calls = new Map<string, number>();
    const definition = countsProjection({
      topics: ['poison_in'],
      calls,
      failWhen: (d) => !bugFixed && (d.envelope.data as { poison?: boolean }).poison === true,
    });
    const retry = { batchAttempts: 3, maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 200 };
    const runner = new ProjectionRunner(h.db, h.log, definition, { retry, logger: quietLogger });
    await runner.start();

    // One stream, so one partition: 10 good events, the poison one, garbage, 10 more good events.
    await relay.publish(Array.from({ length: 10 }, () => ({ key: 'k1' })));
    const [poison] = await relay.publish([{ key: 'k1', data: { poison: true } }]);
    await relay.publishGarbage('k1');
    await relay.publish(Array.from({ length: 10 }, () => ({ key: 'k1' })));
    await relay.publish(Array.from({ length: 15 }, (_, i) => ({ key: `other-${i % 5}` })));
    const started = Date.now();
    await runner.waitUntilCaughtUp(30000);
    const settledMs = Date.now() - started;

    // Later events of the same partition were applied; the poison one was not.
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts((e) => e.eventId !== poison.eventId));
    const pending = await new DeadLetters(h.db, [definition]).list({ status: 'pending' });
    expect(pending.map((d) => [d.type, d.attempts, d.key])).toEqual([
      ['test.Counted', 5, 'k1'],
      ['test.Counted', 1, 'k1'], // garbage: dead-lettered at once
    ]);
    const [poisonLetter, garbageLetter] = pending;
    expect(poisonLetter.consumer).toBe('test.counts@v1');
    expect(poisonLetter.error).toMatch(/cannot count event/);
    expect(garbageLetter.error).toMatch(/MalformedMessage/);
    expect(poisonLetter.offset).toBeLessThan(garbageLetter.offset);
    // 3 batch attempts, then 2 alone (5 in all), never more.
    expect(calls.get(poison.eventId)).toBe(5);

    // The same two, with the error, on the dead_letters topic.
    const dlq: LogMessage[] = [];
    const reader = await h.log.consume({ groupId: 'dlq-reader', topics: [DEAD_LETTER_TOPIC.name], eachBatch: async (b) => void dlq.push(...b.messages) });
    await eventually(async () => (new Set(dlq.map((m) => m.headers[DEAD_LETTER_HEADER.source])).size >= 2 ? true : undefined), 30000, 'dead letters on the topic');
    await reader.stop();
    const poisonOnTopic = dlq.find((m) => m.headers[HEADER.eventId] === poison.eventId)!;
    expect(poisonOnTopic.headers).toMatchObject({
      [DEAD_LETTER_HEADER.attempts]: '5',
      [DEAD_LETTER_HEADER.consumer]: 'test.counts@v1',
      [DEAD_LETTER_HEADER.source]: `poison_in/${poisonLetter.partition}/${poisonLetter.offset}`,
      [HEADER.sequence]: `${poison.sequence.txId}:${poison.sequence.position}`,
    });
    expect(poisonOnTopic.headers[DEAD_LETTER_HEADER.error]).toMatch(/cannot count event/);
    expect(JSON.parse(poisonOnTopic.value.toString()).eventId).toBe(poison.eventId);

    // The fix ships; two operators replay at once: one applies it, the other is refused.
    bugFixed = true;
    const deadLetters = new DeadLetters(h.db, [definition]);
    const results = await Promise.allSettled([deadLetters.replay(poisonLetter.id), deadLetters.replay(poisonLetter.id)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
    expect(refusal).toBeInstanceOf(DeadLetterRefused);
    expect(refusal.message).toMatch(/already replayed/);
    await expect(deadLetters.replay(poisonLetter.id)).rejects.toThrow(/already replayed/);
    expect(await countsOf(h.db, 'counts')).toEqual(relay.expectedCounts());
    const applied = await applications(h.db, 'applied');
    expect(applied).toEqual({ rows: relay.countedEvents(), distinct: relay.countedEvents(), twice: [] });

    // Garbage cannot be replayed, only discarded.
    await expect(deadLetters.replay(garbageLetter.id)).rejects.toThrow(/not a valid event.*discard/);
    expect((await deadLetters.discard(garbageLetter.id)).status).toBe('discarded');
    await expect(deadLetters.discard(garbageLetter.id)).rejects.toThrow(/discarded, not pending/);
    expect(await deadLetters.list({ status: 'pending' })).toEqual([]);

    await runner.stop();
    measured('poison', { settledMs, applyCallsOnPoison: calls.get(poison.eventId), dlqTopicMessages: dlq.length, deadLetters: pending.length });
  });
});
