//! kafka-native's async API against rust-rdkafka's, each on tokio's current-thread runtime, in
//! one process and one run, on an embedded MockCluster (or `KAFKA_BROKERS`):
//! - awaited sends one at a time (`SENDS` of them): operations per second, p50 and p99 per await;
//! - 100 sends awaited concurrently, `SENDS` × 10 in all: operations per second;
//! - consuming `MESSAGES` × 100 B through a stream of batches (kafka-native) or of messages
//!   (rust-rdkafka), acknowledging each batch / storing each offset: messages per second.
//! Both producers linger 0 ms with idempotence on. Each consumer joins a group of its own, after
//! an untimed warm-up group; the last line is the result as JSON.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kafka_native::{BatchStream, ConsumerConfig, MockCluster, Producer, ProducerConfig, Record};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

struct Awaited {
    ops: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn summarize(elapsed: Duration, mut each: Vec<f64>) -> Awaited {
    each.sort_by(|a, b| a.total_cmp(b));
    Awaited {
        ops: each.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&each, 0.5),
        p99_ms: percentile(&each, 0.99),
    }
}

fn rdkafka_config(brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "0")
        .set("enable.idempotence", "true");
    config
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sends = env("SENDS", 5_000);
    let given = std::env::var("KAFKA_BROKERS")
        .ok()
        .filter(|b| !b.is_empty());
    // A MockCluster partition keeps about 5 MiB: 25k × 100 B there, 500k on a real cluster.
    let messages = env("MESSAGES", if given.is_some() { 500_000 } else { 25_000 });
    let cluster = match given {
        Some(_) => None,
        None => Some(MockCluster::new(1)?),
    };
    let brokers = given.unwrap_or_else(|| {
        cluster
            .as_ref()
            .map(|c| c.bootstrap_servers())
            .unwrap_or_default()
    });
    let run = std::process::id();
    let payload = vec![b'x'; 100];
    if let Some(c) = &cluster {
        for t in ["kn-sends", "rd-sends", "consume"] {
            c.create_topic(&format!("{t}-{run}"), 1, 1)?;
        }
    }

    // kafka-native: deliver_async.
    let kn = Producer::new(ProducerConfig::new(&brokers).queue_buffering_max(Duration::ZERO))?;
    let kn_topic = format!("kn-sends-{run}");
    let record = Record {
        payload: Some(&payload),
        ..Default::default()
    };
    kn.deliver_async(&kn_topic, 0, &[record])?.await?; // connected, producer id in hand
    let (mut each, started) = (Vec::with_capacity(sends), Instant::now());
    for _ in 0..sends {
        let t = Instant::now();
        kn.deliver_async(&kn_topic, 0, &[record])?.await?;
        each.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let kn_one = summarize(started.elapsed(), each);
    let started = Instant::now();
    for _ in 0..10 {
        // 100 in flight at a time, as an application awaiting 100 requests' sends would have.
        let mut futures = futures_util::stream::iter(0..sends)
            .map(|_| async { kn.deliver_async(&kn_topic, 0, &[record])?.await })
            .buffer_unordered(100);
        while let Some(result) = futures.next().await {
            result?;
        }
    }
    let kn_many = (sends * 10) as f64 / started.elapsed().as_secs_f64();

    // rust-rdkafka: FutureProducer.
    // Leaked for the run: rust-rdkafka's send future borrows the producer.
    let rd: &'static FutureProducer = Box::leak(Box::new(rdkafka_config(&brokers).create()?));
    let rd_topic = format!("rd-sends-{run}");
    let send = |p: &'static FutureProducer| {
        p.send(
            FutureRecord::<(), [u8]>::to(&rd_topic)
                .partition(0)
                .payload(&payload),
            Duration::from_secs(30),
        )
    };
    send(rd).await.map_err(|(e, _)| e)?;
    let (mut each, started) = (Vec::with_capacity(sends), Instant::now());
    for _ in 0..sends {
        let t = Instant::now();
        send(rd).await.map_err(|(e, _)| e)?;
        each.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let rd_one = summarize(started.elapsed(), each);
    let started = Instant::now();
    for _ in 0..10 {
        // 100 in flight at a time, as an application awaiting 100 requests' sends would have.
        let mut futures = futures_util::stream::iter(0..sends)
            .map(|_| send(rd))
            .buffer_unordered(100);
        while let Some(result) = futures.next().await {
            result.map_err(|(e, _)| e)?;
        }
    }
    let rd_many = (sends * 10) as f64 / started.elapsed().as_secs_f64();

    // Consume: fill a topic, then read it back with each.
    let consume_topic = format!("consume-{run}");
    let filler = Producer::new(ProducerConfig::new(&brokers))?;
    let chunk: Vec<&[u8]> = vec![&payload[..]; 10_000];
    let mut left = messages;
    while left > 0 {
        let n = left.min(chunk.len());
        left -= filler.send(&consume_topic, 0, &chunk[..n])?.enqueued;
        if left > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    filler.stop(Duration::from_secs(60))?;

    // Warm-up, not timed: the first group of a new cluster has Kafka create __consumer_offsets
    // (seconds), which would fall on whichever client came first.
    let warm_up = BatchStream::new(
        ConsumerConfig::new(&brokers, &consume_topic)
            .group_id(format!("warm-up-{run}"))
            .on_log(|_| {}),
    )?;
    warm_up.start()?;
    warm_up.stop()?;

    let mut batches = BatchStream::new(
        ConsumerConfig::new(&brokers, &consume_topic)
            .group_id(format!("kn-{run}"))
            .on_log(|_| {}),
    )?;
    let started = Instant::now();
    batches.start()?;
    let mut read = 0;
    while read < messages {
        let Some(batch) = batches.next().await else {
            break;
        };
        read += batch.len();
        batch.ack();
    }
    let kn_consume = read as f64 / started.elapsed().as_secs_f64();
    batches.stop()?;

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("rd-{run}"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.offset.store", "false")
        .create()?;
    let started = Instant::now();
    consumer.subscribe(&[&consume_topic])?;
    let mut stream = consumer.stream();
    let mut read = 0;
    while read < messages {
        let Some(message) = stream.next().await else {
            break;
        };
        let message = message?;
        consumer.store_offset_from_message(&message)?;
        let _ = message.payload();
        read += 1;
    }
    let rd_consume = read as f64 / started.elapsed().as_secs_f64();
    drop(stream);

    println!(
        "{{\"sends\":{sends},\"messages\":{messages},\
         \"kafka-native\":{{\"awaited_ops\":{:.0},\"awaited_p50_ms\":{:.3},\"awaited_p99_ms\":{:.3},\"concurrent_ops\":{:.0},\"consume_msgs\":{:.0}}},\
         \"rust-rdkafka\":{{\"awaited_ops\":{:.0},\"awaited_p50_ms\":{:.3},\"awaited_p99_ms\":{:.3},\"concurrent_ops\":{:.0},\"consume_msgs\":{:.0}}}}}",
        kn_one.ops, kn_one.p50_ms, kn_one.p99_ms, kn_many, kn_consume,
        rd_one.ops, rd_one.p50_ms, rd_one.p99_ms, rd_many, rd_consume,
    );
    Ok(())
}
