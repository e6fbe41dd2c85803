//! Consumer groups, against whichever broker `KAFKA_TEST_BROKER` names (the MockCluster by
//! default; `npm test` runs it on Apache Kafka too). Members use short session timeouts, so a
//! member that leaves without a word is noticed within seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native::{
    Admin, AdminConfig, Consumer, ConsumerConfig, GroupProtocol, Producer, ProducerConfig,
    StartOffset,
};
use parking_lot::Mutex;

mod common;
use common::{numbered, partitions, wait_for, Logs, TestCluster};

/// (partition, offset, member) of every message any member was handed.
type Deliveries = Arc<Mutex<Vec<(i32, i64, String)>>>;

const JOIN: Duration = Duration::from_secs(90);

fn group_name(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

fn member_config(
    cluster: &TestCluster,
    topic: &str,
    group: &str,
    session_ms: u32,
) -> ConsumerConfig {
    protocol_config(
        &cluster.bootstrap_servers(),
        topic,
        group,
        session_ms,
        "classic",
    )
}

/// A member of `protocol` ("classic" or "consumer"): the classic protocol with a session of
/// `session_ms`; KIP-848's takes its session from the broker (`group.consumer.session.timeout.ms`).
fn protocol_config(
    brokers: &str,
    topic: &str,
    group: &str,
    session_ms: u32,
    protocol: &str,
) -> ConsumerConfig {
    let config = ConsumerConfig::new(brokers, topic)
        .group_id(group)
        .on_log(|_| {});
    match protocol {
        "consumer" => config.group_protocol(GroupProtocol::Consumer),
        _ => config
            .driver_option("session.timeout.ms", session_ms.to_string())
            .driver_option("heartbeat.interval.ms", "500"),
    }
}

fn member(config: ConsumerConfig, name: &str, seen: &Deliveries) -> Consumer {
    let (name, seen) = (name.to_string(), seen.clone());
    Consumer::new(config, move |batch| {
        let mut seen = seen.lock();
        for m in batch.iter() {
            seen.push((m.partition(), m.offset(), name.clone()));
        }
        Ok(())
    })
    .unwrap()
}

fn produce_evenly(cluster: &TestCluster, topic: &str, partitions: i32, per_partition: i32) {
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    for p in 0..partitions {
        producer
            .send(topic, p, &numbered(&format!("{p}-"), 0..per_partition))
            .unwrap();
    }
    producer.stop(Duration::from_secs(30)).unwrap();
}

/// How many times each (partition, offset) was delivered.
fn counts(seen: &Deliveries) -> BTreeMap<(i32, i64), usize> {
    let mut counts = BTreeMap::new();
    for (p, o, _) in seen.lock().iter() {
        *counts.entry((*p, *o)).or_default() += 1;
    }
    counts
}

fn every_offset(partitions: i32, per_partition: i64) -> BTreeSet<(i32, i64)> {
    (0..partitions)
        .flat_map(|p| (0..per_partition).map(move |o| (p, o)))
        .collect()
}

fn assert_exactly_once(seen: &Deliveries, partitions: i32, per_partition: i64) {
    let counts = counts(seen);
    let twice: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    assert_eq!(
        counts.keys().copied().collect::<BTreeSet<_>>(),
        every_offset(partitions, per_partition)
    );
}

#[test]
fn two_members_split_a_topic_two_and_two_and_get_every_message_once() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("split", 4);
    produce_evenly(&cluster, &topic, 4, 250);
    let group = group_name("split");
    let seen = Deliveries::default();
    let a = member(member_config(&cluster, &topic, &group, 6000), "a", &seen);
    let b = member(member_config(&cluster, &topic, &group, 6000), "b", &seen);
    a.start().unwrap();
    b.start().unwrap();
    wait_for("a 2/2 split", JOIN, || {
        a.assignment().len() == 2 && b.assignment().len() == 2
    });
    wait_for("1000 messages", JOIN, || counts(&seen).len() == 1000);
    let (mut pa, mut pb) = (partitions(&a.assignment()), partitions(&b.assignment()));
    a.stop().unwrap();
    // b stops once the rebalance a's leaving started is over: a broker refuses commits while a
    // group syncs (tansu while it joins too), and a revocation waits only 2 s for its commit.
    wait_for("b to take over", JOIN, || b.assignment().len() == 4);
    b.stop().unwrap();
    assert_exactly_once(&seen, 4, 250);
    pa.append(&mut pb);
    pa.sort();
    assert_eq!(pa, vec![0, 1, 2, 3]);
}

