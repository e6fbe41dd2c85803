//! Exactly-once: transactions, isolation levels and fencing, against whichever broker
//! `KAFKA_TEST_BROKER` names; `npm test` runs this file on Apache Kafka too. The MockCluster has
//! a transaction coordinator but keeps no transaction state in its logs (its Fetch answers list
//! no aborted transactions and a last stable offset at the end of the log, so read_committed
//! reads aborted messages) and fences no older producer: those two tests prove on Kafka only.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use kafka_native::{
    api_key, Consumer, ConsumerConfig, ErrorCode, IsolationLevel, Producer, ProducerConfig,
    TopicPartition,
};
use parking_lot::Mutex;

mod common;
use common::{numbered, payload_and_miss_recorder, payload_recorder, wait_for, Logs, TestCluster};

const WAIT: Duration = Duration::from_secs(30);

fn transactional(cluster: &TestCluster, id: &str) -> Producer {
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .transactional_id(format!("{id}-{}", std::process::id()))
            .on_log(|_| {}),
    )
    .unwrap();
    producer.init_transactions(WAIT).unwrap();
    producer
}

/// Every payload of `topic`'s partition 0 from the beginning, read at `level`, until `last`
/// arrived (the last message written, so everything before it was decided). Nothing was deleted
/// from the log, so the offsets it skips (each transaction's marker, and under read_committed
/// the aborted records) count as no miss and are not warned of.
fn read_until(
    cluster: &TestCluster,
    topic: &str,
    level: IsolationLevel,
    last: &str,
) -> Vec<String> {
    let logs = Logs::default();
    let (consumer, seen, misses) = payload_and_miss_recorder(
        ConsumerConfig::new(cluster.bootstrap_servers(), topic)
            .without_offset_directory()
            .isolation_level(level)
            .on_log(logs.handler()),
    );
    consumer.start().unwrap();
    wait_for(&format!("{last} at {level:?}"), WAIT, || {
        seen.lock().iter().any(|p| p == last)
    });
    consumer.stop().unwrap();
    assert_eq!(misses.load(Ordering::Relaxed), 0, "misses at {level:?}");
    let warned = logs.matching("OFFSETS");
    assert!(warned.is_empty(), "at {level:?}: {warned:?}");
    let seen = seen.lock().clone();
    seen
}

/// Begins a transaction and sends `payloads` to `topic`'s partition 0, then waits until they
/// are in the log (the transaction still open).
fn open_in_log(producer: &Producer, topic: &str, payloads: &[String]) {
    producer.begin_transaction().unwrap();
    producer.send(topic, 0, payloads).unwrap();
    wait_for("the transaction's records in the log", WAIT, || {
        producer.in_flight() == 0
    });
}

#[test]
fn read_committed_sees_committed_transactions_only_and_read_uncommitted_sees_all() {
    let cluster = TestCluster::new();
    if !cluster.is_kafka() {
        return eprintln!("skipped: the MockCluster's logs keep no aborted transactions");
    }
    let topic = cluster.create_topic("txn-isolation", 1);
    let producer = transactional(&cluster, "txn-isolation");

    producer.begin_transaction().unwrap();
    producer
        .send(&topic, 0, &numbered("committed-", 0..10))
        .unwrap();
    producer.commit_transaction(WAIT).unwrap();

    // In the log before the abort, so that read_committed has something to skip.
    open_in_log(&producer, &topic, &numbered("aborted-", 0..10));
    producer.abort_transaction(WAIT).unwrap();

    producer.begin_transaction().unwrap();
    producer
        .send(&topic, 0, &numbered("after-", 0..10))
        .unwrap();
    producer.commit_transaction(WAIT).unwrap();
    producer.stop(WAIT).unwrap();

    let committed = read_until(&cluster, &topic, IsolationLevel::ReadCommitted, "after-9");
    let expected: Vec<String> = [numbered("committed-", 0..10), numbered("after-", 0..10)].concat();
    assert_eq!(
        committed, expected,
        "read_committed: the aborted transaction is skipped"
    );

    let all = read_until(&cluster, &topic, IsolationLevel::ReadUncommitted, "after-9");
    let expected: Vec<String> = [
        numbered("committed-", 0..10),
        numbered("aborted-", 0..10),
        numbered("after-", 0..10),
    ]
    .concat();
    assert_eq!(all, expected, "read_uncommitted: everything in the log");
}

