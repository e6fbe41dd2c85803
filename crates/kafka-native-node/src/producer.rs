use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::{js_error, promise_from_thread, properties, weak_callback, LogEntry};

#[napi(object)]
pub struct ProducerOptions {
    pub brokers: String,
    pub statistics_interval_ms: u32,
    pub queue_buffering_max_messages: u32,
    pub queue_buffering_max_ms: u32,
    pub driver_options: Option<HashMap<String, String>>,
    pub topic_options: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct ProducerStatsInfo {
    pub send_queue_length: u32,
    /// librdkafka's statistics JSON (parsed in JS).
    pub rdkafka_stats: String,
}

#[napi(object)]
pub struct DeliveryErrorInfo {
    pub code: i32,
    pub name: String,
    pub message: String,
    pub count: f64,
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

#[napi]
pub struct NativeProducer {
    inner: Arc<kafka_native::Producer>,
}

#[napi]
impl NativeProducer {
    #[napi(constructor)]
    pub fn new(
        options: ProducerOptions,
        on_stats: Option<Function<'_, ProducerStatsInfo, ()>>,
        on_delivery_report: Option<Function<'_, DeliveryReportInfo, ()>>,
        on_log: Option<Function<'_, LogEntry, ()>>,
    ) -> Result<Self> {
        let mut config = kafka_native::ProducerConfig::new(options.brokers)
            .statistics_interval(Duration::from_millis(options.statistics_interval_ms.into()))
            .queue_buffering_max_messages(options.queue_buffering_max_messages)
            .queue_buffering_max(Duration::from_millis(options.queue_buffering_max_ms.into()));
        config.driver_options = properties(options.driver_options);
        config.topic_options = properties(options.topic_options);
        if let Some(f) = on_stats {
            let tsfn = weak_callback(f)?;
            config = config.on_stats(move |s| {
                let info = ProducerStatsInfo {
                    send_queue_length: s.send_queue_length as u32,
                    rdkafka_stats: s.rdkafka_stats.to_string(),
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
                    .map(|c| DeliveryErrorInfo {
                        code: c.code as i32,
                        name: c.name,
                        message: c.message,
                        count: c.count as f64,
                    })
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
        if let Some(f) = on_log {
            let tsfn = weak_callback(f)?;
            config = config.on_log(move |r| {
                tsfn.call(LogEntry::from(r), NonBlocking);
            });
        }
        let inner = kafka_native::Producer::new(config).map_err(js_error)?;
        Ok(NativeProducer {
            inner: Arc::new(inner),
        })
    }

    /// One librdkafka call for the whole batch; strings are sent as UTF-8.
    #[napi]
    pub fn send(
        &self,
        topic: String,
        partition: i32,
        payloads: Vec<Either<String, Buffer>>,
    ) -> Result<SendResult> {
        let slices: Vec<&[u8]> = payloads
            .iter()
            .map(|p| match p {
                Either::A(s) => s.as_bytes(),
                Either::B(b) => &b[..],
            })
            .collect();
        let result = self
            .inner
            .send(&topic, partition, &slices)
            .map_err(js_error)?;
        Ok(SendResult {
            enqueued: result.enqueued as u32,
            send_queue_length: result.send_queue_length as u32,
        })
    }

    #[napi(ts_return_type = "Promise<number>")]
    pub fn partition_count<'env>(
        &self,
        env: &'env Env,
        topic: String,
        timeout_ms: u32,
    ) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_thread(env, "kn-metadata", move || {
            inner
                .partition_count(&topic, Duration::from_millis(timeout_ms.into()))
                .map(|n| n as u32)
        })
    }

    /// Resolves once every message is delivered; rejects with the undelivered count on timeout.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env, timeout_ms: u32) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_thread(env, "kn-stop", move || {
            inner.stop(Duration::from_millis(timeout_ms.into()))
        })
    }
}
