import { MigrationInterface, QueryRunner } from 'typeorm';
import { NO_EVENTS_MARK, NO_EVENTS_REFUSED } from '../database';
import { horizonFunction } from './1764500000000-database-horizon';

/**
 * Transactions that append no events (`TransactionOptions.appendsEvents: false`, a read model's
 * batch) no longer hold back the relay: `sf_database_horizon()` leaves out sessions whose
 * application_name ends with NO_EVENTS_MARK, and a statement trigger on `sf_events` refuses an insert from one,
 * so leaving them out cannot skip an event. Before, every projection transaction of the database
 * held the horizon for its length (lock, apply, save, commit and its WAL flush), and appends
 * committed meanwhile waited for it: the tail of the like's "stored → relayed" stage.
 */
export class NoEventsTransactions1764600000000 implements MigrationInterface {
  name = 'NoEventsTransactions1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION sf_refuse_events_in_no_events_transaction() RETURNS trigger LANGUAGE plpgsql AS $body$
      BEGIN
        IF current_setting('application_name') LIKE '%${NO_EVENTS_MARK}' THEN
          RAISE EXCEPTION 'this transaction declared that it appends no events (a read model''s), so the relay does not wait for it: append from a processor (kind ''processor'') or outside it'
            USING ERRCODE = '${NO_EVENTS_REFUSED}';
        END IF;
        RETURN NULL;
      END
      $body$`);
    await q.query(`
      CREATE TRIGGER sf_events_no_events_transaction BEFORE INSERT ON sf_events
      FOR EACH STATEMENT EXECUTE FUNCTION sf_refuse_events_in_no_events_transaction()`);
    await q.query(horizonFunction({ skipNoEvents: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(horizonFunction({ skipNoEvents: false }));
    await q.query(`DROP TRIGGER sf_events_no_events_transaction ON sf_events`);
    await q.query(`DROP FUNCTION sf_refuse_events_in_no_events_transaction()`);
  }
}
