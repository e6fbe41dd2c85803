// Apache Kafka's own KafkaShareConsumer (kafka-clients 4.4) playing one scenario of the share
// differential suite (test/kafka/share-differential.test.js), which plays the same with
// kafka-native's ShareConsumer and compares what each was handed. Run from source with the jars
// the test cluster runs on: java -cp 'libs/*' ShareScenario.java <servers> <scenario> <topic> <group>.
// Prints one JSON line per record handed over ({member, payload, delivery, batch}: the poll's
// record count), and per acknowledgement outcome ({outcome: [offsets], error}), then {"done":true}.
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ShareScenario {
  static String servers, topic, group;

  static KafkaShareConsumer<String, String> member(Map<String, String> extra) {
    Properties props = new Properties();
    props.put("bootstrap.servers", servers);
    props.put("group.id", group);
    props.put("share.acknowledgement.mode", "explicit");
    props.putAll(extra);
    KafkaShareConsumer<String, String> c = new KafkaShareConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }

  static synchronized void handed(int member, ConsumerRecord<String, String> r, int batch) {
    System.out.printf("{\"member\":%d,\"payload\":\"%s\",\"delivery\":%d,\"batch\":%d}%n", member, r.value(), r.deliveryCount().orElse((short) 0), batch);
    System.out.flush();
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static void main(String[] args) throws Exception {
    servers = args[0];
    String scenario = args[1];
    topic = args[2];
    group = args[3];
    switch (scenario) {
      case "release" -> release();
      case "reject" -> reject();
      case "record_limit" -> recordLimit();
      case "renew" -> renew();
      case "lock_expiry" -> lockExpiry();
      case "outcomes" -> outcomes();
      default -> throw new IllegalArgumentException(scenario);
    }
    System.out.println("{\"done\":true}");
  }

  // Each record released on its first delivery and accepted on its second, until `jobs` are
  // accepted.
  static void release() {
    try (var c = member(Map.of())) {
      int accepted = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (accepted < 3 && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
        for (var r : records) {
          handed(0, r, records.count());
          if (r.deliveryCount().orElse((short) 1) == 1) c.acknowledge(r, AcknowledgeType.RELEASE);
          else {
            c.acknowledge(r, AcknowledgeType.ACCEPT);
            accepted++;
          }
        }
        c.commitSync();
      }
    }
  }

  // job-1 rejected, the others accepted; then 3 s more of polling, in which nothing may come.
  static void reject() {
    try (var c = member(Map.of())) {
      int seen = 0;
      long quietUntil = Long.MAX_VALUE;
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
        for (var r : records) {
          handed(0, r, records.count());
          c.acknowledge(r, r.value().equals("job-1") ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT);
          if (++seen == 3) quietUntil = System.currentTimeMillis() + 3000;
        }
        c.commitSync();
      }
    }
  }

  // share.acquire.mode record_limit and max.poll.records 5; the 20 records were written in one
  // send (one record batch); each accepted.
  static void recordLimit() {
    try (var c = member(Map.of("share.acquire.mode", "record_limit", "max.poll.records", "5"))) {
      int seen = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (seen < 20 && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
        for (var r : records) {
          handed(0, r, records.count());
          c.acknowledge(r, AcknowledgeType.ACCEPT);
          seen++;
        }
        c.commitSync();
      }
    }
  }

  // Two members; the one handed job-0 works on it for three lock durations (the group's lock is
  // 2 s), renewing it every second, then accepts it. The other polls all the while. (The Java
  // client hands a renewed record back on the next poll, KAFKA-20458: that is the same member
  // still at work, not a new delivery.)
  static void renew() throws Exception {
    AtomicBoolean finished = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int m = 0; m < 2; m++) {
      final int member = m;
      Thread t = new Thread(() -> {
        try (var c = member(Map.of())) {
          long startedAt = -1;
          long until = Long.MAX_VALUE;
          while (System.currentTimeMillis() < until) {
            ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
            for (var r : records) {
              if (startedAt < 0) {
                handed(member, r, records.count());
                startedAt = System.currentTimeMillis();
              }
              if (System.currentTimeMillis() - startedAt < 6000) {
                sleep(1000);
                c.acknowledge(r, AcknowledgeType.RENEW);
              } else {
                c.acknowledge(r, AcknowledgeType.ACCEPT);
                finished.set(true);
              }
            }
            c.commitSync();
            // Both poll on for 2 s after the job is done.
            if (finished.get() && until == Long.MAX_VALUE) until = System.currentTimeMillis() + 2000;
          }
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join(90_000);
  }

  // Each record accepted; the acknowledgement commit callback's outcomes, until three offsets
  // were told.
  static void outcomes() {
    try (var c = member(Map.of())) {
      Set<Long> told = new TreeSet<>();
      c.setAcknowledgementCommitCallback((offsets, exception) -> offsets.forEach((tp, set) -> {
        synchronized (ShareScenario.class) {
          System.out.printf("{\"outcome\":%s,\"error\":%s}%n", new TreeSet<>(set), exception == null ? "null" : "\"" + exception.getClass().getSimpleName() + "\"");
        }
        told.addAll(set);
      }));
      long deadline = System.currentTimeMillis() + 60_000;
      while (told.size() < 3 && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
        for (var r : records) {
          handed(0, r, records.count());
          c.acknowledge(r, AcknowledgeType.ACCEPT);
        }
        c.commitSync();
      }
    }
  }

  // The member handed job-0 holds it past the lock (2 s) without acknowledging and then leaves;
  // a second member, started after, is handed it again and accepts it.
  static void lockExpiry() {
    try (var first = member(Map.of())) {
      long deadline = System.currentTimeMillis() + 60_000;
      boolean got = false;
      while (!got && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = first.poll(Duration.ofMillis(100));
        for (var r : records) {
          handed(0, r, records.count());
          got = true;
        }
      }
      sleep(3500);
      try (var second = member(Map.of())) {
        boolean done = false;
        while (!done && System.currentTimeMillis() < deadline) {
          ConsumerRecords<String, String> records = second.poll(Duration.ofMillis(100));
          for (var r : records) {
            handed(1, r, records.count());
            second.acknowledge(r, AcknowledgeType.ACCEPT);
            done = true;
          }
          second.commitSync();
        }
      }
    }
  }
}
