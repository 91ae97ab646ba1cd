import { Module } from '@nestjs/common';
import { CliInfrastructure } from './cli-infrastructure';
import { MigrateCommand } from './migrate.command';
import { TopicsCommand } from './topics.command';

@Module({ providers: [CliInfrastructure, MigrateCommand, TopicsCommand] })
export class CliModule {}
