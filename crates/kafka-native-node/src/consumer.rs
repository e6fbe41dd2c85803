use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::oauthbearer::{OAuthBearerBridge, PendingTokenWake};
use crate::received::{pack_pulled, ReceivedColumns};

use crate::{
    call_pool, client_options, js_error, promise_from_pool, promise_from_pool_after_logs,
    weak_callback, LogEntry, LogLines,
};

/// Options as JS gave them; a missing one takes the core's default.
#[napi(object)]
pub struct ConsumerOptions {
    pub brokers: String,
    /// One topic, or (in a group) several.
    pub topics: Vec<String>,
    pub group_id: Option<String>,
    /// "classic" or "consumer".
    pub group_protocol: Option<String>,
    /// read_committed or read_uncommitted.
    pub isolation_level: Option<String>,
    /// Where offsets are recorded; missing takes the default.
    pub offset_directory: Option<String>,
    /// Record no offsets (JS's `offset_directory: null`).
    pub without_offset_directory: Option<bool>,
    /// "earliest", "latest" or a decimal offset.
    pub start_offset: Option<String>,
    /// Record (commit) each settled batch; false: only `commit()` does. Default true.
    pub auto_commit: Option<bool>,
    pub max_messages_per_callback: Option<u32>,
    pub statistics_interval_ms: Option<u32>,
    pub queued_max_messages_kbytes: Option<u32>,
    pub fetch_wait_max_ms: Option<u32>,
    pub num_workers: Option<i32>,
    pub worker_slot: Option<i32>,
    /// See `ConsumerConfig::stuck_after`; 0: never.
    pub stuck_after_ms: Option<u32>,
    /// Deliver payloads as Buffers instead of UTF-8 strings.
    pub payload_as_buffer: bool,
    pub driver_options: Option<HashMap<String, String>>,
    pub topic_options: Option<HashMap<String, String>>,
}

/// A partition of a topic, as JS sees it.
#[napi(object)]
pub struct TopicPartitionInfo {
    pub topic: String,
    pub partition: i32,
}

impl From<kafka_native::TopicPartition> for TopicPartitionInfo {
    fn from(tp: kafka_native::TopicPartition) -> Self {
        TopicPartitionInfo {
            topic: tp.topic,
            partition: tp.partition,
        }
    }
}

fn partitions_info(list: &[kafka_native::TopicPartition]) -> Vec<TopicPartitionInfo> {
    list.iter().cloned().map(Into::into).collect()
}

#[napi(object)]
pub struct PartitionLagInfo {
    pub topic: String,
    pub partition: i32,
    pub high: i64,
    pub next: Option<i64>,
    pub lag: Option<i64>,
}

impl From<kafka_native::PartitionLag> for PartitionLagInfo {
    fn from(l: kafka_native::PartitionLag) -> Self {
        PartitionLagInfo {
            topic: l.topic,
            partition: l.partition,
            high: l.high,
            next: l.next,
            lag: l.lag,
        }
    }
}

/// What a rebalance changed.
#[napi(object)]
pub struct RebalanceInfo {
    pub assigned: Vec<TopicPartitionInfo>,
    pub revoked: Vec<TopicPartitionInfo>,
}

#[napi(object)]
pub struct ConsumerStatsInfo {
    pub waiting_kafka: f64,
    pub waiting_local: f64,
    pub kafka_log_size: f64,
    /// librdkafka's statistics, parsed once (in the core).
    pub rdkafka_stats: serde_json::Value,
}

/// Field order is drop order. When the JS object is finalized (garbage collected, or its
/// worker torn down), `Drop` settles a batch still waiting for JS as not processed (its
/// offsets unrecorded), so that dropping `inner` (which stops the consumer) never waits for
/// JS that can no longer run.
#[napi]
pub struct NativeConsumer {
    /// Payloads as Buffers rather than strings.
    as_buffer: bool,
    /// Dropped before the consumer: see `PendingTokenWake`.
    _token_wake: Option<PendingTokenWake>,
    inner: Arc<kafka_native::Consumer>,
    /// This client's turn on the call pool.
    lane: Arc<call_pool::Lane>,
    /// Its logger's end: `stop()` settles behind the last line.
    log_lines: Option<LogLines>,
}

