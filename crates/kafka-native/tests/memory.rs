//! What a client holds, and gives back once it is gone, against whichever broker
//! `KAFKA_TEST_BROKER` names: the heap, and librdkafka's clients.
//! The tests measure the whole process's heap, so they are alone in their file (its own process)
//! and take turns.

use std::time::Duration;

use kafka_native::testing::{heap_in_use, wait_until_every_client_is_destroyed};
use kafka_native::{
    Compression, Consumer, ConsumerConfig, KafkaError, Producer, ProducerConfig, ShareConsumer,
    ShareConsumerConfig,
};

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
    let _alone = HEAP.lock();
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

/// Serializes the tests of this file: each measures the whole process's heap.
static HEAP: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// The heap a consumer holds for `COUNT` batches of one 1 KB record each, written with `codec`
/// (one record a batch, as a low-rate producer writes) and all prefetched, not yet handed over.
fn heap_for_single_record_batches(cluster: &TestCluster, codec: Compression) -> usize {
    const COUNT: usize = 2000;
    let topic = cluster.create_topic(&format!("single-record-{codec}"), 1);
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .compression(codec)
            .driver_option("batch.num.messages", "1")
            .on_log(|_| {}),
    )
    .unwrap();
    let payloads: Vec<String> = (0..COUNT).map(|i| format!("{i:08}{:x<992}", "")).collect();
    assert_eq!(producer.send(&topic, 0, &payloads).unwrap().enqueued, COUNT);
    producer.stop(Duration::from_secs(60)).unwrap();
    drop(producer);
    let before = heap_in_use().expect("glibc's heap counts");
    let (config, latest) = common::with_stats(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .without_offset_directory()
            .on_log(|_| {}),
    );
    let consumer = Consumer::pulled(config, || {}).unwrap();
    consumer.start().unwrap();
    wait_for("all of it fetched", Duration::from_secs(60), || {
        latest
            .lock()
            .as_ref()
            .is_some_and(|s| s.waiting_kafka == 0 && s.waiting_local >= COUNT as u64)
    });
    let held = heap_in_use()
        .expect("glibc's heap counts")
        .saturating_sub(before);
    consumer.stop().unwrap();
    held
}

/// A batch's decompressed buffer lives as long as any of its messages, and the prefetch counts
/// message bytes. librdkafka (kafka-native-sys) sizes an lz4 or zstd buffer by a bound of whole
/// frame blocks, so a batch of one small record was held in 64 KiB (lz4) or 128 KiB (zstd): a
/// topic written one record a batch took up to a hundred times its size in memory. A buffer is
/// now shrunk to what it holds. 2,000 single-record batches of 1 KB, all prefetched: in every
/// codec they must take no more heap than uncompressed ones do, give or take 4 MiB.
#[test]
fn single_record_compressed_batches_take_about_what_uncompressed_ones_take() {
    let _alone = HEAP.lock();
    let cluster = TestCluster::new();
    let plain = heap_for_single_record_batches(&cluster, Compression::None);
    let held: Vec<(Compression, usize)> = [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ]
    .into_iter()
    .map(|codec| (codec, heap_for_single_record_batches(&cluster, codec)))
    .collect();
    eprintln!("heap held: uncompressed {plain} bytes, compressed {held:?}");
    assert!(
        held.iter().all(|&(_, bytes)| bytes <= plain + (4 << 20)),
        "heap held for 2,000 single-record batches: uncompressed {plain} bytes, \
         compressed (codec, bytes) {held:?}"
    );
}

/// A ShareConsumer makes no librdkafka client (no thread, no connection) until `start()`: a
/// never-started one subscribed at construction, and closed (leaving the group) in its drop,
/// which in Node is a finalizer on the event loop. And one stopped cannot be started again.
#[test]
fn a_share_consumer_makes_its_client_at_start_and_none_after_stop() {
    let _alone = HEAP.lock();
    let none = || wait_until_every_client_is_destroyed(Duration::ZERO);
    assert!(none(), "a client left by an earlier test");
    let consumer = ShareConsumer::pulled(
        ShareConsumerConfig::new("127.0.0.1:9", "g")
            .topics(["t"])
            .on_log(|_| {}),
        || {},
    )
    .unwrap();
    assert!(none(), "a client before start()");
    // start() waits for the group to assign partitions (nothing answers here): the client is
    // there while it waits, and a stop ends the wait.
    std::thread::scope(|s| {
        let starting = s.spawn(|| consumer.start());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while none() {
            assert!(
                std::time::Instant::now() < deadline,
                "no client while start() waits"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        consumer.stop().unwrap();
        assert!(matches!(starting.join().unwrap(), Err(KafkaError::Stopped)));
    });
    assert!(wait_until_every_client_is_destroyed(Duration::from_secs(
        30
    )));
    assert!(matches!(consumer.start(), Err(KafkaError::Stopped)));
    assert!(none(), "a client after a start() following stop()");
}