#[test]
fn a_member_of_two_topics_gets_each_message_once_and_tells_their_topics_apart() {
    let cluster = TestCluster::new();
    let topics = [
        cluster.create_topic("two-a", 2),
        cluster.create_topic("two-b", 2),
    ];
    // Written before the member starts, so that its batches hold runs of several partitions
    // of both topics.
    for topic in &topics {
        produce_evenly(&cluster, topic, 2, 100);
    }
    let seen = Arc::new(Mutex::new(BTreeMap::<(String, i32, i64), usize>::new()));
    // Pairs of messages in one batch whose same_topic() disagreed with their names.
    let disagreements = Arc::new(Mutex::new(Vec::new()));
    let config = member_config(&cluster, &topics[0], &group_name("two"), 6000)
        .topics(topics.iter().cloned());
    let (record, wrong) = (seen.clone(), disagreements.clone());
    let member = Consumer::new(config, move |batch| {
        let messages: Vec<_> = batch.iter().collect();
        for pair in messages
            .windows(2)
            .chain([[messages[0], messages[messages.len() - 1]].as_slice()])
        {
            let (a, b) = (pair[0], pair[1]);
            if a.same_topic(&b) != (a.topic() == b.topic()) {
                wrong.lock().push(format!(
                    "{}/{} and {}/{}",
                    a.topic(),
                    a.offset(),
                    b.topic(),
                    b.offset()
                ));
            }
        }
        let mut record = record.lock();
        for m in &messages {
            *record
                .entry((m.topic().to_string(), m.partition(), m.offset()))
                .or_default() += 1;
        }
        Ok(())
    })
    .unwrap();
    member.start().unwrap();
    wait_for("400 messages", JOIN, || seen.lock().len() == 400);
    member.stop().unwrap();
    assert_eq!(*disagreements.lock(), Vec::<String>::new());
    let seen = seen.lock();
    assert!(seen.values().all(|&n| n == 1), "a message came twice");
    let expected: BTreeSet<_> = topics
        .iter()
        .flat_map(|t| (0..2).flat_map(move |p| (0..100).map(move |o| (t.clone(), p, o))))
        .collect();
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn while_messages_flow_a_member_joins_and_one_stops_and_none_is_lost_or_repeated() {
    const TOTAL: i64 = 100_000;
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("flow", 4);
    let group = group_name("flow");
    let seen = Deliveries::default();
    let config = || member_config(&cluster, &topic, &group, 6000);
    let a = member(config(), "a", &seen);
    let b = member(config(), "b", &seen);
    a.start().unwrap();
    b.start().unwrap();
    // 100k messages over about 10 s, round the partitions.
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let sent = Arc::new(Mutex::new(0i64));
    let sending = {
        let (topic, sent) = (topic.clone(), sent.clone());
        std::thread::spawn(move || {
            for chunk in 0..200 {
                let payloads = numbered(&format!("c{chunk}-"), 0..500);
                producer.send(&topic, chunk % 4, &payloads).unwrap();
                *sent.lock() += 500;
                std::thread::sleep(Duration::from_millis(50));
            }
            producer.stop(Duration::from_secs(30)).unwrap();
        })
    };
    wait_for("20k sent", JOIN, || *sent.lock() >= 20_000);
    let c = member(config(), "c", &seen);
    c.start().unwrap();
    wait_for("c to get partitions", JOIN, || !c.assignment().is_empty());
    wait_for("60k sent", JOIN, || *sent.lock() >= 60_000);
    a.stop().unwrap();
    sending.join().unwrap();
    wait_for("all 100k", JOIN, || counts(&seen).len() as i64 == TOTAL);
    b.stop().unwrap();
    wait_for("c to take over", JOIN, || c.assignment().len() == 4); // as in the split test
    c.stop().unwrap();
    assert_exactly_once(&seen, 4, TOTAL / 4);
    let by = |name: &str| seen.lock().iter().filter(|m| m.2 == name).count();
    assert!(
        by("a") > 0 && by("b") > 0 && by("c") > 0,
        "a {} b {} c {}",
        by("a"),
        by("b"),
        by("c")
    );
}

#[test]
fn a_restarted_member_resumes_after_the_last_settled_batch() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("resume", 2);
    let group = group_name("resume");
    produce_evenly(&cluster, &topic, 2, 30);
    let first = Deliveries::default();
    let consumer = member(
        member_config(&cluster, &topic, &group, 6000),
        "first",
        &first,
    );
    consumer.start().unwrap();
    wait_for("60 messages", JOIN, || first.lock().len() == 60);
    consumer.stop().unwrap();
    produce_evenly(&cluster, &topic, 2, 20);
    // start_offset applies only where the group has no committed offset.
    let second = Deliveries::default();
    let restarted = member(
        member_config(&cluster, &topic, &group, 6000).start_offset(StartOffset::Earliest),
        "second",
        &second,
    );
    restarted.start().unwrap();
    wait_for("the 40 new messages", JOIN, || second.lock().len() >= 40);
    restarted.stop().unwrap();
    let offsets: BTreeSet<(i32, i64)> = second.lock().iter().map(|m| (m.0, m.1)).collect();
    let expected: BTreeSet<(i32, i64)> =
        (0..2).flat_map(|p| (30..50).map(move |o| (p, o))).collect();
    assert_eq!(offsets, expected);
    assert_eq!(second.lock().len(), 40);
}

