import { UsageError } from '@streamfold/runtime';
import { backfill, lakeStatus, LakeQueryRejected, LakeQueryTimeout, queryLake } from '@streamfold/sink';
import { Command, CommandRunner, Option } from 'nest-commander';
import { contextRouter } from '../context/context';
import { LAKE_QUERY_TIMEOUT_MS } from '../lake/lake-setup';
import { CliInfrastructure } from './cli-infrastructure';

interface LakeOptions {
  json?: boolean;
  topic?: string;
  fromEventStore?: boolean;
  timeoutMs?: number;
}

@Command({
  name: 'lake',
  arguments: '<action> [sql]',
  description:
    'The analytics lake (LAKE_DIR): query "<SQL>" (one read-only SELECT, one view per topic, time-limited) | status (files, rows, bytes, lag per topic) | backfill --topic t --from-event-store',
})
export class LakeCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action, sql]: string[], options: LakeOptions): Promise<void> {
    if (action === 'query') return this.query(sql, options);
    if (action === 'status') return this.status(options);
    if (action === 'backfill') return this.backfill(options);
    throw new UsageError(`unknown action "${action}": use query, status or backfill`);
  }

  // Reads files only: it opens neither database nor log, so it works beside a running embedded server.
  private async query(sql: string | undefined, options: LakeOptions): Promise<void> {
    if (!sql) throw new UsageError('lake query needs the SQL, e.g. lake query "select count(*) from likes"');
    const { dir } = this.cli.lake().config;
    try {
      const result = await queryLake(sql, { dir, timeoutMs: options.timeoutMs ?? LAKE_QUERY_TIMEOUT_MS });
      if (options.json) console.log(JSON.stringify(result));
      else {
        console.log(table(result.columns, result.rows));
        console.log(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ', truncated' : ''}, ${result.elapsedMs} ms)`);
      }
    } catch (error) {
      // A refused or interrupted query is the user's to fix: one line, no stack.
      if (error instanceof LakeQueryRejected || error instanceof LakeQueryTimeout) throw new UsageError(error.message);
      if (/Binder Error|Parser Error|Catalog Error/.test((error as Error).message)) throw new UsageError((error as Error).message.split('\n')[0]);
      throw error;
    }
  }

  private async status(options: LakeOptions): Promise<void> {
    const lake = this.cli.lake();
    const infra = await this.cli.open({ createTopics: false });
    const status = await lakeStatus(lake.config.dir, infra.log, lake.topics);
    if (options.json) return console.log(JSON.stringify(status));
    const rows = status.map((s) => ({ topic: s.topic, files: s.files, rows: s.rows, bytes: s.bytes, lag: s.lag ?? '-' }));
    console.log(table(['topic', 'files', 'rows', 'bytes', 'lag'], rows));
    console.log(`lake: ${lake.config.dir}`);
  }

  private async backfill(options: LakeOptions): Promise<void> {
    const lake = this.cli.lake();
    if (!options.topic || !lake.topics.includes(options.topic)) throw new UsageError(`backfill needs --topic, one of: ${lake.topics.join(', ')}`);
    // Kafka's retained messages reach the lake through the sink; only the event store holds what retention dropped.
    if (!options.fromEventStore) throw new UsageError('backfill reads what Kafka no longer holds from the event store: pass --from-event-store');
    const infra = await this.cli.open({ createTopics: false });
    const store = await this.cli.eventStore();
    const result = await backfill({
      topic: options.topic,
      log: infra.log,
      fromEventStore: { store, route: contextRouter(this.cli.contexts) },
      dir: lake.config.dir,
      schemas: lake.schemas,
    });
    console.log(JSON.stringify(result));
  }

  @Option({ flags: '--json', description: 'print JSON instead of a table' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--topic <topic>', description: 'backfill: the topic to fill' })
  parseTopic(value: string): string {
    return value;
  }

  @Option({ flags: '--from-event-store', description: 'backfill: read what retention dropped from the event store' })
  parseFromEventStore(): boolean {
    return true;
  }

  @Option({ flags: '--timeout-ms <ms>', description: `query: time limit (default ${LAKE_QUERY_TIMEOUT_MS})` })
  parseTimeout(value: string): number {
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms < 1) throw new UsageError('--timeout-ms must be a positive integer');
    return ms;
  }
}

/** Columns padded to their widest value, a header and a rule: readable in a terminal, greppable. */
function table(columns: string[], rows: Array<Record<string, unknown>>): string {
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}
