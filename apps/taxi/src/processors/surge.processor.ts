import type { EventStore } from '@streamfold/eventstore';
import { appendCaused, Delivery, postgresProcessorState, ProcessorStateStore, processorNamespace, ProjectionDefinition } from '@streamfold/projections';
import { surgeRegion } from '../domain/geo';
import { emptyRegion, foldSurgeInPlace, pruneSurge, RegionSurge, smoothingTargets, SurgeInput, SurgeRules, surgeToEmit } from '../domain/surge';
import { RideRequested, SurgeChanged, TaxiEventType as T, TaxiPositionReported } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';

type In = RideRequested | TaxiPositionReported;

/** The inputs one delivery scatters: itself at weight 1 in its region, at neighbourWeight in each neighbour. */
export function surgeInputs(delivery: Delivery<In>, rules: SurgeRules): Array<{ region: string; input: SurgeInput }> {
  const e = delivery.envelope;
  const atMs = Date.parse(e.occurredAt);
  const home = e.type === T.RideRequested ? e.data.region : surgeRegion(e.data);
  return smoothingTargets(home, rules).map(({ region, weight }) => ({
    region,
    input: e.type === T.RideRequested ? { kind: 'request', atMs, weight } : { kind: 'driver', atMs, weight, taxiId: e.data.taxiId, available: e.data.available },
  }));
}

/**
 * Surge per resolution-7 region over a sliding event-time window (domain/surge.ts): ride requests
 * are demand, drivers reporting themselves available are supply, both smoothed over the six
 * neighbouring regions. After each batch, every region it touched whose multiplier moved by at
 * least 0.1 emits SurgeChanged (stream `taxi-surge-<region>`, topic surge_pricing, key region),
 * timed as the event that moved it, so the surge history is in event time.
 *
 * Written on keyedStateDefinition's parts rather than as a `Processor` because one delivery
 * updates seven keys (its region and the ring around it); state, output and checkpoint still
 * commit in the batch's transaction, so each delivery counts exactly once.
 */
export function surgeProcessor(rules: SurgeRules, deps: { eventStore: Pick<EventStore, 'append'>; stateStore?: ProcessorStateStore }): ProjectionDefinition<In> {
  const store = deps.stateStore ?? postgresProcessorState;
  const name = 'taxi.surge_pricing';
  return {
    name,
    kind: 'processor',
    topics: [TaxiTopic.rides, TaxiTopic.taxiPosition],
    tables: [],
    handles: [T.RideRequested, T.TaxiPositionReported],
    async setup() {},
    async apply(deliveries, ctx) {
      if (deliveries.length === 0) return;
      const namespace = processorNamespace(name, ctx.version);
      const scattered = deliveries.map((d) => ({ delivery: d, inputs: surgeInputs(d, rules) }));
      const keys = [...new Set(scattered.flatMap((s) => s.inputs.map((i) => i.region)))];
      const stored = (await store.load(ctx.sql, namespace, keys)) as Map<string, RegionSurge>;
      const states = new Map<string, RegionSurge>();
      const cause = new Map<string, Delivery<In>>();
      for (const { delivery, inputs } of scattered) {
        for (const { region, input } of inputs) {
          // The stored state is this batch's own copy (loaded from jsonb), so it is folded in place.
          let state = states.get(region);
          if (!state) states.set(region, (state = stored.get(region) ?? emptyRegion(rules)));
          foldSurgeInPlace(state, input, rules);
          // The change is timed as the newest event that touched the region: that is when it took effect.
          const previous = cause.get(region);
          if (!previous || delivery.envelope.occurredAt >= previous.envelope.occurredAt) cause.set(region, delivery);
        }
      }
      const emitted: Array<{ region: string; event: SurgeChanged }> = [];
      for (const [region, state] of states) {
        pruneSurge(state, rules);
        const change = surgeToEmit(state, rules);
        if (!change) continue;
        emitted.push({
          region,
          event: { type: T.SurgeChanged, data: { region, surgeTenths: change.tenths, previousTenths: state.tenths, demand: round(change.demand), supply: round(change.supply), windowEndMs: state.watermarkMs } },
        });
        states.set(region, { ...state, tenths: change.tenths });
      }
      await store.save(ctx.sql, namespace, [...states].map(([key, state]) => ({ key, state })));
      for (const { region, event } of emitted) await appendCaused(deps.eventStore, ctx, name, cause.get(region)!, `taxi-surge-${region}`, [event]);
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
