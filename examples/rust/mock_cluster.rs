//! A local MockCluster for development, from Rust: the same as `npx kafka-native mock-cluster`.
//!
//! `cargo run --release -p kafka-native --example mock_cluster -- --brokers 3 --topic game:4:2 [--port-file F]`
//!
//! Prints the bootstrap servers and serves until Ctrl-C or SIGTERM.

use kafka_native::MockCluster;
use tokio::signal::unix::{signal, SignalKind};

struct Options {
    brokers: i32,
    topics: Vec<(String, i32, i32)>,
    port_file: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        brokers: 1,
        topics: Vec::new(),
        port_file: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--brokers" => {
                options.brokers = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or("--brokers must be a positive integer")?
            }
            "--topic" => {
                let spec = value()?;
                let parts: Vec<&str> = spec.split(':').collect();
                let number = |i: usize, default: i32| {
                    parts.get(i).map_or(Ok(default), |p| {
                        p.parse::<i32>().map_err(|_| {
                            format!("--topic {spec:?} is not NAME:PARTITIONS[:REPLICATION]")
                        })
                    })
                };
                if !(2..=3).contains(&parts.len()) {
                    return Err(format!(
                        "--topic {spec:?} is not NAME:PARTITIONS[:REPLICATION]"
                    ));
                }
                options
                    .topics
                    .push((parts[0].to_string(), number(1, 1)?, number(2, 1)?));
            }
            "--port-file" => options.port_file = Some(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse(std::env::args().skip(1)).map_err(|problem| {
        format!("{problem}\nusage: mock_cluster [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]... [--port-file FILE]")
    })?;
    let cluster = MockCluster::new(options.brokers)?;
    for (name, partitions, replication) in &options.topics {
        cluster.create_topic(name, *partitions, *replication)?;
    }
    let servers = cluster.bootstrap_servers();
    println!("{servers}");
    if let Some(file) = &options.port_file {
        let partial = format!("{file}.tmp");
        std::fs::write(&partial, format!("{servers}\n"))?;
        std::fs::rename(&partial, file)?;
    }
    eprintln!(
        "mock cluster: {} broker(s); Ctrl-C to stop",
        options.brokers
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let signal_name = runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok::<_, std::io::Error>(tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        })
    })?;
    if let Some(file) = &options.port_file {
        let _ = std::fs::remove_file(file);
    }
    drop(cluster);
    eprintln!("mock cluster stopped ({signal_name})");
    Ok(())
}
