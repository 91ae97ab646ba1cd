import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal } from '@streamfold/auth';
import { observableIterator, uuidParam } from '@streamfold/nestjs';
import { map } from 'rxjs';
import { GetRide, GetSurge, RideView, SurgeView } from '../application/ride.queries';
import { surgeRegion } from '../domain/geo';
import { TaxiLiveService } from '../http/taxi-live.service';
import { PointArgs, RideType, SurgeType } from './taxi.types';

// Values are sent as they are: no `{ fieldName: value }` wrapping as with a PubSub payload.
const AS_IS = { resolve: (value: unknown) => value };
const FINAL = new Set(['unmatched', 'cancelled']);

/** Live GetTaxi over graphql-ws, from the same change signals as the SSE streams. */
@Resolver()
export class TaxiLiveResolver {
  constructor(
    private readonly queries: QueryBus,
    private readonly live: TaxiLiveService,
  ) {}

  /**
   * Your ride's status now and on every change (rider or driver only: anyone else is refused with
   * `forbidden` before anything is watched); ends when the ride is unmatched or cancelled.
   */
  @Subscription(() => RideType, { ...AS_IS, description: 'your ride now and on every change' })
  async rideStatus(@CurrentUser() user: Principal, @Args('rideId', { type: () => ID }, uuidParam('rideId')) rideId: string) {
    const read = () => this.queries.execute<GetRide, RideView>(new GetRide(user.userId, rideId));
    await read(); // 403 / 404 before the stream opens
    return observableIterator(this.live.watch<RideView>('ride', rideId, read, (r) => FINAL.has(r.status)).pipe(map((e) => e.data)));
  }

  @Subscription(() => SurgeType, { ...AS_IS, name: 'surge', description: 'the surge of a point’s region now and on every change' })
  liveSurge(@Args() point: PointArgs) {
    const read = async () => {
      const s = await this.queries.execute<GetSurge, SurgeView>(new GetSurge(point));
      return { region: s.region, surge: s.surge };
    };
    return observableIterator(this.live.watch('surge', surgeRegion(point), read).pipe(map((e) => e.data)));
  }
}