#[test]
fn a_newer_producer_with_the_same_transactional_id_fences_the_older() {
    let cluster = TestCluster::new();
    if !cluster.is_kafka() {
        return eprintln!("skipped: the MockCluster fences no older transactional producer");
    }
    let topic = cluster.create_topic("txn-fence", 1);
    let older = transactional(&cluster, "txn-fence");
    older.begin_transaction().unwrap();
    older.send(&topic, 0, &["from the older"]).unwrap();
    let newer = transactional(&cluster, "txn-fence"); // fences `older`, aborts its transaction
    let err = older
        .commit_transaction(WAIT)
        .expect_err("a fenced producer cannot commit");
    assert!(
        err.is_fatal(),
        "fenced is fatal: {err} ({})",
        err.code_name()
    );
    assert!(
        err.to_string().to_lowercase().contains("fenced"),
        "the error says the producer was fenced: {err}"
    );
    assert_eq!(err.code_name(), "_FENCED", "{err}");
    // Begun well within its timeout (60 s): the broker did not abort it for time.
    assert!(
        err.to_string().contains(
            "a newer producer with the same transactional_id started: \
             this transaction began"
        ) && !err.to_string().contains("past transaction_timeout_ms"),
        "the error names the newer producer, not the timeout: {err}"
    );
    assert!(older.fatal_error().is_some());
    // A send after it is refused, saying why and that the producer must be stopped.
    let refused = older.send(&topic, 0, &["late"]).unwrap_err();
    assert!(refused.is_fatal(), "{refused}");
    let text = refused.to_string();
    assert!(
        text.contains("must be stopped") && text.contains("_FENCED"),
        "{text}"
    );
    let _ = older.stop(Duration::from_secs(5)); // its messages were not delivered

    newer.begin_transaction().unwrap();
    newer.send(&topic, 0, &["from the newer"]).unwrap();
    newer.commit_transaction(WAIT).unwrap();
    newer.stop(WAIT).unwrap();
    let read = read_until(
        &cluster,
        &topic,
        IsolationLevel::ReadCommitted,
        "from the newer",
    );
    assert_eq!(read, ["from the newer"]);
}

#[test]
fn committed_transactions_are_read_and_an_aborted_one_delivers_nothing_it_had_not_sent() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("txn-commit", 1);
    let producer = transactional(&cluster, "txn-commit");
    for round in 0..3 {
        producer.begin_transaction().unwrap();
        producer
            .send(&topic, 0, &numbered(&format!("round{round}-"), 0..100))
            .unwrap();
        producer.commit_transaction(WAIT).unwrap();
    }
    // Aborted at once: the messages still queued fail (purged) and never reach the log.
    producer.begin_transaction().unwrap();
    producer
        .send(&topic, 0, &numbered("never-", 0..100))
        .unwrap();
    producer.abort_transaction(WAIT).unwrap();
    producer.begin_transaction().unwrap();
    producer.send(&topic, 0, &["last"]).unwrap();
    producer.commit_transaction(WAIT).unwrap();
    let stopped = producer.stop(WAIT);
    let read = read_until(&cluster, &topic, IsolationLevel::ReadCommitted, "last");
    let expected: Vec<String> = (0..3)
        .flat_map(|round| numbered(&format!("round{round}-"), 0..100))
        .chain(["last".to_string()])
        .collect();
    if cluster.is_kafka() {
        assert_eq!(read, expected);
    } else {
        // The MockCluster: what the abort purged is absent; what it had sent may be read.
        assert_eq!(
            read.iter()
                .filter(|p| !p.starts_with("never-"))
                .collect::<Vec<_>>(),
            expected.iter().collect::<Vec<_>>()
        );
    }
    // stop() reports the purged messages as undelivered, never as delivered.
    if let Err(e) = stopped {
        assert_eq!(e.code_name(), "UNDELIVERED", "{e}");
    }
}

