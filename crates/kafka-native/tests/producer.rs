//! Producer behaviour against librdkafka's mock cluster (a real Kafka-protocol broker over TCP).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::testing::read_partition;
use kafka_native::{
    api_key, DeliveryReport, ErrorCode, KafkaError, MockCluster, Producer, ProducerConfig, Record,
};
use parking_lot::Mutex;

mod common;
use common::{wait_for, Logs};

/// Delivery reports, summed, so a test can assert what was delivered and what failed.
#[derive(Clone, Default)]
struct Deliveries {
    delivered: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<ErrorCode>>>,
}

impl Deliveries {
    fn record(&self, report: DeliveryReport) {
        self.delivered.fetch_add(report.delivered, Ordering::SeqCst);
        self.failed.fetch_add(report.errors, Ordering::SeqCst);
        self.failures
            .lock()
            .extend(report.error_counts.iter().map(|c| c.code));
    }
    fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }
    fn failed(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }
}

fn producer_with_reports(config: ProducerConfig) -> (Producer, Deliveries) {
    let deliveries = Deliveries::default();
    let sink = deliveries.clone();
    let producer =
        Producer::new(config.on_delivery_report(move |r| sink.record(r))).expect("producer");
    (producer, deliveries)
}

#[test]
fn hundred_thousand_messages_per_partition_arrive_in_order_with_keys_and_headers() {
    const PER_PARTITION: usize = 100_000;
    const BATCH: usize = 10_000;
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("orders", 4, 1).unwrap();
    let (producer, deliveries) =
        producer_with_reports(ProducerConfig::new(cluster.bootstrap_servers()));

    for partition in 0..4 {
        for start in (0..PER_PARTITION).step_by(BATCH) {
            let keys: Vec<String> = (start..start + BATCH).map(|i| format!("key-{i}")).collect();
            let payloads: Vec<String> = (start..start + BATCH)
                .map(|i| format!("p{partition}-{i}"))
                .collect();
            let indexes: Vec<[u8; 4]> = (start..start + BATCH)
                .map(|i| (i as u32).to_be_bytes())
                .collect();
            let headers: Vec<[(&str, &[u8]); 2]> = indexes
                .iter()
                .map(|idx| [("index", &idx[..]), ("origin", &b"test"[..])])
                .collect();
            // Odd batches carry headers (one librdkafka call each); even batches go as one batch call.
            let with_headers = (start / BATCH) % 2 == 1;
            let records: Vec<Record> = (0..BATCH)
                .map(|j| Record {
                    key: Some(keys[j].as_bytes()),
                    payload: Some(payloads[j].as_bytes()),
                    headers: if with_headers { &headers[j][..] } else { &[] },
                    timestamp: None,
                })
                .collect();
            let mut sent = 0;
            while sent < BATCH {
                let result = producer
                    .send_records("orders", partition, &records[sent..])
                    .unwrap();
                sent += result.enqueued;
                if result.enqueued == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.stop(Duration::from_secs(60)).unwrap();
    assert_eq!(deliveries.delivered(), 4 * PER_PARTITION as u64);
    assert_eq!(deliveries.failed(), 0);

    for partition in 0..4 {
        let messages = read_partition(
            &cluster.bootstrap_servers(),
            "orders",
            partition,
            PER_PARTITION,
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(messages.len(), PER_PARTITION, "partition {partition}");
        for (i, m) in messages.iter().enumerate() {
            assert_eq!(m.offset, i as i64);
            assert_eq!(
                m.payload.as_deref(),
                Some(format!("p{partition}-{i}").as_bytes())
            );
            assert_eq!(m.key.as_deref(), Some(format!("key-{i}").as_bytes()));
            if (i / BATCH) % 2 == 1 {
                assert_eq!(
                    m.headers,
                    vec![
                        ("index".to_string(), (i as u32).to_be_bytes().to_vec()),
                        ("origin".to_string(), b"test".to_vec())
                    ]
                );
            } else {
                assert!(m.headers.is_empty(), "message {i} should have no headers");
            }
        }
    }
}

#[test]
fn binary_payloads_and_null_values_round_trip() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let binary: Vec<u8> = (0..=255).collect();
    let records = [
        Record {
            key: None,
            payload: Some(&binary),
            headers: &[],
            timestamp: None,
        },
        Record {
            key: Some(b"tombstone"),
            payload: None,
            headers: &[],
            timestamp: Some(1_500_000_000_123),
        },
        Record {
            key: Some(b""),
            payload: Some(b""),
            headers: &[],
            timestamp: None,
        },
    ];
    assert_eq!(
        producer
            .send_records("binary", 0, &records)
            .unwrap()
            .enqueued,
        3
    );
    producer.stop(Duration::from_secs(10)).unwrap();
    let got = read_partition(
        &cluster.bootstrap_servers(),
        "binary",
        0,
        3,
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(got[0].payload.as_deref(), Some(&binary[..]));
    assert_eq!(got[0].key, None);
    assert_eq!(got[1].payload, None);
    assert_eq!(got[1].key.as_deref(), Some(&b"tombstone"[..]));
    assert_eq!(got[2].payload.as_deref(), Some(&b""[..]));
    // A record's own timestamp is kept; one without gets the time it was sent.
    assert_eq!(got[1].timestamp, Some(1_500_000_000_123));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let sent_at = got[0].timestamp.unwrap();
    assert!(
        (now - 600_000..=now).contains(&sent_at),
        "{sent_at} vs {now}"
    );
}

#[test]
fn partition_count_of_auto_created_and_created_topics() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("seven", 7, 1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    assert_eq!(
        producer
            .partition_count("seven", Duration::from_secs(10))
            .unwrap(),
        7
    );
    assert_eq!(
        producer
            .partition_count("auto-created", Duration::from_secs(10))
            .unwrap(),
        4
    );
    producer.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn partition_count_of_a_bad_topic_name_names_the_argument() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let err = producer
        .partition_count("../etc", Duration::from_secs(1))
        .unwrap_err();
    assert!(
        matches!(&err, KafkaError::InvalidArgument { argument, .. } if argument == "topic"),
        "{err}"
    );
    let err = producer.send("bad/name", 0, &["x"]).unwrap_err();
    assert!(err.to_string().contains("topic"), "{err}");
}

#[test]
fn a_missing_partition_is_refused_at_once_when_the_topic_is_known() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("four", 4, 1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    producer
        .partition_count("four", Duration::from_secs(10))
        .unwrap();
    let err = producer.send("four", 99, &["lost?"]).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UnknownPartition), "{err}");
    producer.stop(Duration::from_secs(5)).unwrap();
}

/// A fresh producer whose broker answers only after a second: its first send cannot know the
/// topic's partitions, so librdkafka enqueues and fails the messages once metadata arrives.
fn fresh_producer_to_a_slow_broker(
    cluster: &MockCluster,
    with_reports: bool,
) -> (Producer, Deliveries, Logs) {
    cluster.set_broker_rtt(1, 1000).unwrap();
    let logs = Logs::default();
    let config = ProducerConfig::new(cluster.bootstrap_servers()).on_log(logs.handler());
    let deliveries = Deliveries::default();
    let producer = if with_reports {
        let sink = deliveries.clone();
        Producer::new(config.on_delivery_report(move |r| sink.record(r))).unwrap()
    } else {
        Producer::new(config).unwrap()
    };
    (producer, deliveries, logs)
}

#[test]
fn stop_fails_when_a_message_was_not_delivered_and_the_failure_is_logged() {
    for with_reports in [false, true] {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("four", 4, 1).unwrap();
        let (producer, deliveries, logs) = fresh_producer_to_a_slow_broker(&cluster, with_reports);
        assert_eq!(producer.send("four", 99, &["a", "b"]).unwrap().enqueued, 2);
        let err = producer.stop(Duration::from_secs(20)).unwrap_err();
        match &err {
            KafkaError::Undelivered { failed, errors } => {
                assert_eq!(*failed, 2);
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].code, ErrorCode::UnknownPartition);
                assert_eq!(errors[0].count, 2);
            }
            other => panic!("expected Undelivered, got {other}"),
        }
        assert!(
            err.to_string().contains("2 message(s) were not delivered"),
            "{err}"
        );
        let logged = logs.matching("not delivered");
        assert_eq!(logged.len(), 1, "{:?}", logs.records());
        assert!(
            logged[0].message.contains("2 message(s) to four/99"),
            "{:?}",
            logged[0]
        );
        assert_eq!(logged[0].level, 3);
        if with_reports {
            assert_eq!(deliveries.failed(), 2);
            assert_eq!(
                *deliveries.failures.lock(),
                vec![ErrorCode::UnknownPartition]
            );
        }
    }
}

