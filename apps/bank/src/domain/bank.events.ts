import { DomainEvent, EventTypeDefinition } from '@streamfold/core';
import { isDecimal, isKnownCurrency } from './money';

/** Wire names are stable: never rename one, add a new type instead. */
export const BankEventType = {
  TransactionRecorded: 'bank.TransactionRecorded',
  ThresholdEnabled: 'bank.ThresholdEnabled',
  ThresholdChanged: 'bank.ThresholdChanged',
  ThresholdDisabled: 'bank.ThresholdDisabled',
  LargeTransactionDetected: 'bank.LargeTransactionDetected',
} as const;

/**
 * A transaction the core database committed, as change data capture saw it. `lsn` and `txId`
 * are its position in the core database's WAL; the event's occurredAt is the commit time.
 */
export type TransactionRecorded = DomainEvent<
  typeof BankEventType.TransactionRecorded,
  { transactionId: string; accountId: string; userId: string; amount: string; currency: string; status: string; createdAt: string; committedAt: string; lsn: string; txId: string | null; source: 'debezium' | 'polling' }
>;

/** Amounts are decimal strings in the currency's unit ("1000.00"), `at` the ISO time the user set it. */
export type ThresholdEnabled = DomainEvent<typeof BankEventType.ThresholdEnabled, { userId: string; currency: string; amount: string; at: string }>;
export type ThresholdChanged = DomainEvent<typeof BankEventType.ThresholdChanged, { userId: string; currency: string; amount: string; previousAmount: string; at: string }>;
export type ThresholdDisabled = DomainEvent<typeof BankEventType.ThresholdDisabled, { userId: string; currency: string; at: string }>;

export type LargeTransactionDetected = DomainEvent<
  typeof BankEventType.LargeTransactionDetected,
  { alertId: string; userId: string; transactionId: string; amount: string; currency: string; threshold: string; transactionAt: string }
>;

export type ThresholdEvent = ThresholdEnabled | ThresholdChanged | ThresholdDisabled;
export type BankEvent = TransactionRecorded | ThresholdEvent | LargeTransactionDetected;

type Check = (data: any) => string[];
const str: (field: string) => Check = (field) => (d) => (typeof d?.[field] === 'string' && d[field].length > 0 && d[field].length <= 200 ? [] : [`${field} must be a non-empty string`]);
const decimal: (field: string) => Check = (field) => (d) => (isDecimal(d?.[field]) ? [] : [`${field} must be a decimal string`]);
const currency: Check = (d) => (isKnownCurrency(d?.currency) ? [] : ['currency must be a known currency']);
const all = (...checks: Check[]) => (data: unknown) => checks.flatMap((c) => c(data));

export const BANK_EVENT_TYPES: EventTypeDefinition[] = [
  { type: BankEventType.TransactionRecorded, validate: all(str('transactionId'), str('userId'), decimal('amount'), str('currency'), str('committedAt'), str('lsn')) },
  { type: BankEventType.ThresholdEnabled, validate: all(str('userId'), currency, decimal('amount'), str('at')) },
  { type: BankEventType.ThresholdChanged, validate: all(str('userId'), currency, decimal('amount'), decimal('previousAmount'), str('at')) },
  { type: BankEventType.ThresholdDisabled, validate: all(str('userId'), currency, str('at')) },
  { type: BankEventType.LargeTransactionDetected, validate: all(str('alertId'), str('userId'), str('transactionId'), decimal('amount'), decimal('threshold'), str('currency')) },
];
