use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::consumer::NativeConsumer;
use crate::oauthbearer::{OAuthBearerBridge, PendingTokenWake};
use crate::types::{core_offsets, DeliveryFailure, TopicPartitionOffset};
use crate::{
    call_pool, client_options, invalid_argument, js_error, promise_from_pool,
    promise_from_pool_after_logs, weak_callback, LogEntry, LogLines, WeakCallback,
};

/// Options as JS gave them; a missing one takes the core's default.
#[napi(object)]
pub struct ProducerOptions {
    pub brokers: String,
    pub statistics_interval_ms: Option<u32>,
    pub queue_buffering_max_messages: Option<u32>,
    pub queue_buffering_max_kbytes: Option<u32>,
    pub queue_buffering_max_ms: Option<u32>,
    /// none, gzip, snappy, lz4 or zstd.
    pub compression_codec: Option<String>,
    pub enable_idempotence: Option<bool>,
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: Option<u32>,
    pub driver_options: Option<HashMap<String, String>>,
    pub topic_options: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct ProducerStatsInfo {
    pub send_queue_length: u32,
    /// librdkafka's statistics, parsed once (in the core).
    pub rdkafka_stats: serde_json::Value,
    /// Every message not delivered over the producer's life, counted per error.
    pub delivery_failures: Vec<DeliveryErrorInfo>,
}

#[napi(object)]
pub struct DeliveryErrorInfo {
    pub code: i32,
    pub name: String,
    pub message: String,
    pub count: f64,
}

impl From<kafka_native::DeliveryErrorCount> for DeliveryErrorInfo {
    fn from(c: kafka_native::DeliveryErrorCount) -> Self {
        DeliveryErrorInfo {
            code: c.code as i32,
            name: c.name,
            message: c.message,
            count: c.count as f64,
        }
    }
}

#[napi(object)]
pub struct DeliveryReportInfo {
    pub delivered: f64,
    pub errors: f64,
    pub rdkafka_errinfo: Vec<DeliveryErrorInfo>,
}

#[napi(object)]
pub struct SendResult {
    pub enqueued: u32,
    pub send_queue_length: u32,
}

impl From<kafka_native::SendResult> for SendResult {
    fn from(r: kafka_native::SendResult) -> Self {
        SendResult {
            enqueued: r.enqueued as u32,
            send_queue_length: r.send_queue_length as u32,
        }
    }
}

/// One message with a key or headers; JS has already turned strings into Buffers.
#[napi(object)]
pub struct RecordInput {
    pub payload: Option<Buffer>,
    pub key: Option<Buffer>,
    pub header_names: Vec<String>,
    pub header_values: Vec<Buffer>,
    /// Milliseconds since the Unix epoch; none: the time it is sent.
    pub timestamp: Option<i64>,
}

/// Consecutive payloads of the given byte lengths from the front of `bytes`; `None` if the
/// lengths add up to more than there is.
fn split_by_lengths<'a>(bytes: &'a [u8], lengths: &[u32]) -> Option<Vec<&'a [u8]>> {
    let mut payloads = Vec::with_capacity(lengths.len());
    let mut rest = bytes;
    for &len in lengths {
        let (payload, tail) = rest.split_at_checked(len as usize)?;
        payloads.push(payload);
        rest = tail;
    }
    Some(payloads)
}

/// Payloads packed in JS, split; a JS error naming `lengths` when they add up to more bytes
/// than were given.
fn packed_payloads<'a>(env: &Env, bytes: &'a [u8], lengths: &[u32]) -> Result<Vec<&'a [u8]>> {
    split_by_lengths(bytes, lengths)
        .ok_or_else(|| invalid_argument(env, "lengths", "exceed the bytes given".to_string()))
}

/// How a `deliver()` call ended, for `js/client/producer.js`: where each message landed, in
/// payload order, as two columns (JS makes its `{partition, offset}` objects, far cheaper than
/// an object per message built through napi), or the failure (JS makes the Error, as
/// `js_error` would).
#[napi(object)]
pub struct DeliveryOutcome {
    /// The number JS gave the call.
    pub ticket: u32,
    pub partitions: Option<Int32Array>,
    pub offsets: Option<Float64Array>,
    pub error: Option<DeliveryFailure>,
}

/// A `deliver()` call's end as the producer's events thread or `serve_events` settles it; made
/// into a `DeliveryOutcome` on the JS thread.
struct Settled {
    ticket: u32,
    result: std::result::Result<Vec<kafka_native::Delivered>, DeliveryFailure>,
}

