import 'reflect-metadata';
import { Writable } from 'node:stream';
import { startServer, TELEMETRY_SHIPPING, TelemetryShipping, withDefaults } from '@streamfold/nestjs';
import { loadConfig } from '@streamfold/runtime';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../../apps/streamfold/src/app.module';
import { HOST_DEFAULTS } from '../../apps/streamfold/src/host-defaults';

/**
 * The whole host as the logs scenario's API under test: its pino lines go only to app_logs (stdout
 * is silenced so the bench's pipe carries just READY and STATS), and with BENCH_LOG_RATE it also
 * logs that many lines per second in the background, as a busy service would (BENCH_PRINT_WARNINGS=1
 * prints its warnings and errors on stdout too). Prints
 * `STATS {written, shipped, dropped, buffered}` twice a second, stops background logging on
 * SIGUSR2, and stops (flushing the shipping buffer) on SIGTERM.
 */
async function main() {
  const config = loadConfig(withDefaults(process.env, HOST_DEFAULTS));
  // BENCH_PRINT_WARNINGS=1: warnings and errors also go to stdout, where the scenario prints them.
  const printWarnings = process.env.BENCH_PRINT_WARNINGS === '1';
  const sink = new Writable({
    write: (chunk: Buffer, _e, done) => {
      if (printWarnings && /"level":(40|50|60)/.test(chunk.toString())) process.stdout.write(chunk);
      done();
    },
  });
  const server = await startServer(AppModule, { config, schema: 'apply', logDestination: sink as never });
  const shipping = server.app.get<TelemetryShipping>(TELEMETRY_SHIPPING);
  const logger = server.app.get(Logger);
  const rate = Number(process.env.BENCH_LOG_RATE ?? 0);
  let written = 0;
  const perTick = rate / 100;
  let owed = 0;
  const background = rate > 0 ? setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) logger.log(`background work item ${written++} done`, 'Bench');
  }, 10) : null;
  process.on('SIGUSR2', () => background && clearInterval(background));
  const stats = setInterval(() => {
    const logs = shipping.logs!;
    process.stdout.write(`STATS ${JSON.stringify({ written, shipped: logs.shipped, dropped: logs.dropped, buffered: shipping.producer.buffered })}\n`);
  }, 500);
  process.stdout.write(`READY ${server.url}\n`);
  process.once('SIGTERM', () => {
    clearInterval(stats);
    if (background) clearInterval(background);
    void server.close().then(() => process.exit(0), () => process.exit(1));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
