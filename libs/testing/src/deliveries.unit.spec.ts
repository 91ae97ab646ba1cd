import { projectionContext, type ProjectionDefinition } from '@streamfold/projections';
import { Checkpoints } from './checkpoints';
import { deliveries } from './deliveries';
import { noDatabase, SimulatedRunner, toBatches } from './simulated-runner';

const liked = (postId: string) => ({ type: 'PostLiked', data: { postId } });

describe('deliveries', () => {
  it('assigns ids, positions, sequences and per-partition offsets in list order', () => {
    const list = deliveries(
      [
        { stream: 'post-1', event: liked('1'), at: '10:05', partition: 0 },
        { stream: 'post-2', event: liked('2'), partition: 1 },
        { stream: 'post-1', event: liked('1'), at: '2025-01-01T09:00:00Z', partition: 0 },
      ],
      { topic: 'likes', partitions: 2, startAt: '2025-01-01T00:00:00Z' },
    );
    expect(list.map((d) => [d.envelope.eventId, d.topic, d.partition, d.offset, d.envelope.streamPosition, d.envelope.globalPosition, d.sequence?.position])).toEqual([
      ['evt-1', 'likes', 0, 0, 1, '1', '1'],
      ['evt-2', 'likes', 1, 0, 1, '2', '2'],
      ['evt-3', 'likes', 0, 1, 2, '3', '3'],
    ]);
    expect(list.map((d) => d.envelope.occurredAt)).toEqual(['2025-01-01T10:05:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T09:00:00.000Z']);
    expect(list[2].envelope.recordedAt).toBe('2025-01-01T00:00:02.000Z');
  });

  it('keeps one key on one partition and gives telemetry no positions or sequence', () => {
    const list = deliveries(
      Array.from({ length: 6 }, (_, i) => ({ stream: `taxi-${i % 2}`, event: { type: 'TaxiMoved', data: {} }, telemetry: true })),
      { partitions: 4 },
    );
    expect(new Set(list.filter((d) => d.key === 'taxi-0').map((d) => d.partition)).size).toBe(1);
    expect(list.every((d) => d.sequence === null && d.envelope.streamPosition === null && d.envelope.globalPosition === null)).toBe(true);
  });

  it('refuses an unreadable event time', () => {
    expect(() => deliveries([{ stream: 's', event: liked('1'), at: 'noon' }])).toThrow(/cannot read event time/);
  });
});

describe('the runner rule (Checkpoints, SimulatedRunner)', () => {
  const list = deliveries([1, 2, 3].map((n) => ({ stream: 'post-1', event: liked(String(n)) })));

  it('drops redelivered offsets and relay re-sends (same sequence, new offset)', () => {
    const cp = new Checkpoints();
    const first = cp.filter(list.slice(0, 2));
    expect(first.fresh).toHaveLength(2);
    cp.commit(first.pending);
    expect(cp.filter(list).fresh.map((d) => d.offset)).toEqual([2]);
    const resent = cp.filter([{ ...list[1], offset: 7 }]);
    expect(resent.fresh).toEqual([]);
    expect(resent.pending.get('events/0')).toEqual({ nextOffset: 8, sequence: { txId: '2', position: '2' } });
  });

  it('de-duplicates telemetry by offset alone', () => {
    const telemetry = deliveries([{ stream: 't', event: liked('1'), telemetry: true }, { stream: 't', event: liked('2'), telemetry: true }]);
    const cp = new Checkpoints();
    expect(cp.filter([telemetry[0], telemetry[0], telemetry[1]]).fresh).toEqual(telemetry);
  });

  it('keeps the checkpoint where it was when a batch rolls back, and skips unhandled types', async () => {
    const seen: string[][] = [];
    const definition: ProjectionDefinition = {
      name: 't',
      kind: 'projection',
      topics: ['events'],
      tables: [],
      handles: ['PostLiked'],
      setup: async () => undefined,
      apply: async (batch) => void seen.push(batch.map((d) => d.envelope.eventId)),
    };
    const statements: string[] = [];
    const sql = { query: async (text: string) => (statements.push(text), { rows: [], rowCount: 0 }) } as unknown as typeof noDatabase;
    const runner = new SimulatedRunner(definition, projectionContext(sql, 1));
    const mixed = deliveries([{ stream: 'a', event: liked('1') }, { stream: 'a', event: { type: 'PostCreated', data: {} } }, { stream: 'a', event: liked('2') }]);
    await runner.deliver(mixed, 'rollback');
    await runner.deliver(mixed);
    expect(seen).toEqual([
      ['evt-1', 'evt-3'],
      ['evt-1', 'evt-3'],
    ]);
    expect(statements).toEqual(['BEGIN', 'ROLLBACK', 'BEGIN', 'COMMIT']);
    expect(runner.checkpoints.get('events', 0)).toEqual({ nextOffset: 3, sequence: { txId: '3', position: '3' } });
  });

  it('cuts batches at partition changes and at the batch size', () => {
    const two = deliveries(['a', 'a', 'b', 'a', 'a', 'a'].map((p, i) => ({ stream: `s${i}`, event: liked(p), partition: p === 'a' ? 0 : 1 })));
    expect(toBatches(two, 2).map((b) => b.map((d) => d.offset))).toEqual([[0, 1], [0], [2, 3], [4]]);
  });
});
