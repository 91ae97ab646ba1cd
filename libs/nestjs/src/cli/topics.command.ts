import { Command, CommandRunner } from 'nest-commander';
import { UsageError } from '@streamfold/runtime';
import { hostTopics } from '../bootstrap/boot';
import { CliInfrastructure } from './cli-infrastructure';

@Command({
  name: 'topics',
  arguments: '<action>',
  description: 'Kafka topics: setup (create the missing ones, with KAFKA_TOPIC_PREFIX), list (partitions and end offsets)',
})
export class TopicsCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([action]: string[]): Promise<void> {
    if (action !== 'setup' && action !== 'list') throw new UsageError(`unknown action "${action}": use setup or list`);
    const infra = await this.cli.open({ schema: 'skip', createTopics: action === 'setup' });
    for (const spec of hostTopics(this.cli.contexts)) {
      const offsets = await infra.log.offsets(spec.name);
      const messages = offsets.reduce((n, p) => n + (p.high - p.low), 0);
      console.log(`${infra.log.physicalName(spec.name).padEnd(40)} partitions=${offsets.length} messages=${messages}`);
    }
  }
}
