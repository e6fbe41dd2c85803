//! Consumer behaviour against librdkafka's mock cluster, with real offset files on disk.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{
    api_key, BatchError, ClientConfig, Consumer, ConsumerConfig, ConsumerStats, ErrorCode,
    KafkaError, MockCluster, Producer, ProducerConfig, ReceivedBatch, StartOffset,
};
use parking_lot::Mutex;

mod common;
use common::{numbered, partitions, wait_for, with_stats, LatestStats, Logs};

/// (partition, offset, payload) of every message a consumer was handed.
type Seen = Arc<Mutex<Vec<(i32, i64, String)>>>;

fn produce(cluster: &MockCluster, topic: &str, partition: i32, payloads: &[String]) {
    common::produce(&cluster.bootstrap_servers(), topic, partition, payloads)
}

fn recording_consumer(config: ConsumerConfig) -> (Consumer, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let consumer = Consumer::new(config, move |batch| {
        let mut seen = sink.lock();
        for m in batch.iter() {
            seen.push((
                m.partition(),
                m.offset(),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            ));
        }
        Ok(())
    })
    .unwrap();
    (consumer, seen)
}

/// Waits for a report made from now on that counts nothing waiting, at the brokers or fetched
/// and not yet handed over: after it, nothing more arrives unless more is produced.
fn wait_nothing_waiting(latest: &LatestStats) {
    *latest.lock() = None;
    wait_for(
        "a report of nothing waiting",
        Duration::from_secs(20),
        || {
            latest
                .lock()
                .as_ref()
                .is_some_and(|s| s.waiting_kafka == 0 && s.waiting_local == 0)
        },
    );
}

fn offset_file(dir: &Path, topic: &str, partition: i32) -> Option<String> {
    std::fs::read_to_string(dir.join(format!("{topic}-{partition}.offset"))).ok()
}

#[test]
fn records_offsets_processed_in_offset_directory() {
    // Port of kafka-native's specs/api.js "should record offsets processed in offset directory".
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("api", 4, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Each round: one message per partition, read by a fresh consumer that starts after the
    // offsets the last round recorded, and nothing else.
    for (round, label) in ["first", "second"].into_iter().enumerate() {
        for p in 0..4 {
            produce(&cluster, "api", p, &[format!("{label}-{p}")]);
        }
        let (config, stats) = with_stats(
            ConsumerConfig::new(cluster.bootstrap_servers(), "api").offset_directory(dir.path()),
        );
        let (consumer, seen) = recording_consumer(config);
        assert_eq!(partitions(&consumer.start().unwrap()), vec![0, 1, 2, 3]);
        wait_for("4 messages", Duration::from_secs(20), || {
            seen.lock().len() >= 4
        });
        wait_nothing_waiting(&stats); // nothing else arrives
        consumer.stop().unwrap();
        let mut got = seen.lock().clone();
        got.sort();
        let offset = round as i64;
        assert_eq!(
            got,
            (0..4)
                .map(|p| (p, offset, format!("{label}-{p}")))
                .collect::<Vec<_>>()
        );
        for p in 0..4 {
            assert_eq!(
                offset_file(dir.path(), "api", p),
                Some(format!("{offset}\n"))
            );
        }
    }
}

#[test]
fn existing_kafka_native_offset_files_are_honoured() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("legacy", 1, 1).unwrap();
    produce(
        &cluster,
        "legacy",
        0,
        &(0..10).map(|i| i.to_string()).collect::<Vec<_>>(),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("legacy-0.offset"), "4\n").unwrap();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "legacy").offset_directory(dir.path()),
    );
    consumer.start().unwrap();
    wait_for("offsets 5..9", Duration::from_secs(20), || {
        seen.lock().len() == 5
    });
    consumer.stop().unwrap();
    let offsets: Vec<i64> = seen.lock().iter().map(|m| m.1).collect();
    assert_eq!(offsets, vec![5, 6, 7, 8, 9]);
    assert_eq!(offset_file(dir.path(), "legacy", 0).as_deref(), Some("9\n"));
}

#[test]
fn offsets_that_could_not_be_written_fail_stop_with_an_error_of_their_own() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("unwritable", 1, 1).unwrap();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("offsets");
    std::fs::create_dir(&dir).unwrap();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "unwritable").offset_directory(&dir),
    );
    consumer.start().unwrap();
    // The directory becomes a file: no offset can be written there any more.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "not a directory").unwrap();
    produce(&cluster, "unwritable", 0, &["one".to_string()]);
    wait_for("the message", Duration::from_secs(20), || {
        seen.lock().len() == 1
    });
    // Not an invalid argument: the messages will be read again, and stop() says why.
    let err = consumer.stop().unwrap_err();
    assert!(
        matches!(&err, KafkaError::OffsetsNotStored { message }
            if message.starts_with("offset_directory could not write offsets")),
        "{err:?}"
    );
}

