//! The async API on the MockCluster, polled by tokio (any executor would do: the core has no
//! runtime): `Producer::deliver_async` and `BatchStream`, with offset files and a group's
//! committed offsets witnessing what was recorded.

use std::time::Duration;

use futures_core::Stream;
use kafka_native::{
    Admin, AdminConfig, BatchStream, ConsumerConfig, MockCluster, Producer, ProducerConfig, Record,
};

fn producer(cluster: &MockCluster) -> Producer {
    Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers()).queue_buffering_max(Duration::ZERO),
    )
    .unwrap()
}

fn record(payload: &[u8]) -> Record<'_> {
    Record {
        payload: Some(payload),
        ..Default::default()
    }
}

fn offset_file(dir: &std::path::Path, topic: &str, partition: i32) -> Option<String> {
    std::fs::read_to_string(dir.join(format!("{topic}-{partition}.offset"))).ok()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn deliver_async_resolves_with_where_each_record_landed() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("futures", 2, 1).unwrap();
    let producer = producer(&cluster);
    runtime().block_on(async {
        let records = [record(b"a"), record(b"b"), record(b"c")];
        let delivery = producer.deliver_async("futures", 1, &records).unwrap();
        assert_eq!(delivery.enqueued().enqueued, 3);
        let landed = delivery.await.unwrap();
        let at: Vec<(i32, i64)> = landed.iter().map(|d| (d.partition, d.offset)).collect();
        assert_eq!(at, vec![(1, 0), (1, 1), (1, 2)]);
        // 100 awaited at once, each its own future: offsets 3 to 102, each once.
        let mut pending = Vec::new();
        for i in 0..100 {
            let payload = format!("m{i}");
            pending.push(
                producer
                    .deliver_async("futures", 1, &[record(payload.as_bytes())])
                    .unwrap(),
            );
        }
        let mut offsets = Vec::new();
        for delivery in pending {
            offsets.push(delivery.await.unwrap()[0].offset);
        }
        offsets.sort();
        assert_eq!(offsets, (3..103).collect::<Vec<i64>>());
        // A partition the topic does not have fails: at once, or as the future's error.
        match producer.deliver_async("futures", 7, &[record(b"x")]) {
            Err(e) => assert!(e.to_string().contains("futures"), "{e}"),
            Ok(delivery) => assert!(delivery.await.is_err()),
        }
    });
    producer.stop(Duration::from_secs(10)).unwrap();
}

fn produce(cluster: &MockCluster, topic: &str, count: usize) {
    let producer = producer(cluster);
    let payloads: Vec<String> = (0..count).map(|i| format!("m{i}")).collect();
    assert_eq!(
        producer.send(topic, 0, &payloads).unwrap().enqueued,
        payloads.len()
    );
    producer.stop(Duration::from_secs(10)).unwrap();
}

#[test]
fn a_batch_stream_records_what_was_acknowledged_and_ends_at_a_batch_dropped_unacknowledged() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("stream", 1, 1).unwrap();
    produce(&cluster, "stream", 30);
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        ConsumerConfig::new(cluster.bootstrap_servers(), "stream")
            .offset_directory(dir.path())
            .max_messages_per_callback(10)
            .on_log(|_| {})
    };
    let dropped_first = runtime().block_on(async {
        let mut batches = BatchStream::new(config()).unwrap();
        batches.start().unwrap();
        let mut acked = 0;
        loop {
            let batch = batches.next().await.expect("a batch");
            let offsets: Vec<i64> = batch.iter().map(|m| m.offset()).collect();
            if acked + batch.len() == 30 {
                drop(batch); // the last batch, not acknowledged
                             // The stream ends there, and the consumer fetches no more.
                assert!(batches.next().await.is_none());
                batches.stop().unwrap();
                return offsets[0];
            }
            acked += batch.len();
            batch.ack();
        }
    });
    // Everything before the dropped batch was recorded; nothing of it.
    assert_eq!(
        offset_file(dir.path(), "stream", 0),
        Some(format!("{}\n", dropped_first - 1))
    );
    let again = runtime().block_on(async {
        let mut batches = BatchStream::new(config()).unwrap();
        batches.start().unwrap();
        let batch = batches.next().await.expect("a batch");
        let first = batch.iter().next().map(|m| m.offset());
        batch.ack();
        batches.stop().unwrap();
        first
    });
    assert_eq!(again, Some(dropped_first));
}

/// BatchStream is a `futures_core::Stream`, for StreamExt and the rest of that ecosystem.
fn poll_as_stream<S: Stream + Unpin>(
    stream: &mut S,
) -> impl std::future::Future<Output = Option<S::Item>> + '_ {
    std::future::poll_fn(move |cx| std::pin::Pin::new(&mut *stream).poll_next(cx))
}

#[test]
fn a_batch_stream_in_a_group_commits_each_acknowledged_batch() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.set_group_initial_rebalance_delay(0);
    cluster.create_topic("grouped-stream", 1, 1).unwrap();
    produce(&cluster, "grouped-stream", 20);
    let group = format!("stream-{}", std::process::id());
    let mut batches = BatchStream::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "grouped-stream")
            .group_id(&group)
            .on_log(|_| {}),
    )
    .unwrap();
    batches.start().unwrap();
    runtime().block_on(async {
        let mut read = 0;
        while read < 20 {
            let batch = poll_as_stream(&mut batches).await.expect("a batch");
            read += batch.len();
            batch.ack();
        }
    });
    batches.stop().unwrap();
    let admin = Admin::new(AdminConfig::new(cluster.bootstrap_servers()).on_log(|_| {})).unwrap();
    let committed: Vec<i64> = admin
        .group_offsets(&group)
        .unwrap()
        .iter()
        .map(|o| o.committed)
        .collect();
    assert_eq!(committed, vec![20]);
}
