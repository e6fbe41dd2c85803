//! Serving a client's main queue (delivery reports, stats, logs, errors) and handing what it
//! holds to a sink: by a `kn-events` thread of the client's own, or by whoever a
//! [`WokenEvents`] wakes when events arrive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

use crate::connection::BrokerErrors;
use crate::error::ErrorCode;
use crate::native::{error_name, ArrivalCallback, ArrivalWake, Event, MessageView, NativeQueue};

/// How long the events thread waits for an event before checking whether it should stop.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Events handled back to back before the sink is told a burst ended.
const MAX_EVENTS_PER_BURST: usize = 1000;

/// Syslog severity of a log line (librdkafka's levels: 0 emergency … 7 debug).
pub type LogLevel = i32;

/// One line of librdkafka's log, or a client error (facility `ERROR`).
#[derive(Clone, Debug)]
pub struct LogRecord {
    /// Its syslog level: 3 error, 4 warning, 5 notice, 6 info, 7 debug.
    pub level: LogLevel,
    /// Who it is from: librdkafka's facility (e.g. `FAIL`), or ours (`BROKERDOWN`, `ERROR <name>`,
    /// ...).
    pub facility: String,
    /// The line itself.
    pub message: String,
    /// For client errors: librdkafka's error code.
    pub error: Option<ErrorCode>,
}

impl LogRecord {
    /// The logger method for this record: `error` (levels 0-3), `warn` (4), `info` (5-6) or
    /// `debug` (7). The one place this mapping lives; the Node binding passes it on.
    pub fn severity(&self) -> &'static str {
        match self.level {
            ..=3 => "error",
            4 => "warn",
            5 | 6 => "info",
            _ => "debug",
        }
    }
}

/// Receives a log record or client error.
pub type LogHandler = Arc<dyn Fn(&LogRecord) + Send + Sync>;

/// Where log records go when no handler is given: warnings and worse to stderr.
pub(crate) fn default_log(record: &LogRecord) {
    if record.level <= 4 {
        eprintln!(
            "kafka-native {} [{}]: {}",
            record.severity(),
            record.facility,
            record.message
        );
    }
}