#[test]
fn two_workers_split_partitions_and_consume_each_message_exactly_once() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("split", 4, 1).unwrap();
    for p in 0..4 {
        produce(
            &cluster,
            "split",
            p,
            &(0..250).map(|i| format!("{p}-{i}")).collect::<Vec<_>>(),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = |slot| {
        with_stats(
            ConsumerConfig::new(cluster.bootstrap_servers(), "split")
                .offset_directory(dir.path())
                .workers(2, slot),
        )
    };
    let (config0, stats0) = config(0);
    let (config1, stats1) = config(1);
    let (w0, seen0) = recording_consumer(config0);
    let (w1, seen1) = recording_consumer(config1);
    assert_eq!(partitions(&w0.start().unwrap()), vec![0, 2]);
    assert_eq!(partitions(&w1.start().unwrap()), vec![1, 3]);
    wait_for("1000 messages", Duration::from_secs(30), || {
        seen0.lock().len() + seen1.lock().len() >= 1000
    });
    wait_nothing_waiting(&stats0);
    wait_nothing_waiting(&stats1);
    w0.stop().unwrap();
    w1.stop().unwrap();
    let all: Vec<(i32, i64)> = seen0
        .lock()
        .iter()
        .chain(seen1.lock().iter())
        .map(|m| (m.0, m.1))
        .collect();
    let unique: BTreeSet<(i32, i64)> = all.iter().copied().collect();
    assert_eq!(all.len(), 1000, "no duplicates");
    assert_eq!(
        unique,
        (0..4).flat_map(|p| (0..250).map(move |o| (p, o))).collect()
    );
    assert!(seen0.lock().iter().all(|m| m.0 % 2 == 0));
    assert!(seen1.lock().iter().all(|m| m.0 % 2 == 1));
    for p in 0..4 {
        assert_eq!(
            offset_file(dir.path(), "split", p).as_deref(),
            Some("249\n")
        );
    }
}

#[test]
fn an_unsettled_handler_holds_back_the_next_batch_and_the_offset_file() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("slow", 1, 1).unwrap();
    produce(&cluster, "slow", 0, &["a".into(), "b".into()]);
    let dir = tempfile::tempdir().unwrap();
    let calls: Arc<Mutex<Vec<(Instant, Instant, i64)>>> = Arc::default();
    let entered = Arc::new(Mutex::new(0));
    let sink = calls.clone();
    let entered_sink = entered.clone();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "slow")
            .offset_directory(dir.path())
            .max_messages_per_callback(1),
        move |batch| {
            *entered_sink.lock() += 1;
            let began = Instant::now();
            let offset = batch.iter().next().unwrap().offset();
            std::thread::sleep(Duration::from_millis(500));
            sink.lock().push((began, Instant::now(), offset));
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("the first batch to begin", Duration::from_secs(20), || {
        *entered.lock() == 1
    });
    // While the first batch is unsettled: no second batch, no offset file.
    let deadline = Instant::now() + Duration::from_millis(300);
    while Instant::now() < deadline {
        assert_eq!(offset_file(dir.path(), "slow", 0), None);
        assert_eq!(*entered.lock(), 1);
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for("both batches", Duration::from_secs(20), || {
        calls.lock().len() == 2
    });
    consumer.stop().unwrap();
    let calls = calls.lock();
    assert_eq!((calls[0].2, calls[1].2), (0, 1));
    assert!(
        calls[1].0 >= calls[0].1,
        "the second batch began before the first settled"
    );
    assert_eq!(offset_file(dir.path(), "slow", 0).as_deref(), Some("1\n"));
}

#[test]
fn a_failing_handler_still_records_its_offsets() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("failing", 1, 1).unwrap();
    produce(
        &cluster,
        "failing",
        0,
        &["x".into(), "y".into(), "z".into()],
    );
    let dir = tempfile::tempdir().unwrap();
    let logs: Arc<Mutex<Vec<String>>> = Arc::default();
    let log_sink = logs.clone();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "failing")
            .offset_directory(dir.path())
            .on_log(move |r| log_sink.lock().push(r.message.clone())),
        |_| Err("handler failed on purpose".into()),
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("the offset file", Duration::from_secs(20), || {
        offset_file(dir.path(), "failing", 0).as_deref() == Some("2\n")
    });
    consumer.stop().unwrap();
    assert!(logs
        .lock()
        .iter()
        .any(|l| l.contains("handler failed on purpose")));
}

