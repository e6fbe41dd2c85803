// Kafka's Java producer in the transactions benchmark (bench/transactions.js), run from source
// with the broker's jars (kafka-clients among them):
//   java -cp 'kafka/libs/*' TxnBench.java <servers> <topic> <transactions> <per transaction> <offsets 0|1>
// The same loop as bench/clients/transactions/client.js: each transaction begun, PER records of
// 100 B sent to partition 0, with OFFSETS its group offset sent to it, and committed before the
// next; the first (which connects) not timed. Prints one JSON line: {seconds, commits} (each
// commitTransaction() call's milliseconds). kafka-clients chooses transactions v2 itself where
// the cluster finalized transaction.version 2.
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

public class TxnBench {
    public static void main(String[] args) throws Exception {
        String servers = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        int per = Integer.parseInt(args[3]);
        boolean offsets = args[4].equals("1");
        long pid = ProcessHandle.current().pid();
        Properties props = new Properties();
        props.put("bootstrap.servers", servers);
        props.put("transactional.id", "bench-txn-java-" + pid);
        props.put("linger.ms", "0");
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        String[] payloads = new String[per];
        for (int i = 0; i < per; i++) payloads[i] = String.format("%08d", i) + "x".repeat(92);
        ConsumerGroupMetadata group = new ConsumerGroupMetadata("bench-txn-java-group-" + pid);
        TopicPartition tp = new TopicPartition(topic, 0);
        double[] commits = new double[count];
        long started = 0;
        double seconds;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            for (int i = -1; i < count; i++) {
                if (i == 0) started = System.nanoTime();
                producer.beginTransaction();
                for (String p : payloads) producer.send(new ProducerRecord<>(topic, 0, null, p));
                if (offsets) producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(i + 2)), group);
                long c = System.nanoTime();
                producer.commitTransaction();
                if (i >= 0) commits[i] = (System.nanoTime() - c) / 1e6;
            }
            seconds = (System.nanoTime() - started) / 1e9;
        }
        StringBuilder out = new StringBuilder("{\"seconds\":" + seconds + ",\"commits\":[");
        for (int i = 0; i < count; i++) out.append(i > 0 ? "," : "").append(commits[i]);
        System.out.println(out.append("]}"));
    }
}
