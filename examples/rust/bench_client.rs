//! The Rust core as a benchmark client: produce or consume N × S-byte messages over P partitions.
//!
//! `cargo run --release -p kafka-native --example bench_client -- produce|consume [messages] [size] [partitions]`
//!
//! With `KAFKA_BROKERS` set it uses that cluster and the topic `KAFKA_TOPIC` (default `bench`;
//! consume expects it filled). Without, it starts an embedded MockCluster (and fills it first to
//! consume). Produce is timed from the first `send` until `stop` returns (everything delivered);
//! consume from constructing the consumer to the last message. The last line is the result as JSON.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{Compression, Consumer, ConsumerConfig, MockCluster, Producer, ProducerConfig};
use parking_lot::Mutex;

struct Run {
    brokers: String,
    topic: String,
    messages: usize,
    size: usize,
    partitions: i32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map(String::as_str).unwrap_or("produce");
    let number = |i: usize, default: usize| {
        args.get(i)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let topic = std::env::var("KAFKA_TOPIC").unwrap_or_else(|_| "bench".into());
    let partitions = number(3, 32) as i32;
    let (_cluster, brokers) = match std::env::var("KAFKA_BROKERS") {
        Ok(brokers) => (None, brokers),
        Err(_) => {
            let cluster = MockCluster::new(1)?;
            cluster.create_topic(&topic, partitions, 1)?;
            let brokers = cluster.bootstrap_servers();
            (Some(cluster), brokers)
        }
    };
    let run = Run {
        brokers,
        topic,
        messages: number(1, 1_000_000),
        size: number(2, 100),
        partitions,
    };
    let (seconds, counted) = match op {
        "produce" => (produce(&run)?, run.messages),
        "consume" => {
            if _cluster.is_some() {
                produce(&run)?;
            }
            consume(&run)?
        }
        other => return Err(format!("unknown operation {other:?}: produce or consume").into()),
    };
    let rate = counted as f64 / seconds;
    println!(
        "{op} {} x {} B: {rate:.0} msgs/s, {:.1} MB/s",
        run.messages,
        run.size,
        rate * run.size as f64 / 1e6
    );
    println!(
        r#"{{"messages":{},"counted":{counted},"seconds":{seconds}}}"#,
        run.messages
    );
    Ok(())
}

/// Sends batches to the partitions in turn; seconds until all are delivered.
fn produce(run: &Run) -> Result<f64, Box<dyn std::error::Error>> {
    // BENCH_FILL_COMPRESSION (lz4, zstd, ...): the bench fills a compressed topic with this,
    // payloads then of text that compresses about as logs do (16 letters at random, about 2:1),
    // not of one letter repeated.
    let codec = match std::env::var("BENCH_FILL_COMPRESSION") {
        Ok(name) => name.parse()?,
        Err(_) => Compression::None,
    };
    let mut config = ProducerConfig::new(&run.brokers)
        .statistics_interval(Duration::ZERO)
        .compression(codec);
    // BENCH_FILL_BATCH=1: a record batch per record, as a low-rate producer writes them.
    if let Ok(records) = std::env::var("BENCH_FILL_BATCH") {
        config = config.driver_option("batch.num.messages", records);
    }
    // BENCH_FILL_REPEAT=1: payloads of one letter repeated (hundreds to one in lz4 and zstd).
    let repeat = std::env::var_os("BENCH_FILL_REPEAT").is_some();
    let payload = if repeat || matches!(codec, Compression::None) {
        vec![b'x'; run.size]
    } else {
        let mut state = 0x2545_f491_u32;
        (0..run.size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                b'a' + (state % 16) as u8
            })
            .collect()
    };
    let producer = Producer::new(config)?;
    // Batches of up to 10,000, small enough that every partition gets its share (a mock
    // partition keeps only ~5 MiB).
    let per_partition = run.messages.div_ceil(run.partitions as usize);
    let batch = vec![&payload[..]; per_partition.clamp(1, 10_000)];
    let started = Instant::now();
    let (mut sent, mut partition) = (0, 0);
    while sent < run.messages {
        let mut n = batch.len().min(run.messages - sent);
        // The whole batch goes to this partition, whatever the local queue refuses at first:
        // moving on would pile the refused part onto later partitions, past what a mock
        // partition keeps.
        while n > 0 {
            let result = producer.send(&run.topic, partition % run.partitions, &batch[..n])?;
            sent += result.enqueued;
            n -= result.enqueued;
            if n > 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        partition += 1;
    }
    producer.stop(Duration::from_secs(120))?;
    Ok(started.elapsed().as_secs_f64())
}

/// Seconds from constructing the consumer to the last message, and the messages counted.
///
/// BENCH_NEIGHBOUR_TOPIC: a consumer group reads the topic, and that one too where it is not
/// empty; only the messages of `KAFKA_TOPIC` are counted and timed (how a neighbour slows a
/// topic).
fn consume(run: &Run) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let received = Arc::new(AtomicUsize::new(0));
    let last: Arc<Mutex<Option<Instant>>> = Arc::default();
    let (counter, last_seen, wanted) = (received.clone(), last.clone(), run.messages);
    let mut config = ConsumerConfig::new(&run.brokers, &run.topic)
        .offset_directory(dir.path())
        .statistics_interval(Duration::ZERO);
    if let Ok(neighbour) = std::env::var("BENCH_NEIGHBOUR_TOPIC") {
        let topics = [run.topic.clone(), neighbour];
        config = config
            .topics(topics.into_iter().filter(|t| !t.is_empty()))
            .group_id(format!("bench-{}", std::process::id()));
    }
    let topic = run.topic.clone();
    let started = Instant::now();
    let consumer = Consumer::new(config, move |b| {
        let mut counted = 0;
        for m in b.iter() {
            std::hint::black_box(m.payload().map_or(0, <[u8]>::len));
            counted += usize::from(m.topic() == topic);
        }
        if counter.fetch_add(counted, Ordering::Relaxed) + counted >= wanted {
            last_seen.lock().get_or_insert_with(Instant::now);
        }
        Ok(())
    })?;
    consumer.start()?;
    while last.lock().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    consumer.stop()?;
    let last = last.lock().expect("set before the loop ended");
    Ok((
        last.duration_since(started).as_secs_f64(),
        received.load(Ordering::Relaxed),
    ))
}
