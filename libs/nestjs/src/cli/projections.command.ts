import { progressBar, ProjectionDefinition, projectionStatus, rebuildProjection } from '@streamfold/projections';
import { UsageError } from '@streamfold/runtime';
import { Command, CommandRunner, Option } from 'nest-commander';
import { allProjections, contextRouter } from '../context/context';
import { CliInfrastructure } from './cli-infrastructure';

function definition(definitions: ProjectionDefinition[], name: string | undefined) {
  const found = definitions.find((d) => d.name === name);
  if (!found) throw new UsageError(`unknown projection "${name ?? ''}"; known: ${definitions.map((d) => d.name).join(', ')}`);
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
    const all = allProjections(this.cli.contexts);
    const selected = name ? [definition(all, name)] : all;
    for (const s of await projectionStatus(infra.database, infra.log, selected)) {
      const versions = s.versions.map((v) => `v${v.version}:${v.status}`).join(' ') || 'not started';
      console.log(
        `${s.name.padEnd(24)} active=${s.activeVersion === null ? '-' : `v${s.activeVersion}`} lag=${s.totalLag} ` +
          `last_event=${s.lastEventAt?.toISOString() ?? '-'} dead_letters=${s.pendingDeadLetters} versions=[${versions}]`,
      );
    }
  }

  private async rebuild(name: string | undefined, from: 'kafka' | 'event-store'): Promise<void> {
    const def = definition(allProjections(this.cli.contexts), name);
    if (def.kind === 'processor') {
      throw new UsageError(`${def.name} is a processor: its output is already in the log, and rebuilding it would emit everything again`);
    }
    const infra = await this.cli.open({ createTopics: false });
    // With every context's registry: events replayed from the store are upcast like live ones.
    const store = await this.cli.eventStore();
    const bar = progressBar();
    const result = await rebuildProjection({
      db: infra.database,
      log: infra.log,
      definition: def,
      from,
      readAll: (after, limit) => store.readAll(after, limit),
      route: contextRouter(this.cli.contexts),
      synchronousCommit: this.cli.config.projectionsSynchronousCommit,
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
