import { assertNever, DomainEvent } from '@streamfold/core';
import { deliveries, DeliveryInput, MemoryProcessorState, noDatabase, RecordingEventStore, SimulatedRunner } from '@streamfold/testing';
import { projectionContext } from '../runner/consumer-id';
import type { Delivery } from '../projection';
import { defineProcessor, EmittedEvent, Processor } from './processor';
import { emptyTemporalTable, lookup, pruneBefore, TemporalTable, upsert } from './temporal-join';

// Topology: alert a user when a transaction exceeds the threshold in force when it happened.
// Money is integer cents in strings, compared as BigInt: never a float.
const MINUTE = 60_000;
/** How long a transaction is kept to be re-judged by a threshold that arrives after it. */
const LATENESS = 15 * MINUTE;
/** How far back thresholds are kept for transactions that arrive late. */
const RETENTION = 7 * 24 * 60 * MINUTE;

type ThresholdSet = DomainEvent<'ThresholdSet', { userId: string; amountCents: string }>;
type TransactionRecorded = DomainEvent<'TransactionRecorded', { userId: string; transactionId: string; amountCents: string }>;
type Input = ThresholdSet | TransactionRecorded;
type AlertRaised = DomainEvent<'AlertRaised', { userId: string; transactionId: string; amountCents: string; thresholdCents: string; transactionAt: string }>;

interface RecentTransaction {
  transactionId: string;
  atMs: number;
  amountCents: string;
  alerted: boolean;
}
interface AlertState {
  thresholds: TemporalTable<string>;
  recent: RecentTransaction[];
  maxEventTimeMs: number | null;
}

const userOf = (d: Delivery) => (d.envelope.data as Input['data']).userId;

function judge(state: AlertState, userId: string, tx: RecentTransaction): { tx: RecentTransaction; alert?: EmittedEvent<AlertRaised> } {
  const threshold = lookup(state.thresholds, 'threshold', tx.atMs);
  if (tx.alerted || threshold === undefined || BigInt(tx.amountCents) <= BigInt(threshold)) return { tx };
  const data = { userId, transactionId: tx.transactionId, amountCents: tx.amountCents, thresholdCents: threshold, transactionAt: new Date(tx.atMs).toISOString() };
  return { tx: { ...tx, alerted: true }, alert: { streamId: `alerts-${userId}`, type: 'AlertRaised', data } };
}

const largeTransactionAlerts: Processor<AlertState, AlertRaised> = {
  name: 'test.large_transaction_alerts',
  topics: ['user_settings', 'bank_transactions'],
  keyOf: userOf,
  initialState: () => ({ thresholds: emptyTemporalTable(), recent: [], maxEventTimeMs: null }),
  process(state, delivery) {
    const event = { type: delivery.envelope.type, data: delivery.envelope.data } as Input;
    const atMs = Date.parse(delivery.envelope.occurredAt);
    const maxEventTimeMs = Math.max(state.maxEventTimeMs ?? atMs, atMs);
    const emit: EmittedEvent<AlertRaised>[] = [];
    let next: AlertState = { ...state, maxEventTimeMs };
    switch (event.type) {
      case 'ThresholdSet': {
        next.thresholds = upsert(state.thresholds, 'threshold', event.data.amountCents, atMs);
        // A threshold that arrives after transactions it governs judges them now. Alerts already
        // raised under an older threshold stay raised: a notification cannot be unsent.
        next.recent = state.recent.map((tx) => {
          if (tx.atMs < atMs) return tx;
          const judged = judge(next, event.data.userId, tx);
          if (judged.alert) emit.push(judged.alert);
          return judged.tx;
        });
        break;
      }
      case 'TransactionRecorded': {
        if (state.thresholds.retainedFromMs !== null && atMs < state.thresholds.retainedFromMs) {
          return { state, ignored: `transaction ${event.data.transactionId} at ${delivery.envelope.occurredAt} is older than the threshold history kept` };
        }
        const judged = judge(next, event.data.userId, { transactionId: event.data.transactionId, atMs, amountCents: event.data.amountCents, alerted: false });
        if (judged.alert) emit.push(judged.alert);
        next.recent = [...state.recent, judged.tx];
        break;
      }
      default:
        assertNever(event, 'event');
    }
    next = { ...next, recent: next.recent.filter((tx) => tx.atMs >= maxEventTimeMs - LATENESS), thresholds: pruneBefore(next.thresholds, maxEventTimeMs - RETENTION) };
    return { state: next, emit };
  },
};