/// librdkafka's idempotence state for a producer made from `config` once it has sent a message
/// (`eos.idemp_state` in its statistics: "Assigned" once the broker gave it a producer id; a
/// producer that is not idempotent has no `eos` section: "none").
fn idempotence_state(topic: &str, config: ProducerConfig) -> String {
    let state = Arc::new(Mutex::new(None::<String>));
    let sink = state.clone();
    let producer = Producer::new(
        config
            .statistics_interval(Duration::from_millis(100))
            .on_log(|_| {})
            .on_stats(move |s| {
                let state = s.rdkafka_stats["eos"]["idemp_state"].as_str();
                *sink.lock() = Some(state.unwrap_or("none").to_string());
            }),
    )
    .unwrap();
    producer.send(topic, 0, &["one"]).unwrap();
    wait_for("delivery", WAIT, || producer.in_flight() == 0);
    wait_for("statistics after the delivery", WAIT, || {
        state.lock().take().is_some()
    });
    wait_for("the next statistics", WAIT, || state.lock().is_some());
    producer.stop(WAIT).unwrap();
    let state = state.lock().clone().unwrap_or_default();
    state
}

#[test]
fn a_producer_is_idempotent_unless_told_not_to_be() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("idempotent", 1);
    let servers = cluster.bootstrap_servers();
    assert_eq!(
        idempotence_state(&topic, ProducerConfig::new(servers.as_str())),
        "Assigned",
        "by default the broker gave the producer an id"
    );
    assert_eq!(
        idempotence_state(
            &topic,
            ProducerConfig::new(servers.as_str()).enable_idempotence(false)
        ),
        "none",
        "enable_idempotence(false): no producer id"
    );
}

/// Transactions v2 (KIP-890) on a cluster that finalized `transaction.version` 2 (Apache Kafka
/// 4.4 by default): every commit and abort bumps the producer epoch, which the producer takes
/// from the EndTxn answer and writes the next transaction with. The MockCluster finalizes no
/// feature: v1, one epoch throughout; so does a Kafka cluster finalized at 1, which
/// test/kafka/transactions-v2.test.js runs this file on (`KAFKA_TRANSACTION_VERSION=1`).
#[test]
fn the_transaction_protocol_is_v2_where_the_cluster_finalized_it_and_each_end_bumps_the_epoch() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("txn-version", 1);
    let epoch = Arc::new(Mutex::new(None::<i64>));
    let sink = epoch.clone();
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .transactional_id(format!("txn-version-{}", std::process::id()))
            .statistics_interval(Duration::from_millis(100))
            .on_log(|_| {})
            .on_stats(move |s| *sink.lock() = s.rdkafka_stats["eos"]["producer_epoch"].as_i64()),
    )
    .unwrap();
    assert_eq!(
        producer.transaction_version(),
        None,
        "before init_transactions"
    );
    producer.init_transactions(WAIT).unwrap();
    let expected = match std::env::var("KAFKA_TRANSACTION_VERSION") {
        Ok(version) => version.parse().unwrap(),
        Err(_) if cluster.is_kafka() => 2,
        Err(_) => 1,
    };
    assert_eq!(producer.transaction_version(), Some(expected));

    // The epoch of each transaction, read from the statistics taken after it ended.
    let mut epochs = Vec::new();
    for round in 0..3 {
        producer.begin_transaction().unwrap();
        producer
            .send(&topic, 0, &numbered(&format!("round-{round}-"), 0..5))
            .unwrap();
        if round == 1 {
            wait_for("the records in the log", WAIT, || producer.in_flight() == 0);
            producer.abort_transaction(WAIT).unwrap();
        } else {
            producer.commit_transaction(WAIT).unwrap();
        }
        epoch.lock().take();
        wait_for("statistics after the end", WAIT, || epoch.lock().is_some());
        epochs.push(epoch.lock().unwrap_or(-1));
    }
    producer.stop(WAIT).unwrap();
    let steps: Vec<i64> = epochs.windows(2).map(|w| w[1] - w[0]).collect();
    if expected == 2 {
        assert_eq!(steps, [1, 1], "v2: every end bumps the epoch ({epochs:?})");
    } else {
        assert_eq!(steps, [0, 0], "v1: one epoch ({epochs:?})");
    }
    if cluster.is_kafka() {
        let committed = read_until(&cluster, &topic, IsolationLevel::ReadCommitted, "round-2-4");
        let expected: Vec<String> =
            [numbered("round-0-", 0..5), numbered("round-2-", 0..5)].concat();
        assert_eq!(
            committed, expected,
            "read_committed: the aborted round is skipped"
        );
    }
}

