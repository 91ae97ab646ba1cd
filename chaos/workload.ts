import { Zipf } from '../apps/social/src/simulator/zipf';
import { ApiClient, failureOf, Reply } from './http';
import { KeyedCommand, Ledger } from './ledger';
import { Rng, sleep } from './util';

type Action = 'like' | 'unlike' | 'comment' | 'deleteComment' | 'post' | 'deletePost';
/** The simulator's launch-day mix with its unlikes and deletes: counts go down as well as up. */
const MIX: Array<[Action, number]> = [['like', 0.52], ['unlike', 0.1], ['comment', 0.17], ['deleteComment', 0.05], ['post', 0.1], ['deletePost', 0.06]];
/** Attempts of a keyed command: a client retries a reset, a timeout or a 5xx with the same key. */
const ATTEMPTS = 4;

/**
 * The MySocialMedia workload of the simulator (apps/social/src/simulator): many users, Zipf-popular
 * posts (the simulator's Zipf), a fixed request rate with bounded concurrency.
 */
export class Workload {
  /** Accepted, not deleted posts, oldest first: the Zipf head is the launch-day posts. */
  private readonly pool: string[] = [];
  private zipf: Zipf | null = null;
  /** What the workload may delete or unlike: its own later posts, accepted comments and likes. */
  private readonly deletablePosts: string[] = [];
  private readonly deletableComments: string[] = [];
  private readonly unlikeable: string[] = [];
  private keys = 0;
  inFlight = 0;

  constructor(
    private readonly client: ApiClient,
    readonly ledger: Ledger,
    private readonly rng: Rng,
    private readonly o: { rate: number; concurrency: number; users: number; seedPosts: number; seed: number },
  ) {}

  private user(): string {
    return `user-${this.rng.int(this.o.users)}`;
  }

  /** A post chosen by popularity; the Zipf table is rebuilt as the pool changes by 10%. */
  private post(): string {
    const n = this.pool.length;
    if (!this.zipf || n > this.zipf.n * 1.1 + 5 || n < this.zipf.n) this.zipf = new Zipf(n, 1.1, () => this.rng.next());
    return this.pool[this.zipf.next()];
  }

  /** Removes and returns a random element (the workload never deletes or unlikes one thing twice). */
  private take(from: string[]): string | undefined {
    return from.length ? from.splice(this.rng.int(from.length), 1)[0] : undefined;
  }

  /** The launch-day posts, before any fault: the run cannot start without them. */
  async seed(): Promise<void> {
    for (let i = 0; i < this.o.seedPosts; i++) {
      for (let attempt = 1; ; attempt++) {
        if (await this.createPost(this.user(), `launch post ${i}`)) break;
        if (attempt >= 20) throw new Error('could not create the seed posts: is the API up?');
        await sleep(250);
      }
    }
  }

  /**
   * A command with an Idempotency-Key, retried with the same key after a reset, a timeout or a
   * 5xx (the first attempt may have been stored): every 2xx must name the same id.
   */
  private async keyed(kind: KeyedCommand['kind'], author: string, send: (key: string) => Promise<Reply>, idOf: (r: Reply) => string): Promise<string | null> {
    const key = `chaos-${this.o.seed}-${++this.keys}`;
    const k: KeyedCommand = { kind, key, author, attempts: 0, answers: [] };
    this.ledger.keyed.set(key, k);
    for (;;) {
      if (++k.attempts > 1) this.ledger.retries++;
      let outcome: string;
      try {
        const r = await send(key);
        if (r.status >= 200 && r.status < 300) {
          k.answers.push(idOf(r));
          this.ledger.count(`${kind} ${r.status}${k.attempts > 1 ? ' (retry)' : ''}`);
          this.ledger.accepted++;
          return idOf(r);
        }
        outcome = String(r.status);
        if (r.status < 500) return this.give(`${kind} ${outcome}`, 'rejected');
      } catch (error) {
        outcome = failureOf(error);
      }
      this.ledger.count(`${kind} ${outcome}${k.attempts < ATTEMPTS ? ' -> retry' : ''}`);
      if (k.attempts >= ATTEMPTS) return this.give(null, 'failed');
      await sleep(200 * k.attempts);
    }
  }

