//! napi-rs bindings: JS values in, core calls, JS values out. The kafka-native option names, JS
//! type checks and the logger live in `js/`; defaults, validation and behaviour live in the
//! `kafka-native` crate.

mod admin;
mod consumer;
pub mod defaults;
mod mock_cluster;
mod oauthbearer;
mod producer;

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

/// A librdkafka log line or client error, for the JS logger.
#[napi(object)]
pub struct LogEntry {
    /// The logger method: "error", "warn", "info" or "debug" (the core's mapping).
    pub severity: String,
    pub facility: String,
    pub message: String,
}

impl From<&kafka_native::LogRecord> for LogEntry {
    fn from(r: &kafka_native::LogRecord) -> Self {
        LogEntry {
            severity: r.severity().to_string(),
            facility: r.facility.clone(),
            message: r.message.clone(),
        }
    }
}

/// A callback that must not keep the process alive (stats, logs, delivery reports).
pub(crate) type WeakCallback<T> = ThreadsafeFunction<T, (), T, Status, false, true>;

pub(crate) fn weak_callback<T: ToNapiValue + 'static>(
    f: Function<'_, T, ()>,
) -> Result<WeakCallback<T>> {
    f.build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()
}

/// A core error as a JS error with the core's message; `code` is `InvalidArg` for a bad option
/// or argument.
pub(crate) fn js_error(e: kafka_native::KafkaError) -> Error {
    let status = match e {
        kafka_native::KafkaError::InvalidArgument { .. }
        | kafka_native::KafkaError::Config { .. } => Status::InvalidArg,
        _ => Status::GenericFailure,
    };
    Error::new(status, e.to_string())
}

/// The options every client shares, from what JS gave; a missing one keeps the core's default.
pub(crate) fn client_options(
    brokers: String,
    statistics_interval_ms: Option<u32>,
    driver_options: Option<HashMap<String, String>>,
    topic_options: Option<HashMap<String, String>>,
    on_log: Option<Function<'_, LogEntry, ()>>,
) -> Result<kafka_native::ClientOptions> {
    let mut client = kafka_native::ClientOptions::new(brokers);
    client.properties = properties(driver_options, topic_options);
    if let Some(ms) = statistics_interval_ms {
        client.statistics_interval = std::time::Duration::from_millis(ms.into());
    }
    if let Some(f) = on_log {
        let tsfn = weak_callback(f)?;
        client.on_log = Some(std::sync::Arc::new(move |r: &kafka_native::LogRecord| {
            tsfn.call(LogEntry::from(r), NonBlocking);
        }));
    }
    Ok(client)
}

/// librdkafka properties from JS objects whose values are already strings, in a stable order.
fn properties(
    global: Option<HashMap<String, String>>,
    topic: Option<HashMap<String, String>>,
) -> kafka_native::ClientConfig {
    let sorted = |map: Option<HashMap<String, String>>| {
        let mut pairs: Vec<(String, String)> = map.unwrap_or_default().into_iter().collect();
        pairs.sort();
        pairs
    };
    let mut config = kafka_native::ClientConfig::new();
    for (key, value) in sorted(global) {
        config.set(key, value);
    }
    for (key, value) in sorted(topic) {
        config.set_topic(key, value);
    }
    config
}

/// Runs blocking core work on a thread of ours (never libuv's pool) and settles a Promise with it.
pub(crate) fn promise_from_thread<'env, T, F>(
    env: &'env Env,
    name: &str,
    work: F,
) -> Result<Object<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> std::result::Result<T, kafka_native::KafkaError> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || match work() {
            Ok(value) => deferred.resolve(move |_| Ok(value)),
            Err(e) => deferred.reject(js_error(e)),
        })
        .map_err(|e| Error::from_reason(format!("could not start a thread: {e}")))?;
    Ok(promise)
}

/// The librdkafka version the addon was built with.
#[napi]
pub fn librdkafka_version() -> String {
    kafka_native::librdkafka_version()
}
