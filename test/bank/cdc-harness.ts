import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { ConnectClient, connectorName, ConnectorSettings, connectorSettings, debeziumConnectorConfig } from '../../apps/bank/src/cli/debezium-connector';
import { startTestApp, TestApp } from '../app-harness';
import { eventually, uniqueName } from '../e2e-env';
import { ROOT } from '../process';

/**
 * MyBank on the real CDC path: the bank's own PostgreSQL cluster (wal_level=logical,
 * scripts/corebank-pg.sh), Kafka Connect + Debezium (scripts/connect.sh), started by the project
 * scripts when not running (idempotent, fast when they are). Each test file gets its own core
 * database, connector, replication slot and publication, all named after its topic prefix.
 */
export const CORE_ADMIN_URL = process.env.COREBANK_ADMIN_URL || 'postgres://postgres@127.0.0.1:55432/postgres';

function script(name: string, ...args: string[]): string {
  return execFileSync('bash', [`${ROOT}/scripts/${name}`, ...args], { encoding: 'utf8', env: { ...process.env }, timeout: 300_000 });
}

export const startCoreBank = () => script('corebank-pg.sh', 'start');
export const startConnect = () => script('connect.sh', 'start');
/** SIGKILL: no graceful shutdown, no final offset flush. */
export const killConnect = () => script('connect.sh', 'kill');

export interface CdcEnv {
  app: TestApp;
  connect: ConnectClient;
  connector: string;
  settings: ConnectorSettings;
  /** The core database of this file. */
  coreUrl: string;
  core: Client;
  /** INSERT through the psql binary, as an operator or another application would. Returns the new ids. */
  psqlInsert(rows: Array<{ user: string; amount: string; currency?: string }>): number[];
  /** TransactionRecorded events in the event store for these core ids. */
  recorded(ids?: number[]): Promise<number>;
  close(): Promise<void>;
}

/** Progress on stderr (jest holds console output until a test ends; these steps can take a minute). */
const step = (what: string) => process.stderr.write(`[bank-cdc ${new Date().toISOString().slice(11, 19)}] ${what}\n`);

export async function startCdc(label: string): Promise<CdcEnv> {
  step('core cluster (scripts/corebank-pg.sh start)');
  startCoreBank();
  step('Kafka Connect (scripts/connect.sh start)');
  startConnect();
  const dbName = uniqueName(`corebank_${label}`).toLowerCase();
  const admin = new Client({ connectionString: CORE_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const coreUrl = CORE_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  execFileSync('psql', [coreUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-f', `${ROOT}/scripts/corebank/schema.sql`]);
  const core = new Client({ connectionString: coreUrl });
  await core.connect();

  step(`core database ${dbName}; starting the app`);
  const app = await startTestApp(label);
  step('registering the connector');
  const settings = { ...connectorSettings(app.prefix), coreDatabaseUrl: coreUrl };
  const connect = new ConnectClient(settings.connectUrl);
  const connector = connectorName(settings);
  await connect.put(connector, debeziumConnectorConfig(settings));
  await connect.waitFor(connector, 'RUNNING');
  step(`connector ${connector} RUNNING; waiting for its replication slot`);
  // RUNNING comes before the slot exists: wait for the slot so no insert predates the stream.
  await eventually(async () => ((await core.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [debeziumConnectorConfig(settings)['slot.name']])).rowCount ? true : undefined), 120_000, 'the replication slot');

  return {
    app,
    connect,
    connector,
    settings,
    coreUrl,
    core,
    psqlInsert(rows) {
      const values = rows.map((r) => `(1, '${r.user}', '${r.amount}', '${r.currency ?? 'USD'}')`).join(', ');
      const out = execFileSync('psql', [coreUrl, '-tAq', '-v', 'ON_ERROR_STOP=1', '-c', `INSERT INTO transactions (account_id, user_id, amount, currency) VALUES ${values} RETURNING id`], { encoding: 'utf8' });
      return out.trim().split('\n').filter(Boolean).map(Number);
    },
    async recorded(ids) {
      const { rows } = await app.server.infra.database.query(
        `SELECT count(*)::int AS n FROM sf_events WHERE type = 'bank.TransactionRecorded' AND ($1::text[] IS NULL OR data->>'transactionId' = ANY($1))`,
        [ids ? ids.map(String) : null],
      );
      return rows[0].n;
    },
    async close() {
      const slot = debeziumConnectorConfig(settings)['slot.name'];
      await connect.delete(connector).catch(() => undefined);
      await app.close();
      // The slot is released when the task stops; a slot left behind would keep WAL forever.
      await eventually(async () => {
        await core.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
        return (await core.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rowCount === 0 ? true : undefined;
      }, 60_000, `slot ${slot} to be dropped`).catch(() => undefined);
      await core.end();
      const a = new Client({ connectionString: CORE_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await a.end();
    },
  };
}

/** Sets a user's threshold through the generated client; returns the HTTP status. */
export async function setThreshold(env: CdcEnv, user: string, currency: string, amount: string): Promise<number> {
  const { response } = await env.app.api.PUT('/bank/thresholds/{currency}', { params: { path: { currency } }, body: { amount }, ...env.app.as(user) });
  return response.status;
}

/** A user's alerts through the generated client, newest first. */
export async function alertsOf(env: CdcEnv, user: string): Promise<Array<{ transactionId: string; amount: string; threshold: string }>> {
  const { data, response } = await env.app.api.GET('/bank/alerts', { params: { query: { limit: 500 } }, ...env.app.as(user) });
  if (!data) throw new Error(`GET /bank/alerts as ${user}: ${response.status}`);
  return data;
}
