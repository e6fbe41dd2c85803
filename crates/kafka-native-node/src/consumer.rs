use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::{js_error, promise_from_thread, properties, weak_callback, LogEntry};

#[napi(object)]
pub struct ConsumerOptions {
    pub brokers: String,
    pub topic: String,
    pub offset_directory: String,
    pub max_messages_per_callback: u32,
    pub statistics_interval_ms: u32,
    pub queued_max_messages_kbytes: u32,
    pub num_workers: i32,
    pub worker_slot: i32,
    /// Deliver payloads as Buffers instead of UTF-8 strings.
    pub payload_as_buffer: bool,
    pub driver_options: Option<HashMap<String, String>>,
    pub topic_options: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct ConsumerStatsInfo {
    pub waiting_kafka: f64,
    pub waiting_local: f64,
    pub kafka_log_size: f64,
    /// librdkafka's statistics JSON (parsed in JS).
    pub rdkafka_stats: String,
}

#[napi(object)]
pub struct ReceivedMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub payload: Either<String, Buffer>,
    pub key: Option<Either<String, Buffer>>,
}

#[napi(object)]
pub struct ReceivedBatch {
    pub messages: Vec<ReceivedMessage>,
    pub repeats: f64,
    pub misses: f64,
}

fn bytes_to_js(bytes: &[u8], as_buffer: bool) -> Either<String, Buffer> {
    if as_buffer {
        Either::B(bytes.to_vec().into())
    } else {
        Either::A(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn batch_to_js(batch: &kafka_native::ReceivedBatch, as_buffer: bool) -> ReceivedBatch {
    let messages = batch
        .iter()
        .map(|m| ReceivedMessage {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            payload: bytes_to_js(m.payload().unwrap_or_default(), as_buffer),
            key: m.key().map(|k| bytes_to_js(k, as_buffer)),
        })
        .collect();
    ReceivedBatch {
        messages,
        repeats: batch.repeats as f64,
        misses: batch.misses as f64,
    }
}

#[napi]
pub struct NativeConsumer {
    inner: Arc<kafka_native::Consumer>,
    settled: Sender<()>,
}

#[napi]
impl NativeConsumer {
    /// `on_batch` is called with each batch; the JS side calls `settle()` once the batch's
    /// Promise settles, and only then is the next batch handed over.
    #[napi(constructor)]
    pub fn new(
        options: ConsumerOptions,
        on_batch: Function<'_, ReceivedBatch, ()>,
        on_stats: Option<Function<'_, ConsumerStatsInfo, ()>>,
        on_log: Option<Function<'_, LogEntry, ()>>,
    ) -> Result<Self> {
        let mut config = kafka_native::ConsumerConfig::new(options.brokers, options.topic)
            .offset_directory(options.offset_directory)
            .max_messages_per_callback(options.max_messages_per_callback as usize)
            .statistics_interval(Duration::from_millis(options.statistics_interval_ms.into()))
            .workers(options.num_workers, options.worker_slot);
        config.queued_max_messages_kbytes = options.queued_max_messages_kbytes;
        config.driver_options = properties(options.driver_options);
        config.topic_options = properties(options.topic_options);
        if let Some(f) = on_stats {
            let tsfn = weak_callback(f)?;
            config = config.on_stats(move |s| {
                let info = ConsumerStatsInfo {
                    waiting_kafka: s.waiting_kafka as f64,
                    waiting_local: s.waiting_local as f64,
                    kafka_log_size: s.kafka_log_size as f64,
                    rdkafka_stats: s.rdkafka_stats.to_string(),
                };
                tsfn.call(info, NonBlocking);
            });
        }
        if let Some(f) = on_log {
            let tsfn = weak_callback(f)?;
            config = config.on_log(move |r| {
                tsfn.call(LogEntry::from(r), NonBlocking);
            });
        }
        let as_buffer = options.payload_as_buffer;
        // Weak: a consumer that is never started must not keep the process alive; the JS side
        // holds the process alive from start() to stop() instead.
        let deliver = on_batch
            .build_threadsafe_function::<kafka_native::ReceivedBatch>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |ctx| Ok(batch_to_js(&ctx.value, as_buffer)))?;
        let (settled, settled_rx): (Sender<()>, Receiver<()>) = crossbeam_channel::bounded(1);
        let handler = move |batch: kafka_native::ReceivedBatch| {
            let status = deliver.call(batch, NonBlocking);
            if status != Status::Ok {
                return Err(format!("could not call receive_callback: {status}"));
            }
            settled_rx
                .recv()
                .map_err(|_| "the consumer was dropped".to_string())
        };
        let inner = kafka_native::Consumer::new(config, handler).map_err(js_error)?;
        Ok(NativeConsumer {
            inner: Arc::new(inner),
            settled,
        })
    }

    /// The batch handed to `on_batch` has settled.
    #[napi]
    pub fn settle(&self) {
        let _ = self.settled.try_send(());
    }

    #[napi(ts_return_type = "Promise<number[]>")]
    pub fn start<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_thread(env, "kn-start", move || inner.start())
    }

    #[napi]
    pub fn pause(&self) -> Result<()> {
        self.inner.pause().map_err(js_error)
    }

    #[napi]
    pub fn resume(&self) -> Result<()> {
        self.inner.resume().map_err(js_error)
    }

    /// Resolves once the offsets are on disk.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_thread(env, "kn-stop", move || inner.stop())
    }
}
