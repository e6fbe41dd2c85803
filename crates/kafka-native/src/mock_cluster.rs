//! [`MockCluster`]: librdkafka's embedded Kafka-protocol broker, for tests, examples and development.

use crate::error::{ErrorCode, KafkaError};
use crate::native::NativeMockCluster;

/// Kafka API keys, for [`MockCluster::push_request_errors`].
pub mod api_key {
    pub const PRODUCE: i16 = 0;
    pub const FETCH: i16 = 1;
    pub const LIST_OFFSETS: i16 = 2;
    pub const METADATA: i16 = 3;
    pub const OFFSET_COMMIT: i16 = 8;
    pub const OFFSET_FETCH: i16 = 9;
    pub const FIND_COORDINATOR: i16 = 10;
    pub const JOIN_GROUP: i16 = 11;
    pub const HEARTBEAT: i16 = 12;
    pub const SYNC_GROUP: i16 = 14;
    pub const INIT_PRODUCER_ID: i16 = 22;
}

/// The most partitions [`MockCluster::create_topic`] makes for one topic.
pub const MAX_PARTITIONS: i32 = 10_000;

/// An in-process cluster of mock brokers, reachable over TCP on loopback by any Kafka client.
///
/// Limits worth knowing: each partition keeps only about 5 MiB or 100k message sets and silently
/// drops older data; there is no CreateTopics API (use [`MockCluster::create_topic`], or
/// auto-create, which makes 4 partitions); and it answers a fetch that finds no data only after
/// the fetch's whole wait, so a consumer's [`crate::ConsumerConfig::fetch_wait_max`] is the
/// latency on it (5 ms gives a p99 of about 6 ms, 1 ms about 2 ms).
///
/// ```
/// let cluster = kafka_native::MockCluster::new(1).unwrap();
/// cluster.create_topic("events", 8, 1).unwrap();
/// assert!(cluster.bootstrap_servers().starts_with("127.0.0.1:"));
/// ```
pub struct MockCluster {
    native: NativeMockCluster,
    brokers: i32,
}

impl MockCluster {
    /// Starts `brokers` mock brokers (ids 1..=brokers) on ephemeral loopback ports.
    pub fn new(brokers: i32) -> Result<Self, KafkaError> {
        if !(1..=64).contains(&brokers) {
            return Err(KafkaError::invalid(
                "brokers",
                format!("must be between 1 and 64, got {brokers}"),
            ));
        }
        Ok(MockCluster {
            native: NativeMockCluster::new(brokers)?,
            brokers,
        })
    }

    pub fn broker_count(&self) -> i32 {
        self.brokers
    }

    /// `host:port,...` to give a client as `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.native.bootstraps()
    }

    pub fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication_factor: i32,
    ) -> Result<(), KafkaError> {
        crate::config::validate_topic_name(topic)?;
        // Each mock partition is kept in memory: a sane bound, not Kafka's.
        if !(1..=MAX_PARTITIONS).contains(&partitions) {
            return Err(KafkaError::invalid(
                "partitions",
                format!("must be between 1 and {MAX_PARTITIONS}, got {partitions}"),
            ));
        }
        if !(1..=self.brokers).contains(&replication_factor) {
            return Err(KafkaError::invalid(
                "replication_factor",
                format!(
                    "must be between 1 and the broker count {}, got {replication_factor}",
                    self.brokers
                ),
            ));
        }
        self.native
            .topic_create(topic, partitions, replication_factor)
    }

    /// Takes a broker down: it refuses connections until [`MockCluster::broker_up`].
    pub fn broker_down(&self, broker_id: i32) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        self.native.broker_set_down(broker_id)
    }

    pub fn broker_up(&self, broker_id: i32) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        self.native.broker_set_up(broker_id)
    }

    /// Adds `rtt_ms` of round-trip delay to a broker's responses.
    pub fn set_broker_rtt(&self, broker_id: i32, rtt_ms: i32) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        if rtt_ms < 0 {
            return Err(KafkaError::invalid(
                "rtt_ms",
                format!("must be >= 0, got {rtt_ms}"),
            ));
        }
        self.native.broker_set_rtt(broker_id, rtt_ms)
    }

    pub fn set_partition_leader(
        &self,
        topic: &str,
        partition: i32,
        broker_id: i32,
    ) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        self.native
            .partition_set_leader(topic, partition, broker_id)
    }

    /// The next requests with `api_key` (see [`api_key`]) fail with these errors, one each, in order.
    pub fn push_request_errors(&self, api_key: i16, errors: &[ErrorCode]) {
        self.native.push_request_errors(api_key, errors)
    }

    /// How long the first join of a consumer group waits (librdkafka's default is 3 s).
    pub fn set_group_initial_rebalance_delay(&self, delay_ms: i32) {
        self.native.group_initial_rebalance_delay(delay_ms)
    }

    fn check_broker(&self, broker_id: i32) -> Result<(), KafkaError> {
        if (1..=self.brokers).contains(&broker_id) {
            Ok(())
        } else {
            Err(KafkaError::invalid(
                "broker_id",
                format!("must be between 1 and {}, got {broker_id}", self.brokers),
            ))
        }
    }
}
