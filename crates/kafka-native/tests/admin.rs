//! The admin client against whichever broker `KAFKA_TEST_BROKER` names (`npm test` runs it on the
//! MockCluster and on Apache Kafka). The MockCluster has no CreateTopics, DeleteTopics,
//! ListGroups, DescribeGroups, DescribeConfigs, AlterConfigs or DeleteRecords: there those fail
//! at once, naming what to use.

use std::time::{Duration, Instant};

use kafka_native::{
    Admin, AdminConfig, ConfigResource, ConfigSource, Consumer, ConsumerConfig, ErrorCode,
    NewTopic, Producer, ProducerConfig, Record, TopicPartition,
};

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
    // -1 partitions: the broker's num.partitions (4 on the test brokers: js/dev-cluster/cluster.js).
    let defaulted = format!("{topic}-defaulted");
    admin
        .create_topics(&[NewTopic::new(&defaulted, -1)])
        .unwrap();
    let listed = admin.list_topics().unwrap();
    let ours_defaulted = listed
        .iter()
        .find(|t| t.topic == defaulted)
        .expect("listed");
    assert_eq!(ours_defaulted.partitions, 4);
    admin
        .delete_topics(std::slice::from_ref(&defaulted))
        .unwrap();
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
fn the_cluster_and_its_topics_are_described_with_each_partitions_placement() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = cluster.create_topic("described", 3);
    let described = admin.describe_cluster().unwrap();
    assert!(!described.brokers.is_empty(), "{described:?}");
    let ids: Vec<i32> = described.brokers.iter().map(|b| b.id).collect();
    let controller = described.controller.expect("a controller");
    assert!(ids.contains(&controller), "{described:?}");
    assert!(described
        .brokers
        .iter()
        .all(|b| b.port > 0 && !b.host.is_empty()));
    assert!(described.cluster_id.is_some_and(|id| !id.is_empty()));
    let [t] = &admin.describe_topics(std::slice::from_ref(&topic)).unwrap()[..] else {
        panic!("one topic");
    };
    assert_eq!(t.topic, topic);
    let partitions: Vec<i32> = t.partitions.iter().map(|p| p.partition).collect();
    assert_eq!(partitions, vec![0, 1, 2]);
    for p in &t.partitions {
        assert!(ids.contains(&p.leader), "{p:?}");
        assert_eq!(p.replicas.len(), 1, "{p:?}");
        assert_eq!(p.in_sync_replicas, p.replicas, "{p:?}");
        assert_eq!(p.error, None);
    }
    let every = admin.describe_topics(&[]).unwrap();
    assert!(every.iter().any(|t| t.topic == topic));
    let missing = format!("{topic}-missing");
    let err = admin
        .describe_topics(&[topic.clone(), missing.clone()])
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::UnknownTopicOrPartition),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("{missing:?}")), "{err}");
}

#[test]
fn offsets_are_found_by_time() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = cluster.create_topic("by-time", 1);
    let hour = 3_600_000i64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let producer = Producer::new(ProducerConfig::new(cluster.bootstrap_servers())).unwrap();
    let records: Vec<Record<'_>> = [3, 2, 1]
        .iter()
        .map(|ago| Record {
            key: None,
            payload: Some(b"at"),
            headers: &[],
            timestamp: Some(now - ago * hour),
        })
        .collect();
    assert_eq!(
        producer.send_records(&topic, 0, &records).unwrap().enqueued,
        3
    );
    producer.stop(Duration::from_secs(20)).unwrap();
    let at = |t: i64| -> Option<i64> {
        let found = admin.offsets_at_time(&topic, t).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].offset
    };
    // The MockCluster finds no offset by time, whatever the time.
    assert_eq!(at(now + hour), None);
    if !cluster.is_kafka() {
        assert_eq!(at(now - 4 * hour), None);
        return;
    }
    assert_eq!(at(now - 4 * hour), Some(0));
    assert_eq!(at(now - 3 * hour), Some(0));
    assert_eq!(at(now - 2 * hour - 1), Some(1));
    assert_eq!(at(now - hour), Some(2));
    let err = admin.offsets_at_time(&topic, -5).unwrap_err();
    assert!(err.to_string().contains("timestamp"), "{err}");
}

