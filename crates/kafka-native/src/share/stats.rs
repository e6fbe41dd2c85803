//! What a share consumer did since it started: records acquired, and of those delivered again;
//! acknowledgements made, by type; and records whose acknowledgement the broker refused or that
//! could not be sent. Counted per partition on the share thread as it happens; read with
//! [`ShareConsumer::stats`](super::ShareConsumer::stats), from any thread, under a lock taken as
//! briefly (never across a call into librdkafka).

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::acknowledgement::Acknowledgement;

/// A share consumer's counts since it started, in all and per partition (see
/// [`ShareConsumer::stats`](super::ShareConsumer::stats)). librdkafka's share consumer reports
/// no statistics of its own; these are kafka-native's, as Java's share-consumer metrics count
/// records fetched and acknowledgements sent and failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareStats {
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
    /// The same counts for each partition the consumer was handed records of, by topic and
    /// partition: which partition's records keep coming back, or fail.
    pub partitions: Vec<SharePartitionStats>,
}

/// One partition's counts, in [`ShareStats::partitions`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharePartitionStats {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// [`ShareStats::acquired`], of this partition.
    pub acquired: u64,
    /// [`ShareStats::redelivered`], of this partition.
    pub redelivered: u64,
    /// [`ShareStats::accepted`], of this partition.
    pub accepted: u64,
    /// [`ShareStats::released`], of this partition.
    pub released: u64,
    /// [`ShareStats::rejected`], of this partition.
    pub rejected: u64,
    /// [`ShareStats::renewed`], of this partition.
    pub renewed: u64,
    /// [`ShareStats::failed`], of this partition.
    pub failed: u64,
}

/// The counts of one partition, as kept.
#[derive(Clone, Copy, Default)]
struct Counts {
    acquired: u64,
    redelivered: u64,
    accepted: u64,
    released: u64,
    rejected: u64,
    renewed: u64,
    failed: u64,
}

/// The counts as the share thread keeps them: per topic, per partition.
#[derive(Default)]
pub(super) struct ShareCounters {
    by_topic: Mutex<BTreeMap<String, BTreeMap<i32, Counts>>>,
}

/// Adds to the counts of `partition` of `topic` in `by_topic` (made on first use; the topic's
/// name copied only then).
fn count(
    by_topic: &mut BTreeMap<String, BTreeMap<i32, Counts>>,
    topic: &str,
    partition: i32,
    add: impl FnOnce(&mut Counts),
) {
    if !by_topic.contains_key(topic) {
        by_topic.insert(topic.to_owned(), BTreeMap::new());
    }
    if let Some(partitions) = by_topic.get_mut(topic) {
        add(partitions.entry(partition).or_default());
    }
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

    /// Records acknowledged `how`: (topic, partition) of each.
    pub(super) fn acknowledged<'a>(
        &self,
        how: Acknowledgement,
        records: impl Iterator<Item = (&'a str, i32)>,
    ) {
        let mut by_topic = self.by_topic.lock();
        for (topic, partition) in records {
            count(&mut by_topic, topic, partition, |counts| {
                *match how {
                    Acknowledgement::Accept => &mut counts.accepted,
                    Acknowledgement::Release => &mut counts.released,
                    Acknowledgement::Reject => &mut counts.rejected,
                    Acknowledgement::Renew => &mut counts.renewed,
                } += 1;
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
            for (&partition, c) in partitions {
                stats.acquired += c.acquired;
                stats.redelivered += c.redelivered;
                stats.accepted += c.accepted;
                stats.released += c.released;
                stats.rejected += c.rejected;
                stats.renewed += c.renewed;
                stats.failed += c.failed;
                stats.partitions.push(SharePartitionStats {
                    topic: topic.clone(),
                    partition,
                    acquired: c.acquired,
                    redelivered: c.redelivered,
                    accepted: c.accepted,
                    released: c.released,
                    rejected: c.rejected,
                    renewed: c.renewed,
                    failed: c.failed,
                });
            }
        }
        stats
    }
}
