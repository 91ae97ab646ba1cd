import { CliInfrastructure } from '@streamfold/nestjs';
import { UsageError } from '@streamfold/runtime';
import { ValidationFailed } from '@streamfold/core';
import { Command, CommandRunner, Option } from 'nest-commander';
import { parseLogFilters, searchLogs } from '../application/log-search.query';

interface Options {
  service?: string;
  level?: string;
  since?: string;
  until?: string;
  q?: string;
  limit?: string;
  json?: boolean;
}

/** `cli ops logs [--service s] [--level error,fatal] [--since t] [--until t] [--q words] [--limit n] [--json]`: the search of GET /ops/logs, from a terminal. */
@Command({ name: 'ops', arguments: '<action>', description: 'Operations: logs (search recent log lines with the filters of GET /ops/logs)' })
export class OpsLogsCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action]: string[], o: Options): Promise<void> {
    if (action !== 'logs') throw new UsageError(`unknown action "${action}": use logs`);
    let filters;
    try {
      filters = parseLogFilters(o);
    } catch (error) {
      if (error instanceof ValidationFailed) throw new UsageError(error.message);
      throw error;
    }
    const infra = await this.cli.open({ createTopics: false, schema: 'skip' });
    const result = await searchLogs(infra.database, filters);
    if (o.json) {
      console.log(JSON.stringify(result));
      return;
    }
    for (const l of [...result.logs].reverse()) console.log(`${l.at} ${l.service} ${l.level.toUpperCase().padEnd(5)} ${l.msg}`);
    console.log(`${result.logs.length} of ${result.total} matching line(s)`);
  }

  @Option({ flags: '--service <name>', description: 'only this service' })
  parseService(v: string): string {
    return v;
  }
  @Option({ flags: '--level <levels>', description: 'a level or a comma-separated list' })
  parseLevel(v: string): string {
    return v;
  }
  @Option({ flags: '--since <time>', description: 'ISO time or epoch ms, inclusive' })
  parseSince(v: string): string {
    return v;
  }
  @Option({ flags: '--until <time>', description: 'ISO time or epoch ms, exclusive' })
  parseUntil(v: string): string {
    return v;
  }
  @Option({ flags: '--q <words>', description: 'words the message must contain' })
  parseQ(v: string): string {
    return v;
  }
  @Option({ flags: '--limit <n>', description: 'most lines to print (1-1000) @default 100' })
  parseLimit(v: string): string {
    return v;
  }
  @Option({ flags: '--json', description: 'print the result as JSON (the body of GET /ops/logs)' })
  parseJson(): boolean {
    return true;
  }
}
