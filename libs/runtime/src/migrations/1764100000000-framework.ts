import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Framework tables: the event store (system of record), command idempotency, relay and
 * projection checkpoints, projection versions, dead letters and processor state.
 */
export class Framework1764100000000 implements MigrationInterface {
  name = 'Framework1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sf_streams (
        stream_id   text PRIMARY KEY,
        version     bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    // tx_id lets a log reader stay below the oldest running transaction (gap safety):
    // global_position is assigned before commit, so it alone would skip late commits.
    await q.query(`
      CREATE TABLE sf_events (
        global_position  bigserial PRIMARY KEY,
        tx_id            xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id         uuid NOT NULL UNIQUE,
        stream_id        text NOT NULL,
        stream_position  bigint NOT NULL,
        type             text NOT NULL,
        schema_version   integer NOT NULL DEFAULT 1,
        data             jsonb NOT NULL,
        metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at      timestamptz NOT NULL,
        recorded_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (stream_id, stream_position)
      )`);
    await q.query(`CREATE INDEX sf_events_tx_order ON sf_events (tx_id, global_position)`);
    await q.query(`
      CREATE TABLE sf_commands (
        command_id  text PRIMARY KEY,
        stream_id   text NOT NULL,
        result      jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sf_relay_checkpoints (
        name        text PRIMARY KEY,
        tx_id       xid8 NOT NULL,
        position    bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sf_projections (
        name            text PRIMARY KEY,
        active_version  integer NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sf_projection_versions (
        name          text NOT NULL,
        version       integer NOT NULL,
        status        text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        activated_at  timestamptz,
        PRIMARY KEY (name, version)
      )`);
    // One row per (consumer, partition): the Kafka offset to read next and the highest relay
    // sequence (tx_id, position) applied, both committed with the consumer's effects.
    await q.query(`
      CREATE TABLE sf_checkpoints (
        consumer        text NOT NULL,
        topic           text NOT NULL,
        partition       integer NOT NULL,
        next_offset     bigint NOT NULL DEFAULT 0,
        seq_tx          xid8,
        seq_position    bigint,
        last_event_at   timestamptz,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, topic, partition)
      )`);
    await q.query(`
      CREATE TABLE sf_dead_letters (
        id           bigserial PRIMARY KEY,
        consumer     text NOT NULL,
        topic        text NOT NULL,
        partition    integer NOT NULL,
        "offset"     bigint NOT NULL,
        key          text,
        value        bytea NOT NULL,
        headers      jsonb NOT NULL,
        error        text NOT NULL,
        attempts     integer NOT NULL,
        status       text NOT NULL DEFAULT 'pending',
        created_at   timestamptz NOT NULL DEFAULT now(),
        resolved_at  timestamptz,
        UNIQUE (consumer, topic, partition, "offset")
      )`);
    await q.query(`
      CREATE TABLE sf_processor_state (
        processor   text NOT NULL,
        key         text NOT NULL,
        state       jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (processor, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'sf_processor_state',
      'sf_dead_letters',
      'sf_checkpoints',
      'sf_projection_versions',
      'sf_projections',
      'sf_relay_checkpoints',
      'sf_commands',
      'sf_events',
      'sf_streams',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
