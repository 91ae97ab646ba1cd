import { Zipf } from '../apps/social/src/simulator/zipf';
import { ApiClient } from './http';
import { Rng, sleep } from './util';

/**
 * Every command that got a 2xx, with what it accepted. This is the promise the system made to
 * its clients; verification checks each entry against the event store and the read models.
 */
export class Ledger {
  /** postId -> author */
  readonly posts = new Map<string, string>();
  /** `${postId}|${userId}`: a like accepted twice by one user counts once (likes are idempotent). */
  readonly likes = new Set<string>();
  /** commentId -> postId */
  readonly comments = new Map<string, string>();
  /** 2xx answers to commands (a repeated like counts here each time, in `likes` once). */
  accepted = 0;
  /** 4xx answers: the command was refused and changed nothing. Not expected in this workload. */
  rejected = 0;
  /** 5xx, refused connections, resets, timeouts: not accepted (they may or may not be stored). */
  failed = 0;
  readonly statuses = new Map<string, number>();

  count(what: string): void {
    this.statuses.set(what, (this.statuses.get(what) ?? 0) + 1);
  }
}

type Action = 'like' | 'comment' | 'post';
/** The simulator's launch-day mix without unlikes and deletes, so every accepted like must count. */
const MIX: Array<[Action, number]> = [['like', 0.7], ['comment', 0.2], ['post', 0.1]];

/**
 * The MySocialMedia workload of the simulator (apps/social/src/simulator): many users, Zipf-popular
 * posts (the simulator's Zipf), a fixed request rate with bounded concurrency.
 */
export class Workload {
  /** Accepted posts, oldest first: the Zipf head is the launch-day posts. */
  private readonly pool: string[] = [];
  private zipf: Zipf | null = null;
  inFlight = 0;

  constructor(
    private readonly client: ApiClient,
    readonly ledger: Ledger,
    private readonly rng: Rng,
    private readonly o: { rate: number; concurrency: number; users: number; seedPosts: number },
  ) {}

  private user(): string {
    return `user-${this.rng.int(this.o.users)}`;
  }

  /** A post chosen by popularity; the Zipf table is rebuilt as the pool grows by 10%. */
  private post(): string {
    if (!this.zipf || this.pool.length > this.zipf.n * 1.1 + 5) this.zipf = new Zipf(this.pool.length, 1.1, () => this.rng.next());
    return this.pool[this.zipf.next()];
  }

  /** The launch-day posts, before any fault: the run cannot start without them. */
  async seed(): Promise<void> {
    for (let i = 0; i < this.o.seedPosts; i++) {
      for (let attempt = 1; ; attempt++) {
        const id = await this.createPost(this.user(), `launch post ${i}`).catch(() => null);
        if (id) break;
        if (attempt >= 20) throw new Error('could not create the seed posts: is the API up?');
        await sleep(250);
      }
    }
  }

  /** POST /social/posts; records and returns the post id on 201 (also used by recovery probes). */
  async createPost(user: string, text: string): Promise<string | null> {
    try {
      const r = await this.client.request('POST', '/social/posts', user, { text });
      return this.settle('post', r.status, () => {
        const postId = r.body?.postId as string;
        this.ledger.posts.set(postId, user);
        this.pool.push(postId);
        return postId;
      });
    } catch (error) {
      this.failure('post', error);
      return null;
    }
  }

  private async like(): Promise<void> {
    const postId = this.post();
    const user = this.user();
    try {
      const r = await this.client.request('PUT', `/social/posts/${postId}/like`, user);
      this.settle('like', r.status, () => this.ledger.likes.add(`${postId}|${user}`));
    } catch (error) {
      this.failure('like', error);
    }
  }

  private async comment(): Promise<void> {
    const postId = this.post();
    try {
      const r = await this.client.request('POST', `/social/posts/${postId}/comments`, this.user(), { text: 'so good' });
      this.settle('comment', r.status, () => this.ledger.comments.set(r.body?.commentId as string, postId));
    } catch (error) {
      this.failure('comment', error);
    }
  }

  private settle<T>(kind: string, status: number, onAccepted: () => T): T | null {
    this.ledger.count(`${kind} ${status}`);
    if (status >= 200 && status < 300) {
      this.ledger.accepted++;
      return onAccepted();
    }
    if (status >= 400 && status < 500) this.ledger.rejected++;
    else this.ledger.failed++;
    return null;
  }

  private failure(kind: string, error: unknown): void {
    const e = error as { name?: string; cause?: { code?: string } };
    this.ledger.count(`${kind} ${e?.name === 'TimeoutError' ? 'timeout' : (e?.cause?.code ?? e?.name ?? 'error')}`);
    this.ledger.failed++;
  }

  private one(): Promise<unknown> {
    let u = this.rng.next();
    for (const [action, p] of MIX) {
      if ((u -= p) >= 0) continue;
      if (action === 'like') return this.like();
      if (action === 'comment') return this.comment();
      return this.createPost(this.user(), 'late joiner');
    }
    return this.like();
  }

  /** Sends at the configured rate until `signal` aborts, then waits for requests in flight. */
  async run(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let issued = 0;
    while (!signal.aborted) {
      const due = Math.floor(((Date.now() - started) / 1000) * this.o.rate);
      // Behind schedule with every slot busy (an API down, requests timing out): skip ahead
      // instead of bursting later, so the offered rate stays bounded.
      if (due - issued > this.o.rate) issued = due - this.o.rate;
      while (issued < due && this.inFlight < this.o.concurrency) {
        issued++;
        this.inFlight++;
        void this.one().finally(() => this.inFlight--);
      }
      await sleep(5);
    }
    while (this.inFlight > 0) await sleep(20);
  }
}