#[test]
fn a_full_local_queue_gives_a_partial_enqueue_count() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap(); // nothing drains while we fill the queue
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers()).queue_buffering_max_messages(1000),
    )
    .unwrap();
    let payloads = vec!["x"; 5000];
    let result = producer.send("full", 0, &payloads).unwrap();
    assert_eq!(result.enqueued, 1000);
    // librdkafka's out-queue length also counts queued events (here: connection errors).
    assert!(
        result.send_queue_length >= 1000,
        "{}",
        result.send_queue_length
    );
    assert_eq!(
        result.not_enqueued.and_then(|e| e.code()),
        Some(ErrorCode::QueueFull)
    );
    // Still full: nothing more fits, and that is a count of zero, not an error.
    assert_eq!(producer.send("full", 0, &["y"]).unwrap().enqueued, 0);
}

#[test]
fn a_broker_down_during_sends_loses_nothing_once_it_is_back() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("flaky", 2, 1).unwrap();
    let (producer, deliveries) = producer_with_reports(
        ProducerConfig::new(cluster.bootstrap_servers())
            .driver_option("enable.idempotence", "true"),
    );
    let mut sent = 0u64;
    for round in 0..20 {
        if round == 5 {
            cluster.broker_down(1).unwrap();
        }
        if round == 15 {
            cluster.broker_up(1).unwrap();
        }
        let payloads: Vec<String> = (0..500).map(|i| format!("r{round}-{i}")).collect();
        sent += producer
            .send("flaky", round % 2, &payloads)
            .unwrap()
            .enqueued as u64;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(sent, 10_000);
    producer.stop(Duration::from_secs(30)).unwrap();
    assert_eq!(deliveries.delivered(), sent);
    assert_eq!(deliveries.failed(), 0);
    let p0 = read_partition(
        &cluster.bootstrap_servers(),
        "flaky",
        0,
        5000,
        Duration::from_secs(20),
    )
    .unwrap();
    let p1 = read_partition(
        &cluster.bootstrap_servers(),
        "flaky",
        1,
        5000,
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(p0.len() + p1.len(), 10_000);
}

#[test]
fn injected_not_leader_errors_are_retried_and_delivered() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("retry", 1, 1).unwrap();
    let (producer, deliveries) =
        producer_with_reports(ProducerConfig::new(cluster.bootstrap_servers()));
    producer
        .partition_count("retry", Duration::from_secs(10))
        .unwrap();
    cluster.push_request_errors(
        api_key::PRODUCE,
        &[
            ErrorCode::NotLeaderForPartition,
            ErrorCode::NotLeaderForPartition,
        ],
    );
    let payloads: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(producer.send("retry", 0, &payloads).unwrap().enqueued, 100);
    producer.stop(Duration::from_secs(20)).unwrap();
    assert_eq!(deliveries.delivered(), 100);
    assert_eq!(deliveries.failed(), 0);
    let got = read_partition(
        &cluster.bootstrap_servers(),
        "retry",
        0,
        100,
        Duration::from_secs(10),
    )
    .unwrap();
    let got: Vec<String> = got
        .into_iter()
        .map(|m| String::from_utf8(m.payload.unwrap()).unwrap())
        .collect();
    assert_eq!(got, payloads);
}

