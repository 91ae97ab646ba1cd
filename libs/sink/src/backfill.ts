import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareSequence, LogSequence } from '@streamfold/core';
import { EventStore, readAllFrom, RelayRoute } from '@streamfold/eventstore';
import { MessageLog, partitionForKey } from '@streamfold/messaging';
import { Duck, pathList, retryOnVanishedFile } from './duck';
import { firstSequences } from './first-sequences';
import { defaultLakeDir, ensureDir, hourDir, HourKey, hourKeyOf, TEMP_PREFIX } from './lake-layout';
import { readableFiles } from './lake-query';
import { lakeSelectList, LakeSchemas, STAGED_COLUMNS } from './lake-schema';
import { partitionPosition } from './recovery';
import { stagedLine } from './staging';

export interface BackfillOptions {
  /** Logical topic to fill. */
  topic: string;
  /** The topic's log: tells which events retention already dropped. */
  log: MessageLog;
  /** Where the events come from, and the relay's route (which topic and key an event goes to). */
  fromEventStore: { store: EventStore; route: RelayRoute };
  /** Lake root. @default process.env.LAKE_DIR || '.data/lake' */
  dir?: string;
  schemas?: LakeSchemas;
  /** Events read from the store per page and written per round. @default 10000 */
  pageSize?: number;
}

export interface BackfillResult {
  /** Events of the store routed to the topic and no longer on it. */
  candidates: number;
  /** Of those, rows written (the rest were already in the lake). */
  written: number;
  files: number;
}

/**
 * Fills in what retention dropped from a topic, from the event store. The relay publishes each
 * partition in sequence order, so an event whose sequence is below that of the partition's oldest
 * retained message is gone from Kafka; on a partition that retains nothing, only events up to
 * the highest sequence the lake already holds are taken (later ones may still be on their way
 * through the relay, and the sink will write those). Candidates whose event id is already in the
 * lake are skipped, so running it twice writes nothing twice. Backfilled files carry no Kafka
 * offset (`kafka_offset` is NULL) and a name the sink's recovery ignores.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const dir = options.dir ?? defaultLakeDir();
  const pageSize = options.pageSize ?? 10_000;
  const { topic, log } = options;
  const duck = await Duck.open();
  try {
    const first = await firstSequences(log, topic);
    const partitions = first.size;
    const bound = new Map<number, { sequence: LogSequence; inclusive: boolean }>();
    for (const [partition, sequence] of first) {
      if (sequence) bound.set(partition, { sequence, inclusive: false });
      else {
        const held = (await partitionPosition(duck, dir, topic, partition)).sequence;
        if (held) bound.set(partition, { sequence: held, inclusive: true });
      }
    }
    const result: BackfillResult = { candidates: 0, written: 0, files: 0 };
    let page: Array<{ hour: HourKey; line: string }> = [];
    for await (const { sequence, ...envelope } of readAllFrom(options.fromEventStore.store, null, { pageSize })) {
      const target = options.fromEventStore.route(envelope);
      if (!target || target.topic !== topic) continue;
      const partition = partitionForKey(target.key, partitions, 0);
      const b = bound.get(partition);
      if (!b || compareSequence(sequence, b.sequence) > (b.inclusive ? 0 : -1)) continue;
      const occurredAt = Date.parse(envelope.occurredAt);
      page.push({ hour: hourKeyOf(occurredAt), line: stagedLine(partition, null, target.key, sequence, occurredAt, JSON.stringify(envelope)) });
      if (page.length >= pageSize) await flushPage();
    }
    await flushPage();
    return result;

    async function flushPage(): Promise<void> {
      result.candidates += page.length;
      const byHour = new Map<HourKey, string[]>();
      for (const { hour, line } of page) byHour.set(hour, [...(byHour.get(hour) ?? []), line]);
      page = [];
      for (const [hour, lines] of byHour) {
        const written = await writeHour(duck, dir, topic, hour, lines, options.schemas);
        result.written += written;
        if (written > 0) result.files++;
      }
    }
  } finally {
    duck.close();
  }
}

async function writeHour(duck: Duck, dir: string, topic: string, hour: HourKey, lines: string[], schemas?: LakeSchemas): Promise<number> {
  const folder = resolve(hourDir(dir, topic, hour));
  ensureDir(folder);
  const id = randomBytes(6).toString('hex');
  const staging = join(tmpdir(), `streamfold-backfill-${process.pid}-${id}.ndjson`);
  const temp = join(folder, `${TEMP_PREFIX}backfill-${id}.parquet`);
  // Listed per attempt: a compaction may delete a listed file meanwhile (its rows are in another).
  const stage = () => {
    const existing = readableFiles(dir, topic);
    const fresh = existing.length === 0 ? '' : `WHERE e.eventId NOT IN (SELECT event_id FROM read_parquet(${pathList(existing)}, union_by_name = true) WHERE event_id IS NOT NULL)`;
    const source = `SELECT ${lakeSelectList(schemas)} FROM read_json(${pathList([staging]).slice(1, -1)}, format = 'newline_delimited', columns = ${STAGED_COLUMNS}) ${fresh}`;
    return duck.run(`CREATE OR REPLACE TEMP TABLE backfill_rows AS ${source}`);
  };
  try {
    writeFileSync(staging, lines.join('\n') + '\n');
    await retryOnVanishedFile(stage);
    const [{ n }] = await duck.rows<{ n: number }>('SELECT count(*)::INT AS n FROM backfill_rows');
    if (n === 0) return 0;
    await duck.run(`COPY (SELECT * FROM backfill_rows ORDER BY sf_seq) TO '${temp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(temp, join(folder, `${topic}+backfill+${id}.parquet`));
    return n;
  } finally {
    rmSync(staging, { force: true });
    rmSync(temp, { force: true });
  }
}
