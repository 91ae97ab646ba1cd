import { APP_LOGS_TOPIC } from '@streamfold/eventstore';
import { Processor } from '@streamfold/projections';
import { ErrorRatePolicy, ErrorRateState, INITIAL_ERROR_RATE, isErrorLevel, observeLine } from '../domain/error-rate';
import { LogRecorded, OpsAlertEvent, OpsEventType } from '../domain/ops.events';

/**
 * Per service (the key of app_logs), folds each log line into the five-minute error window and
 * emits ErrorRateExceeded / ErrorRateRecovered when the ratio crosses the policy's level. Per
 * delivery rather than per batch: a spike that comes and goes inside one batch still alerts, and
 * a replay emits the same alerts whatever the batch sizes.
 */
export function errorRateProcessor(policy: ErrorRatePolicy): Processor<ErrorRateState, OpsAlertEvent, LogRecorded> {
  return {
    name: 'ops.error_rate',
    topics: [APP_LOGS_TOPIC.name],
    handles: ['streamfold.LogRecorded'],
    keyOf: (d) => d.envelope.data.service,
    initialState: () => INITIAL_ERROR_RATE,
    process(state, { envelope }) {
      const { service, level } = envelope.data;
      const result = observeLine(state, Date.parse(envelope.occurredAt), isErrorLevel(level), policy);
      if (!result.change) return { state: result.state, ignored: result.ignored };
      const { kind, ratio, lines, errors, windowStart, windowEnd } = result.change;
      const data = {
        service,
        ratio,
        lines,
        errors,
        threshold: policy.threshold,
        windowStart: new Date(windowStart).toISOString(),
        windowEnd: new Date(windowEnd).toISOString(),
      };
      const type = kind === 'exceeded' ? OpsEventType.ErrorRateExceeded : OpsEventType.ErrorRateRecovered;
      return { state: result.state, emit: [{ type, data, streamId: `ops-alert-${service}` } as OpsAlertEvent & { streamId: string }] };
    },
  };
}
