import type { LogMessage, MessageLog, TopicSpec } from '@streamfold/messaging';
import type { Sql } from '@streamfold/runtime';

/** The logical topic every consumer's dead letters go to (the same spec as the app's topic list). */
export const DEAD_LETTER_TOPIC: TopicSpec = { name: 'dead_letters', partitions: 3, retentionMs: -1 };

/** Headers added to the original message on the dead-letter topic. */
export const DEAD_LETTER_HEADER = {
  error: 'sf-dlq-error',
  attempts: 'sf-dlq-attempts',
  /** `${topic}/${partition}/${offset}` of the original message. */
  source: 'sf-dlq-source',
  consumer: 'sf-dlq-consumer',
} as const;

const MAX_HEADER_ERROR = 1000;

/** A message a consumer gives up on (malformed, or failing every retry), with the error and attempts. */
export interface DeadLetterInput {
  consumer: string;
  message: LogMessage;
  error: string;
  attempts: number;
}

/**
 * Writes a dead letter inside the caller's transaction, the one that also moves the checkpoint
 * past the message: the table row and the checkpoint commit together. The copy on the topic is
 * produced before that commit, so a crash in between produces it again on redelivery: the topic
 * is at-least-once (readers de-duplicate on sf-dlq-source) and the table, keyed
 * (consumer, topic, partition, offset), holds each dead letter once.
 */
export class DeadLetterWriter {
  private topicReady: Promise<void> | null = null;

  constructor(private readonly log: MessageLog) {}

  async write(sql: Sql, input: DeadLetterInput): Promise<void> {
    await this.writeMany(sql, [input]);
  }

  /**
   * A batch's dead letters in one produce request and one INSERT. The caller's transaction is
   * open meanwhile (it holds checkpoint row locks, so an xid), and an open writing transaction
   * holds back what the relay may publish from this database: one message at a time, a flood of
   * malformed messages kept it open for seconds and the whole pipeline waited.
   */
  async writeMany(sql: Sql, inputs: readonly DeadLetterInput[]): Promise<void> {
    if (inputs.length === 0) return;
    await this.ensureTopic();
    await this.log.send(
      DEAD_LETTER_TOPIC.name,
      inputs.map(({ message, consumer, error, attempts }) => ({
        key: message.key,
        value: message.value,
        timestamp: message.timestamp,
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADER.error]: error.slice(0, MAX_HEADER_ERROR),
          [DEAD_LETTER_HEADER.attempts]: String(attempts),
          [DEAD_LETTER_HEADER.source]: `${message.topic}/${message.partition}/${message.offset}`,
          [DEAD_LETTER_HEADER.consumer]: consumer,
        },
      })),
    );
    await sql.query(
      `INSERT INTO sf_dead_letters (consumer, topic, partition, "offset", key, value, headers, error, attempts)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::bytea[], $7::jsonb[], $8::text[], $9::int[])
       ON CONFLICT (consumer, topic, partition, "offset") DO NOTHING`,
      [
        inputs.map((i) => i.consumer),
        inputs.map((i) => i.message.topic),
        inputs.map((i) => i.message.partition),
        inputs.map((i) => i.message.offset),
        inputs.map((i) => i.message.key),
        inputs.map((i) => (typeof i.message.value === 'string' ? Buffer.from(i.message.value) : i.message.value)),
        inputs.map((i) => JSON.stringify(i.message.headers)),
        inputs.map((i) => i.error),
        inputs.map((i) => i.attempts),
      ],
    );
  }

  private ensureTopic(): Promise<void> {
    if (!this.topicReady) {
      this.topicReady = this.log.ensureTopics([DEAD_LETTER_TOPIC]);
      this.topicReady.catch(() => (this.topicReady = null)); // retried on the next dead letter
    }
    return this.topicReady;
  }
}

/** `Name: message` of an error, as stored on a dead letter and its `sf-dlq-error` header. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
