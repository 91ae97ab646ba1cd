import { assertNever } from '@streamfold/core';
import { Delivery, EmittedEvent, Processor, temporalTable } from '@streamfold/projections';
import { BankEventType as T, LargeTransactionDetected, ThresholdEvent, TransactionRecorded } from '../domain/bank.events';
import { compareDecimal } from '../domain/money';
import { BankTopic } from '../bank.topics';

const MINUTE = 60_000;
/** How long (event time) a transaction is kept to be judged by a threshold whose event arrives after it. */
export const ALERT_LATENESS_MS = 15 * MINUTE;
/** How far back (event time) thresholds are kept for transactions that arrive late (a paused connector). */
export const THRESHOLD_RETENTION_MS = 7 * 24 * 60 * MINUTE;

type Input = TransactionRecorded | ThresholdEvent;

interface Recent {
  id: string;
  atMs: number;
  amount: string;
  currency: string;
  alerted: boolean;
}

/** Per user: every threshold version by currency (null = disabled) and the recent transactions. */
export interface AlertState {
  thresholds: temporalTable.TemporalTable<string | null>;
  recent: Recent[];
  maxEventTimeMs: number | null;
}

function judge(state: AlertState, userId: string, tx: Recent): { tx: Recent; alert?: EmittedEvent<LargeTransactionDetected> } {
  const threshold = temporalTable.lookup(state.thresholds, tx.currency, tx.atMs);
  if (tx.alerted || threshold === undefined || threshold === null || compareDecimal(tx.amount, threshold) <= 0) return { tx };
  const data = { alertId: `alert-${tx.id}`, userId, transactionId: tx.id, amount: tx.amount, currency: tx.currency, threshold, transactionAt: new Date(tx.atMs).toISOString() };
  return { tx: { ...tx, alerted: true }, alert: { streamId: `alert-${tx.id}`, type: T.LargeTransactionDetected, data } };
}

/**
 * Alerts a user when a transaction exceeds the threshold in force at the transaction's commit
 * time: a temporal join on event time (invariant 6), not on arrival order. A threshold enabled
 * at 12:00 never judges a transaction committed at 11:59, however late its change event arrives
 * (a paused connector, a lagging relay). A threshold event that arrives after transactions it
 * governs (committed after it was set) judges them then, within ALERT_LATENESS_MS.
 * Exactly once per transaction: the runner delivers each TransactionRecorded once, and `alerted`
 * keeps a re-judgement from raising a second alert. Alerts raised stay raised: a notification
 * cannot be unsent.
 */
export const largeTransactionsProcessor: Processor<AlertState, LargeTransactionDetected, Input> = {
  name: 'bank.large_transactions',
  topics: [BankTopic.userSettings, BankTopic.bankTransactions],
  handles: [T.TransactionRecorded, T.ThresholdEnabled, T.ThresholdChanged, T.ThresholdDisabled],
  keyOf: (d: Delivery<Input>) => d.envelope.data.userId,
  initialState: () => ({ thresholds: temporalTable.emptyTemporalTable(), recent: [], maxEventTimeMs: null }),

  process(state, delivery) {
    const event = { type: delivery.envelope.type, data: delivery.envelope.data } as Input;
    const atMs = Date.parse(delivery.envelope.occurredAt);
    const maxEventTimeMs = Math.max(state.maxEventTimeMs ?? atMs, atMs);
    const emit: EmittedEvent<LargeTransactionDetected>[] = [];
    let next: AlertState = { ...state, maxEventTimeMs };
    switch (event.type) {
      case T.ThresholdEnabled:
      case T.ThresholdChanged:
      case T.ThresholdDisabled: {
        const amount = event.type === T.ThresholdDisabled ? null : event.data.amount;
        next.thresholds = temporalTable.upsert(state.thresholds, event.data.currency, amount, atMs);
        next.recent = state.recent.map((tx) => {
          if (tx.atMs < atMs || tx.currency !== event.data.currency) return tx;
          const judged = judge(next, event.data.userId, tx);
          if (judged.alert) emit.push(judged.alert);
          return judged.tx;
        });
        break;
      }
      case T.TransactionRecorded: {
        const { transactionId, amount, currency, userId } = event.data;
        if (state.thresholds.retainedFromMs !== null && atMs < state.thresholds.retainedFromMs) {
          return { state, ignored: `transaction ${transactionId} committed ${delivery.envelope.occurredAt} is older than the threshold history kept` };
        }
        const judged = judge(next, userId, { id: transactionId, atMs, amount, currency, alerted: false });
        if (judged.alert) emit.push(judged.alert);
        next.recent = [...state.recent, judged.tx];
        break;
      }
      default:
        assertNever(event, 'bank event');
    }
    next = {
      ...next,
      recent: next.recent.filter((tx) => tx.atMs >= maxEventTimeMs - ALERT_LATENESS_MS),
      thresholds: temporalTable.pruneBefore(next.thresholds, maxEventTimeMs - THRESHOLD_RETENTION_MS),
    };
    return { state: next, emit };
  },
};
