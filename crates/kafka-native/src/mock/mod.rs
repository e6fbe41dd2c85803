//! [`MockCluster`]: librdkafka's embedded Kafka-protocol broker, for tests, examples and development.

use std::collections::BTreeSet;

use parking_lot::Mutex;

use crate::error::{ErrorCode, KafkaError};
pub(crate) mod request;

use crate::native::NativeMockCluster;
pub use request::{api_key, MockRequest};

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
///
/// Replication holds as in Kafka for the topics made with [`MockCluster::create_topic`]: when
/// [`MockCluster::broker_down`] takes down a partition's leader, another of its replicas that is
/// up leads it (librdkafka's mock alone would leave it on the dead broker), so a topic of
/// replication factor 2 stays available while one broker is down.
pub struct MockCluster {
    native: NativeMockCluster,
    brokers: i32,
    /// The replicas and leader of every partition of the topics we created, and which brokers
    /// are down: what [`MockCluster::broker_down`] needs to move leadership.
    placement: Mutex<Placement>,
}

#[derive(Default)]
struct Placement {
    partitions: Vec<PartitionPlacement>,
    down: BTreeSet<i32>,
}

struct PartitionPlacement {
    topic: String,
    partition: i32,
    replicas: Vec<i32>,
    leader: i32,
}

