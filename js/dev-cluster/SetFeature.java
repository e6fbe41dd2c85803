// Sets one finalized feature of a Kafka cluster, as kafka-features.sh upgrade (or downgrade)
// does: java -cp 'kafka/libs/*' SetFeature.java <bootstrap servers> <feature> <level>.
// Run from source by KafkaCluster.setFeature() (js/dev-cluster/cluster.js): Kafka's server jars
// the dev cluster installs hold the Admin client but not kafka-tools.
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;

public class SetFeature {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        short level = Short.parseShort(args[2]);
        try (Admin admin = Admin.create(props)) {
            var finalized = admin.describeFeatures().featureMetadata().get().finalizedFeatures().get(args[1]);
            short current = finalized == null ? 0 : finalized.maxVersionLevel();
            FeatureUpdate.UpgradeType type = level >= current ? FeatureUpdate.UpgradeType.UPGRADE : FeatureUpdate.UpgradeType.SAFE_DOWNGRADE;
            admin.updateFeatures(Map.of(args[1], new FeatureUpdate(level, type)), new UpdateFeaturesOptions()).all().get();
        }
    }
}
