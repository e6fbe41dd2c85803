//! Helpers for tests and tools: a plain reader of a partition from the beginning with
//! librdkafka's consumer (independent of [`crate::Producer`] and the offset-file consumer), and
//! what the process holds (its heap, its librdkafka clients).

use std::time::{Duration, Instant};

use crate::config::ClientConfig;
use crate::error::KafkaError;
use crate::native::client::ClientKind;
use crate::native::{NativeClient, PartitionList};

/// A message as read back, fully owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadMessage {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub timestamp: Option<i64>,
}

/// Reads `partition` of `topic` from its beginning until `count` messages arrived or `timeout`.
pub fn read_partition(
    brokers: &str,
    topic: &str,
    partition: i32,
    count: usize,
    timeout: Duration,
) -> Result<Vec<ReadMessage>, KafkaError> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", "kafka-native-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    let client = NativeClient::new(ClientKind::Consumer, config.to_native()?)?;
    let queue = client
        .consumer_queue()
        .expect("a consumer has a consumer queue");
    client.assign(&PartitionList::new(
        topic,
        &[(
            partition,
            kafka_native_sys::RD_KAFKA_OFFSET_BEGINNING as i64,
        )],
    )?)?;
    let deadline = Instant::now() + timeout;
    let mut out = Vec::with_capacity(count);
    while out.len() < count && Instant::now() < deadline {
        let batch = queue.consume_ready(Duration::from_millis(100), 10_000, usize::MAX);
        for m in batch.messages() {
            let m = m.view();
            if m.error().is_some() {
                continue;
            }
            out.push(ReadMessage {
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                payload: m.payload().map(<[u8]>::to_vec),
                timestamp: m.timestamp(),
                headers: m
                    .headers()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_vec()))
                    .collect(),
            });
        }
    }
    drop(queue);
    client.consumer_close();
    Ok(out)
}

/// Bytes of heap the process has in use (glibc's count: allocated chunks in every arena and
/// mmapped blocks); `None` with another C library. For tests of what a client gives back.
pub fn heap_in_use() -> Option<usize> {
    crate::native::process::heap_in_use()
}

/// Waits up to `timeout` until every librdkafka client of the process is destroyed and its
/// threads have ended (producers, consumers, admins and MockClusters, once dropped); whether
/// they have.
pub fn wait_until_every_client_is_destroyed(timeout: Duration) -> bool {
    crate::native::process::wait_until_clients_destroyed(timeout)
}
