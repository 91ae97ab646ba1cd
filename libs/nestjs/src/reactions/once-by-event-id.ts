import type { Database } from '@streamfold/runtime';

/**
 * Runs a reaction's side effect unless it already ran for this event, and records it after it
 * succeeded (table `sf_reaction_receipts`). With at-least-once delivery this turns redeliveries
 * into no-ops; only a crash between the effect and its receipt repeats the effect once, which is
 * why receivers of notifications should also accept the event id as a de-duplication key.
 * Returns false when the effect had already run.
 */
export async function onceByEventId(db: Database, reaction: string, eventId: string, effect: () => Promise<void>): Promise<boolean> {
  const seen = await db.query('SELECT 1 FROM sf_reaction_receipts WHERE reaction = $1 AND event_id = $2', [reaction, eventId]);
  if ((seen.rowCount ?? 0) > 0) return false;
  await effect();
  await db.query('INSERT INTO sf_reaction_receipts (reaction, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [reaction, eventId]);
  return true;
}
