import { Client } from 'pg';
import { migrateDown, migrateUp, pendingMigrations } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { createTestDatabase, TestDatabase } from '../e2e-env';

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'sf\\_%' ORDER BY 1`);
    return r.rows.map((row) => row.tablename);
  } finally {
    await c.end();
  }
}

describe('migrations on real PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(async () => db.drop());

  it('go up, down to nothing, and up again', async () => {
    expect(await pendingMigrations(db.url, MIGRATIONS)).toHaveLength(MIGRATIONS.length);
    expect(await migrateUp(db.url, MIGRATIONS)).toHaveLength(MIGRATIONS.length);
    expect(await tables(db.url)).toEqual(expect.arrayContaining(['sf_events', 'sf_streams', 'sf_checkpoints', 'sf_dead_letters']));
    expect(await migrateUp(db.url, MIGRATIONS)).toEqual([]);

    expect(await migrateDown(db.url, MIGRATIONS, MIGRATIONS.length)).toBe(MIGRATIONS.length);
    expect(await tables(db.url)).toEqual(['sf_migrations']);
    expect(await pendingMigrations(db.url, MIGRATIONS)).toHaveLength(MIGRATIONS.length);

    await migrateUp(db.url, MIGRATIONS);
    expect(await pendingMigrations(db.url, MIGRATIONS)).toEqual([]);
  });
});
