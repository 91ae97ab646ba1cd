import { EventEnvelope } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { BankEventType as T } from './domain/bank.events';

export const BankTopic = {
  /**
   * Raw change events of the core database's `transactions` table: Debezium's topic
   * `<topic.prefix>.<schema>.<table>` with topic.prefix = KAFKA_TOPIC_PREFIX + "corebank", so the
   * logical name is the same in every environment. Debezium envelopes, not Streamfold ones.
   */
  coreTransactionsCdc: 'corebank.public.transactions',
  bankTransactions: 'bank_transactions',
  userSettings: 'user_settings',
  userAlerts: 'user_alerts',
} as const;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Created by the framework at boot, so Connect finds the CDC topic with our partitioning. */
export const BANK_TOPICS: TopicSpec[] = [
  { name: BankTopic.coreTransactionsCdc, partitions: 4, retentionMs: WEEK_MS },
  { name: BankTopic.bankTransactions, partitions: 12, retentionMs: WEEK_MS },
  { name: BankTopic.userSettings, partitions: 6, retentionMs: -1 },
  { name: BankTopic.userAlerts, partitions: 6, retentionMs: -1 },
];

/** Transactions, thresholds and alerts are all keyed by user: one user's facts share a partition. */
export function routeBankEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  const { userId } = envelope.data as { userId: string };
  switch (envelope.type) {
    case T.TransactionRecorded:
      return { topic: BankTopic.bankTransactions, key: userId };
    case T.ThresholdEnabled:
    case T.ThresholdChanged:
    case T.ThresholdDisabled:
      return { topic: BankTopic.userSettings, key: userId };
    case T.LargeTransactionDetected:
      return { topic: BankTopic.userAlerts, key: userId };
    default:
      return null;
  }
}
