import type { EventStore } from '@streamfold/eventstore';
import { appendCaused, Delivery, postgresProcessorState, processorNamespace, ProjectionDefinition } from '@streamfold/projections';
import { normalisedAffinity } from '../domain/genre-affinity';
import { MovieflixEventType as T, PlaybackFinished, RecommendationReason, RecommendationsUpdated, VideoRated } from '../domain/movieflix.events';
import { DEFAULT_PARAMS, NO_TASTE, observe, RecommenderParams, Taste } from '../domain/recommender/co-watch';
import { recommend, Reason } from '../domain/recommender/scoring';
import { MovieflixTopic } from '../movieflix.topics';
import { DeltaBuffer, ITEMS_TABLE, loadSlices, PAIRS_TABLE, setupCoWatchTables } from './co-watch.tables';

/** What the recommender learns from: a finished playback or a rating (every rating, as evaluate counts them). */
export type RecommenderInput = PlaybackFinished | VideoRated;

export const RECOMMENDER_NAME = 'movieflix.recommender';
export const RECOMMENDATIONS_PER_USER = 10;
export const recommendationsStreamId = (userId: string) => `recommendations-${userId}`;

/**
 * The incremental recommender. Per batch, in its transaction: each interaction goes through
 * `observe` (the fold `movieflix evaluate` measures) against the user's taste (processor state)
 * and adds co-watch weight to the shared tables; then every user the batch touched gets a fresh
 * ranked list, appended as RecommendationsUpdated through the event store. Taste, counts, output
 * and checkpoint commit together, so a redelivered event neither counts twice nor emits twice.
 *
 * Not rebuilt like a read model (it is a processor: its output is already in the log); a new
 * version starts from empty counts, which `warmStartRecommender` can fill.
 */
export function recommenderProcessor(deps: { eventStore: Pick<EventStore, 'append'>; params?: RecommenderParams }): ProjectionDefinition<RecommenderInput> {
  const params = deps.params ?? DEFAULT_PARAMS;
  const state = postgresProcessorState;
  return {
    name: RECOMMENDER_NAME,
    kind: 'processor',
    topics: [MovieflixTopic.playback],
    tables: [ITEMS_TABLE, PAIRS_TABLE],
    handles: [T.PlaybackFinished, T.VideoRated],
    setup: ({ sql, table }) => setupCoWatchTables(sql, table),

    async apply(deliveries, ctx) {
      if (deliveries.length === 0) return;
      const namespace = processorNamespace(RECOMMENDER_NAME, ctx.version);
      const users = deliveries.map((d) => d.envelope.data.userId);
      const stored = (await state.load(ctx.sql, namespace, users)) as Map<string, Taste>;
      const tastes = new Map<string, Taste>();
      const last = new Map<string, Delivery<RecommenderInput>>();
      const deltas = new DeltaBuffer();
      for (const d of deliveries) {
        const { userId, videoId, genres, title } = d.envelope.data;
        const before = tastes.get(userId) ?? stored.get(userId) ?? NO_TASTE;
        const { taste, delta } = observe(before, { itemId: videoId, at: Date.parse(d.envelope.occurredAt), genres }, params);
        tastes.set(userId, taste);
        last.set(userId, d);
        deltas.add(delta, title, genres);
      }
      await state.save(ctx.sql, namespace, [...tastes].map(([key, s]) => ({ key, state: s })));
      await deltas.write(ctx.sql, ctx.table);

      const requests = [...tastes.keys()].sort().map((userId) => {
        const taste = tastes.get(userId)!;
        return { userId, taste, topGenres: normalisedAffinity(taste.affinity).slice(0, 3).map((g) => g.genre) };
      });
      const slices = await loadSlices(ctx.sql, ctx.table, requests, params);
      for (const { userId, taste } of requests) {
        const slice = slices.get(userId)!;
        const ranked = recommend(taste, slice.candidates, slice.counts, RECOMMENDATIONS_PER_USER, params);
        const event: RecommendationsUpdated = {
          type: T.RecommendationsUpdated,
          data: {
            userId,
            items: ranked.map((r) => ({ videoId: r.videoId, title: slice.titleOf(r.videoId), score: round(r.score), reason: explain(r.reason, slice.titleOf) })),
          },
        };
        await appendCaused(deps.eventStore, ctx, RECOMMENDER_NAME, last.get(userId)!, recommendationsStreamId(userId), [event]);
      }
    },
  };
}

function explain(reason: Reason, titleOf: (id: string) => string): RecommendationReason {
  return reason.kind === 'because-you-watched' ? { ...reason, title: titleOf(reason.videoId) } : reason;
}

/** Six decimals: enough to rank, and stable in JSON. */
function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
