import { KAFKA_BROKERS, eventually } from '../e2e-env';
import { CdcEnv, killConnect, setThreshold, startCdc, startConnect } from './cdc-harness';

// At-least-once from Kafka Connect, exactly-once effects here: the Connect worker is SIGKILLed
// five times while transactions are inserted; after each restart Debezium resumes from the last
// offset Connect committed and re-sends what followed it (new Kafka offsets, same rows). Every
// qualifying transaction must still be recorded once and alert once.
const KILLS = Number(process.env.BANK_KILLS ?? 5);
const USERS = ['k0', 'k1', 'k2', 'k3'];
let env: CdcEnv;
beforeAll(async () => {
  env = await startCdc('bankkill');
}, 600_000);
afterAll(async () => {
  startConnect(); // leave a worker running for whoever comes next
  await env?.close();
}, 180_000);

/**
 * Whether a kill lands before or after Connect's offset flush is chance (re-sends seen here: 0 to
 * 71 per run), so the test also re-sends the first rows itself, as Connect does after a crash:
 * the same change, a new offset. The de-duplication path runs in every run.
 */
async function resend(env: CdcEnv, topic: string, count: number): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const producer = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'bank-kill-test', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const { rows } = await env.core.query(`SELECT id::int, account_id::int, user_id, amount::text, currency, status, created_at FROM transactions ORDER BY id LIMIT $1`, [count]);
    const messages = rows.map((row) => ({
      key: JSON.stringify({ id: row.id }),
      value: JSON.stringify({ before: null, after: { ...row, created_at: new Date(row.created_at).toISOString() }, source: { connector: 'postgresql', ts_ms: new Date(row.created_at).getTime(), lsn: 1, txId: 1 }, op: 'c' }),
    }));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Raw change events on the CDC topic: more than the rows when Connect re-sent some. */
async function rawMessages(topic: string): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'bank-kill-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('the Connect worker SIGKILLed during a load of inserts', () => {
  it(`every qualifying transaction alerts exactly once across ${KILLS} kills`, async () => {
    for (const user of USERS) expect(await setThreshold(env, user, 'USD', '500.00')).toBe(204);
    await env.app.settle(60_000);
    await new Promise((r) => setTimeout(r, 50));

    const inserted: Array<{ id: number; qualifies: boolean }> = [];
    let stop = false;
    // The load: a steady stream of small INSERT transactions through the whole test.
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const rows = USERS.map((user, u) => ({ user, amount: (i + u) % 3 === 0 ? `${600 + i}.25` : `${100 + u}.00` }));
        const values = rows.map((r) => `(1, '${r.user}', '${r.amount}', 'USD')`).join(', ');
        const { rows: ids } = await env.core.query(`INSERT INTO transactions (account_id, user_id, amount, currency) VALUES ${values} RETURNING id`);
        ids.forEach((r, k) => inserted.push({ id: Number(r.id), qualifies: Number(rows[k].amount) > 500 }));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    try {
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2000));
        killConnect();
        startConnect();
        await env.connect.waitFor(env.connector, 'RUNNING', 180_000);
      }
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      stop = true;
      await load;
    }

    const cdcTopic = `${env.app.prefix}corebank.public.transactions`;
    await resend(env, cdcTopic, 40);
    const qualifying = inserted.filter((t) => t.qualifies).map((t) => String(t.id));
    expect(qualifying.length).toBeGreaterThan(20);
    await eventually(async () => ((await env.recorded()) === inserted.length ? true : undefined), 240_000, `all ${inserted.length} transactions recorded`);
    await env.app.settle(120_000);
    const db = env.app.server.infra.database;
    const perTx = await db.query(
      `SELECT data->>'transactionId' AS id, count(*)::int AS n FROM sf_events WHERE type = $1 GROUP BY 1`,
      ['bank.LargeTransactionDetected'],
    );
    const alerted = new Map(perTx.rows.map((r) => [r.id as string, r.n as number]));
    expect([...alerted.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...alerted.keys()].sort()).toEqual([...qualifying].sort());
    const recordedTwice = await db.query(`SELECT data->>'transactionId' AS id FROM sf_events WHERE type = 'bank.TransactionRecorded' GROUP BY 1 HAVING count(*) > 1`);
    expect(recordedTwice.rows).toEqual([]);
    // Alerts reach the read model one relay hop after they are emitted: wait, do not settle once.
    await eventually(async () => {
      const r = await db.query(`SELECT count(*)::int AS n FROM bank_alerts`);
      return r.rows[0].n === qualifying.length ? true : undefined;
    }, 120_000, `${qualifying.length} alerts in the read model`);
    await eventually(async () => {
      const r = await db.query(`SELECT count(*)::int AS n FROM sf_reaction_receipts WHERE reaction = 'bank.alert-notifier'`);
      return r.rows[0].n === qualifying.length ? true : undefined;
    }, 60_000, 'one notification per alert');
    const raw = (await rawMessages(cdcTopic)) - 40;
    console.log(`[bank kill test] ${KILLS} kills: ${inserted.length} rows inserted, ${raw} change events from Connect (${raw - inserted.length} re-sent by it, 40 more by the test), ${qualifying.length} alerts, each once`);
  }, 900_000);
});
