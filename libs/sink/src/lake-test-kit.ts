import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEnvelope, toWire } from '@streamfold/core';
import type { MessageLog, OutgoingMessage } from '@streamfold/messaging';
import { LakeSink } from './lake-sink';
import { queryLake } from './lake-query';

/**
 * Envelopes and wire messages for the sink's tests, e2e kill test and bench (not exported from the
 * package index: the lake itself never builds envelopes).
 */
export function testEnvelope(type: string, data: unknown, occurredAt: Date, streamId = `s-${randomUUID()}`): EventEnvelope {
  return {
    eventId: randomUUID(), type, schemaVersion: 1, streamId, streamPosition: 1, globalPosition: null,
    occurredAt: occurredAt.toISOString(), recordedAt: occurredAt.toISOString(), correlationId: null, causationId: null, actor: 'test', data,
  };
}

/** As the relay sends it: keyed by stream, with its sequence in the sf-seq header. */
export function relayMessage(envelope: EventEnvelope, seq: number | null): OutgoingMessage {
  const wire = toWire(envelope, envelope.streamId, seq === null ? null : { txId: String(seq), position: String(seq) });
  return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
}

/**
 * A write fails until the lake folder is fixed: N messages are produced, every write fails (a
 * file stands where the topic's folder belongs) until the sink has replaced its consumer, then
 * writes work again. Returns the lake's row and distinct event-id counts: both must be N. On
 * Kafka the consumer has fetched past the failed batches, so only the replaced consumer (resuming
 * from the group's commit) brings them back; on the embedded log the partition waits for them.
 */
export async function writeFailureScenario(log: MessageLog, n: number): Promise<{ rows: number; ids: number; replaced: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'lake-'));
  const warnings: string[] = [];
  try {
    await log.ensureTopics([{ name: 'likes', partitions: 2 }]);
    writeFileSync(join(dir, 'topic=likes'), 'not a folder');
    const t0 = Date.UTC(2026, 11, 1, 10, 30);
    await log.send('likes', Array.from({ length: n }, (_, i) => relayMessage(testEnvelope('post.liked', { i }, new Date(t0 + i), `post-${i % 5}`), i + 1)));
    const sink = await LakeSink.start({ log, topics: ['likes'], dir, groupId: `sink.failure.${randomUUID()}`, flushRows: 8, flushMs: 20, logger: { log: () => undefined, warn: (m) => warnings.push(m) } });
    try {
      const replaced = () => warnings.some((w) => /replacing the consumer/.test(w));
      for (const deadline = Date.now() + 30_000; !replaced() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      if (!replaced() || sink.stats().rows !== 0) return { rows: sink.stats().rows, ids: 0, replaced: replaced() };
      rmSync(join(dir, 'topic=likes'));
      for (const deadline = Date.now() + 60_000; sink.stats().rows < n && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await sink.stop();
    }
    const { rows } = await queryLake('SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM likes', { dir });
    return { rows: rows[0].n as number, ids: rows[0].ids as number, replaced: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
