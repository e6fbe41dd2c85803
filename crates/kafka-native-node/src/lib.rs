//! napi-rs bindings: JS values in, core calls, JS values out. The kafka-native option names, JS
//! type checks and the logger live in `js/`; defaults, validation and behaviour live in the
//! `kafka-native` crate.

mod admin;
mod call_pool;
mod consumer;
pub mod defaults;
mod log_lines;
mod mock_cluster;
mod oauthbearer;
mod producer;
mod received;
mod share_consumer;
mod types;
mod weak_callback;

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

pub(crate) use log_lines::{LogEntry, LogLines};
pub(crate) use weak_callback::{weak_callback, WeakCallback};

/// A core error as a JS Error: the core's message; `code`, its stable name (librdkafka's, e.g.
/// `UNKNOWN_TOPIC_OR_PART` or `_TIMED_OUT`, `_INVALID_ARG` for a bad option or argument, or the
/// client's own, e.g. `STOP_TIMED_OUT`); `retriable` and `fatal`, true where librdkafka says so.
pub(crate) fn js_error(env: &Env, e: &kafka_native::KafkaError) -> Error {
    let build = || -> Result<Error> {
        let mut error = env.create_error(Error::new(Status::GenericFailure, e.to_string()))?;
        error.set_named_property("code", e.code_name())?;
        error.set_named_property("retriable", e.is_retriable())?;
        error.set_named_property("fatal", e.is_fatal())?;
        error.set_named_property("abortable", e.is_abortable())?;
        Ok(Error::from(error.to_unknown()))
    };
    build().unwrap_or_else(|failed| failed)
}

/// A JS error for a bad argument, as `js_error` makes one (code `_INVALID_ARG`).
pub(crate) fn invalid_argument(env: &Env, argument: &str, message: String) -> Error {
    let e = kafka_native::KafkaError::InvalidArgument {
        argument: argument.to_string(),
        message,
    };
    js_error(env, &e)
}

/// The options every client shares, from what JS gave; a missing one keeps the core's default.
pub(crate) fn client_options(
    brokers: String,
    statistics_interval_ms: Option<u32>,
    driver_options: Option<HashMap<String, String>>,
    topic_options: Option<HashMap<String, String>>,
    on_log: Option<Function<'_, Option<LogEntry>, ()>>,
) -> Result<(kafka_native::ClientOptions, Option<LogLines>)> {
    let mut client = kafka_native::ClientOptions::new(brokers);
    client.properties = properties(driver_options, topic_options);
    if let Some(ms) = statistics_interval_ms {
        client.statistics_interval = std::time::Duration::from_millis(ms.into());
    }
    let log_lines = on_log.map(LogLines::new).transpose()?;
    if let Some(lines) = log_lines.clone() {
        client.on_log = Some(Arc::new(move |r: &kafka_native::LogRecord| lines.log(r)));
    }
    Ok((client, log_lines))
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

/// Runs blocking core work on the call pool (threads of ours, never libuv's) and settles a
/// Promise with it. A panic in the work rejects the Promise instead of leaving it pending.
pub(crate) fn promise_from_pool<'env, T, F>(
    env: &'env Env,
    lane: &Arc<call_pool::Lane>,
    work: F,
) -> Result<Object<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> std::result::Result<T, kafka_native::KafkaError> + Send + 'static,
{
    promise_from_pool_after_logs(env, lane, None, work)
}

/// [`promise_from_pool`], settled only once every line the client logged before `work`
/// returned has reached the JS logger (a client's `stop()`: no line of its comes after).
pub(crate) fn promise_from_pool_after_logs<'env, T, F>(
    env: &'env Env,
    lane: &Arc<call_pool::Lane>,
    log_lines: Option<LogLines>,
    work: F,
) -> Result<Object<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> std::result::Result<T, kafka_native::KafkaError> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    call_pool::run(lane, move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let settle = move || {
            deferred.resolve(move |env| match result {
                Ok(result) => result.map_err(|e| js_error(&env, &e)),
                Err(panic) => Err(Error::new(Status::GenericFailure, panic_message(&*panic))),
            })
        };
        match log_lines {
            Some(lines) => lines.after_logged(settle),
            None => settle(),
        }
    })
    .map_err(|e| Error::from_reason(format!("could not start a thread: {e}")))?;
    Ok(promise)
}

/// What a caught panic said, for the error that replaces it.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    format!("kafka-native: internal error (a bug; please report it): {what}")
}

/// The librdkafka version the addon was built with.
#[napi]
pub fn librdkafka_version() -> String {
    kafka_native::librdkafka_version()
}
