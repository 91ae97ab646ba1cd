import http from 'node:http';
import { percentile, request, sleep } from './http';
import { say } from './child';

export interface LatencyRun {
  targetRate: number;
  achievedRate: number;
  sent: number;
  errors: number;
  visible: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** p50 / p99 of the PUT alone (command accepted: appended to the store), ms. */
  ackP50: number;
  ackP99: number;
  /** Likes slower than 50 ms, and how they cluster by send time (see `slowBursts`). */
  slow: SlowBursts;
  sustainable: boolean;
}

/**
 * Likes over 50 ms grouped into bursts: slow likes sent within 100 ms of each other belong to one
 * burst. Few large bursts mean stalls that held every like in flight (a collection, a disk sync, a
 * busy CPU); many bursts of one mean a uniformly slow path.
 */
export interface SlowBursts {
  count: number;
  bursts: number;
  /** Likes in the largest burst and the slowest like of it, ms. */
  largest: number;
  largestMax: number;
  /** When each burst of 5 likes or more began, ms after the phase's first like was sent: a period says what stalls. */
  starts: number[];
}

export function slowBursts(samples: Array<{ sentAt: number; latency: number }>, over = 50, gapMs = 100): SlowBursts {
  const slow = samples.filter((s) => s.latency > over).sort((a, b) => a.sentAt - b.sentAt);
  const first = samples.reduce((min, s) => Math.min(min, s.sentAt), Infinity);
  const starts: number[] = [];
  let bursts = 0;
  let largest = 0;
  let largestMax = 0;
  for (let i = 0; i < slow.length; ) {
    let j = i + 1;
    let max = slow[i].latency;
    while (j < slow.length && slow[j].sentAt - slow[j - 1].sentAt <= gapMs) max = Math.max(max, slow[j++].latency);
    bursts++;
    if (j - i >= 5) starts.push(slow[i].sentAt - first);
    if (j - i > largest) {
      largest = j - i;
      largestMax = max;
    }
    i = j;
  }
  return { count: slow.length, bursts, largest, largestMax, starts };
}

export function formatSlow(s: SlowBursts): string {
  if (s.count === 0) return 'no like over 50 ms';
  const starts = s.starts.length === 0 ? '' : `; bursts of 5 or more began at ${s.starts.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`;
  return `${s.count} likes over 50 ms in ${s.bursts} burst(s), the largest ${s.largest} likes up to ${s.largestMax} ms${starts}`;
}

interface Pending {
  sentAt: number;
}

/** A post's like count as a client sees it, and when it saw it. */
export type CountListener = (post: string, likes: number, at: number) => void;

/**
 * The live counts of some posts over server-sent events (`GET /social/posts/:id/live`), one stream
 * per post, as a browser showing them would hold: each `counts` event is the moment those likes
 * became visible to the client. Listeners are called for every event.
 */
export class LiveCounts {
  private readonly streams: http.ClientRequest[] = [];
  private readonly listeners = new Set<CountListener>();
  readonly latest = new Map<string, number>();

  private constructor() {}

  /** Opens the streams and resolves once each has sent its current counts. */
  static async open(url: string, posts: string[]): Promise<LiveCounts> {
    const live = new LiveCounts();
    await Promise.all(posts.map((post) => live.follow(`${url}/social/posts/${post}/live`, post)));
    return live;
  }

  on(listener: CountListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const s of this.streams) s.destroy();
  }

  private follow(url: string, post: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = Date.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.split('\n').find((l) => l.startsWith('data:'));
            if (!/^event: ?counts$/m.test(frame) || !data) continue;
            const likes = Number(JSON.parse(data.slice(5)).likes);
            const first = !this.latest.has(post);
            this.latest.set(post, likes);
            if (first) resolve();
            for (const l of this.listeners) l(post, likes, at);
          }
        });
      });
      req.on('error', reject);
      this.streams.push(req);
    });
  }
}

/**
 * Open-loop load: PUT like commands at `rate` per second for `seconds` (each a new (post, user)
 * pair, so each one adds a like). A like is visible when the client sees its post's count reach
 * it on the posts' server-sent events (`live`: projection commit → NOTIFY → push). When a post
 * shows k more likes, the k oldest sent likes of that post count as visible at that moment (FIFO
 * per post). Latency = visible − sent, i.e. command + append + relay + Kafka + projection + push,
 * as a client sees it.
 */
