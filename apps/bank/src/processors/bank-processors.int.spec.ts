import type { LogMessage } from '@streamfold/messaging';
import { defineProcessor, projectionContext } from '@streamfold/projections';
import { deliveries, DeliveryInput, MemoryProcessorState, noDatabase, RecordingEventStore, SimulatedRunner } from '@streamfold/testing';
import { BankEventType as T, LargeTransactionDetected, TransactionRecorded } from '../domain/bank.events';
import { cdcTransactionsProcessor } from './cdc-transactions.processor';
import { decodeCoreRowChange } from './debezium-envelope';
import { largeTransactionsProcessor } from './large-transactions.processor';

// What Debezium 3.6 wrote on this machine for an INSERT (JSON converter, schemas disabled).
const debezium = (id: number, amount: string, op = 'c', lsn = 26550968 + id, userId = 'u1') =>
  JSON.stringify({
    before: null,
    after: { id, account_id: 1, user_id: userId, amount, currency: 'USD', status: 'posted', created_at: '2026-12-01T14:19:53.727818Z' },
    source: { version: '3.6.1.Final', connector: 'postgresql', name: 'corebank', ts_ms: 1796134793728, snapshot: 'false', db: 'corebank', schema: 'public', table: 'transactions', txId: 731, lsn },
    op,
    ts_ms: 1796134794112,
  });
const message = (offset: number, value: string): LogMessage => ({ topic: 'corebank.public.transactions', partition: 0, offset, key: '{"id":1}', value: Buffer.from(value), headers: {}, timestamp: 0 });

describe('CDC processor: Debezium change events → TransactionRecorded', () => {
  it('decodes the envelope with the commit time as event time and the LSN as source position; skips tombstones', () => {
    const envelope = decodeCoreRowChange(message(0, debezium(2, '20.00')))!;
    expect(envelope).toMatchObject({ occurredAt: '2026-12-01T14:19:53.728Z', eventId: 'corebank-26550970-2-c', data: { op: 'c', lsn: '26550970', txId: '731' } });
    expect(decodeCoreRowChange(message(1, ''))).toBeNull();
    expect(() => decodeCoreRowChange(message(2, '{"hello":1}'))).toThrow(/not a Debezium change event/);
  });

  it('records each transaction once, however often Connect re-sends it (new offsets, same row)', async () => {
    const output = new RecordingEventStore();
    const definition = defineProcessor(cdcTransactionsProcessor, { eventStore: output, stateStore: new MemoryProcessorState() });
    const runner = new SimulatedRunner(definition, projectionContext(noDatabase, 1), { transactional: false });
    const raw = [debezium(1, '1500.5'), debezium(2, '20.00'), debezium(1, '1500.5'), debezium(3, '7.00', 'u'), debezium(2, '20.00')];
    const batch = raw.map((v, i) => {
      const envelope = decodeCoreRowChange(message(i, v))!;
      return { envelope, topic: 'corebank.public.transactions', partition: 0, offset: i, key: null, sequence: null } as never;
    });
    await runner.deliverAll(batch, 2);
    expect(output.events.map((e) => (e.data as TransactionRecorded['data']).transactionId)).toEqual(['1', '2']);
    expect(output.events[0]).toMatchObject({ type: T.TransactionRecorded, data: { amount: '1500.50', lsn: '26550969', committedAt: '2026-12-01T14:19:53.728Z', source: 'debezium' } });
  });
});

const threshold = (type: string, amount: string | null, at: string, currency = 'USD'): DeliveryInput => ({
  stream: 'user-settings-u1',
  key: 'u1',
  topic: 'user_settings',
  at,
  event: { type, data: { userId: 'u1', currency, amount, previousAmount: '1.00', at } },
});
const tx = (id: string, amount: string, at: string, currency = 'USD'): DeliveryInput => ({
  stream: `bank-transaction-${id}`,
  key: 'u1',
  topic: 'bank_transactions',
  at,
  event: { type: T.TransactionRecorded, data: { transactionId: id, userId: 'u1', amount, currency } },
});

async function alerts(inputs: DeliveryInput[], redeliver = false): Promise<string[]> {
  const output = new RecordingEventStore();
  const definition = defineProcessor(largeTransactionsProcessor, { eventStore: output, stateStore: new MemoryProcessorState() });
  const runner = new SimulatedRunner(definition, projectionContext(noDatabase, 1), { transactional: false });
  const input = deliveries(inputs, { startAt: '2026-03-01T00:00:00Z', partitions: 2 });
  await runner.deliverAll(input, 2);
  if (redeliver) await runner.deliverAll(input, 3);
  return output.events.map((e) => {
    const a = e.data as LargeTransactionDetected['data'];
    return `${a.transactionId} ${a.amount}>${a.threshold}`;
  });
}

describe('alert processor: temporal join of transactions with the threshold in force at commit time', () => {
  it('never alerts on transactions committed before a threshold that arrives first (a paused connector)', async () => {
    // Committed 10:00-10:01 while the connector was paused; the threshold was enabled at 10:05
    // and reached the processor first; the transactions arrive after, then a later one.
    const got = await alerts([
      threshold(T.ThresholdEnabled, '100.00', '10:05'),
      tx('1', '5000.00', '10:00'),
      tx('2', '9000.00', '10:01'),
      tx('3', '150.00', '10:06'),
    ]);
    expect(got).toEqual(['3 150.00>100.00']);
  });

  it('uses the version in force: a lowered threshold applies from its time on, a disabled one stops alerts', async () => {
    const got = await alerts([
      threshold(T.ThresholdEnabled, '1000.00', '09:00'),
      threshold(T.ThresholdChanged, '100.00', '10:00'),
      threshold(T.ThresholdDisabled, null, '11:00'),
      tx('1', '500.00', '09:30'),
      tx('2', '500.00', '10:30'),
      tx('3', '5000.00', '11:30'),
      tx('4', '5000.00', '10:45', 'EUR'),
    ]);
    expect(got).toEqual(['2 500.00>100.00']);
  });

  it('alerts exactly once per transaction when both topics are delivered again', async () => {
    const inputs = [threshold(T.ThresholdEnabled, '10.00', '10:00'), tx('1', '10.01', '10:01'), tx('2', '10.00', '10:02'), tx('0', '99.00', '10:00:30')];
    const once = await alerts(inputs);
    expect(once).toEqual(['1 10.01>10.00', '0 99.00>10.00']);
    expect(await alerts(inputs, true)).toEqual(once);
  });
});
