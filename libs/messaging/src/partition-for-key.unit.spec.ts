import { partitionForKey } from './message-log.port';

/**
 * Kafka's Java producer places a keyed record with BuiltInPartitioner.partitionForKey:
 * `Utils.toPositive(Utils.murmur2(serializedKey)) % numPartitions`, toPositive being `& 0x7fffffff`
 * (apache/kafka, clients/.../producer/internals/BuiltInPartitioner.java). The hashes below are the
 * published vectors of Kafka's own test, UtilsTest.testMurmur2 (apache/kafka,
 * clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java), keys as UTF-8 bytes.
 * If partitionForKey drifted from them, the in-process log and Kafka would put one key on
 * different partitions, and per-key order would no longer mean the same thing on both.
 */
const KAFKA_MURMUR2: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

/** The Java client's placement, computed from the published hash. */
const javaPartition = (hash: number, partitions: number) => (hash & 0x7fffffff) % partitions;

describe('partitionForKey', () => {
  it.each(KAFKA_MURMUR2)('places %j where the Java client does (murmur2 %d)', (key, hash) => {
    // 2^31 - 1 partitions exposes all 31 bits Kafka keeps of the hash; the others are real sizes.
    for (const partitions of [1, 3, 12, 30, 64, 0x7fffffff]) {
      expect([partitions, partitionForKey(key, partitions, 0)]).toEqual([partitions, javaPartition(hash, partitions)]);
    }
  });

  it('spreads keyless messages round-robin instead of hashing them', () => {
    expect([0, 1, 2, 3].map((n) => partitionForKey(null, 3, n))).toEqual([0, 1, 2, 0]);
  });
});
