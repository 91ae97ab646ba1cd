import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal, Public } from '@streamfold/auth';
import { idempotencyKeyOf, perItem, uuidParam } from '@streamfold/nestjs';
import { RequestRide, RideRequestAnswer } from '../application/request-ride.command';
import { ChangeRide } from '../application/ride-lifecycle.command';
import { GetMyRides, GetRide, GetSurge, RideView, SurgeView } from '../application/ride.queries';
import { GetSurgeCells, SurgeCellView } from '../application/surge-cells.query';
import { PointArgs, RequestRideArgs, RideRequestedType, RidesArgs, RideType, SurgeCellsArgs, SurgeCellType, SurgeType } from './taxi.types';

const rideId = () => Args('rideId', { type: () => ID }, uuidParam('rideId'));

/**
 * GetTaxi over GraphQL: the REST controller's twin, through the same buses. Rides are the
 * caller's only (rider or driver; another's is `forbidden`), surge is public. Positions stay
 * REST telemetry (batched GPS fixes with back-pressure), not mutations.
 */
@Resolver()
export class TaxiResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Public()
  @Query(() => SurgeType, { description: 'the surge multiplier in force at a point' })
  surge(@Args() point: PointArgs): Promise<SurgeView> {
    return this.queries.execute(new GetSurge(point));
  }

  @Public()
  @Query(() => [SurgeCellType], { description: 'regions with their multiplier in force now, most recently changed first', complexity: perItem(500) })
  surgeCells(@Args() { limit }: SurgeCellsArgs): Promise<SurgeCellView[]> {
    return this.queries.execute(new GetSurgeCells(limit));
  }

  @Query(() => [RideType], { description: 'your rides, as rider or driver, newest first', complexity: perItem(100) })
  myRides(@CurrentUser() user: Principal, @Args() { limit }: RidesArgs): Promise<RideView[]> {
    return this.queries.execute(new GetMyRides(user.userId, limit));
  }

  @Query(() => RideType, { description: 'one of your rides (rider or driver); forbidden for anyone else' })
  ride(@CurrentUser() user: Principal, @rideId() id: string): Promise<RideView> {
    return this.queries.execute(new GetRide(user.userId, id));
  }

  @Mutation(() => RideRequestedType, { description: 'quotes with the surge in force now and matches a driver; a retry with the same idempotencyKey returns the first ride' })
  requestRide(@CurrentUser() user: Principal, @Args() args: RequestRideArgs): Promise<RideRequestAnswer> {
    return this.commands.execute(new RequestRide(user.userId, { lat: args.pickup.lat, lng: args.pickup.lng }, { lat: args.dropoff.lat, lng: args.dropoff.lng }, idempotencyKeyOf(args)));
  }

  @Mutation(() => Boolean, { description: 'start your assigned ride (driver)' })
  async startRide(@CurrentUser() user: Principal, @rideId() id: string): Promise<boolean> {
    await this.commands.execute(new ChangeRide(user.userId, id, 'start'));
    return true;
  }

  @Mutation(() => Boolean, { description: 'complete your ride (driver); the fare follows from the stored positions' })
  async completeRide(@CurrentUser() user: Principal, @rideId() id: string): Promise<boolean> {
    await this.commands.execute(new ChangeRide(user.userId, id, 'complete'));
    return true;
  }

  @Mutation(() => Boolean, { description: 'cancel your ride (rider or driver)' })
  async cancelRide(@CurrentUser() user: Principal, @rideId() id: string): Promise<boolean> {
    await this.commands.execute(new ChangeRide(user.userId, id, 'cancel'));
    return true;
  }
}
