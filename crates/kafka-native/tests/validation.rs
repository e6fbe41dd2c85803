//! Bad input to the core: every case is an error naming the option or argument, never a panic.
//! (The JavaScript half of the table is test/validation.test.js.)

use std::time::Duration;

use kafka_native::{
    ClientConfig, Consumer, ConsumerConfig, KafkaError, MockCluster, Producer, ProducerConfig,
    StartOffset,
};

/// The option or property an error names.
fn named(err: &KafkaError) -> String {
    match err {
        KafkaError::InvalidArgument { argument, .. } => argument.clone(),
        KafkaError::Config { property, .. } => property.clone(),
        KafkaError::OffsetDirectory { .. } => "offset_directory".into(),
        other => panic!("an error that names nothing: {other}"),
    }
}

fn consumer(config: ConsumerConfig) -> KafkaError {
    Consumer::new(config, |_| Ok(())).err().expect("refused")
}

fn producer(config: ProducerConfig) -> KafkaError {
    Producer::new(config).err().expect("refused")
}

#[test]
fn bad_options_are_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "").unwrap();
    let c = || ConsumerConfig::new("localhost:9092", "t");
    let p = || ProducerConfig::new("localhost:9092");
    let mut props = ClientConfig::new();
    props.set("bootstrap.servers", "elsewhere:9092");
    let cases: Vec<(&str, KafkaError, &str)> = vec![
        (
            "consumer without brokers",
            consumer(ConsumerConfig::new(" ", "t")),
            "broker",
        ),
        (
            "empty topic",
            consumer(ConsumerConfig::new("b", "")),
            "topic",
        ),
        (
            "topic with a slash",
            consumer(ConsumerConfig::new("b", "a/b")),
            "topic",
        ),
        (
            "topic ..",
            consumer(ConsumerConfig::new("b", "..")),
            "topic",
        ),
        (
            "topic of 250 characters",
            consumer(ConsumerConfig::new("b", "x".repeat(250))),
            "topic",
        ),
        ("zero workers", consumer(c().workers(0, 0)), "num_workers"),
        (
            "slot past the workers",
            consumer(c().workers(2, 2)),
            "worker_slot",
        ),
        ("negative slot", consumer(c().workers(2, -1)), "worker_slot"),
        (
            "zero batch",
            consumer(c().max_messages_per_callback(0)),
            "max_messages_per_callback",
        ),
        (
            "negative start offset",
            consumer(c().start_offset(StartOffset::Offset(-1))),
            "start_offset",
        ),
        (
            "fetch wait over 5 minutes",
            consumer(c().fetch_wait_max(Duration::from_secs(301))),
            "fetch_wait_max_ms",
        ),
        (
            "stats interval over a day",
            consumer(c().statistics_interval(Duration::from_secs(86_401))),
            "statistics_interval_ms",
        ),
        (
            "offset directory that is a file",
            consumer(c().offset_directory(&a_file)),
            "offset_directory",
        ),
        (
            "empty offset directory",
            consumer(c().offset_directory("")),
            "offset_directory",
        ),
        (
            "unknown consumer property",
            consumer(c().driver_option("no.such.key", "1")),
            "no.such.key",
        ),
        (
            "bad consumer property value",
            consumer(c().driver_option("fetch.wait.max.ms", "never")),
            "fetch.wait.max.ms",
        ),
        (
            "bad topic property value",
            consumer(c().topic_option("auto.offset.reset", "sideways")),
            "auto.offset.reset",
        ),
        (
            "brokers in the consumer's properties",
            consumer(c().driver_option("bootstrap.servers", "x:1")),
            "driver_options",
        ),
        (
            "brokers in the producer's properties",
            producer(p().properties(&props)),
            "driver_options",
        ),
        (
            "metadata.broker.list",
            producer(p().driver_option("metadata.broker.list", "x:1")),
            "driver_options",
        ),
        (
            "delivery reports of failures only",
            producer(p().driver_option("delivery.report.only.error", "true")),
            "driver_options",
        ),
        (
            "producer without brokers",
            producer(ProducerConfig::new("")),
            "broker",
        ),
        (
            "zero queue",
            producer(p().queue_buffering_max_messages(0)),
            "queue_buffering_max_messages",
        ),
        (
            "queue beyond librdkafka's",
            producer(p().queue_buffering_max_messages(u32::MAX)),
            "queue_buffering_max_messages",
        ),
        (
            "zero queue bytes",
            producer(p().queue_buffering_max_kbytes(0)),
            "queue_buffering_max_kbytes",
        ),
        (
            "queue bytes beyond librdkafka's",
            producer(p().queue_buffering_max_kbytes(u32::MAX)),
            "queue_buffering_max_kbytes",
        ),
        (
            "linger over 15 minutes",
            producer(p().queue_buffering_max(Duration::from_secs(901))),
            "queue_buffering_max_ms",
        ),
        (
            "unknown producer property",
            producer(p().driver_option("linger.msec", "5")),
            "linger.msec",
        ),
        (
            "bad producer property value",
            producer(p().driver_option("linger.ms", "soon")),
            "linger.ms",
        ),
        (
            "bad acks",
            producer(p().topic_option("acks", "some")),
            "acks",
        ),
        (
            "no brokers in the mock",
            MockCluster::new(0).err().unwrap(),
            "brokers",
        ),
        (
            "65 brokers in the mock",
            MockCluster::new(65).err().unwrap(),
            "brokers",
        ),
        (
            "start offset text",
            "middle".parse::<StartOffset>().unwrap_err(),
            "start_offset",
        ),
    ];
    let cluster = MockCluster::new(1).unwrap();
    let more = vec![
        (
            "mock topic with no partitions",
            cluster.create_topic("t", 0, 1).unwrap_err(),
            "partitions",
        ),
        (
            "mock topic with a million partitions",
            cluster.create_topic("t", 1_000_000, 1).unwrap_err(),
            "partitions",
        ),
        (
            "mock topic replicated beyond the brokers",
            cluster.create_topic("t", 1, 2).unwrap_err(),
            "replication_factor",
        ),
        (
            "mock topic with a bad name",
            cluster.create_topic("a b", 1, 1).unwrap_err(),
            "topic",
        ),
        (
            "unknown mock broker down",
            cluster.broker_down(2).unwrap_err(),
            "broker_id",
        ),
        (
            "unknown mock broker up",
            cluster.broker_up(0).unwrap_err(),
            "broker_id",
        ),
    ];
    let total = cases.len() + more.len();
    for (what, err, option) in cases.into_iter().chain(more) {
        assert_eq!(named(&err), option, "{what}: {err}");
        assert!(err.to_string().contains(option), "{what}: {err}");
    }
    assert!(total >= 35, "{total} cases");
}

#[test]
fn producer_arguments_are_refused_naming_the_argument() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let cases = [
        (
            "partition below -1",
            producer.send("t", -2, &["x"]).unwrap_err(),
            "partition",
        ),
        (
            "bad topic in send",
            producer.send("a b", 0, &["x"]).unwrap_err(),
            "topic",
        ),
        (
            "bad topic in partition_count",
            producer
                .partition_count("../up", Duration::from_secs(1))
                .unwrap_err(),
            "topic",
        ),
    ];
    for (what, err, argument) in cases {
        assert_eq!(named(&err), argument, "{what}: {err}");
    }
    producer.stop(Duration::from_secs(5)).unwrap();
}
