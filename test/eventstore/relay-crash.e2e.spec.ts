import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { compareSequence, fromWire, HEADER, LogSequence, parseSequence } from '@streamfold/core';
import { PostgresEventStore, StreamOrderConflict } from '@streamfold/eventstore';
import { KafkaMessageLog, LogMessage } from '@streamfold/messaging';
import { Database, migrateUp } from '@streamfold/runtime';
import { FRAMEWORK_MIGRATIONS as MIGRATIONS } from '@streamfold/runtime';
import { createTestDatabase, eventually, KAFKA_BROKERS, TestDatabase, topicPrefix } from '../e2e-env';
import { transpileTree } from './transpile';

const ROOT = resolve(__dirname, '../..');
const TOPIC = 'events';
const PARTITIONS = 6;
const STREAMS = 120;
const PRELOADED_EVENTS = 3000;
const KILLS = 20;
/** Upper bound of the random pause the child takes between a Kafka write and its checkpoint. */
const AFTER_SEND_DELAY_MS = 150;
/** A safety bound only (20 kills take seconds, two standbys wait): falling short of KILLS fails the test. */
const KILL_BUDGET_MS = 120000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const random = (max: number) => Math.floor(Math.random() * max);

interface RelayProcess {
  child: ChildProcess;
  active: boolean;
  sends: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

describe('relay SIGKILLed at random points while publishing', () => {
  const prefix = topicPrefix('relay');
  let testDb: TestDatabase;
  let db: Database;
  let store: PostgresEventStore;
  let kafkaLog: KafkaMessageLog;
  let buildDir: string;
  const children = new Set<RelayProcess>();
  /** Outputs of children that died on their own (not killed): fail with them instead of timing out blind. */
  const crashes: string[] = [];

  function spawnRelay(afterSendDelayMs: number): RelayProcess {
    const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', join(buildDir, 'test/eventstore/relay-child.js')], {
      cwd: buildDir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: join(ROOT, 'node_modules'),
        DATABASE_URL: testDb.url,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        TOPIC_PREFIX: prefix,
        TOPIC,
        RELAY_NAME: 'crash-test',
        BATCH_SIZE: '100',
        AFTER_SEND_DELAY_MS: String(afterSendDelayMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const proc: RelayProcess = {
      child,
      active: false,
      sends: 0,
      output: () => output,
      exited: new Promise((res) =>
        child.on('exit', (code, signal) => {
          children.delete(proc);
          if (signal === null && code !== 0) crashes.push(`relay child exited with ${code}: ${output}`);
          res({ code, signal });
        }),
      ),
    };
    // Counted on the whole output: a line may arrive split across chunks.
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      proc.active = /^active$/m.test(output);
      proc.sends = (output.match(/^sent \d+$/gm) ?? []).length;
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    children.add(proc);
    return proc;
  }

  /** Appends `events` events over STREAMS streams, several appenders at once, some holding their transaction open a while. */
  async function appendEvents(events: number, appenders: number, holdMs: number): Promise<void> {
    let remaining = events;
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (remaining > 0) {
          const size = Math.min(remaining, 1 + random(5));
          remaining -= size;
          const streamId = `stream-${random(STREAMS)}`;
          const data = Array.from({ length: size }, (_, i) => ({ type: 'test.Happened', data: { i } }));
          // In a caller's transaction, StreamOrderConflict means "run the transaction again".
          for (let attempt = 1; ; attempt++) {
            try {
              await db.transaction(async (sql) => {
                await store.append(streamId, data, { expectedVersion: 'any', sql });
                if (holdMs > 0) await sleep(random(holdMs));
              });
              break;
            } catch (error) {
              if (!(error instanceof StreamOrderConflict) || attempt >= 10) throw error;
            }
          }
        }
      }),
    );
  }

  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'sf-relay-child-'));
    transpileTree(ROOT, ['libs/core/src', 'libs/eventstore/src', 'libs/messaging/src', 'libs/runtime/src', 'test/eventstore/relay-child.ts'], buildDir);
    testDb = await createTestDatabase('sf_relay');
    await migrateUp(testDb.url, MIGRATIONS);
    db = new Database(testDb.url, 12, false);
    store = new PostgresEventStore(db);
    kafkaLog = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'relay-crash-test', prefix });
    await kafkaLog.ensureTopics([{ name: TOPIC, partitions: PARTITIONS }]);
  });

  afterAll(async () => {
    for (const proc of children) proc.child.kill('SIGKILL');
    await kafkaLog?.close();
    const kafka = new Kafka({ brokers: KAFKA_BROKERS, clientId: 'relay-crash-cleanup', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    await db?.close();
    await testDb?.drop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it('publishes every stored event at least once, and exactly once after sf-seq de-duplication, in stream order', async () => {
    await appendEvents(PRELOADED_EVENTS, 8, 0);

    // Kill the active relay again and again; two standbys wait to take over, so each kill costs little.
    const started = Date.now();
    let appending = true;
    const liveAppends = (async () => {
      while (appending) await appendEvents(40, 4, 20);
    })();
    let kills = 0;
    while (kills < KILLS && Date.now() - started < KILL_BUDGET_MS) {
      while (children.size < 3) spawnRelay(AFTER_SEND_DELAY_MS);
      const leader = await eventually(async () => {
        if (crashes.length) throw new Error(crashes[0]);
        return [...children].find((p) => p.active && p.sends > 0);
      }, 15000, 'an active relay that has sent');
      await sleep(random(250));
      leader.child.kill('SIGKILL');
      const { signal } = await leader.exited;
      expect(signal).toBe('SIGKILL');
      kills++;
    }
    const killLoopMs = Date.now() - started;
    appending = false;
    await liveAppends;
    for (const proc of [...children]) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }

    // A clean run finishes the job and stops gracefully.
    const final = spawnRelay(0);
    const head = (await store.head())!;
    await eventually(async () => {
      const { rows } = await db.query(`SELECT tx_id::text AS "txId", position::text AS position FROM sf_relay_checkpoints WHERE name = 'crash-test'`);
      return rows[0] && compareSequence(rows[0] as LogSequence, head) === 0 ? true : undefined;
    }, 180_000, 'the final relay to checkpoint the head');
    final.child.kill('SIGTERM');
    expect((await final.exited).code).toBe(0);

    // Read back every message on the topic.
    const expectedOnWire = (await kafkaLog.offsets(TOPIC)).reduce((n, p) => n + p.high, 0);
    const byPartition = new Map<number, LogMessage[]>();
    let received = 0;
    const consumer = await kafkaLog.consume({
      groupId: 'verifier',
      topics: [TOPIC],
      eachBatch: async (batch) => {
        const list = byPartition.get(batch.partition) ?? [];
        list.push(...batch.messages);
        byPartition.set(batch.partition, list);
        received += batch.messages.length;
      },
    });
    await eventually(async () => (received >= expectedOnWire ? true : undefined), 60000, `${expectedOnWire} messages`);
    await consumer.stop();

    const stored = (await db.query<{ id: string }>(`SELECT event_id::text AS id FROM sf_events`)).rows.map((r) => r.id);
    const storedIds = new Set(stored);
    const onWire = new Set<string>();
    const appliedIds: string[] = [];
    const partitionOfStream = new Map<string, number>();
    const positionsOfStream = new Map<string, number[]>();
    for (const [partition, messages] of byPartition) {
      // The consumer's rule: keep the highest sequence applied per partition, skip anything not above it.
      let highest: LogSequence | null = null;
      for (const m of messages.sort((a, b) => a.offset - b.offset)) {
        const { envelope, sequence } = fromWire(m.value, m.headers);
        onWire.add(envelope.eventId);
        expect(m.headers[HEADER.eventId]).toBe(envelope.eventId);
        expect(m.key).toBe(envelope.streamId);
        if (partitionOfStream.has(envelope.streamId)) expect(partitionOfStream.get(envelope.streamId)).toBe(partition);
        partitionOfStream.set(envelope.streamId, partition);
        const seq = parseSequence(m.headers[HEADER.sequence])!;
        expect(seq).toEqual(sequence);
        if (highest && compareSequence(seq, highest) <= 0) continue;
        highest = seq;
        appliedIds.push(envelope.eventId);
        positionsOfStream.set(envelope.streamId, [...(positionsOfStream.get(envelope.streamId) ?? []), envelope.streamPosition!]);
      }
    }
    const duplicates = received - onWire.size;
    console.log(`relay crash test: ${kills} kills in ${killLoopMs} ms, ${stored.length} events stored, ${received} messages on the wire, ${duplicates} duplicates`);

    expect(kills).toBe(KILLS);
    expect(stored.length).toBeGreaterThan(PRELOADED_EVENTS);
    expect([...storedIds].every((id) => onWire.has(id))).toBe(true);
    expect(onWire.size).toBe(storedIds.size);
    expect(duplicates).toBeGreaterThan(0);
    expect(appliedIds).toHaveLength(stored.length);
    expect(new Set(appliedIds).size).toBe(stored.length);
    for (const [streamId, positions] of positionsOfStream) {
      expect({ streamId, positions }).toEqual({ streamId, positions: Array.from({ length: positions.length }, (_, i) => i + 1) });
    }
  }, 300000);
});
