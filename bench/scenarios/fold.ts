import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { KafkaMessageLog } from '@streamfold/messaging';
import type { RebuildResult } from '@streamfold/projections';
import { SOCIAL_TOPICS, SocialTopic } from '../../apps/social/src/social.topics';
import { ROOT, runChild, say } from '../lib/child';
import { row } from '../lib/scenarios';
import type { Context } from './context';

interface Rate {
  eventsPerSecond: number;
  seconds: number;
  cpuSeconds?: number;
  peakRssMb?: number;
}

/**
 * fold, fold-ceiling and rebuild share one data set: N PostLiked envelopes on `<prefix>likes`
 * (32 partitions). Ours folds it into the like counts, the bare consumer and Kafka Streams count
 * it, then ours rebuilds the counts from it into a second version.
 */
export async function runFoldAndRebuild(ctx: Context): Promise<void> {
  const n = ctx.plan.foldEvents;
  const log = new KafkaMessageLog({ brokers: ctx.brokers, clientId: 'bench-setup', prefix: ctx.prefix });
  const topics = SOCIAL_TOPICS.filter((t) => ([SocialTopic.posts, SocialTopic.likes, SocialTopic.comments] as string[]).includes(t.name));
  await log.ensureTopics(topics);
  await log.close();
  const likes = `${ctx.prefix}${SocialTopic.likes}`;
  const env = { KAFKA_BROKERS: ctx.brokers.join(','), PREFIX: ctx.prefix, N: String(n) };
  say(`  producing ${n.toLocaleString('en-US')} PostLiked events to ${likes} (32 partitions; setup, not measured)`);
  const produced = await runChild<{ seconds: number; valueBytes: number }>('ts', ['bench/ours/produce-likes.ts'], { label: 'data', env: { ...env, TOPIC: likes } });
  say(`  produced in ${produced.seconds.toFixed(1)} s (${produced.valueBytes} B per value)`);

  const dbUrl = await ctx.db('sf_bench_fold');
  const ours = await runChild<Rate & { cpuSeconds: number; peakRssMb: number; likes: number }>('ts', ['bench/ours/fold.ts'], { label: 'ours fold', profile: ctx.profile, env: { ...env, DB_URL: dbUrl } });
  say(`  ours: ${Math.round(ours.eventsPerSecond)} events/s (read model holds ${ours.likes} likes = N)`);
  const bare = await runChild<Rate>('ts', ['bench/peers/bare-consumer.ts'], { label: 'bare consumer', env: { ...env, TOPIC: likes, GROUP: `${ctx.prefix}bare-count` } });
  say(`  bare kafkajs consumer: ${Math.round(bare.eventsPerSecond)} events/s`);
  // The same ceiling with another client, for the MessageLog port's question (bench/README.md).
  let platformatic: Rate | null = null;
  let platformaticError = '';
  try {
    platformatic = await runChild<Rate>('ts', ['bench/peers/platformatic-consumer.ts'], { label: 'platformatic consumer', env: { ...env, TOPIC: likes, GROUP: `${ctx.prefix}platformatic-count` } });
    say(`  bare @platformatic/kafka consumer: ${Math.round(platformatic.eventsPerSecond)} events/s (${(platformatic.eventsPerSecond / bare.eventsPerSecond).toFixed(2)}× kafkajs)`);
  } catch (error) {
    platformaticError = (error as Error).message.split('\n')[0];
    say(`  @platformatic/kafka consumer failed: ${platformaticError}`);
  }
  const otherClient = platformatic
    ? `; a bare @platformatic/kafka 1.35 consumer on the same topic: ${Math.round(platformatic.eventsPerSecond).toLocaleString('en-US')} events/s (${(platformatic.eventsPerSecond / bare.eventsPerSecond).toFixed(2)}× the kafkajs one; ${platformatic.cpuSeconds?.toFixed(1)} CPU s against ${bare.cpuSeconds?.toFixed(1)})`
    : `; the @platformatic/kafka consumer failed: ${platformaticError}`;
  let streams: Rate | null = null;
  let streamsError = '';
  try {
    const dir = join(ROOT, 'bench', 'kafka-streams', 'target');
    streams = await runChild<Rate>('java', ['-Xmx1g', '-Dthreads=2', '-cp', `${join(dir, 'classes')}:${join(dir, 'lib')}/*`, 'bench.CountLikes', ctx.brokers.join(','), likes, `${ctx.prefix}ks-count`, String(n), join(tmpdir(), `${ctx.prefix}ks-state`)], {
      label: 'kafka streams',
      timeoutMs: 20 * 60 * 1000,
    });
    say(`  Kafka Streams: ${Math.round(streams.eventsPerSecond)} events/s`);
  } catch (error) {
    streamsError = (error as Error).message.split('\n')[0];
    say(`  Kafka Streams failed: ${streamsError}`);
  }
  const common = { cpuSeconds: ours.cpuSeconds, peakRssMb: ours.peakRssMb };
  const fold = row(ours.eventsPerSecond, streams?.eventsPerSecond ?? null, 'events/s', 'Kafka Streams 4.1.1 groupByKey().count(), exactly_once_v2, 2 threads', true);
  ctx.rows.fold = fold;
  ctx.details.fold = {
    target: '≥ 1.0× Kafka Streams', meetsTarget: fold.ratio === null ? null : fold.ratio >= 1, ...common,
    note: `${n.toLocaleString('en-US')} events, timed from start (group join included) until every event is committed; read model checked (sum of likes = N)${streamsError ? `; Kafka Streams failed: ${streamsError}` : ''}`,
    extra: { ours, streams, produced },
  };
  const ceiling = row(ours.eventsPerSecond, bare.eventsPerSecond, 'events/s', 'bare kafkajs consumer (counts only)', true);
  ctx.rows['fold-ceiling'] = ceiling;
  ctx.details['fold-ceiling'] = { target: '≥ 0.5× bare consumer', meetsTarget: (ceiling.ratio ?? 0) >= 0.5, ...common, note: `same fold figure against the consume ceiling on the same topic${otherClient}`, extra: { bare, platformatic } };

  const rebuilt = await runChild<Rate & { cpuSeconds: number; peakRssMb: number; events: number; phases: RebuildResult['phases'] }>('ts', ['bench/ours/rebuild.ts'], { label: 'ours rebuild', profile: ctx.profile, env: { ...env, DB_URL: dbUrl } });
  const { prepareMs, foldMs, swapMs, stopMs } = rebuilt.phases;
  const phases = `prepare ${prepareMs} ms, fold ${foldMs} ms (${Math.round((rebuilt.events * 1000) / foldMs)} events/s), swap ${swapMs} ms, stop ${stopMs} ms`;
  say(`  rebuild: ${Math.round(rebuilt.eventsPerSecond)} events/s (${phases})`);
  const rebuild = row(rebuilt.eventsPerSecond, bare.eventsPerSecond, 'events/s', 'bare kafkajs consumer (consume ceiling, same topic)', true);
  ctx.rows.rebuild = rebuild;
  ctx.details.rebuild = {
    target: '≥ 100,000 events/s', meetsTarget: rebuilt.eventsPerSecond >= 100_000, cpuSeconds: rebuilt.cpuSeconds, peakRssMb: rebuilt.peakRssMb,
    note: `rebuildProjection({from: 'kafka'}) over the same ${n.toLocaleString('en-US')} events into v2 beside the live v1, swap included (${phases}); no replay peer exists, so the limit is the consume ceiling${otherClient}`,
    extra: { rebuilt },
  };
}