#[test]
fn pause_stops_deliveries_and_resume_carries_on() {
    // A witness consumer, never paused, reads the same partitions. Once it has had two rounds of
    // messages, a consumer whose pause did nothing would have had the first: no sleeps needed.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("paused", 2, 1).unwrap();
    let config =
        || ConsumerConfig::new(cluster.bootstrap_servers(), "paused").without_offset_directory();
    let (consumer, seen) = recording_consumer(config());
    let (witness, witnessed) = recording_consumer(config());
    let rounds = std::cell::Cell::new(0);
    let two_rounds = |partition_a: i32, partition_b: i32| {
        let before = witnessed.lock().len();
        let round = rounds.get();
        rounds.set(round + 1);
        produce(
            &cluster,
            "paused",
            partition_a,
            &numbered(&format!("r{round}a-"), 0..50),
        );
        wait_for("the witness's first round", Duration::from_secs(20), || {
            witnessed.lock().len() >= before + 50
        });
        produce(
            &cluster,
            "paused",
            partition_b,
            &numbered(&format!("r{round}b-"), 0..10),
        );
        wait_for(
            "the witness's second round",
            Duration::from_secs(20),
            || witnessed.lock().len() >= before + 60,
        );
    };

    consumer.pause().unwrap(); // before start: starts paused
    consumer.start().unwrap();
    witness.start().unwrap();
    two_rounds(0, 1);
    assert_eq!(seen.lock().len(), 0, "delivered while paused before start");
    consumer.resume().unwrap();
    wait_for("the first 60", Duration::from_secs(20), || {
        seen.lock().len() == 60
    });

    consumer.pause().unwrap();
    two_rounds(1, 0);
    assert_eq!(seen.lock().len(), 60, "delivered while paused");
    consumer.resume().unwrap();
    wait_for("all 120", Duration::from_secs(20), || {
        seen.lock().len() == 120
    });
    consumer.stop().unwrap();
    witness.stop().unwrap();
    let offsets_p1: Vec<i64> = seen
        .lock()
        .iter()
        .filter(|m| m.0 == 1)
        .map(|m| m.1)
        .collect();
    assert_eq!(offsets_p1, (0..60).collect::<Vec<_>>());
}

#[test]
fn stats_after_consuming_everything() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("stats", 2, 1).unwrap();
    produce(
        &cluster,
        "stats",
        0,
        &(0..300).map(|i| i.to_string()).collect::<Vec<_>>(),
    );
    produce(
        &cluster,
        "stats",
        1,
        &(0..200).map(|i| i.to_string()).collect::<Vec<_>>(),
    );
    let dir = tempfile::tempdir().unwrap();
    let stats: Arc<Mutex<Vec<ConsumerStats>>> = Arc::default();
    let sink = stats.clone();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "stats")
            .offset_directory(dir.path())
            .statistics_interval(Duration::from_millis(200))
            .on_stats(move |s| sink.lock().push(s)),
    );
    consumer.start().unwrap();
    wait_for("500 messages", Duration::from_secs(20), || {
        seen.lock().len() == 500
    });
    let after = stats.lock().len();
    wait_for("two more stats", Duration::from_secs(10), || {
        stats.lock().len() >= after + 2
    });
    consumer.stop().unwrap();
    let last = stats.lock().last().cloned().unwrap();
    assert_eq!(last.waiting_kafka, 0);
    assert_eq!(last.waiting_local, 0);
    assert!(last.kafka_log_size >= 500, "{}", last.kafka_log_size);
    assert_eq!(last.rdkafka_stats["type"], "consumer");
}

#[test]
fn misses_count_offsets_deleted_by_retention() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("retained", 1, 1).unwrap();
    // ~8 MiB into one mock partition, which keeps only about 5 MiB: the oldest message sets go.
    let payloads: Vec<String> = (0..800)
        .map(|i| format!("{i:010}{}", "x".repeat(10_230)))
        .collect();
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers()).driver_option("linger.ms", "0"),
    )
    .unwrap();
    for chunk in payloads.chunks(20) {
        producer.send("retained", 0, chunk).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    producer.stop(Duration::from_secs(30)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("retained-0.offset"), "9\n").unwrap(); // next expected: 10

    let batches: Arc<Mutex<Vec<(i64, u64)>>> = Arc::default();
    let sink = batches.clone();
    let logs = Logs::default();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "retained")
            .offset_directory(dir.path())
            .on_log(logs.handler()),
        move |b| {
            sink.lock()
                .push((b.iter().next().unwrap().offset(), b.misses));
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("a batch", Duration::from_secs(20), || {
        !batches.lock().is_empty()
    });
    consumer.stop().unwrap();
    let (first_offset, misses) = batches.lock()[0];
    // The jump is logged once, with both offsets.
    let warnings = logs.matching("deleted before they were read");
    assert_eq!(warnings.len(), 1, "{:?}", logs.records());
    assert!(
        warnings[0]
            .message
            .contains(&format!("expected offset 10 next, got {first_offset}")),
        "{}",
        warnings[0].message
    );
    assert!(
        first_offset > 10,
        "the log start should have moved past 10, first offset {first_offset}"
    );
    assert_eq!(misses, (first_offset - 10) as u64);
    assert!(batches.lock()[1..].iter().all(|b| b.1 == 0));
}

