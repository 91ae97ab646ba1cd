import { signToken } from '@streamfold/auth';
import { bearer, createStreamfoldClient } from '@streamfold/client';
import { ValidationFailed } from '@streamfold/core';
import type { SimulationProgress, SimulatorDefinition } from '@streamfold/nestjs';
import { Zipf } from './zipf';

export interface LaunchDayOptions {
  baseUrl: string;
  jwtSecret: string;
  /** Distinct users. @default 2000 */
  users: number;
  /** Posts created before the spike. @default 100 */
  posts: number;
  /** Requests per second during the spike. @default 200 */
  rate: number;
  /** Seconds of spike. @default 30 */
  durationSeconds: number;
  /** Requests in flight at most. @default 64 */
  concurrency: number;
  onProgress?: (p: LaunchDayProgress) => void;
}

/** Progress and final figures of a launch-day run. */
export type LaunchDayProgress = SimulationProgress;

type Action = 'like' | 'unlike' | 'comment' | 'post';
const MIX: Array<[Action, number]> = [['like', 0.7], ['unlike', 0.08], ['comment', 0.17], ['post', 0.05]];

/**
 * Launch-day traffic against a running instance: thousands of users, Zipf-popular posts, a fixed
 * request rate for a bounded duration. Counts 2xx as ok, 4xx as rejected (e.g. a like on a
 * deleted post), anything else as failed.
 */
export async function runLaunchDay(o: LaunchDayOptions): Promise<LaunchDayProgress> {
  const tokens = Array.from({ length: o.users }, (_, i) => signToken(o.jwtSecret, `user-${i}`));
  const user = () => Math.floor(Math.random() * o.users);
  // The generated client: a changed endpoint breaks this file at compile time, not at launch.
  const api = createStreamfoldClient(o.baseUrl);
  const asUser = (u: number) => ({ headers: bearer(tokens[u]) });

  const postIds: string[] = [];
  for (let i = 0; i < o.posts; i++) {
    const { data, error, response } = await api.POST('/social/posts', { ...asUser(user()), body: { text: `launch post ${i}` } });
    if (!data) throw new Error(`creating posts failed: HTTP ${response.status} ${error?.error}: ${error?.message}`);
    postIds.push(data.postId);
  }
  const zipf = new Zipf(Math.max(postIds.length, 1));
  const latencies: number[] = [];
  const stats = { sent: 0, ok: 0, rejected: 0, failed: 0 };
  let inFlight = 0;
  const started = Date.now();
  const endAt = started + o.durationSeconds * 1000;

  const pick = (): Action => {
    let u = Math.random();
    for (const [action, p] of MIX) if ((u -= p) < 0) return action;
    return 'like';
  };
  const one = async () => {
    const postId = postIds[zipf.next()];
    const u = user();
    const t0 = performance.now();
    const path = { params: { path: { postId } }, ...asUser(u) };
    let res: Response;
    try {
      // openapi-fetch reads each body, so no connection is left holding one.
      switch (pick()) {
        case 'like': res = (await api.PUT('/social/posts/{postId}/like', path)).response; break;
        case 'unlike': res = (await api.DELETE('/social/posts/{postId}/like', path)).response; break;
        case 'comment': res = (await api.POST('/social/posts/{postId}/comments', { ...path, body: { text: 'so good' } })).response; break;
        case 'post': {
          const created = await api.POST('/social/posts', { ...asUser(u), body: { text: 'late joiner' } });
          if (created.data) postIds.push(created.data.postId);
          res = created.response;
          break;
        }
      }
      if (res.status < 300) stats.ok++;
      else if (res.status < 500) stats.rejected++;
      else stats.failed++;
    } catch {
      stats.failed++;
    }
    latencies.push(performance.now() - t0);
  };

  const snapshot = (): LaunchDayProgress => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    const elapsed = (Date.now() - started) / 1000;
    return { elapsedSeconds: elapsed, ...stats, ratePerSecond: stats.sent / Math.max(elapsed, 0.001), p50Ms: q(0.5), p99Ms: q(0.99) };
  };
  const ticker = setInterval(() => o.onProgress?.(snapshot()), 1000);
  try {
    while (Date.now() < endAt) {
      const due = Math.floor(((Date.now() - started) / 1000) * o.rate);
      while (stats.sent < due && inFlight < o.concurrency) {
        stats.sent++;
        inFlight++;
        void one().finally(() => inFlight--);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  } finally {
    clearInterval(ticker);
  }
  return snapshot();
}

/** `cli simulate social`: the launch-day spike against a running instance. */
export const launchDaySimulator: SimulatorDefinition = {
  description: 'launch-day spike: likes, unlikes, comments and posts on Zipf-popular posts',
  params: { posts: 'posts created before the spike (default 100)' },
  defaults: { rate: 200, durationSeconds: 30, users: 2000, concurrency: 64 },
  run(o) {
    const posts = Number(o.params.posts ?? 100);
    if (!Number.isInteger(posts) || posts < 1 || posts > 100_000) throw new ValidationFailed('posts', 'must be an integer between 1 and 100000');
    return runLaunchDay({ ...o, posts });
  },
};
