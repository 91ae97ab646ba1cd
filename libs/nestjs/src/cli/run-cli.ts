import 'reflect-metadata';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { exitOnStartupError, HostOptions } from '../bootstrap/boot';
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
      ...contexts.flatMap((c) => c.commands ?? []),
    ],
  })
  class StreamfoldCli {}
  return StreamfoldCli;
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
