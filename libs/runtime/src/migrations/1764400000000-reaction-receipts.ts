import { MigrationInterface, QueryRunner } from 'typeorm';

/** Which reaction already ran its side effect for which event (see onceByEventId in @streamfold/nestjs). */
export class ReactionReceipts1764400000000 implements MigrationInterface {
  name = 'ReactionReceipts1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sf_reaction_receipts (
        reaction    text NOT NULL,
        event_id    text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (reaction, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sf_reaction_receipts`);
  }
}