/// A pulled member of a group (the hand-over every Node consumer has): its `kn-fetch` thread
/// takes each batch and wakes the caller, who pulls it; one batch at a time, only once the last
/// settled; `next_offsets()` names the batch out's next offsets; what settled is committed, and
/// `stop()` gives up on a batch never settled without committing it.
#[test]
fn a_pulled_group_member_hands_over_one_batch_at_a_time_and_commits_what_settled() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("pulled-group", 1);
    let group = group_name("pulled-group");
    produce_evenly(&cluster, &topic, 1, 40);
    let (woken, wakes) = crossbeam_channel::unbounded();
    let mut config = member_config(&cluster, &topic, &group, 6000)
        .start_offset(StartOffset::Earliest)
        .max_messages_per_callback(10);
    config.stop_timeout = Duration::from_millis(500);
    let consumer = Consumer::pulled(config, move || {
        let _ = woken.send(());
    })
    .unwrap();
    let next_batch = || loop {
        if let Some(batch) = consumer.pull() {
            return batch;
        }
        wakes
            .recv_timeout(Duration::from_secs(60))
            .expect("woken when a batch is there");
    };
    assert!(
        consumer.next_offsets().is_none(),
        "no batch out before start()"
    );
    consumer.start().unwrap();
    let mut read = Vec::new();
    while read.len() < 20 {
        let batch = next_batch();
        assert!(batch.len() <= 10);
        assert!(consumer.pull().is_none(), "a second batch before settle()");
        let last = batch.iter().last().unwrap().offset();
        assert_eq!(
            consumer.next_offsets().unwrap(),
            vec![(kafka_native::TopicPartition::new(&*topic, 0), last + 1)]
        );
        read.extend(batch.iter().map(|m| m.offset()));
        drop(batch);
        consumer.settle(Ok(()));
        assert!(consumer.next_offsets().is_none(), "settled: none out");
    }
    let held = next_batch();
    let next = *read.last().unwrap() + 1;
    assert_eq!(held.iter().next().unwrap().offset(), next);
    assert!(matches!(
        consumer.stop(),
        Err(kafka_native::KafkaError::SettleTimedOut { .. })
    ));
    consumer.settle(Ok(())); // too late: nothing more is committed
    drop(held);
    assert_eq!(read, (0..read.len() as i64).collect::<Vec<_>>());
    let admin = Admin::new(AdminConfig::new(cluster.bootstrap_servers())).unwrap();
    let committed = admin.group_offsets(&group).unwrap();
    assert_eq!(committed.len(), 1, "{committed:?}");
    assert_eq!(committed[0].committed, next, "{committed:?}");
}

