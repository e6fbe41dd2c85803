// Apache Kafka's own KafkaShareConsumer, the baseline of the share-group benchmark (bench/share.js):
// MEMBERS consumers of one share group, a thread each (a KafkaShareConsumer is used by one
// thread), in explicit acknowledgement mode: each record acknowledged ACCEPT on its own as it is
// handled, the acknowledgements sent with the next poll, as kafka-native's ShareConsumer does.
// As the row says: SHARE_MAX_RECORDS=N hands at most N a poll (share.acquire.mode record_limit,
// max.poll.records N), and SHARE_RENEW=1 renews each record's lock (RENEW; the client hands the
// record back on the next poll) before accepting it.
// Counts records until EXPECT measured ones came, then prints one JSON line: records/s from the
// first record to the last, and the milliseconds from each record's production (the producer's
// wall-clock microseconds in its payload, see produce.js) to its acknowledgement.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ShareBench {
  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  public static void main(String[] args) throws Exception {
    String brokers = System.getenv("KAFKA_BROKERS");
    String topic = System.getenv("KAFKA_TOPIC");
    String group = System.getenv("GROUP");
    int members = Integer.parseInt(System.getenv("MEMBERS"));
    long expect = Long.parseLong(System.getenv("EXPECT"));
    long timeoutMs = Long.parseLong(System.getenv().getOrDefault("TIMEOUT_MS", "120000"));

    AtomicLong measured = new AtomicLong();
    AtomicLong firstNanos = new AtomicLong();
    AtomicLong lastNanos = new AtomicLong();
    AtomicBoolean done = new AtomicBoolean();
    long[][] latencies = new long[members][];
    int[] counts = new int[members];
    Thread[] threads = new Thread[members];
    for (int m = 0; m < members; m++) {
      final int member = m;
      latencies[m] = new long[(int) Math.min(expect, 4_000_000L)];
      threads[m] = new Thread(() -> {
        Properties props = new Properties();
        props.put("bootstrap.servers", brokers);
        props.put("group.id", group);
        props.put("share.acknowledgement.mode", "explicit");
        String maxRecords = System.getenv("SHARE_MAX_RECORDS");
        if (maxRecords != null) {
          props.put("share.acquire.mode", "record_limit");
          props.put("max.poll.records", maxRecords);
        }
        boolean renew = "1".equals(System.getenv("SHARE_RENEW"));
        java.util.Set<String> renewed = new java.util.HashSet<>();
        try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          consumer.subscribe(List.of(topic));
          while (!done.get()) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            for (ConsumerRecord<byte[], byte[]> record : records) {
              String key = record.partition() + ":" + record.offset();
              if (renew && renewed.add(key)) {
                consumer.acknowledge(record, AcknowledgeType.RENEW);
                continue;
              }
              renewed.remove(key);
              consumer.acknowledge(record, AcknowledgeType.ACCEPT);
              byte[] value = record.value();
              if (value == null || value.length == 0 || value[0] != 'm') continue; // a warm-up record
              long sent = parseMicros(value);
              long now = nowMicros();
              if (counts[member] < latencies[member].length) latencies[member][counts[member]++] = now - sent;
              long n = measured.incrementAndGet();
              long t = System.nanoTime();
              firstNanos.compareAndSet(0, t);
              if (n == expect) {
                lastNanos.set(t);
                done.set(true);
              }
            }
          }
          consumer.commitSync(Duration.ofSeconds(10)); // the last acknowledgements
        }
      }, "member-" + m);
      threads[m].start();
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!done.get() && System.currentTimeMillis() < deadline) Thread.sleep(20);
    boolean complete = done.get();
    done.set(true);
    for (Thread t : threads) t.join(30_000);
    if (!complete) {
      System.err.println("ShareBench: " + measured.get() + " of " + expect + " records in " + timeoutMs + " ms");
      System.exit(1);
    }
    int total = 0;
    for (int c : counts) total += c;
    long[] all = new long[total];
    int at = 0;
    for (int m = 0; m < members; m++) {
      System.arraycopy(latencies[m], 0, all, at, counts[m]);
      at += counts[m];
    }
    Arrays.sort(all);
    double seconds = (lastNanos.get() - firstNanos.get()) / 1e9;
    System.out.printf("{\"records\":%d,\"records_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}%n",
        expect, expect / Math.max(seconds, 1e-9), all[total / 2] / 1000.0, all[Math.min(total - 1, (int) (total * 0.99))] / 1000.0, all[total - 1] / 1000.0);
    System.exit(0);
  }

  // The payload: 'm' (measured) or 'w' (warm-up), then the production time in microseconds since
  // the epoch as decimal digits, then padding.
  static long parseMicros(byte[] value) {
    long micros = 0;
    for (int i = 1; i < value.length && value[i] >= '0' && value[i] <= '9'; i++) micros = micros * 10 + (value[i] - '0');
    return micros;
  }
}