impl Settled {
    fn new(
        ticket: u32,
        result: std::result::Result<Vec<kafka_native::Delivered>, kafka_native::KafkaError>,
    ) -> Self {
        Settled {
            ticket,
            result: result.map_err(|e| DeliveryFailure::from(&e)),
        }
    }

    fn into_outcome(self) -> DeliveryOutcome {
        match self.result {
            Ok(landed) => DeliveryOutcome {
                ticket: self.ticket,
                partitions: Some(Int32Array::new(
                    landed.iter().map(|d| d.partition).collect(),
                )),
                offsets: Some(Float64Array::new(
                    landed.iter().map(|d| d.offset as f64).collect(),
                )),
                error: None,
            },
            Err(error) => DeliveryOutcome {
                ticket: self.ticket,
                partitions: None,
                offsets: None,
                error: Some(error),
            },
        }
    }
}

/// Each record's headers as name/value pairs borrowed from it.
fn record_headers(records: &[RecordInput]) -> Vec<Vec<(&str, &[u8])>> {
    records
        .iter()
        .map(|r| {
            r.header_names
                .iter()
                .zip(&r.header_values)
                .map(|(name, value)| (name.as_str(), &value[..]))
                .collect()
        })
        .collect()
}

/// The core's records, borrowing from JS's.
fn core_records<'a>(
    records: &'a [RecordInput],
    headers: &'a [Vec<(&'a str, &'a [u8])>],
) -> Vec<kafka_native::Record<'a>> {
    records
        .iter()
        .zip(headers)
        .map(|(r, headers)| kafka_native::Record {
            key: r.key.as_deref(),
            payload: r.payload.as_deref(),
            headers,
            timestamp: r.timestamp,
        })
        .collect()
}

/// `deliver()` outcomes not yet taken by JS, and how JS is told of them.
///
/// The producer's events are served on the JS thread (`serve_events`), woken by librdkafka
/// through one threadsafe function: a delivery report reaches JS one thread hand-off sooner
/// than through a `kn-events` thread, and an outcome is returned from `serve_events` rather
/// than called back (a napi Promise per call would cost a threadsafe function, and so a libuv
/// handle opened and closed, per awaited send).
struct Outcomes {
    pending: parking_lot::Mutex<Vec<Settled>>,
    wake: WeakCallback<()>,
}

