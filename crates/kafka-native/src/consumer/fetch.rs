//! Taking batches from librdkafka's consumer queue and recording them once settled: what is
//! ready as one batch (seeks applied, repeats and misses counted), and, at its settle, its
//! offsets. Who takes and who settles is the hand-over's (`hand.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kafka_native_sys::rd_kafka_resp_err_t as resp;
use parking_lot::{Condvar, Mutex};

use crate::config::{log_error, log_warning};
use crate::events::{LogHandler, LogRecord};
use crate::native::{
    error_description, error_name, NativeClient, NativeMessage, NativeQueue, PartitionList,
};
use crate::topic_partition::TopicPartition;

use super::assignment::Assigned;
use super::batch::{BatchError, ReceivedBatch};
use super::offsets::OffsetWriter;

/// The longest the fetch thread blocks waiting for a first message. A message ends the wait at
/// once, and `stop()` and `pause()` wake the thread (`NativeQueue::wake`), so this is only a
/// safety net: nothing else needs the thread while no message arrives.
pub(crate) const FETCH_WAIT: Duration = Duration::from_secs(30);

/// About the most payload and key bytes one batch holds, beside `max_messages_per_callback`:
/// as many messages as fit at the first one's size (at least one). Node turns a batch into
/// strings or Buffers that live until it settles, so a smaller batch is less memory held, at
/// the same speed (DESIGN.md, BENCHMARKS.md).
pub const MAX_BATCH_BYTES: usize = 1 << 19;

/// Shared between the consumer's API and its fetch thread.
#[derive(Default)]
pub(crate) struct FetchControl {
    pub(crate) stop: AtomicBool,
    pub(crate) paused: Mutex<bool>,
    pub(crate) resumed: Condvar,
    /// Messages pulled by the fetch thread but not yet handed to the handler.
    pub(crate) pulled: AtomicUsize,
    /// Seeks asked for (`Consumer::seek`), applied by the fetch thread between batches.
    pub(crate) seeks: Mutex<Vec<Seek>>,
}

/// A partition's next offset to read, asked for by `Consumer::seek`: an offset, or
/// `OFFSET_BEGINNING`/`OFFSET_END`.
#[derive(Clone, Debug)]
pub(crate) struct Seek {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
}

/// How long the fetch thread waits for librdkafka to apply a seek (local: no request).
const SEEK_WAIT: Duration = Duration::from_secs(10);

/// What the handler has been given of one partition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Progress {
    /// One past the last offset handed over: where the partition reads next.
    pub(crate) next: i64,
    /// One past the highest offset handed over: a message below it comes again (a repeat).
    highest: i64,
    /// The current run of repeats has been logged.
    replaying: bool,
    /// Where librdkafka fetches the partition next, as its last statistics said: past the
    /// transaction markers, which are fetched but never handed over. Unknown again after a
    /// seek or a new assignment.
    pub(crate) fetched: Option<i64>,
}

impl Progress {
    pub(crate) fn at(offset: i64) -> Self {
        Progress {
            next: offset,
            highest: offset,
            replaying: false,
            fetched: None,
        }
    }

    /// Whether everything of the partition below `end` has been handed over: fetched up to
    /// `end` and nothing of the consumer's waits (`waiting`: in librdkafka's queue or pulled
    /// and not yet handed). What lies between the last record handed over and `end` is then
    /// transaction markers, nothing to read: the partition's lag is 0.
    pub(crate) fn all_handed_over(&self, waiting: usize, end: i64) -> bool {
        waiting == 0 && self.fetched.is_some_and(|fetched| fetched >= end)
    }
}

/// What a batch did to the progress: its repeats and misses, and the last offset of each
/// topic-partition in it.
struct Tracked {
    repeats: u64,
    misses: u64,
    last_offsets: Vec<(Arc<str>, i32, i64)>,
}

/// Progress per topic and partition, shared with the stats and the rebalance hook.
pub(crate) type Positions = Arc<Mutex<HashMap<Arc<str>, HashMap<i32, Progress>>>>;

/// The `kn-fetch` thread's state.
pub(crate) struct FetchLoop {
    pub(crate) queue: Arc<NativeQueue>,
    pub(crate) control: Arc<FetchControl>,
    pub(crate) assigned: Arc<Assigned>,
    /// A consumer group's fetch thread keeps serving the queue while paused: rebalances arrive
    /// there, and librdkafka's own pause keeps messages away.
    pub(crate) in_group: bool,
    pub(crate) max_messages: usize,
    /// Record each settled batch's offsets (and a seek's); false: only `Consumer::commit` does.
    pub(crate) auto_commit: bool,
    pub(crate) positions: Positions,
    pub(crate) offsets: Arc<Mutex<OffsetWriter>>,
    pub(crate) log: LogHandler,
    /// Every batch holds a reference: librdkafka's messages must go before their client.
    pub(crate) client: Arc<NativeClient>,
}