#[test]
fn start_errors_name_what_is_wrong() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("three", 3, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ok = |_| Ok(());
    let base =
        || ConsumerConfig::new(cluster.bootstrap_servers(), "three").offset_directory(dir.path());

    let err = Consumer::new(base().workers(2, 2), ok).err().unwrap();
    assert!(
        matches!(&err, KafkaError::InvalidArgument { argument, .. } if argument == "worker_slot"),
        "{err}"
    );
    let err = Consumer::new(base().workers(-1, 0), ok).err().unwrap();
    assert!(err.to_string().contains("num_workers"), "{err}");
    let err = Consumer::new(base().workers(2, -1), ok).err().unwrap();
    assert!(err.to_string().contains("worker_slot"), "{err}");
    let err = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "../escape"),
        ok,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("topic"), "{err}");
    let err = Consumer::new(base().driver_option("fetch.wait.max.ms", "never"), ok)
        .err()
        .unwrap();
    assert!(err.to_string().contains("fetch.wait.max.ms"), "{err}");

    // Fewer partitions than workers.
    let err = Consumer::new(base().workers(4, 0), ok)
        .unwrap()
        .start()
        .unwrap_err();
    assert!(
        err.to_string().contains("num_workers") && err.to_string().contains("3 partition"),
        "{err}"
    );

    // An offset directory that cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let bad_dir = file.join("offsets");
    let err = Consumer::new(base().offset_directory(&bad_dir), ok)
        .unwrap()
        .start()
        .unwrap_err();
    assert!(
        err.to_string().contains(&bad_dir.display().to_string()),
        "{err}"
    );

    // A corrupt offset file: named, with its content.
    std::fs::write(dir.path().join("three-1.offset"), "garbage\n").unwrap();
    let err = Consumer::new(base(), ok).unwrap().start().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("three-1.offset") && text.contains("garbage"),
        "{text}"
    );
    std::fs::remove_file(dir.path().join("three-1.offset")).unwrap();

    // A missing topic, auto-create off: named, and quick.
    let started = Instant::now();
    let err = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "nowhere").offset_directory(dir.path()),
        ok,
    )
    .unwrap()
    .start()
    .unwrap_err();
    assert!(err.to_string().contains("\"nowhere\""), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // After a failed start, a corrected environment can start the same consumer.
    let consumer = Consumer::new(base(), ok).unwrap();
    assert_eq!(partitions(&consumer.start().unwrap()), vec![0, 1, 2]);
    consumer.stop().unwrap();
}

#[test]
fn stop_waits_for_the_batch_in_flight_and_writes_its_offsets() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("inflight", 1, 1).unwrap();
    produce(&cluster, "inflight", 0, &["only".into()]);
    let dir = tempfile::tempdir().unwrap();
    let entered = Arc::new(Mutex::new(false));
    let flag = entered.clone();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "inflight").offset_directory(dir.path()),
        move |_| {
            *flag.lock() = true;
            std::thread::sleep(Duration::from_millis(700));
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("the handler", Duration::from_secs(20), || *entered.lock());
    consumer.stop().unwrap();
    // stop() returned only after the settled batch's offset was on disk.
    assert_eq!(
        offset_file(dir.path(), "inflight", 0).as_deref(),
        Some("0\n")
    );
    consumer.stop().unwrap(); // twice is fine
    assert!(matches!(consumer.start(), Err(KafkaError::Stopped)));
}

#[test]
fn a_consumer_dropped_without_stop_is_safe() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("dropped", 2, 1).unwrap();
    produce(&cluster, "dropped", 0, &["a".into()]);
    let dir = tempfile::tempdir().unwrap();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "dropped").offset_directory(dir.path()),
    );
    consumer.start().unwrap();
    wait_for("a message", Duration::from_secs(20), || {
        seen.lock().len() == 1
    });
    let started = Instant::now();
    drop(consumer);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        offset_file(dir.path(), "dropped", 0).as_deref(),
        Some("0\n")
    );
    // Never started: dropping is a no-op.
    drop(recording_consumer(ConsumerConfig::new(cluster.bootstrap_servers(), "dropped")).0);
}

#[test]
fn one_message_reaches_an_idle_consumer_whose_batch_is_far_from_full() {
    // The fetch thread may block up to 30 s for a first message. A lone message must be handed
    // over as soon as it is fetched, not when 10,000 have gathered or the wait ends.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("lone", 1, 1).unwrap();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "lone")
            .without_offset_directory()
            .max_messages_per_callback(10_000),
    );
    consumer.start().unwrap();
    produce(&cluster, "lone", 0, &["alone".into()]);
    wait_for("the lone message", Duration::from_secs(10), || {
        seen.lock().len() == 1
    });
    consumer.stop().unwrap();
    assert_eq!(seen.lock()[0], (0, 0, "alone".to_string()));
}

/// Offsets seen per partition, once `count` messages have arrived.
fn offsets_by_partition(seen: &Seen, partitions: i32) -> Vec<Vec<i64>> {
    let seen = seen.lock();
    (0..partitions)
        .map(|p| seen.iter().filter(|m| m.0 == p).map(|m| m.1).collect())
        .collect()
}

