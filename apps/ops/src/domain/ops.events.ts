import { DomainEvent, EventTypeDefinition } from '@streamfold/core';
import type { LogRecordedData, LogsDroppedData, MetricsSnapshotTakenData } from '@streamfold/eventstore';

/** Wire names are stable: never rename one, add a new type instead. */
export const OpsEventType = {
  ErrorRateExceeded: 'ops.ErrorRateExceeded',
  ErrorRateRecovered: 'ops.ErrorRateRecovered',
} as const;

/** A service's error ratio over the window, at the moment it crossed the level (ratio in [0, 1], not money). */
export interface ErrorRateData {
  service: string;
  ratio: number;
  lines: number;
  errors: number;
  threshold: number;
  windowStart: string;
  windowEnd: string;
}
export type ErrorRateExceeded = DomainEvent<typeof OpsEventType.ErrorRateExceeded, ErrorRateData>;
export type ErrorRateRecovered = DomainEvent<typeof OpsEventType.ErrorRateRecovered, ErrorRateData>;
export type OpsAlertEvent = ErrorRateExceeded | ErrorRateRecovered;

/** The framework's telemetry (libs/eventstore shipping), as this context reads it. */
export type LogRecorded = DomainEvent<'streamfold.LogRecorded', LogRecordedData>;
export type LogsDropped = DomainEvent<'streamfold.LogsDropped', LogsDroppedData>;
export type MetricsSnapshotTaken = DomainEvent<'streamfold.MetricsSnapshotTaken', MetricsSnapshotTakenData>;
export type LogEvent = LogRecorded | LogsDropped;

const validateRate = (data: any): string[] => {
  const problems: string[] = [];
  if (typeof data?.service !== 'string' || data.service.length === 0) problems.push('service must be a non-empty string');
  if (typeof data?.ratio !== 'number' || data.ratio < 0 || data.ratio > 1) problems.push('ratio must be a number in [0, 1]');
  for (const f of ['lines', 'errors']) if (!Number.isInteger(data?.[f]) || data[f] < 0) problems.push(`${f} must be a non-negative integer`);
  return problems;
};

export const OPS_EVENT_TYPES: EventTypeDefinition[] = [
  { type: OpsEventType.ErrorRateExceeded, validate: validateRate },
  { type: OpsEventType.ErrorRateRecovered, validate: validateRate },
];
