//! What a share consumer did since it started: records acquired, and of those delivered again;
//! acknowledgements made, by type; records whose lock ran out in its hands; and records whose
//! acknowledgement the broker refused or that could not be sent. Counted per partition on the share
//! thread as it happens; read with [`ShareConsumer::stats`](super::ShareConsumer::stats), from any
//! thread, under a lock taken as briefly (never across a call into librdkafka).

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::acknowledgement::Acknowledgement;

/// A share consumer's counts since it started, in all and per partition (see
/// [`ShareConsumer::stats`](super::ShareConsumer::stats)). librdkafka's share consumer reports
/// no statistics of its own; these are kafka-native's, as Java's share-consumer metrics count
/// records fetched and acknowledgements sent and failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareStats {
    /// The counts of all partitions together.
    pub totals: ShareCounts,
    /// The counts of each partition the consumer was handed records of, by topic and partition:
    /// which partition's records keep coming back, or fail.
    pub partitions: Vec<SharePartitionStats>,
}

/// One partition's counts, in [`ShareStats::partitions`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharePartitionStats {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// Its counts.
    pub counts: ShareCounts,
}

/// What a share consumer did with records: its totals, or one partition's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShareCounts {
    /// Records handed over: acquired by this member, under a lock.
    pub acquired: u64,
    /// Of those, records delivered before (a delivery count above 1): released, or held by a
    /// member whose lock ran out or that died.
    pub redelivered: u64,
    /// Records acknowledged ACCEPT (in implicit mode, every record handed over: accepted with
    /// the next poll).
    pub accepted: u64,
    /// Records acknowledged RELEASE: to be delivered again.
    pub released: u64,
    /// Records acknowledged REJECT: never delivered again.
    pub rejected: u64,
    /// Lock renewals (RENEW), by the handler or by `renew_locks`.
    pub renewed: u64,
    /// Records whose acknowledgement failed: refused by the broker (a lock that had run out:
    /// `INVALID_RECORD_STATE`) or not sent (the connection lost); each is, or was, delivered
    /// again.
    pub failed: u64,
    /// Records whose lock ran out in this member's hands: acknowledged (or renewed) after the
    /// lock's end as the member reckons it (from the poll that handed them over, for the
    /// duration the broker gave, started anew by each renewal), each counted once. The broker
    /// may have handed such a record to another member meanwhile: its acknowledgement is then
    /// refused (`failed`) while the other member holds it, and ignored without a word once the
    /// other finished it (Apache Kafka 4.4). Not counted against a broker that does not say the
    /// lock's duration (before ShareFetch v1).
    pub expired: u64,
}

impl ShareCounts {
    fn add(&mut self, other: &ShareCounts) {
        self.acquired += other.acquired;
        self.redelivered += other.redelivered;
        self.accepted += other.accepted;
        self.released += other.released;
        self.rejected += other.rejected;
        self.renewed += other.renewed;
        self.failed += other.failed;
        self.expired += other.expired;
    }
}

/// The counts as the share thread keeps them: per topic, per partition.
#[derive(Default)]
pub(super) struct ShareCounters {
    by_topic: Mutex<BTreeMap<String, BTreeMap<i32, ShareCounts>>>,
}

/// Adds to the counts of `partition` of `topic` in `by_topic` (made on first use; the topic's
/// name copied only then).
fn count(
    by_topic: &mut BTreeMap<String, BTreeMap<i32, ShareCounts>>,
    topic: &str,
    partition: i32,
    add: impl FnOnce(&mut ShareCounts),
) {
    let partitions = match by_topic.get_mut(topic) {
        Some(partitions) => partitions,
        None => by_topic.entry(topic.to_owned()).or_default(),
    };
    add(partitions.entry(partition).or_default());
}

impl ShareCounters {
    /// Records handed over: (topic, partition, delivery count) of each.
    pub(super) fn handed<'a>(&self, records: impl Iterator<Item = (&'a str, i32, u16)>) {
        let mut by_topic = self.by_topic.lock();
        for (topic, partition, delivery_count) in records {
            count(&mut by_topic, topic, partition, |counts| {
                counts.acquired += 1;
                counts.redelivered += u64::from(delivery_count > 1);
            });
        }
    }

    /// Records acknowledged `how`: (topic, partition, whether its lock had run out) of each.
    pub(super) fn acknowledged<'a>(
        &self,
        how: Acknowledgement,
        records: impl Iterator<Item = (&'a str, i32, bool)>,
    ) {
        let mut by_topic = self.by_topic.lock();
        for (topic, partition, expired) in records {
            count(&mut by_topic, topic, partition, |counts| {
                *match how {
                    Acknowledgement::Accept => &mut counts.accepted,
                    Acknowledgement::Release => &mut counts.released,
                    Acknowledgement::Reject => &mut counts.rejected,
                    Acknowledgement::Renew => &mut counts.renewed,
                } += 1;
                counts.expired += u64::from(expired);
            });
        }
    }

    /// `records` of `partition` of `topic` whose acknowledgement failed.
    pub(super) fn failed(&self, topic: &str, partition: i32, records: u64) {
        count(&mut self.by_topic.lock(), topic, partition, |counts| {
            counts.failed += records;
        });
    }

    pub(super) fn snapshot(&self) -> ShareStats {
        let by_topic = self.by_topic.lock();
        let mut stats = ShareStats::default();
        for (topic, partitions) in by_topic.iter() {
            for (&partition, counts) in partitions {
                stats.totals.add(counts);
                stats.partitions.push(SharePartitionStats {
                    topic: topic.clone(),
                    partition,
                    counts: *counts,
                });
            }
        }
        stats
    }
}
