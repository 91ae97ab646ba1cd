import { fixKafkajsFetchPath } from './kafkajs-fetch-path';

interface Group {
  cluster: { findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number | null }> };
  preferredReadReplicasPerTopicPartition: Record<string, Record<number, { nodeId: number; expireAt: number }> | undefined>;
  logger: { debug(): void };
  findReadReplicaForPartitions(topic: string, partitions: Array<number | string>): Record<number, number[]>;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as { prototype: Group };
const original = ConsumerGroup.prototype.findReadReplicaForPartitions;

function group(leaders: Array<number | null>, preferred?: Group['preferredReadReplicasPerTopicPartition'][string]): Group {
  const g = Object.create(ConsumerGroup.prototype) as Group;
  return Object.assign(g, {
    cluster: { findTopicPartitionMetadata: () => leaders.map((leader, partitionId) => ({ partitionId, leader, offlineReplicas: [] })) },
    preferredReadReplicasPerTopicPartition: { t: preferred },
    logger: { debug: () => undefined },
  });
}

describe('fixKafkajsFetchPath: partitions split by node (kafkajs 2.2.4)', () => {
  beforeAll(() => expect(fixKafkajsFetchPath()).toBe('fixed'));

  it('gives what the original gives, in one pass: by leader, unknown partitions left out, string ids parsed', () => {
    const leaders = [1, 2, 1, 3, 2, 1];
    const ids = [0, 1, 2, 3, 4, 5, 9, '2'];
    expect(group(leaders).findReadReplicaForPartitions('t', ids)).toEqual(original.call(group(leaders), 't', ids));
    expect(group(leaders).findReadReplicaForPartitions('t', ids)).toEqual({ 1: [0, 2, 5, 2], 2: [1, 4], 3: [3] });
  });

  it('leaves preferred read replicas and invalid metadata to the original', () => {
    const preferred = { 1: { nodeId: 3, expireAt: Date.now() + 60_000 } };
    expect(group([1, 2], preferred).findReadReplicaForPartitions('t', [0, 1])).toEqual({ 1: [0], 3: [1] });
    expect(() => group([1, null]).findReadReplicaForPartitions('t', [0, 1])).toThrow(/Invalid partition metadata/);
  });
});
