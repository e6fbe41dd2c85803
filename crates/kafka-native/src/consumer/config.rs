//! [`ConsumerConfig`]: the consumer's options, their defaults (kafka-native's) and the checks
//! that need no broker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{
    at_most_ms, client_option_setters, refuse_property, validate_topic_name, ClientConfig,
    ClientOptions,
};
use crate::error::KafkaError;

use crate::topic_partition::TopicPartition;

/// The default of [`ConsumerConfig::fetch_wait_max`]: librdkafka's and Kafka's Java client's.
/// Apache Kafka answers a fetch as soon as data arrives, so a long wait costs no latency there
/// (measured: the same p50 at 500, 100, 5 and 1 ms) and an idle consumer asks 2 times a second
/// per broker instead of 10 at 100 ms. Against the MockCluster, which holds an empty fetch for
/// the whole wait, give a short one (5 ms) where latency matters.
pub const DEFAULT_FETCH_WAIT_MAX: Duration = Duration::from_millis(500);

/// Where a partition without a recorded offset starts ([`ConsumerConfig::start_offset`]), or
/// where [`Consumer::seek`](crate::Consumer::seek) moves one to. An `i64` converts into
/// `Offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartOffset {
    /// The oldest message still in the log (kafka-native's behaviour).
    #[default]
    Earliest,
    /// Only messages produced after `start()` returns.
    Latest,
    /// A given offset.
    Offset(i64),
}

impl std::fmt::Display for StartOffset {
    /// The text [`str::parse`] reads back: `earliest`, `latest` or the offset.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartOffset::Earliest => f.write_str("earliest"),
            StartOffset::Latest => f.write_str("latest"),
            StartOffset::Offset(o) => write!(f, "{o}"),
        }
    }
}

impl From<i64> for StartOffset {
    fn from(offset: i64) -> Self {
        StartOffset::Offset(offset)
    }
}

impl StartOffset {
    /// `earliest`, `latest`, or a non-negative offset; an error names `what` (the option or
    /// argument the text came from).
    pub fn parse_as(text: &str, what: &str) -> Result<Self, KafkaError> {
        match text {
            "earliest" => Ok(StartOffset::Earliest),
            "latest" => Ok(StartOffset::Latest),
            _ => match text.parse::<i64>() {
                Ok(offset) if offset >= 0 => Ok(StartOffset::Offset(offset)),
                _ => Err(Self::refused(what, format!("{text:?}"))),
            },
        }
    }

    /// Itself, unless it is a negative offset: then an error naming `what`.
    pub(crate) fn checked(self, what: &str) -> Result<Self, KafkaError> {
        match self {
            StartOffset::Offset(offset) if offset < 0 => {
                Err(Self::refused(what, offset.to_string()))
            }
            valid => Ok(valid),
        }
    }

    fn refused(what: &str, got: String) -> KafkaError {
        KafkaError::invalid(
            what,
            format!("must be \"earliest\", \"latest\" or an offset >= 0, got {got}"),
        )
    }
}

impl std::str::FromStr for StartOffset {
    type Err = KafkaError;

    /// `earliest`, `latest`, or a non-negative offset (an error names `start_offset`).
    fn from_str(text: &str) -> Result<Self, KafkaError> {
        StartOffset::parse_as(text, "start_offset")
    }
}

/// Periodic consumer statistics, for this consumer's partitions only.
#[derive(Clone, Debug)]
pub struct ConsumerStats {
    /// Messages at the broker not yet fetched: Σ max(end − next offset, 0), less what is already
    /// fetched locally. The end is what the consumer may read: the high watermark, or under
    /// read_committed the last stable offset (a transaction still open is not waiting to be
    /// read); transaction markers past the last record count as nothing.
    pub waiting_kafka: u64,
    /// Messages fetched into local memory but not yet handed to the handler.
    pub waiting_local: u64,
    /// Messages in the brokers' logs: Σ (high − low watermark).
    pub kafka_log_size: u64,
    /// librdkafka's statistics, parsed.
    pub rdkafka_stats: serde_json::Value,
}

/// Receives [`ConsumerStats`] every `statistics_interval`.
pub type ConsumerStatsHandler = Arc<dyn Fn(ConsumerStats) + Send + Sync>;

/// What a rebalance changed, told after the change (see [`ConsumerConfig::on_rebalance`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RebalanceChange {
    /// The partitions this member reads from now on.
    pub assigned: Vec<TopicPartition>,
    /// The partitions this member no longer reads.
    pub revoked: Vec<TopicPartition>,
}