#[napi]
impl NativeConsumer {
    /// The core's hand-over, on the JS thread: `on_pull` is called when a batch can be
    /// pulled, JS takes it with `pull()` and calls `settle()` once the batch's Promise
    /// settles; only then is it handed the next.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        options: ConsumerOptions,
        on_pull: Function<'_, (), ()>,
        on_stats: Option<Function<'_, ConsumerStatsInfo, ()>>,
        on_log: Option<Function<'_, Option<LogEntry>, ()>>,
        on_rebalance: Option<Function<'_, RebalanceInfo, ()>>,
        oauthbearer: Option<&OAuthBearerBridge>,
    ) -> Result<Self> {
        let mut config = kafka_native::ConsumerConfig::new("", "").topics(options.topics);
        if let Some(group) = options.group_id {
            config = config.group_id(group);
        }
        if let Some(level) = options.isolation_level {
            config.isolation_level = level.parse().map_err(|e| js_error(env, &e))?;
        }
        if let Some(protocol) = options.group_protocol {
            config.group_protocol = protocol.parse().map_err(|e| js_error(env, &e))?;
        }
        let (client, log_lines) = client_options(
            options.brokers,
            options.statistics_interval_ms,
            options.driver_options,
            options.topic_options,
            on_log,
        )?;
        config.client = client;
        config.client.oauthbearer_token = oauthbearer.map(|b| b.provider.clone());
        if let Some(start) = options.start_offset {
            config.start_offset = start.parse().map_err(|e| js_error(env, &e))?;
        }
        if let Some(dir) = options.offset_directory {
            config.offset_directory = Some(dir.into());
        }
        if options.without_offset_directory == Some(true) {
            config.offset_directory = None;
        }
        if let Some(auto) = options.auto_commit {
            config.auto_commit = auto;
        }
        if let Some(max) = options.max_messages_per_callback {
            config.max_messages_per_callback = max as usize;
        }
        if let Some(kbytes) = options.queued_max_messages_kbytes {
            config.queued_max_messages_kbytes = kbytes;
        }
        if let Some(ms) = options.fetch_wait_max_ms {
            config.fetch_wait_max = Duration::from_millis(ms.into());
        }
        if let Some(n) = options.num_workers {
            config.num_workers = n;
        }
        if let Some(slot) = options.worker_slot {
            config.worker_slot = slot;
        }
        if let Some(ms) = options.stuck_after_ms {
            config.stuck_after = (ms > 0).then(|| Duration::from_millis(ms.into()));
        }
        if let Some(f) = on_stats {
            let tsfn = weak_callback(f)?;
            config = config.on_stats(move |s| {
                let info = ConsumerStatsInfo {
                    waiting_kafka: s.waiting_kafka as f64,
                    waiting_local: s.waiting_local as f64,
                    kafka_log_size: s.kafka_log_size as f64,
                    rdkafka_stats: s.rdkafka_stats,
                };
                tsfn.call(info, NonBlocking);
            });
        }
        if let Some(f) = on_rebalance {
            let tsfn = weak_callback(f)?;
            config = config.on_rebalance(move |change| {
                let info = RebalanceInfo {
                    assigned: partitions_info(&change.assigned),
                    revoked: partitions_info(&change.revoked),
                };
                tsfn.call(info, NonBlocking);
            });
        }
        let token_wake = oauthbearer.map(OAuthBearerBridge::wake_on_drop);
        // Weak: a consumer that is never started must not keep the process alive; the JS side
        // holds the process alive from start() to stop() instead.
        let wake = weak_callback(on_pull)?;
        let inner = kafka_native::Consumer::pulled(config, move || {
            wake.call((), NonBlocking);
        })
        .map_err(|e| js_error(env, &e))?;
        Ok(NativeConsumer {
            as_buffer: options.payload_as_buffer,
            _token_wake: token_wake,
            inner: Arc::new(inner),
            lane: Arc::default(),
            log_lines,
        })
    }

    /// The next batch; none when there is none yet, when the batch handed over has not
    /// settled, while paused or when not running (`on_pull` is called again when there is).
    /// Never waits.
    #[napi]
    pub fn pull(&self) -> Option<ReceivedColumns> {
        let batch = self.inner.pull()?;
        Some(pack_pulled(batch, self.as_buffer).into_columns())
    }

    /// The batch handed over has settled. `processed: false` leaves its offsets unrecorded
    /// and stops fetching (the JS side's `notProcessed()`).
    #[napi]
    pub fn settle(&self, processed: Option<bool>) {
        self.inner.settle(if processed.unwrap_or(true) {
            Ok(())
        } else {
            Err(kafka_native::BatchError::NotProcessed(
                "receive_callback rejected with notProcessed()".to_string(),
            ))
        });
    }

    /// The next offset to read of each partition in the batch handed over and not yet
    /// settled (its last offset + 1); null when none is out.
    #[napi]
    pub fn next_offsets(&self) -> Option<Vec<crate::types::TopicPartitionOffset>> {
        self.inner.next_offsets().map(crate::types::js_offsets)
    }

    /// Resolves with the partitions read (a group's first assignment, possibly empty).
    #[napi(ts_return_type = "Promise<TopicPartitionInfo[]>")]
    pub fn start<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.start().map(|list| partitions_info(&list))
        })
    }

    /// How the consumer is doing, as it sees it (no request is made).
    #[napi]
    pub fn health(&self) -> crate::types::HealthInfo {
        crate::types::health_info(self.inner.health(), true)
    }

    /// The partitions read now.
    #[napi]
    pub fn assignment(&self) -> Vec<TopicPartitionInfo> {
        partitions_info(&self.inner.assignment())
    }

    #[napi]
    pub fn pause(&self, env: &Env) -> Result<()> {
        self.inner.pause().map_err(|e| js_error(env, &e))
    }

    #[napi]
    pub fn resume(&self, env: &Env) -> Result<()> {
        self.inner.resume().map_err(|e| js_error(env, &e))
    }

    /// Records each partition's next offset to read and resolves once it is stored (committed,
    /// in a group).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'env>(
        &self,
        env: &'env Env,
        offsets: Vec<crate::types::TopicPartitionOffset>,
    ) -> Result<Object<'env>> {
        let offsets = crate::types::core_offsets(offsets);
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || inner.commit(&offsets))
    }

    /// Each partition read now, with its high watermark (asked of its leader) and how many
    /// messages the handler has not been handed yet.
    #[napi(ts_return_type = "Promise<PartitionLagInfo[]>")]
    pub fn lag<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            let lag = inner.lag(Duration::from_millis(timeout_ms.into()))?;
            Ok(lag
                .into_iter()
                .map(PartitionLagInfo::from)
                .collect::<Vec<_>>())
        })
    }

    /// Reads the partition from `offset` next (an integer, or 'earliest' / 'latest'); between
    /// batches. JS has checked that a number `offset` is an integer; the core checks the rest.
    #[napi]
    pub fn seek(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        offset: Either<f64, String>,
    ) -> Result<()> {
        let text = match offset {
            Either::A(offset) => (offset as i64).to_string(),
            Either::B(text) => text,
        };
        let to = kafka_native::StartOffset::parse_as(&text, "seek() argument offset")
            .map_err(|e| js_error(env, &e))?;
        self.inner
            .seek(&topic, partition, to)
            .map_err(|e| js_error(env, &e))
    }

    /// Resolves once the offsets are on disk.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        // At once, not when a pool thread takes the call: a start() in progress ends now.
        self.inner.request_stop();
        let inner = self.inner.clone();
        // A batch JS still holds when the stop gives up on it is not recorded; a settle that
        // comes later finds nothing to settle.
        promise_from_pool_after_logs(env, &self.lane, self.log_lines.clone(), move || {
            inner.stop()
        })
    }
}

impl Drop for NativeConsumer {
    fn drop(&mut self) {
        self.inner
            .settle(Err(kafka_native::BatchError::NotProcessed(
                "the JS consumer is gone".to_string(),
            )));
    }
}

impl NativeConsumer {
    /// For a transactional producer: this consumer's group metadata (no request).
    pub(crate) fn group_metadata(
        &self,
    ) -> std::result::Result<kafka_native::GroupMetadata, kafka_native::KafkaError> {
        self.inner.group_metadata()
    }
}
