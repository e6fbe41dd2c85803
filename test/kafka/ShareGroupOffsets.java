// A share group's offsets as Kafka's Java Admin gives them (Admin.listShareGroupOffsets, what
// kafka-share-groups.sh --describe --offsets prints), one JSON line per partition, sorted:
// java -cp 'kafka/libs/*' ShareGroupOffsets.java <bootstrap servers> <group>.
// Run from source by test/share-consumer.test.js against Admin.shareGroupOffsets().
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;

public class ShareGroupOffsets {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin
                .listShareGroupOffsets(Map.of(args[1], new ListShareGroupOffsetsSpec()))
                .partitionsToOffsetInfo(args[1])
                .get();
            Map<String, String> lines = new TreeMap<>();
            offsets.forEach((tp, info) -> {
                if (info == null) return;
                lines.put(tp.topic() + "\u0000" + String.format("%010d", tp.partition()), String.format(
                    "{\"topic\":\"%s\",\"partition\":%d,\"start_offset\":%d,\"leader_epoch\":%s,\"lag\":%s}",
                    tp.topic(), tp.partition(), info.startOffset(),
                    info.leaderEpoch().map(String::valueOf).orElse("null"),
                    info.lag().map(String::valueOf).orElse("null")));
            });
            lines.values().forEach(System.out::println);
        }
    }
}