#[test]
fn start_offset_latest_skips_what_was_there_and_gets_what_comes_after() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("latest", 2, 1).unwrap();
    for p in 0..2 {
        produce(&cluster, "latest", p, &numbered("old", 0..5));
    }
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "latest")
            .without_offset_directory()
            .start_offset(StartOffset::Latest),
    );
    // Connected and with the topic's metadata before start(), so that its messages go out the
    // moment start() returns: start() must already know where 'latest' was.
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .queue_buffering_max(Duration::ZERO)
            .on_log(|_| {}),
    )
    .unwrap();
    producer
        .partition_count("latest", Duration::from_secs(10))
        .unwrap();
    // Retriable errors on the first offset lookups (about 100 ms each): resolved after assign()
    // (librdkafka's own 'latest'), the answer would come after these sends and skip them.
    cluster.push_request_errors(
        api_key::LIST_OFFSETS,
        &[ErrorCode::NotLeaderForPartition; 5],
    );
    consumer.start().unwrap();
    for p in 0..2 {
        producer.send("latest", p, &numbered("new", 0..3)).unwrap();
    }
    producer.stop(Duration::from_secs(10)).unwrap();
    wait_for("the 6 new messages", Duration::from_secs(20), || {
        seen.lock().len() >= 6
    });
    consumer.stop().unwrap();
    // Per partition in order: had an old message come, it would have come before these.
    assert_eq!(offsets_by_partition(&seen, 2), vec![vec![5, 6, 7]; 2]);
    assert!(seen.lock().iter().all(|m| m.2.starts_with("new")));
}

#[test]
fn start_offset_earliest_and_a_number_and_an_offset_file_wins_over_either() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("starts", 2, 1).unwrap();
    for p in 0..2 {
        produce(&cluster, "starts", p, &numbered("m", 0..6));
    }
    let rounds = std::sync::atomic::AtomicUsize::new(0);
    let read = |config: ConsumerConfig, expected: usize| {
        let (consumer, seen) = recording_consumer(config);
        consumer.start().unwrap();
        wait_for("the messages", Duration::from_secs(20), || {
            seen.lock().len() >= expected
        });
        // A marker after the expected messages: once it is in, nothing earlier is still coming.
        let marker = format!("marker{}", rounds.fetch_add(1, Ordering::Relaxed));
        produce(&cluster, "starts", 0, std::slice::from_ref(&marker));
        wait_for("the marker", Duration::from_secs(20), || {
            seen.lock().iter().any(|m| m.2 == marker)
        });
        consumer.stop().unwrap();
        let mut offsets = offsets_by_partition(&seen, 2);
        offsets[0].pop(); // the marker
        offsets
    };
    let base = || ConsumerConfig::new(cluster.bootstrap_servers(), "starts");

    let earliest = read(base().without_offset_directory(), 12);
    assert_eq!(earliest, vec![(0..6).collect::<Vec<i64>>(); 2]);

    let from_four = read(
        base()
            .without_offset_directory()
            .start_offset(StartOffset::Offset(4)),
        4,
    );
    // Partition 0 now also holds the first marker (offset 6).
    assert_eq!(from_four, vec![vec![4, 5, 6], vec![4, 5]]);

    // A recorded offset wins over start_offset: partition 1 has a file, partition 0 does not.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("starts-1.offset"), "1\n").unwrap();
    let mixed = read(
        base()
            .offset_directory(dir.path())
            .start_offset(StartOffset::Latest),
        4,
    );
    assert_eq!(mixed, vec![vec![], vec![2, 3, 4, 5]]);
}

#[test]
fn without_an_offset_directory_each_start_reads_from_start_offset_again() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("forgetful", 1, 1).unwrap();
    produce(&cluster, "forgetful", 0, &numbered("m", 0..5));
    for _ in 0..2 {
        let (consumer, seen) = recording_consumer(
            ConsumerConfig::new(cluster.bootstrap_servers(), "forgetful")
                .without_offset_directory(),
        );
        consumer.start().unwrap();
        wait_for("5 messages", Duration::from_secs(20), || {
            seen.lock().len() >= 5
        });
        consumer.stop().unwrap();
        assert_eq!(offsets_by_partition(&seen, 1), vec![vec![0, 1, 2, 3, 4]]);
    }
}