/// What the events thread hands events to. Runs on the events thread.
pub(crate) trait EventSink: Send + 'static {
    fn delivery_report(&mut self, _messages: &[MessageView<'_>]) {}
    fn stats(&mut self, _json: &str) {}
    fn log(&mut self, record: LogRecord);
    /// Takes every client error, logged or not (a client's health monitor).
    fn observe_error(&mut self, _record: &LogRecord) {}
    /// A client error, `quiet` when the same connection error was logged a moment ago: it is
    /// not logged again, but `observe_error` still takes it.
    fn error(&mut self, record: LogRecord, quiet: bool) {
        self.observe_error(&record);
        if !quiet {
            self.log(record)
        }
    }
    /// The queue is empty (or a burst ended): a good moment to emit aggregates.
    fn burst_done(&mut self) {}
}

/// A running `kn-events` thread; stopping drains what is left in the queue first. Client errors
/// go through the client's [`BrokerErrors`] on their way to the sink, which keeps repeated
/// connection errors from being logged again and again.
pub(crate) struct EventsThread {
    stop: Arc<AtomicBool>,
    queue: Arc<NativeQueue>,
    handle: Option<JoinHandle<()>>,
}

impl EventsThread {
    pub(crate) fn spawn(
        queue: NativeQueue,
        brokers: Arc<BrokerErrors>,
        mut sink: impl EventSink,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let queue = Arc::new(queue);
        let handle = std::thread::Builder::new()
            .name("kn-events".into())
            .spawn({
                let stop = stop.clone();
                let queue = queue.clone();
                move || {
                    while !stop.load(Ordering::Acquire) {
                        serve_burst(&queue, &brokers, &mut sink, POLL_INTERVAL);
                    }
                    // Drain: events already queued (e.g. the last delivery reports) still reach the sink.
                    while serve_burst(&queue, &brokers, &mut sink, Duration::ZERO) > 0 {}
                }
            })?;
        Ok(EventsThread {
            stop,
            queue,
            handle: Some(handle),
        })
    }

    /// Stops the thread after it has drained the queue; idempotent.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.queue.wake();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for EventsThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A main queue served by whoever `wake` wakes, with no thread of the client's own: librdkafka
/// calls `wake` (on its own thread) when events land in the empty queue, and the one woken
/// calls [`WokenEvents::serve`] on a thread of its choosing (Node: the JS thread, which takes a
/// delivery report one thread hand-off sooner than through `kn-events`). Serving from several
/// threads is safe: one at a time.
pub(crate) struct WokenEvents {
    /// `None` once stopped.
    served: Mutex<Option<ServedQueue>>,
    wake: ArrivalWake,
}

/// Field order is drop order: the callback is disabled before the queue reference goes.
struct ServedQueue {
    arrival: ArrivalCallback,
    queue: Arc<NativeQueue>,
    brokers: Arc<BrokerErrors>,
    sink: Box<dyn EventSink>,
}

impl WokenEvents {
    pub(crate) fn enable(
        queue: NativeQueue,
        brokers: Arc<BrokerErrors>,
        sink: impl EventSink,
        wake: ArrivalWake,
    ) -> Self {
        let queue = Arc::new(queue);
        let arrival = ArrivalCallback::enable(queue.clone(), wake.clone());
        if queue.len() > 0 {
            wake(); // what came before the callback (a log line at the client's start)
        }
        WokenEvents {
            served: Mutex::new(Some(ServedQueue {
                arrival,
                queue,
                brokers,
                sink: Box::new(sink),
            })),
            wake,
        }
    }

    /// Hands what is queued to the sink, on the calling thread, up to a burst; wakes again when
    /// more is left (librdkafka calls `wake` only for a queue that was empty). Returns how many
    /// events it served.
    pub(crate) fn serve(&self) -> usize {
        let mut served = self.served.lock();
        let Some(ServedQueue {
            queue,
            brokers,
            sink,
            ..
        }) = served.as_mut()
        else {
            return 0;
        };
        let handled = serve_burst(queue, brokers, sink.as_mut(), Duration::ZERO);
        let more = handled == MAX_EVENTS_PER_BURST && queue.len() > 0;
        drop(served);
        if more {
            (self.wake)();
        }
        handled
    }

    /// Stops waking anyone and drains what is left into the sink, on the calling thread;
    /// idempotent.
    pub(crate) fn stop(&self) {
        let mut served = self.served.lock();
        if let Some(ServedQueue {
            arrival,
            queue,
            brokers,
            mut sink,
        }) = served.take()
        {
            drop(arrival);
            while serve_burst(&queue, &brokers, sink.as_mut(), Duration::ZERO) > 0 {}
        }
    }
}

/// Who serves a client's main queue.
pub(crate) enum Events {
    Thread(EventsThread),
    Woken(Arc<WokenEvents>),
}

impl Events {
    /// Stops serving after the queue is drained; idempotent.
    pub(crate) fn stop(&mut self) {
        match self {
            Events::Thread(thread) => thread.stop(),
            Events::Woken(woken) => woken.stop(),
        }
    }
}

/// The level a librdkafka log line is passed on at.
/// - A broker connection failing is logged (FAIL) and reported as a client error with the same
///   text; the error is logged, once a minute while it lasts, so the line goes to debug.
/// - An idempotent producer's id request that failed and is being retried (GETPID "...:
///   retrying") is librdkafka recovering by itself: on Apache Kafka it happens at almost every
///   start (the bootstrap connection is dropped once the brokers are known, or the coordinator
///   is still loading), so it goes to debug: a newcomer's first producer printed it at info in
///   5 of 7 runs. A failure that counts reaches the error path.
/// - A leader named in a Produce or Fetch answer that the metadata cache does not hold yet
///   (METADATAUPDATE "... not found in cache") is brought by the next metadata refresh: one
///   warning per partition per answer flooded the log when a broker came back.
fn log_level(level: LogLevel, facility: &str, message: &str) -> LogLevel {
    match facility {
        "FAIL" => level.max(7),
        "GETPID" if message.ends_with(": retrying") => level.max(7),
        "METADATAUPDATE" if message.ends_with("not found in cache") => level.max(7),
        _ => level,
    }
}

/// A librdkafka log line as every client passes it on (at the level `log_level` gives it).
pub(crate) fn library_log(level: LogLevel, facility: String, message: String) -> LogRecord {
    LogRecord {
        level: log_level(level, &facility, &message),
        facility,
        message,
        error: None,
    }
}

/// A client error as every client logs it (facility `ERROR <name>`), and whether to keep it
/// quiet: the same connection error was logged a moment ago.
pub(crate) fn client_error(
    brokers: &BrokerErrors,
    code: kafka_native_sys::rd_kafka_resp_err_t,
    message: &str,
    fatal: bool,
) -> (LogRecord, bool) {
    let name = error_name(code);
    let (message, quiet) = brokers.record(code.into(), &name, message);
    let record = LogRecord {
        level: 3,
        facility: format!("ERROR {name}"),
        message: if fatal {
            format!("fatal: {message}")
        } else {
            message
        },
        error: Some(code.into()),
    };
    (record, quiet)
}

/// Handles events until the queue is empty or a burst is long enough; returns how many.
fn serve_burst(
    queue: &NativeQueue,
    brokers: &BrokerErrors,
    sink: &mut dyn EventSink,
    first_wait: Duration,
) -> usize {
    let mut handled = 0;
    let mut wait = first_wait;
    while handled < MAX_EVENTS_PER_BURST {
        let Some(event) = queue.poll(wait) else { break };
        wait = Duration::ZERO;
        handled += 1;
        match event.kind() {
            Event::DeliveryReport(messages) => sink.delivery_report(&messages),
            Event::Stats(json) => sink.stats(json),
            Event::Log {
                level,
                facility,
                message,
            } => sink.log(library_log(level, facility, message)),
            Event::Error {
                code,
                message,
                fatal,
            } => {
                let (record, quiet) = client_error(brokers, code, &message, fatal);
                sink.error(record, quiet);
            }
            Event::Other => {}
        }
    }
    if handled > 0 {
        sink.burst_done();
    }
    handled
}

#[cfg(test)]
mod tests {
    use super::log_level;

    #[test]
    fn retried_producer_id_requests_and_connection_failures_are_not_warnings() {
        let retried = "Failed to acquire idempotence PID from broker b:9092/bootstrap: Local: \
                       Broker handle destroyed without termination: retrying";
        assert_eq!(log_level(4, "GETPID", retried), 7);
        assert_eq!(
            log_level(4, "GETPID", "Failed to acquire idempotence PID: fatal"),
            4
        );
        assert_eq!(
            log_level(3, "FAIL", "b:9092/1: Connect to ipv4#127.0.0.1:9092 failed"),
            7
        );
        assert_eq!(
            log_level(
                4,
                "METADATAUPDATE",
                "Partition t(AAAA)[3]: new leader2 not found in cache"
            ),
            7
        );
        assert_eq!(
            log_level(4, "METADATAUPDATE", "Topic t not found in cache"),
            7
        );
        assert_eq!(log_level(4, "CONFWARN", "anything"), 4);
    }
}
