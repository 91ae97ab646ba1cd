/**
 * Behaviours of the zombie in zombie.e2e.spec.ts, keyed by `data.zombie` on test.Counted events,
 * so the parent decides (by publishing) where the process is when it sends SIGSTOP:
 *   'gate'  the batch waits for a "go" line on stdin before it is processed; the parent publishes
 *           the next events meanwhile, so they arrive in ONE fetch (kafkajs fetches again only
 *           when every batch of a fetch is done) and run side by side;
 *   'hold'  the batch waits HOLD_MS before it reaches the runner: paused there, the zombie holds
 *           a stale batch outside any transaction;
 *   'slow'  apply sleeps HOLD_MS in SQL (pg_sleep) inside the batch's transaction: paused there,
 *           the zombie holds the partition's checkpoint row lock.
 * Lines go to stdout synchronously, so the parent sees them even right before a SIGSTOP.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fromWire } from '@streamfold/core';
import type { LogBatch, MessageLog } from '@streamfold/messaging';
import type { ProjectionDefinition, RunnerStats } from './lib';

export const HOLD_MS = 6000;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function marker(batch: LogBatch): string | undefined {
  for (const m of batch.messages) {
    const mark = (fromWire(m.value, m.headers).envelope.data as { zombie?: string }).zombie;
    if (mark) return mark;
  }
  return undefined;
}

export function installZombieHooks(log: MessageLog, definition: ProjectionDefinition, stats: () => RunnerStats): void {
  const lines = createInterface({ input: process.stdin });
  let go: () => void = () => undefined;
  const gateOpen = new Promise<void>((resolve) => (go = resolve));
  lines.on('line', (line) => line === 'go' && go());

  const consume = log.consume.bind(log);
  log.consume = (options) =>
    consume({
      ...options,
      eachBatch: async (batch, context) => {
        const mark = marker(batch);
        const where = `p=${batch.partition} n=${batch.messages.length}`;
        if (mark === 'gate') {
          say(`gate ${where}`);
          await gateOpen;
        } else if (mark === 'hold') {
          say(`held ${where} dup=${stats().duplicates}`);
          await new Promise((r) => setTimeout(r, HOLD_MS));
        }
        const outcome = await options.eachBatch(batch, context);
        if (mark === 'hold') say(`released ${where} dup=${stats().duplicates}`);
        return outcome;
      },
    });

  const apply = definition.apply;
  definition.apply = async (deliveries, ctx) => {
    const slow = deliveries.some((d) => (d.envelope.data as { zombie?: string }).zombie === 'slow');
    if (slow) {
      say(`tx-open slow p=${deliveries[0].partition} n=${deliveries.length}`);
      await ctx.sql.query('SELECT pg_sleep($1)', [HOLD_MS / 1000]);
    }
    await apply(deliveries, ctx);
    if (slow) say('tx-done slow');
  };
}
