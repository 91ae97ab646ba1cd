import { randomUUID } from 'node:crypto';
import { HEADER, LogSequence, parseSequence } from '@streamfold/core';
import type { MessageLog } from '@streamfold/messaging';

/**
 * The relay sequence of the oldest message each partition still holds (null for a partition that
 * holds nothing, or whose oldest message carries none). The port has no seek, so a throwaway
 * consumer group reads from the beginning and stops after the first message of every partition.
 */
export async function firstSequences(log: MessageLog, topic: string, timeoutMs = 30_000): Promise<Map<number, LogSequence | null>> {
  const ends = await log.offsets(topic);
  const result = new Map<number, LogSequence | null>(ends.map((e) => [e.partition, null]));
  const waiting = new Set(ends.filter((e) => e.high > e.low).map((e) => e.partition));
  if (waiting.size === 0) return result;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handle = await log.consume({
    groupId: `sink.backfill-probe.${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    maxBatchSize: 1,
    eachBatch: async (batch) => {
      if (!waiting.has(batch.partition) || batch.messages.length === 0) return;
      result.set(batch.partition, parseSequence(batch.messages[0].headers[HEADER.sequence]));
      waiting.delete(batch.partition);
      if (waiting.size === 0) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
  if (waiting.size > 0) throw new Error(`backfill: could not read the first message of ${topic} partitions ${[...waiting].join(', ')} within ${timeoutMs} ms`);
  return result;
}
