import 'reflect-metadata';
import { StartupError } from '@streamfold/runtime';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import type { ContextDefinition } from '../context/context';
import { contextCommands } from './run-cli';

@SubCommand({ name: 'report' })
class ReportCommand extends CommandRunner {
  async run(): Promise<void> {}
}
@Command({ name: 'shop', subCommands: [ReportCommand] })
class ShopCommand extends CommandRunner {
  async run(): Promise<void> {}
}
@Command({ name: 'migrate' })
class MigrateAgain extends CommandRunner {
  async run(): Promise<void> {}
}

const context = (name: string, commands: ContextDefinition['commands']): ContextDefinition => ({ name, events: [], streams: [], topics: [], route: () => null, projections: [], commands });

describe('contexts contribute CLI commands', () => {
  it('registers every context command and sub-command beside the framework ones', () => {
    expect(contextCommands([context('shop', [ShopCommand, ReportCommand]), context('empty', undefined)])).toEqual([ShopCommand, ReportCommand]);
  });

  it('refuses a name the framework or another context already uses, naming both owners', () => {
    expect(() => contextCommands([context('shop', [MigrateAgain])])).toThrow(new StartupError('CLI command "migrate" is declared by both the framework and context shop'));
    expect(() => contextCommands([context('shop', [ShopCommand]), context('store', [ShopCommand])])).toThrow('CLI command "shop" is declared by both context shop and context store');
  });
});
