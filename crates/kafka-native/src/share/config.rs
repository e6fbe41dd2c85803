//! A share consumer's configuration: [`ShareConsumerConfig`], its checks, and the librdkafka
//! share consumer it makes.

use std::sync::Arc;
use std::time::Duration;

use super::acknowledgement::{AcknowledgementCommit, AcknowledgementMode};
use super::stats::ShareCounters;
use crate::config::{at_most_ms, client_option_setters, refuse_property, validate_topic_name};
use crate::config::{log_warning, ClientOptions};
use crate::connection::BrokerErrors;
use crate::error::KafkaError;
use crate::events::{client_error, library_log};
use crate::native::{NativeShare, ShareHooks};

/// How long one poll waits for records by default (a stop ends a poll in progress at once).
pub const DEFAULT_SHARE_POLL_WAIT: Duration = Duration::from_millis(250);

/// How long a stop waits for the batch out to settle by default (as a [`crate::Consumer`]'s).
pub const DEFAULT_SHARE_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`ShareConsumer::start`](super::ShareConsumer::start) waits for the member's first partitions by default (as a
/// [`crate::Consumer`]'s for its group's first assignment).
pub const DEFAULT_SHARE_JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How a share consumer's fetches acquire records (KIP-1206, librdkafka's `share.acquire.mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShareAcquireMode {
    /// At most `max_records` records per fetch, a producer's batch split where needed: a member
    /// never holds records it will not be handed in this batch, whose locks would run out while
    /// it works on the others. The default here (Kafka's Java client defaults to
    /// [`ShareAcquireMode::BatchOptimized`]); needs Apache Kafka 4.2 or later (an older broker
    /// acquires whole batches, and librdkafka warns). One broker is fetched from at a time, the
    /// leader of the next partition in turn (as Java's client in this mode).
    #[default]
    RecordLimit,
    /// Whole producer batches, about `max_records` records: fewer, larger fetches, but a batch
    /// written in one send (thousands of records) is acquired at once by one member. Every
    /// broker that leads one of the member's partitions is fetched from at once (each batch
    /// handed over on its own), so a broker slow to answer holds back only its partitions.
    BatchOptimized,
}

impl ShareAcquireMode {
    const ALL: [ShareAcquireMode; 2] = [
        ShareAcquireMode::RecordLimit,
        ShareAcquireMode::BatchOptimized,
    ];

    /// `record_limit` or `batch_optimized`, as librdkafka and Kafka's Java client name them.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareAcquireMode::RecordLimit => "record_limit",
            ShareAcquireMode::BatchOptimized => "batch_optimized",
        }
    }
}

impl std::str::FromStr for ShareAcquireMode {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShareAcquireMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "acquire_mode",
                    format!("must be 'record_limit' or 'batch_optimized', not {s:?}"),
                )
            })
    }
}

/// A share consumer's configuration.
#[derive(Clone)]
pub struct ShareConsumerConfig {
    /// The options every client has (brokers, logging, statistics, librdkafka properties).
    pub client: ClientOptions,
    /// The share group (`group.id`); required.
    pub group_id: String,
    /// The topics read (exact names; share groups take no patterns).
    pub topics: Vec<String>,
    /// How records are acknowledged (default explicit).
    pub acknowledgement_mode: AcknowledgementMode,
    /// How long one poll waits for records (default [`DEFAULT_SHARE_POLL_WAIT`]).
    pub poll_wait: Duration,
    /// librdkafka's `max.poll.records`: how many records one batch holds at most (about as many
    /// with [`ShareAcquireMode::BatchOptimized`]); `None` leaves librdkafka's default (500).
    pub max_records: Option<u32>,
    /// How fetches acquire records (default [`ShareAcquireMode::RecordLimit`]).
    pub acquire_mode: ShareAcquireMode,
    /// Renew the locks of a batch's records while it is out and they are not acknowledged
    /// (explicit mode; KIP-1222, Apache Kafka 4.2 or later): every half lock, so that a job
    /// that takes longer than the group's lock is not handed to another member while this one
    /// works on it. A handler or taker that never settles then holds its records until the
    /// consumer stops. Default off (Kafka's behaviour: a lock runs out).
    pub renew_locks: bool,
    /// How long [`ShareConsumer::stop`](super::ShareConsumer::stop) waits for the batch out to settle. Default 15 s.
    pub stop_timeout: Duration,
    /// How long [`ShareConsumer::start`](super::ShareConsumer::start) waits for the group to assign the member partitions.
    /// Default 60 s.
    pub join_timeout: Duration,
    /// Told each partition's acknowledgement outcome once the broker answered, on the share
    /// thread (a failed one is also logged as a warning). Kafka's Java client:
    /// `setAcknowledgementCommitCallback`.
    pub on_acknowledgement_commit: Option<AcknowledgementCommitHandler>,
}

/// See [`ShareConsumerConfig::on_acknowledgement_commit`].
pub type AcknowledgementCommitHandler = Arc<dyn Fn(&AcknowledgementCommit) + Send + Sync>;

impl ShareConsumerConfig {
    /// A member of share group `group_id` on the cluster at `brokers`, at the defaults; give it
    /// topics.
    pub fn new(brokers: impl Into<String>, group_id: impl Into<String>) -> Self {
        ShareConsumerConfig {
            client: ClientOptions::new(brokers),
            group_id: group_id.into(),
            topics: Vec::new(),
            acknowledgement_mode: AcknowledgementMode::default(),
            poll_wait: DEFAULT_SHARE_POLL_WAIT,
            max_records: None,
            acquire_mode: ShareAcquireMode::default(),
            renew_locks: false,
            stop_timeout: DEFAULT_SHARE_STOP_TIMEOUT,
            join_timeout: DEFAULT_SHARE_JOIN_TIMEOUT,
            on_acknowledgement_commit: None,
        }
    }

    /// Sets [`ShareConsumerConfig::topics`].
    pub fn topics<I, S>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`ShareConsumerConfig::acknowledgement_mode`].
    pub fn acknowledgement_mode(mut self, mode: AcknowledgementMode) -> Self {
        self.acknowledgement_mode = mode;
        self
    }

    /// Sets [`ShareConsumerConfig::poll_wait`].
    pub fn poll_wait(mut self, wait: Duration) -> Self {
        self.poll_wait = wait;
        self
    }

    /// Sets [`ShareConsumerConfig::max_records`].
    pub fn max_records(mut self, max: u32) -> Self {
        self.max_records = Some(max);
        self
    }

    /// Sets [`ShareConsumerConfig::acquire_mode`].
    pub fn acquire_mode(mut self, mode: ShareAcquireMode) -> Self {
        self.acquire_mode = mode;
        self
    }

    /// Sets [`ShareConsumerConfig::renew_locks`].
    pub fn renew_locks(mut self, renew: bool) -> Self {
        self.renew_locks = renew;
        self
    }

    /// Sets [`ShareConsumerConfig::stop_timeout`].
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Sets [`ShareConsumerConfig::join_timeout`].
    pub fn join_timeout(mut self, timeout: Duration) -> Self {
        self.join_timeout = timeout;
        self
    }

    /// Sets [`ShareConsumerConfig::on_acknowledgement_commit`].
    pub fn on_acknowledgement_commit(
        mut self,
        handler: impl Fn(&AcknowledgementCommit) + Send + Sync + 'static,
    ) -> Self {
        self.on_acknowledgement_commit = Some(Arc::new(handler));
        self
    }

    client_option_setters!();

    /// The checks that need no broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.client.validate()?;
        if self.group_id.trim().is_empty() {
            return Err(KafkaError::invalid(
                "group_id",
                "is required for a share consumer",
            ));
        }
        if self.topics.is_empty() {
            return Err(KafkaError::invalid(
                "topic",
                "is required: one topic or more",
            ));
        }
        for topic in &self.topics {
            validate_topic_name(topic)?;
        }
        at_most_ms("poll_wait_ms", self.poll_wait, 60_000, "a minute")?;
        if self.poll_wait.is_zero() {
            return Err(KafkaError::invalid("poll_wait_ms", "must be 1 or more"));
        }
        if self.max_records == Some(0) {
            return Err(KafkaError::invalid("max_records", "must be 1 or more"));
        }
        at_most_ms("stop_timeout_ms", self.stop_timeout, 600_000, "ten minutes")?;
        at_most_ms("join_timeout_ms", self.join_timeout, 600_000, "ten minutes")?;
        if self.renew_locks && self.acknowledgement_mode == AcknowledgementMode::Implicit {
            return Err(KafkaError::invalid(
                "renew_locks",
                "needs acknowledgement_mode explicit: in implicit mode a batch is accepted \
                 whole, and its locks cannot be renewed",
            ));
        }
        for (key, why) in [
            ("group.id", "the group_id option gives it"),
            (
                "share.acknowledgement.mode",
                "the acknowledgement_mode option gives it",
            ),
            ("share.acquire.mode", "the acquire_mode option gives it"),
        ] {
            refuse_property(&self.client.properties, key, why)?;
        }
        Ok(())
    }

    /// librdkafka's configuration of this consumer.
    pub(super) fn client_config(&self) -> crate::config::ClientConfig {
        let mode = match self.acknowledgement_mode {
            AcknowledgementMode::Explicit => "explicit",
            AcknowledgementMode::Implicit => "implicit",
        };
        self.client.client_config(|c| {
            c.set("group.id", &self.group_id)
                .set("share.acknowledgement.mode", mode)
                .set("share.acquire.mode", self.acquire_mode.as_str())
                // The share consumer reports no statistics yet (librdkafka 2.15).
                .set("statistics.interval.ms", "0");
            if let Some(max) = self.max_records {
                c.set("max.poll.records", max.to_string());
            }
        })
    }

    /// The librdkafka share consumer, subscribed (no request yet: the heartbeat takes the
    /// subscription to the broker).
    /// Acknowledgements that failed are counted into `counters`.
    pub(super) fn native(&self, counters: Arc<ShareCounters>) -> Result<NativeShare, KafkaError> {
        let config = self.client_config();
        let log = self.client.logger();
        let (warn_to, handler) = (log.clone(), self.on_acknowledgement_commit.clone());
        let on_commit = move |outcome: AcknowledgementCommit| {
            if let Some(err) = &outcome.error {
                counters.failed(
                    &outcome.topic,
                    outcome.partition,
                    outcome.offsets.len() as u64,
                );
                log_warning(
                    &warn_to,
                    "SHARE",
                    format!(
                        "share consumer: the acknowledgements of {} record(s) of {} [{}] \
                         failed: {err}",
                        outcome.offsets.len(),
                        outcome.topic,
                        outcome.partition
                    ),
                );
            }
            if let Some(handler) = &handler {
                handler(&outcome);
            }
        };
        // As every client logs: librdkafka's lines, and its client errors with the same
        // connection error said once a minute.
        let (log_to, errors_to, brokers) = (log.clone(), log, BrokerErrors::default());
        let hooks = ShareHooks {
            on_log: Box::new(move |level, facility, message| {
                log_to(&library_log(level, facility, message))
            }),
            on_error: Box::new(move |code, message, fatal| {
                let (record, quiet) = client_error(&brokers, code, message, fatal);
                if !quiet {
                    errors_to(&record);
                }
            }),
            on_commit: Box::new(on_commit),
        };
        let native = NativeShare::new(config.to_native()?, hooks)?;
        native.subscribe(&self.topics)?;
        Ok(native)
    }
}
