import { randomUUID } from 'node:crypto';
import { toWire } from '@streamfold/core';
import { KafkaMessageLog, OutgoingMessage } from '@streamfold/messaging';
import { runChild, say } from '../lib/child';
import { row } from '../lib/scenarios';
import type { Context } from './context';

const TOPIC = 'lake_in';
const PARTITIONS = 8;

interface Rate {
  eventsPerSecond: number;
  eventsPerSecondFromStart: number;
  cpuSeconds: number;
  peakRssMb: number;
  files?: number;
  parquetBytes?: number;
}

/**
 * sink: events/s from a topic into Parquet files (LakeSink: parse, stage, DuckDB COPY, rename)
 * against a bare kafkajs consumer that only counts the same topic's messages, in one run.
 */
export async function runSink(ctx: Context): Promise<void> {
  const n = ctx.plan.sinkEvents;
  const log = new KafkaMessageLog({ brokers: ctx.brokers, clientId: 'bench-sink-setup', prefix: ctx.prefix });
  await log.ensureTopics([{ name: TOPIC, partitions: PARTITIONS }]);
  const started = Date.now();
  for (let sent = 0; sent < n; ) {
    const messages: OutgoingMessage[] = [];
    for (let i = 0; i < 2000 && sent < n; i++, sent++) messages.push(likeMessage(sent, n));
    await log.send(TOPIC, messages);
  }
  await log.close();
  say(`  produced ${n.toLocaleString('en-US')} PostLiked envelopes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const env = { KAFKA_BROKERS: ctx.brokers.join(','), PREFIX: ctx.prefix, TOPIC, N: String(n) };
  const peer = await runChild<Rate>('ts', ['bench/ours/sink-kafkajs.ts'], { label: 'bare kafkajs consumer', profile: ctx.profile, env });
  say(`  bare kafkajs consumer: ${Math.round(peer.eventsPerSecond)} events/s (${Math.round(peer.eventsPerSecondFromStart)} from connect)`);
  const ours = await runChild<Rate>('ts', ['bench/ours/sink-lake.ts'], { label: 'lake sink', profile: ctx.profile, env });
  say(`  LakeSink into Parquet: ${Math.round(ours.eventsPerSecond)} events/s (${Math.round(ours.eventsPerSecondFromStart)} from start), ${ours.files} files, ${Math.round((ours.parquetBytes ?? 0) / 1024)} KiB`);
  const r = row(ours.eventsPerSecond, peer.eventsPerSecond, 'events/s', `bare kafkajs consumer (counts only; ${PARTITIONS} partitions)`, true);
  ctx.rows.sink = r;
  ctx.details.sink = {
    target: '≥ 0.5× bare consumer', meetsTarget: (r.ratio ?? 0) >= 0.5, cpuSeconds: ours.cpuSeconds, peakRssMb: ours.peakRssMb,
    note: `${n.toLocaleString('en-US')} envelopes (~${Buffer.byteLength(likeMessage(0, n).value)} B) from a ${PARTITIONS}-partition topic into a fresh lake folder, timed from the first batch until the files hold all N rows (flushRows 20000, flushMs 1000); the peer only counts messages`,
    extra: { ours, peer },
  };
}

const T0 = Date.now() - 3 * 3600_000;

/**
 * Event times 50 ms apart, closer when n would pass the present: the broker refuses timestamps
 * more than an hour ahead of its clock (1,000,000 × 50 ms would reach 11 hours ahead).
 */
function likeMessage(i: number, n: number): OutgoingMessage & { value: string } {
  const postId = `post-${i % 5000}`;
  const at = new Date(T0 + i * Math.min(50, (3 * 3600_000) / n)).toISOString();
  const envelope = {
    eventId: randomUUID(), type: 'social.PostLiked', schemaVersion: 1, streamId: postId, streamPosition: i + 1, globalPosition: String(i + 1),
    occurredAt: at, recordedAt: at, correlationId: randomUUID(), causationId: null, actor: `user-${i % 997}`, data: { postId, userId: `user-${i % 997}` },
  };
  const wire = toWire(envelope, postId, { txId: String(i + 1), position: String(i + 1) });
  return { key: wire.key, value: wire.value, headers: wire.headers, timestamp: wire.timestamp };
}
