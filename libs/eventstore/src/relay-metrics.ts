import { Counter, Gauge, Registry } from 'prom-client';

/** Prometheus instruments of the relays of one registry, shared so several relays can register. */
export interface RelayMetrics {
  relayed: Counter<'relay'>;
  lag: Gauge<'relay'>;
}

export function relayMetrics(registry: Registry): RelayMetrics {
  const relayed =
    (registry.getSingleMetric('streamfold_relay_events_total') as Counter<'relay'> | undefined) ??
    new Counter({ name: 'streamfold_relay_events_total', help: 'Events the relay published to the log', labelNames: ['relay'], registers: [registry] });
  const lag =
    (registry.getSingleMetric('streamfold_relay_lag_events') as Gauge<'relay'> | undefined) ??
    new Gauge({ name: 'streamfold_relay_lag_events', help: 'Events in the store the relay has not published yet', labelNames: ['relay'], registers: [registry] });
  return { relayed, lag };
}