#[test]
fn misuse_of_a_transactional_producer_is_a_clear_error() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("txn-misuse", 1);
    let producer = transactional(&cluster, "txn-misuse");
    let err = producer.commit_transaction(WAIT).unwrap_err();
    assert_eq!(err.code_name(), "_STATE", "commit without begin: {err}");
    assert!(err.to_string().contains("state Ready"), "{err}");
    let err = producer.abort_transaction(WAIT).unwrap_err();
    assert_eq!(err.code_name(), "_STATE", "abort without begin: {err}");
    let err = producer.send(&topic, 0, &["outside"]).unwrap_err();
    assert_eq!(err.code_name(), "_STATE", "{err}");
    assert!(
        err.to_string().contains("begin_transaction() first"),
        "send outside a transaction: {err}"
    );
    producer.begin_transaction().unwrap();
    let err = producer.begin_transaction().unwrap_err();
    assert_eq!(err.code_name(), "_STATE", "begin twice: {err}");
    producer.send(&topic, 0, &["inside"]).unwrap();
    producer.commit_transaction(WAIT).unwrap();
    producer.stop(WAIT).unwrap();
}

#[test]
fn a_transaction_open_past_its_timeout_is_aborted_and_the_commit_says_so() {
    let cluster = TestCluster::new();
    if !cluster.is_kafka() {
        return eprintln!("skipped: the MockCluster does not time transactions out");
    }
    let topic = cluster.create_topic("txn-timeout", 1);
    let producer = Producer::new(
        ProducerConfig::new(cluster.bootstrap_servers())
            .transactional_id(format!("txn-timeout-{}", std::process::id()))
            .transaction_timeout(Duration::from_secs(1))
            .on_log(|_| {}),
    )
    .unwrap();
    producer.init_transactions(WAIT).unwrap();
    producer.begin_transaction().unwrap();
    producer.send(&topic, 0, &["too late"]).unwrap();
    wait_for("the message in the log", WAIT, || producer.in_flight() == 0);
    // The condition under test is time passing: the transaction outlives its 1 s timeout, and
    // the test cluster's broker looks for such transactions every second.
    std::thread::sleep(Duration::from_secs(5));
    let err = producer
        .commit_transaction(WAIT)
        .expect_err("the broker aborted it");
    assert!(
        err.to_string()
            .contains("past transaction_timeout_ms (1000): the broker aborted it")
            && !err
                .to_string()
                .contains("a newer producer with the same transactional_id started"),
        "the error names the timeout, not a newer producer: {err}"
    );
    assert!(
        err.is_abortable() || err.is_fatal(),
        "{err}: abortable {} fatal {}",
        err.is_abortable(),
        err.is_fatal()
    );
    if err.is_abortable() {
        producer.abort_transaction(WAIT).unwrap();
        producer.begin_transaction().unwrap();
        producer.send(&topic, 0, &["next"]).unwrap();
        producer.commit_transaction(WAIT).unwrap();
        let read = read_until(&cluster, &topic, IsolationLevel::ReadCommitted, "next");
        assert_eq!(read, ["next"], "the timed-out transaction is not read");
    }
    let _ = producer.stop(WAIT);
}

