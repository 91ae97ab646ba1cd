import { Injectable, MessageEvent, OnApplicationShutdown } from '@nestjs/common';
import { stageLatency, StageLatency } from '@streamfold/eventstore';
import { LiveChannel, MetricsService } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { map, Observable, takeWhile } from 'rxjs';
import { POST_COUNTS_CHANNEL } from '../read-models/post-counts.projection';

interface Counts {
  likes: number;
  comments: number;
  deleted: boolean;
}

/**
 * Live counts per post for server-sent events and GraphQL subscriptions (one source for both).
 * The projection NOTIFYs the new counts inside its transaction, so a listener in any process
 * hears a change only once it is committed; the shared LiveChannel fans them out to every open
 * stream (polling the watched posts on the embedded database).
 */
@Injectable()
export class LiveCountsService implements OnApplicationShutdown {
  private readonly channel: LiveChannel<Counts>;
  private readonly stages: StageLatency;

  constructor(private readonly db: Database, metrics: MetricsService) {
    this.stages = stageLatency(metrics.registry);
    this.channel = new LiveChannel<Counts>(db, {
      name: 'LiveCounts',
      channel: POST_COUNTS_CHANNEL,
      // The payload carries the counts themselves (and when the batch was applied): no read needed.
      fromNotification: (payload, watched) => {
        const now = Date.now();
        return (JSON.parse(payload) as Array<[string, number, number, boolean, number?]>).map(([postId, likes, comments, deleted, appliedAt]) => {
          if (appliedAt !== undefined && watched(postId)) this.stages.since('committed_to_pushed', appliedAt, now);
          return [postId, { likes, comments, deleted }] as const;
        });
      },
      polling: {
        read: async (ids) => {
          const { rows } = await this.db.query(
            'SELECT post_id, likes, comments, deleted_at IS NOT NULL AS deleted FROM social_posts WHERE post_id = ANY($1)',
            [ids],
          );
          return rows.map((r) => [r.post_id, { likes: r.likes, comments: r.comments, deleted: r.deleted }] as const);
        },
      },
    });
  }

  /** Current counts first, then each change; completes when the post is deleted. */
  watch(postId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      const push = (c: Counts) => {
        if (c.deleted) {
          subscriber.next({ type: 'deleted', data: { postId } });
          subscriber.complete();
          return;
        }
        const data = JSON.stringify({ postId, likes: c.likes, comments: c.comments });
        if (data !== last) subscriber.next({ type: 'counts', data: { postId, likes: c.likes, comments: c.comments } });
        last = data;
      };
      const subscription = this.channel.watch(postId).subscribe(push);
      // Listening first, then the current counts: a change committed in between is heard, not lost.
      this.channel
        .ready()
        .then(() => this.db.query('SELECT likes, comments, deleted_at IS NOT NULL AS deleted FROM social_posts WHERE post_id = $1', [postId]))
        .then(({ rows }) => rows[0] && push({ likes: rows[0].likes, comments: rows[0].comments, deleted: rows[0].deleted }))
        .catch(() => undefined); // a failed listen is logged by the channel
      return () => subscription.unsubscribe();
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
    return this.channel.changes();
  }

  onApplicationShutdown(): Promise<void> {
    return this.channel.close();
  }
}
