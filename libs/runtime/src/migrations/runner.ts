import { DataSource, MigrationInterface } from 'typeorm';

/** A TypeORM migration class, as the framework (FRAMEWORK_MIGRATIONS) and contexts list them. */
export type MigrationClass = new () => MigrationInterface;

/** The table recording applied migrations (shared by the framework's and every context's). */
export const MIGRATIONS_TABLE = 'sf_migrations';

function dataSource(url: string, migrations: MigrationClass[]): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: false,
    extra: { max: 2 },
  });
}

async function withDataSource<T>(url: string, migrations: MigrationClass[], fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = dataSource(url, migrations);
  await ds.initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/** Applies pending migrations, each in its own transaction. Returns the names applied. */
export function migrateUp(url: string, migrations: MigrationClass[]): Promise<string[]> {
  return withDataSource(url, migrations, async (ds) => (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name));
}

/** Reverts the last `steps` migrations. Returns how many were reverted. */
export function migrateDown(url: string, migrations: MigrationClass[], steps = 1): Promise<number> {
  return withDataSource(url, migrations, async (ds) => {
    let reverted = 0;
    for (let i = 0; i < steps; i++) {
      const executed = await ds.query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`).catch(() => [{ n: 0 }]);
      if (executed[0].n === 0) break;
      await ds.undoLastMigration({ transaction: 'each' });
      reverted++;
    }
    return reverted;
  });
}

/** Names of migrations not yet applied. */
export function pendingMigrations(url: string, migrations: MigrationClass[]): Promise<string[]> {
  return withDataSource(url, migrations, async (ds) => {
    const applied = new Set<string>(
      (await ds.query(`SELECT name FROM ${MIGRATIONS_TABLE}`).catch(() => [])).map((r: { name: string }) => r.name),
    );
    return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !applied.has(n));
  });
}