#[test]
fn transactional_options_are_checked_naming_them() {
    let refused = |config: ProducerConfig| match Producer::new(config.on_log(|_| {})) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    let base = || ProducerConfig::new("127.0.0.1:1");
    assert!(refused(base().transactional_id("")).starts_with("transactional_id "));
    assert!(
        refused(base().transactional_id("t").enable_idempotence(false))
            .starts_with("enable_idempotence must be true")
    );
    assert!(refused(
        base()
            .transactional_id("t")
            .transaction_timeout(Duration::from_secs(3600))
    )
    .starts_with("transaction_timeout_ms must be at most 900000"));
    // Not transactional: the transaction calls fail with librdkafka's reason, naming none.
    let plain = Producer::new(base().on_log(|_| {})).unwrap();
    let err = plain.begin_transaction().unwrap_err();
    assert_eq!(err.code_name(), "_NOT_CONFIGURED", "{err}");
    plain.stop(Duration::from_secs(1)).ok();
}

/// A commit that timed out (a coordinator slow to answer) is still under way in librdkafka, and
/// an abort then is refused as `_CONFLICT`: it was retried as any retriable error for the
/// abort's whole timeout (60 s by default) and then failed all the same. It fails at once now,
/// saying to commit again, and the commit called again finishes the transaction.
#[test]
fn an_abort_after_a_commit_timed_out_says_at_once_to_commit_again() {
    let cluster = TestCluster::new();
    let TestCluster::Mock(mock) = &cluster else {
        return eprintln!("skipped: the MockCluster's answers are slowed");
    };
    let topic = cluster.create_topic("txn-commit-timeout", 1);
    let producer = transactional(&cluster, "txn-commit-timeout");
    producer.begin_transaction().unwrap();
    producer.send(&topic, 0, &["a", "b"]).unwrap();
    mock.set_broker_rtt(1, 3_000).unwrap();
    let timed_out = producer
        .commit_transaction(Duration::from_millis(500))
        .unwrap_err();
    assert_eq!(timed_out.code_name(), "_TIMED_OUT", "{timed_out}");
    assert!(timed_out.is_retriable(), "{timed_out}");
    let aborting = std::time::Instant::now();
    let conflict = producer.abort_transaction(WAIT).unwrap_err();
    let took = aborting.elapsed();
    assert_eq!(conflict.code_name(), "_CONFLICT", "{conflict}");
    assert!(
        conflict
            .to_string()
            .contains("commitTransaction() / commit_transaction() again"),
        "{conflict}"
    );
    assert!(took < WAIT / 2, "the abort failed after {took:?}");
    mock.set_broker_rtt(1, 0).unwrap();
    producer.commit_transaction(WAIT).unwrap();
    producer.begin_transaction().unwrap();
    producer.abort_transaction(WAIT).unwrap();
    producer.stop(WAIT).unwrap();
}

/// Sends offsets to a transaction while the MockCluster answers the first TxnOffsetCommit
/// requests with `refusals`, within `timeout`, and commits it.
fn offsets_through_refusals(name: &str, refusals: &[ErrorCode], timeout: Duration) {
    let cluster = TestCluster::new();
    let TestCluster::Mock(mock) = &cluster else {
        return eprintln!("skipped: errors are injected into the MockCluster's answers");
    };
    let topic = cluster.create_topic(name, 1);
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .group_id(format!("{name}-{}", std::process::id()))
            .manual_commit()
            .on_log(|_| {}),
        |_| Ok(()),
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("the assignment", WAIT, || !consumer.assignment().is_empty());
    let group = consumer.group_metadata().unwrap();
    let producer = transactional(&cluster, name);

    producer.begin_transaction().unwrap();
    mock.push_request_errors(api_key::TXN_OFFSET_COMMIT, refusals);
    let offsets = [(TopicPartition::new(&topic, 0), 5)];
    producer
        .send_offsets_to_transaction(&offsets, &group, timeout)
        .unwrap();
    producer.commit_transaction(WAIT).unwrap();
    producer.stop(WAIT).unwrap();
    consumer.stop().unwrap();
}

