import { StartupError } from '@streamfold/runtime';
import { BankTopic } from '../bank.topics';

/** Where the connector reads and where Kafka Connect listens. */
export interface ConnectorSettings {
  /** Kafka Connect's REST API. @default CONNECT_URL or http://127.0.0.1:18083 */
  connectUrl: string;
  /** The core banking database (wal_level=logical). @default CORE_DATABASE_URL or scripts/corebank-pg.sh's URL */
  coreDatabaseUrl: string;
  /** KAFKA_TOPIC_PREFIX: topics, connector, slot and publication names are scoped by it. */
  topicPrefix: string;
}

export function connectorSettings(topicPrefix: string, env = process.env): ConnectorSettings {
  return {
    connectUrl: (env.CONNECT_URL || 'http://127.0.0.1:18083').replace(/\/$/, ''),
    coreDatabaseUrl: env.CORE_DATABASE_URL || 'postgres://postgres@127.0.0.1:55432/corebank',
    topicPrefix,
  };
}

/** A PostgreSQL identifier for the prefix: replication slots allow [a-z0-9_] only, at most 63 bytes. */
const pgName = (prefix: string, what: string) => `sf_${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}${what}`.slice(0, 63);

export const connectorName = (s: Pick<ConnectorSettings, 'topicPrefix'>) => `${s.topicPrefix}corebank-transactions`;

/**
 * The Debezium PostgreSQL connector of the core `transactions` table. topic.prefix is
 * KAFKA_TOPIC_PREFIX + "corebank", so Debezium's `<prefix>.public.transactions` is the physical
 * name of BankTopic.coreTransactionsCdc. pgoutput (built into PostgreSQL, no plugin), an initial
 * snapshot of rows that predate the connector, NUMERIC as strings (never a float).
 */
export function debeziumConnectorConfig(s: ConnectorSettings): Record<string, string> {
  const db = new URL(s.coreDatabaseUrl);
  const [schema, table] = BankTopic.coreTransactionsCdc.split('.').slice(1);
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'plugin.name': 'pgoutput',
    'snapshot.mode': 'initial',
    'decimal.handling.mode': 'string',
    'database.hostname': db.hostname,
    'database.port': db.port || '5432',
    'database.user': decodeURIComponent(db.username || 'postgres'),
    'database.password': decodeURIComponent(db.password),
    'database.dbname': db.pathname.slice(1),
    'topic.prefix': `${s.topicPrefix}${BankTopic.coreTransactionsCdc.split('.')[0]}`,
    'table.include.list': `${schema}.${table}`,
    'slot.name': pgName(s.topicPrefix, 'corebank_slot'),
    'publication.name': pgName(s.topicPrefix, 'corebank_pub'),
    'publication.autocreate.mode': 'filtered',
    // The framework creates the topic at boot with its partitions; these apply only if it did not.
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': '4',
    // Keys as JSON {"id": n}; the value keeps Debezium's envelope (no unwrap): before/after/source/op.
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    // Low-latency polling of the replication stream (the bench's p99 target is 1 s).
    'poll.interval.ms': '50',
    'max.batch.size': '2048',
  };
}

/** Kafka Connect unreachable or refusing: printed as one line by the CLI, not a stack trace. */
export class ConnectFailed extends StartupError {}

/** A thin client of Kafka Connect's REST API. */
export class ConnectClient {
  constructor(private readonly baseUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    }).catch((error: Error) => {
      throw new ConnectFailed(`Kafka Connect at ${this.baseUrl} is not reachable (${error.message}); start it with scripts/connect.sh start`);
    });
    const text = await res.text();
    if (res.status === 404 && method === 'GET') return null;
    if (!res.ok) throw new ConnectFailed(`Kafka Connect ${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Creates or updates the connector (PUT is idempotent). */
  put(name: string, config: Record<string, string>) {
    return this.call('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  }
  status(name: string): Promise<{ connector: { state: string }; tasks: Array<{ id: number; state: string; trace?: string }> } | null> {
    return this.call('GET', `/connectors/${encodeURIComponent(name)}/status`);
  }
  pause(name: string) {
    return this.call('PUT', `/connectors/${encodeURIComponent(name)}/pause`);
  }
  resume(name: string) {
    return this.call('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }
  delete(name: string) {
    return this.call('DELETE', `/connectors/${encodeURIComponent(name)}`);
  }

  /** Waits until the connector and all its tasks report `state` (e.g. RUNNING, PAUSED). */
  async waitFor(name: string, state: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'absent';
    while (Date.now() < deadline) {
      const s = await this.status(name).catch((error: Error) => ({ error: error.message }) as const);
      if (s && 'connector' in s) {
        last = `${s.connector.state} tasks=[${s.tasks.map((t) => t.state).join(',')}]`;
        const failed = s.tasks.find((t) => t.state === 'FAILED');
        if (failed) throw new ConnectFailed(`connector ${name} task ${failed.id} FAILED: ${failed.trace?.split('\n')[0]}`);
        if (s.connector.state === state && s.tasks.length > 0 && s.tasks.every((t) => t.state === state)) return;
      } else if (s && 'error' in s) last = s.error;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new ConnectFailed(`connector ${name} not ${state} after ${timeoutMs} ms (last: ${last})`);
  }
}