#[test]
fn start_offset_parses_from_text_and_names_the_option_when_bad() {
    assert_eq!(
        "earliest".parse::<StartOffset>().unwrap(),
        StartOffset::Earliest
    );
    assert_eq!(
        "latest".parse::<StartOffset>().unwrap(),
        StartOffset::Latest
    );
    assert_eq!(
        "42".parse::<StartOffset>().unwrap(),
        StartOffset::Offset(42)
    );
    for bad in ["-1", "middle", ""] {
        let err = bad.parse::<StartOffset>().unwrap_err();
        assert!(
            matches!(&err, KafkaError::InvalidArgument { argument, .. } if argument == "start_offset"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn an_offset_file_past_the_end_of_the_log_is_logged_and_each_replayed_message_is_a_repeat() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("shorter", 1, 1).unwrap();
    produce(&cluster, "shorter", 0, &numbered("m", 0..5));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shorter-0.offset"), "999\n").unwrap();
    let repeats = Arc::new(Mutex::new(Vec::new()));
    let sink = repeats.clone();
    let logs = Logs::default();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "shorter")
            .offset_directory(dir.path())
            .max_messages_per_callback(2)
            .on_log(logs.handler()),
        move |b| {
            sink.lock().push((b.len(), b.repeats));
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("5 messages", Duration::from_secs(20), || {
        repeats.lock().iter().map(|r| r.0).sum::<usize>() == 5
    });
    consumer.stop().unwrap();
    // Every replayed message counts, not just the first of the run.
    assert_eq!(repeats.lock().iter().map(|r| r.1).sum::<u64>(), 5);
    let warnings = logs.matching("the log is shorter");
    assert_eq!(warnings.len(), 1, "{:?}", logs.records());
    assert!(
        warnings[0]
            .message
            .contains("expected offset 1000 next, got 0"),
        "{}",
        warnings[0].message
    );
    assert_eq!(warnings[0].level, 4);
}

#[test]
fn a_batch_kept_after_stop_stays_readable_and_the_consumer_still_stops() {
    // librdkafka requires messages to be destroyed before their client: a kept batch keeps the
    // client alive, so neither stop() nor dropping the consumer waits for it, and it stays valid.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("kept", 1, 1).unwrap();
    produce(&cluster, "kept", 0, &numbered("kept", 0..3));
    let (tx, rx) = crossbeam_channel::unbounded();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "kept").without_offset_directory(),
        move |batch| {
            tx.send(batch).unwrap();
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    let kept: ReceivedBatch = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        consumer.stop().unwrap();
        drop(consumer);
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("stop() and drop returned while a batch is kept");
    let payloads: Vec<&[u8]> = kept.iter().map(|m| m.payload().unwrap()).collect();
    assert!(
        payloads.iter().all(|p| p.starts_with(b"kept")),
        "{payloads:?}"
    );
    drop(kept); // the last reference: the client is destroyed now
}

#[test]
fn a_batch_not_processed_records_nothing_and_stops_fetching() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("unprocessed", 1, 1).unwrap();
    produce(&cluster, "unprocessed", 0, &numbered("m", 0..3));
    let dir = tempfile::tempdir().unwrap();
    let calls = Arc::new(Mutex::new(0));
    let sink = calls.clone();
    let logs = Logs::default();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "unprocessed")
            .offset_directory(dir.path())
            .max_messages_per_callback(1)
            .on_log(logs.handler()),
        move |_| {
            *sink.lock() += 1;
            Err(BatchError::NotProcessed("the handler is gone".into()))
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("the warning", Duration::from_secs(20), || {
        !logs.matching("was not processed").is_empty()
    });
    consumer.stop().unwrap();
    assert_eq!(
        *calls.lock(),
        1,
        "fetching went on after a batch was not processed"
    );
    assert_eq!(offset_file(dir.path(), "unprocessed", 0), None);
    assert!(logs.matching("was not processed")[0]
        .message
        .contains("the handler is gone"));
}

/// The process's umask, as the shell reports it.
fn umask() -> u32 {
    let out = std::process::Command::new("sh")
        .args(["-c", "umask"])
        .output()
        .unwrap();
    u32::from_str_radix(String::from_utf8(out.stdout).unwrap().trim(), 8).unwrap()
}

#[test]
fn offset_files_follow_the_umask_and_only_our_crash_leftovers_are_removed_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("tidy", 2, 1).unwrap();
    produce(&cluster, "tidy", 0, &numbered("m", 0..3));
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let leave = |name: &str, modified: std::time::SystemTime| {
        let f = std::fs::File::create(path(name)).unwrap();
        f.set_modified(modified).unwrap();
    };
    // What a kill -9 mid-write leaves: a temp file of a partition this worker reads (slot 0 of
    // 2 reads partition 0), an hour-old check file of this topic; and what must stay: the other
    // worker's temp file, and other programs' files in tempfile's default naming, however old
    // (the directory may be shared).
    leave(".tidy-0.offset.a1B2c3.tmp", std::time::SystemTime::now());
    leave(".tidy.check.Q1w2E3.tmp", old);
    leave(".tidy-1.offset.x9Y8z7.tmp", std::time::SystemTime::now());
    leave(".tmpOld123", old);
    leave(".tmpNew456", std::time::SystemTime::now());
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "tidy")
            .offset_directory(dir.path())
            .workers(2, 0),
    );
    consumer.start().unwrap();
    wait_for("3 messages", Duration::from_secs(20), || {
        seen.lock().len() == 3
    });
    consumer.stop().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".tidy-1.offset.x9Y8z7.tmp",
            ".tmpNew456",
            ".tmpOld123",
            "tidy-0.offset"
        ]
    );
    let mode = std::fs::metadata(path("tidy-0.offset"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o666 & !umask(), "mode {mode:o}");
}