/// A member that records what it is handed as "a" and holds its first batch until the test
/// sends on the returned channel.
fn holding_member(
    config: ConsumerConfig,
    seen: &Deliveries,
) -> (Consumer, crossbeam_channel::Sender<()>, Arc<Mutex<bool>>) {
    let (hold_tx, hold_rx) = crossbeam_channel::bounded::<()>(0);
    let held = Arc::new(Mutex::new(false));
    let (seen, held_by_handler) = (seen.clone(), held.clone());
    let consumer = Consumer::new(config, move |batch| {
        seen.lock().extend(
            batch
                .iter()
                .map(|m| (m.partition(), m.offset(), "a".to_string())),
        );
        if !*held_by_handler.lock() {
            *held_by_handler.lock() = true;
            let _ = hold_rx.recv(); // the first batch is held until the test lets go
        }
        Ok(())
    })
    .unwrap();
    (consumer, hold_tx, held)
}

/// For a second, b is handed nothing while a holds its batch.
fn b_gets_nothing_while_a_holds(b: &Consumer, b_seen: &Deliveries) {
    let hold_until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < hold_until {
        assert!(
            b_seen.lock().is_empty(),
            "b got messages while a held its batch"
        );
        assert!(
            b.assignment().is_empty(),
            "a partition moved while a held its batch"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After a let go: b gets its partition, both read what follows, and when a stops b has all.
fn once_a_lets_go_every_message_is_read_once(
    cluster: &TestCluster,
    topic: &str,
    (a, seen): (Consumer, Deliveries),
    (b, b_seen): (&Consumer, Deliveries),
) {
    wait_for("b to get a partition", JOIN, || b.assignment().len() == 1);
    produce_evenly(cluster, topic, 2, 10);
    wait_for("all 40", JOIN, || {
        counts(&seen).len() + counts(&b_seen).len() >= 40
    });
    a.stop().unwrap();
    wait_for("b to take over", JOIN, || b.assignment().len() == 2); // as in the split test
    b.stop().unwrap();
    seen.lock().extend(b_seen.lock().iter().cloned());
    assert_exactly_once(&seen, 2, 20);
}

#[test]
fn a_partition_being_revoked_waits_for_the_batch_in_flight() {
    partition_being_revoked_waits_for_the_batch_in_flight("classic");
}

#[test]
fn a_partition_being_revoked_waits_for_the_batch_in_flight_kip_848() {
    partition_being_revoked_waits_for_the_batch_in_flight("consumer");
}

fn partition_being_revoked_waits_for_the_batch_in_flight(protocol: &str) {
    let cluster = TestCluster::new();
    if protocol == "classic" && !cluster.is_kafka() {
        // Proven on Apache Kafka only. The MockCluster's classic group holds every rebalance
        // for the session timeout less a second, whoever has rejoined, and expires a member
        // waiting in JoinGroup a second later: this test's three rebalances took 89 s here,
        // and its outcome hung on that one-second margin (b's start() ran out of time in two
        // of three fresh-clone CI runs). KIP-848's variant below runs on both.
        eprintln!("classic: on Apache Kafka only (KAFKA_TEST_BROKER=kafka)");
        return;
    }
    let topic = cluster.create_topic(&format!("revoke-{protocol}"), 2);
    let group = group_name(&format!("revoke-{protocol}"));
    produce_evenly(&cluster, &topic, 2, 10);
    // A long classic session, so that no member times out while a holds its batch on a
    // loaded machine: the hold is what is tested, not the session.
    let config = || {
        protocol_config(
            &cluster.bootstrap_servers(),
            &topic,
            &group,
            30_000,
            protocol,
        )
    };
    let seen = Deliveries::default();
    let a_logs = Logs::default();
    let (a, hold_tx, held) = holding_member(
        config()
            .driver_option("debug", "cgrp")
            .on_log(a_logs.handler()),
        &seen,
    );
    a.start().unwrap();
    wait_for("a to hold its first batch", JOIN, || *held.lock());
    let b_seen = Deliveries::default();
    let b = Arc::new(member(config(), "b", &b_seen));
    // b.start() waits for b's first assignment. Under the classic protocol that is an empty
    // one, at once: b has joined, and what a must give up waits for a's batch. Under KIP-848
    // Apache Kafka gives b an epoch at once (start() resolves [] once no assignment follows),
    // while the MockCluster withholds b's epoch until a has let go; either way a's own log of
    // its new target of one partition witnesses that a has been asked to give one up.
    let b_start = std::thread::spawn({
        let b = b.clone();
        move || b.start()
    });
    if protocol == "consumer" {
        wait_for("a to be told to give up a partition", JOIN, || {
            a_logs
                .matching("Reconciliation starts with new target assignment")
                .iter()
                .any(|r| target_partitions(&r.message) == 1)
        });
    } else {
        wait_for("b to join", JOIN, || b_start.is_finished());
    }
    b_gets_nothing_while_a_holds(&b, &b_seen);
    hold_tx.send(()).unwrap();
    let first = b_start.join().unwrap().unwrap();
    assert!(first.len() <= 1, "{first:?}");
    once_a_lets_go_every_message_is_read_once(&cluster, &topic, (a, seen), (&b, b_seen));
}

/// A member that joins a group whose partitions are all taken is assigned none: its start()
/// resolves with that, under either protocol (under KIP-848 librdkafka calls no rebalance
/// callback for an empty first assignment).
fn a_member_beyond_the_partitions_starts_with_none(protocol: &str) {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic(&format!("beyond-{protocol}"), 2);
    let group = group_name(&format!("beyond-{protocol}"));
    let config = || protocol_config(&cluster.bootstrap_servers(), &topic, &group, 6000, protocol);
    let seen = Deliveries::default();
    let a = member(config(), "a", &seen);
    let b = member(config(), "b", &seen);
    a.start().unwrap();
    b.start().unwrap();
    wait_for("a 1/1 split", JOIN, || {
        a.assignment().len() == 1 && b.assignment().len() == 1
    });
    let c = member(config(), "c", &seen);
    assert_eq!(c.start().unwrap(), Vec::new());
    assert!(c.assignment().is_empty());
    produce_evenly(&cluster, &topic, 2, 10);
    wait_for("20 messages", JOIN, || counts(&seen).len() == 20);
    assert!(seen.lock().iter().all(|(_, _, m)| m != "c"));
    for m in [a, b, c] {
        m.stop().unwrap();
    }
}

#[test]
fn a_member_beyond_the_partitions_starts_with_none_classic() {
    a_member_beyond_the_partitions_starts_with_none("classic");
}

#[test]
fn a_member_beyond_the_partitions_starts_with_none_kip_848() {
    a_member_beyond_the_partitions_starts_with_none("consumer");
}

/// The partitions in librdkafka's log of a KIP-848 target assignment:
/// `... new target assignment "t(id)[0], t(id)[1]" ...`.
fn target_partitions(message: &str) -> usize {
    message
        .split('"')
        .nth(1)
        .map_or(0, |list| list.matches(']').count())
}

#[test]
fn stop_leaves_the_group_at_once_and_the_others_take_over() {
    // With a 12 s session timeout, a member that vanished would be replaced only after 12 s;
    // one that left is replaced at the next rebalance.
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("leave", 4);
    let group = group_name("leave");
    let seen = Deliveries::default();
    let a = member(member_config(&cluster, &topic, &group, 12_000), "a", &seen);
    let b = member(member_config(&cluster, &topic, &group, 12_000), "b", &seen);
    a.start().unwrap();
    b.start().unwrap();
    wait_for("a 2/2 split", JOIN, || {
        a.assignment().len() == 2 && b.assignment().len() == 2
    });
    let stopped = Instant::now();
    a.stop().unwrap();
    wait_for("b to take over all 4", JOIN, || b.assignment().len() == 4);
    let took = stopped.elapsed();
    b.stop().unwrap();
    assert!(
        took < Duration::from_secs(12),
        "took {took:?}: b waited for the session timeout"
    );
}

#[test]
fn a_stop_that_gives_up_on_its_batch_still_leaves_the_group() {
    // Member a's handler never settles its batch (until the test ends). Its stop() gives up
    // after its stop timeout and must still leave the group: b then holds every partition and
    // reads a's unsettled batch again. A member that stayed would keep its partitions for as
    // long as its process lives, its heartbeats going on.
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("giveup", 2);
    let group = group_name("giveup");
    produce_evenly(&cluster, &topic, 2, 5);
    let handed_to_a = Arc::new(Mutex::new(0usize));
    let (release, held) = std::sync::mpsc::channel::<()>();
    let mut a_config = member_config(&cluster, &topic, &group, 6_000);
    a_config.stop_timeout = Duration::from_secs(2);
    let a = {
        let handed = handed_to_a.clone();
        Consumer::new(a_config, move |batch| {
            *handed.lock() += batch.len();
            let _ = held.recv(); // never settles while the test runs
            Ok(())
        })
        .unwrap()
    };
    a.start().unwrap();
    wait_for("a batch in a's hands", JOIN, || *handed_to_a.lock() > 0);
    let seen = Deliveries::default();
    let b = Arc::new(member(
        member_config(&cluster, &topic, &group, 6_000),
        "b",
        &seen,
    ));
    // b's join needs a's partitions, which a cannot give up while it holds its batch.
    let joining = {
        let b = b.clone();
        std::thread::spawn(move || b.start())
    };
    let stopped = a.stop();
    assert!(
        matches!(
            stopped,
            Err(kafka_native::KafkaError::SettleTimedOut { .. })
        ),
        "{stopped:?}"
    );
    joining.join().unwrap().unwrap();
    wait_for(
        "b to read every message, a's unsettled batch too",
        JOIN,
        || counts(&seen).len() == 10,
    );
    assert_eq!(b.assignment().len(), 2);
    drop(release);
    b.stop().unwrap();
    let read: BTreeSet<(i32, i64)> = counts(&seen).into_keys().collect();
    assert_eq!(read, every_offset(2, 5));
}

#[test]
fn a_commit_made_while_another_member_joins_is_taken_at_once() {
    // a settles a batch while b's join holds the group in its joining phase; a hears of that
    // rebalance only at its next heartbeat, 9 s after it joined. Apache Kafka takes a commit of
    // the current generation in that phase. The MockCluster refused it until librdkafka's mock
    // was patched (deps/README.md): the commit waited for a's next heartbeat, and a member
    // stopping or giving up partitions then gave up its commit, so what it read came again.
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("joining", 2);
    let group = group_name("joining");
    produce_evenly(&cluster, &topic, 2, 10);
    let config = || {
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .group_id(&group)
            .driver_option("session.timeout.ms", "12000")
            .driver_option("heartbeat.interval.ms", "9000")
    };
    let seen = Deliveries::default();
    let (a, hold_tx, held) = holding_member(config().on_log(|_| {}), &seen);
    a.start().unwrap();
    wait_for("a to hold its first batch", JOIN, || *held.lock());
    let first_batch: BTreeMap<i32, i64> = seen.lock().iter().fold(BTreeMap::new(), |mut m, e| {
        let next = m.entry(e.0).or_insert(0);
        *next = (*next).max(e.1 + 1);
        m
    });
    let b_seen = Deliveries::default();
    let b_logs = Logs::default();
    let b = Arc::new(member(
        config()
            .driver_option("debug", "protocol")
            .on_log(b_logs.handler()),
        "b",
        &b_seen,
    ));
    let b_start = std::thread::spawn({
        let b = b.clone();
        move || b.start()
    });
    wait_for("b to send its JoinGroup", JOIN, || {
        !b_logs.matching("Sent JoinGroupRequest").is_empty()
    });
    hold_tx.send(()).unwrap();
    // Taken at once: well before a's next heartbeat could let the group move on.
    let admin = Admin::new(AdminConfig::new(cluster.bootstrap_servers())).unwrap();
    wait_for(
        "a's commit of its first batch",
        Duration::from_secs(5),
        || {
            let committed = admin.group_offsets(&group).unwrap();
            first_batch.iter().all(|(&p, &next)| {
                committed
                    .iter()
                    .any(|c| c.partition == p && c.committed >= next)
            })
        },
    );
    assert!(!b_start.is_finished(), "the group was still joining");
    a.stop().unwrap();
    b_start.join().unwrap().unwrap();
    wait_for("b to read the rest", JOIN, || {
        counts(&seen).len() + counts(&b_seen).len() >= 20
    });
    b.stop().unwrap();
    seen.lock().extend(b_seen.lock().iter().cloned());
    assert_exactly_once(&seen, 2, 10);
}

/// Run by `a_killed_member_is_replaced_with_no_gap` as a separate process (then killed): a slow
/// group member (10 messages per 200 ms batch) that prints each message it is handed, when it
/// is handed, so the batch it holds when killed is printed but not settled.
#[test]
#[ignore = "the child process of a_killed_member_is_replaced_with_no_gap"]
fn killed_member_child() {
    let brokers = std::env::var("CHILD_BROKERS").unwrap();
    let topic = std::env::var("CHILD_TOPIC").unwrap();
    let group = std::env::var("CHILD_GROUP").unwrap();
    let protocol = std::env::var("CHILD_PROTOCOL").unwrap();
    let consumer = Consumer::new(
        protocol_config(&brokers, &topic, &group, 6000, &protocol).max_messages_per_callback(10),
        |batch| {
            let mut out = std::io::stdout().lock();
            for m in batch.iter() {
                writeln!(out, "{} {}", m.partition(), m.offset()).unwrap();
            }
            out.flush().unwrap();
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    // Until killed; if the test itself is gone, its end of stdin closes and so does this.
    let _ = std::io::stdin().read_line(&mut String::new());
}

#[test]
fn a_killed_member_is_replaced_with_no_gap() {
    killed_member_is_replaced_with_no_gap("classic");
}

#[test]
fn a_killed_member_is_replaced_with_no_gap_kip_848() {
    killed_member_is_replaced_with_no_gap("consumer");
}

fn killed_member_is_replaced_with_no_gap(protocol: &str) {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic(&format!("killed-{protocol}"), 4);
    let group = group_name(&format!("killed-{protocol}"));
    produce_evenly(&cluster, &topic, 4, 500);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "killed_member_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--quiet",
        ])
        .env("CHILD_BROKERS", cluster.bootstrap_servers())
        .env("CHILD_TOPIC", &topic)
        .env("CHILD_GROUP", &group)
        .env("CHILD_PROTOCOL", protocol)
        .stdin(Stdio::piped()) // held open: the child lives until killed or this test ends
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child_seen: Arc<Mutex<Vec<(i32, i64)>>> = Arc::default();
    let reader = {
        let (stdout, child_seen) = (child.stdout.take().unwrap(), child_seen.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut parts = line.split(' ').map(|n| n.parse::<i64>());
                if let (Some(Ok(p)), Some(Ok(o))) = (parts.next(), parts.next()) {
                    child_seen.lock().push((p as i32, o));
                }
            }
        })
    };
    wait_for("the child to read 100", JOIN, || {
        child_seen.lock().len() >= 100
    });
    let seen = Deliveries::default();
    let survivor = member(
        protocol_config(&cluster.bootstrap_servers(), &topic, &group, 6000, protocol),
        "survivor",
        &seen,
    );
    survivor.start().unwrap();
    wait_for("a split with the child", JOIN, || {
        survivor.assignment().len() == 2
    });
    // Once the child has been handed 3 more batches, the group has settled and the commits the
    // rebalance held up (a rejoin holds a member's requests) have gone out: what a kill loses
    // now is only what the child holds.
    let read_at_split = child_seen.lock().len();
    wait_for("the child to read on after the split", JOIN, || {
        child_seen.lock().len() >= read_at_split + 30
    });
    // The partitions the child holds now are the ones the kill concerns. What the survivor got
    // at the split may also repeat what the child read: a broker refuses commits while a group
    // syncs, and a revocation waits only so long for them (see REVOKE_COMMIT_WAIT).
    let survivor_had: BTreeSet<i32> = survivor
        .assignment()
        .iter()
        .map(|tp| tp.partition)
        .collect();
    child.kill().unwrap(); // SIGKILL: no leave, no commit
    child.wait().unwrap();
    reader.join().unwrap();
    wait_for("the survivor to take over", JOIN, || {
        survivor.assignment().len() == 4
    });
    let child_seen: BTreeSet<(i32, i64)> = child_seen.lock().iter().copied().collect();
    wait_for("every message", JOIN, || {
        let mine: BTreeSet<(i32, i64)> = seen.lock().iter().map(|m| (m.0, m.1)).collect();
        mine.union(&child_seen).count() == 2000
    });
    survivor.stop().unwrap();
    let mine = counts(&seen);
    assert!(
        mine.values().all(|&n| n == 1),
        "the survivor got a message twice"
    );
    let again: Vec<(i32, i64)> = mine
        .keys()
        .filter(|k| !survivor_had.contains(&k.0) && child_seen.contains(k))
        .copied()
        .collect();
    // Only what the child was handed but had not committed: the batch in flight (20 at most),
    // and one settled batch whose commit may not have gone out yet.
    assert!(
        again.len() <= 40,
        "{} delivered again: {again:?}",
        again.len()
    );
    eprintln!("delivered again after kill -9: {}", again.len());
    // What the child was handed but had not settled (the batch it held, 10 at most) comes
    // again, and at most one settled batch whose commit had not gone out yet: nothing else.
    assert!(
        (1..=20).contains(&again.len()),
        "{} delivered again: {again:?}",
        again.len()
    );
}

#[test]
fn a_group_member_rebalances_through_its_callback_and_names_the_changes() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("told", 2);
    let group = group_name("told");
    let changes = Arc::new(Mutex::new(Vec::new()));
    let sink = changes.clone();
    let logs = Logs::default();
    let consumer = Consumer::new(
        member_config(&cluster, &topic, &group, 6000)
            .on_log(logs.handler())
            .on_rebalance(move |change| sink.lock().push(change.clone())),
        |_| Ok(()),
    )
    .unwrap();
    let assigned = consumer.start().unwrap();
    assert_eq!(partitions(&assigned), vec![0, 1]);
    assert_eq!(consumer.assignment(), assigned);
    consumer.stop().unwrap();
    let changes = changes.lock();
    assert_eq!(changes.first().unwrap().assigned, assigned);
    assert_eq!(changes.last().unwrap().revoked, assigned, "{changes:?}");
}

