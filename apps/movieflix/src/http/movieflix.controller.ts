import { BadRequestException, Body, Controller, Get, HttpCode, MessageEvent, Param, ParseIntPipe, Post, Put, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
import { ApiCommand, ApiRead } from '@streamfold/nestjs';
import { Observable } from 'rxjs';
import { GetContinueWatching, GetProfile, GetRecommendations, GetResume } from '../application/movieflix.queries';
import { ReportHeartbeats } from '../application/report-heartbeats.command';
import { RateVideo, StartPlayback, StopPlayback } from '../application/viewing.commands';
import { PROFILE_CHANNEL } from '../read-models/profile.projection';
import { RECOMMENDATIONS_CHANNEL } from '../read-models/recommendations.projection';
import { LiveUsersService } from './live-users.service';
import { HeartbeatsBody, RateVideoBody, StartPlaybackBody, StopPlaybackBody } from './movieflix.dto';

const videoId = new ParseIntPipe({ exceptionFactory: () => new BadRequestException('videoId must be a catalogue id (an integer)') });

/** Every route is the caller's own ("me" = the bearer token's user): no user id is ever taken from the request. */
@ApiTags('movieflix')
@Controller('movieflix/users/me')
export class MovieflixController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveUsersService,
  ) {}

  @Post('heartbeats')
  @ApiCommand({ operationId: 'reportHeartbeats', summary: 'Report a batch of playback position heartbeats', body: HeartbeatsBody })
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the whole batch is in Kafka (show_position); one bad heartbeat refuses the batch with a 400' })
  heartbeats(@CurrentUser() user: Principal, @Body() body: HeartbeatsBody): Promise<{ accepted: number }> {
    return this.commands.execute(new ReportHeartbeats(user.userId, body.heartbeats));
  }

  @Post('playbacks/:videoId/start')
  @ApiCommand({ operationId: 'startPlayback', summary: 'Start (or resume) playing a video', body: StartPlaybackBody, errors: [404, 409, 422] })
  @HttpCode(204)
  @ApiNoContentResponse()
  start(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: StartPlaybackBody): Promise<void> {
    return this.commands.execute(new StartPlayback(user.userId, String(id), body.device, body.positionSec, body.durationSec));
  }

  @Post('playbacks/:videoId/stop')
  @ApiCommand({ operationId: 'stopPlayback', summary: 'Stop playing: finished at 90 % or more, abandoned below', body: StopPlaybackBody, errors: [404, 409, 422] })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'PlaybackFinished at ≥ 90 % of the duration, PlaybackAbandoned below' })
  stop(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: StopPlaybackBody): Promise<void> {
    return this.commands.execute(new StopPlayback(user.userId, String(id), body.positionSec));
  }

  @Put('ratings/:videoId')
  @ApiCommand({ operationId: 'rateVideo', summary: 'Rate a video', body: RateVideoBody, errors: [404, 409] })
  @HttpCode(204)
  @ApiNoContentResponse()
  rate(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: RateVideoBody): Promise<void> {
    return this.commands.execute(new RateVideo(user.userId, String(id), body.rating));
  }

  @Get('resume/:videoId')
  @ApiRead({ operationId: 'getResumePosition', summary: 'Where you left a video, by event time', errors: [400, 404] })
  @ApiOkResponse({ description: 'the latest position by event time, 404 before the first heartbeat' })
  resume(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number) {
    return this.queries.execute(new GetResume(user.userId, String(id)));
  }

  @Get('continue-watching')
  @ApiRead({ operationId: 'getContinueWatching', summary: 'Videos you started and did not finish, latest first' })
  @ApiOkResponse({ description: 'your unfinished videos with their resume positions' })
  continueWatching(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetContinueWatching(user.userId));
  }

  @Get('profile')
  @ApiRead({ operationId: 'getProfile', summary: 'Your viewing profile: watch time, completion, genres, devices' })
  @ApiOkResponse({ description: 'the profile as of the last processed event' })
  profile(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetProfile(user.userId));
  }

  @Sse('profile/live')
  @ApiRead({ operationId: 'watchProfile', summary: 'Stream your profile as server-sent events' })
  @ApiOkResponse({ description: '`text/event-stream` of profile changes' })
  liveProfile(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(PROFILE_CHANNEL, user.userId, 'profile', () => this.queries.execute(new GetProfile(user.userId)));
  }

  @Get('recommendations')
  @ApiRead({ operationId: 'getRecommendations', summary: 'Your next shows, ranked, each with its reason' })
  @ApiOkResponse({ description: 'the ranked list with a reason per item' })
  recommendations(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetRecommendations(user.userId));
  }

  @Sse('recommendations/live')
  @ApiRead({ operationId: 'watchRecommendations', summary: 'Stream your recommendations as server-sent events' })
  @ApiOkResponse({ description: '`text/event-stream`, pushed when a playback finishes' })
  liveRecommendations(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(RECOMMENDATIONS_CHANNEL, user.userId, 'recommendations', () => this.queries.execute(new GetRecommendations(user.userId)));
  }
}