const thresholdSet = (userId: string, amountCents: string, at: string): DeliveryInput => ({ stream: `settings-${userId}`, key: userId, topic: 'user_settings', at, event: { type: 'ThresholdSet', data: { userId, amountCents } } });
// Transactions come from change data capture: produced straight to Kafka, no relay sequence.
const transaction = (userId: string, transactionId: string, amountCents: string, at: string): DeliveryInput => ({
  stream: `account-${userId}`,
  key: userId,
  topic: 'bank_transactions',
  telemetry: true,
  at,
  event: { type: 'TransactionRecorded', data: { userId, transactionId, amountCents } },
});

async function alertsFor(inputs: DeliveryInput[], options: { redeliver?: boolean } = {}) {
  const output = new RecordingEventStore();
  const definition = defineProcessor(largeTransactionAlerts, { eventStore: output, stateStore: new MemoryProcessorState() });
  const runner = new SimulatedRunner(definition, projectionContext(noDatabase, 1), { transactional: false });
  const input = deliveries(inputs, { startAt: '2025-03-01T00:00:00Z', partitions: 3 });
  await runner.deliverAll(input, 2);
  if (options.redeliver) await runner.deliverAll(input, 3);
  return output.events.map((e) => {
    const data = e.data as AlertRaised['data'];
    return `${data.transactionId} ${data.amountCents}>${data.thresholdCents} (cause ${e.causationId})`;
  });
}

describe('topology: large-transaction alerts (temporal join on event time)', () => {
  it('alerts on a transaction above the threshold in force, not on one at or below it', async () => {
    const alerts = await alertsFor([thresholdSet('u1', '100000', '10:00'), transaction('u1', 't1', '150000', '10:05'), transaction('u1', 't2', '100000', '10:06'), transaction('u2', 't3', '999999', '10:07')]);
    expect(alerts).toEqual(['t1 150000>100000 (cause evt-2)']);
  });

  it('never alerts on transactions that happened before the threshold was set', async () => {
    const alerts = await alertsFor([
      transaction('u1', 't1', '90000', '09:00'),
      transaction('u1', 't2', '500000', '09:10'),
      thresholdSet('u1', '10000', '09:30'), // set after t1 and t2: they stay un-alerted
      transaction('u1', 't3', '20000', '09:40'),
    ]);
    expect(alerts).toEqual(['t3 20000>10000 (cause evt-4)']);
  });

  it('judges a transaction that arrives late by the threshold in force when it happened', async () => {
    const alerts = await alertsFor([
      thresholdSet('u1', '100000', '10:00'),
      thresholdSet('u1', '200000', '11:00'),
      thresholdSet('u2', '100000', '10:00'),
      thresholdSet('u2', '10000', '11:00'),
      transaction('u1', 't1', '150000', '10:30'), // under the 1,000.00 in force at 10:30 → alert
      transaction('u1', 't2', '150000', '11:05'), // under 2,000.00 → none
      transaction('u2', 't3', '50000', '10:30'), // the later, lower threshold does not apply → none
    ]);
    expect(alerts).toEqual(['t1 150000>100000 (cause evt-5)']);
  });

  it('raises the alert when a threshold arrives after a transaction it governs, within lateness', async () => {
    const alerts = await alertsFor([transaction('u1', 't1', '150000', '12:05'), thresholdSet('u1', '100000', '12:00')]);
    expect(alerts).toEqual(['t1 150000>100000 (cause evt-2)']);
  });

  it('does not re-judge transactions older than the lateness bound', async () => {
    const alerts = await alertsFor([transaction('u1', 't1', '150000', '12:05'), transaction('u1', 't2', '1', '12:40'), thresholdSet('u1', '100000', '12:00')]);
    expect(alerts).toEqual([]);
  });

  it('alerts exactly once when both topics are delivered again', async () => {
    const inputs = [thresholdSet('u1', '100000', '10:00'), transaction('u1', 't1', '150000', '10:05'), transaction('u1', 't0', '150000', '09:55'), thresholdSet('u1', '1000', '09:50')];
    const once = await alertsFor(inputs);
    expect(once).toEqual(['t1 150000>100000 (cause evt-2)', 't0 150000>1000 (cause evt-4)']);
    expect(await alertsFor(inputs, { redeliver: true })).toEqual(once);
  });
});
