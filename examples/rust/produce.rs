//! Starts an embedded MockCluster (or uses `KAFKA_BROKERS`), produces, and prints delivery stats.
//!
//! `cargo run -p kafka-native --example produce`

use std::time::{Duration, Instant};

use kafka_native::{MockCluster, Producer, ProducerConfig, DEFAULT_STOP_TIMEOUT};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_cluster, brokers) = match std::env::var("KAFKA_BROKERS") {
        Ok(brokers) => (None, brokers),
        Err(_) => {
            let cluster = MockCluster::new(1)?;
            let brokers = cluster.bootstrap_servers();
            println!("started an embedded mock cluster at {brokers}");
            (Some(cluster), brokers)
        }
    };
    let producer = Producer::new(
        ProducerConfig::new(&brokers)
            .statistics_interval(Duration::from_secs(1))
            .on_delivery_report(|r| {
                println!(
                    "delivery report: {} delivered, {} failed {:?}",
                    r.delivered, r.errors, r.error_counts
                )
            })
            .on_stats(|s| {
                println!(
                    "stats: send_queue_length {}, {} bytes sent",
                    s.send_queue_length, s.rdkafka_stats["tx_bytes"]
                )
            }),
    )?;
    let topic = "example";
    let partitions = producer.partition_count(topic, Duration::from_secs(10))? as i32;
    println!("topic {topic:?} has {partitions} partitions");
    let started = Instant::now();
    let mut enqueued = 0;
    for i in 0..100 {
        let payloads: Vec<String> = (0..1000)
            .map(|j| format!("hello {}", i * 1000 + j))
            .collect();
        enqueued += producer.send(topic, i % partitions, &payloads)?.enqueued;
    }
    producer.stop(DEFAULT_STOP_TIMEOUT)?;
    println!("produced {enqueued} messages in {:?}", started.elapsed());
    Ok(())
}
