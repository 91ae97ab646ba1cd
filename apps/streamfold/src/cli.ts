import 'reflect-metadata';
import { runCli } from '@streamfold/nestjs';
import { HOST_MIGRATIONS } from '../../../migrations';
import { AppModule } from './app.module';

runCli(AppModule, { migrations: HOST_MIGRATIONS });
