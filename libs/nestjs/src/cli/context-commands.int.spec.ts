import { Module } from '@nestjs/common';
import { Command, CommandFactory, CommandRunner, SubCommand } from 'nest-commander';
import { defineContext } from '../context/context';
import { StreamfoldModule } from '../context/streamfold.module';
import { CliInfrastructure } from './cli-infrastructure';
import { cliModule } from './run-cli';

const ran: string[] = [];

@SubCommand({ name: 'ping', arguments: '<target>' })
class PingCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }
  async run([target]: string[]): Promise<void> {
    ran.push(`ping ${target} on port ${this.cli.config.port}`);
  }
}

@Command({ name: 'shop', subCommands: [PingCommand] })
class ShopCommand extends CommandRunner {
  async run(): Promise<void> {}
}

describe('commands contributed by a context', () => {
  it('run under the host CLI beside the framework commands, with the CLI infrastructure injected', async () => {
    const shop = defineContext({ name: 'shop', events: [], streams: [], topics: [], route: () => null, projections: [], commands: [ShopCommand, PingCommand] });
    @Module({ imports: [StreamfoldModule.forFeature(shop)] })
    class Host {}
    const argv = process.argv;
    process.argv = ['node', 'cli', 'shop', 'ping', 'warehouse'];
    try {
      const app = await CommandFactory.runWithoutClosing(cliModule(Host), { logger: false });
      await app.close();
    } finally {
      process.argv = argv;
    }
    expect(ran).toEqual([expect.stringMatching(/^ping warehouse on port \d+$/)]);
  });
});
