/**
 * @streamfold/sink: the batch layer. Topics land in a lake folder as Parquet (written by DuckDB)
 * in a Hive layout partitioned by event time, exactly once per Kafka offset; SQL runs over it with
 * one view per topic. No NestJS here: the host wires these functions to its CLI, roles and HTTP.
 *
 *   runLakeSink(options)             the `sink` process role (and the embedded default): sink + compaction
 *   LakeSink.start(options)          the sink alone
 *   compactLake(options)             merges small files per hour folder (schedule it beside the sink)
 *   queryLake(sql, options)          `cli lake query "<SQL>"` (one SELECT, time-limited, read-only)
 *   LakeQueryRegistry#run(name, p)   the admin HTTP endpoint: named, parameterised queries only
 *   lakeStatus(dir, log, topics)     `cli lake status`: files, rows, bytes, lag per topic
 *   backfill(options)                `cli lake backfill --topic t --from-event-store`
 *   new Ingestor(options).ingest()   `POST /ingest/:stream` without the HTTP (status codes as data)
 */
export { runLakeSink, lakeConfigFromEnv, InvalidLakeConfig } from './sink-role';
export type { LakeConfig, RunningLakeSink } from './sink-role';
export { LakeSink } from './lake-sink';
export type { LakeSinkOptions, LakeSinkStats } from './lake-sink';
export { compactLake } from './compaction';
export type { CompactOptions, CompactResult } from './compaction';
export { queryLake, readableFiles, LakeQueryRejected, LakeQueryTimeout } from './lake-query';
export type { LakeQueryOptions, LakeQueryResult } from './lake-query';
export { LakeQueryRegistry, InvalidLakeQueryParams, UnknownLakeQuery } from './named-queries';
export type { LakeNamedQuery, LakeParamType } from './named-queries';
export { lakeStatus } from './lake-status';
export type { LakePartitionStatus, LakeTopicStatus } from './lake-status';
export { backfill } from './backfill';
export type { BackfillOptions, BackfillResult } from './backfill';
export { firstSequences } from './first-sequences';
export { Ingestor } from './ingest';
export type { IngestOutcome, IngestorOptions, IngestStream } from './ingest';
export { declaredColumns, ENVELOPE_COLUMNS, InvalidLakeSchema, lakeSchemasOf } from './lake-schema';
export type { LakeColumns, LakeColumnType, LakeSchemas } from './lake-schema';
export { defaultLakeDir, hourKeyOf, lakeTopics, listTopicFiles, offsetFileName } from './lake-layout';
export type { OffsetFile, TopicFiles } from './lake-layout';
export { cleanUpTopic } from './recovery';
