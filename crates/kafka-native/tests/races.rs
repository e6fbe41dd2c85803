//! Data races, found by valgrind's helgrind, in code a safe API lets several threads run at once.
//! A race that only leaks (two threads each parsing a message's headers) changes no result a
//! test could see, so the workload runs under a race detector. `.ci/run` installs valgrind.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use kafka_native::{
    Consumer, ConsumerConfig, MockCluster, Producer, ProducerConfig, ReceivedBatch, Record,
};

mod common;
use common::wait_for;

/// The workload: 8 threads read the headers of one batch at once. Run by itself it checks the
/// headers; under helgrind (below) it shows whether those reads race.
#[test]
#[ignore = "run by no_data_race_when_threads_share_a_batch, under helgrind"]
fn threads_read_one_batch_at_once() {
    // Headers are parsed before the batch is handed over, so reading them through `&` never
    // writes: a batch may be shared between threads.
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("shared", 1, 1).unwrap();
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let values: Vec<String> = (0..200).map(|i| format!("h{i}")).collect();
    let headers: Vec<[(&str, &[u8]); 2]> = values
        .iter()
        .map(|v| [("a", v.as_bytes()), ("b", &b"second"[..])])
        .collect();
    let records: Vec<Record> = headers
        .iter()
        .map(|h| Record {
            key: None,
            payload: Some(b"p"),
            headers: &h[..],
            timestamp: None,
        })
        .collect();
    producer.send_records("shared", 0, &records).unwrap();
    producer.stop(Duration::from_secs(10)).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), "shared").without_offset_directory(),
        move |batch| {
            tx.send(Arc::new(batch)).unwrap();
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    let mut batches: Vec<Arc<ReceivedBatch>> = Vec::new();
    wait_for("200 messages", Duration::from_secs(20), || {
        batches.extend(rx.try_iter());
        batches.iter().map(|b| b.len()).sum::<usize>() == 200
    });
    consumer.stop().unwrap();
    let start = Arc::new(std::sync::Barrier::new(8));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let batches = batches.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait(); // all at once, on messages nobody has read yet
                let mut read = Vec::new();
                for _ in 0..20 {
                    read = batches
                        .iter()
                        .flat_map(|b| b.iter().map(|m| m.headers()))
                        .map(|h| {
                            h.into_iter()
                                .map(|(name, value)| {
                                    format!("{name}={}", String::from_utf8_lossy(value))
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect();
                }
                read
            })
        })
        .collect();
    let expected: Vec<Vec<String>> = values
        .iter()
        .map(|v| vec![format!("a={v}"), "b=second".to_string()])
        .collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), expected);
    }
}

#[test]
fn no_data_race_when_threads_share_a_batch() {
    // librdkafka parses a message's headers lazily, writing them into the message. The core
    // parses them before a batch is handed over, so shared reads only read.
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("valgrind")
        .args(["--tool=helgrind", "--error-exitcode=0"])
        .arg(&exe)
        .args([
            "threads_read_one_batch_at_once",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .output()
        .expect("valgrind is needed for this test (apt-get install valgrind)");
    let report = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 passed"),
        "the workload failed:\n{stdout}\n{report}"
    );
    // The filter below matches function names: a report whose frames in this test binary
    // (librdkafka is linked into it) lost their symbols (`??? (in .../races-...)`) would hide
    // a race from it, so such a report fails the test instead of passing it.
    let exe_name = exe.file_name().unwrap().to_string_lossy();
    let unnamed: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("???") && l.contains(exe_name.as_ref()))
        .collect();
    assert!(
        unnamed.is_empty(),
        "helgrind could not name frames of the test binary (no symbols?):\n{}",
        unnamed.join("\n")
    );
    // The read path only: rd_kafka_message_headers parses lazily (rd_kafka_msg_headers_parse).
    // Freeing a batch on another thread than the one that made it is ordered by Arc's and the
    // channel's atomics, which helgrind does not model, so reports there are not looked at.
    let racy: Vec<&str> = report
        .lines()
        .filter(|l| {
            l.contains("rd_kafka_message_headers") || l.contains("rd_kafka_msg_headers_parse")
        })
        .collect();
    assert!(
        racy.is_empty(),
        "helgrind found races in header reads:\n{}",
        racy.join("\n")
    );
}
