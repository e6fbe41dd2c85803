//! What the [`Admin`](crate::Admin) client's describe calls answer: the cluster, topics,
//! consumer groups and configuration resources, as plain values copied out of librdkafka.

use crate::topic_partition::TopicPartition;

/// The cluster, as a metadata answer describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterDescription {
    /// `None` where the brokers do not say (very old ones).
    pub cluster_id: Option<String>,
    /// The controller's broker id; `None` where unknown.
    pub controller: Option<i32>,
    /// By id.
    pub brokers: Vec<BrokerDescription>,
}

/// One broker of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerDescription {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// A topic with the placement of each partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicDescription {
    pub topic: String,
    /// By partition id.
    pub partitions: Vec<PartitionDescription>,
}

/// Where a partition lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionDescription {
    pub partition: i32,
    /// The leader's broker id (-1 while it has none).
    pub leader: i32,
    pub replicas: Vec<i32>,
    /// The replicas in sync with the leader.
    pub in_sync_replicas: Vec<i32>,
    /// librdkafka's name of the partition's metadata error (e.g. `LEADER_NOT_AVAILABLE`).
    pub error: Option<String>,
}

/// The first offset of a partition at or after a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetAtTime {
    pub partition: i32,
    /// `None` when no message of the partition is that recent.
    pub offset: Option<i64>,
}

/// A consumer group, its state and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead` (a group that
    /// does not exist), ...
    pub state: String,
    /// The assignor the members agreed on (e.g. `range`, `cooperative-sticky`), empty when none.
    pub partition_assignor: String,
    /// A group that only commits offsets (no members join it).
    pub simple: bool,
    /// The coordinator's broker id, where known.
    pub coordinator: Option<i32>,
    pub members: Vec<GroupMember>,
}

/// A member of a consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    /// As the coordinator saw it, e.g. `/127.0.0.1`.
    pub host: String,
    /// The static member id (`group.instance.id`), if it has one.
    pub group_instance_id: Option<String>,
    /// The partitions assigned to it.
    pub assignment: Vec<TopicPartition>,
}

/// What a configuration belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Topic,
    /// Named by the broker's id, e.g. `"1"`.
    Broker,
    /// A consumer or share group's own settings (Kafka 4.0 and newer), e.g. a share group's
    /// `share.auto.offset.reset`, `share.record.lock.duration.ms`, `share.delivery.count.limit`.
    Group,
}

/// A topic, broker or group whose configuration is described or altered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigResource {
    pub kind: ResourceKind,
    pub name: String,
}

impl ConfigResource {
    pub fn topic(name: impl Into<String>) -> Self {
        ConfigResource {
            kind: ResourceKind::Topic,
            name: name.into(),
        }
    }

    pub fn broker(id: i32) -> Self {
        ConfigResource {
            kind: ResourceKind::Broker,
            name: id.to_string(),
        }
    }

    pub fn group(id: impl Into<String>) -> Self {
        ConfigResource {
            kind: ResourceKind::Group,
            name: id.into(),
        }
    }
}

/// Settings for one resource: `(name, value)` pairs.
pub type ConfigChange = (ConfigResource, Vec<(String, String)>);

/// Where a configuration value comes from; the numbers are Kafka's (and KafkaJS's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    Unknown = 0,
    DynamicTopic = 1,
    DynamicBroker = 2,
    DynamicDefaultBroker = 3,
    StaticBroker = 4,
    Default = 5,
    Group = 8,
}

/// A resource's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigDescription {
    pub resource: ConfigResource,
    /// By name.
    pub entries: Vec<ConfigEntry>,
}

/// One configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// `None` for a sensitive value, or one that is unset.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub is_default: bool,
    pub read_only: bool,
    pub sensitive: bool,
    /// The other settings that set this one, in order of precedence.
    pub synonyms: Vec<ConfigSynonym>,
}

/// A setting that also sets a configuration value (e.g. a broker default behind a topic's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: ConfigSource,
}
