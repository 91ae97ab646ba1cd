import { Body, Controller, Get, HttpCode, HttpException, MessageEvent, Param, Post, Query, Res, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
import { ApiCommand, ApiRead, HttpReply, IdempotencyKey, setReplyHeader, uuidParam } from '@streamfold/nestjs';
import { Observable } from 'rxjs';
import { PositionsAccepted, ReportPositions } from '../application/report-positions.command';
import { RequestRide, RideRequestAnswer } from '../application/request-ride.command';
import { ChangeRide } from '../application/ride-lifecycle.command';
import { GetMyRides, GetRide, GetSurge, RideView, SurgeView } from '../application/ride.queries';
import { surgeRegion } from '../domain/geo';
import { PointQuery, PositionsAcceptedResponse, PositionsBody, RideRequestBody, RidesQuery } from './taxi.dto';
import { TaxiLiveService } from './taxi-live.service';

const uuid = uuidParam('rideId');
const FINAL = new Set(['unmatched', 'cancelled']);

@ApiTags('taxi')
@Controller('taxi')
export class TaxiController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: TaxiLiveService,
  ) {}

  @Post('drivers/me/positions')
  @HttpCode(202)
  @ApiCommand({ operationId: 'reportDriverPositions', summary: 'Report a batch of the driver’s GPS fixes', description: 'Telemetry: produced straight to `taxi_position`. On 429 only the first `accepted` fixes were taken; resend the rest after Retry-After.', body: PositionsBody })
  @ApiAcceptedResponse({ type: PositionsAcceptedResponse })
  driverPositions(@CurrentUser() user: Principal, @Body() body: PositionsBody, @Res({ passthrough: true }) res: HttpReply): Promise<PositionsAccepted> {
    return this.report(new ReportPositions('driver', user.userId, body.positions), res);
  }

  @Post('riders/me/positions')
  @HttpCode(202)
  @ApiCommand({ operationId: 'reportRiderPositions', summary: 'Report a batch of the rider’s GPS fixes', description: 'Telemetry: produced straight to `user_position`. On 429 resend the fixes after the first `accepted`.', body: PositionsBody })
  @ApiAcceptedResponse({ type: PositionsAcceptedResponse })
  riderPositions(@CurrentUser() user: Principal, @Body() body: PositionsBody, @Res({ passthrough: true }) res: HttpReply): Promise<PositionsAccepted> {
    return this.report(new ReportPositions('rider', user.userId, body.positions), res);
  }

  private async report(command: ReportPositions, res: HttpReply): Promise<PositionsAccepted> {
    const answer: PositionsAccepted = await this.commands.execute(command);
    if (answer.accepted < answer.total) {
      setReplyHeader(res, 'Retry-After', '1');
      throw new HttpException({ statusCode: 429, error: 'back_pressure', message: 'the position buffer is full: resend the positions after the first `accepted`', ...answer }, 429);
    }
    return answer;
  }

  @Post('rides')
  @ApiCommand({ operationId: 'requestRide', summary: 'Request a ride; the quote uses the surge in force now', idempotencyKey: true, body: RideRequestBody, errors: [422] })
  @ApiCreatedResponse({ description: 'the ride id, its quote, and whether a driver was assigned yet' })
  request(@CurrentUser() user: Principal, @Body() body: RideRequestBody, @IdempotencyKey() key?: string): Promise<RideRequestAnswer> {
    return this.commands.execute(new RequestRide(user.userId, body.pickup, body.dropoff, key));
  }

  @Post('rides/:rideId/start')
  @HttpCode(204)
  @ApiCommand({ operationId: 'startRide', summary: 'Start your assigned ride (driver)', errors: [403, 404, 409, 422] })
  @ApiNoContentResponse()
  start(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'start'));
  }

  @Post('rides/:rideId/complete')
  @HttpCode(204)
  @ApiCommand({ operationId: 'completeRide', summary: 'Complete your ride (driver); the fare follows from the stored positions', errors: [403, 404, 409, 422] })
  @ApiNoContentResponse()
  complete(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'complete'));
  }

  @Post('rides/:rideId/cancel')
  @HttpCode(204)
  @ApiCommand({ operationId: 'cancelRide', summary: 'Cancel your ride (rider or driver)', errors: [403, 404, 409, 422] })
  @ApiNoContentResponse()
  cancel(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'cancel'));
  }

  @Get('rides')
  @ApiRead({ operationId: 'listMyRides', summary: 'Your rides, as rider or driver', errors: [400] })
  @ApiOkResponse({ description: "the caller's rides, as rider or driver" })
  myRides(@CurrentUser() user: Principal, @Query() q: RidesQuery): Promise<RideView[]> {
    return this.queries.execute(new GetMyRides(user.userId, q.limit ?? 20));
  }

  @Get('rides/:rideId')
  @ApiRead({ operationId: 'getRide', summary: 'One of your rides with its status, quote and fare', errors: [400, 403, 404] })
  @ApiOkResponse({ description: "the ride, with its status, quote and fare" })
  ride(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<RideView> {
    return this.queries.execute(new GetRide(user.userId, rideId));
  }

  /** Live status of one's own ride (rider or driver); ends when the ride is unmatched, cancelled, or completed with a fare settled past its grace. */
  @Sse('rides/:rideId/live')
  @ApiRead({ operationId: 'watchRide', summary: 'Stream your ride’s status as server-sent events', errors: [400, 403, 404] })
  @ApiOkResponse({ description: "`text/event-stream` of the ride's status" })
  async rideLive(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<Observable<MessageEvent>> {
    await this.queries.execute(new GetRide(user.userId, rideId)); // 403 / 404 before the stream opens
    return this.live.watch<RideView>('ride', rideId, () => this.queries.execute(new GetRide(user.userId, rideId)), (r) => FINAL.has(r.status));
  }

  @Get('surge')
  @ApiRead({ operationId: 'getSurge', summary: 'The surge multiplier in force at a point', public: true, errors: [400] })
  @ApiOkResponse({ description: "the region and its surge multiplier" })
  surge(@Query() q: PointQuery): Promise<SurgeView> {
    return this.queries.execute(new GetSurge(q));
  }

  @Sse('surge/live')
  @ApiRead({ operationId: 'watchSurge', summary: 'Stream the surge of a point’s region as server-sent events', public: true, errors: [400] })
  @ApiOkResponse({ description: "`text/event-stream` of the region's surge" })
  surgeLive(@Query() q: PointQuery): Observable<MessageEvent> {
    return this.live.watch<SurgeView>('surge', surgeRegion(q), async () => {
      const s: SurgeView = await this.queries.execute(new GetSurge(q));
      return { region: s.region, surge: s.surge } as SurgeView;
    });
  }
}
