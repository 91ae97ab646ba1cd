import { rmSync } from 'node:fs';
import { LogSequence, parseSequence } from '@streamfold/core';
import { Duck, pathList, retryOnVanishedFile } from './duck';
import { listTopicFiles, OffsetFile } from './lake-layout';

/** Where a partition resumes, derived from the lake's files alone. */
export interface PartitionPosition {
  /** Next offset to write: highest last offset in any file + 1 (0 when none). */
  nextOffset: number;
  /** Highest relay sequence written (null when none): re-sends not above it are dropped. */
  sequence: LogSequence | null;
}

/**
 * Makes a topic's folder consistent after a crash; run before writing (the sink does at start):
 *  - temporary files (a write or a merge cut short) are deleted: they were never published;
 *  - a file whose offset range lies inside another file's range in the same hour folder and
 *    partition is an input a compaction had merged but not yet deleted: it is deleted, so no row
 *    is counted twice (the sink only writes above every existing range, so no sink file can lie
 *    inside another).
 */
export function cleanUpTopic(dir: string, topic: string): void {
  const files = listTopicFiles(dir, topic);
  for (const temp of files.tempFiles) rmSync(temp, { force: true });
  removeCovered(files.offsetFiles);
}

/**
 * Where a partition resumes, from file names alone: the highest last offset + 1, as Kafka
 * Connect's S3 sink does. Leftover compaction inputs change neither figure, so this is safe to
 * call while another partition is being written.
 */
export function partitionPosition(duck: Duck, dir: string, topic: string, partition: number): Promise<PartitionPosition> {
  // A compaction may delete listed inputs meanwhile; their rows are in the merged file: list again.
  return retryOnVanishedFile(() => positionOnce(duck, dir, topic, partition));
}

async function positionOnce(duck: Duck, dir: string, topic: string, partition: number): Promise<PartitionPosition> {
  const files = listTopicFiles(dir, topic).offsetFiles.filter((f) => f.partition === partition);
  if (files.length === 0) return { nextOffset: 0, sequence: null };
  const nextOffset = Math.max(...files.map((f) => f.last)) + 1;
  // Kept rows' sequences only grow with the offset, so the row with the highest offset that has
  // one carries the highest sequence; newest files first keeps the scan short.
  files.sort((a, b) => b.last - a.last);
  let best: { offset: number; sequence: LogSequence } | null = null;
  for (let i = 0; i < files.length; i += 64) {
    // A file further down cannot hold a higher offset than this: stop once the best beats it.
    if (best && best.offset > files[i].last) break;
    const chunk = files.slice(i, i + 64).map((f) => f.path);
    const rows = await duck.rows<{ q: string | null; o: string | null }>(
      `SELECT max_by(sf_seq, kafka_offset) AS q, max(kafka_offset) AS o FROM read_parquet(${pathList(chunk)}, union_by_name = true) ` +
        `WHERE sf_seq IS NOT NULL`,
    );
    const sequence = parseSequence(rows[0]?.q ?? undefined);
    if (sequence && (!best || Number(rows[0].o) > best.offset)) best = { offset: Number(rows[0].o), sequence };
  }
  if (best) return { nextOffset, sequence: best.sequence };
  return { nextOffset, sequence: null };
}

/** Deletes compaction inputs that a merged file already covers; returns the files kept. */
export function removeCovered(files: OffsetFile[]): OffsetFile[] {
  const covered = coveredFiles(files);
  for (const f of covered) rmSync(f.path, { force: true });
  return files.filter((f) => !covered.includes(f));
}

/**
 * Files whose rows another file of the same hour folder and partition already holds (its range
 * contains theirs): readers skip them, recovery deletes them. Of two equal ranges one is kept.
 */
export function coveredFiles(files: OffsetFile[]): OffsetFile[] {
  const groups = new Map<string, OffsetFile[]>();
  for (const f of files) {
    const key = `${f.folder}\u0000${f.partition}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const covered: OffsetFile[] = [];
  for (const group of groups.values()) {
    for (const f of group) {
      if (group.some((g) => g !== f && g.first <= f.first && g.last >= f.last && (g.last - g.first > f.last - f.first || g.path < f.path))) covered.push(f);
    }
  }
  return covered;
}