#[test]
fn seek_from_the_handler_reads_the_partition_again_from_there_and_records_it() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("seek", 2, 1).unwrap();
    produce(&cluster, "seek", 0, &numbered("m", 0..10));
    produce(&cluster, "seek", 1, &numbered("other", 0..3));
    let dir = tempfile::tempdir().unwrap();
    let seen: Seen = Arc::default();
    let (holding_tx, holding_rx) = crossbeam_channel::bounded::<()>(1);
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
    let consumer = {
        let seen = seen.clone();
        let mut held = false;
        Consumer::new(
            ConsumerConfig::new(cluster.bootstrap_servers(), "seek").offset_directory(dir.path()),
            move |batch| {
                let mut reached_9 = false;
                for m in batch.iter() {
                    seen.lock().push((m.partition(), m.offset(), String::new()));
                    reached_9 |= m.partition() == 0 && m.offset() == 9;
                }
                // Once partition 0's last message is in hand, the test seeks while this batch
                // is held.
                if reached_9 && !held {
                    held = true;
                    let _ = holding_tx.send(());
                    let _ = release_rx.recv();
                }
                Ok(())
            },
        )
        .unwrap()
    };
    assert!(matches!(
        consumer.seek("seek", 0, 2),
        Err(KafkaError::InvalidArgument { .. })
    ));
    consumer.start().unwrap();
    holding_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let err = consumer.seek("seek", 7, 0).unwrap_err();
    assert!(err.to_string().contains("seek/7"), "{err}");
    assert!(consumer.seek("seek", 0, -5).is_err());
    consumer.seek("seek", 0, 2).unwrap();
    // Paused, the consumer fetches nothing after the held batch: what it records then is the
    // seek's, below the 9 the batch reached.
    consumer.pause().unwrap();
    release_tx.send(()).unwrap();
    wait_for(
        "the sought position recorded",
        Duration::from_secs(20),
        || offset_file(dir.path(), "seek", 0) == Some("1\n".into()),
    );
    consumer.resume().unwrap();
    let reread = || {
        seen.lock()
            .iter()
            .filter(|m| m.0 == 0)
            .map(|m| m.1)
            .collect::<Vec<_>>()
    };
    wait_for(
        "partition 0 read again from 2",
        Duration::from_secs(20),
        || reread().len() >= 18,
    );
    consumer.stop().unwrap();
    let mut expected: Vec<i64> = (0..10).collect();
    expected.extend(2..10);
    assert_eq!(reread(), expected);
    // Partition 1 was not moved: its three messages once each.
    assert_eq!(seen.lock().iter().filter(|m| m.0 == 1).count(), 3);
    assert_eq!(offset_file(dir.path(), "seek", 0), Some("9\n".into()));
}

#[test]
fn a_seek_while_idle_wakes_the_consumer_and_reads_again_from_there() {
    // Nothing left to read: the fetch thread waits for messages, and the seek wakes it.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("seek-record", 1, 1).unwrap();
    produce(&cluster, "seek-record", 0, &numbered("m", 0..5));
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        ConsumerConfig::new(cluster.bootstrap_servers(), "seek-record").offset_directory(dir.path())
    };
    let (consumer, seen) = recording_consumer(config());
    consumer.start().unwrap();
    wait_for("5 messages", Duration::from_secs(20), || {
        seen.lock().len() == 5
    });
    wait_for("offset 4 recorded", Duration::from_secs(20), || {
        offset_file(dir.path(), "seek-record", 0) == Some("4\n".into())
    });
    consumer.seek("seek-record", 0, 1).unwrap();
    wait_for("4 read again", Duration::from_secs(20), || {
        seen.lock().len() == 9
    });
    consumer.stop().unwrap();
    let offsets: Vec<i64> = seen.lock().iter().map(|m| m.1).collect();
    assert_eq!(offsets, vec![0, 1, 2, 3, 4, 1, 2, 3, 4]);
    assert_eq!(
        offset_file(dir.path(), "seek-record", 0),
        Some("4\n".into())
    );
}

#[test]
fn with_manual_commit_only_commit_records_offsets() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("manual", 1, 1).unwrap();
    produce(&cluster, "manual", 0, &numbered("m", 0..5));
    let dir = tempfile::tempdir().unwrap();
    let (consumer, seen) = recording_consumer(
        ConsumerConfig::new(cluster.bootstrap_servers(), "manual")
            .offset_directory(dir.path())
            .manual_commit(),
    );
    let tp = |p| kafka_native::TopicPartition::new("manual", p);
    assert!(consumer.commit(&[(tp(0), 1)]).is_err(), "not running yet");
    consumer.start().unwrap();
    wait_for("5 messages", Duration::from_secs(20), || {
        seen.lock().len() == 5
    });
    // Committed: the next offset to read is 3, so 2 is the last processed in the file.
    consumer.commit(&[(tp(0), 3)]).unwrap();
    assert_eq!(offset_file(dir.path(), "manual", 0), Some("2\n".into()));
    let err = consumer.commit(&[(tp(4), 1)]).unwrap_err();
    assert!(err.to_string().contains("manual/4"), "{err}");
    assert!(consumer.commit(&[(tp(0), -1)]).is_err());
    consumer.stop().unwrap();
    // The batches that settled recorded nothing of their own.
    assert_eq!(offset_file(dir.path(), "manual", 0), Some("2\n".into()));
}

