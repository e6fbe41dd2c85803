//! Helpers shared by the integration tests (each test file uses a part of them).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{LogRecord, Producer, ProducerConfig};
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

/// Sends `payloads` to one partition and waits until every one is delivered.
pub fn produce(brokers: &str, topic: &str, partition: i32, payloads: &[String]) {
    let producer = Producer::new(ProducerConfig::new(brokers)).unwrap();
    assert_eq!(
        producer.send(topic, partition, payloads).unwrap().enqueued,
        payloads.len()
    );
    producer.stop(Duration::from_secs(20)).unwrap();
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