export async function likeLoad(opts: { url: string; posts: string[]; tokens: string[]; rate: number; seconds: number; userOffset: number; live: LiveCounts; maxInFlight?: number; drainMs?: number }): Promise<LatencyRun> {
  const { url, posts, tokens, rate, seconds, live } = opts;
  const maxInFlight = opts.maxInFlight ?? 512;
  const pending = new Map<string, Pending[]>(posts.map((p) => [p, []]));
  const seen = new Map<string, number>();
  for (const p of posts) seen.set(p, Number(JSON.parse((await request(`${url}/social/posts/${p}`, 'GET')).body).likes));
  const samples: Array<{ sentAt: number; latency: number }> = [];
  const acks: number[] = [];
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let outstanding = 0;
  let sending = true;
  const started = Date.now();
  const observe = (p: string, likes: number, now: number) => {
    const queue = pending.get(p);
    if (!queue) return;
    let fresh = likes - seen.get(p)!;
    if (fresh > 0) seen.set(p, likes);
    while (fresh-- > 0 && queue.length > 0) {
      const { sentAt } = queue.shift()!;
      samples.push({ sentAt, latency: now - sentAt });
      outstanding--;
    }
  };
  const drained = () => !sending && Date.now() - started > seconds * 1000 + (opts.drainMs ?? 30000);
  const watching = async () => {
    const stop = live.on(observe);
    // Counts that moved between reading `seen` and listening are caught up at once.
    for (const [p, likes] of live.latest) observe(p, likes, Date.now());
    while ((sending || outstanding > 0) && !drained()) await sleep(5);
    stop();
  };
  const watched = watching();
  let progressAt = Date.now();
  const total = Math.round(rate * seconds);
  // The window is fixed: when the server cannot keep up, in-flight requests hit maxInFlight and the
  // achieved rate falls below the target instead of the run stretching out.
  while (sent < total && Date.now() - started < seconds * 1000) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000));
    while (sent < due && inFlight < maxInFlight) {
      const i = sent++;
      const post = posts[i % posts.length];
      const user = opts.userOffset + Math.floor(i / posts.length);
      const token = tokens[user % tokens.length];
      inFlight++;
      const sentAt = Date.now();
      const entry = { sentAt };
      pending.get(post)!.push(entry);
      outstanding++;
      request(`${url}/social/posts/${post}/like`, 'PUT', { authorization: `Bearer ${token}` })
        .then((r) => {
          if (r.status !== 204) throw new Error(`status ${r.status}: ${r.body.slice(0, 200)}`);
          acks.push(Date.now() - sentAt);
        })
        .catch((error) => {
          errors++;
          if (errors <= 3) say(`    like failed: ${(error as Error).message}`);
          const queue = pending.get(post)!;
          const at = queue.indexOf(entry);
          if (at >= 0) {
            queue.splice(at, 1);
            outstanding--;
          }
        })
        .finally(() => inFlight--);
    }
    if (Date.now() - progressAt >= 3000) {
      progressAt = Date.now();
      say(`    ${rate}/s: sent ${sent}/${total}, in flight ${inFlight}, visible ${samples.length}`);
    }
    await sleep(2);
  }
  const sendSeconds = (Date.now() - started) / 1000;
  sending = false;
  while (inFlight > 0) await sleep(5);
  await watched;
  const latencies = samples.map((s) => s.latency).sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  const achievedRate = sent / sendSeconds;
  const p99 = percentile(latencies, 99);
  const run: LatencyRun = {
    targetRate: rate, achievedRate, sent, errors, visible: latencies.length,
    p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99, max: latencies[latencies.length - 1] ?? NaN,
    ackP50: percentile(acks, 50), ackP99: percentile(acks, 99), slow: slowBursts(samples),
    sustainable: achievedRate >= 0.95 * rate && errors <= sent * 0.01 && latencies.length >= 0.99 * (sent - errors) && p99 <= 1000,
  };
  return run;
}
