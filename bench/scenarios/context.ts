import type { Details, Plan, Row, ScenarioKey } from '../lib/scenarios';

export interface Context {
  brokers: string[];
  /** Topic and group prefix of this run (deleted at the end). */
  prefix: string;
  plan: Plan;
  profile: boolean;
  /** Creates a fresh database (dropped at the end) and returns its URL. */
  db(label: string): Promise<string>;
  rows: Partial<Record<ScenarioKey, Row>>;
  details: Partial<Record<ScenarioKey, Details>>;
}

/**
 * The topic prefix of a scenario that runs the whole host (every context's projections): its own,
 * under the run's. On the run's prefix, such a host also subscribed to the topics other scenarios
 * filled (the fold's 1,000,000 likes on `<prefix>likes`), and its social projections ground
 * through them while the scenario measured something else (2026-12-02: the taxi scenario's
 * "projections did not catch up", MovieFlix's "resume caught up with 0/1809 viewers" and the logs
 * worker's 100 % CPU in record decoding, all only in full runs). Cleaned up with the run's prefix.
 */
export function ownPrefix(ctx: Pick<Context, 'prefix'>, scenario: string): string {
  return `${ctx.prefix}${scenario}.`;
}
