import { Admin, Kafka, logLevel } from 'kafkajs';
import type { Pool } from 'pg';
import { allProjections, collectContexts } from '@streamfold/nestjs';
import { AppModule } from '../apps/streamfold/src/app.module';
import { sleep } from './util';

/** Every consumer the projection processes run, discovered from the host's contexts like the host does. */
export const CONSUMERS = allProjections(collectContexts(AppModule)).map((d) => ({
  name: d.name,
  topics: d.topics,
}));

export interface Lag {
  /** Committed events the relay has not published and checkpointed yet. */
  relay: number;
  /** Messages on Kafka not yet covered by the projections' checkpoints (null: broker unreachable). */
  projections: number | null;
  /** Consumers that never started (no row in sf_projections): cannot be caught up. */
  missingConsumers: string[];
}

/**
 * Lag as the framework itself defines it, measured from outside: the relay against the last
 * committed event in (tx_id, global_position) order (what test/app-harness.ts settle() waits for),
 * projections by their checkpoints in sf_checkpoints (the truth of what they applied, committed
 * with their effects) against the partitions' end offsets on Kafka.
 */
export class LagMeter {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;

  constructor(private readonly db: Pool, brokers: string, private readonly prefix: string) {
    this.kafka = new Kafka({ clientId: 'streamfold-chaos', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 1 } });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async relayLag(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sf_events e
       WHERE NOT EXISTS (SELECT 1 FROM sf_relay_checkpoints c
                         WHERE c.name = 'default' AND (e.tx_id, e.global_position) <= (c.tx_id, c.position))`,
    );
    return rows[0].n;
  }

  /** End offsets per `${topic}:${partition}` (logical topic names). */
  async endOffsets(topics: string[]): Promise<Map<string, { low: number; high: number }>> {
    const ends = new Map<string, { low: number; high: number }>();
    try {
      const admin = await this.getAdmin();
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(this.prefix + topic)) {
          ends.set(`${topic}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
        }
      }
    } catch (error) {
      // A broker restart breaks the admin connection: start a new one next time.
      const admin = this.admin;
      this.admin = null;
      await admin?.disconnect().catch(() => undefined);
      throw error;
    }
    return ends;
  }

  async projectionLag(): Promise<{ lag: number; missing: string[] }> {
    const topics = [...new Set(CONSUMERS.flatMap((c) => c.topics))];
    const ends = await this.endOffsets(topics);
    const active = await this.db.query<{ name: string; active_version: number }>(`SELECT name, active_version FROM sf_projections`);
    const versions = new Map(active.rows.map((r) => [r.name, r.active_version]));
    const checkpoints = await this.db.query<{ consumer: string; topic: string; partition: number; next_offset: string }>(
      `SELECT consumer, topic, partition, next_offset FROM sf_checkpoints`,
    );
    const next = new Map(checkpoints.rows.map((r) => [`${r.consumer}|${r.topic}:${r.partition}`, Number(r.next_offset)]));
    let lag = 0;
    const missing: string[] = [];
    for (const c of CONSUMERS) {
      const version = versions.get(c.name);
      if (version === undefined) {
        missing.push(c.name);
        continue;
      }
      const consumer = `${c.name}@v${version}`;
      for (const [key, { low, high }] of ends) {
        if (!c.topics.includes(key.slice(0, key.lastIndexOf(':')))) continue;
        // Same rule as libs/projections lag: no checkpoint yet means "at the first retained offset".
        const position = Math.max(next.get(`${consumer}|${key}`) ?? low, low);
        lag += Math.max(high - position, 0);
      }
    }
    return { lag, missing };
  }

  async measure(): Promise<Lag> {
    const relay = await this.relayLag();
    let projections: number | null = null;
    let missingConsumers: string[] = [];
    try {
      const p = await this.projectionLag();
      projections = p.lag;
      missingConsumers = p.missing;
    } catch {
      projections = null;
    }
    return { relay, projections, missingConsumers };
  }

  /**
   * Waits until the relay published every committed event and every projection consumed all of
   * Kafka, with no new event stored, twice in a row one second apart (processors append output events while they catch
   * up, which the relay must then publish too). Returns the last measurement.
   */
  async waitCaughtUp(timeoutMs: number, onTick: (lag: Lag) => void): Promise<{ ok: boolean; lag: Lag | null }> {
    const deadline = Date.now() + timeoutMs;
    let streak = 0;
    let last: Lag | null = null;
    let lastTick = 0;
    let stored = -1;
    while (Date.now() < deadline) {
      try {
        // Projections first: once they are at the end, no processor output is still coming.
        const p = await this.projectionLag();
        const relay = await this.relayLag();
        // And the store unchanged since the last look: a processor's last output (seen on a loaded
        // machine: PostCountsChanged of a delete) may be appended just after both lags read 0.
        const count = Number((await this.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM sf_events`)).rows[0].n);
        last = { relay, projections: p.lag, missingConsumers: p.missing };
        streak = relay === 0 && p.lag === 0 && p.missing.length === 0 && count === stored ? streak + 1 : 0;
        stored = count;
        if (streak >= 2) return { ok: true, lag: last };
      } catch {
        streak = 0;
      }
      if (last && Date.now() - lastTick > 5000) {
        lastTick = Date.now();
        onTick(last);
      }
      await sleep(1000);
    }
    return { ok: false, lag: last };
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
