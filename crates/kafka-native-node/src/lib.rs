//! napi-rs bindings: JS values in, core calls, JS values out. The kafka-native option names,
//! validation and logger live in `js/`; the behaviour lives in the `kafka-native` crate.

mod consumer;
mod mock_cluster;
mod producer;

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

/// A librdkafka log line or client error, for the JS logger.
#[napi(object)]
pub struct LogEntry {
    /// Syslog level: 0-3 error, 4 warning, 5-6 info, 7 debug.
    pub level: i32,
    pub facility: String,
    pub message: String,
}

impl From<&kafka_native::LogRecord> for LogEntry {
    fn from(r: &kafka_native::LogRecord) -> Self {
        LogEntry {
            level: r.level,
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

/// A core error as a JS error with the core's message.
pub(crate) fn js_error(e: kafka_native::KafkaError) -> Error {
    let status = match e {
        kafka_native::KafkaError::InvalidArgument { .. }
        | kafka_native::KafkaError::Config { .. } => Status::InvalidArg,
        _ => Status::GenericFailure,
    };
    Error::new(status, e.to_string())
}

/// librdkafka properties from a JS object whose values are already strings.
pub(crate) fn properties(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut props: Vec<(String, String)> = map.unwrap_or_default().into_iter().collect();
    props.sort();
    props
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
