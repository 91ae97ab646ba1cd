import { admit, type Checkpoint, type Delivery } from '@streamfold/projections';

/**
 * The checkpoints a SimulatedRunner keeps per (topic, partition), in memory. What counts as a
 * duplicate is not decided here: every delivery goes through the runner's own rule, `admit` from
 * its PartitionProcessor, so the test kit and the runner cannot drift apart. Unlike the runner,
 * nothing is stored in sf_checkpoints: tests of in-memory processors have no database.
 */
export class Checkpoints {
  private readonly committed = new Map<string, Checkpoint>();

  /** Splits a batch into the deliveries to apply and the checkpoints to store if it commits. */
  filter(batch: readonly Delivery[]): { fresh: Delivery[]; pending: Map<string, Checkpoint> } {
    const pending = new Map<string, Checkpoint>();
    const fresh: Delivery[] = [];
    for (const d of batch) {
      const slot = `${d.topic}/${d.partition}`;
      const admitted = admit(pending.get(slot) ?? this.committed.get(slot) ?? { nextOffset: 0, sequence: null }, d.offset, d.sequence);
      pending.set(slot, admitted.checkpoint);
      if (!admitted.duplicate) fresh.push(d);
    }
    return { fresh, pending };
  }

  commit(pending: Map<string, Checkpoint>): void {
    for (const [slot, cp] of pending) this.committed.set(slot, cp);
  }

  get(topic: string, partition: number): Checkpoint | undefined {
    return this.committed.get(`${topic}/${partition}`);
  }
}
