import { Database, sqlArray, sqlLiteral } from '@streamfold/runtime';
import { createTestDatabase, TestDatabase } from '../e2e-env';

/** BEGIN riding on the first statement and COMMIT on the last: the same all-or-nothing as transaction(). */
describe('Database.compactTransaction on real PostgreSQL', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase('sf_compact');
    db = new Database(testDb.url, 2, false);
    await db.query(`CREATE TABLE t (k text PRIMARY KEY, n bigint NOT NULL, at timestamptz)`);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });
  beforeEach(() => db.query(`TRUNCATE t`));

  const rows = async () => (await db.query(`SELECT k, n::int AS n FROM t ORDER BY k`)).rows;

  it('runs open, the statements between and commit as one transaction', async () => {
    const result = await db.compactTransaction(async (sql, ends) => {
      const opened = await ends.open(`INSERT INTO t (k, n) VALUES (${sqlLiteral("it's")}, 1) RETURNING n`);
      expect(opened.rows).toEqual([{ n: '1' }]);
      await sql.query(`INSERT INTO t (k, n) VALUES ($1, $2)`, ['b', 2]);
      // Another session sees nothing before the commit.
      expect((await db.query(`SELECT count(*)::int AS n FROM t`)).rows[0].n).toBe(0);
      const committed = await ends.commit(
        `UPDATE t SET n = n + v.d, at = v.at FROM unnest(${sqlArray(["it's", 'b'], 'text')}, ${sqlArray([10, 20], 'bigint')}, ${sqlArray([new Date(0), null], 'timestamptz')}) AS v(k, d, at) WHERE t.k = v.k`,
      );
      expect(committed.rowCount).toBe(2);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await rows()).toEqual([{ k: 'b', n: 22 }, { k: "it's", n: 11 }]);
    expect((await db.query(`SELECT at FROM t WHERE k = 'it''s'`)).rows[0].at).toEqual(new Date(0));
  });

  it('commits when fn returns without calling commit', async () => {
    await db.compactTransaction(async (_sql, ends) => {
      await ends.open(`INSERT INTO t (k, n) VALUES ('a', 1)`);
    });
    expect(await rows()).toEqual([{ k: 'a', n: 1 }]);
  });

  it('rolls everything back when fn throws, when the last statement fails, and when the first fails', async () => {
    await expect(db.compactTransaction(async (_sql, ends) => {
      await ends.open(`INSERT INTO t (k, n) VALUES ('a', 1)`);
      throw new Error('apply failed');
    })).rejects.toThrow('apply failed');
    await expect(db.compactTransaction(async (sql, ends) => {
      await ends.open(`INSERT INTO t (k, n) VALUES ('a', 1)`);
      await sql.query(`INSERT INTO t (k, n) VALUES ('b', 2)`);
      await ends.commit(`INSERT INTO t (k, n) VALUES ('a', 3)`); // duplicate key: COMMIT never runs
    })).rejects.toMatchObject({ code: '23505' });
    await expect(db.compactTransaction(async (_sql, ends) => {
      await ends.open(`INSERT INTO t (k, n) VALUES (NULL, 1)`);
    })).rejects.toMatchObject({ code: '23502' });
    expect(await rows()).toEqual([]);
    // The pool's sessions are usable afterwards: nothing left open or aborted.
    await db.compactTransaction(async (_sql, ends) => {
      await ends.open(`INSERT INTO t (k, n) VALUES ('ok', 1)`);
      await ends.commit(`UPDATE t SET n = 2`);
    });
    expect(await rows()).toEqual([{ k: 'ok', n: 2 }]);
  });

  it('refuses ends out of order, and inlines only what it can write safely', async () => {
    await expect(db.compactTransaction(async (_sql, ends) => {
      await ends.commit(`SELECT 1`);
    })).rejects.toThrow(/call open\(\) first/);
    await expect(db.compactTransaction(async (_sql, ends) => {
      await ends.open(`SELECT 1`);
      await ends.open(`SELECT 1`);
    })).rejects.toThrow(/call it once, first/);
    expect(() => sqlLiteral(1.5)).toThrow(RangeError);
    expect(() => sqlArray(['a'], 'text); DROP TABLE t; --')).toThrow(RangeError);
    expect(sqlLiteral("a'b\\c")).toBe(" E'a''b\\\\c'");
    expect(sqlArray([], 'int')).toBe(`'{}'::int[]`);
  });
});