#[test]
fn stop_with_every_broker_down_times_out_and_reports_the_undelivered_count() {
    let cluster = MockCluster::new(2).unwrap();
    cluster.create_topic("down", 2, 1).unwrap();
    let (producer, deliveries) =
        producer_with_reports(ProducerConfig::new(cluster.bootstrap_servers()));
    producer
        .partition_count("down", Duration::from_secs(10))
        .unwrap();
    cluster.broker_down(1).unwrap();
    cluster.broker_down(2).unwrap();
    let payloads = vec!["stuck"; 100];
    assert_eq!(producer.send("down", 0, &payloads).unwrap().enqueued, 100);
    let started = Instant::now();
    let err = producer.stop(Duration::from_secs(2)).unwrap_err();
    assert!(
        matches!(err, KafkaError::StopTimedOut { undelivered: 100 }),
        "{err}"
    );
    assert!(err.to_string().contains("100"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The messages left are failed and reported, not silently dropped.
    assert_eq!(deliveries.failed(), 100);
    assert_eq!(deliveries.delivered(), 0);
    // A second stop is harmless.
    producer.stop(Duration::from_secs(1)).unwrap();
    assert!(matches!(
        producer.send("down", 0, &["late"]),
        Err(KafkaError::Stopped)
    ));
}

#[test]
fn a_bad_config_key_or_value_names_the_key() {
    let err =
        Producer::new(ProducerConfig::new("127.0.0.1:1").driver_option("no.such.property", "1"))
            .err()
            .unwrap();
    match &err {
        KafkaError::Config { property, message } => {
            assert_eq!(property, "no.such.property");
            assert!(
                message.contains("No such configuration property"),
                "{message}"
            );
        }
        other => panic!("unexpected {other}"),
    }
    let err = Producer::new(ProducerConfig::new("127.0.0.1:1").driver_option("linger.ms", "soon"))
        .err()
        .unwrap();
    assert!(
        matches!(&err, KafkaError::Config { property, .. } if property == "linger.ms"),
        "{err}"
    );
    assert!(err.to_string().contains("linger.ms"));
    let err = Producer::new(ProducerConfig::new("127.0.0.1:1").topic_option("acks", "some"))
        .err()
        .unwrap();
    assert!(
        matches!(&err, KafkaError::Config { property, .. } if property == "acks"),
        "{err}"
    );
}

#[test]
fn stats_arrive_at_the_configured_interval_as_parsed_json() {
    // Judged by librdkafka's own timestamps (`ts`, µs), not by when the callback ran: a timer
    // never fires early, so no two stats are closer than the interval, and 200 ms (not, say,
    // the 5 s default) is what is configured. A second producer with stats off gets none.
    let cluster = MockCluster::new(1).unwrap();
    let stats = Arc::new(Mutex::new(Vec::new()));
    let sink = stats.clone();
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .statistics_interval(Duration::from_millis(200))
            .on_stats(move |s| sink.lock().push(s)),
    )
    .unwrap();
    let silent_stats = Arc::new(AtomicU64::new(0));
    let silent_sink = silent_stats.clone();
    let silent = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .statistics_interval(Duration::ZERO)
            .on_stats(move |_| {
                silent_sink.fetch_add(1, Ordering::SeqCst);
            }),
    )
    .unwrap();
    wait_for("5 stats", Duration::from_secs(30), || {
        stats.lock().len() >= 5
    });
    producer.stop(Duration::from_secs(5)).unwrap();
    silent.stop(Duration::from_secs(5)).unwrap();
    let stats = stats.lock();
    let ts: Vec<i64> = stats
        .iter()
        .map(|s| s.rdkafka_stats["ts"].as_i64().unwrap())
        .collect();
    let gaps: Vec<i64> = ts.windows(2).map(|w| (w[1] - w[0]) / 1000).collect();
    assert!(gaps.iter().all(|&ms| ms >= 190), "gaps {gaps:?} ms");
    assert!(gaps.iter().any(|&ms| ms < 1000), "gaps {gaps:?} ms");
    let last = &stats[stats.len() - 1];
    assert_eq!(last.rdkafka_stats["type"], "producer");
    assert_eq!(last.rdkafka_stats["client_id"], "kafka-native");
    assert_eq!(silent_stats.load(Ordering::SeqCst), 0);
}