/// Fault injection: the MockCluster answers the next TxnOffsetCommit requests as a group
/// coordinator that moved away; librdkafka asks again every 500 ms, within the call's time.
#[test]
fn offsets_sent_to_a_transaction_wait_out_a_moving_group_coordinator() {
    offsets_through_refusals("txn-offsets", &[ErrorCode::NotCoordinator; 2], WAIT);
}

/// With transactions v2 the group coordinator adds a transaction's group itself, and refuses
/// the offsets with CONCURRENT_TRANSACTIONS while the producer's previous transaction is still
/// completing (milliseconds: its markers are being written). librdkafka asked again after 500 ms
/// (patch 33: after 20 ms, as for AddPartitionsToTxn): ten refusals took 5 s, past this call's
/// 2.5 s; now about 0.2 s.
#[test]
fn offsets_refused_while_the_previous_transaction_completes_are_sent_again_soon() {
    offsets_through_refusals(
        "txn-offsets-concurrent",
        &[ErrorCode::ConcurrentTransactions; 10],
        Duration::from_millis(2500),
    );
}

#[test]
fn a_read_committed_consumer_is_not_behind_for_an_open_transaction_or_a_marker() {
    let cluster = TestCluster::new();
    if !cluster.is_kafka() {
        return eprintln!("skipped: the MockCluster's logs keep no transaction state");
    }
    let topic = cluster.create_topic("txn-lag", 1);
    let producer = transactional(&cluster, "txn-lag");
    open_in_log(&producer, &topic, &numbered("committed-", 0..10));
    producer.commit_transaction(WAIT).unwrap();
    // Open, and in the log: its records are past the last stable offset, nobody's to read yet.
    open_in_log(&producer, &topic, &numbered("open-", 0..5));

    let stats: Arc<Mutex<Vec<kafka_native::ConsumerStats>>> = Arc::default();
    let sink = stats.clone();
    let (consumer, seen) = payload_recorder(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .without_offset_directory()
            .isolation_level(IsolationLevel::ReadCommitted)
            .statistics_interval(Duration::from_millis(100))
            .on_stats(move |s| sink.lock().push(s))
            .on_log(|_| {}),
    );
    consumer.start().unwrap();
    // Caught up: the lag and the messages waiting at the broker are 0, in the statistics after
    // the last record read, in health() and in lag() (which asks the leader for the last
    // stable offset, a marker past the last record handed over).
    let caught_up = |what: &str, count: usize| {
        wait_for(what, WAIT, || seen.lock().len() == count);
        let after = stats.lock().len();
        wait_for("two more statistics", WAIT, || {
            stats.lock().len() >= after + 2
        });
        let last = stats.lock().last().unwrap().waiting_kafka;
        let lag: Vec<Option<u64>> = consumer.health().partitions.iter().map(|p| p.lag).collect();
        let asked: Vec<(Option<i64>, Option<i64>)> = consumer
            .lag(WAIT)
            .unwrap()
            .iter()
            .map(|p| (p.lag, p.next.map(|next| p.high - next)))
            .collect();
        assert_eq!(
            (last, lag, asked),
            (0, vec![Some(0)], vec![(Some(0), Some(1))]),
            "{what}: waiting_kafka, health()'s lags, lag()'s lags and markers past the next"
        );
    };
    caught_up("the committed 10, the open transaction's 5 past them", 10);
    producer.commit_transaction(WAIT).unwrap();
    caught_up("all 15, the commit's marker last in the log", 15);
    producer.stop(WAIT).unwrap();
    consumer.stop().unwrap();
}
