import type { MessageLog } from '@streamfold/messaging';
import { Duck, pathList, retryOnVanishedFile } from './duck';
import { defaultLakeDir, lakeTopics, listTopicFiles } from './lake-layout';
import { readableFiles } from './lake-query';
import { coveredFiles } from './recovery';

export interface LakePartitionStatus {
  partition: number;
  /** Next offset the sink will write (from file names). */
  nextOffset: number;
  /** End of the partition on the log; null without a log. */
  high: number | null;
  /** Messages on the log not yet in the lake (offsets below `low` that retention dropped do not count). */
  lag: number | null;
}

export interface LakeTopicStatus {
  topic: string;
  files: number;
  rows: number;
  bytes: number;
  /** Sum over partitions; null without a log. */
  lag: number | null;
  partitions: LakePartitionStatus[];
}

/**
 * Per topic: files, rows, bytes, and how far the lake is behind the topic's end offsets.
 * @param log when given, lag is measured against it (the topics are read from the lake's folders
 *            plus `topics`, so a topic the sink has not written yet shows its whole length as lag)
 */
export async function lakeStatus(dir: string = defaultLakeDir(), log?: MessageLog, topics: string[] = []): Promise<LakeTopicStatus[]> {
  const names = [...new Set([...lakeTopics(dir), ...topics])].sort();
  const duck = await Duck.open({ threads: 1 });
  try {
    const out: LakeTopicStatus[] = [];
    for (const topic of names) out.push(await retryOnVanishedFile(() => topicStatus(duck, dir, topic, log)));
    return out;
  } finally {
    duck.close();
  }
}

async function topicStatus(duck: Duck, dir: string, topic: string, log?: MessageLog): Promise<LakeTopicStatus> {
  const files = listTopicFiles(dir, topic);
  const covered = new Set(coveredFiles(files.offsetFiles));
  const readable = readableFiles(dir, topic);
  const [{ n }] = readable.length === 0 ? [{ n: 0 }] : await duck.rows<{ n: number }>(`SELECT count(*)::BIGINT::DOUBLE AS n FROM read_parquet(${pathList(readable)}, union_by_name = true)`);
  const next = new Map<number, number>();
  for (const f of files.offsetFiles) if (!covered.has(f)) next.set(f.partition, Math.max(next.get(f.partition) ?? 0, f.last + 1));
  const ends = log ? await log.offsets(topic) : [];
  const partitionIds = [...new Set([...next.keys(), ...ends.map((e) => e.partition)])].sort((a, b) => a - b);
  const partitions = partitionIds.map((partition) => {
    const end = ends.find((e) => e.partition === partition);
    const nextOffset = next.get(partition) ?? 0;
    return { partition, nextOffset, high: end ? end.high : null, lag: end ? Math.max(0, end.high - Math.max(nextOffset, end.low)) : log ? 0 : null };
  });
  return {
    topic, files: readable.length, rows: Number(n), bytes: files.bytes,
    lag: log ? partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0) : null, partitions,
  };
}