#[test]
fn librdkafka_logs_and_errors_reach_the_log_handler() {
    let records = Arc::new(Mutex::new(Vec::new()));
    let sink = records.clone();
    // Nothing listens on port 1: librdkafka reports the connection failure as an error.
    let producer = Producer::new(
        ProducerConfig::new("127.0.0.1:1").on_log(move |r| sink.lock().push(r.clone())),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while records.lock().iter().all(|r| r.error.is_none()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(producer);
    let records = records.lock();
    let error = records
        .iter()
        .find(|r| r.error.is_some())
        .expect("an error record");
    assert!(error.level <= 3);
    assert!(error.message.contains("127.0.0.1:1"), "{error:?}");
}

#[test]
fn a_producer_dropped_without_stop_does_not_hang() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap();
    let started = Instant::now();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let payloads = vec!["pending"; 1000];
    assert_eq!(
        producer.send("dropped", 0, &payloads).unwrap().enqueued,
        1000
    );
    drop(producer);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "drop took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_local_queue_holds_32_mib_by_default_and_always_one_message() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap(); // nothing drains while we fill the queue
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let payloads = vec![vec![b'x'; 900_000]; 100];
    let result = producer.send("bytes", 0, &payloads).unwrap();
    // 37 × 900,000 bytes fit in 32 MiB (33,554,432), 38 do not; the message bound is 50,000.
    assert_eq!(result.enqueued, 37);
    assert_eq!(
        result.not_enqueued.and_then(|e| e.code()),
        Some(ErrorCode::QueueFull)
    );

    // A message larger than the bound (message.max.bytes raised past it) still fits alone.
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .queue_buffering_max_kbytes(1024)
            .driver_option("message.max.bytes", "3000000"),
    )
    .unwrap();
    let large = vec![b'y'; 2_500_000];
    assert_eq!(producer.send("bytes", 0, &[&large]).unwrap().enqueued, 1);
    assert_eq!(producer.send("bytes", 0, &[&large]).unwrap().enqueued, 0);
}

