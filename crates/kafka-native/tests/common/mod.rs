//! Helpers shared by the integration tests (each test file uses a part of them).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{
    Admin, AdminConfig, Consumer, ConsumerConfig, ConsumerStats, LogRecord, MockCluster, NewTopic,
    Producer, ProducerConfig,
};
use parking_lot::Mutex;

/// Polls `done` until it holds; fails the test naming `what` after `timeout`. Waits for an
/// outcome, never for time to pass.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// librdkafka's threads in this process (named `rdk:...`): each client holds a few until its
/// handle is destroyed.
#[allow(dead_code)]
pub fn librdkafka_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("rdk:"))
        .count()
}

/// Sends `payloads` to one partition and waits until every one is delivered.
pub fn produce(brokers: &str, topic: &str, partition: i32, payloads: &[String]) {
    let producer = Producer::new(ProducerConfig::new(brokers)).unwrap();
    assert_eq!(
        producer.send(topic, partition, payloads).unwrap().enqueued,
        payloads.len()
    );
    producer.stop(Duration::from_secs(20)).unwrap();
}

/// Payloads a consumer read, in order, as (lossy) UTF-8 text.
pub type Payloads = Arc<Mutex<Vec<String>>>;

/// A consumer that records the payload of every message it reads; not yet started.
pub fn payload_recorder(config: ConsumerConfig) -> (Consumer, Payloads) {
    let (consumer, seen, _) = payload_and_miss_recorder(config);
    (consumer, seen)
}

/// A [`payload_recorder`] that also sums the batches' `misses`.
pub fn payload_and_miss_recorder(config: ConsumerConfig) -> (Consumer, Payloads, Arc<AtomicU64>) {
    let seen: Payloads = Arc::default();
    let misses = Arc::new(AtomicU64::new(0));
    let (sink, missed) = (seen.clone(), misses.clone());
    let consumer = Consumer::new(config, move |batch| {
        missed.fetch_add(batch.misses, Ordering::Relaxed);
        let mut seen = sink.lock();
        for m in batch.iter() {
            seen.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
        Ok(())
    })
    .unwrap();
    (consumer, seen, misses)
}

/// The latest stats report of a consumer made with [`with_stats`].
pub type LatestStats = Arc<Mutex<Option<ConsumerStats>>>;

/// `config` reporting stats every 100 ms into the returned slot: the witness for "nothing more
/// is coming" (consumer.rs's `wait_nothing_waiting`, the byte cap's test).
pub fn with_stats(config: ConsumerConfig) -> (ConsumerConfig, LatestStats) {
    let latest = LatestStats::default();
    let sink = latest.clone();
    let config = config
        .statistics_interval(Duration::from_millis(100))
        .on_stats(move |s| *sink.lock() = Some(s));
    (config, latest)
}

/// `prefix0`, `prefix1`, ... for the range.
pub fn numbered(prefix: &str, range: std::ops::Range<i32>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

/// Log records a client sent to its `on_log`, kept for assertions.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<LogRecord>>>);

impl Logs {
    pub fn handler(&self) -> impl Fn(&LogRecord) + Send + Sync + 'static {
        let sink = self.0.clone();
        move |r| sink.lock().push(r.clone())
    }

    pub fn records(&self) -> Vec<LogRecord> {
        self.0.lock().clone()
    }

    /// The records whose facility or message contains `text`.
    pub fn matching(&self, text: &str) -> Vec<LogRecord> {
        self.0
            .lock()
            .iter()
            .filter(|r| r.facility.contains(text) || r.message.contains(text))
            .cloned()
            .collect()
    }
}

/// The partition numbers of an assignment (for a consumer of one topic).
pub fn partitions(assignment: &[kafka_native::TopicPartition]) -> Vec<i32> {
    assignment.iter().map(|tp| tp.partition).collect()
}

/// The broker under test: `KAFKA_TEST_BROKER=mock` (default: an embedded MockCluster) or
/// `kafka` (an Apache Kafka cluster at `KAFKA_BROKERS`, started by `npm test`; topics are created
/// with the core's own `Admin`).
pub enum TestCluster {
    Mock(MockCluster),
    Kafka { servers: String },
}

impl TestCluster {
    pub fn new() -> Self {
        match std::env::var("KAFKA_TEST_BROKER").as_deref() {
            Ok("kafka") => TestCluster::Kafka {
                servers: std::env::var("KAFKA_BROKERS").expect("KAFKA_BROKERS for kafka"),
            },
            Ok("mock") | Err(_) => {
                let cluster = MockCluster::new(1).unwrap();
                // Groups form at once (librdkafka's mock waits 3 s by default).
                cluster.set_group_initial_rebalance_delay(0);
                TestCluster::Mock(cluster)
            }
            Ok(other) => panic!("KAFKA_TEST_BROKER={other}: expected mock or kafka"),
        }
    }

    pub fn bootstrap_servers(&self) -> String {
        match self {
            TestCluster::Mock(c) => c.bootstrap_servers(),
            TestCluster::Kafka { servers } => servers.clone(),
        }
    }

    /// Makes the MockCluster keep `bytes` of batches per partition (it keeps 5 MiB and drops
    /// older ones); Apache Kafka keeps everything a test writes already.
    pub fn keep_partition_bytes(&self, bytes: u64) {
        if let TestCluster::Mock(c) = self {
            c.set_partition_retention_bytes(bytes).unwrap();
        }
    }

    /// Apache Kafka rather than the MockCluster.
    pub fn is_kafka(&self) -> bool {
        matches!(self, TestCluster::Kafka { .. })
    }

    /// Creates a topic with a name no other test run on this broker uses, and returns the name.
    pub fn create_topic(&self, base: &str, partitions: i32) -> String {
        let name = format!("{base}-{}", std::process::id());
        match self {
            TestCluster::Mock(c) => c.create_topic(&name, partitions, 1).unwrap(),
            TestCluster::Kafka { servers } => {
                let admin = Admin::new(AdminConfig::new(servers.as_str()).on_log(|_| {})).unwrap();
                admin
                    .create_topics(&[NewTopic::new(&name, partitions)])
                    .unwrap_or_else(|e| panic!("create topic {name}: {e}"));
                admin.stop();
            }
        }
        name
    }
}
