import { Pool } from 'pg';
import { say } from './lib/child';
import { alertsOf, setThreshold, startCdc } from '../test/bank/cdc-harness';
import { openSse } from '../test/bank/sse';
import { observeBankTopics, stageBreakdown, StageTimes } from './bank-stages';
import { loadavg } from 'node:os';

/**
 * `npm run bench -- --only=bank`: latency from a core-database INSERT (plain SQL, the start of
 * the clock is just before the statement is sent) to the alert arriving on the user's live SSE
 * stream, at a steady insert rate, through the real path: WAL → Debezium (Kafka Connect,
 * distributed) → raw topic → CDC processor → event store → relay → alert processor → relay →
 * alerts read model → NOTIFY → SSE. Target: p99 ≤ 1 s. The app runs in this process, like the e2e
 * tests; Connect and the core cluster are started by the project scripts when not running.
 *   BANK_BENCH_RATE (inserts/s, default 50), BANK_BENCH_SECONDS (default 20), BANK_BENCH_USERS (default 10)
 */
export async function runBankBench(): Promise<{ p50: number; p99: number; max: number; alerts: number; missing: number; rate: number }> {
  const rate = Number(process.env.BANK_BENCH_RATE ?? 50);
  const seconds = Number(process.env.BANK_BENCH_SECONDS ?? 20);
  const users = Array.from({ length: Number(process.env.BANK_BENCH_USERS ?? 10) }, (_, i) => `bench-${i}`);
  say(`bank: starting the core cluster, Kafka Connect and the app (connector registration included)`);
  const env = await startCdc('bankbench');
  const streams: Array<Awaited<ReturnType<typeof openSse>>> = [];
  // A pool, as a core application would have: one client would queue inserts behind each other.
  const core = new Pool({ connectionString: env.coreUrl, max: 8 });
  try {
    for (const user of users) {
      const status = await setThreshold(env, user, 'USD', '100.00');
      if (status !== 204) throw new Error(`threshold for ${user}: HTTP ${status}`);
    }
    await env.app.settle(60_000);
    for (const user of users) streams.push(await openSse(`${env.app.url}/bank/alerts/live`, env.app.token(user)));
    await Promise.all(streams.map((s) => s.next((e) => e.event === 'ready')));

    const sentAt = new Map<string, number>();
    const stages = new Map<string, StageTimes>();
    const observer = await observeBankTopics(env.app.prefix, stages);
    const insert = async (i: number, measured: boolean) => {
      const user = users[i % users.length];
      // Every other transaction is large: half the inserts raise an alert.
      const amount = i % 2 === 0 ? `${150 + (i % 1000)}.00` : '20.00';
      const t0 = Date.now();
      const { rows } = await core.query(`INSERT INTO transactions (account_id, user_id, amount, currency) VALUES (1, $1, $2, 'USD') RETURNING id`, [user, amount]);
      if (measured && i % 2 === 0) sentAt.set(String(rows[0].id), t0);
    };
    const cpu = process.cpuUsage();
    const cpuFrom = Date.now();
    say(`bank: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores shared); warm-up 3 s, then ${rate} inserts/s for ${seconds} s (${users.length} users, half above their 100.00 threshold)`);
    const pending: Array<Promise<void>> = [];
    const total = Math.round(rate * (seconds + 3));
    const started = Date.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(insert(i, i >= rate * 3));
    }
    await Promise.all(pending);
    // Wait (bounded) for the last alerts, then read the arrival times off the streams.
    const deadline = Date.now() + 30_000;
    const received = () => streams.reduce((n, s) => n + s.events.filter((e) => e.event === 'alert' && sentAt.has(e.data.transactionId)).length, 0);
    while (received() < sentAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const latencies: number[] = [];
    for (const s of streams) {
      for (const e of s.events) {
        const t0 = e.event === 'alert' ? sentAt.get(e.data.transactionId) : undefined;
        if (t0 !== undefined) latencies.push(e.receivedAtMs - t0);
      }
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    const listed = (await Promise.all(users.map((u) => alertsOf(env, u)))).reduce((n, l) => n + l.length, 0);
    const used = process.cpuUsage(cpu);
    await observer.stop();
    // Where the time goes: the timestamps each stage wrote (sf_events.recorded_at is the
    // processor's batch transaction start, bank_alerts.detected_at the projection's clock) and
    // the arrivals at the bench's own consumer of each topic (bench/bank-stages.ts).
    const { rows: stamps } = await env.app.server.infra.database.query(
      `SELECT t.data->>'transactionId' AS id, (extract(epoch FROM t.recorded_at) * 1000)::float8 AS tx_stored,
              (extract(epoch FROM a.recorded_at) * 1000)::float8 AS alert_stored, (extract(epoch FROM b.detected_at) * 1000)::float8 AS in_read_model
       FROM sf_events t
       JOIN sf_events a ON a.type = 'bank.LargeTransactionDetected' AND a.data->>'transactionId' = t.data->>'transactionId'
       LEFT JOIN bank_alerts b ON b.alert_id = a.data->>'alertId'
       WHERE t.type = 'bank.TransactionRecorded'`,
    );
    for (const r of stamps) {
      const e = stages.get(r.id) ?? (stages.set(r.id, {}), stages.get(r.id)!);
      Object.assign(e, { transactionRecordedStored: r.tx_stored, alertStored: r.alert_stored, inReadModel: r.in_read_model ?? undefined });
    }
    for (const [id, t0] of sentAt) (stages.get(id) ?? (stages.set(id, {}), stages.get(id)!)).sent = t0;
    for (const s of streams) for (const e of s.events) if (e.event === 'alert' && sentAt.has(e.data.transactionId)) stages.get(e.data.transactionId)!.sse = e.receivedAtMs;
    for (const line of stageBreakdown([...sentAt.keys()].map((id) => stages.get(id)!))) say(line);
    say(`bank: this process (app + inserter + SSE clients) used ${((used.user + used.system) / 1e6).toFixed(1)} CPU s in the ${Math.round((Date.now() - cpuFrom) / 1000)} s from the first insert to the last alert read; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const result = { p50: pct(50), p99: pct(99), max: latencies[latencies.length - 1] ?? NaN, alerts: latencies.length, missing: sentAt.size - latencies.length, rate };
    say(`bank: insert → live alert at ${rate} inserts/s: p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms over ${result.alerts} alerts (${result.missing} missing; ${listed} listed by GET /bank/alerts) → target p99 ≤ 1000 ms ${result.p99 <= 1000 ? 'met' : 'NOT met'}`);
    return result;
  } finally {
    for (const s of streams) await s.close();
    await core.end();
    await env.close();
  }
}
