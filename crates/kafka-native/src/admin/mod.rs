//! [`Admin`]: topics and consumer groups, managed through the brokers.

use std::sync::Arc;
use std::time::Duration;

use kafka_native_sys as rdsys;

use crate::config::{client_option_setters, validate_topic_name, ClientConfig, ClientOptions};
use crate::connection::BrokerErrors;
pub(crate) mod descriptions;

use crate::error::KafkaError;
use crate::events::{EventSink, EventsThread, LogHandler, LogRecord};
use crate::metadata::Retry;
use crate::native::client::ClientKind;
use crate::native::{
    AlterMode, GroupKind, NativeClient, NewTopicSpec, PartitionList, TopicOutcome,
};
use crate::topic_partition::TopicPartition;
pub use share_groups::SharePartitionOffset;

mod share_groups;

pub use descriptions::{
    BrokerDescription, ClusterDescription, ConfigChange, ConfigDescription, ConfigEntry,
    ConfigResource, ConfigSource, ConfigSynonym, GroupDescription, GroupMember, GroupType,
    OffsetAtTime, PartitionDescription, ResourceKind, TopicDescription,
};

/// Admin client options.
#[derive(Clone)]
pub struct AdminConfig {
    /// The brokers, librdkafka properties and logger.
    pub client: ClientOptions,
    /// How long one request may take. Default 10 s.
    pub request_timeout: Duration,
}

impl AdminConfig {
    /// An admin client of the cluster at `brokers` (`host:port`, comma-separated).
    pub fn new(brokers: impl Into<String>) -> Self {
        let mut client = ClientOptions::new(brokers);
        client.statistics_interval = Duration::ZERO;
        AdminConfig {
            client,
            request_timeout: Duration::from_secs(10),
        }
    }

    client_option_setters!();

    /// Sets [`AdminConfig::request_timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The librdkafka properties these options stand for.
    pub fn client_config(&self) -> ClientConfig {
        self.client.client_config(|_| {})
    }
}

/// A topic to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTopic {
    /// The topic.
    pub topic: String,
    /// -1 takes the broker's `num.partitions`.
    pub partitions: i32,
    /// -1 (the default) takes the broker's `default.replication.factor`.
    pub replication_factor: i32,
    /// Topic configuration, e.g. `("retention.ms", "60000")`.
    pub config: Vec<(String, String)>,
}

impl NewTopic {
    /// A topic of `partitions` partitions, at the cluster's replication factor and topic defaults.
    pub fn new(topic: impl Into<String>, partitions: i32) -> Self {
        NewTopic {
            topic: topic.into(),
            partitions,
            replication_factor: -1,
            config: Vec::new(),
        }
    }
}

/// A topic as the brokers list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicListing {
    /// The topic.
    pub topic: String,
    /// How many partitions it has.
    pub partitions: usize,
}

/// A partition's oldest and next offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watermarks {
    /// The first offset the partition still holds (the log start).
    pub low: i64,
    /// The offset the next record written will get (the high watermark).
    pub high: i64,
}

/// A consumer group as the brokers list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupListing {
    /// The group.
    pub group_id: String,
    /// Which protocol its members speak (where the brokers tell it: Apache Kafka 3.7+).
    pub group_type: GroupType,
    /// `Stable`, `Empty`, `PreparingRebalance`, ...
    pub state: String,
    /// A group that only commits offsets (no members join it).
    pub simple: bool,
}

/// A consumer group's progress on one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPartitionOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The next offset the group will read (what it committed).
    pub committed: i64,
    /// The partition's high watermark: the offset the next record written will get.
    pub high_watermark: i64,
    /// Messages the group has yet to read: `high_watermark - committed`.
    pub lag: i64,
}

/// An admin client: creates and deletes topics, lists topics and consumer groups, and reads
/// watermarks and a group's offsets and lag. Every call waits for the brokers' answer (at most
/// `request_timeout`); errors name the topic or group and carry librdkafka's error name.
///
/// ```no_run
/// use kafka_native::{Admin, AdminConfig, NewTopic};
/// let admin = Admin::new(AdminConfig::new("localhost:9092"))?;
/// admin.create_topics(&[NewTopic::new("events", 6)])?;
/// for t in admin.list_topics()? {
///     println!("{} has {} partitions", t.topic, t.partitions);
/// }
/// # Ok::<(), kafka_native::KafkaError>(())
/// ```
pub struct Admin {
    events: EventsThread,
    brokers: Arc<BrokerErrors>,
    client: Arc<NativeClient>,
    timeout: Duration,
}