/// A batch handed over and not yet settled: what its settling records.
pub(crate) struct Settling {
    /// The last offset of each topic-partition in the batch.
    last_offsets: Vec<(Arc<str>, i32, i64)>,
    count: usize,
}

impl Settling {
    /// The next offset to read of each topic-partition in the batch: its last + 1.
    pub(crate) fn next_offsets(&self) -> Vec<(TopicPartition, i64)> {
        self.last_offsets
            .iter()
            .map(|(topic, partition, last)| (TopicPartition::new(&**topic, *partition), last + 1))
            .collect()
    }
}

impl FetchLoop {
    /// Applies the seeks asked for, then takes what is ready (waiting up to `wait` for a
    /// first message) as one batch, its progress tracked; `None` when nothing was ready.
    /// What is taken and handed over to no one (partition ends, errors, messages of partitions
    /// taken away meanwhile) is taken past at once, until a message to hand over or an empty
    /// queue: a pulled consumer is woken when its queue goes from empty to not empty, so a take
    /// that left it not empty and handed nothing over was never woken again.
    pub(crate) fn take(&self, wait: Duration) -> Option<(ReceivedBatch, Settling)> {
        self.apply_seeks();
        let mut wait = wait;
        let messages = loop {
            let generation = self.assigned.generation();
            let taken = self
                .queue
                .consume_ready(wait, self.max_messages, MAX_BATCH_BYTES)
                .into_messages();
            if taken.is_empty() {
                return None;
            }
            let mut messages = self.keep_messages(taken);
            if self.assigned.generation() != generation {
                // Partitions were taken away while this batch was taken: their messages now
                // belong to another member, which reads them from the committed offset.
                messages.retain(|m| {
                    self.assigned
                        .contains(m.view().topic(), m.view().partition())
                });
            }
            if !messages.is_empty() {
                break messages;
            }
            wait = Duration::ZERO;
        };
        self.control.pulled.store(messages.len(), Ordering::Relaxed);
        let Tracked {
            repeats,
            misses,
            last_offsets,
        } = self.track(&messages);
        let count = messages.len();
        let batch = ReceivedBatch::new(messages, self.client.clone(), repeats, misses);
        self.control.pulled.store(0, Ordering::Relaxed);
        Some((
            batch,
            Settling {
                last_offsets,
                count,
            },
        ))
    }

    /// What follows the handler's answer for a batch [`FetchLoop::take`] gave: settled,
    /// fulfilled or rejected, its offsets are recorded (kafka-native's rule). False when it
    /// was not processed: nothing is recorded, and the consumer must fetch no more.
    pub(crate) fn settled(&self, outcome: Result<(), BatchError>, settling: Settling) -> bool {
        let Settling {
            last_offsets,
            count,
        } = settling;
        match outcome {
            Ok(()) => {}
            Err(BatchError::Failed(reason)) => log_error(
                &self.log,
                "HANDLER",
                format!("receive handler failed: {reason}"),
            ),
            Err(BatchError::NotProcessed(reason)) => {
                log_warning(
                    &self.log,
                    "HANDLER",
                    format!(
                        "a batch of {count} was not processed ({reason}): its offsets are not \
                         recorded and the consumer stops fetching"
                    ),
                );
                return false;
            }
        }
        if self.auto_commit {
            let offsets = self.offsets.lock();
            for (topic, partition, offset) in last_offsets {
                offsets.record(topic, partition, offset);
            }
        }
        // A seek asked for while the batch was in hand moves its partition on from here:
        // what follows the sought offset in the batch was not read, as far as the
        // partition's recorded offset goes.
        self.apply_seeks();
        true
    }

    /// Moves each partition a seek names: librdkafka's position (it drops what it fetched
    /// from the old one), the progress (no repeats or misses counted for the jump), and the
    /// recorded offset (a seek to an offset records the one before it as the last processed).
    fn apply_seeks(&self) {
        let seeks = std::mem::take(&mut *self.control.seeks.lock());
        for seek in seeks {
            let Seek {
                topic,
                partition,
                offset,
            } = seek;
            if !self.assigned.contains(&topic, partition) {
                log_warning(
                    &self.log,
                    "SEEK",
                    format!("seek of {topic}/{partition} to {offset} dropped: the partition is no longer read here"),
                );
                continue;
            }
            let moved = PartitionList::of(&[(topic.as_str(), partition, offset)])
                .and_then(|list| self.client.seek(&list, SEEK_WAIT));
            if let Err(e) = moved {
                log_error(
                    &self.log,
                    "SEEK",
                    format!("seek of {topic}/{partition} to {offset} failed: {e}"),
                );
                continue;
            }
            let key: Arc<str> = Arc::from(topic.as_str());
            let mut positions = self.positions.lock();
            let partitions = positions.entry(key.clone()).or_default();
            if offset >= 0 {
                partitions.insert(partition, Progress::at(offset));
                drop(positions);
                if self.auto_commit {
                    self.offsets.lock().set(key, partition, offset - 1);
                }
            } else {
                // The beginning or the end: the first message read names the position.
                partitions.remove(&partition);
            }
        }
    }

