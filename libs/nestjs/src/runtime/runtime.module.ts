import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { MESSAGE_LOG } from '@streamfold/messaging';
import { LoggerModule } from 'nestjs-pino';
import { Database, Infrastructure, loadConfig, PROJECTIONS_DATABASE, RELAY_DATABASE, STREAMFOLD_CONFIG } from '@streamfold/runtime';
import { HealthController } from './health.controller';
import { MetricsController, MetricsService } from './metrics';
import { MetricsShipper } from './metrics-shipper';
import { TELEMETRY_SHIPPING, TelemetryShipping } from './telemetry-shipping';

/** Closes a shipper the module built itself (no caller owns it), after the last metric snapshot went in. */
@Injectable()
class OwnedShipping implements OnApplicationShutdown {
  constructor(@Inject(TELEMETRY_SHIPPING) private readonly shipping: TelemetryShipping) {}
  onApplicationShutdown(): Promise<void> {
    return this.shipping.close();
  }
}

/**
 * Process-wide services: validated config, the database pool and message log opened before
 * Nest started, structured logs (to stdout and, through `shipping`, to `app_logs`), metric
 * snapshots to `app_metrics`, /health and /metrics.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(infra: Infrastructure, options: { http?: boolean; shipping?: TelemetryShipping } = {}): DynamicModule {
    const http = options.http ?? true;
    const perRequest = ['trace', 'debug', 'info'].includes(infra.config.logLevel);
    // Without one from the caller (tests of a single module), the process still has a shipper:
    // its lines and snapshots follow LOG_SHIPPING and METRICS_SHIP_INTERVAL_SECONDS like any other.
    const shipping = options.shipping ?? new TelemetryShipping(infra.log, infra.config);
    return {
      module: RuntimeModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: (env) => ({ ...env, ...loadConfig(env) }) }),
        LoggerModule.forRoot({
          pinoHttp: [
            {
            level: infra.config.logLevel,
            autoLogging: perRequest ? { ignore: (req) => req.url === '/health' || req.url === '/metrics' } : false,
            redact: ['req.headers.authorization'],
            },
            shipping.destination(),
          ],
          // One line per request at info and below. Above it, no request middleware at all: its
          // child logger, redaction and AsyncLocalStorage (whose promise hook then runs for every
          // promise of the process, Kafka and PostgreSQL clients included) were ~10 % of the
          // server's allocations at 1,000 likes/s; warnings and errors are still logged, without
          // the request's bindings.
          ...(perRequest ? {} : { forRoutes: [] }),
        }),
        TerminusModule,
      ],
      controllers: http ? [HealthController, MetricsController] : [],
      providers: [
        { provide: Infrastructure, useValue: infra },
        { provide: STREAMFOLD_CONFIG, useValue: infra.config },
        { provide: Database, useValue: infra.database },
        { provide: RELAY_DATABASE, useValue: infra.pools.relay },
        { provide: PROJECTIONS_DATABASE, useValue: infra.pools.projections },
        { provide: MESSAGE_LOG, useValue: infra.log },
        { provide: TELEMETRY_SHIPPING, useValue: shipping },
        MetricsService,
        MetricsShipper,
        ...(options.shipping ? [] : [OwnedShipping]),
      ],
      exports: [Infrastructure, STREAMFOLD_CONFIG, Database, RELAY_DATABASE, PROJECTIONS_DATABASE, MESSAGE_LOG, MetricsService, TELEMETRY_SHIPPING],
    };
  }
}
