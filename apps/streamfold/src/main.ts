import 'reflect-metadata';
import { runServer } from '@streamfold/nestjs';
import { HOST_MIGRATIONS } from '../../../migrations';
import { AppModule } from './app.module';

runServer(AppModule, { migrations: HOST_MIGRATIONS });
