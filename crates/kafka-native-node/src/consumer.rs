use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::oauthbearer::{OAuthBearerBridge, PendingTokenWake};
use crate::received::{pack_batch, pack_pulled, PackedBatch, ReceivedColumns};

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
/// worker torn down), a batch still waiting for JS to settle it is released at once as not
/// processed (its offsets unrecorded): `settled` goes first (a group's consumer), or `Drop`
/// settles it so (a pulled one). Dropping `inner` (which stops the consumer) then never waits
/// for JS that can no longer run.
#[napi]
pub struct NativeConsumer {
    /// A group's consumer hands batches over from its `kn-fetch` thread and waits here for
    /// their settling: `true`, processed, record its offsets; `false`, not processed (see
    /// `settle`). `None`: the consumer is pulled on the JS thread (`pull`).
    settled: Option<Sender<bool>>,
    /// A pulled consumer's payloads as Buffers rather than strings.
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
    /// A consumer outside a group is pulled on the JS thread: `on_pull` is called when
    /// messages arrive, and JS takes what is ready with `pull()`, each batch in turn. In a
    /// group (whose rebalances wait on the network, so not on the JS thread) its `kn-fetch`
    /// thread calls `on_batch` with each batch. Either way JS calls `settle()` once the
    /// batch's Promise settles, and only then is the next batch handed over.
    #[napi(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        env: &Env,
        options: ConsumerOptions,
        on_batch: Function<'_, ReceivedColumns, ()>,
        on_pull: Function<'_, (), ()>,
        on_stats: Option<Function<'_, ConsumerStatsInfo, ()>>,
        on_log: Option<Function<'_, Option<LogEntry>, ()>>,
        on_rebalance: Option<Function<'_, RebalanceInfo, ()>>,
        oauthbearer: Option<&OAuthBearerBridge>,
    ) -> Result<Self> {
        let pulled = options.group_id.is_none();
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
        let as_buffer = options.payload_as_buffer;
        let token_wake = oauthbearer.map(OAuthBearerBridge::wake_on_drop);
        if pulled {
            // Weak, as below.
            let wake = weak_callback(on_pull)?;
            let inner = kafka_native::Consumer::pulled(config, move || {
                wake.call((), NonBlocking);
            })
            .map_err(|e| js_error(env, &e))?;
            return Ok(NativeConsumer {
                settled: None,
                as_buffer,
                _token_wake: token_wake,
                inner: Arc::new(inner),
                lane: Arc::default(),
                log_lines,
            });
        }
        // Weak: a consumer that is never started must not keep the process alive; the JS side
        // holds the process alive from start() to stop() instead.
        let deliver = on_batch
            .build_threadsafe_function::<PackedBatch>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx| Ok(ctx.value.into_columns()))?;
        let (settled, settled_rx): (Sender<bool>, Receiver<bool>) = crossbeam_channel::bounded(1);
        // A batch JS never got, or can no longer settle, was not processed.
        let handler = move |batch: kafka_native::ReceivedBatch| {
            // Copied out here; librdkafka's messages (and the fetch buffers they pin) are
            // released before JS even sees the batch.
            let packed = pack_batch(&batch, as_buffer);
            drop(batch);
            let status = deliver.call(packed, NonBlocking);
            if status != Status::Ok {
                return Err(kafka_native::BatchError::NotProcessed(format!(
                    "receive_callback could not be called: {status}"
                )));
            }
            match settled_rx.recv() {
                Ok(true) => Ok(()),
                Ok(false) => Err(kafka_native::BatchError::NotProcessed(
                    "receive_callback rejected with notProcessed(), or stop() gave up waiting \
                     for it"
                        .to_string(),
                )),
                Err(_) => Err(kafka_native::BatchError::NotProcessed(
                    "the JS consumer is gone".to_string(),
                )),
            }
        };
        let inner = kafka_native::Consumer::new(config, handler).map_err(|e| js_error(env, &e))?;
        Ok(NativeConsumer {
            settled: Some(settled),
            as_buffer,
            _token_wake: token_wake,
            inner: Arc::new(inner),
            lane: Arc::default(),
            log_lines,
        })
    }

    /// A pulled consumer's next batch, from what is ready; none when nothing is, when the
    /// batch handed over has not settled, while paused or when not running (`on_pull` is
    /// called again when messages arrive). Never waits. A group's consumer: always none.
    #[napi]
    pub fn pull(&self) -> Option<ReceivedColumns> {
        if self.settled.is_some() {
            return None;
        }
        let batch = self.inner.pull()?;
        Some(pack_pulled(batch, self.as_buffer).into_columns())
    }

    /// The batch handed over has settled. `processed: false` leaves its offsets unrecorded
    /// and stops fetching (the JS side's `notProcessed()`).
    #[napi]
    pub fn settle(&self, processed: Option<bool>) {
        let processed = processed.unwrap_or(true);
        match &self.settled {
            Some(settled) => {
                let _ = settled.try_send(processed);
            }
            None => self.inner.settle(if processed {
                Ok(())
            } else {
                Err(kafka_native::BatchError::NotProcessed(
                    "receive_callback rejected with notProcessed()".to_string(),
                ))
            }),
        }
    }

    /// Resolves with the partitions read (a group's first assignment, possibly empty).
    #[napi(ts_return_type = "Promise<TopicPartitionInfo[]>")]
    pub fn start<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.start().map(|list| partitions_info(&list))
        })
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

    /// Reads the partition from `offset` next (-2: its beginning, -1: its end); between
    /// batches. JS has checked that `offset` is an integer.
    #[napi]
    pub fn seek(&self, env: &Env, topic: String, partition: i32, offset: f64) -> Result<()> {
        self.inner
            .seek(&topic, partition, offset as i64)
            .map_err(|e| js_error(env, &e))
    }

    /// Resolves once the offsets are on disk.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        // At once, not when a pool thread takes the call: a start() in progress ends now.
        self.inner.request_stop();
        let inner = self.inner.clone();
        let settled = self.settled.clone();
        promise_from_pool_after_logs(env, &self.lane, self.log_lines.clone(), move || {
            let result = inner.stop();
            if let (Err(kafka_native::KafkaError::SettleTimedOut { .. }), Some(settled)) =
                (&result, settled)
            {
                // The batch JS still holds was not processed: the fetch thread goes (a settle
                // that comes later finds the channel full and is ignored).
                let _ = settled.try_send(false);
            }
            result
        })
    }
}

impl Drop for NativeConsumer {
    fn drop(&mut self) {
        if self.settled.is_none() {
            self.inner
                .settle(Err(kafka_native::BatchError::NotProcessed(
                    "the JS consumer is gone".to_string(),
                )));
        }
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
