import { BadRequestException, Body, Controller, Get, Headers, HttpCode, HttpException, MessageEvent, Param, ParseUUIDPipe, Post, Query, Res, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { CurrentUser, Principal, Public } from '@streamfold/auth';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { PositionsAccepted, ReportPositions } from '../application/report-positions.command';
import { RequestRide, RideRequestAnswer } from '../application/request-ride.command';
import { ChangeRide } from '../application/ride-lifecycle.command';
import { GetMyRides, GetRide, GetSurge, RideView, SurgeView } from '../application/ride.queries';
import { surgeRegion } from '../domain/geo';
import { PointQuery, PositionsAcceptedResponse, PositionsBody, RideRequestBody, RidesQuery } from './taxi.dto';
import { TaxiLiveService } from './taxi-live.service';

const uuid = new ParseUUIDPipe({ version: '4', exceptionFactory: () => new BadRequestException('rideId must be a UUID') });
const FINAL = new Set(['unmatched', 'cancelled']);

@ApiTags('taxi')
@ApiBearerAuth()
@Controller('taxi')
export class TaxiController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: TaxiLiveService,
  ) {}

  @Post('drivers/me/positions')
  @HttpCode(202)
  @ApiOkResponse({ type: PositionsAcceptedResponse })
  @ApiTooManyRequestsResponse({ description: 'back-pressure: only `accepted` positions (the first ones) were taken; resend the rest after Retry-After' })
  driverPositions(@CurrentUser() user: Principal, @Body() body: PositionsBody, @Res({ passthrough: true }) res: Response): Promise<PositionsAccepted> {
    return this.report(new ReportPositions('driver', user.userId, body.positions), res);
  }

  @Post('riders/me/positions')
  @HttpCode(202)
  @ApiOkResponse({ type: PositionsAcceptedResponse })
  riderPositions(@CurrentUser() user: Principal, @Body() body: PositionsBody, @Res({ passthrough: true }) res: Response): Promise<PositionsAccepted> {
    return this.report(new ReportPositions('rider', user.userId, body.positions), res);
  }

  private async report(command: ReportPositions, res: Response): Promise<PositionsAccepted> {
    const answer: PositionsAccepted = await this.commands.execute(command);
    if (answer.accepted < answer.total) {
      res.setHeader('Retry-After', '1');
      throw new HttpException({ statusCode: 429, error: 'back_pressure', message: 'the position buffer is full: resend the positions after the first `accepted`', ...answer }, 429);
    }
    return answer;
  }

  @Post('rides')
  request(@CurrentUser() user: Principal, @Body() body: RideRequestBody, @Headers('idempotency-key') key?: string): Promise<RideRequestAnswer> {
    return this.commands.execute(new RequestRide(user.userId, body.pickup, body.dropoff, key));
  }

  @Post('rides/:rideId/start')
  @HttpCode(204)
  start(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'start'));
  }

  @Post('rides/:rideId/complete')
  @HttpCode(204)
  complete(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'complete'));
  }

  @Post('rides/:rideId/cancel')
  @HttpCode(204)
  cancel(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<void> {
    return this.commands.execute(new ChangeRide(user.userId, rideId, 'cancel'));
  }

  @Get('rides')
  @ApiOkResponse({ description: "the caller's rides, as rider or driver" })
  myRides(@CurrentUser() user: Principal, @Query() q: RidesQuery): Promise<RideView[]> {
    return this.queries.execute(new GetMyRides(user.userId, q.limit ?? 20));
  }

  @Get('rides/:rideId')
  ride(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<RideView> {
    return this.queries.execute(new GetRide(user.userId, rideId));
  }

  /** Live status of one's own ride (rider or driver); ends when the ride is unmatched, cancelled, or completed with a fare settled past its grace. */
  @Sse('rides/:rideId/live')
  async rideLive(@CurrentUser() user: Principal, @Param('rideId', uuid) rideId: string): Promise<Observable<MessageEvent>> {
    await this.queries.execute(new GetRide(user.userId, rideId)); // 403 / 404 before the stream opens
    return this.live.watch<RideView>('ride', rideId, () => this.queries.execute(new GetRide(user.userId, rideId)), (r) => FINAL.has(r.status));
  }

  @Public()
  @Get('surge')
  surge(@Query() q: PointQuery): Promise<SurgeView> {
    return this.queries.execute(new GetSurge(q));
  }

  @Public()
  @Sse('surge/live')
  surgeLive(@Query() q: PointQuery): Observable<MessageEvent> {
    return this.live.watch<SurgeView>('surge', surgeRegion(q), async () => {
      const s: SurgeView = await this.queries.execute(new GetSurge(q));
      return { region: s.region, surge: s.surge } as SurgeView;
    });
  }
}