#[test]
fn the_consumer_group_protocol_of_kip_848_splits_and_delivers_once() {
    // The MockCluster and Apache Kafka 4 both speak KIP-848's ConsumerGroupHeartbeat.
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("kip848", 4);
    produce_evenly(&cluster, &topic, 4, 100);
    let group = group_name("kip848");
    let seen = Deliveries::default();
    let config = || {
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .group_id(&group)
            .group_protocol(GroupProtocol::Consumer)
            .on_log(|_| {})
    };
    let a = member(config(), "a", &seen);
    let b = member(config(), "b", &seen);
    a.start().unwrap();
    b.start().unwrap();
    wait_for("a 2/2 split", JOIN, || {
        a.assignment().len() == 2 && b.assignment().len() == 2
    });
    wait_for("400 messages", JOIN, || counts(&seen).len() == 400);
    a.stop().unwrap();
    wait_for("b to take over", JOIN, || b.assignment().len() == 4);
    produce_evenly(&cluster, &topic, 4, 100);
    wait_for("800 messages", JOIN, || counts(&seen).len() == 800);
    b.stop().unwrap();
    assert_exactly_once(&seen, 4, 200);
}

#[test]
fn only_a_consumer_that_commits_nothing_itself_gives_its_group_metadata_to_transactions() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("metadata", 1);
    let seen = Deliveries::default();
    let config = |group: &str| member_config(&cluster, &topic, group, 6000);
    let own_commits = member(config(&group_name("metadata-auto")), "auto", &seen);
    own_commits.start().unwrap();
    let err = own_commits.group_metadata().err().expect("refused");
    assert!(
        err.to_string().contains("auto_commit must be false"),
        "{err}"
    );
    own_commits.stop().unwrap();
    let manual = member(
        config(&group_name("metadata-manual")).manual_commit(),
        "manual",
        &seen,
    );
    assert!(manual.group_metadata().is_err(), "not started yet");
    manual.start().unwrap();
    assert!(manual.group_metadata().is_ok());
    manual.stop().unwrap();
}
