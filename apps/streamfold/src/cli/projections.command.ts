import { PostgresEventStore } from '@streamfold/eventstore';
import { progressBar, projectionStatus, rebuildProjection } from '@streamfold/projections';
import { UsageError } from '@streamfold/runtime';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CONTEXTS, eventRegistry, routeEvent } from '../contexts';
import { CliInfrastructure } from './cli-infrastructure';

const DEFINITIONS = CONTEXTS.flatMap((c) => c.projections);

function definition(name: string | undefined) {
  const found = DEFINITIONS.find((d) => d.name === name);
  if (!found) throw new UsageError(`unknown projection "${name ?? ''}"; known: ${DEFINITIONS.map((d) => d.name).join(', ')}`);
  return found;
}

@Command({
  name: 'projections',
  arguments: '<action> [name]',
  description:
    'Projections: status (versions, lag, last event time, pending dead letters) | rebuild <name> (new version beside the live one, swapped when caught up)',
})
export class ProjectionsCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action, name]: string[], options: { from?: 'kafka' | 'event-store' }): Promise<void> {
    if (action === 'status') return this.status(name);
    if (action === 'rebuild') return this.rebuild(name, options.from ?? 'kafka');
    throw new UsageError(`unknown action "${action}": use status or rebuild`);
  }

  private async status(name?: string): Promise<void> {
    const infra = await this.cli.open({ createTopics: false });
    const selected = name ? [definition(name)] : DEFINITIONS;
    for (const s of await projectionStatus(infra.database, infra.log, selected)) {
      const versions = s.versions.map((v) => `v${v.version}:${v.status}`).join(' ') || 'not started';
      console.log(
        `${s.name.padEnd(24)} active=${s.activeVersion === null ? '-' : `v${s.activeVersion}`} lag=${s.totalLag} ` +
          `last_event=${s.lastEventAt?.toISOString() ?? '-'} dead_letters=${s.pendingDeadLetters} versions=[${versions}]`,
      );
    }
  }

  private async rebuild(name: string | undefined, from: 'kafka' | 'event-store'): Promise<void> {
    const def = definition(name);
    if (def.tables.length === 0) {
      throw new UsageError(`${def.name} is a processor: its output is already in the log, and rebuilding it would emit everything again`);
    }
    const infra = await this.cli.open({ createTopics: false });
    // With the registry, so events stored at an older schema version are upcast before the fold.
    const store = new PostgresEventStore(infra.database, eventRegistry());
    const bar = progressBar();
    const result = await rebuildProjection({
      db: infra.database,
      log: infra.log,
      definition: def,
      from,
      readAll: (after, limit) => store.readAll(after, limit),
      route: (event) => routeEvent(event),
      onProgress: (p) => bar.onProgress(p),
    }).finally(() => bar.stop());
    console.log(JSON.stringify(result));
  }

  @Option({ flags: '--from <source>', description: 'kafka (earliest offsets, default) or event-store (when retention dropped old data)' })
  parseFrom(value: string): 'kafka' | 'event-store' {
    if (value !== 'kafka' && value !== 'event-store') throw new UsageError('--from must be kafka or event-store');
    return value;
  }
}
