import type { LogSequence } from '@streamfold/core';
import type { Delivery } from '@streamfold/projections';
// The runner's own comparison, from its file: the package index would load the NestJS module.
import { isAbove } from '@streamfold/projections';

/** What the runner keeps per (consumer, topic, partition) in sf_checkpoints. */
export interface PartitionCheckpoint {
  /** Kafka offset to read next. */
  nextOffset: number;
  /** Highest relay sequence applied; null until an event-sourced event was applied. */
  lastSequence: LogSequence | null;
}

/**
 * The projection runner's duplicate rule, mirrored for tests (the reference is the runner's
 * PartitionProcessor with lockCheckpoint / isAbove in runner/checkpoints.ts; keep the two in
 * step). It is copied rather than called because the runner's copy is fused with its transaction,
 * dead-lettering and sf_checkpoints. Per partition, a delivery is a duplicate when
 *   - its offset is below the next offset (Kafka redelivers after a restart or rebalance), or
 *   - it carries a relay sequence not above the highest applied (the relay re-sent it after a
 *     crash: same event, new offset).
 * The next offset advances past every delivery at or above it (re-sends included), the sequence
 * with every event applied, including types the projection does not handle; both only when the
 * batch commits.
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
      if (d.offset < cp.nextOffset) continue;
      // A relay re-send is still a new offset: the offset advances past it, the sequence does not.
      const resent = d.sequence !== null && !isAbove(d.sequence, cp.lastSequence);
      pending.set(slot, { nextOffset: d.offset + 1, lastSequence: resent ? cp.lastSequence : (d.sequence ?? cp.lastSequence) });
      if (!resent) fresh.push(d);
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
