//! The admin client against whichever broker `KAFKA_TEST_BROKER` names (`npm test` runs it on the
//! MockCluster and on Apache Kafka). The MockCluster has no CreateTopics, DeleteTopics or
//! ListGroups: there those fail at once, naming what to use.

use std::time::{Duration, Instant};

use kafka_native::{Admin, AdminConfig, Consumer, ConsumerConfig, ErrorCode, NewTopic};

mod common;
use common::{numbered, wait_for, TestCluster};

fn admin(cluster: &TestCluster) -> Admin {
    Admin::new(AdminConfig::new(cluster.bootstrap_servers()).on_log(|_| {})).unwrap()
}

/// Produces `count` messages to partition 0 and waits for their delivery.
fn produce_count(cluster: &TestCluster, topic: &str, count: i32) {
    common::produce(
        &cluster.bootstrap_servers(),
        topic,
        0,
        &numbered("m", 0..count),
    );
}

#[test]
fn topics_are_created_listed_and_deleted_or_refused_at_once_on_the_mock() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = format!("created-{}", std::process::id());
    let mut spec = NewTopic::new(&topic, 6);
    spec.config.push(("retention.ms".into(), "3600000".into()));
    let started = Instant::now();
    let result = admin.create_topics(&[spec]);
    if !cluster.is_kafka() {
        let err = result.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(err.code(), Some(ErrorCode::UnsupportedFeature), "{err}");
        assert!(err.to_string().contains("MockCluster.createTopic"), "{err}");
        let err = admin
            .delete_topics(std::slice::from_ref(&topic))
            .unwrap_err();
        assert!(err.to_string().contains("MockCluster"), "{err}");
        return;
    }
    result.unwrap();
    let listed = admin.list_topics().unwrap();
    let ours = listed
        .iter()
        .find(|t| t.topic == topic)
        .expect("the created topic is listed");
    assert_eq!(ours.partitions, 6);
    // Creating it again names it and librdkafka's error.
    let err = admin
        .create_topics(&[NewTopic::new(&topic, 6)])
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TopicAlreadyExists), "{err}");
    assert!(err.to_string().contains(&format!("{topic:?}")), "{err}");
    assert!(err.to_string().contains("TOPIC_ALREADY_EXISTS"), "{err}");
    admin.delete_topics(std::slice::from_ref(&topic)).unwrap();
    wait_for("the topic to go", Duration::from_secs(20), || {
        admin
            .list_topics()
            .unwrap()
            .iter()
            .all(|t| t.topic != topic)
    });
}

#[test]
fn watermarks_after_producing_100() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("marks", 1);
    produce_count(&cluster, &topic, 100);
    let marks = admin(&cluster).watermarks(&topic, 0).unwrap();
    assert_eq!((marks.low, marks.high), (0, 100));
}

#[test]
fn a_groups_offsets_and_lag_after_it_consumed_60_of_100() {
    let cluster = TestCluster::new();
    let topic = cluster.create_topic("lag", 1);
    let group = format!("lag-{}", std::process::id());
    produce_count(&cluster, &topic, 60);
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(0));
    let sink = seen.clone();
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .group_id(&group)
            .driver_option("session.timeout.ms", "6000")
            .on_log(|_| {}),
        move |batch| {
            *sink.lock() += batch.len();
            Ok(())
        },
    )
    .unwrap();
    consumer.start().unwrap();
    wait_for("60 messages", Duration::from_secs(60), || {
        *seen.lock() == 60
    });
    consumer.stop().unwrap(); // commits what settled
    produce_count(&cluster, &topic, 40);
    let admin = admin(&cluster);
    let offsets = admin.group_offsets(&group).unwrap();
    assert_eq!(offsets.len(), 1, "{offsets:?}");
    let o = &offsets[0];
    assert_eq!((o.topic.as_str(), o.partition), (topic.as_str(), 0));
    assert_eq!((o.committed, o.high_watermark, o.lag), (60, 100, 40));
    if cluster.is_kafka() {
        let groups = admin.list_groups().unwrap();
        assert!(groups.iter().any(|g| g.group_id == group), "{groups:?}");
    } else {
        let err = admin.list_groups().unwrap_err();
        assert!(err.to_string().contains("MockCluster"), "{err}");
    }
}

#[test]
fn partitions_added_a_groups_offsets_set_and_the_group_deleted() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = cluster.create_topic("grow", 2);
    let group = format!("set-{}", std::process::id());
    let tp = |p| kafka_native::TopicPartition::new(topic.as_str(), p);
    if !cluster.is_kafka() {
        for err in [
            admin.create_partitions(&[(topic.clone(), 4)]).unwrap_err(),
            admin
                .delete_groups(std::slice::from_ref(&group))
                .unwrap_err(),
        ] {
            assert_eq!(err.code(), Some(ErrorCode::UnsupportedFeature), "{err}");
            assert!(err.to_string().contains("MockCluster"), "{err}");
        }
        return;
    }
    admin.create_partitions(&[(topic.clone(), 4)]).unwrap();
    let listed = admin.list_topics().unwrap();
    assert_eq!(
        listed.iter().find(|t| t.topic == topic).unwrap().partitions,
        4
    );
    let err = admin.create_partitions(&[(topic.clone(), 3)]).unwrap_err();
    assert!(err.to_string().contains(&format!("{topic:?}")), "{err}");
    produce_count(&cluster, &topic, 10);
    admin
        .set_group_offsets(&group, &[(tp(0), 7), (tp(3), 0)])
        .unwrap();
    let offsets = admin.group_offsets(&group).unwrap();
    let committed: Vec<(i32, i64)> = offsets.iter().map(|o| (o.partition, o.committed)).collect();
    assert_eq!(committed, vec![(0, 7), (3, 0)]);
    assert!(admin.set_group_offsets(&group, &[(tp(0), -1)]).is_err());
    admin.delete_groups(std::slice::from_ref(&group)).unwrap();
    assert!(admin.group_offsets(&group).unwrap().is_empty());
    let err = admin
        .delete_groups(std::slice::from_ref(&group))
        .unwrap_err();
    assert!(err.to_string().contains(&format!("{group:?}")), "{err}");
}

#[test]
fn admin_errors_name_what_is_wrong() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let err = admin
        .create_topics(&[NewTopic::new("bad name", 1)])
        .unwrap_err();
    assert!(err.to_string().contains("topic"), "{err}");
    let err = admin
        .create_topics(&[NewTopic::new("zero", 0)])
        .unwrap_err();
    assert!(err.to_string().contains("partitions"), "{err}");
    assert!(admin
        .group_offsets(" ")
        .unwrap_err()
        .to_string()
        .contains("group_id"));
    let unreachable = Admin::new(AdminConfig::new("nonsense:9092").on_log(|_| {})).unwrap();
    let started = Instant::now();
    let err = unreachable.list_topics().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("nonsense"), "{err}");
}
