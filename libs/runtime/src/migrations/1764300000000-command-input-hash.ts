import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fingerprint of each command's input beside its id, so a reused idempotency key with other
 * content is refused (422) instead of silently answered with the first request's result. Null
 * for commands stored before: those are compared by id alone.
 */
export class CommandInputHash1764300000000 implements MigrationInterface {
  name = 'CommandInputHash1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sf_commands ADD COLUMN input_hash text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sf_commands DROP COLUMN input_hash`);
  }
}