thread_local! {
    /// This thread is inside `serve_events`, which returns what it settles: no wake needed.
    static SERVING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Outcomes {
    fn wake(&self) {
        self.wake.call((), NonBlocking);
    }

    /// Keeps an outcome for `serve_events`; wakes JS unless this is JS serving (a `deliver()`
    /// settled at once, or `stop()` draining on the call pool, is not).
    fn settle(&self, outcome: Settled) {
        self.pending.lock().push(outcome);
        if !SERVING.with(|serving| serving.get()) {
            self.wake();
        }
    }
}

#[napi]
pub struct NativeProducer {
    /// Dropped first: see `PendingTokenWake`.
    _token_wake: Option<PendingTokenWake>,
    outcomes: Arc<Outcomes>,
    inner: Arc<kafka_native::Producer>,
    /// This client's turn on the call pool.
    lane: Arc<call_pool::Lane>,
    /// Its logger's end: `stop()` settles behind the last line.
    log_lines: Option<LogLines>,
}

#[napi]
impl NativeProducer {
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        options: ProducerOptions,
        on_stats: Option<Function<'_, ProducerStatsInfo, ()>>,
        on_delivery_report: Option<Function<'_, DeliveryReportInfo, ()>>,
        on_log: Option<Function<'_, Option<LogEntry>, ()>>,
        oauthbearer: Option<&OAuthBearerBridge>,
        on_events: Function<'_, (), ()>,
    ) -> Result<Self> {
        let mut config = kafka_native::ProducerConfig::new("");
        let (client, log_lines) = client_options(
            options.brokers,
            options.statistics_interval_ms,
            options.driver_options,
            options.topic_options,
            on_log,
        )?;
        config.client = client;
        config.client.oauthbearer_token = oauthbearer.map(|b| b.provider.clone());
        if let Some(max) = options.queue_buffering_max_messages {
            config.queue_buffering_max_messages = max;
        }
        if let Some(max) = options.queue_buffering_max_kbytes {
            config.queue_buffering_max_kbytes = max;
        }
        if let Some(ms) = options.queue_buffering_max_ms {
            config.queue_buffering_max = Duration::from_millis(ms.into());
        }
        if let Some(codec) = options.compression_codec {
            config.compression = codec.parse().map_err(|e| js_error(env, &e))?;
        }
        if let Some(enable) = options.enable_idempotence {
            config.enable_idempotence = enable;
        }
        config.transactional_id = options.transactional_id;
        if let Some(ms) = options.transaction_timeout_ms {
            config.transaction_timeout = Duration::from_millis(ms.into());
        }
        if let Some(f) = on_stats {
            let tsfn = weak_callback(f)?;
            config = config.on_stats(move |s| {
                let info = ProducerStatsInfo {
                    send_queue_length: s.send_queue_length as u32,
                    rdkafka_stats: s.rdkafka_stats,
                    delivery_failures: s
                        .delivery_failures
                        .into_iter()
                        .map(DeliveryErrorInfo::from)
                        .collect(),
                };
                tsfn.call(info, NonBlocking);
            });
        }
        if let Some(f) = on_delivery_report {
            let tsfn = weak_callback(f)?;
            config = config.on_delivery_report(move |r| {
                let rdkafka_errinfo = r
                    .error_counts
                    .into_iter()
                    .map(DeliveryErrorInfo::from)
                    .collect();
                tsfn.call(
                    DeliveryReportInfo {
                        delivered: r.delivered as f64,
                        errors: r.errors as f64,
                        rdkafka_errinfo,
                    },
                    NonBlocking,
                );
            });
        }
        let outcomes = Arc::new(Outcomes {
            pending: Default::default(),
            wake: weak_callback(on_events)?,
        });
        config = config.serve_events_when_woken({
            let outcomes = outcomes.clone();
            move || outcomes.wake()
        });
        let inner = kafka_native::Producer::new(config).map_err(|e| js_error(env, &e))?;
        Ok(NativeProducer {
            _token_wake: oauthbearer.map(OAuthBearerBridge::wake_on_drop),
            outcomes,
            inner: Arc::new(inner),
            lane: Arc::default(),
            log_lines,
        })
    }

    /// Payloads packed in JS (strings already UTF-8): `bytes` holds them in order and `lengths`
    /// their sizes.
    #[napi]
    pub fn send_bytes(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        bytes: BufferSlice,
        lengths: Uint32Array,
    ) -> Result<SendResult> {
        let payloads = packed_payloads(env, &bytes, &lengths)?;
        self.send_slices(env, &topic, partition, &payloads)
    }

    /// Messages with keys or headers (each its own librdkafka call when it has headers).
    #[napi]
    pub fn send_records(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        records: Vec<RecordInput>,
    ) -> Result<SendResult> {
        let headers = record_headers(&records);
        let records = core_records(&records, &headers);
        let result = self
            .inner
            .send_records(&topic, partition, &records)
            .map_err(|e| js_error(env, &e))?;
        Ok(SendResult::from(result))
    }

    /// Records like `send_records`; once every enqueued record is delivered, or the first has
    /// failed, `serve_events` returns `ticket` with where each landed (fewer entries than
    /// records when the local queue refused the rest: JS says so) or the failure. Throws, and
    /// settles nothing, when the call is refused at once.
    #[napi]
    pub fn deliver(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        records: Vec<RecordInput>,
        ticket: u32,
    ) -> Result<()> {
        let headers = record_headers(&records);
        let records = core_records(&records, &headers);
        self.deliver_records(env, &topic, partition, &records, ticket)
    }

    /// `deliver` for payloads without key or headers, packed as for `send_bytes`: one crossing
    /// for the call instead of an object per message.
    #[napi]
    pub fn deliver_bytes(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        bytes: BufferSlice,
        lengths: Uint32Array,
        ticket: u32,
    ) -> Result<()> {
        let records: Vec<kafka_native::Record> = packed_payloads(env, &bytes, &lengths)?
            .into_iter()
            .map(|payload| kafka_native::Record {
                payload: Some(payload),
                ..Default::default()
            })
            .collect();
        self.deliver_records(env, &topic, partition, &records, ticket)
    }

    fn deliver_records(
        &self,
        env: &Env,
        topic: &str,
        partition: i32,
        records: &[kafka_native::Record],
        ticket: u32,
    ) -> Result<()> {
        let outcomes = self.outcomes.clone();
        let on_delivered = move |result| outcomes.settle(Settled::new(ticket, result));
        self.inner
            .deliver(topic, partition, records, on_delivered)
            .map(|_| ())
            .map_err(|e| js_error(env, &e))
    }

    fn send_slices(
        &self,
        env: &Env,
        topic: &str,
        partition: i32,
        payloads: &[&[u8]],
    ) -> Result<SendResult> {
        let result = self
            .inner
            .send(topic, partition, payloads)
            .map_err(|e| js_error(env, &e))?;
        Ok(SendResult::from(result))
    }

    /// How the producer is doing, as it sees it (no request is made).
    #[napi]
    pub fn health(&self) -> crate::types::HealthInfo {
        crate::types::health_info(self.inner.health(), false)
    }

    /// The fatal error the producer raised, if any: it can then do nothing more than stop.
    /// Never waits (librdkafka keeps it).
    #[napi]
    pub fn fatal_error(&self) -> Option<DeliveryFailure> {
        self.inner.fatal_error().as_ref().map(DeliveryFailure::from)
    }

    /// The transaction protocol: 2 (KIP-890) or 1 once `initTransactions()` has completed,
    /// null before and for a producer without a transactional id. Never waits.
    #[napi]
    pub fn transaction_version(&self) -> Option<u32> {
        self.inner.transaction_version().map(u32::from)
    }

    /// Serves the producer's events (called when the constructor's `on_events` is): delivery
    /// reports, stats and logs go to their callbacks, and the `deliver()` outcomes settled
    /// since the last call are returned. Never waits.
    #[napi]
    pub fn serve_events(&self) -> Vec<DeliveryOutcome> {
        /// Clears `SERVING` however the serve ends.
        struct Serving;
        impl Drop for Serving {
            fn drop(&mut self) {
                SERVING.with(|serving| serving.set(false));
            }
        }
        SERVING.with(|serving| serving.set(true));
        let serving = Serving;
        self.inner.serve_events();
        drop(serving);
        let settled = std::mem::take(&mut *self.outcomes.pending.lock());
        settled.into_iter().map(Settled::into_outcome).collect()
    }

    /// Messages enqueued and not yet reported delivered or failed (no lock, no wait).
    #[napi]
    pub fn in_flight(&self) -> u32 {
        self.inner.in_flight().min(u32::MAX as usize) as u32
    }

    #[napi(ts_return_type = "Promise<number>")]
    pub fn partition_count<'env>(
        &self,
        env: &'env Env,
        topic: String,
        timeout_ms: u32,
    ) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner
                .partition_count(&topic, Duration::from_millis(timeout_ms.into()))
                .map(|n| n as u32)
        })
    }

    /// Registers the transactional producer (fencing older ones with its transactional id).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn init_transactions<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.init_transactions(Duration::from_millis(timeout_ms.into()))
        })
    }

    /// Local: no request, so synchronous.
    #[napi]
    pub fn begin_transaction(&self, env: &Env) -> Result<()> {
        self.inner
            .begin_transaction()
            .map_err(|e| js_error(env, &e))
    }

    /// Adds `consumer`'s group offsets (each the next offset to read) to the transaction.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_offsets_to_transaction<'env>(
        &self,
        env: &'env Env,
        offsets: Vec<TopicPartitionOffset>,
        consumer: &NativeConsumer,
        timeout_ms: u32,
    ) -> Result<Object<'env>> {
        // The group's metadata is the consumer's own state: no request.
        let group = consumer.group_metadata().map_err(|e| js_error(env, &e))?;
        let offsets = core_offsets(offsets);
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.send_offsets_to_transaction(
                &offsets,
                &group,
                Duration::from_millis(timeout_ms.into()),
            )
        })
    }

    /// As `send_offsets_to_transaction`, for a group named by its id alone (no member's
    /// generation to fence by: see `GroupMetadata::for_group`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send_offsets_to_transaction_for_group<'env>(
        &self,
        env: &'env Env,
        offsets: Vec<TopicPartitionOffset>,
        group_id: String,
        timeout_ms: u32,
    ) -> Result<Object<'env>> {
        let group =
            kafka_native::GroupMetadata::for_group(&group_id).map_err(|e| js_error(env, &e))?;
        let offsets = core_offsets(offsets);
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.send_offsets_to_transaction(
                &offsets,
                &group,
                Duration::from_millis(timeout_ms.into()),
            )
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit_transaction<'env>(
        &self,
        env: &'env Env,
        timeout_ms: u32,
    ) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.commit_transaction(Duration::from_millis(timeout_ms.into()))
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn abort_transaction<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || {
            inner.abort_transaction(Duration::from_millis(timeout_ms.into()))
        })
    }

    /// Resolves once every message is delivered; rejects with the undelivered count on timeout.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool_after_logs(env, &self.lane, self.log_lines.clone(), move || {
            inner.stop(Duration::from_millis(timeout_ms.into()))
        })
    }
}