/// 50,000 small messages, not librdkafka's 100,000: what keeps a bulk sender of 100-byte
/// messages under 100 MB (BENCHMARKS.md).
#[test]
fn the_local_queue_holds_50_000_messages_by_default() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap(); // nothing drains while we fill the queue
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let payloads = vec![b"x"; 60_000];
    let result = producer.send("small", 0, &payloads).unwrap();
    assert_eq!(result.enqueued, 50_000);
    assert_eq!(
        result.not_enqueued.and_then(|e| e.code()),
        Some(ErrorCode::QueueFull)
    );
}

#[test]
fn stop_counts_messages_not_log_events_waiting_to_be_served() {
    // A log handler that holds the events thread leaves librdkafka's connection errors queued.
    // They are not messages: stop() with nothing sent must succeed.
    let producer = Producer::new(
        ProducerConfig::new("127.0.0.1:1")
            .driver_option("reconnect.backoff.ms", "10")
            .driver_option("reconnect.backoff.max.ms", "10")
            .on_log(|_| std::thread::sleep(Duration::from_millis(300))),
    )
    .unwrap();
    // The condition under test: events waiting in the queue the out-queue length counts.
    wait_for("log events to pile up", Duration::from_secs(20), || {
        producer.send_queue_length() > 0
    });
    producer.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_broker_name_that_does_not_resolve_fails_at_once_with_the_reason() {
    let logs = Logs::default();
    let producer =
        Producer::new(ProducerConfig::new("nonsense:9092").on_log(logs.handler())).unwrap();
    let started = Instant::now();
    let err = producer
        .partition_count("any", Duration::from_secs(30))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), Some(ErrorCode::Resolve), "{err}");
    assert!(err.to_string().contains("nonsense"), "{err}");
    assert!(
        err.to_string().contains("no broker can be reached"),
        "{err}"
    );
    producer.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn deliver_tells_where_each_record_landed_or_why_it_did_not() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("landed", 4, 1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    producer
        .partition_count("landed", Duration::from_secs(10))
        .unwrap();
    let keys = ["a", "b", "c", "d", "e"];
    let records: Vec<Record> = keys
        .iter()
        .map(|k| Record {
            key: Some(k.as_bytes()),
            payload: Some(k.as_bytes()),
            headers: if *k == "c" { &[("h", b"1")] } else { &[] },
            timestamp: None,
        })
        .collect();
    let (tx, rx) = crossbeam_channel::bounded(1);
    let sent = producer
        .deliver("landed", -1, &records, move |r| tx.send(r).unwrap())
        .unwrap();
    assert_eq!(sent.enqueued, 5);
    let landed = rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    assert_eq!(landed.len(), 5);
    for (key, at) in keys.iter().zip(&landed) {
        let messages = read_partition(
            &cluster.bootstrap_servers(),
            "landed",
            at.partition,
            5,
            Duration::from_secs(5),
        )
        .unwrap();
        let found = messages.iter().find(|m| m.offset == at.offset).unwrap();
        assert_eq!(
            found.key.as_deref(),
            Some(key.as_bytes()),
            "{key} at {at:?}"
        );
    }
    producer.stop(Duration::from_secs(10)).unwrap();

    // A partition a fresh producer cannot know yet: enqueued, then reported as not delivered.
    cluster.set_broker_rtt(1, 1000).unwrap();
    let producer =
        Producer::new(ProducerConfig::new(cluster.bootstrap_servers()).on_log(|_| {})).unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    producer
        .deliver("landed", 99, &records[..1], move |r| tx.send(r).unwrap())
        .unwrap();
    let err = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UnknownPartition), "{err}");
    assert!(err.to_string().contains("landed/99"), "{err}");
    let _ = producer.stop(Duration::from_secs(10));
}

