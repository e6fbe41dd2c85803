//! Which partitions a consumer reads (its worker's share of the topic, or what its group
//! assigned) and where each starts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::topic_partition::TopicPartition;

use crate::error::KafkaError;
use crate::metadata::Retry;
use crate::native::{NativeClient, PartitionList};

use super::config::{ConsumerConfig, StartOffset};
use super::offsets::OffsetStore;

/// The partitions a consumer reads now, shared by its threads: set once outside a group,
/// changed by each rebalance in one.
#[derive(Default)]
pub(crate) struct Assigned {
    partitions: Mutex<Vec<TopicPartition>>,
    /// Bumped whenever partitions are taken away, so that the fetch thread re-checks a batch it
    /// was taking meanwhile.
    generation: AtomicU64,
}

impl Assigned {
    pub(crate) fn get(&self) -> Vec<TopicPartition> {
        self.partitions.lock().clone()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn contains(&self, topic: &str, partition: i32) -> bool {
        self.partitions
            .lock()
            .iter()
            .any(|tp| tp.partition == partition && tp.topic == topic)
    }

    pub(crate) fn add(&self, added: &[TopicPartition]) {
        let mut partitions = self.partitions.lock();
        for tp in added {
            if !partitions.contains(tp) {
                partitions.push(tp.clone());
            }
        }
        partitions.sort();
    }

    pub(crate) fn remove(&self, removed: &[TopicPartition]) {
        self.partitions.lock().retain(|tp| !removed.contains(tp));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// The partitions of a topic with `count` partitions that worker `worker_slot` of
/// `num_workers` reads: partition p goes to slot `p % num_workers`.
pub(crate) fn worker_partitions(
    config: &ConsumerConfig,
    count: usize,
) -> Result<Vec<i32>, KafkaError> {
    if (count as i64) < i64::from(config.num_workers) {
        return Err(KafkaError::invalid(
            "num_workers",
            format!(
                "is {} but topic {:?} has only {count} partition(s)",
                config.num_workers,
                config.topic()
            ),
        ));
    }
    Ok((0..count as i32)
        .filter(|p| p % config.num_workers == config.worker_slot)
        .collect())
}

/// Where a partition starts, and what the consumer knows of it then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Start {
    pub(crate) partition: i32,
    /// The offset the next message should have: after the recorded offset, or the resolved
    /// start.
    pub(crate) offset: i64,
}

/// Where each partition starts: after its recorded offset, else at `start_offset`. 'earliest'
/// and 'latest' are resolved here, with one request, rather than by librdkafka after
/// `assign()`:
/// - 'latest', so that every message produced after `start()` returns is delivered;
/// - 'earliest', so that every partition can be fetched at once. librdkafka asks for each
///   partition's offset on its own, and the first partition answered went into a fetch of its
///   own, which the broker holds for `fetch_wait_max_ms` when that partition has nothing (0.5 s
///   at the default, in most starts on Apache Kafka of a 64-partition topic with one partition
///   empty).
pub(crate) fn starts(
    client: &NativeClient,
    config: &ConsumerConfig,
    store: &dyn OffsetStore,
    partitions: &[i32],
    retry: &Retry<'_>,
) -> Result<Vec<Start>, KafkaError> {
    let recorded: Vec<(i32, Option<i64>)> = partitions
        .iter()
        .map(|&p| store.load(p).map(|last| (p, last)))
        .collect::<Result<_, _>>()?;
    let unrecorded: Vec<(i32, i64)> = recorded
        .iter()
        .filter(|(_, last)| last.is_none())
        .map(|&(p, _)| (p, 0))
        .collect();
    let mut resolved = HashMap::new();
    if !unrecorded.is_empty() && !matches!(config.start_offset, StartOffset::Offset(_)) {
        let mut list = PartitionList::new(config.topic(), &unrecorded)?;
        retry.while_transient(|remaining| match config.start_offset {
            StartOffset::Latest => client.latest_offsets(&mut list, remaining),
            _ => client.earliest_offsets(&mut list, remaining),
        })?;
        resolved.extend(list.entries().into_iter().map(|e| (e.partition, e.offset)));
    }
    Ok(recorded
        .into_iter()
        .map(|(partition, last)| {
            let offset = match (last, config.start_offset) {
                (Some(last), _) => last + 1,
                (None, StartOffset::Offset(o)) => o,
                // librdkafka answers for every partition it is asked about, or fails.
                (None, _) => resolved.get(&partition).copied().unwrap_or(0),
            };
            Start { partition, offset }
        })
        .collect())
}
