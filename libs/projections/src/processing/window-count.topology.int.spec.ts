import type { DomainEvent } from '@streamfold/core';
import { deliveries, DeliveryInput, MemoryProcessorState, noDatabase, RecordingEventStore, SimulatedRunner } from '@streamfold/testing';
import { projectionContext } from '../runner/consumer-id';
import type { Delivery } from '../projection';
import { defineProcessor, Processor, processorNamespace } from './processor';
import { add, closeWindows, current, emptyWindowedAggregate, slidingWindows, WindowedAggregate } from './windows';

// Topology: "likes per post in the past hour, by event time", refreshed every 15 minutes.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LATENESS = 10 * MINUTE;

type PostLiked = DomainEvent<'PostLiked', { postId: string }>;
type WindowCounted = DomainEvent<'WindowCounted', { key: string; windowStart: string; windowEnd: string; count: number }>;

const iso = (ms: number) => new Date(ms).toISOString();
const postOf = (d: Delivery) => (d.envelope.data as PostLiked['data']).postId;

const likesPerHour: Processor<WindowedAggregate<string, number>, WindowCounted> = {
  name: 'test.likes_per_hour',
  topics: ['likes'],
  handles: ['PostLiked'],
  keyOf: postOf,
  initialState: () => emptyWindowedAggregate(slidingWindows(HOUR, 15 * MINUTE)),
  process(state, delivery) {
    const added = add(state, postOf(delivery), Date.parse(delivery.envelope.occurredAt), 1, { allowedLatenessMs: LATENESS });
    if (!added.accepted) return { state, ignored: `late: ${delivery.envelope.occurredAt} is behind the watermark ${iso(added.watermarkMs)}` };
    const { state: next, closed } = closeWindows(added.state);
    return {
      state: next,
      emit: closed.map((c) => ({
        streamId: `likes-per-hour-${c.key}`,
        type: 'WindowCounted' as const,
        data: { key: c.key, windowStart: iso(c.window.start), windowEnd: iso(c.window.end), count: c.value },
      })),
    };
  },
};

const liked = (postId: string, at: string): DeliveryInput => ({ stream: `like-${postId}-${at}`, key: postId, topic: 'likes', event: { type: 'PostLiked', data: { postId } }, at });

const feed = () =>
  deliveries(
    [
      liked('p1', '12:00'),
      liked('p1', '12:20'),
      liked('p1', '12:05'), // out of order, within lateness
      liked('p2', '12:10'),
      liked('p1', '13:30'), // watermark of p1 → 13:20: windows ending by then are final
      liked('p1', '12:10'), // 80 minutes behind: every window of it is final → rejected
      liked('p1', '13:22'), // 8 minutes behind, window [12:30, 13:30) still open → counted
      liked('p1', '14:40'), // watermark → 14:30
    ],
    { startAt: '2025-03-01T00:00:00Z', partitions: 2 },
  );

async function run(redeliver: boolean) {
  const stateStore = new MemoryProcessorState();
  const output = new RecordingEventStore();
  const ignored: Array<{ at: string; reason: string }> = [];
  const definition = defineProcessor(likesPerHour, { eventStore: output, stateStore, onIgnored: (d, reason) => ignored.push({ at: d.envelope.occurredAt, reason }) });
  const runner = new SimulatedRunner(definition, projectionContext(noDatabase, 1), { transactional: false });
  const input = feed();
  await runner.deliverAll(input, 3);
  if (redeliver) await runner.deliverAll(input, 2);
  const counts = output.events.map(({ streamId, data }) => {
    const { windowStart, windowEnd, count } = data as WindowCounted['data'];
    return `${windowStart.slice(11, 16)}-${windowEnd.slice(11, 16)} ${streamId}=${count}`;
  });
  return { input, output, counts, ignored, stateStore };
}

describe('topology: likes per post in the past hour (sliding event-time windows)', () => {
  it('emits each final window once, counting out-of-order likes within lateness and rejecting the one beyond it', async () => {
    const { counts, ignored } = await run(false);
    expect(counts).toEqual([
      // closed by the 13:30 like: 12:05 counted although it arrived after 12:20
      '11:15-12:15 likes-per-hour-p1=2',
      '11:30-12:30 likes-per-hour-p1=3',
      '11:45-12:45 likes-per-hour-p1=3',
      '12:00-13:00 likes-per-hour-p1=3',
      '12:15-13:15 likes-per-hour-p1=1',
      // closed by the 14:40 like: the late-but-within-bound 13:22 is in
      '12:30-13:30 likes-per-hour-p1=1',
      '12:45-13:45 likes-per-hour-p1=2',
      '13:00-14:00 likes-per-hour-p1=2',
      '13:15-14:15 likes-per-hour-p1=2',
      '13:30-14:30 likes-per-hour-p1=1',
    ]);
    expect(ignored).toEqual([{ at: '2025-03-01T12:10:00.000Z', reason: 'late: 2025-03-01T12:10:00.000Z is behind the watermark 2025-03-01T13:20:00.000Z' }]);
  });

  it('stamps results with the event time and id of the event that closed them', async () => {
    const { output, input } = await run(false);
    const closer = input[4].envelope;
    const first = output.appends[0];
    expect(first.options).toEqual({
      expectedVersion: 'any',
      sql: noDatabase,
      savepoint: false,
      metadata: { causationId: closer.eventId, correlationId: closer.eventId, actor: 'test.likes_per_hour', occurredAt: new Date('2025-03-01T13:30:00.000Z') },
    });
    expect(first.events).toHaveLength(5);
  });

  it('keeps a watermark per post: a quiet post keeps its window open and live', async () => {
    const { counts, stateStore } = await run(false);
    expect(counts.some((c) => c.includes('p2'))).toBe(false);
    const p2 = stateStore.get<WindowedAggregate<string, number>>(processorNamespace('test.likes_per_hour', 1), 'p2')!;
    expect(current(p2, Date.parse('2025-03-01T12:50:00Z')).values).toEqual({ p2: 1 });
    const p1 = stateStore.get<WindowedAggregate<string, number>>(processorNamespace('test.likes_per_hour', 1), 'p1')!;
    expect(current(p1, Date.parse('2025-03-01T14:41:00Z'))).toEqual({ window: { start: Date.parse('2025-03-01T13:45:00Z'), end: Date.parse('2025-03-01T14:45:00Z') }, values: { p1: 1 } });
  });

  it('emits nothing twice when every like is delivered again', async () => {
    const once = await run(false);
    const twice = await run(true);
    expect(twice.counts).toEqual(once.counts);
    expect(twice.ignored).toEqual(once.ignored);
  });
});
