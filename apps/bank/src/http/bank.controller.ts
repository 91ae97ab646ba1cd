import { Body, Controller, Delete, Get, HttpCode, MessageEvent, Param, Post, Put, Query, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiNoContentResponse, ApiOkResponse, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
import { ApiCommand, ApiRead } from '@streamfold/nestjs';
import { Observable } from 'rxjs';
import { GetAlerts, GetThresholds } from '../application/bank.queries';
import { ChangeThreshold } from '../application/threshold.commands';
import { AlertResponse, AlertsQuery, EnableThresholdBody, ThresholdBody, ThresholdResponse } from './bank.dto';
import { LiveAlertsService } from './live-alerts.service';

const CURRENCY = { name: 'currency', description: 'ISO 4217 code: USD, EUR, GBP, CHF or JPY', example: 'USD' };

/** Every route acts for the caller only: thresholds and alerts of another user are unreachable. */
@ApiTags('bank')
@Controller('bank')
export class BankController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveAlertsService,
  ) {}

  @Post('thresholds')
  @HttpCode(204)
  @ApiCommand({ operationId: 'enableThreshold', summary: 'Enable a large-transaction alert threshold for a currency', body: EnableThresholdBody, errors: [409] })
  @ApiNoContentResponse({ description: 'ThresholdEnabled; a 400 names `currency` when one is already active for it' })
  enable(@CurrentUser() user: Principal, @Body() body: EnableThresholdBody): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'EnableThreshold', userId: user.userId, currency: body.currency, amount: body.amount }));
  }

  @Put('thresholds/:currency')
  @HttpCode(204)
  @ApiParam(CURRENCY)
  @ApiCommand({ operationId: 'setThreshold', summary: 'Enable or change the alert threshold of a currency', body: ThresholdBody, errors: [409] })
  @ApiNoContentResponse({ description: 'ThresholdEnabled, or ThresholdChanged when one is active (the same amount again changes nothing)' })
  set(@CurrentUser() user: Principal, @Param('currency') currency: string, @Body() body: ThresholdBody): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'SetThreshold', userId: user.userId, currency, amount: body.amount }));
  }

  @Delete('thresholds/:currency')
  @HttpCode(204)
  @ApiParam(CURRENCY)
  @ApiCommand({ operationId: 'disableThreshold', summary: 'Disable the alert threshold of a currency', errors: [404, 409] })
  @ApiNoContentResponse({ description: 'ThresholdDisabled' })
  disable(@CurrentUser() user: Principal, @Param('currency') currency: string): Promise<void> {
    return this.commands.execute(new ChangeThreshold({ type: 'DisableThreshold', userId: user.userId, currency }));
  }

  @Get('thresholds')
  @ApiRead({ operationId: 'listThresholds', summary: 'List your active alert thresholds' })
  @ApiOkResponse({ type: [ThresholdResponse], description: 'one per currency with an active threshold' })
  thresholds(@CurrentUser() user: Principal): Promise<ThresholdResponse[]> {
    return this.queries.execute(new GetThresholds(user.userId));
  }

  @Get('alerts')
  @ApiRead({ operationId: 'listAlerts', summary: 'List your large-transaction alerts, newest first', errors: [400] })
  @ApiOkResponse({ type: [AlertResponse], description: 'your alerts only' })
  alerts(@CurrentUser() user: Principal, @Query() q: AlertsQuery): Promise<AlertResponse[]> {
    return this.queries.execute(new GetAlerts(user.userId, q.limit ?? 50));
  }

  @Sse('alerts/live')
  @ApiRead({ operationId: 'watchAlerts', summary: 'Stream your new alerts as server-sent events' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: '`ready` once listening, then one `alert` event per new alert of the caller', schema: { type: 'string' } })
  liveAlerts(@CurrentUser() user: Principal): Observable<MessageEvent> {
    return this.live.watch(user.userId);
  }
}