/// Runs on `kn-events`: the admin client has only logs to forward.
struct AdminEvents {
    log: LogHandler,
}

impl EventSink for AdminEvents {
    fn log(&mut self, record: LogRecord) {
        (self.log)(&record)
    }
}

impl Admin {
    /// Checks the configuration (errors name the option) and makes the client; it connects at its
    /// first request.
    pub fn new(config: AdminConfig) -> Result<Self, KafkaError> {
        config.client.validate()?;
        let mut conf = config.client_config().to_native()?;
        conf.enable_events(rdsys::RD_KAFKA_EVENT_ERROR | rdsys::RD_KAFKA_EVENT_LOG);
        conf.set_hooks(config.client.hooks());
        let client = Arc::new(NativeClient::new(ClientKind::Producer, conf)?);
        client.route_logs_to_main_queue()?;
        let brokers = Arc::new(BrokerErrors::default());
        let events = EventsThread::spawn(
            client.main_queue(),
            brokers.clone(),
            AdminEvents {
                log: config.client.logger(),
            },
        )
        .map_err(|e| KafkaError::ClientCreation {
            message: format!("could not start the events thread: {e}"),
        })?;
        Ok(Admin {
            events,
            brokers,
            client,
            timeout: config.request_timeout,
        })
    }

    /// Creates the topics, each with its partitions, replication factor and config, and returns
    /// once the brokers' metadata lists them.
    pub fn create_topics(&self, topics: &[NewTopic]) -> Result<(), KafkaError> {
        refuse_duplicates(topics.iter().map(|t| t.topic.as_str()))?;
        for t in topics {
            validate_topic_name(&t.topic)?;
            // -1: the broker's default.
            if t.replication_factor == 0 || t.replication_factor < -1 {
                return Err(KafkaError::invalid(
                    "replication_factor",
                    format!(
                        "of topic {:?} must be at least 1 (or left out for the broker's \
                         default), got {}",
                        t.topic, t.replication_factor
                    ),
                ));
            }
            // -1: the broker's default (`num.partitions`).
            if t.partitions == 0 || t.partitions < -1 {
                return Err(KafkaError::invalid(
                    "partitions",
                    format!(
                        "of topic {:?} must be at least 1 (or -1 for the broker's default), \
                         got {}",
                        t.topic, t.partitions
                    ),
                ));
            }
        }
        self.refuse_on_mock(
            "create topics",
            "use MockCluster.createTopic(name, partitions, replicationFactor) (Rust: \
             MockCluster::create_topic), or start `kafka-native mock-cluster` with \
             --topic NAME:PARTITIONS[:REPLICATION]",
        )?;
        let specs: Vec<NewTopicSpec<'_>> = topics
            .iter()
            .map(|t| NewTopicSpec {
                name: &t.topic,
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                config: &t.config,
            })
            .collect();
        first_failure(
            "create topic",
            self.client.create_topics(&specs, self.timeout)?,
        )?;
        let wanted: Vec<(&str, i32)> = topics
            .iter()
            .map(|t| (t.topic.as_str(), t.partitions))
            .collect();
        self.await_listed(&wanted)
    }

    /// Raises each topic's partition count to the total given (Kafka never lowers one), and
    /// returns once the metadata lists every topic with it.
    pub fn create_partitions(&self, totals: &[(String, i32)]) -> Result<(), KafkaError> {
        refuse_duplicates(totals.iter().map(|t| t.0.as_str()))?;
        for (topic, total) in totals {
            validate_topic_name(topic)?;
            if *total < 1 {
                return Err(KafkaError::invalid(
                    "count",
                    format!("of topic {topic:?} must be at least 1, got {total}"),
                ));
            }
        }
        self.refuse_on_mock(
            "create partitions",
            "a MockCluster topic has the partitions MockCluster.createTopic gave it",
        )?;
        first_failure(
            "create partitions of topic",
            self.client.create_partitions(totals, self.timeout)?,
        )?;
        let wanted: Vec<(&str, i32)> = totals.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        self.await_listed(&wanted)
    }

