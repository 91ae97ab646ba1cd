/** The ops context's real rules and configuration, for tests that predict what it must produce. */
export { INITIAL_ERROR_RATE, isErrorLevel, observeLine } from '../../apps/ops/src/domain/error-rate';
export { loadOpsConfig as loadOpsConfigForTest } from '../../apps/ops/src/ops.config';
