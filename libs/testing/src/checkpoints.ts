import { compareSequence, LogSequence } from '@streamfold/core';
import type { Delivery } from '../../projections/src/projection';

/** What the runner keeps per (consumer, topic, partition) in sf_checkpoints. */
export interface PartitionCheckpoint {
  /** Kafka offset to read next. */
  nextOffset: number;
  /** Highest relay sequence applied; null until an event-sourced event was applied. */
  lastSequence: LogSequence | null;
}

/**
 * The projection runner's duplicate rule, mirrored for tests (the runner's own copy is the
 * reference; keep the two in step). Per partition, a delivery is a duplicate when
 *   - its offset is below the next offset (Kafka redelivers after a restart or rebalance), or
 *   - it carries a relay sequence not above the highest applied (the relay re-sent it after a
 *     crash: same event, new offset).
 * Both advance with every delivery that is not a duplicate, including types the projection
 * does not handle, and only when the batch commits.
 */
export class Checkpoints {
  private readonly committed = new Map<string, PartitionCheckpoint>();

  /** Splits a batch into the deliveries to apply and the checkpoints to store if it commits. */
  filter(batch: readonly Delivery[]): { fresh: Delivery[]; pending: Map<string, PartitionCheckpoint> } {
    const pending = new Map<string, PartitionCheckpoint>();
    const fresh: Delivery[] = [];
    for (const d of batch) {
      const slot = `${d.topic}/${d.partition}`;
      const cp = pending.get(slot) ?? this.committed.get(slot) ?? { nextOffset: 0, lastSequence: null };
      const seen = d.offset < cp.nextOffset || (d.sequence !== null && cp.lastSequence !== null && compareSequence(d.sequence, cp.lastSequence) <= 0);
      if (seen) continue;
      fresh.push(d);
      pending.set(slot, { nextOffset: d.offset + 1, lastSequence: d.sequence ?? cp.lastSequence });
    }
    return { fresh, pending };
  }

  commit(pending: Map<string, PartitionCheckpoint>): void {
    for (const [slot, cp] of pending) this.committed.set(slot, cp);
  }

  get(topic: string, partition: number): PartitionCheckpoint | undefined {
    return this.committed.get(`${topic}/${partition}`);
  }
}
