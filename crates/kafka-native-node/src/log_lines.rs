//! A client's log lines on their way to the JS logger, in the order they were logged.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::weak_callback::{weak_callback, WeakCallback};

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

/// The JS logger's end of one client's log lines: one threadsafe function, whose queue keeps
/// their order. Node hands a threadsafe function's calls to JS at most 1,000 per turn of the
/// event loop, so a Promise settled from another thread (through a function of its own) can
/// settle while lines logged before it still wait; [`LogLines::after_logged`] queues behind
/// them instead. The JS function takes `null` for that mark and logs nothing.
#[derive(Clone)]
pub(crate) struct LogLines(Arc<WeakCallback<Option<LogEntry>>>);

impl LogLines {
    pub(crate) fn new(on_log: Function<'_, Option<LogEntry>, ()>) -> Result<Self> {
        Ok(LogLines(Arc::new(weak_callback(on_log)?)))
    }

    pub(crate) fn log(&self, record: &kafka_native::LogRecord) {
        self.0.call(Some(LogEntry::from(record)), NonBlocking);
    }

    /// Runs `then` on the JS thread once every line logged before this call has reached the
    /// JS logger; here, at once, when the JS side is going (the environment is closing).
    pub(crate) fn after_logged(&self, then: impl FnOnce() + Send + 'static) {
        let then = Arc::new(Mutex::new(Some(then)));
        let queued = then.clone();
        let status = self
            .0
            .call_with_return_value(None, NonBlocking, move |_, _| {
                if let Some(then) = queued.lock().take() {
                    then();
                }
                Ok(())
            });
        if status != Status::Ok {
            if let Some(then) = then.lock().take() {
                then();
            }
        }
    }
}
