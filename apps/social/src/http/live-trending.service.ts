import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { asyncScheduler, catchError, distinctUntilChanged, EMPTY, from, interval, merge, Observable, of, switchMap, throttleTime } from 'rxjs';
import { GetTrending, PostCounts } from '../application/post.queries';
import { LiveCountsService } from './live-counts.service';

/**
 * How often trending is re-read with no count change: the past-hour window slides with time. On
 * embedded PGlite, where counts are polled only for watched posts, this is the change signal too.
 */
const SLIDE_MS = 5000;
const EMBEDDED_SLIDE_MS = 1000;

/**
 * Live trending for GraphQL `trending` and the dashboard: re-read when counts change (the same
 * live source as the SSE counts, at most once a second) and every few seconds as the window
 * slides; sent only when the list differs.
 */
@Injectable()
export class LiveTrendingService {
  constructor(
    private readonly live: LiveCountsService,
    private readonly queries: QueryBus,
    private readonly db: Database,
  ) {}

  watch(limit: number): Observable<PostCounts[]> {
    return merge(of(undefined), this.live.changes(), interval(this.db.embedded ? EMBEDDED_SLIDE_MS : SLIDE_MS)).pipe(
      throttleTime(1000, asyncScheduler, { leading: true, trailing: true }),
      // A failed read (store briefly unavailable) skips one update instead of ending the stream.
      switchMap(() => from(this.queries.execute<GetTrending, PostCounts[]>(new GetTrending(limit))).pipe(catchError(() => EMPTY))),
      distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    );
  }
}
