import { Delivery, projectionContext, temporalTable } from '@streamfold/projections';
import { deliveries, DeliveryInput, MemoryProcessorState, RecordingEventStore } from '@streamfold/testing';
import { gridDistance } from 'h3-js';
import { DEFAULT_TARIFF, estimateMinor } from '../domain/fare';
import { LatLng, surgeRegion } from '../domain/geo';
import { DEFAULT_SURGE_RULES } from '../domain/surge';
import { RideRequested, SurgeChanged, TaxiEventType as T, TaxiPositionReported } from '../domain/taxi.events';
import { seededRandom } from '../simulator/city';
import { TaxiTopic } from '../taxi.topics';
import { surgeProcessor } from './surge.processor';

const T0 = Date.parse('2026-03-02T18:00:00Z');
const STADIUM: LatLng = { lat: 48.82, lng: 2.41 };
const FAR: LatLng = { lat: 48.9, lng: 2.28 };

const request = (id: string, at: number, p: LatLng): DeliveryInput<RideRequested> => ({
  event: { type: T.RideRequested, data: { rideId: id, riderId: `r-${id}`, pickup: p, dropoff: FAR, region: surgeRegion(p), surgeTenths: 10, estimateMinor: 1 } },
  stream: `taxi-ride-${id}`,
  topic: TaxiTopic.rides,
  at,
});
const position = (taxiId: string, at: number, p: LatLng, available = true): DeliveryInput<TaxiPositionReported> => ({
  event: { type: T.TaxiPositionReported, data: { taxiId, ...p, available } },
  stream: taxiId,
  topic: TaxiTopic.taxiPosition,
  telemetry: true,
  at,
});

/** Runs the processor over the deliveries in batches, as the runner would, and returns what it appended. */
async function run(input: Delivery[], batchSize: number): Promise<Array<SurgeChanged & { at: number }>> {
  const store = new RecordingEventStore();
  const processor = surgeProcessor(DEFAULT_SURGE_RULES, { eventStore: store, stateStore: new MemoryProcessorState() });
  const ctx = projectionContext({ query: async () => ({ rows: [] }) } as never, 1);
  for (let i = 0; i < input.length; i += batchSize) await processor.apply(input.slice(i, i + batchSize) as never, ctx);
  return store.appends.flatMap((a) => a.events.map((e) => ({ ...(e as SurgeChanged), at: a.options.metadata!.occurredAt!.getTime() })));
}

describe('surge processor', () => {
  it('raises the surge where demand rises, and neither in a far cell nor beyond the smoothing ring', async () => {
    const inputs: DeliveryInput[] = [
      ...Array.from({ length: 4 }, (_, i) => position(`stadium-taxi-${i}`, T0 + i * 1000, STADIUM)),
      ...Array.from({ length: 4 }, (_, i) => position(`far-taxi-${i}`, T0 + i * 1000, FAR)),
      ...Array.from({ length: 30 }, (_, i) => request(`s${i}`, T0 + 10_000 + i * 5_000, STADIUM)),
      request('f1', T0 + 20_000, FAR),
    ];
    const emitted = await run(deliveries(inputs), 10);
    const home = surgeRegion(STADIUM);
    const atHome = emitted.filter((e) => e.data.region === home);
    expect(atHome.length).toBeGreaterThan(0);
    expect(atHome.at(-1)!.data.surgeTenths).toBe(30); // 30 requests against 4 drivers: capped at ×3.0
    expect(emitted.some((e) => e.data.region === surgeRegion(FAR))).toBe(false);
    // Smoothing reaches the six neighbours (weight 0.5) and nothing beyond them.
    expect(emitted.every((e) => gridDistance(home, e.data.region) <= 1)).toBe(true);
    // Each change moved by at least 0.1 from the previous one of its region.
    for (const e of emitted) expect(Math.abs(e.data.surgeTenths - e.data.previousTenths)).toBeGreaterThanOrEqual(1);
  });

  it('quotes follow the surge in force at each request\'s event time, identically in a replay', async () => {
    const random = seededRandom(99);
    const inputs: DeliveryInput[] = [];
    // An evening: demand at the stadium swells to a peak and ebbs while 6 taxis stay around.
    for (let s = 0; s < 3600; s += 20) {
      inputs.push(position(`taxi-${(s / 20) % 6}`, T0 + s * 1000, STADIUM));
      const rate = Math.max(0, Math.sin((Math.PI * s) / 3600)) * 0.9;
      if (random() < rate) inputs.push(request(`q${s}`, T0 + s * 1000 + 500, STADIUM));
    }
    const log = deliveries(inputs);
    const live = await run(log, 25);
    const replay = await run(log, 25);
    expect(replay).toEqual(live);

    // The quote joins a request's event time with the surge history (what surgeAt does in SQL),
    // built here from the changes in shuffled arrival order: the answer does not depend on it.
    let history = temporalTable.emptyTemporalTable<number>();
    for (const e of [...live].sort(() => random() - 0.5)) history = temporalTable.upsert(history, e.data.region, e.data.surgeTenths, e.at);
    const region = surgeRegion(STADIUM);
    const quotes = log
      .filter((d): d is Delivery<RideRequested> => d.envelope.type === T.RideRequested)
      .map((d) => {
        const at = Date.parse(d.envelope.occurredAt);
        const surge = temporalTable.lookup(history, region, at) ?? 10;
        const inForce = live.filter((e) => e.data.region === region && e.at <= at).at(-1)?.data.surgeTenths ?? 10;
        expect(surge).toBe(inForce);
        return { surge, price: estimateMinor(DEFAULT_TARIFF, STADIUM, FAR, surge) };
      });
    const surges = new Set(quotes.map((q) => q.surge));
    expect(surges.size).toBeGreaterThan(2); // prices moved with the evening, not one "current" surge
    expect(Math.max(...quotes.map((q) => q.price))).toBeGreaterThan(Math.min(...quotes.map((q) => q.price)));
  });
});
