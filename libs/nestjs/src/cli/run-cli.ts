import 'reflect-metadata';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { Command, CommandFactory, CommandRunner } from 'nest-commander';
import { StartupError } from '@streamfold/runtime';
import { exitOnStartupError, HostOptions } from '../bootstrap/boot';
import type { ContextDefinition } from '../context/context';
import { collectContexts, STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { CLI_HOST_OPTIONS, CliInfrastructure } from './cli-infrastructure';
import { DeadLettersCommand } from './dead-letters.command';
import { LakeCommand } from './lake.command';
import { MigrateCommand } from './migrate.command';
import { ProjectionsCommand } from './projections.command';
import { SimulateCommand } from './simulate.command';
import { TokenCommand } from './token.command';
import { TopicsCommand } from './topics.command';

/** The CLI's module for the contexts of an application module (without starting them). */
export function cliModule(appModule: Type<unknown> | DynamicModule, host: HostOptions = {}): Type<unknown> {
  const contexts = collectContexts(appModule);
  @Module({
    providers: [
      { provide: STREAMFOLD_CONTEXTS, useValue: contexts },
      { provide: CLI_HOST_OPTIONS, useValue: host },
      CliInfrastructure,
      MigrateCommand,
      TopicsCommand,
      TokenCommand,
      SimulateCommand,
      ProjectionsCommand,
      DeadLettersCommand,
      LakeCommand,
      ...contextCommands(contexts),
    ],
  })
  class StreamfoldCli {}
  return StreamfoldCli;
}

const FRAMEWORK_COMMANDS = [MigrateCommand, TopicsCommand, TokenCommand, SimulateCommand, ProjectionsCommand, DeadLettersCommand, LakeCommand];

/**
 * Every context's own commands (`defineContext({ commands })`). A top-level command name used
 * twice would silently shadow the other in nest-commander, so it stops the CLI instead.
 */
export function contextCommands(contexts: readonly ContextDefinition[]): Array<Type<unknown>> {
  const owners = new Map<string, string>(FRAMEWORK_COMMANDS.flatMap((c) => commandNames(c).map((n) => [n, 'the framework'] as [string, string])));
  const commands: Array<Type<unknown>> = [];
  for (const context of contexts) {
    for (const command of context.commands ?? []) {
      for (const name of commandNames(command)) {
        const owner = owners.get(name);
        if (owner) throw new StartupError(`CLI command "${name}" is declared by both ${owner} and context ${context.name}`);
        owners.set(name, `context ${context.name}`);
      }
      commands.push(command);
    }
  }
  return commands;
}

// nest-commander does not export the metadata key @Command writes: learn it from the public decorator.
const COMMAND_META: unknown = (() => {
  class Probe extends CommandRunner {
    async run(): Promise<void> {}
  }
  Command({ name: 'probe' })(Probe);
  return Reflect.getMetadataKeys(Probe)[0];
})();

/** Top-level names of a class decorated with @Command (sub-commands have none here). */
function commandNames(command: Type<unknown>): string[] {
  const meta = Reflect.getMetadata(COMMAND_META, command) as { name?: string; aliases?: string[] } | undefined;
  return meta?.name ? [meta.name.split(' ')[0], ...(meta.aliases ?? [])] : [];
}

/**
 * The `cli.ts` of a Streamfold service: migrations, topics, tokens, projections (status,
 * rebuild), dead letters, the lake (query, status, backfill), every context's simulator and its
 * own commands, discovered from the application module.
 * Commands open the infrastructure they need themselves, so `--help` and `token` work with
 * nothing running.
 */
export function runCli(appModule: Type<unknown> | DynamicModule, host: HostOptions = {}): void {
  let module: Type<unknown>;
  try {
    module = cliModule(appModule, host);
  } catch (error) {
    exitOnStartupError(error);
  }
  CommandFactory.run(module, {
    logger: ['error', 'warn'],
    errorHandler: (error) => exitOnStartupError(error),
    serviceErrorHandler: (error) => exitOnStartupError(error),
  }).catch(exitOnStartupError);
}
