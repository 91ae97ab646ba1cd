import { randomUUID } from 'node:crypto';
import { EventEnvelope, toWire } from '@streamfold/core';
import { Kafka, logLevel } from 'kafkajs';
import { env, progress, result } from '../lib/self';

/**
 * Test data for fold and rebuild (not measured): N PostLiked envelopes on the likes topic, keyed by
 * postId and carrying sf-seq sequences as the relay would (one growing (txId, position) per event).
 */
async function main() {
  const brokers = env('KAFKA_BROKERS').split(',');
  const topic = env('TOPIC');
  const n = Number(env('N'));
  const posts = Array.from({ length: Number(env('POSTS', '10000')) }, () => randomUUID());
  const kafka = new Kafka({ brokers, clientId: 'bench-produce', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const batchSize = 5000;
  const started = Date.now();
  let sent = 0;
  let lastReport = started;
  // Event times (and so Kafka timestamps) end now: the broker deletes records older than its
  // retention (7 days) at its next retention check, and data stamped at a fixed date went, mid-run,
  // from under the rebuild that was reading it (seen 2026-12-02: the rebuild waited forever).
  const base = Date.now() - n;
  const batchAt = (from: number) => {
    const messages = [];
    for (let i = from; i < Math.min(from + batchSize, n); i++) {
      const postId = posts[i % posts.length];
      const at = new Date(base + i).toISOString();
      const envelope: EventEnvelope = {
        eventId: randomUUID(), type: 'social.PostLiked', schemaVersion: 1, streamId: `like-${postId}-u${i}`,
        streamPosition: 1, globalPosition: String(i + 1), occurredAt: at, recordedAt: at,
        correlationId: null, causationId: null, actor: `u${i}`, data: { postId, userId: `u${i}` },
      };
      const wire = toWire(envelope, postId, { txId: String(1000 + i), position: String(i + 1) });
      messages.push({ key: wire.key, value: wire.value, headers: wire.headers, timestamp: String(wire.timestamp) });
    }
    return messages;
  };
  const worker = async () => {
    for (let from = 0; from < n; from += batchSize) {
      // One sender, one batch at a time: every partition receives growing sequences, as from the
      // relay (the projection drops anything not above its checkpoint's sequence).
      await producer.send({ topic, acks: -1, messages: batchAt(from) });
      sent += Math.min(batchSize, n - from);
      if (Date.now() - lastReport > 3000) {
        lastReport = Date.now();
        progress(`progress produced ${sent}/${n}`);
      }
    }
  };
  await worker();
  await producer.disconnect();
  result({ produced: sent, seconds: (Date.now() - started) / 1000, valueBytes: batchAt(0)[0].value.length });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
