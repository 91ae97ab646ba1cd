import { ArgsType, Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const VIDEO_ID = { message: 'videoId must be a catalogue id (an integer)' };
const DEVICE = /^[\w.:-]{1,64}$/;

/** Where the caller left a video, by event time (the `movieflix_resume` read model). */
@ObjectType('Resume')
export class ResumeType {
  @Field(() => ID) videoId: string;
  @Field(() => Float) positionSec: number;
  @Field(() => Float) durationSec: number;
  @Field() device: string;
  @Field() occurredAt: string;
}

@ObjectType('GenreShare')
export class GenreShareType {
  @Field() genre: string;
  @Field(() => Float) share: number;
}

@ObjectType('DeviceSeen')
export class DeviceSeenType {
  @Field() device: string;
  @Field() lastSeen: string;
}

/** The caller's viewing profile, built in real time. */
@ObjectType('ViewingProfile')
export class ProfileType {
  @Field() userId: string;
  @Field(() => Float) watchTimeSec: number;
  @Field(() => Int) finished: number;
  @Field(() => Int) abandoned: number;
  @Field(() => Float, { nullable: true }) completionRate: number | null;
  @Field(() => [GenreShareType]) genreAffinity: GenreShareType[];
  @Field(() => [DeviceSeenType]) devices: DeviceSeenType[];
  @Field(() => String, { nullable: true }) lastActive: string | null;
}

/** Why a video is recommended: `kind` says which of the other fields are set. */
@ObjectType('RecommendationReason')
export class ReasonType {
  @Field({ description: 'because-you-watched (videoId, title), popular-in-genre (genre) or popular' }) kind: string;
  @Field({ nullable: true }) videoId?: string;
  @Field({ nullable: true }) title?: string;
  @Field({ nullable: true }) genre?: string;
}

/** One recommended video; `resume` (where you left it, if ever) is loaded in one batch per request. */
@ObjectType('RecommendedVideo')
export class RecommendedVideoType {
  @Field(() => ID) videoId: string;
  @Field() title: string;
  @Field(() => Float) score: number;
  @Field(() => ReasonType) reason: ReasonType;
}

@ObjectType('Recommendations')
export class RecommendationsType {
  @Field() userId: string;
  @Field(() => [RecommendedVideoType]) items: RecommendedVideoType[];
  @Field(() => String, { nullable: true }) updatedAt: string | null;
  @Field({ description: 'model once the recommender ranked for you; popular before (cold start)' }) source: string;
}

@ArgsType()
export class VideoArgs {
  @Field(() => ID, { description: 'a catalogue id (an integer)' })
  @IsString()
  @Matches(/^\d{1,12}$/, VIDEO_ID)
  videoId: string;
}

@ArgsType()
export class StartPlaybackArgs extends VideoArgs {
  @Field() @IsString() @Matches(DEVICE, { message: 'device must be 1 to 64 letters, digits, ".", ":", "_" or "-"' }) device: string;
  @Field(() => Float, { description: 'where playback starts, in seconds' }) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) positionSec: number;
  @Field(() => Float) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(1) @Max(86_400) durationSec: number;
}

@ArgsType()
export class StopPlaybackArgs extends VideoArgs {
  @Field(() => Float, { description: 'where playback stopped; ≥ 90 % of the duration counts as finished' }) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) positionSec: number;
}

@ArgsType()
export class RateVideoArgs extends VideoArgs {
  @Field(() => Float, { description: '0.5 to 5, in halves (the domain checks)' }) @IsNumber({ allowNaN: false, allowInfinity: false }) rating: number;
}

@ArgsType()
export class ContinueWatchingArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  limit: number = 20;
}

/** Whose live view a subscription follows: the caller's own unless given (only an admin may give another's). */
@ArgsType()
export class UserWatchArgs {
  @Field({ nullable: true, description: 'defaults to the signed-in user; another user’s id is refused (forbidden) unless the caller is an admin' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  userId?: string;
}