#[test]
fn a_groups_members_and_their_assignments_are_described() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = cluster.create_topic("members", 2);
    let group = format!("described-{}", std::process::id());
    if !cluster.is_kafka() {
        let err = admin
            .describe_groups(std::slice::from_ref(&group))
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::UnsupportedFeature), "{err}");
        assert!(err.to_string().contains("MockCluster"), "{err}");
        return;
    }
    let consumer = Consumer::new(
        ConsumerConfig::new(cluster.bootstrap_servers(), &topic)
            .group_id(&group)
            .driver_option("client.id", "describer")
            .on_log(|_| {}),
        |_| Ok(()),
    )
    .unwrap();
    consumer.start().unwrap();
    let wanted = vec![
        TopicPartition::new(topic.as_str(), 0),
        TopicPartition::new(topic.as_str(), 1),
    ];
    // The group is Stable once its one member has both partitions.
    let mut last = None;
    wait_for("the group to be stable", Duration::from_secs(60), || {
        let [g] = &admin.describe_groups(std::slice::from_ref(&group)).unwrap()[..] else {
            panic!("one group");
        };
        last = Some(g.clone());
        g.state == "Stable" && g.members.len() == 1 && g.members[0].assignment == wanted
    });
    let g = last.unwrap();
    assert_eq!(g.group_id, group);
    assert!(!g.simple);
    assert!(!g.partition_assignor.is_empty(), "{g:?}");
    assert!(g.coordinator.is_some(), "{g:?}");
    let m = &g.members[0];
    assert_eq!(m.client_id, "describer");
    assert!(!m.member_id.is_empty() && !m.host.is_empty(), "{m:?}");
    consumer.stop().unwrap();
    let nobody = format!("{group}-nobody");
    let [g] = &admin
        .describe_groups(std::slice::from_ref(&nobody))
        .unwrap()[..]
    else {
        panic!("one group");
    };
    assert_eq!((g.state.as_str(), g.members.len()), ("Dead", 0), "{g:?}");
}

#[test]
fn configs_are_described_set_replaced_and_records_deleted() {
    let cluster = TestCluster::new();
    let admin = admin(&cluster);
    let topic = cluster.create_topic("configs", 2);
    let resource = ConfigResource::topic(&topic);
    if !cluster.is_kafka() {
        for err in [
            admin
                .describe_configs(std::slice::from_ref(&resource))
                .unwrap_err(),
            admin
                .set_configs(&[(resource.clone(), vec![("retention.ms".into(), "1".into())])])
                .unwrap_err(),
            admin
                .delete_records(&[(TopicPartition::new(topic.as_str(), 0), -1)])
                .unwrap_err(),
        ] {
            assert_eq!(err.code(), Some(ErrorCode::UnsupportedFeature), "{err}");
            assert!(err.to_string().contains("MockCluster"), "{err}");
        }
        return;
    }
    let value = |name: &str| {
        let [d] = &admin
            .describe_configs(std::slice::from_ref(&resource))
            .unwrap()[..]
        else {
            panic!("one resource");
        };
        assert_eq!(d.resource, resource);
        let e = d.entries.iter().find(|e| e.name == name).unwrap().clone();
        (e.value, e.source, e.is_default)
    };
    let (_, source, is_default) = value("retention.ms");
    assert_eq!((source, is_default), (ConfigSource::Default, true));
    let set = |name: &str, v: &str| (name.to_string(), v.to_string());
    admin
        .set_configs(&[(resource.clone(), vec![set("retention.ms", "3600000")])])
        .unwrap();
    admin
        .set_configs(&[(resource.clone(), vec![set("max.message.bytes", "200000")])])
        .unwrap();
    // A broker applies an alteration once it has it from the controller: a moment later.
    wait_for("max.message.bytes set", Duration::from_secs(30), || {
        value("max.message.bytes").0.as_deref() == Some("200000")
    });
    // Incremental: the first setting stays.
    let (v, source, _) = value("retention.ms");
    assert_eq!(
        (v.as_deref(), source),
        (Some("3600000"), ConfigSource::DynamicTopic)
    );
    // Replace: what is not named returns to its default.
    admin
        .replace_configs(&[(resource.clone(), vec![set("max.message.bytes", "300000")])])
        .unwrap();
    wait_for(
        "max.message.bytes replaced",
        Duration::from_secs(30),
        || value("max.message.bytes").0.as_deref() == Some("300000"),
    );
    assert_eq!(value("retention.ms").1, ConfigSource::Default);
    let err = admin
        .set_configs(&[(resource.clone(), vec![set("no.such.setting", "1")])])
        .unwrap_err();
    assert!(err.to_string().contains(&format!("{topic:?}")), "{err}");
    let broker = admin.describe_cluster().unwrap().brokers[0].id;
    let [b] = &admin
        .describe_configs(&[ConfigResource::broker(broker)])
        .unwrap()[..]
    else {
        panic!("one broker");
    };
    assert!(
        b.entries.iter().any(|e| e.name == "num.partitions"),
        "{b:?}"
    );
    let err = admin
        .describe_configs(&[ConfigResource {
            kind: kafka_native::ResourceKind::Broker,
            name: "first".into(),
        }])
        .unwrap_err();
    assert!(err.to_string().contains("\"first\""), "{err}");

    produce_count(&cluster, &topic, 10);
    let tp = |p| TopicPartition::new(topic.as_str(), p);
    let low = admin.delete_records(&[(tp(0), 4), (tp(1), -1)]).unwrap();
    assert_eq!(low, vec![(tp(0), 4), (tp(1), 0)]);
    let marks = admin.watermarks(&topic, 0).unwrap();
    assert_eq!((marks.low, marks.high), (4, 10));
    let low = admin.delete_records(&[(tp(0), -1)]).unwrap();
    assert_eq!(low, vec![(tp(0), 10)]);
    let err = admin.delete_records(&[(tp(0), 11)]).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::OffsetOutOfRange), "{err}");
    assert!(err.to_string().contains(&format!("{topic}/0")), "{err}");
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
    assert!(
        err.to_string().contains("-1 for the broker's default"),
        "{err}"
    );
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
