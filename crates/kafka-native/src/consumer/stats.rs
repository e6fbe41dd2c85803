//! The consumer's `kn-events` sink: kafka-native's consumer statistics, and logs.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::config::log_warning;
use crate::events::{EventSink, LogHandler, LogRecord};
use crate::health::{HealthMonitor, PartitionSample};
use crate::native::{NativeClient, NativeQueue};

use super::assignment::Assigned;
use super::config::{ConsumerStats, ConsumerStatsHandler};
use super::fetch::{FetchControl, Positions};

/// Runs on `kn-events`: turns librdkafka's stats into kafka-native's consumer stats and into
/// the consumer's health. The watermarks are the ones librdkafka keeps from every fetch
/// response, so no request is made here (a partition not fetched yet counts once its first
/// fetch is answered).
pub(crate) struct ConsumerEvents {
    pub(crate) client: Arc<NativeClient>,
    pub(crate) queue: Arc<NativeQueue>,
    pub(crate) control: Arc<FetchControl>,
    pub(crate) assigned: Arc<Assigned>,
    pub(crate) positions: Positions,
    pub(crate) on_stats: Option<ConsumerStatsHandler>,
    pub(crate) health: Arc<HealthMonitor>,
    pub(crate) log: LogHandler,
}

impl EventSink for ConsumerEvents {
    fn stats(&mut self, json: &str) {
        let rdkafka_stats: serde_json::Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                return log_warning(&self.log, "STATS", format!("unparsable stats JSON: {e}"))
            }
        };
        let waiting_local = (self.queue.len() + self.control.pulled.load(Ordering::Relaxed)) as u64;
        let (mut behind, mut kafka_log_size) = (0u64, 0u64);
        let mut samples = Vec::new();
        for tp in self.assigned.get() {
            let fetch = FetchState::of(&rdkafka_stats, &tp.topic, tp.partition);
            let progress = self
                .positions
                .lock()
                .get_mut(tp.topic.as_str())
                .and_then(|per_partition| per_partition.get_mut(&tp.partition))
                .map(|progress| {
                    progress.fetched = fetch.position;
                    *progress
                });
            let next = progress.map(|progress| progress.next);
            let watermarks = self.client.cached_watermarks(&tp.topic, tp.partition);
            let lag = watermarks.map(|(low, high)| {
                let end = fetch.readable_end.unwrap_or(high);
                match progress {
                    Some(p) if p.all_handed_over(waiting_local as usize, end) => 0,
                    _ => (end - next.unwrap_or(low)).max(0) as u64,
                }
            });
            if let (Some((low, high)), Some(lag)) = (watermarks, lag) {
                behind += lag;
                kafka_log_size += (high - low).max(0) as u64;
            }
            samples.push(PartitionSample {
                topic: tp.topic,
                partition: tp.partition,
                lag,
                next_offset: next,
            });
        }
        let mut lines = self.health.observe_stats(&rdkafka_stats);
        lines.extend(self.health.observe_partitions(samples));
        for line in &lines {
            (self.log)(line);
        }
        if let Some(on_stats) = &self.on_stats {
            on_stats(ConsumerStats {
                waiting_kafka: behind.saturating_sub(waiting_local),
                waiting_local,
                kafka_log_size,
                rdkafka_stats,
            });
        }
    }

    fn log(&mut self, record: LogRecord) {
        (self.log)(&record)
    }

    fn observe_error(&mut self, record: &LogRecord) {
        self.health.observe_error(record)
    }
}

/// A partition's fetch, as librdkafka's statistics show it (both from the last fetch response).
struct FetchState {
    /// Where the records a consumer may read end (`ls_offset`): the high watermark under
    /// read_uncommitted; under read_committed the last stable offset, before the oldest
    /// transaction still open, whose records nobody can read yet.
    readable_end: Option<i64>,
    /// The next offset to fetch (`next_offset`): past the transaction markers, which are
    /// fetched but never handed over.
    position: Option<i64>,
}

impl FetchState {
    fn of(stats: &serde_json::Value, topic: &str, partition: i32) -> FetchState {
        let p = &stats["topics"][topic]["partitions"][partition.to_string()];
        let offset = |name: &str| p[name].as_i64().filter(|o| *o >= 0);
        FetchState {
            readable_end: offset("ls_offset"),
            position: offset("next_offset"),
        }
    }
}
