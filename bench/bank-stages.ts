import { Consumer, Kafka, logLevel } from 'kafkajs';
import { KAFKA_BROKERS } from '../test/e2e-env';

/** When each stage of one transaction's path happened (epoch ms); absent when it was not seen. */
export interface StageTimes {
  sent?: number;
  /** Debezium `source.ts_ms`: the core transaction's commit time. */
  committed?: number;
  /** The raw change event's Kafka timestamp: when Kafka Connect's producer created the record. */
  connectRecord?: number;
  /** Arrivals at the bench's own consumer: when a message on that topic became readable. */
  rawSeen?: number;
  transactionRecordedStored?: number;
  transactionRecordedSeen?: number;
  alertStored?: number;
  alertSeen?: number;
  inReadModel?: number;
  sse?: number;
}

/**
 * A consumer of the bank's three topics (raw CDC, bank_transactions, user_alerts) that notes when
 * each transaction's message arrived. Its own fetch wait is 10 ms, so an arrival is within about
 * that of the message becoming readable (on a loaded machine, plus scheduling delay).
 */
export async function observeBankTopics(prefix: string, times: Map<string, StageTimes>): Promise<{ stop(): Promise<void> }> {
  const kafka = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'bank-bench-stages', logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `${prefix}bank-bench-stages`, maxWaitTimeInMs: 10 });
  const raw = `${prefix}corebank.public.transactions`;
  const txs = `${prefix}bank_transactions`;
  const alerts = `${prefix}user_alerts`;
  await consumer.connect();
  await consumer.subscribe({ topics: [raw, txs, alerts], fromBeginning: true });
  const entry = (id: string) => times.get(id) ?? (times.set(id, {}), times.get(id)!);
  await consumer.run({
    partitionsConsumedConcurrently: 8,
    eachMessage: async ({ topic, message }) => {
      const now = Date.now();
      if (!message.value) return;
      const value = JSON.parse(message.value.toString('utf8'));
      if (topic === raw) {
        const id = value?.after?.id;
        if (id === undefined || value.op !== 'c') return;
        const e = entry(String(id));
        e.rawSeen ??= now;
        e.connectRecord ??= Number(message.timestamp);
        e.committed ??= Number(value.source?.ts_ms);
      } else if (topic === txs && value.type === 'bank.TransactionRecorded') {
        entry(value.data.transactionId).transactionRecordedSeen ??= now;
      } else if (topic === alerts && value.type === 'bank.LargeTransactionDetected') {
        entry(value.data.transactionId).alertSeen ??= now;
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}

const STAGES: Array<[string, keyof StageTimes, keyof StageTimes]> = [
  ['INSERT sent → committed in the core DB (source.ts_ms)', 'sent', 'committed'],
  ['committed → Connect record created (Debezium poll + WAL decode)', 'committed', 'connectRecord'],
  ['Connect record → readable on the raw topic (Connect producer)', 'connectRecord', 'rawSeen'],
  ['raw topic → TransactionRecorded stored (CDC processor fetch + batch transaction start)', 'rawSeen', 'transactionRecordedStored'],
  ['stored → on bank_transactions (batch commit + relay)', 'transactionRecordedStored', 'transactionRecordedSeen'],
  ['bank_transactions → LargeTransactionDetected stored (alert processor fetch + transaction start)', 'transactionRecordedSeen', 'alertStored'],
  ['stored → on user_alerts (batch commit + relay)', 'alertStored', 'alertSeen'],
  ['user_alerts → in the alerts read model (projection)', 'alertSeen', 'inReadModel'],
  ['read model → SSE received (NOTIFY, row read, SSE write)', 'inReadModel', 'sse'],
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** One line per stage: median and p99 over the alerts where both ends were seen, and the share of the total median. */
export function stageBreakdown(times: Iterable<StageTimes>): string[] {
  const all = [...times].filter((t) => t.sent !== undefined && t.sse !== undefined);
  const totals = all.map((t) => t.sse! - t.sent!).sort((a, b) => a - b);
  const total = pct(totals, 50);
  const lines = STAGES.map(([label, from, to]) => {
    const d = all.filter((t) => t[from] !== undefined && t[to] !== undefined).map((t) => t[to]! - t[from]!).sort((a, b) => a - b);
    const p50 = pct(d, 50);
    return `  ${label.padEnd(96)} p50 ${String(Math.round(p50)).padStart(6)} ms  p99 ${String(Math.round(pct(d, 99))).padStart(6)} ms  (${d.length} alerts, ${Number.isFinite(p50) && total > 0 ? Math.round((p50 / total) * 100) : '?'} % of the median total)`;
  });
  return [`bank: stage breakdown over ${all.length} alerts (median total ${Math.round(total)} ms; stage medians need not add up exactly):`, ...lines];
}
