import { Body, Controller, Delete, Get, HttpCode, MessageEvent, Param, Post, Put, Query, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
import { Observable } from 'rxjs';
import { GetAlerts, GetThresholds } from '../application/bank.queries';
import { ChangeThreshold } from '../application/threshold.commands';
import { AlertResponse, AlertsQuery, EnableThresholdBody, ThresholdBody, ThresholdResponse } from './bank.dto';
import { LiveAlertsService } from './live-alerts.service';

/** Every route acts for the caller only: thresholds and alerts of another user are unreachable. */
@ApiTags('bank')
@ApiBearerAuth()
@Controller('bank')
export class BankController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveAlertsService,
  ) {}

  @Post('thresholds')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'ThresholdEnabled; 400 (field currency) when one is already active for the currency' })
  enable(@CurrentUser() user: Principal, @Body() body: EnableThresholdBody): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'EnableThreshold', userId: user.userId, currency: body.currency, amount: body.amount }));
  }

  @Put('thresholds/:currency')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'ThresholdEnabled, or ThresholdChanged when one is active; the same amount again changes nothing' })
  set(@CurrentUser() user: Principal, @Param('currency') currency: string, @Body() body: ThresholdBody): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'SetThreshold', userId: user.userId, currency, amount: body.amount }));
  }

  @Delete('thresholds/:currency')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'ThresholdDisabled; 404 when none is active' })
  disable(@CurrentUser() user: Principal, @Param('currency') currency: string): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'DisableThreshold', userId: user.userId, currency }));
  }

  @Get('thresholds')
  @ApiOkResponse({ type: [ThresholdResponse] })
  thresholds(@CurrentUser() user: Principal): Promise<ThresholdResponse[]> {
    return this.queries.execute(new GetThresholds(user.userId));
  }

  @Get('alerts')
  @ApiOkResponse({ type: [AlertResponse] })
  alerts(@CurrentUser() user: Principal, @Query() q: AlertsQuery): Promise<AlertResponse[]> {
    return this.queries.execute(new GetAlerts(user.userId, q.limit ?? 50));
  }

  @Sse('alerts/live')
  @ApiOkResponse({ description: 'server-sent events: `ready` once listening, then one `alert` per new alert of the caller' })
  liveAlerts(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(user.userId);
  }
}