    /// Deletes consumer groups; a group with members is refused (`NON_EMPTY_GROUP`).
    pub fn delete_groups(&self, group_ids: &[String]) -> Result<(), KafkaError> {
        refuse_duplicates(group_ids.iter().map(String::as_str))?;
        if group_ids.iter().any(|g| g.trim().is_empty()) {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        self.refuse_on_mock(
            "delete groups",
            "a MockCluster's groups live as long as it does",
        )?;
        first_failure(
            "delete group",
            self.client.delete_groups(group_ids, self.timeout)?,
        )
    }

    /// Sets the offsets `group_id` has committed: each partition's next offset to read. The
    /// group must have no members (`UNKNOWN_MEMBER_ID` otherwise, as Kafka answers).
    pub fn set_group_offsets(
        &self,
        group_id: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<(), KafkaError> {
        if group_id.trim().is_empty() {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        let list = PartitionList::of_next_offsets(offsets)?;
        self.ask(&format!("set offsets of group {group_id:?}"), |t| {
            self.client
                .alter_group_offsets(GroupKind::Consumer, group_id, &list, t)
        })
    }

    /// Kafka answers CreateTopics once its controller has the topics, and a broker's metadata
    /// may show them only a moment later: a `list_topics`, a producer or a consumer right after
    /// could miss them. So, like KafkaJS's `waitForLeaders`, creation returns once metadata
    /// lists every topic with all its partitions (or fails when `request_timeout` passes).
    fn await_listed(&self, wanted: &[(&str, i32)]) -> Result<(), KafkaError> {
        let what = "wait for the topics to be listed with their partitions";
        self.ask(what, |t| {
            let listed = self.client.cluster_metadata(t)?.topics;
            let pending = wanted.iter().find(|(topic, count)| {
                !listed.iter().any(|(listed, error)| {
                    listed.topic == *topic
                        && error.is_none()
                        && if *count < 0 {
                            !listed.partitions.is_empty()
                        } else {
                            listed.partitions.len() == *count as usize
                        }
                })
            });
            match pending {
                None => Ok(()),
                Some((topic, count)) => Err(KafkaError::kafka(
                    rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                    what,
                    if *count < 0 {
                        format!("topic {topic:?} is not listed with its partitions yet")
                    } else {
                        format!("topic {topic:?} is not listed with {count} partitions yet")
                    },
                )),
            }
        })
    }

    /// Deletes the topics.
    pub fn delete_topics(&self, topics: &[String]) -> Result<(), KafkaError> {
        refuse_duplicates(topics.iter().map(String::as_str))?;
        for t in topics {
            validate_topic_name(t)?;
        }
        self.refuse_on_mock(
            "delete topics",
            "a MockCluster's topics live as long as it does",
        )?;
        first_failure(
            "delete topic",
            self.client.delete_topics(topics, self.timeout)?,
        )
    }

    /// Every topic, with its partition count, by name.
    pub fn list_topics(&self) -> Result<Vec<TopicListing>, KafkaError> {
        let metadata = self.ask("list topics", |t| self.client.cluster_metadata(t))?;
        let mut listings: Vec<TopicListing> = metadata
            .topics
            .into_iter()
            .filter(|(_, error)| error.is_none())
            .map(|(t, _)| TopicListing {
                partitions: t.partitions.len(),
                topic: t.topic,
            })
            .collect();
        listings.sort_by(|a, b| a.topic.cmp(&b.topic));
        Ok(listings)
    }

    /// The low and high watermark of a partition.
    pub fn watermarks(&self, topic: &str, partition: i32) -> Result<Watermarks, KafkaError> {
        validate_topic_name(topic)?;
        let (low, high) = self.ask(&format!("watermarks of {topic}/{partition}"), |t| {
            self.client.query_watermarks(topic, partition, t)
        })?;
        Ok(Watermarks { low, high })
    }

    /// Every consumer group the brokers know.
    pub fn list_groups(&self) -> Result<Vec<GroupListing>, KafkaError> {
        self.list_groups_of(false)
    }

    /// The share groups (KIP-932) the brokers know, sorted by id: Kafka's Java
    /// `Admin.listShareGroups()`. [`list_groups`](Self::list_groups) lists consumer groups
    /// only; [`describe_groups`](Self::describe_groups) describes both kinds, and
    /// [`delete_groups`](Self::delete_groups) deletes both.
    pub fn list_share_groups(&self) -> Result<Vec<GroupListing>, KafkaError> {
        self.list_groups_of(true)
    }

    fn list_groups_of(&self, share: bool) -> Result<Vec<GroupListing>, KafkaError> {
        self.refuse_on_mock(
            "list groups",
            "it has no ListGroups; ask for a group's offsets",
        )?;
        let (listings, errors) = self.client.list_consumer_groups(share, self.timeout)?;
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        let mut groups: Vec<GroupListing> = listings
            .into_iter()
            .filter(|g| (g.group_type == GroupType::Share) == share)
            .map(|g| GroupListing {
                group_id: g.group_id,
                group_type: g.group_type,
                state: g.state,
                simple: g.simple,
            })
            .collect();
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(groups)
    }

    /// The offsets `group_id` has committed, with each partition's high watermark and the lag.
    pub fn group_offsets(&self, group_id: &str) -> Result<Vec<GroupPartitionOffset>, KafkaError> {
        if group_id.trim().is_empty() {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        // librdkafka's MockCluster answers only for the partitions a request names, so there
        // every partition of every topic is named; a broker is asked for all the group has.
        let every_partition = match self.is_mock(&format!("offsets of group {group_id:?}"))? {
            true => {
                let topics = self.list_topics()?;
                let entries: Vec<(&str, i32, i64)> = topics
                    .iter()
                    .flat_map(|t| (0..t.partitions as i32).map(move |p| (t.topic.as_str(), p, 0)))
                    .collect();
                Some(PartitionList::of(&entries)?)
            }
            false => None,
        };
        let committed = self.ask(&format!("offsets of group {group_id:?}"), |t| {
            self.client.group_committed_offsets(
                GroupKind::Consumer,
                group_id,
                every_partition.as_ref(),
                t,
            )
        })?;
        let committed: Vec<_> = committed
            .into_iter()
            .map(|c| c.entry)
            .filter(|e| e.offset >= 0)
            .collect();
        if committed.is_empty() {
            return Ok(Vec::new());
        }
        let entries: Vec<(&str, i32, i64)> = committed
            .iter()
            .map(|e| (e.topic.as_str(), e.partition, 0))
            .collect();
        let mut latest = PartitionList::of(&entries)?;
        self.ask(&format!("high watermarks for group {group_id:?}"), |t| {
            self.client.latest_offsets(&mut latest, t)
        })?;
        let mut offsets: Vec<GroupPartitionOffset> = committed
            .into_iter()
            .zip(latest.entries())
            .map(|(c, high)| GroupPartitionOffset {
                lag: (high.offset - c.offset).max(0),
                topic: c.topic,
                partition: c.partition,
                committed: c.offset,
                high_watermark: high.offset,
            })
            .collect();
        offsets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(offsets)
    }

    /// The cluster's id, its controller and its brokers.
    pub fn describe_cluster(&self) -> Result<ClusterDescription, KafkaError> {
        let what = "describe the cluster";
        let metadata = self.ask(what, |t| self.client.cluster_metadata(t))?;
        // Both read what the metadata answer just cached.
        let controller = self.client.controller_id(Duration::from_millis(100));
        let cluster_id = self.client.cluster_id(Duration::from_millis(100));
        Ok(ClusterDescription {
            cluster_id,
            controller,
            brokers: metadata.brokers,
        })
    }

    /// Each topic with the leader, replicas and in-sync replicas of its partitions; every
    /// topic when `topics` is empty. A topic the brokers do not know fails the call, naming it.
    pub fn describe_topics(&self, topics: &[String]) -> Result<Vec<TopicDescription>, KafkaError> {
        for t in topics {
            validate_topic_name(t)?;
        }
        let metadata = self.ask("describe topics", |t| self.client.cluster_metadata(t))?;
        let mut known: Vec<TopicDescription> = metadata
            .topics
            .into_iter()
            .filter(|(_, error)| error.is_none())
            .map(|(topic, _)| topic)
            .collect();
        if topics.is_empty() {
            known.sort_by(|a, b| a.topic.cmp(&b.topic));
            return Ok(known);
        }
        topics
            .iter()
            .map(|name| {
                known
                    .iter()
                    .find(|t| &t.topic == name)
                    .cloned()
                    .ok_or_else(|| {
                        KafkaError::kafka(
                            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                            &format!("describe topic {name:?}"),
                            "the brokers do not know it".to_string(),
                        )
                    })
            })
            .collect()
    }

    /// Each partition's first offset whose message timestamp is at or after `at_ms`
    /// (milliseconds since the epoch). The MockCluster finds none for any time.
    pub fn offsets_at_time(
        &self,
        topic: &str,
        at_ms: i64,
    ) -> Result<Vec<OffsetAtTime>, KafkaError> {
        if at_ms < 0 {
            return Err(KafkaError::invalid(
                "timestamp",
                format!("must be milliseconds since the epoch (0 or more), got {at_ms}"),
            ));
        }
        let [described] = &self.describe_topics(&[topic.to_string()])?[..] else {
            return Ok(Vec::new());
        };
        let entries: Vec<(&str, i32, i64)> = described
            .partitions
            .iter()
            .map(|p| (topic, p.partition, at_ms))
            .collect();
        let mut list = PartitionList::of(&entries)?;
        self.ask(&format!("offsets of {topic:?} at {at_ms}"), |t| {
            self.client.offsets_at_time(&mut list, at_ms, t)
        })?;
        Ok(list
            .entries()
            .into_iter()
            .map(|e| OffsetAtTime {
                partition: e.partition,
                offset: (e.offset >= 0).then_some(e.offset),
            })
            .collect())
    }

    /// Each group's state, assignor and members with their assignments. A group that does not
    /// exist is described with the state `Dead` and no members, as Kafka answers.
    pub fn describe_groups(
        &self,
        group_ids: &[String],
    ) -> Result<Vec<GroupDescription>, KafkaError> {
        refuse_duplicates(group_ids.iter().map(String::as_str))?;
        if group_ids.iter().any(|g| g.trim().is_empty()) {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        self.refuse_on_mock(
            "describe groups",
            "it has no DescribeGroups; a consumer's own assignment() says what it has",
        )?;
        let answered = self.ask("describe groups", |t| {
            self.client.describe_consumer_groups(group_ids, t)
        })?;
        answered
            .into_iter()
            .map(|outcome| {
                outcome.map_err(|(group, error)| {
                    let (code, message) = error.unwrap_or((
                        rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__FAIL,
                        String::new(),
                    ));
                    KafkaError::kafka(code, &format!("describe group {group:?}"), message)
                })
            })
            .collect()
    }

    /// Each resource's configuration: every entry, with its source and synonyms.
    pub fn describe_configs(
        &self,
        resources: &[ConfigResource],
    ) -> Result<Vec<ConfigDescription>, KafkaError> {
        validate_resources(resources.iter())?;
        self.refuse_on_mock(
            "describe configs",
            "it has no DescribeConfigs; its topics have the defaults",
        )?;
        let answered = self.ask("describe configs", |t| {
            self.client.describe_configs(resources, t)
        })?;
        answered
            .into_iter()
            .map(|outcome| {
                outcome.map_err(|(resource, code, message)| {
                    KafkaError::kafka(
                        code,
                        &format!("describe configs of {}", resource_label(&resource)),
                        message,
                    )
                })
            })
            .collect()
    }

    /// Sets the settings named, leaving the resource's others as they are
    /// (IncrementalAlterConfigs).
    pub fn set_configs(&self, changes: &[ConfigChange]) -> Result<(), KafkaError> {
        self.alter_configs(changes, AlterMode::Incremental)
    }

    /// Replaces each resource's dynamic configuration with the settings named: those not named
    /// return to their defaults (AlterConfigs, as KafkaJS's `alterConfigs` does). Prefer
    /// [`set_configs`](Self::set_configs) unless that is what you mean.
    pub fn replace_configs(&self, changes: &[ConfigChange]) -> Result<(), KafkaError> {
        self.alter_configs(changes, AlterMode::Replace)
    }

    fn alter_configs(&self, changes: &[ConfigChange], mode: AlterMode) -> Result<(), KafkaError> {
        validate_resources(changes.iter().map(|(r, _)| r))?;
        for (resource, settings) in changes {
            refuse_duplicates(settings.iter().map(|(name, _)| name.as_str()))?;
            if let Some((name, _)) = settings.iter().find(|(name, _)| name.trim().is_empty()) {
                return Err(KafkaError::invalid(
                    "config",
                    format!(
                        "of {} has a setting with no name ({name:?})",
                        resource_label(resource)
                    ),
                ));
            }
        }
        self.refuse_on_mock("alter configs", "it has no AlterConfigs")?;
        first_failure(
            "alter configs of",
            self.client.alter_configs(changes, mode, self.timeout)?,
        )
    }

    /// Deletes each partition's messages before the offset given (-1: all of them, up to the
    /// high watermark), and answers each partition's new low watermark.
    pub fn delete_records(
        &self,
        before: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, i64)>, KafkaError> {
        let mut seen = std::collections::HashSet::new();
        for (tp, offset) in before {
            validate_topic_name(&tp.topic)?;
            if *offset < -1 {
                return Err(KafkaError::invalid(
                    "offset",
                    format!("for {tp} must be 0 or more, or -1 for all, got {offset}"),
                ));
            }
            if !seen.insert(tp) {
                return Err(KafkaError::invalid(
                    "partitions",
                    format!("name {tp} more than once"),
                ));
            }
        }
        self.refuse_on_mock("delete records", "it has no DeleteRecords")?;
        let entries: Vec<(&str, i32, i64)> = before
            .iter()
            .map(|(tp, offset)| (tp.topic.as_str(), tp.partition, *offset))
            .collect();
        let list = PartitionList::of(&entries)?;
        let answered = self.client.delete_records(&list, self.timeout)?;
        answered
            .into_iter()
            .map(|e| match e.error {
                Some(code) => Err(KafkaError::kafka(
                    code,
                    &format!("delete records of {}/{}", e.topic, e.partition),
                    String::new(),
                )),
                None => Ok((TopicPartition::new(e.topic, e.partition), e.offset)),
            })
            .collect()
    }

    /// Stops the admin client's thread and destroys the client. Dropping it does the same.
    pub fn stop(mut self) {
        self.events.stop();
    }

    /// A question with retries of transient errors, failing fast when no broker can be reached.
    fn ask<T>(
        &self,
        what: &str,
        attempt: impl FnMut(Duration) -> Result<T, KafkaError>,
    ) -> Result<T, KafkaError> {
        Retry {
            what,
            timeout: self.timeout,
            brokers: &self.brokers,
            cancel: None,
        }
        .while_transient(attempt)
    }

    /// Whether the brokers are librdkafka's MockCluster, whose cluster id says so.
    fn is_mock(&self, what: &str) -> Result<bool, KafkaError> {
        let id = self.ask(what, |t| {
            self.client.cluster_id(t).ok_or_else(|| {
                KafkaError::kafka(
                    rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TRANSPORT,
                    what,
                    String::new(),
                )
            })
        })?;
        Ok(id.starts_with("mockCluster"))
    }

    /// librdkafka's MockCluster answers only some admin requests; the others would wait out the
    /// whole timeout, so there they fail at once with `hint`.
    fn refuse_on_mock(&self, what: &str, hint: &str) -> Result<(), KafkaError> {
        if self.is_mock(what)? {
            return Err(KafkaError::kafka(
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE,
                what,
                format!("the MockCluster cannot {what}: {hint}"),
            ));
        }
        Ok(())
    }
}

/// A topic named twice in one request: brokers answer such a request unevenly (one failed the
/// call and still created the topic), so it is refused before it is sent.
fn refuse_duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), KafkaError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(KafkaError::invalid(
                "topics",
                format!("name {name:?} more than once"),
            ));
        }
    }
    Ok(())
}

/// "topic NAME" or "broker ID".
fn resource_label(resource: &ConfigResource) -> String {
    match resource.kind {
        ResourceKind::Topic => format!("topic {:?}", resource.name),
        ResourceKind::Broker => format!("broker {}", resource.name),
        ResourceKind::Group => format!("group {:?}", resource.name),
    }
}

/// Topics with valid names, brokers named by their ids, none twice.
fn validate_resources<'a>(
    resources: impl Iterator<Item = &'a ConfigResource>,
) -> Result<(), KafkaError> {
    let mut seen = std::collections::HashSet::new();
    for resource in resources {
        match resource.kind {
            ResourceKind::Topic => validate_topic_name(&resource.name)?,
            ResourceKind::Group => {
                if resource.name.is_empty() {
                    return Err(KafkaError::invalid(
                        "resource",
                        "a group is named by its id",
                    ));
                }
            }
            ResourceKind::Broker => {
                if resource.name.parse::<i32>().map_or(true, |id| id < 0) {
                    return Err(KafkaError::invalid(
                        "resource",
                        format!(
                            "a broker is named by its id (e.g. \"1\"), got {:?}",
                            resource.name
                        ),
                    ));
                }
            }
        }
        if !seen.insert(resource) {
            return Err(KafkaError::invalid(
                "resources",
                format!("name {} more than once", resource_label(resource)),
            ));
        }
    }
    Ok(())
}

/// The first topic a broker refused, as an error naming it.
fn first_failure(what: &str, outcomes: Vec<TopicOutcome>) -> Result<(), KafkaError> {
    match outcomes
        .into_iter()
        .find_map(|(name, outcome)| outcome.map(|o| (name, o)))
    {
        Some((name, (code, message))) => Err(KafkaError::kafka(
            code,
            &format!("{what} {name:?}"),
            message,
        )),
        None => Ok(()),
    }
}
