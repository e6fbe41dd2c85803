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
            let next = self
                .positions
                .lock()
                .get(tp.topic.as_str())
                .and_then(|per_partition| per_partition.get(&tp.partition))
                .map(|progress| progress.next);
            let watermarks = self.client.cached_watermarks(&tp.topic, tp.partition);
            let lag = watermarks.map(|(low, high)| (high - next.unwrap_or(low)).max(0) as u64);
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
        self.health.observe_error(&record);
        (self.log)(&record)
    }
}
