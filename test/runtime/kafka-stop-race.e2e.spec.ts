import { KafkaMessageLog } from '@streamfold/messaging';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

// kafkajs internals: the test holds a member's restart inside its group join, where a broker
// restart holds it for real (the coordinator is loading), so that stop() lands in that window.
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as { prototype: Record<string, (...args: unknown[]) => Promise<unknown>> };
const { KafkaJSNoBrokerAvailableError } = require('kafkajs/src/errors') as { KafkaJSNoBrokerAvailableError: new () => Error };

/**
 * kafkajs 2.2.4 restarts a member after a retriable crash with a new runner that counts as running
 * only once it has joined; a stop() meanwhile returns at once, and the runner then joins and fetches
 * with nobody consuming. Seen after a broker restart (the logs outage scenario): the member held
 * its partitions, re-fetched them at 100 % of a core, and the replacement consumer got nothing.
 */
describe('a consumer that kafkajs restarts while it is being stopped', () => {
  const prefix = topicPrefix('stoprace');
  const warnings: string[] = [];
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'e2e-stoprace', prefix, log: (_level, message) => void warnings.push(message) });
  const fetch = ConsumerGroup.prototype.fetch;
  const joinAndSync = ConsumerGroup.prototype.joinAndSync;

  afterAll(async () => {
    ConsumerGroup.prototype.fetch = fetch;
    ConsumerGroup.prototype.joinAndSync = joinAndSync;
    await deleteTopics(prefix);
    await log.close();
  });

  it('stops the restarted member when it joins after stop(), so a replacement gets its partitions', async () => {
    const group = `${prefix}race`;
    await log.ensureTopics([{ name: 'race', partitions: 2 }]);
    await log.send('race', Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    let seen = 0;
    const handle = await log.consume({ groupId: 'race', topics: ['race'], eachBatch: async (batch) => void (seen += batch.messages.length) });
    await eventually(async () => (seen >= 20 ? true : undefined), 30_000, 'the first 20 messages');

    // The member's next fetch fails as with its broker gone (kafkajs crashes it and restarts it),
    // and the restart waits inside its join until the test lets it go.
    let failNext = true;
    let entered!: () => void;
    const inJoin = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    ConsumerGroup.prototype.fetch = async function (this: { groupId: string }, ...args: unknown[]) {
      if (this.groupId === group && failNext) {
        failNext = false;
        throw new KafkaJSNoBrokerAvailableError();
      }
      return fetch.apply(this, args);
    };
    let joined!: () => void;
    const rejoined = new Promise<void>((resolve) => (joined = resolve));
    ConsumerGroup.prototype.joinAndSync = async function (this: { groupId: string }, ...args: unknown[]) {
      if (this.groupId !== group) return joinAndSync.apply(this, args);
      entered();
      await gate;
      const result = await joinAndSync.apply(this, args);
      joined();
      return result;
    };
    await inJoin;
    await handle.stop();
    ConsumerGroup.prototype.fetch = fetch;
    await log.send('race', Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(20 + i) })));
    release();
    await rejoined;
    ConsumerGroup.prototype.joinAndSync = joinAndSync;

    // The restarted member joins after stop(). A replacement in the same group (what the
    // projection runner's watchdog starts) must get every partition and read the new messages; with
    // the restarted member still in the group, heartbeating and never resolving a batch, the
    // replacement gets at most half of them, for good.
    const values = new Set<number>();
    const replacement = await log.consume({ groupId: 'race', topics: ['race'], eachBatch: async (batch) => batch.messages.forEach((m) => values.add(Number(m.value.toString()))) });
    try {
      await eventually(async () => (Array.from({ length: 20 }, (_, i) => 20 + i).every((v) => values.has(v)) ? true : undefined), 60_000, 'the replacement to read all 20 new messages');
    } finally {
      await replacement.stop();
    }
    expect(warnings.some((w) => /joined or fetched after it was stopped/.test(w))).toBe(true);
    expect(seen).toBe(20);
  });
});
