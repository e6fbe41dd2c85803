//! Produce throughput: N × S-byte messages to a MockCluster (or `KAFKA_BROKERS`), msgs/s.
//!
//! `cargo run --release -p kafka-native --example produce_bench -- [messages] [size] [partitions]`

use std::time::{Duration, Instant};

use kafka_native::{MockCluster, Producer, ProducerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let messages = args.first().copied().unwrap_or(1_000_000);
    let size = args.get(1).copied().unwrap_or(100);
    let partitions = args.get(2).copied().unwrap_or(32) as i32;
    let (_cluster, brokers) = match std::env::var("KAFKA_BROKERS") {
        Ok(brokers) => (None, brokers),
        Err(_) => {
            let cluster = MockCluster::new(1)?;
            cluster.create_topic("bench", partitions, 1)?;
            let brokers = cluster.bootstrap_servers();
            (Some(cluster), brokers)
        }
    };
    let producer = Producer::new(
        ProducerConfig::new(&brokers)
            .queue_buffering_max_messages(1_000_000)
            .statistics_interval(Duration::ZERO),
    )?;
    producer.partition_count("bench", Duration::from_secs(10))?;
    let payload = vec![b'x'; size];
    let batch = vec![&payload[..]; 10_000];
    let started = Instant::now();
    let (mut sent, mut partition) = (0, 0);
    while sent < messages {
        let n = batch.len().min(messages - sent);
        let result = producer.send("bench", partition % partitions, &batch[..n])?;
        sent += result.enqueued;
        partition += 1;
        if result.enqueued < n {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    producer.stop(Duration::from_secs(120))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "produced {messages} x {size} B in {secs:.2} s: {:.0} msgs/s, {:.1} MB/s",
        messages as f64 / secs,
        (messages * size) as f64 / secs / 1e6
    );
    Ok(())
}