  private give(status: string | null, as: 'rejected' | 'failed'): null {
    if (status) this.ledger.count(status);
    this.ledger[as]++;
    return null;
  }

  /** POST /social/posts; records and returns the post id on 201 (also used by recovery probes). */
  async createPost(user: string, text: string, deletable = false): Promise<string | null> {
    const postId = await this.keyed('post', user, (key) => this.client.request('POST', '/social/posts', user, { text: `${text} [key=${key}]` }, key), (r) => r.body?.postId as string);
    if (postId) {
      this.ledger.posts.set(postId, user);
      this.pool.push(postId);
      if (deletable) this.deletablePosts.push(postId);
    }
    return postId;
  }

  private async comment(): Promise<void> {
    const postId = this.post();
    const user = this.user();
    const path = `/social/posts/${postId}/comments`;
    const commentId = await this.keyed('comment', user, (key) => this.client.request('POST', path, user, { text: `so good [key=${key}]` }, key), (r) => r.body?.commentId as string);
    if (!commentId) return;
    this.ledger.comments.set(commentId, { postId, author: user });
    this.deletableComments.push(commentId);
  }

  /** One attempt of an idempotent PUT/DELETE; `onAccepted` records what a 2xx promised. */
  private async once(kind: string, method: string, path: string, user: string, onAccepted: () => void): Promise<void> {
    try {
      const r = await this.client.request(method, path, user);
      this.ledger.count(`${kind} ${r.status}`);
      if (r.status >= 200 && r.status < 300) {
        this.ledger.accepted++;
        return onAccepted();
      }
      if (r.status < 500) this.ledger.rejected++;
      else this.ledger.failed++;
    } catch (error) {
      this.ledger.count(`${kind} ${failureOf(error)}`);
      this.ledger.failed++;
    }
  }

  private like(): Promise<void> {
    const postId = this.post();
    const user = this.user();
    return this.once('like', 'PUT', `/social/posts/${postId}/like`, user, () => {
      this.ledger.likes.add(`${postId}|${user}`);
      this.unlikeable.push(`${postId}|${user}`);
    });
  }

  private unlike(): Promise<void> {
    const like = this.take(this.unlikeable);
    if (!like) return this.like();
    const [postId, user] = like.split('|');
    return this.once('unlike', 'DELETE', `/social/posts/${postId}/like`, user, () => this.ledger.unlikes.add(like));
  }

  private deleteComment(): Promise<void> {
    const commentId = this.take(this.deletableComments);
    if (!commentId) return this.comment();
    const { postId, author } = this.ledger.comments.get(commentId)!;
    return this.once('delete-comment', 'DELETE', `/social/posts/${postId}/comments/${commentId}`, author, () => this.ledger.commentDeletes.add(commentId));
  }

  /** Deletes one of the workload's later posts (never a launch-day or probe post), out of the pool first. */
  private deletePost(): Promise<unknown> {
    const postId = this.take(this.deletablePosts);
    if (!postId) return this.createPost(this.user(), 'late joiner', true);
    const at = this.pool.indexOf(postId);
    if (at >= 0) this.pool.splice(at, 1);
    return this.once('delete-post', 'DELETE', `/social/posts/${postId}`, this.ledger.posts.get(postId)!, () => this.ledger.postDeletes.add(postId));
  }

  private one(): Promise<unknown> {
    let u = this.rng.next();
    for (const [action, p] of MIX) {
      if ((u -= p) >= 0) continue;
      if (action === 'like') return this.like();
      if (action === 'unlike') return this.unlike();
      if (action === 'comment') return this.comment();
      if (action === 'deleteComment') return this.deleteComment();
      if (action === 'deletePost') return this.deletePost();
      return this.createPost(this.user(), 'late joiner', true);
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
