import { BadRequestException, Body, Controller, Get, HttpCode, MessageEvent, Param, ParseIntPipe, Post, Put, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
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
@ApiBearerAuth()
@Controller('movieflix/users/me')
export class MovieflixController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveUsersService,
  ) {}

  @Post('heartbeats')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the whole batch is in Kafka (show_position); one bad heartbeat refuses the batch with a 400' })
  heartbeats(@CurrentUser() user: Principal, @Body() body: HeartbeatsBody): Promise<{ accepted: number }> {
    return this.commands.execute(new ReportHeartbeats(user.userId, body.heartbeats));
  }

  @Post('playbacks/:videoId/start')
  @HttpCode(204)
  @ApiNoContentResponse()
  start(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: StartPlaybackBody): Promise<void> {
    return this.commands.execute(new StartPlayback(user.userId, String(id), body.device, body.positionSec, body.durationSec));
  }

  @Post('playbacks/:videoId/stop')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'PlaybackFinished at ≥ 90 % of the duration, PlaybackAbandoned below' })
  stop(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: StopPlaybackBody): Promise<void> {
    return this.commands.execute(new StopPlayback(user.userId, String(id), body.positionSec));
  }

  @Put('ratings/:videoId')
  @HttpCode(204)
  @ApiNoContentResponse()
  rate(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number, @Body() body: RateVideoBody): Promise<void> {
    return this.commands.execute(new RateVideo(user.userId, String(id), body.rating));
  }

  @Get('resume/:videoId')
  @ApiOkResponse({ description: 'the latest position by event time, 404 before the first heartbeat' })
  resume(@CurrentUser() user: Principal, @Param('videoId', videoId) id: number) {
    return this.queries.execute(new GetResume(user.userId, String(id)));
  }

  @Get('continue-watching')
  continueWatching(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetContinueWatching(user.userId));
  }

  @Get('profile')
  profile(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetProfile(user.userId));
  }

  @Sse('profile/live')
  liveProfile(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(PROFILE_CHANNEL, user.userId, 'profile', () => this.queries.execute(new GetProfile(user.userId)));
  }

  @Get('recommendations')
  recommendations(@CurrentUser() user: Principal) {
    return this.queries.execute(new GetRecommendations(user.userId));
  }

  @Sse('recommendations/live')
  liveRecommendations(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(RECOMMENDATIONS_CHANNEL, user.userId, 'recommendations', () => this.queries.execute(new GetRecommendations(user.userId)));
  }
}
