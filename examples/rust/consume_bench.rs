//! Consume throughput: produce N × S-byte messages into a MockCluster spread over P partitions,
//! then time a Consumer from its first message to its last.
//!
//! `cargo run --release -p kafka-native --example consume_bench -- [messages] [size] [partitions]`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{Consumer, ConsumerConfig, MockCluster, Producer, ProducerConfig};
use parking_lot::Mutex;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let messages = args.first().copied().unwrap_or(1_000_000);
    let size = args.get(1).copied().unwrap_or(100);
    let partitions = args.get(2).copied().unwrap_or(32) as i32;
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("bench", partitions, 1)?;
    let brokers = cluster.bootstrap_servers();
    let producer =
        Producer::new(ProducerConfig::new(&brokers).queue_buffering_max_messages(1_000_000))?;
    let payload = vec![b'x'; size];
    let batch = vec![&payload[..]; 10_000];
    let (mut sent, mut partition) = (0, 0);
    while sent < messages {
        let n = batch.len().min(messages - sent);
        sent += producer
            .send("bench", partition % partitions, &batch[..n])?
            .enqueued;
        partition += 1;
    }
    producer.stop(Duration::from_secs(120))?;

    let dir = tempfile::tempdir()?;
    let received = Arc::new(AtomicUsize::new(0));
    let first: Arc<Mutex<Option<Instant>>> = Arc::default();
    let (counter, first_seen) = (received.clone(), first.clone());
    let consumer = Consumer::new(
        ConsumerConfig::new(&brokers, "bench")
            .offset_directory(dir.path())
            .statistics_interval(Duration::ZERO),
        move |b| {
            first_seen.lock().get_or_insert_with(Instant::now);
            counter.fetch_add(
                b.iter()
                    .map(|m| m.payload().map_or(0, |p| p.len().min(1)))
                    .sum(),
                Ordering::Relaxed,
            );
            Ok(())
        },
    )?;
    consumer.start()?;
    while received.load(Ordering::Relaxed) < messages {
        std::thread::sleep(Duration::from_millis(1));
    }
    let secs = first.lock().unwrap().elapsed().as_secs_f64();
    consumer.stop()?;
    println!(
        "consumed {messages} x {size} B in {secs:.2} s: {:.0} msgs/s, {:.1} MB/s",
        messages as f64 / secs,
        (messages * size) as f64 / secs / 1e6
    );
    Ok(())
}