#[test]
fn a_fetch_response_holds_at_most_a_quarter_of_the_prefetch_and_at_least_a_message() {
    // kafka-native's librdkafka asks for less where the messages read lately are small
    // (any_broker.rs, fetch_responses_hold_…).
    let at = |config: ConsumerConfig| {
        config
            .client_config()
            .get("fetch.max.bytes")
            .map(str::to_string)
    };
    assert_eq!(
        at(ConsumerConfig::new("b", "t")).as_deref(),
        Some("4194304")
    );
    let mut prefetch = ConsumerConfig::new("b", "t");
    prefetch.queued_max_messages_kbytes = 1_000_000;
    assert_eq!(at(prefetch).as_deref(), Some("256000000"));
    let mut as_property = ClientConfig::new();
    as_property.set("queued.max.messages.kbytes", "65536");
    assert_eq!(
        at(ConsumerConfig::new("b", "t").properties(&as_property)).as_deref(),
        Some("16777216")
    );
    let mut own = ClientConfig::new();
    own.set("fetch.max.bytes", "2000000");
    assert_eq!(
        at(ConsumerConfig::new("b", "t").properties(&own)).as_deref(),
        Some("2000000")
    );
    // librdkafka refuses a fetch.max.bytes below message.max.bytes: a consumer allowed larger
    // messages than its prefetch still starts, and reads one.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("large", 1, 1).unwrap();
    let large = "x".repeat(3_000_000);
    produce_large(&cluster.bootstrap_servers(), "large", &large);
    let mut larger = ClientConfig::new();
    larger.set("message.max.bytes", "8000000");
    let mut config = ConsumerConfig::new(cluster.bootstrap_servers(), "large")
        .properties(&larger)
        .without_offset_directory();
    config.queued_max_messages_kbytes = 4096;
    assert_eq!(
        config.client_config().get("fetch.max.bytes"),
        Some("8000000")
    );
    let (consumer, seen) = recording_consumer(config);
    consumer.start().unwrap();
    wait_for("the 3 MB message", Duration::from_secs(20), || {
        !seen.lock().is_empty()
    });
    consumer.stop().unwrap();
    assert_eq!(seen.lock()[0].2.len(), large.len());
}

/// One message larger than a producer sends by default.
fn produce_large(servers: &str, topic: &str, payload: &str) {
    let mut props = ClientConfig::new();
    props.set("message.max.bytes", "8000000");
    let producer = Producer::new(ProducerConfig::new(servers).properties(&props)).unwrap();
    assert_eq!(
        producer
            .send(topic, 0, &[payload.as_bytes()])
            .unwrap()
            .enqueued,
        1
    );
    producer.stop(Duration::from_secs(20)).unwrap();
}

/// `pull()` and `settle()` are the pulled consumer's: on a consumer with a handler they could
/// take the handler's batch away, or record its offsets before the handler finished. Here the
/// handler ends up not processing its batch, so nothing may be recorded: a `settle()` from
/// outside while it ran recorded the batch all the same.
#[test]
fn pull_and_settle_on_a_handler_consumer_touch_neither_its_batch_nor_its_offsets() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("handled", 1, 1).unwrap();
    produce(&cluster, "handled", 0, &numbered("m", 0..5));
    let dir = tempfile::tempdir().unwrap();
    let (entered, in_handler) = crossbeam_channel::bounded::<usize>(1);
    let (finish, finished) = crossbeam_channel::bounded::<()>(1);
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "handled")
            .offset_directory(dir.path())
            .on_log(|_| {}),
        move |batch| {
            let _ = entered.send(batch.len());
            let _ = finished.recv_timeout(Duration::from_secs(30));
            Err(BatchError::NotProcessed("not this time".into()))
        },
    )
    .unwrap();
    consumer.start().unwrap();
    assert_eq!(in_handler.recv_timeout(Duration::from_secs(30)).unwrap(), 5);
    assert!(
        consumer.pull().is_none(),
        "the handler's batch, pulled from outside"
    );
    consumer.settle(Ok(()));
    finish.send(()).unwrap();
    wait_for("the consumer halted", Duration::from_secs(30), || {
        consumer.ended()
    });
    consumer.stop().unwrap();
    assert_eq!(
        offset_file(dir.path(), "handled", 0),
        None,
        "recorded by a settle() from outside"
    );
}
