import { EventEnvelope } from '@streamfold/core';
import { TopicSpec } from '@streamfold/messaging';
import { OpsEventType } from './domain/ops.events';

export const OpsTopic = { alerts: 'ops_alerts' } as const;

/** Alerts are few and worth keeping: a month, keyed by service so each service's alerts stay in order. */
export const OPS_TOPICS: TopicSpec[] = [{ name: OpsTopic.alerts, partitions: 3, retentionMs: 30 * 24 * 3600 * 1000 }];

/** Where the relay publishes each ops event, and with which key. */
export function routeOpsEvent(envelope: EventEnvelope): { topic: string; key: string } | null {
  switch (envelope.type) {
    case OpsEventType.ErrorRateExceeded:
    case OpsEventType.ErrorRateRecovered:
      return { topic: OpsTopic.alerts, key: (envelope.data as { service: string }).service };
    default:
      return null;
  }
}
