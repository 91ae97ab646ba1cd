import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { GetAlertsHandler, GetThresholdsHandler } from './application/bank.queries';
import { ChangeThresholdHandler } from './application/threshold.commands';
import { bankContext } from './bank.context';
import { BankResolver } from './graphql/bank.resolver';
import { BankController } from './http/bank.controller';
import { LiveAlertsService } from './http/live-alerts.service';
import { ALERT_SENDER, AlertNotifier, LoggingAlertSender } from './reactions/alert-notifier.reaction';
import { EmbeddedTransactionsPollingSource } from './source/polling-source';

/** MyBank bounded context: CDC of the core database, thresholds, large-transaction alerts; REST, SSE and GraphQL. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(bankContext)],
  controllers: [BankController, AlertNotifier],
  providers: [
    ChangeThresholdHandler,
    GetThresholdsHandler,
    GetAlertsHandler,
    LiveAlertsService,
    BankResolver,
    EmbeddedTransactionsPollingSource,
    { provide: ALERT_SENDER, useClass: LoggingAlertSender },
  ],
})
export class BankModule {}