    /// Waits while paused; true when it waited (so the caller re-checks stop).
    pub(crate) fn wait_while_paused(&self) -> bool {
        let mut paused = self.control.paused.lock();
        if !*paused {
            return false;
        }
        self.control.resumed.wait_for(&mut paused, FETCH_WAIT);
        true
    }

    /// Drops error messages (partition EOF is not an error; others are logged).
    fn keep_messages(&self, messages: Vec<NativeMessage>) -> Vec<NativeMessage> {
        if messages.iter().all(|m| m.view().error().is_none()) {
            return messages;
        }
        messages
            .into_iter()
            .filter(|m| match m.view().error() {
                None => true,
                Some(resp::RD_KAFKA_RESP_ERR__PARTITION_EOF) => false,
                Some(code) => {
                    let detail = m
                        .view()
                        .payload()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_default();
                    (self.log)(&LogRecord {
                        level: 3,
                        facility: format!("CONSUME {}", error_name(code)),
                        message: format!(
                            "{}/{}: {} {detail}",
                            m.view().topic(),
                            m.view().partition(),
                            error_description(code)
                        ),
                        error: Some(code.into()),
                    });
                    false
                }
            })
            .collect()
    }

    /// Where a jump to `offset` in `topic`/`partition` stops counting as misses: the log's start
    /// as of the last fetch, when it is below `offset`. Only what retention deleted was missed;
    /// the offsets a log skips between its start and `offset` hold no record to read: a
    /// transaction's commit or abort marker, a read_committed consumer's aborted records,
    /// compaction. Unknown (no fetch answered yet), the whole jump counts.
    fn deleted_below(&self, topic: &str, partition: i32, offset: i64) -> i64 {
        self.client
            .cached_watermarks(topic, partition)
            .map_or(offset, |(low, _)| low.min(offset))
    }

    /// Counts repeats and misses message by message, logs each jump once with both offsets,
    /// and returns the last offset of each topic-partition in the batch.
    ///
    /// A batch holds runs of one partition's messages (librdkafka queues a fetched message
    /// set whole), so each run finds its partition's progress once, not each message.
    fn track(&self, messages: &[NativeMessage]) -> Tracked {
        let (mut repeats, mut misses) = (0, 0);
        let mut last: Vec<(Arc<str>, i32, i64)> = Vec::new();
        let mut warnings = Vec::new();
        let mut positions = self.positions.lock();
        let mut rest = messages;
        while let Some(first) = rest.first() {
            let view = first.view();
            let (name, p) = (view.topic(), view.partition());
            let run = rest
                .iter()
                .position(|m| m.view().partition() != p || !m.view().same_topic(&view))
                .unwrap_or(rest.len());
            let topic = match positions.get_key_value(name) {
                Some((k, _)) => k.clone(),
                None => {
                    let k: Arc<str> = Arc::from(name);
                    positions.insert(k.clone(), HashMap::new());
                    k
                }
            };
            let progress = positions
                .get_mut(&topic)
                .expect("inserted above")
                .entry(p)
                .or_insert(Progress::at(view.offset()));
            for m in &rest[..run] {
                let offset = m.view().offset();
                if offset < progress.highest {
                    repeats += 1;
                    if !progress.replaying {
                        progress.replaying = true;
                        warnings.push(format!(
                            "{topic}/{p}: expected offset {} next, got {offset}: the log is shorter \
                             than what was handed over (the topic was re-created, or the offset \
                             file is past the end of the log); offsets below {} count as repeats",
                            progress.next, progress.highest
                        ));
                    }
                } else {
                    progress.replaying = false;
                    let deleted = if offset > progress.highest {
                        self.deleted_below(&topic, p, offset)
                    } else {
                        offset
                    };
                    if deleted > progress.highest {
                        misses += (deleted - progress.highest) as u64;
                        warnings.push(format!(
                            "{topic}/{p}: expected offset {} next, got {offset}: offsets {} to {} \
                             were deleted before they were read (retention); counted as misses",
                            progress.next,
                            progress.highest,
                            deleted - 1
                        ));
                    }
                    progress.highest = offset + 1;
                }
                progress.next = offset + 1;
            }
            let offset = rest[run - 1].view().offset();
            match last
                .iter_mut()
                .find(|(lt, lp, _)| *lp == p && Arc::ptr_eq(lt, &topic))
            {
                Some(entry) => entry.2 = offset,
                None => last.push((topic, p, offset)),
            }
            rest = &rest[run..];
        }
        drop(positions);
        for warning in warnings {
            log_warning(&self.log, "OFFSETS", warning);
        }
        Tracked {
            repeats,
            misses,
            last_offsets: last,
        }
    }
}
