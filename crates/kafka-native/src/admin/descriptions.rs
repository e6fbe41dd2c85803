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
    /// The broker's node id.
    pub id: i32,
    /// The host it advertises.
    pub host: String,
    /// The port it advertises.
    pub port: i32,
}

/// A topic with the placement of each partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicDescription {
    /// The topic.
    pub topic: String,
    /// By partition id.
    pub partitions: Vec<PartitionDescription>,
}

/// Where a partition lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionDescription {
    /// The partition.
    pub partition: i32,
    /// The leader's broker id (-1 while it has none).
    pub leader: i32,
    /// The brokers that hold a replica of it.
    pub replicas: Vec<i32>,
    /// The replicas in sync with the leader.
    pub in_sync_replicas: Vec<i32>,
    /// librdkafka's name of the partition's metadata error (e.g. `LEADER_NOT_AVAILABLE`).
    pub error: Option<String>,
}

/// The first offset of a partition at or after a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetAtTime {
    /// The partition.
    pub partition: i32,
    /// `None` when no message of the partition is that recent.
    pub offset: Option<i64>,
}

/// A consumer group, its state and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group.
    pub group_id: String,
    /// Which protocol its members speak: a classic or consumer (KIP-848) group, or a share
    /// group (KIP-932: its members are [`ShareConsumer`](crate::ShareConsumer)s).
    pub group_type: GroupType,
    /// `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead` (a group that
    /// does not exist), ...
    pub state: String,
    /// The assignor the members agreed on (e.g. `range`, `cooperative-sticky`), empty when none.
    pub partition_assignor: String,
    /// A group that only commits offsets (no members join it).
    pub simple: bool,
    /// The coordinator's broker id, where known.
    pub coordinator: Option<i32>,
    /// Its members now.
    pub members: Vec<GroupMember>,
}

/// Which protocol a group's members speak, as the brokers tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// The classic group protocol (JoinGroup/SyncGroup).
    Classic,
    /// The consumer group protocol (KIP-848).
    Consumer,
    /// A share group (KIP-932).
    Share,
    /// Not told (a broker without the group type, or a group that does not exist).
    Unknown,
}

impl GroupType {
    /// `classic`, `consumer`, `share` or `unknown`, as Kafka's tools name them.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Classic => "classic",
            GroupType::Consumer => "consumer",
            GroupType::Share => "share",
            GroupType::Unknown => "unknown",
        }
    }
}

/// A member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// The client id it connected with.
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
    /// A topic, by name.
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
    /// What kind of resource it is.
    pub kind: ResourceKind,
    /// Its name (a broker's: its node id).
    pub name: String,
}

impl ConfigResource {
    /// The topic `name`.
    pub fn topic(name: impl Into<String>) -> Self {
        ConfigResource {
            kind: ResourceKind::Topic,
            name: name.into(),
        }
    }

    /// The broker of node id `id`.
    pub fn broker(id: i32) -> Self {
        ConfigResource {
            kind: ResourceKind::Broker,
            name: id.to_string(),
        }
    }

    /// The group `id` (a consumer or share group's own settings).
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
    /// Not known.
    Unknown = 0,
    /// Set on the topic.
    DynamicTopic = 1,
    /// Set on this broker at run time.
    DynamicBroker = 2,
    /// Set at run time for every broker.
    DynamicDefaultBroker = 3,
    /// From the broker's properties file.
    StaticBroker = 4,
    /// Kafka's default.
    Default = 5,
    /// Set on the group.
    Group = 8,
}

/// A resource's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigDescription {
    /// The resource described.
    pub resource: ConfigResource,
    /// By name.
    pub entries: Vec<ConfigEntry>,
}

/// One configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The setting's name.
    pub name: String,
    /// `None` for a sensitive value, or one that is unset.
    pub value: Option<String>,
    /// Where its value comes from.
    pub source: ConfigSource,
    /// Whether it is Kafka's default.
    pub is_default: bool,
    /// Whether it can be changed at run time.
    pub read_only: bool,
    /// Whether it is secret (its value is then not given).
    pub sensitive: bool,
    /// The other settings that set this one, in order of precedence.
    pub synonyms: Vec<ConfigSynonym>,
}

/// A setting that also sets a configuration value (e.g. a broker default behind a topic's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigSynonym {
    /// The setting's name.
    pub name: String,
    /// Its value there; `None` when secret or unset.
    pub value: Option<String>,
    /// Where it is set.
    pub source: ConfigSource,
}