/// Sends 8 MB to partition 0 of `topic` in 8 batches of a MB and returns the first offset the
/// partition still holds.
fn first_offset_kept_after_8_mb(cluster: &MockCluster, topic: &str) -> i64 {
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let payloads = vec![vec![b'x'; 1000]; 1000];
    for _ in 0..8 {
        // A MB fits the empty queue (50,000 messages, 32 MiB) whole.
        assert_eq!(producer.send(topic, 0, &payloads).unwrap().enqueued, 1000);
        // Each MB in batches of its own: the mock drops whole batches.
        wait_for("the MB's delivery", Duration::from_secs(30), || {
            producer.in_flight() == 0
        });
    }
    producer.stop(Duration::from_secs(30)).unwrap();
    let first = read_partition(
        &cluster.bootstrap_servers(),
        topic,
        0,
        1,
        Duration::from_secs(10),
    )
    .unwrap();
    first[0].offset
}

#[test]
fn a_mock_partition_keeps_5_mib_unless_told_to_keep_more() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("default", 1, 1).unwrap();
    cluster.create_topic("made-before", 1, 1).unwrap();
    let dropped = first_offset_kept_after_8_mb(&cluster, "default");
    assert!(
        (2_000..=4_000).contains(&dropped),
        "the oldest ~3 MB should be gone, first offset {dropped}"
    );
    cluster.set_partition_retention_bytes(16 << 20).unwrap();
    // Partitions that exist, and those made later.
    assert_eq!(first_offset_kept_after_8_mb(&cluster, "made-before"), 0);
    cluster.create_topic("made-after", 1, 1).unwrap();
    assert_eq!(first_offset_kept_after_8_mb(&cluster, "made-after"), 0);
    assert!(matches!(
        cluster.set_partition_retention_bytes(0),
        Err(KafkaError::InvalidArgument { ref argument, .. }) if argument == "bytes"
    ));
}
