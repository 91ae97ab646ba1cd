import type { BatchContext, LogBatch } from '@streamfold/messaging';
import type { BatchOutcome } from './partition-processor';

/**
 * How long partition batches gather into one transaction. kafkajs hands every partition of a
 * fetch to eachBatch at nearly the same moment; on a hot topic that is 15–20 partitions of 1–2
 * events each, and one transaction per partition made transactions/s grow with the partitions.
 */
export interface FetchWindow {
  /**
   * Longest wait after the first batch of a group, ms. 0 gathers what is handed over in the same
   * turn of the event loop and commits right after it (setImmediate): kafkajs hands every
   * partition batch of one fetch over in one turn, so a fetch is one transaction with no wait
   * added (a fixed 2 ms window cost every event 2 ms). @default 0
   */
  windowMs: number;
  /** A group this large commits at once. @default 2000 */
  maxEvents: number;
}

/** One partition batch waiting for its group's transaction. */
export interface Gathered {
  batch: LogBatch;
  context: BatchContext;
}

interface Waiting extends Gathered {
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

/**
 * Gathers the partition batches that arrive within a few milliseconds (a fetch) and hands them to
 * `commit` together; each eachBatch call resolves with its own outcome once that group is settled,
 * so Kafka offsets still move per partition and a failure fails only the batches it concerns.
 */
export class FetchBatcher {
  private pending: Waiting[] = [];
  private events = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly commit: (group: Gathered[]) => Promise<Array<PromiseSettledResult<BatchOutcome>>>,
    private readonly window: FetchWindow,
  ) {}

  submit(batch: LogBatch, context: BatchContext): Promise<BatchOutcome> {
    return new Promise<BatchOutcome>((resolve, reject) => {
      // A partition's next batch never shares a transaction with its previous one.
      if (this.pending.some((w) => w.batch.topic === batch.topic && w.batch.partition === batch.partition)) this.flush();
      this.pending.push({ batch, context, resolve, reject });
      this.events += batch.messages.length;
      if (this.events >= this.window.maxEvents) this.flush();
      else if (this.window.windowMs > 0) this.timer ??= setTimeout(() => this.flush(), this.window.windowMs);
      else this.immediate ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    const group = this.pending;
    this.pending = [];
    this.events = 0;
    if (group.length === 0) return;
    this.commit(group).then(
      (results) => results.forEach((r, i) => (r.status === 'fulfilled' ? group[i].resolve(r.value) : group[i].reject(r.reason))),
      (error) => group.forEach((w) => w.reject(error)),
    );
  }
}
