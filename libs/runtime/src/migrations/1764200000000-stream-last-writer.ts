import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transaction that last appended to each stream. The relay publishes in (tx_id, position)
 * order; an append by a transaction whose id is lower than the stream's last writer would put a
 * later stream position before an earlier one on Kafka. Appends refuse that case and retry in a
 * fresh transaction (which gets a higher id), so per-stream order always equals relay order.
 */
export class StreamLastWriter1764200000000 implements MigrationInterface {
  name = 'StreamLastWriter1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sf_streams ADD COLUMN last_tx xid8`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sf_streams DROP COLUMN last_tx`);
  }
}
