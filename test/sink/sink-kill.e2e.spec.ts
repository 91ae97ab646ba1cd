import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventEnvelope } from '@streamfold/core';
import { KafkaMessageLog, OutgoingMessage } from '@streamfold/messaging';
import { listTopicFiles, queryLake } from '@streamfold/sink';
import { relayMessage, testEnvelope } from '../../libs/sink/src/lake-test-kit';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';
import { transpileTree } from '../eventstore/transpile';

const ROOT = resolve(__dirname, '../..');
const TOPIC = 'positions';
const PARTITIONS = 4;
const KILLS = 12;
const BATCH = 150;
/** Production stops here even while kills go on, so a slow (shared) machine still catches up in time. */
const MAX_EVENTS = 40_000;
/** Every few batches the producer re-sends the tail of an earlier one, as a relay does after a crash. */
const RESEND_EVERY = 3;
const HOUR = 3600_000;
/** Event times start hours back: brokers refuse timestamps more than an hour ahead of their clock. */
const T0 = Date.now() - 5 * HOUR;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Progress on stderr at once (jest holds console output until the test ends). */
const note = (line: string) => process.stderr.write(`[sink-kill ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface SinkProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('lake sink SIGKILLed while writing under load', () => {
  const prefix = topicPrefix('sink');
  let dir: string;
  let buildDir: string;
  let log: KafkaMessageLog;
  const crashes: string[] = [];
  const live = new Set<ChildProcess>();

  function spawnSink(groupId: string): SinkProcess {
    const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', join(buildDir, 'test/sink/sink-child.js')], {
      cwd: buildDir,
      env: {
        PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        TOPIC_PREFIX: prefix, TOPIC, LAKE_DIR: dir, GROUP_ID: groupId, COMPACT_EVERY_MS: '400',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.on('exit', (code, signal) => {
        live.delete(child);
        if (signal === null && code !== 0) crashes.push(`sink child exited with ${code}: ${output}`);
        res({ code, signal });
      }),
    );
    return { child, output: () => output, exited };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-kill-'));
    buildDir = mkdtempSync(join(tmpdir(), 'sink-kill-build-'));
    transpileTree(ROOT, ['libs', 'test/sink'], buildDir);
    log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'sink-kill-test', prefix });
    await log.ensureTopics([{ name: TOPIC, partitions: PARTITIONS }]);
  });

  afterAll(async () => {
    for (const child of live) child.kill('SIGKILL');
    await log?.close();
    await deleteTopics(prefix);
    rmSync(dir, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
  });

  it('holds every event exactly once after 12 kills, relay re-sends included', async () => {
    const ids = new Set<string>();
    const sent: Array<{ envelope: EventEnvelope; seq: number }> = [];
    let seq = 0;
    let producing = true;
    let resends = 0;
    const produce = (async () => {
      // Past MAX_EVENTS it goes on slowly, so every sink started after that still has rows to write.
      for (let batch = 0; producing; batch++) {
        const messages: OutgoingMessage[] = [];
        for (let i = 0; i < BATCH; i++) {
          // Event times walk over several hours with a little disorder, so flushes straddle hour folders.
          const at = new Date(Math.min(Date.now(), T0 + seq * 300 + Math.floor(Math.random() * 10_000)));
          const envelope = testEnvelope('taxi.position', { lat: Math.random(), lng: Math.random() }, at, `taxi-${seq % 40}`);
          seq++;
          ids.add(envelope.eventId);
          // A fifth is telemetry (no sf-seq): only the offset protocol keeps those from landing twice.
          if (seq % 5 === 0) {
            messages.push(relayMessage(envelope, null));
            continue;
          }
          sent.push({ envelope, seq });
          messages.push(relayMessage(envelope, seq));
        }
        if (batch % RESEND_EVERY === RESEND_EVERY - 1) {
          const tail = sent.slice(-BATCH - 40, -BATCH + 20);
          resends += tail.length;
          messages.push(...tail.map((s) => relayMessage(s.envelope, s.seq)));
        }
        await log.send(TOPIC, messages);
        await sleep(seq < MAX_EVENTS ? 50 : 1000);
      }
    })();

    const rowsSeen: number[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        // Mostly fresh groups (no committed offset: the files alone decide), sometimes the shared one.
        const sink = spawnSink(kill % 4 === 3 ? 'sink.lake.shared' : `sink.lake.${kill}`);
        // A fresh member waits for the group to settle after the last one was killed: minutes on a busy machine.
        await eventually(async () => (/^rows \d+$/m.test(sink.output()) ? true : undefined), 150_000, `kill ${kill}: sink writing`);
        await sleep(200 + Math.random() * 800);
        sink.child.kill('SIGKILL');
        await sink.exited;
        rowsSeen.push(listTopicFiles(dir, TOPIC).offsetFiles.length);
        note(`kill ${kill + 1}: ${seq} events produced, ${rowsSeen[rowsSeen.length - 1]} files`);
        if (crashes.length > 0) throw new Error(crashes.join('\n'));
      }
    } finally {
      producing = false;
      await produce;
    }
    expect(resends).toBeGreaterThan(0);

    note(`catching up on ${ids.size} events`);
    const last = spawnSink('sink.lake.final');
    try {
      await eventually(async () => {
        const { rows } = await queryLake(`SELECT count(*)::INT AS n FROM ${TOPIC}`, { dir });
        return Number(rows[0].n) >= ids.size ? true : undefined;
      }, 240_000, `lake holding ${ids.size} events`);
      await sleep(1500); // anything still to come would be a duplicate: give it the chance to show
    } finally {
      last.child.kill('SIGTERM');
      await last.exited;
    }
    const { rows } = await queryLake(`SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM ${TOPIC}`, { dir });
    expect(crashes).toEqual([]);
    expect(rows[0]).toEqual({ n: ids.size, d: ids.size });
    const { rows: stored } = await queryLake(`SELECT event_id FROM ${TOPIC}`, { dir, maxRows: ids.size + 10 });
    expect(stored.filter((r) => !ids.has(r.event_id as string))).toEqual([]);
    console.log(`sink kill test: ${KILLS} kills, ${ids.size} events (+${resends} re-sends), files after each kill: ${rowsSeen.join(' ')}`);
  }, 600_000);
});
