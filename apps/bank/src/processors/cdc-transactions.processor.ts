import { DomainEvent } from '@streamfold/core';
import { Processor } from '@streamfold/projections';
import { BankEventType as T, TransactionRecorded } from '../domain/bank.events';
import { normalizeAmount } from '../domain/money';
import { BankTopic } from '../bank.topics';
import { CORE_ROW_CHANGED, CoreRowChange, decodeCoreRowChange } from './debezium-envelope';

type RowChanged = DomainEvent<typeof CORE_ROW_CHANGED, CoreRowChange>;

/** The source position a transaction was first recorded at; null until then. */
export type RecordedAt = { lsn: string | null } | null;

/**
 * Raw change events of the core database → `TransactionRecorded` on bank_transactions.
 * Kafka Connect delivers at least once: after a worker crash it re-sends from its last committed
 * source offset, at new Kafka offsets, which the runner's offset checkpoint cannot recognise.
 * So the processor is keyed by the row's primary key and records it once: a second change for
 * the same row (a re-send, or the snapshot overlapping the stream) is ignored, in the same
 * transaction that would have appended it.
 */
export const cdcTransactionsProcessor: Processor<RecordedAt, TransactionRecorded, RowChanged> = {
  name: 'bank.cdc_transactions',
  topics: [BankTopic.coreTransactionsCdc],
  decode: decodeCoreRowChange,
  handles: [CORE_ROW_CHANGED],
  keyOf: (d) => String(d.envelope.data.row.id),
  initialState: () => null,

  process(state, { envelope }) {
    const change = envelope.data;
    const id = String(change.row.id);
    if (change.op === 'u' || change.op === 'd') {
      // Transactions are append-only facts; a later status change is not a new transaction.
      return { state, ignored: `transaction ${id}: op ${change.op} is not a new transaction` };
    }
    if (state !== null) return { state, ignored: `transaction ${id} already recorded (from lsn ${state.lsn}); re-sent at lsn ${change.lsn}` };
    const { row } = change;
    const currency = row.currency.trim();
    const event: TransactionRecorded = {
      type: T.TransactionRecorded,
      data: {
        transactionId: id,
        accountId: String(row.account_id),
        userId: row.user_id,
        amount: normalizeOrKeep(row.amount, currency),
        currency,
        status: row.status,
        createdAt: new Date(row.created_at).toISOString(),
        committedAt: envelope.occurredAt,
        lsn: change.lsn ?? `row:${id}`,
        txId: change.txId,
        source: change.source,
      },
    };
    return { state: { lsn: change.lsn }, emit: [{ ...event, streamId: `bank-transaction-${id}` }] };
  },
};

/** The canonical amount for known currencies; the core database's own string otherwise. */
function normalizeOrKeep(amount: string, currency: string): string {
  try {
    return normalizeAmount(amount, currency);
  } catch {
    return amount;
  }
}
