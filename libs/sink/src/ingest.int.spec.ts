import { fromWire } from '@streamfold/core';
import { TelemetryProducer } from '@streamfold/eventstore';
import { EmbeddedMessageLog, LogMessage } from '@streamfold/messaging';
import { Ingestor, IngestStream } from './ingest';

const positions: IngestStream = {
  topic: 'taxi_position',
  type: 'taxi.PositionReported',
  validate: (r) => (typeof (r as { taxiId?: unknown }).taxiId === 'string' ? [] : ['taxiId must be a string']),
  key: (r) => r.taxiId as string,
};

describe('Ingestor (POST /ingest/:stream without the HTTP)', () => {
  let log: EmbeddedMessageLog;
  let producer: TelemetryProducer;
  beforeEach(async () => {
    log = new EmbeddedMessageLog();
    await log.ensureTopics([{ name: 'taxi_position', partitions: 2 }]);
    producer = new TelemetryProducer(log, { lingerMs: 1 });
  });
  afterEach(async () => {
    await producer.close();
    await log.close();
  });

  async function onLog(): Promise<LogMessage[]> {
    const messages: LogMessage[] = [];
    const handle = await log.consume({ groupId: 'check', topics: ['taxi_position'], eachBatch: async (b) => void messages.push(...b.messages) });
    await new Promise((r) => setTimeout(r, 100));
    await handle.stop();
    return messages;
  }

  it('answers 202 once the records are on the log, as envelopes of the stream type', async () => {
    const ingestor = new Ingestor({ producer, streams: { positions } });
    const at = new Date(Date.now() - 60_000).toISOString();
    const outcome = await ingestor.ingest('positions', [{ taxiId: 't1', lat: 1, occurredAt: at }, { taxiId: 't2', lat: 2 }]);
    expect(outcome).toEqual({ status: 202, accepted: 2 });
    const messages = await onLog();
    expect(messages.map((m) => fromWire(m.value).envelope.type)).toEqual(['taxi.PositionReported', 'taxi.PositionReported']);
    expect(messages.find((m) => m.key === 't1') && fromWire(messages.find((m) => m.key === 't1')!.value).envelope.occurredAt).toBe(at);
  });

  it('refuses unknown streams, invalid records, oversized and saturated requests without publishing', async () => {
    const ingestor = new Ingestor({ producer, streams: { positions }, maxRecords: 3, maxBuffered: 2 });
    expect(await ingestor.ingest('nope', [{}])).toMatchObject({ status: 404 });
    expect(await ingestor.ingest('positions', [{ taxiId: 't1' }, { taxiId: 5 }, { taxiId: 't3', occurredAt: new Date(Date.now() + 3600_000).toISOString() }])).toEqual({
      status: 400, errors: [{ index: 1, problems: ['taxiId must be a string'] }, { index: 2, problems: ['occurredAt is in the future'] }],
    });
    expect(await ingestor.ingest('positions', [{}, {}, {}, {}])).toMatchObject({ status: 413 });
    expect(await ingestor.ingest('positions', [{ taxiId: 'a' }], 2 * 1024 * 1024)).toMatchObject({ status: 413 });
    expect(await ingestor.ingest('positions', [{ taxiId: 'a' }, { taxiId: 'b' }, { taxiId: 'c' }])).toEqual({ status: 429, error: expect.any(String), retryAfterSeconds: 1 });
    expect(await onLog()).toEqual([]);
  });
});
