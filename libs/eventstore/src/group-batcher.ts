/**
 * Gathers concurrent calls into groups that run as one round trip ("smart batching"): a call made
 * while fewer than `maxInFlight` groups run starts a group at the end of this event-loop turn,
 * with every call of the same turn; calls made while the limit is reached gather and go together
 * when a group finishes. Alone, a call waits for nothing but its turn; under load, groups grow
 * with the load and round trips per call fall, without a timer.
 */
export interface GroupBatcherOptions<I> {
  /** Groups running at once. @default 2 */
  maxInFlight?: number;
  /** Calls per group at most. @default 256 */
  maxGroup?: number;
  /** Key of a call that must not share a group with, or run beside, another call of the same key (it waits for a later group). @default none */
  exclusiveKey?: (item: I) => string;
}

/** What a group's run returns per call, in the calls' order: a value or the error of that call alone. */
export type GroupResult<O> = { value: O } | { error: unknown };

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class GroupBatcher<I, O> {
  private waiting: Array<Waiter<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** Exclusive keys of the groups running now. */
  private readonly running = new Set<string>();
  private readonly maxInFlight: number;
  private readonly maxGroup: number;

  /** `run` answers every call of a group; when it throws, every call of the group fails with that error. */
  constructor(private readonly run: (items: I[]) => Promise<Array<GroupResult<O>>>, private readonly options: GroupBatcherOptions<I> = {}) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxGroup = options.maxGroup ?? 256;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${this.maxInFlight}`);
    if (!Number.isInteger(this.maxGroup) || this.maxGroup < 1) throw new RangeError(`maxGroup must be a positive integer, got ${this.maxGroup}`);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
        const group = this.take();
        if (group.length === 0) break; // every waiting call's key is running: the next settle schedules again
        this.start(group);
      }
    });
  }

  /** The next group: the oldest calls, at most maxGroup, one per exclusive key and none whose key runs (later ones keep their place). */
  private take(): Array<Waiter<I, O>> {
    const key = this.options.exclusiveKey;
    if (!key) return this.waiting.splice(0, this.maxGroup);
    const group: Array<Waiter<I, O>> = [];
    const rest: Array<Waiter<I, O>> = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const k = key(w.item);
      if (group.length >= this.maxGroup || keys.has(k) || this.running.has(k)) rest.push(w);
      else {
        keys.add(k);
        group.push(w);
      }
    }
    this.waiting = rest;
    return group;
  }

  private start(group: Array<Waiter<I, O>>): void {
    this.inFlight++;
    const key = this.options.exclusiveKey;
    const keys = key ? group.map((w) => key(w.item)) : [];
    for (const k of keys) this.running.add(k);
    const settle = (results: Array<GroupResult<O>> | null, error?: unknown) => {
      this.inFlight--;
      for (const k of keys) this.running.delete(k);
      group.forEach((w, i) => {
        const r = results?.[i];
        if (!r) w.reject(error ?? new Error('group batch returned no result for a call'));
        else if ('value' in r) w.resolve(r.value);
        else w.reject(r.error);
      });
      this.schedule();
    };
    let running: Promise<Array<GroupResult<O>>>;
    try {
      running = this.run(group.map((w) => w.item));
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then((results) => settle(results), (error) => settle(null, error));
  }
}