/// Receives each [`RebalanceChange`] of a consumer group.
pub type RebalanceHandler = Arc<dyn Fn(&RebalanceChange) + Send + Sync>;

/// The consumer group protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupProtocol {
    /// Kafka's classic protocol (JoinGroup/SyncGroup), here with the `cooperative-sticky`
    /// assignor: a rebalance moves only the partitions that change owner.
    #[default]
    Classic,
    /// KIP-848's protocol (`group.protocol=consumer`): the broker assigns, incrementally.
    /// Needs a broker that has it (Apache Kafka 4.0+, the MockCluster).
    Consumer,
}

impl std::str::FromStr for GroupProtocol {
    type Err = KafkaError;

    fn from_str(text: &str) -> Result<Self, KafkaError> {
        match text {
            "classic" => Ok(GroupProtocol::Classic),
            "consumer" => Ok(GroupProtocol::Consumer),
            _ => Err(KafkaError::invalid(
                "group_protocol",
                format!("must be \"classic\" or \"consumer\", got {text:?}"),
            )),
        }
    }
}

/// Which messages of transactional producers a consumer reads (`isolation.level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IsolationLevel {
    /// Only messages of committed transactions (and every non-transactional message): reading
    /// stops at the first transaction still open. librdkafka's default, and kafka-native's.
    #[default]
    ReadCommitted,
    /// Every message, including those of transactions aborted or still open (the Java client's
    /// default).
    ReadUncommitted,
}

impl IsolationLevel {
    const ALL: [IsolationLevel; 2] = [
        IsolationLevel::ReadCommitted,
        IsolationLevel::ReadUncommitted,
    ];

    /// librdkafka's and Kafka's spelling.
    pub fn name(self) -> &'static str {
        match self {
            IsolationLevel::ReadCommitted => "read_committed",
            IsolationLevel::ReadUncommitted => "read_uncommitted",
        }
    }
}

impl std::str::FromStr for IsolationLevel {
    type Err = KafkaError;

    fn from_str(text: &str) -> Result<Self, KafkaError> {
        IsolationLevel::ALL
            .into_iter()
            .find(|l| l.name() == text)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "isolation_level",
                    format!("must be \"read_committed\" or \"read_uncommitted\", got {text:?}"),
                )
            })
    }
}

/// Consumer options. The defaults are kafka-native's.
///
/// ```
/// use std::time::Duration;
/// use kafka_native::{ConsumerConfig, StartOffset};
/// let config = ConsumerConfig::new("localhost:9092", "events")
///     .without_offset_directory()
///     .start_offset(StartOffset::Latest)
///     .fetch_wait_max(Duration::from_millis(5));
/// assert_eq!(config.max_messages_per_callback, 2_000);
/// // The prefetch is bounded in bytes and in messages.
/// assert_eq!(config.client_config().get("queued.max.messages.kbytes"), Some("16384"));
/// assert_eq!(config.client_config().get("queued.min.messages"), Some("20000"));
/// ```
#[derive(Clone)]
pub struct ConsumerConfig {
    /// The brokers, stats interval, librdkafka properties and logger.
    pub client: ClientOptions,
    /// The topic to read; a consumer group may read several.
    pub topics: Vec<String>,
    /// A consumer group: the brokers assign the partitions (and move them as members come and
    /// go) and keep the committed offsets. `None`: kafka-native's fixed split over
    /// `num_workers`, with offset files.
    pub group_id: Option<String>,
    /// The group protocol. Default classic, with cooperative-sticky assignment.
    pub group_protocol: GroupProtocol,
    /// Which messages of transactions to read. Default read_committed.
    pub isolation_level: IsolationLevel,
    /// How long `start()` waits for a group's first assignment. Default 60 s.
    pub join_timeout: Duration,
    /// Told each change of a group member's partitions (on the `kn-fetch` thread).
    pub on_rebalance: Option<RebalanceHandler>,
    /// Where each partition's last processed offset is kept; default `./kafka-offsets`. `None`
    /// records nothing: every start reads from `start_offset` (a server that only wants live
    /// traffic, say).
    pub offset_directory: Option<PathBuf>,
    /// Records (in a group: commits) each batch's offsets once it settles. Default true. With
    /// false, only [`Consumer::commit`](crate::Consumer::commit) records offsets (KafkaJS's
    /// `autoCommit: false`); a seek is not recorded either.
    pub auto_commit: bool,
    /// Most messages per handler call. Default 2,000 (a batch held by JS survives V8's young
    /// generation; larger ones cost heap, not throughput). A batch also holds about
    /// [`MAX_BATCH_BYTES`](super::MAX_BATCH_BYTES) (512 KiB) of payloads and keys at most, so
    /// larger messages come fewer per call (524 of 1,000 B).
    pub max_messages_per_callback: usize,
    /// `queued.max.messages.kbytes`: bounds librdkafka's prefetch. Default 16,384 (16 MB), so
    /// that a consumer slower than its broker holds no more. It also caps each fetch request.
    /// `queued.min.messages` (20,000 here) bounds the
    /// prefetch in messages, which is what counts for small ones: librdkafka keeps a few
    /// hundred bytes per message besides its payload.
    pub queued_max_messages_kbytes: u32,
    /// `fetch.wait.max.ms`: how long a broker may hold a fetch that finds no data. Default
    /// [`DEFAULT_FETCH_WAIT_MAX`]. Apache Kafka answers as soon as data arrives, so there it only
    /// sets how often an idle consumer asks; the MockCluster and tansu answer an empty fetch only
    /// after this wait, so there it is also the latency of a message that arrives meanwhile.
    pub fetch_wait_max: Duration,
    /// Partition p is read by the worker whose `worker_slot` is `p % num_workers`. Default 1 and 0.
    pub num_workers: i32,
    /// Which of the `num_workers` workers this consumer is (0-based): it reads the partitions `p`
    /// with `p % num_workers == worker_slot`.
    pub worker_slot: i32,
    /// Where a partition without a recorded offset starts. Default earliest.
    pub start_offset: StartOffset,
    /// How long `stop()` waits for the batch in flight to settle. Default 15 s.
    pub stop_timeout: Duration,
    /// How long `start()` waits for the topic's metadata. Default 10 s.
    pub metadata_timeout: Duration,
    /// Receives [`ConsumerStats`] every `statistics_interval`.
    pub on_stats: Option<ConsumerStatsHandler>,
    /// How long a partition with messages to read may hand none over before
    /// [`Consumer::health`](crate::Consumer::health) calls it stuck and a warning says so;
    /// `None`: never. Default [`DEFAULT_STUCK_AFTER`]. Checked at each statistics interval.
    pub stuck_after: Option<Duration>,
}

