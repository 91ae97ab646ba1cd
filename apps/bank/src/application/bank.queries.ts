import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, loadState } from '@streamfold/eventstore';
import { Database } from '@streamfold/runtime';
import { thresholdsDecider, userSettingsStreamId } from '../domain/thresholds.decider';

export interface AlertView {
  alertId: string;
  transactionId: string;
  amount: string;
  currency: string;
  threshold: string;
  transactionAt: string;
  detectedAt: string;
}

export class GetThresholds {
  constructor(readonly userId: string) {}
}
export class GetAlerts {
  constructor(readonly userId: string, readonly limit: number) {}
}

/** Active thresholds straight from the user's stream: always current, no projection lag. */
@QueryHandler(GetThresholds)
export class GetThresholdsHandler implements IQueryHandler<GetThresholds, Array<{ currency: string; amount: string }>> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId }: GetThresholds) {
    const { state } = await loadState(this.store, thresholdsDecider, userSettingsStreamId(userId));
    return Object.entries(state.active).map(([currency, amount]) => ({ currency, amount }));
  }
}

export const ALERT_COLUMNS = `alert_id, transaction_id, amount::text AS amount, currency, threshold::text AS threshold, transaction_at, detected_at`;

export function toAlertView(r: Record<string, any>): AlertView {
  return {
    alertId: r.alert_id,
    transactionId: r.transaction_id,
    amount: r.amount,
    currency: r.currency,
    threshold: r.threshold,
    transactionAt: new Date(r.transaction_at).toISOString(),
    detectedAt: new Date(r.detected_at).toISOString(),
  };
}

/** The caller's own alerts, newest transaction first. */
@QueryHandler(GetAlerts)
export class GetAlertsHandler implements IQueryHandler<GetAlerts, AlertView[]> {
  constructor(private readonly db: Database) {}

  async execute({ userId, limit }: GetAlerts): Promise<AlertView[]> {
    const { rows } = await this.db.query(`SELECT ${ALERT_COLUMNS} FROM bank_alerts WHERE user_id = $1 ORDER BY transaction_at DESC, alert_id LIMIT $2`, [userId, limit]);
    return rows.map(toAlertView);
  }
}
