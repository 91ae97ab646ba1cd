import { DeadLetterRefused, DeadLetters } from '@streamfold/projections';
import { UsageError } from '@streamfold/runtime';
import { Command, CommandRunner, Option } from 'nest-commander';
import { allProjections } from '../context/context';
import { CliInfrastructure } from './cli-infrastructure';

@Command({
  name: 'dlq',
  arguments: '<action> [id]',
  description: 'Dead letters: list | replay <id> | replay --all --consumer <projection@vN> | discard <id>',
})
export class DeadLettersCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action, id]: string[], o: { projection?: string; status?: string; consumer?: string; all?: boolean }): Promise<void> {
    const infra = await this.cli.open({ createTopics: false });
    const letters = new DeadLetters(infra.database, allProjections(this.cli.contexts));
    try {
      switch (action) {
        case 'list': {
          const rows = await letters.list({ projection: o.projection, status: o.status as never, limit: 1000 });
          for (const d of rows) {
            console.log(`#${d.id} ${d.status} ${d.consumer} ${d.topic}/${d.partition}@${d.offset} attempts=${d.attempts} error=${JSON.stringify(d.error)}`);
          }
          console.log(`${rows.length} dead letter(s)`);
          return;
        }
        case 'replay': {
          if (o.all) {
            if (!o.consumer) throw new UsageError('replay --all needs --consumer <projection@vN>');
            const report = await letters.replayAll(o.consumer);
            console.log(`replayed ${report.replayed.length}, failed ${report.failed.length}`);
            for (const f of report.failed) console.log(`  #${f.id}: ${f.error}`);
            return;
          }
          if (!id) throw new UsageError('replay needs a dead letter id (or --all --consumer ...)');
          const d = await letters.replay(id);
          console.log(`#${d.id} replayed into ${d.consumer}`);
          return;
        }
        case 'discard': {
          if (!id) throw new UsageError('discard needs a dead letter id');
          const d = await letters.discard(id);
          console.log(`#${d.id} discarded`);
          return;
        }
        default:
          throw new UsageError(`unknown action "${action}": use list, replay or discard`);
      }
    } catch (error) {
      if (error instanceof DeadLetterRefused) throw new UsageError(error.message);
      throw error;
    }
  }

  @Option({ flags: '--projection <name>', description: 'list: only this projection' })
  parseProjection(v: string): string {
    return v;
  }
  @Option({ flags: '--status <status>', description: 'list: pending, replayed or discarded' })
  parseStatus(v: string): string {
    if (!['pending', 'replayed', 'discarded'].includes(v)) throw new UsageError('--status must be pending, replayed or discarded');
    return v;
  }
  @Option({ flags: '--consumer <id>', description: 'replay --all: the consumer, e.g. shop.order_totals@v1' })
  parseConsumer(v: string): string {
    return v;
  }
  @Option({ flags: '--all', description: 'replay every pending dead letter of --consumer' })
  parseAll(): boolean {
    return true;
  }
}
