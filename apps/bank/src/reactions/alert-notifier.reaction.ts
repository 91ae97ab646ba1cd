import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope } from '@streamfold/core';
import { onceByEventId } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { BankEventType as T, LargeTransactionDetected } from '../domain/bank.events';
import { BankTopic } from '../bank.topics';

/** Where alert notifications go (push, e-mail, SMS). The default logs them; deployments bind their own. */
export interface AlertSender {
  /** `dedupeKey` is the alert id: a receiver that honours it never shows one alert twice. */
  send(userId: string, message: string, dedupeKey: string): Promise<void>;
}
export const ALERT_SENDER = Symbol('ALERT_SENDER');

/**
 * Delivers each alert to its user: a side effect, not a read model, so a reaction over the
 * Streamfold transport (at least once), de-duplicated by alert id. A failing sender throws and
 * the transport delivers the alert again.
 */
@Controller()
export class AlertNotifier {
  constructor(
    private readonly db: Database,
    @Inject(ALERT_SENDER) private readonly sender: AlertSender,
  ) {}

  @EventPattern(BankTopic.userAlerts)
  async onAlert(@Payload() event: EventEnvelope): Promise<void> {
    if (event.type !== T.LargeTransactionDetected) return;
    const a = event.data as LargeTransactionDetected['data'];
    await onceByEventId(this.db, 'bank.alert-notifier', a.alertId, () =>
      this.sender.send(a.userId, `Transaction ${a.transactionId} of ${a.amount} ${a.currency} is above your ${a.threshold} ${a.currency} alert`, a.alertId),
    );
  }
}

/** The default sender: one log line per notification. */
export class LoggingAlertSender implements AlertSender {
  private readonly logger = new Logger('BankNotifications');
  async send(userId: string, message: string): Promise<void> {
    this.logger.log(`to ${userId}: ${message}`);
  }
}
