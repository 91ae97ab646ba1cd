import { DynamicModule, Module } from '@nestjs/common';
import { Infrastructure, RuntimeModule } from '@streamfold/runtime';
import { CONTEXTS } from './contexts';
import { EventSourcingModule } from './event-sourcing.module';

/** The whole system in one process: every bounded context on one runtime (the default `npm start`). */
@Module({})
export class AppModule {
  static register(infra: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(infra), EventSourcingModule, ...CONTEXTS.map((c) => c.module)],
    };
  }
}
