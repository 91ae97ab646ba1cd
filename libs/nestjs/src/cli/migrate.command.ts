import { Command, CommandRunner, Option } from 'nest-commander';
import { describeUrl, UsageError, migrateDown, migrateUp, pendingMigrations } from '@streamfold/runtime';
import { hostMigrations } from '../bootstrap/boot';
import { CliInfrastructure } from './cli-infrastructure';

@Command({
  name: 'migrate',
  arguments: '<action>',
  description: 'Database migrations: up (apply pending), down (revert the last --steps), status',
})
export class MigrateCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action]: string[], options: { steps?: number }): Promise<void> {
    if (!['up', 'down', 'status'].includes(action)) {
      throw new UsageError(`unknown action "${action}": use up, down or status`);
    }
    const infra = await this.cli.open({ schema: 'skip', createTopics: false });
    const url = infra.database.url;
    const MIGRATIONS = hostMigrations(this.cli.contexts, this.cli.host);
    const where = infra.database.embedded ? 'embedded PGlite' : describeUrl(url);
    if (action === 'up') {
      const applied = await migrateUp(url, MIGRATIONS);
      console.log(applied.length ? `applied ${applied.join(', ')} on ${where}` : `nothing to apply on ${where}`);
    } else if (action === 'down') {
      const reverted = await migrateDown(url, MIGRATIONS, options.steps ?? 1);
      console.log(`reverted ${reverted} migration(s) on ${where}`);
    } else {
      const pending = await pendingMigrations(url, MIGRATIONS);
      console.log(`${MIGRATIONS.length - pending.length} applied, ${pending.length} pending on ${where}${pending.length ? `: ${pending.join(', ')}` : ''}`);
    }
  }

  @Option({ flags: '--steps <n>', description: 'how many migrations "down" reverts (default 1)' })
  parseSteps(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--steps must be a positive integer');
    return n;
  }
}