/// The default of [`ConsumerConfig::stuck_after`]: a minute.
pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(60);

impl ConsumerConfig {
    /// Each typed option, by the name errors give it, and the librdkafka properties it sets:
    /// see [`ProducerConfig::OPTION_PROPERTIES`](crate::ProducerConfig::OPTION_PROPERTIES).
    pub const OPTION_PROPERTIES: &'static [(&'static str, &'static [&'static str])] = &[
        ("statistics_interval_ms", &["statistics.interval.ms"]),
        (
            "queued_max_messages_kbytes",
            &["queued.max.messages.kbytes"],
        ),
        ("fetch_wait_max_ms", &["fetch.wait.max.ms"]),
        ("isolation_level", &["isolation.level"]),
        ("group_protocol", &["group.protocol"]),
    ];

    /// A consumer of `topic` on the cluster at `brokers`, at the defaults: offset files in
    /// `./kafka-offsets`, no group.
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        ConsumerConfig {
            client: ClientOptions::new(brokers),
            topics: vec![topic.into()],
            group_id: None,
            group_protocol: GroupProtocol::Classic,
            isolation_level: IsolationLevel::ReadCommitted,
            join_timeout: Duration::from_secs(60),
            on_rebalance: None,
            offset_directory: Some(PathBuf::from("./kafka-offsets")),
            auto_commit: true,
            max_messages_per_callback: 2_000,
            queued_max_messages_kbytes: 16_384,
            fetch_wait_max: DEFAULT_FETCH_WAIT_MAX,
            num_workers: 1,
            worker_slot: 0,
            start_offset: StartOffset::Earliest,
            stop_timeout: Duration::from_secs(15),
            metadata_timeout: crate::config::DEFAULT_METADATA_TIMEOUT,
            on_stats: None,
            stuck_after: Some(DEFAULT_STUCK_AFTER),
        }
    }

    client_option_setters!();

    /// Reads these topics (a consumer group may read several).
    pub fn topics<T: Into<String>>(mut self, topics: impl IntoIterator<Item = T>) -> Self {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Joins consumer group `group_id`: partitions come from the brokers and offsets are
    /// committed to the group (no offset directory).
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self.offset_directory = None;
        self
    }

    /// Sets [`ConsumerConfig::group_protocol`].
    pub fn group_protocol(mut self, protocol: GroupProtocol) -> Self {
        self.group_protocol = protocol;
        self
    }

    /// Sets [`ConsumerConfig::isolation_level`].
    pub fn isolation_level(mut self, level: IsolationLevel) -> Self {
        self.isolation_level = level;
        self
    }

    /// Told after each rebalance what it assigned or revoked (group mode).
    pub fn on_rebalance(mut self, f: impl Fn(&RebalanceChange) + Send + Sync + 'static) -> Self {
        self.on_rebalance = Some(Arc::new(f));
        self
    }

    /// The one topic of a consumer outside a group.
    pub(crate) fn topic(&self) -> &str {
        &self.topics[0]
    }

    /// Sets [`ConsumerConfig::offset_directory`].
    pub fn offset_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.offset_directory = Some(dir.into());
        self
    }

    /// Records only what [`Consumer::commit`](crate::Consumer::commit) is given, not each
    /// settled batch.
    pub fn manual_commit(mut self) -> Self {
        self.auto_commit = false;
        self
    }

    /// Records no offsets: each start reads from [`ConsumerConfig::start_offset`].
    pub fn without_offset_directory(mut self) -> Self {
        self.offset_directory = None;
        self
    }

    /// Sets [`ConsumerConfig::max_messages_per_callback`].
    pub fn max_messages_per_callback(mut self, max: usize) -> Self {
        self.max_messages_per_callback = max;
        self
    }

    /// Sets [`ConsumerConfig::fetch_wait_max`].
    pub fn fetch_wait_max(mut self, wait: Duration) -> Self {
        self.fetch_wait_max = wait;
        self
    }

    /// Sets [`ConsumerConfig::num_workers`] and [`ConsumerConfig::worker_slot`].
    pub fn workers(mut self, num_workers: i32, worker_slot: i32) -> Self {
        self.num_workers = num_workers;
        self.worker_slot = worker_slot;
        self
    }

    /// Sets [`ConsumerConfig::start_offset`].
    pub fn start_offset(mut self, start: StartOffset) -> Self {
        self.start_offset = start;
        self
    }

    /// Sets [`ConsumerConfig::on_stats`].
    pub fn on_stats(mut self, f: impl Fn(ConsumerStats) + Send + Sync + 'static) -> Self {
        self.on_stats = Some(Arc::new(f));
        self
    }

    /// See [`ConsumerConfig::stuck_after`].
    pub fn stuck_after(mut self, after: Option<Duration>) -> Self {
        self.stuck_after = after;
        self
    }

    /// Checks the options that need no broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.client.validate()?;
        // The consumer sets these itself and depends on them: a group joined by group_id only,
        // offsets recorded only once a batch has settled.
        for (key, why) in [
            (
                "group.id",
                "give group_id (without it the consumer reads with no group)",
            ),
            ("group.protocol", "give group_protocol"),
            (
                "enable.auto.commit",
                "the consumer commits offsets itself, once each batch has settled",
            ),
            (
                "enable.auto.offset.store",
                "the consumer stores offsets itself, once each batch has settled",
            ),
        ] {
            refuse_property(&self.client.properties, key, why)?;
        }
        if self.group_id.is_none() && self.on_rebalance.is_some() {
            return Err(KafkaError::invalid(
                "rebalance_callback",
                "needs group_id: without a consumer group there are no rebalances",
            ));
        }
        if self.topics.is_empty() {
            return Err(KafkaError::invalid("topic", "needs at least one topic"));
        }
        for topic in &self.topics {
            validate_topic_name(topic)?;
        }
        match &self.group_id {
            None if self.topics.len() > 1 => {
                return Err(KafkaError::invalid(
                    "topic",
                    "may name several topics only with group_id (a consumer group)",
                ))
            }
            None => {}
            Some(group) => {
                if group.trim().is_empty() {
                    return Err(KafkaError::invalid("group_id", "must not be empty"));
                }
                if self.num_workers != 1 || self.worker_slot != 0 {
                    return Err(KafkaError::invalid(
                        "num_workers",
                        "and worker_slot split partitions by hand; with group_id the brokers \
                         assign them: give one or the other",
                    ));
                }
                if self.offset_directory.is_some() {
                    return Err(KafkaError::invalid(
                        "offset_directory",
                        "and group_id cannot go together: a consumer group commits its offsets \
                         to the brokers",
                    ));
                }
            }
        }
        if self.num_workers < 1 {
            return Err(KafkaError::invalid(
                "num_workers",
                format!("must be at least 1, got {}", self.num_workers),
            ));
        }
        if self.worker_slot < 0 || self.worker_slot >= self.num_workers {
            return Err(KafkaError::invalid(
                "worker_slot",
                format!(
                    "must be between 0 and num_workers - 1 ({}), got {}",
                    self.num_workers - 1,
                    self.worker_slot
                ),
            ));
        }
        if self.max_messages_per_callback == 0 {
            return Err(KafkaError::invalid(
                "max_messages_per_callback",
                "must be at least 1, got 0",
            ));
        }
        if self.queued_max_messages_kbytes == 0 || self.queued_max_messages_kbytes > 2_097_151 {
            return Err(KafkaError::invalid(
                "queued_max_messages_kbytes",
                format!(
                    "must be between 1 and 2097151, got {}",
                    self.queued_max_messages_kbytes
                ),
            ));
        }
        at_most_ms(
            "fetch_wait_max_ms",
            self.fetch_wait_max,
            300_000,
            "5 minutes",
        )?;
        if let StartOffset::Offset(o) = self.start_offset {
            if o < 0 {
                return Err(KafkaError::invalid(
                    "start_offset",
                    format!("must be >= 0, got {o}"),
                ));
            }
        }
        if let Some(dir) = &self.offset_directory {
            if dir.as_os_str().is_empty() {
                return Err(KafkaError::invalid(
                    "offset_directory",
                    "must not be empty (null records no offsets)",
                ));
            }
            if dir.exists() && !dir.is_dir() {
                return Err(KafkaError::invalid(
                    "offset_directory",
                    format!("{} is not a directory", dir.display()),
                ));
            }
        }
        Ok(())
    }

    /// The most one fetch response may hold: a quarter of the prefetch, and at least a message
    /// (`message.max.bytes`, which librdkafka requires). kafka-native's librdkafka also sizes
    /// each Fetch by the messages read lately, twice `queued.min.messages` of them
    /// (deps/README.md), since what a response costs is mostly per message (an op and a message
    /// each, some hundreds of bytes): 100-byte messages come in responses of about 4 MB either
    /// way. Larger messages reach this bound, which keeps a response from doubling what the
    /// prefetch holds. The prefetch is the property where one is given (it wins over the
    /// option).
    fn fetch_max_bytes(&self) -> u64 {
        let prefetch_kbytes = self
            .client
            .numeric_property("queued.max.messages.kbytes")
            .unwrap_or(u64::from(self.queued_max_messages_kbytes));
        (prefetch_kbytes * 1024 / 4).max(self.client.message_max_bytes())
    }

    /// The librdkafka properties these options stand for.
    pub fn client_config(&self) -> ClientConfig {
        self.client.client_config(|config| {
            match (&self.group_id, self.group_protocol) {
                // Manual assignment needs a group id; nothing is committed to it.
                (None, _) => config.set("group.id", "kafka-native"),
                (Some(group), GroupProtocol::Classic) => config
                    .set("group.id", group)
                    .set("partition.assignment.strategy", "cooperative-sticky"),
                (Some(group), GroupProtocol::Consumer) => config
                    .set("group.id", group)
                    .set("group.protocol", "consumer"),
            };
            config
                // Offsets are committed by the consumer itself, after each batch settles.
                .set("enable.auto.commit", "false")
                .set("enable.auto.offset.store", "false")
                .set("enable.partition.eof", "false")
                .set("isolation.level", self.isolation_level.name())
                .set(
                    "queued.max.messages.kbytes",
                    self.queued_max_messages_kbytes.to_string(),
                )
                // librdkafka's default, 100,000 messages, holds 50 MB and more of 100 B messages
                // (their payloads are the least of it); 20,000 kept throughput in the benchmarks.
                .set("queued.min.messages", "20000")
                .set("fetch.max.bytes", self.fetch_max_bytes().to_string())
                .set(
                    "fetch.wait.max.ms",
                    self.fetch_wait_max.as_millis().to_string(),
                )
                // librdkafka counts queued.min.messages against the shared consumer queue, and a
                // full queue pauses fetching for fetch.queue.backoff.ms (1 s by default). A handler
                // slower than the broker then sees seconds-long gaps; 10 ms refills the queue as
                // it drains.
                .set("fetch.queue.backoff.ms", "10")
                // A stored offset that is gone (retention) restarts at the oldest message; misses
                // count the gap.
                .set_topic("auto.offset.reset", "earliest");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{ConsumerConfig, GroupProtocol};

    #[test]
    fn each_typed_option_sets_the_first_property_it_names() {
        let config = ConsumerConfig::new("localhost:9092", "t")
            .group_id("g")
            .group_protocol(GroupProtocol::Consumer)
            .client_config();
        for (option, properties) in ConsumerConfig::OPTION_PROPERTIES {
            assert!(
                config.get(properties[0]).is_some(),
                "{option}: {properties:?}"
            );
        }
    }
}
