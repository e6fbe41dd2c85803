//! What a client gives back once it is gone, against whichever broker `KAFKA_TEST_BROKER` names.
//! The test measures the whole process's heap, so it is alone in its file (its own process).

use std::time::Duration;

use kafka_native::testing::{heap_in_use, wait_until_every_client_is_destroyed};
use kafka_native::ConsumerConfig;

mod common;
use common::{payload_recorder, wait_for, TestCluster};

/// Writes `count` messages of `size` bytes over 4 partitions of a new topic and reads them all
/// with a consumer; every client, and the cluster if it is a MockCluster, is gone after.
fn write_and_read(name: &str, size: usize, count: usize) {
    let cluster = TestCluster::new();
    cluster.keep_partition_bytes(64 << 20);
    let topic = cluster.create_topic(name, 4);
    let payloads: Vec<String> = (0..count / 4)
        .map(|i| format!("{i:010}").repeat(size / 10))
        .collect();
    for partition in 0..4 {
        common::produce(&cluster.bootstrap_servers(), &topic, partition, &payloads);
    }
    let (consumer, seen) = payload_recorder(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .without_offset_directory()
            .on_log(|_| {}),
    );
    consumer.start().unwrap();
    wait_for("every message", Duration::from_secs(60), || {
        seen.lock().len() >= count
    });
    consumer.stop().unwrap();
}

/// librdkafka (kafka-native-sys) keeps a response of 1 MiB or more's memory for the next one, so
/// that a lagging consumer does not fault those pages in again for every response: at most one
/// block idle, process-wide. That block went with the last client: kept for the process's life,
/// it held megabytes that no client could use. The same clients read 16 MB of 1 KB messages
/// (Fetch responses of megabytes) after reading a few small ones (so that what the process keeps
/// once is there before the first measure): once every client is gone, the heap in use must be
/// back within 512 KiB of where it was after the small read.
#[test]
fn the_kept_response_block_is_freed_with_the_last_client() {
    write_and_read("heap-warm", 100, 400);
    assert!(wait_until_every_client_is_destroyed(Duration::from_secs(
        30
    )));
    let before = heap_in_use().expect("glibc's heap counts");
    write_and_read("heap-large", 1000, 16_000);
    assert!(wait_until_every_client_is_destroyed(Duration::from_secs(
        30
    )));
    let after = heap_in_use().expect("glibc's heap counts");
    assert!(
        after < before + (512 << 10),
        "heap in use {before} bytes before, {after} after every client is gone"
    );
}
