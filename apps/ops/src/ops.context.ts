import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { defineContext } from '@streamfold/nestjs';
import { defineProcessor } from '@streamfold/projections';
import { OpsLogsCommand } from './cli/ops-logs.command';
import { OPS_EVENT_TYPES } from './domain/ops.events';
import { loadOpsConfig } from './ops.config';
import { OPS_TOPICS, routeOpsEvent } from './ops.topics';
import { errorRateProcessor } from './processors/error-rate.processor';
import { logCountsProjection } from './read-models/log-counts.projection';
import { logSearchProjection } from './read-models/log-search.projection';
import { requestMetricsProjection } from './read-models/request-metrics.projection';

// Read when the host module is loaded, so a bad OPS_* variable stops the boot with one line.
const config = loadOpsConfig();
// Alerts are appended in the batch's transaction, validated like any append (no dual write).
const emitter = transactionalAppender(new EventRegistry().register(...OPS_EVENT_TYPES));

/**
 * Logging and metrics: reads the framework's `app_logs` and `app_metrics` (every Streamfold
 * process ships to them), folds counts, error ratios and merged latency histograms per service and
 * minute of event time, keeps recent lines searchable, and alerts on error ratios on `ops_alerts`.
 */
export const opsContext = defineContext({
  name: 'ops',
  events: OPS_EVENT_TYPES,
  streams: ['ops-alert'],
  topics: OPS_TOPICS,
  route: routeOpsEvent,
  projections: [
    logCountsProjection,
    logSearchProjection(config.logRetentionMs),
    requestMetricsProjection,
    defineProcessor(errorRateProcessor(config.errorRate), { eventStore: emitter }),
  ],
  commands: [OpsLogsCommand],
});
