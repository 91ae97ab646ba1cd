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
