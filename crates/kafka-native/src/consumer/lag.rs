//! How far behind each partition's log this consumer's processing is: the high watermark,
//! asked of the leaders (so it moves while the consumer is paused, when no fetch brings it),
//! against the next offset the handler is to be handed, or, before it has been handed any of a
//! partition, the group's committed offset.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::KafkaError;
use crate::native::{NativeClient, PartitionList};
use crate::topic_partition::TopicPartition;

use super::fetch::{Positions, Progress};

/// How long a lag request waits by default (Node's `lag()`): 5 s.
pub const DEFAULT_LAG_TIMEOUT: Duration = Duration::from_secs(5);

/// One partition's lag (see [`Consumer::lag`](super::Consumer::lag)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLag {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The partition's high watermark: the offset its next message will have.
    pub high: i64,
    /// The next offset the handler is to be handed; before it has been handed any of the
    /// partition, the group's committed offset (0 for a partition never written to); `None`
    /// when none of these is known.
    pub next: Option<i64>,
    /// `high - next`, at least 0: messages the handler has not been handed yet; 0 when
    /// everything below `high` was fetched and handed over, as under read_committed when
    /// `high` is past a transaction's marker (never handed over), as Java's `records-lag`.
    pub lag: Option<i64>,
}

/// The lag of each of `assigned`; one ListOffsets request per leader, and in a group one
/// OffsetFetch when a partition has handed nothing over yet. `waiting`: the consumer's records
/// not yet handed over (in librdkafka's queue or pulled).
pub(crate) fn lag_of(
    client: &NativeClient,
    assigned: &[TopicPartition],
    positions: &Positions,
    in_group: bool,
    waiting: usize,
    timeout: Duration,
) -> Result<Vec<PartitionLag>, KafkaError> {
    if assigned.is_empty() {
        return Ok(Vec::new());
    }
    let entries: Vec<(&str, i32, i64)> = assigned
        .iter()
        .map(|tp| (tp.topic.as_str(), tp.partition, 0))
        .collect();
    let mut highs = PartitionList::of(&entries)?;
    client.latest_offsets(&mut highs, timeout)?;
    let progress: BTreeMap<(String, i32), Progress> = {
        let positions = positions.lock();
        assigned
            .iter()
            .filter_map(|tp| {
                let progress = positions.get(tp.topic.as_str())?.get(&tp.partition)?;
                Some(((tp.topic.clone(), tp.partition), *progress))
            })
            .collect()
    };
    let handed: BTreeMap<(String, i32), i64> = progress
        .iter()
        .filter(|(_, p)| p.next >= 0)
        .map(|(key, p)| (key.clone(), p.next))
        .collect();
    let unknown: Vec<(&str, i32, i64)> = entries
        .iter()
        .copied()
        .filter(|&(topic, partition, _)| !handed.contains_key(&(topic.to_string(), partition)))
        .collect();
    let mut committed = BTreeMap::new();
    if in_group && !unknown.is_empty() {
        let mut list = PartitionList::of(&unknown)?;
        client.committed_offsets(&mut list, timeout)?;
        committed.extend(
            list.entries()
                .into_iter()
                .filter(|e| e.offset >= 0)
                .map(|e| ((e.topic, e.partition), e.offset)),
        );
    }
    Ok(highs
        .entries()
        .into_iter()
        .map(|e| {
            let key = (e.topic.clone(), e.partition);
            // A partition never written to has nothing to be behind on.
            let next = handed
                .get(&key)
                .or_else(|| committed.get(&key))
                .copied()
                .or((e.offset == 0).then_some(0));
            // Under read_committed, a caught-up partition's last transaction marker is never
            // handed over: fetched past it with nothing waiting, nothing is behind.
            let drained = progress
                .get(&key)
                .is_some_and(|p| p.all_handed_over(waiting, e.offset));
            PartitionLag {
                lag: next.map(|next| if drained { 0 } else { (e.offset - next).max(0) }),
                next,
                high: e.offset,
                topic: e.topic,
                partition: e.partition,
            }
        })
        .collect())
}
