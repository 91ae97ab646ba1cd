package bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * Peer of the "fold" scenario: groupByKey().count() over the same likes topic, exactly_once_v2.
 * Args: bootstrap topic appId expectedEvents stateDir.
 * Counts input records as the count() processor sees them (a peek before the aggregation) and
 * stops when it has seen N; the count store is changelogged and committed transactionally, which
 * is the work comparable to our read model + checkpoint transaction. Prints one JSON line.
 */
public final class CountLikes {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], appId = args[2];
    long expected = Long.parseLong(args[3]);
    Path stateDir = Path.of(args[4]);
    Files.createDirectories(stateDir);

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(System.getProperty("threads", "2")));
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    AtomicLong seen = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    long[] firstAt = {0};
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topic, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .peek((k, v) -> {
          long n = seen.incrementAndGet();
          if (n == 1) firstAt[0] = System.nanoTime();
          if (n == expected) done.countDown();
        })
        .groupByKey()
        .count();

    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    long started = System.nanoTime();
    streams.start();
    Thread progress = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(3000);
          System.err.println("[kafka-streams] counted " + seen.get() + "/" + expected);
        }
      } catch (InterruptedException ignored) {
      }
    });
    progress.setDaemon(true);
    progress.start();
    done.await();
    long ended = System.nanoTime();
    streams.close(java.time.Duration.ofSeconds(20));
    streams.cleanUp();
    double fromStart = (ended - started) / 1e9;
    double fromFirst = (ended - firstAt[0]) / 1e9;
    System.out.println("RESULT {\"events\":" + expected + ",\"seconds\":" + fromStart + ",\"secondsFromFirst\":" + fromFirst
        + ",\"eventsPerSecond\":" + (expected / fromStart) + "}");
    System.exit(0);
  }
}