/// The brokers holding `partition`, as librdkafka's mock assigns them
/// (`rd_kafka_mock_partition_assign_replicas`): `replication_factor` consecutive broker ids,
/// wrapping around, from `(partition × replication_factor) mod brokers`.
fn mock_replicas(partition: i32, replication_factor: i32, brokers: i32) -> Vec<i32> {
    let first = (partition * replication_factor) % brokers;
    (0..replication_factor.min(brokers))
        .map(|i| (first + i) % brokers + 1)
        .collect()
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
            placement: Mutex::new(Placement::default()),
        })
    }

    /// How many brokers it has.
    pub fn broker_count(&self) -> i32 {
        self.brokers
    }

    /// `host:port,...` to give a client as `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.native.bootstraps()
    }

    /// Makes a topic of `partitions` partitions (1 to the mock's bound), each with
    /// `replication_factor` replicas (1 to the broker count), each led by its first replica
    /// that is up; [`MockCluster::broker_down`] moves the leadership of what a broker led.
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
            .topic_create(topic, partitions, replication_factor)?;
        // The mock picks each leader at random among the replicas; we pick the first replica
        // that is up, so we know the leaders broker_down has to move.
        let mut placement = self.placement.lock();
        for partition in 0..partitions {
            let replicas = mock_replicas(partition, replication_factor, self.brokers);
            let leader = replicas
                .iter()
                .copied()
                .find(|b| !placement.down.contains(b))
                .unwrap_or(replicas[0]);
            self.native.partition_set_leader(topic, partition, leader)?;
            placement.partitions.push(PartitionPlacement {
                topic: topic.to_string(),
                partition,
                replicas,
                leader,
            });
        }
        Ok(())
    }

    /// Takes a broker down: it refuses connections until [`MockCluster::broker_up`]. The
    /// partitions it led (of topics made with [`MockCluster::create_topic`]) move to another
    /// replica that is up; a partition with none stays offline until one comes back.
    pub fn broker_down(&self, broker_id: i32) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        let mut placement = self.placement.lock();
        self.native.broker_set_down(broker_id)?;
        let Placement { partitions, down } = &mut *placement;
        down.insert(broker_id);
        for p in partitions.iter_mut().filter(|p| p.leader == broker_id) {
            if let Some(next) = p.replicas.iter().copied().find(|b| !down.contains(b)) {
                self.native
                    .partition_set_leader(&p.topic, p.partition, next)?;
                p.leader = next;
            }
        }
        Ok(())
    }

    /// Brings a broker back. It leads again the partitions that were offline without it.
    pub fn broker_up(&self, broker_id: i32) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        let mut placement = self.placement.lock();
        self.native.broker_set_up(broker_id)?;
        let Placement { partitions, down } = &mut *placement;
        down.remove(&broker_id);
        for p in partitions.iter_mut() {
            if down.contains(&p.leader) && p.replicas.contains(&broker_id) {
                self.native
                    .partition_set_leader(&p.topic, p.partition, broker_id)?;
                p.leader = broker_id;
            }
        }
        Ok(())
    }

    /// The broker leading `partition` of a topic made with [`MockCluster::create_topic`].
    pub fn partition_leader(&self, topic: &str, partition: i32) -> Option<i32> {
        self.placement
            .lock()
            .partitions
            .iter()
            .find(|p| p.topic == topic && p.partition == partition)
            .map(|p| p.leader)
    }

    /// Makes a broker advertise `host:port` in metadata instead of its own address; it keeps
    /// listening where it did. With a TLS terminator at `host:port` in front of the broker's
    /// port, clients reach it over TLS (the mock itself speaks plaintext only).
    pub fn set_broker_address(
        &self,
        broker_id: i32,
        host: &str,
        port: u16,
    ) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        // librdkafka keeps the advertised host in a 128-byte field.
        if host.is_empty() || host.len() > 127 {
            return Err(KafkaError::invalid(
                "host",
                format!("must be 1 to 127 bytes, got {}", host.len()),
            ));
        }
        if port == 0 {
            return Err(KafkaError::invalid(
                "port",
                "must be between 1 and 65535, got 0",
            ));
        }
        self.native.broker_set_advertised(broker_id, host, port)
    }

    /// The port a broker listens on (its address in `bootstrap_servers`).
    pub fn broker_port(&self, broker_id: i32) -> Result<u16, KafkaError> {
        self.check_broker(broker_id)?;
        self.bootstrap_servers()
            .split(',')
            .nth((broker_id - 1) as usize)
            .and_then(|address| address.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| {
                KafkaError::invalid("broker_id", format!("no address for broker {broker_id}"))
            })
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

    /// Makes `broker_id` the leader of `partition` of `topic` (a topic made with
    /// [`MockCluster::create_topic`] keeps it when brokers go down and up).
    pub fn set_partition_leader(
        &self,
        topic: &str,
        partition: i32,
        broker_id: i32,
    ) -> Result<(), KafkaError> {
        self.check_broker(broker_id)?;
        let mut placement = self.placement.lock();
        self.native
            .partition_set_leader(topic, partition, broker_id)?;
        if let Some(p) = placement
            .partitions
            .iter_mut()
            .find(|p| p.topic == topic && p.partition == partition)
        {
            p.leader = broker_id;
        }
        Ok(())
    }

    /// From now on the brokers record each request they receive (see [`MockCluster::requests`]),
    /// forgetting any recorded before.
    pub fn start_request_tracking(&self) {
        self.native.start_request_tracking()
    }

    /// The requests the brokers received since [`MockCluster::start_request_tracking`], in the
    /// order they came.
    pub fn requests(&self) -> Vec<MockRequest> {
        self.native.requests()
    }

    /// The next requests with `api_key` (see [`api_key`](crate::api_key)) fail with these errors,
    /// one each, in order.
    pub fn push_request_errors(&self, api_key: i16, errors: &[ErrorCode]) {
        self.native.push_request_errors(api_key, errors)
    }

    /// How many bytes of batches each partition keeps, now and in topics created later, like
    /// Kafka's `retention.bytes`: past it the oldest batches are dropped (the earliest offset
    /// moves up), keeping at least the newest. librdkafka's mock keeps 5 MiB by default, so a
    /// test that writes more to one partition and reads it from the start misses the oldest.
    pub fn set_partition_retention_bytes(&self, bytes: u64) -> Result<(), KafkaError> {
        let bytes = i64::try_from(bytes)
            .ok()
            .filter(|&b| b > 0)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "bytes",
                    format!("must be between 1 and {}, got {bytes}", i64::MAX),
                )
            })?;
        self.native.partition_retention_bytes_set(bytes)
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
