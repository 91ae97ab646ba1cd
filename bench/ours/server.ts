import { loadConfig } from '@streamfold/runtime';
import { startServer, withDefaults } from '@streamfold/nestjs';
import { AppModule } from '../../apps/streamfold/src/app.module';
import { HOST_DEFAULTS } from '../../apps/streamfold/src/host-defaults';

/**
 * The host process, unchanged (the reference host's defaults: on Fastify unless HTTP_ADAPTER says
 * otherwise): HTTP API, relay and projection workers in one process, on the benchmark's database
 * and topic prefix. Prints READY <url>; SIGTERM closes it.
 */
async function main() {
  // Without the lake sink unless PROCESS_ROLES asks for it: the figures stay comparable with earlier runs (the sink has its own scenario).
  // Logs stay off unless the scenario asks for warnings (BENCH_LOG_LEVEL), which it then prints.
  const config = loadConfig({ ...withDefaults(process.env, { ...HOST_DEFAULTS, PROCESS_ROLES: 'api,relay,projections' }), PORT: '0', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent' });
  const server = await startServer(AppModule, { config, logger: false, schema: 'apply' });
  process.stdout.write(`READY ${server.url}\n`);
  process.on('SIGTERM', () => {
    void server.close().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
