import { Module } from '@nestjs/common';
import { CliInfrastructure } from './cli-infrastructure';
import { MigrateCommand } from './migrate.command';
import { SimulateCommand } from './simulate.command';
import { TokenCommand } from './token.command';
import { TopicsCommand } from './topics.command';

@Module({ providers: [CliInfrastructure, MigrateCommand, TopicsCommand, TokenCommand, SimulateCommand] })
export class CliModule {}
