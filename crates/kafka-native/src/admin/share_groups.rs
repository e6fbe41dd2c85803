//! A share group's offsets (KIP-932): where each of its share-partitions starts, how far it is
//! behind, moving the start and forgetting a topic, as Kafka's Java `Admin`
//! (`listShareGroupOffsets`, `alterShareGroupOffsets`, `deleteShareGroupOffsets`) and
//! `kafka-share-groups.sh --describe --offsets`, `--reset-offsets`, `--delete-offsets` do.
//! librdkafka reaches them through its consumer-group offset calls with the option
//! `share_group` (patch 32); Apache Kafka 4.1 or later.

use crate::consumer::StartOffset;
use crate::error::KafkaError;
use crate::native::{GroupKind, PartitionList};
use crate::topic_partition::TopicPartition;

use super::Admin;

/// One partition of a share group's offsets ([`Admin::share_group_offsets`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharePartitionOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The share-partition start offset: every record before it is done with (acknowledged,
    /// rejected or archived), and the group delivers from it on.
    pub start_offset: i64,
    /// The partition's leader epoch the start offset was recorded in, where the broker says.
    pub leader_epoch: Option<i32>,
    /// Records from the start offset on the group has not yet finished with, as the broker
    /// counts them (`None` from a broker that does not: DescribeShareGroupOffsets v0).
    pub lag: Option<i64>,
}

impl Admin {
    /// Where `group_id`, a share group, stands on each partition it has begun: its start
    /// offset, leader epoch and lag, sorted by topic and partition (empty for a group that has
    /// begun none). As `kafka-share-groups.sh --describe --offsets`.
    pub fn share_group_offsets(
        &self,
        group_id: &str,
    ) -> Result<Vec<SharePartitionOffset>, KafkaError> {
        let what = format!("offsets of share group {group_id:?}");
        self.check_share_group(group_id, &what)?;
        let described = self.ask(&what, |t| {
            self.client
                .group_committed_offsets(GroupKind::Share, group_id, None, t)
        })?;
        if let Some((code, topic, partition)) = described.iter().find_map(|d| {
            d.entry
                .error
                .map(|code| (code, &d.entry.topic, d.entry.partition))
        }) {
            return Err(KafkaError::kafka(
                code,
                &format!("{what}: {topic}/{partition}"),
                String::new(),
            ));
        }
        let mut offsets: Vec<SharePartitionOffset> = described
            .into_iter()
            .map(|d| SharePartitionOffset {
                topic: d.entry.topic,
                partition: d.entry.partition,
                start_offset: d.entry.offset,
                leader_epoch: (d.leader_epoch >= 0).then_some(d.leader_epoch),
                lag: (d.share_lag >= 0).then_some(d.share_lag),
            })
            .collect();
        offsets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(offsets)
    }

    /// Moves the start offset of `group_id`, a share group, on each partition given: to an
    /// offset, or to the partition's earliest or latest offset (read from its leader now). The
    /// group must have no members (`NON_EMPTY_GROUP` otherwise, as Kafka answers); what it
    /// delivers next starts there. For a time, give [`Admin::offsets_at_time`]'s offsets. As
    /// `kafka-share-groups.sh --reset-offsets --execute`.
    pub fn set_share_group_offsets(
        &self,
        group_id: &str,
        offsets: &[(TopicPartition, StartOffset)],
    ) -> Result<(), KafkaError> {
        let what = format!("set offsets of share group {group_id:?}");
        self.check_share_group(group_id, &what)?;
        if offsets.is_empty() {
            return Err(KafkaError::invalid("offsets", "must name a partition"));
        }
        let mut entries = Vec::with_capacity(offsets.len());
        for (tp, start) in offsets {
            if tp.partition < 0 {
                return Err(KafkaError::invalid(
                    "offsets",
                    format!("{}/{}: a partition is 0 or more", tp.topic, tp.partition),
                ));
            }
            let offset = match *start {
                StartOffset::Offset(offset) if offset >= 0 => offset,
                StartOffset::Offset(offset) => {
                    return Err(KafkaError::invalid(
                        "offsets",
                        format!("{}/{}: offset {offset} is below 0", tp.topic, tp.partition),
                    ))
                }
                StartOffset::Earliest => self.watermarks(&tp.topic, tp.partition)?.low,
                StartOffset::Latest => self.watermarks(&tp.topic, tp.partition)?.high,
            };
            entries.push((tp.topic.as_str(), tp.partition, offset));
        }
        let list = PartitionList::of(&entries)?;
        self.ask(&what, |t| {
            self.client
                .alter_group_offsets(GroupKind::Share, group_id, &list, t)
        })
    }

    /// Forgets the offsets of `group_id`, a share group, on every partition of `topics`: the
    /// group starts those topics over as it would a new one. The group must have no members.
    /// As `kafka-share-groups.sh --delete-offsets`.
    pub fn delete_share_group_offsets(
        &self,
        group_id: &str,
        topics: &[String],
    ) -> Result<(), KafkaError> {
        let what = format!("delete offsets of share group {group_id:?}");
        self.check_share_group(group_id, &what)?;
        if topics.is_empty() {
            return Err(KafkaError::invalid("topics", "must name a topic"));
        }
        for topic in topics {
            crate::config::validate_topic_name(topic)?;
        }
        super::refuse_duplicates(topics.iter().map(String::as_str))?;
        // The request names topics: one entry each stands for the whole topic.
        let entries: Vec<(&str, i32, i64)> = topics.iter().map(|t| (t.as_str(), 0, 0)).collect();
        let list = PartitionList::of(&entries)?;
        let deleted = self.ask(&what, |t| {
            self.client
                .delete_group_offsets(GroupKind::Share, group_id, &list, t)
        })?;
        match deleted
            .into_iter()
            .find_map(|e| e.error.map(|code| (code, e.topic)))
        {
            Some((code, topic)) => Err(KafkaError::kafka(
                code,
                &format!("{what}: {topic}"),
                String::new(),
            )),
            None => Ok(()),
        }
    }

    fn check_share_group(&self, group_id: &str, what: &str) -> Result<(), KafkaError> {
        if group_id.trim().is_empty() {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        self.refuse_on_mock(what, "it has no share groups")
    }
}
