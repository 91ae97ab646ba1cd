import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { IdempotentArgs } from '@streamfold/nestjs';
import { Type } from 'class-transformer';
import { IsInt, IsLatitude, IsLongitude, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';

@ObjectType('LatLng')
export class LatLngType {
  @Field(() => Float) lat: number;
  @Field(() => Float) lng: number;
}

/** A point given by a client; the same bounds as REST's bodies (the field is named on a 400). */
@InputType('LatLngInput')
export class LatLngInput {
  @Field(() => Float) @IsNumber() @IsLatitude() lat: number;
  @Field(() => Float) @IsNumber() @IsLongitude() lng: number;
}

/** A ride as its rider or driver sees it (the `taxi_rides` read model); money in minor units. */
@ObjectType('Ride')
export class RideType {
  @Field(() => ID) rideId: string;
  @Field() riderId: string;
  @Field(() => String, { nullable: true }) driverId: string | null;
  @Field({ description: 'requested, assigned, started, completed, unmatched or cancelled' }) status: string;
  @Field(() => LatLngType) pickup: LatLngType;
  @Field(() => LatLngType) dropoff: LatLngType;
  @Field(() => Float, { description: 'the multiplier quoted at request time' }) surge: number;
  @Field(() => Int) estimateMinor: number;
  @Field() requestedAt: string;
  @Field(() => String, { nullable: true }) startedAt: string | null;
  @Field(() => String, { nullable: true }) completedAt: string | null;
  @Field(() => Int, { nullable: true }) distanceM: number | null;
  @Field(() => Int, { nullable: true }) fareMinor: number | null;
  @Field(() => Int) fareCorrections: number;
}

@ObjectType('RideMatch')
export class RideMatchType {
  @Field({ description: 'assigned (with driverId), requested (matching goes on) or closed' }) status: string;
  @Field(() => String, { nullable: true }) driverId?: string;
  @Field(() => Float, { nullable: true }) pickupDistanceM?: number;
}

@ObjectType('RideRequestAnswer')
export class RideRequestedType {
  @Field(() => ID) rideId: string;
  @Field(() => RideMatchType) match: RideMatchType;
  @Field(() => Int, { description: 'the quoted multiplier × 10' }) surgeTenths: number;
  @Field(() => Int) estimateMinor: number;
}

/** The surge in force at a point. */
@ObjectType('Surge')
export class SurgeType {
  @Field({ description: 'h3 cell at resolution 7' }) region: string;
  @Field(() => Float) surge: number;
  @Field({ nullable: true }) at?: string;
}

/** A region's current multiplier with its hexagon, drawn without map tiles. */
@ObjectType('SurgeCell')
export class SurgeCellType {
  @Field({ description: 'h3 cell at resolution 7' }) region: string;
  @Field(() => Float) surge: number;
  @Field({ description: 'event time from which this multiplier is in force' }) since: string;
  @Field(() => [[Float]], { description: 'the hexagon’s corners as [lat, lng] pairs (h3 cellToBoundary)' }) boundary: Array<[number, number]>;
}

@ArgsType()
export class PointArgs {
  @Field(() => Float) @IsNumber() @IsLatitude() lat: number;
  @Field(() => Float) @IsNumber() @IsLongitude() lng: number;
}

@ArgsType()
export class RequestRideArgs extends IdempotentArgs {
  @Field(() => LatLngInput) @ValidateNested() @Type(() => LatLngInput) pickup: LatLngInput;
  @Field(() => LatLngInput) @ValidateNested() @Type(() => LatLngInput) dropoff: LatLngInput;
}

@ArgsType()
export class RidesArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  limit: number = 20;
}

@ArgsType()
export class SurgeCellsArgs {
  @Field(() => Int, { defaultValue: 100, description: '1 to 500' })
  @IsOptional() @IsInt() @Min(1) @Max(500)
  limit: number = 100;
}
