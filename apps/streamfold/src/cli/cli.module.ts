import { Module } from '@nestjs/common';
import { CliInfrastructure } from './cli-infrastructure';
import { DeadLettersCommand } from './dead-letters.command';
import { MigrateCommand } from './migrate.command';
import { ProjectionsCommand } from './projections.command';
import { SimulateCommand } from './simulate.command';
import { TokenCommand } from './token.command';
import { TopicsCommand } from './topics.command';

@Module({ providers: [CliInfrastructure, MigrateCommand, TopicsCommand, TokenCommand, SimulateCommand, ProjectionsCommand, DeadLettersCommand] })
export class CliModule {}
