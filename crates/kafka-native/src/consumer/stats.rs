//! The consumer's `kn-events` sink: kafka-native's consumer statistics, and logs.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::config::log_warning;
use crate::events::{EventSink, LogHandler, LogRecord};
use crate::native::{NativeClient, NativeQueue};

use super::assignment::Assigned;
use super::config::{ConsumerStats, ConsumerStatsHandler};
use super::fetch::{FetchControl, Positions};

/// Runs on `kn-events`: turns librdkafka's stats into kafka-native's consumer stats. The
/// watermarks are the ones librdkafka keeps from every fetch response, so no request is made
/// here (a partition not fetched yet counts once its first fetch is answered).
pub(crate) struct ConsumerEvents {
    pub(crate) client: Arc<NativeClient>,
    pub(crate) queue: Arc<NativeQueue>,
    pub(crate) control: Arc<FetchControl>,
    pub(crate) assigned: Arc<Assigned>,
    pub(crate) positions: Positions,
    pub(crate) on_stats: Option<ConsumerStatsHandler>,
    pub(crate) log: LogHandler,
}

impl EventSink for ConsumerEvents {
    fn stats(&mut self, json: &str) {
        let Some(on_stats) = &self.on_stats else {
            return;
        };
        let rdkafka_stats: serde_json::Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                return log_warning(&self.log, "STATS", format!("unparsable stats JSON: {e}"))
            }
        };
        let waiting_local = (self.queue.len() + self.control.pulled.load(Ordering::Relaxed)) as u64;
        let (mut behind, mut kafka_log_size) = (0u64, 0u64);
        for tp in self.assigned.get() {
            let Some((low, high)) = self.client.cached_watermarks(&tp.topic, tp.partition) else {
                continue;
            };
            let next = self
                .positions
                .lock()
                .get(tp.topic.as_str())
                .and_then(|per_partition| per_partition.get(&tp.partition))
                .map_or(low, |progress| progress.next);
            behind += (high - next).max(0) as u64;
            kafka_log_size += (high - low).max(0) as u64;
        }
        on_stats(ConsumerStats {
            waiting_kafka: behind.saturating_sub(waiting_local),
            waiting_local,
            kafka_log_size,
            rdkafka_stats,
        });
    }

    fn log(&mut self, record: LogRecord) {
        (self.log)(&record)
    }
}
