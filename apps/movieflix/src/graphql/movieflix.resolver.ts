import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal } from '@streamfold/auth';
import { perItem, requestLoader, StreamfoldGraphQLContext } from '@streamfold/nestjs';
import { GetContinueWatching, GetProfile, GetRecommendations, GetResume, GetResumes, ProfileView, RecommendationsView, ResumeView } from '../application/movieflix.queries';
import { RateVideo, StartPlayback, StopPlayback } from '../application/viewing.commands';
import { RecommendedVideo } from '../domain/movieflix.events';
import { ContinueWatchingArgs, ProfileType, RateVideoArgs, RecommendationsType, RecommendedVideoType, ResumeType, StartPlaybackArgs, StopPlaybackArgs, VideoArgs } from './movieflix.types';

/**
 * MovieFlix over GraphQL: the REST controller's twin, through the same buses; everything is the
 * caller's own (no user id is taken from the operation). Heartbeats stay REST telemetry.
 */
@Resolver(() => RecommendedVideoType)
export class MovieflixResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Query(() => ResumeType, { description: 'where you left a video, by event time; not_found before the first heartbeat' })
  resume(@CurrentUser() user: Principal, @Args() { videoId }: VideoArgs): Promise<ResumeView> {
    return this.queries.execute(new GetResume(user.userId, videoId));
  }

  @Query(() => [ResumeType], { description: 'videos you started and did not finish, latest first', complexity: perItem(100) })
  continueWatching(@CurrentUser() user: Principal, @Args() { limit }: ContinueWatchingArgs): Promise<ResumeView[]> {
    return this.queries.execute(new GetContinueWatching(user.userId, limit));
  }

  @Query(() => ProfileType, { description: 'your viewing profile: watch time, completion, genres, devices' })
  profile(@CurrentUser() user: Principal): Promise<ProfileView> {
    return this.queries.execute(new GetProfile(user.userId));
  }

  @Query(() => RecommendationsType, { description: 'your next shows, ranked, each with its reason' })
  recommendations(@CurrentUser() user: Principal): Promise<RecommendationsView> {
    return this.queries.execute(new GetRecommendations(user.userId));
  }

  /** Where you left a recommended video: one read for the whole list per request, not one per item. */
  @ResolveField('resume', () => ResumeType, { nullable: true })
  resumeOf(@Parent() item: RecommendedVideo, @CurrentUser() user: Principal, @Context() ctx: StreamfoldGraphQLContext): Promise<ResumeView | null> {
    const loader = requestLoader<string, ResumeView | null>(ctx, `movieflix.resume:${user.userId}`, async (videoIds) => {
      const found = await this.queries.execute<GetResumes, Map<string, ResumeView>>(new GetResumes(user.userId, videoIds));
      return videoIds.map((id) => found.get(id) ?? null);
    });
    return loader.load(item.videoId);
  }

  @Mutation(() => Boolean, { description: 'start (or resume) playing a video' })
  async startPlayback(@CurrentUser() user: Principal, @Args() a: StartPlaybackArgs): Promise<boolean> {
    await this.commands.execute(new StartPlayback(user.userId, a.videoId, a.device, a.positionSec, a.durationSec));
    return true;
  }

  @Mutation(() => Boolean, { description: 'stop playing: finished at 90 % or more, abandoned below' })
  async stopPlayback(@CurrentUser() user: Principal, @Args() a: StopPlaybackArgs): Promise<boolean> {
    await this.commands.execute(new StopPlayback(user.userId, a.videoId, a.positionSec));
    return true;
  }

  @Mutation(() => Boolean, { description: 'rate a video' })
  async rateVideo(@CurrentUser() user: Principal, @Args() a: RateVideoArgs): Promise<boolean> {
    await this.commands.execute(new RateVideo(user.userId, a.videoId, a.rating));
    return true;
  }
}
