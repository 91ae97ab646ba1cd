import 'reflect-metadata';
import { runServer } from '@streamfold/nestjs';
import { HOST_MIGRATIONS } from '../../../migrations';
import { AppModule } from './app.module';
import { HOST_DEFAULTS } from './host-defaults';

runServer(AppModule, { migrations: HOST_MIGRATIONS, defaults: HOST_DEFAULTS });
