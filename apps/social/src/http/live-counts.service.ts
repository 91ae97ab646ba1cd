import { Injectable, Logger, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { stageLatency, StageLatency } from '@streamfold/eventstore';
import { MetricsService } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { Client } from 'pg';
import { map, Observable, Subject, takeWhile } from 'rxjs';
import { POST_COUNTS_CHANNEL } from '../read-models/post-counts.projection';

interface Counts {
  likes: number;
  comments: number;
  deleted: boolean;
}

/**
 * Live counts per post for server-sent events and GraphQL subscriptions (one source for both).
 * The projection NOTIFYs inside its transaction, so a listener in any process hears a change only
 * once it is committed; one LISTEN connection per process fans out to every open stream.
 */
@Injectable()
export class LiveCountsService implements OnApplicationShutdown {
  private readonly log = new Logger('LiveCounts');
  private readonly subjects = new Map<string, { subject: Subject<Counts>; watchers: number }>();
  private listener: Promise<Client> | null = null;
  private readonly anyChange = new Subject<void>();

  private readonly stages: StageLatency;

  constructor(private readonly db: Database, metrics: MetricsService) {
    this.stages = stageLatency(metrics.registry);
  }

  /** Current counts first, then each change; completes when the post is deleted. */
  watch(postId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      const push = (c: Counts) => {
        const data = JSON.stringify({ postId, likes: c.likes, comments: c.comments });
        if (c.deleted) {
          subscriber.next({ type: 'deleted', data: { postId } });
          subscriber.complete();
          return;
        }
        if (data !== last) subscriber.next({ type: 'counts', data: { postId, likes: c.likes, comments: c.comments } });
        last = data;
      };
      const entry = this.subjects.get(postId) ?? { subject: new Subject<Counts>(), watchers: 0 };
      entry.watchers++;
      this.subjects.set(postId, entry);
      const subscription = entry.subject.subscribe(push);
      void this.listen()
        .then(() => this.db.query('SELECT likes, comments, deleted_at IS NOT NULL AS deleted FROM social_posts WHERE post_id = $1', [postId]))
        .then(({ rows }) => rows[0] && push({ likes: rows[0].likes, comments: rows[0].comments, deleted: rows[0].deleted }))
        .catch((error) => this.log.warn(`live counts for ${postId}: ${(error as Error).message}`));
      return () => {
        subscription.unsubscribe();
        if (--entry.watchers === 0) this.subjects.delete(postId);
      };
    });
  }

  /** Counts of one post as plain values (GraphQL `postCounts`): now, then on change; completes when the post is deleted. */
  counts(postId: string): Observable<{ postId: string; likes: number; comments: number }> {
    return this.watch(postId).pipe(
      takeWhile((e) => e.type === 'counts'),
      map((e) => e.data as { postId: string; likes: number; comments: number }),
    );
  }

  /**
   * A tick whenever counts change (any post with LISTEN; on embedded PGlite, the watched posts
   * only). Consumers such as trending re-read on it and also on a timer of their own.
   */
  changes(): Observable<void> {
    void this.listen().catch((error) => this.log.warn(`live counts listener: ${(error as Error).message}`));
    return this.anyChange.asObservable();
  }

  /** Embedded PGlite does not route NOTIFY between connections: poll the watched posts there instead. */
  private listen(): Promise<unknown> {
    if (this.db.embedded) return this.poll();
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.db.url });
      client.on('error', (error) => {
        this.log.warn(`listener lost its connection: ${error.message}; reconnecting on next watch`);
        this.listener = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel !== POST_COUNTS_CHANNEL || !n.payload) return;
        const now = Date.now();
        for (const [postId, likes, comments, deleted, appliedAt] of JSON.parse(n.payload) as Array<[string, number, number, boolean, number?]>) {
          const entry = this.subjects.get(postId);
          if (!entry) continue;
          entry.subject.next({ likes, comments, deleted });
          if (appliedAt !== undefined) this.stages.since('committed_to_pushed', appliedAt, now);
        }
        this.anyChange.next();
      });
      await client.query(`LISTEN ${POST_COUNTS_CHANNEL}`);
      return client;
    })();
    this.listener.catch(() => (this.listener = null));
    return this.listener;
  }

  private poller: NodeJS.Timeout | null = null;

  private async poll(): Promise<void> {
    if (this.poller) return;
    this.poller = setInterval(async () => {
      const ids = [...this.subjects.keys()];
      if (ids.length === 0) return;
      try {
        const { rows } = await this.db.query(
          'SELECT post_id, likes, comments, deleted_at IS NOT NULL AS deleted FROM social_posts WHERE post_id = ANY($1)',
          [ids],
        );
        for (const r of rows) this.subjects.get(r.post_id)?.subject.next({ likes: r.likes, comments: r.comments, deleted: r.deleted });
        if (rows.length > 0) this.anyChange.next();
      } catch (error) {
        this.log.warn(`polling live counts: ${(error as Error).message}`);
      }
    }, 200);
    this.poller.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    for (const { subject } of this.subjects.values()) subject.complete();
    this.anyChange.complete();
    const client = await this.listener?.catch(() => null);
    await client?.end().catch(() => undefined);
  }
}
