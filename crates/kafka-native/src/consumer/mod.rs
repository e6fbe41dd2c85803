//! [`Consumer`]: kafka-native's consumer. Reads one topic (or a worker's share of it), hands
//! batches to a handler with backpressure, and records progress in per-partition offset files.
//!
//! - `config`: the options and their checks;
//! - `assignment`: which partitions, and where each starts;
//! - `fetch`: the `kn-fetch` thread (batches, backpressure, repeats and misses);
//! - `batch`: what the handler gets and may answer;
//! - `offsets`: offset files and the `kn-offsets` writer;
//! - `stats`: the `kn-events` sink.

mod assignment;
mod batch;
mod config;
mod fetch;
mod offsets;
mod stats;

pub use batch::{BatchError, BatchHandler, Message, ReceivedBatch};
pub use config::{ConsumerConfig, ConsumerStatsHandler, StartOffset, DEFAULT_FETCH_WAIT_MAX};
pub use offsets::{OffsetDirectory, OffsetStore};
pub use stats::ConsumerStats;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use parking_lot::Mutex;
use rdkafka_sys as rdsys;

use crate::config::log_error;
use crate::connection::BrokerErrors;
use crate::error::KafkaError;
use crate::events::EventsThread;
use crate::metadata::Retry;
use crate::native::client::ClientKind;
use crate::native::{NativeClient, NativeQueue, PartitionList};
use fetch::{FetchControl, FetchLoop, Progress};
use offsets::{NoOffsetStore, OffsetWriter};
use stats::ConsumerEvents;

/// kafka-native's consumer.
///
/// ```no_run
/// use kafka_native::{Consumer, ConsumerConfig};
/// let consumer = Consumer::new(
///     ConsumerConfig::new("localhost:9092", "events").offset_directory("./offsets"),
///     |batch| {
///         for m in batch.iter() {
///             println!("{} {} {:?}", m.partition(), m.offset(), m.payload());
///         }
///         Ok(())
///     },
/// )?;
/// let partitions = consumer.start()?;
/// consumer.stop()?;
/// # let _ = partitions;
/// # Ok::<(), kafka_native::KafkaError>(())
/// ```
pub struct Consumer {
    state: Mutex<State>,
    control: Arc<FetchControl>,
}

enum State {
    /// The handler is taken when the fetch thread starts.
    Created {
        config: ConsumerConfig,
        handler: Option<BatchHandler>,
    },
    Running(Running),
    Stopped,
}

/// Field order is drop order: threads first, the client handle last.
struct Running {
    fetch: Option<JoinHandle<()>>,
    fetch_done: Receiver<()>,
    events: EventsThread,
    offsets: Arc<Mutex<OffsetWriter>>,
    queue: Arc<NativeQueue>,
    client: Arc<NativeClient>,
    topic: String,
    partitions: Vec<i32>,
    stop_timeout: Duration,
}

impl Consumer {
    /// Checks the options; nothing connects until [`Consumer::start`].
    pub fn new(
        config: ConsumerConfig,
        handler: impl FnMut(ReceivedBatch) -> Result<(), BatchError> + Send + 'static,
    ) -> Result<Self, KafkaError> {
        config.validate()?;
        config.client_config().validate()?; // report a bad property now, naming it
        Ok(Consumer {
            state: Mutex::new(State::Created {
                config,
                handler: Some(Box::new(handler)),
            }),
            control: Arc::new(FetchControl::default()),
        })
    }

    /// Connects, picks this worker's partitions, reads their offset files and starts fetching.
    /// Returns the partitions it reads.
    pub fn start(&self) -> Result<Vec<i32>, KafkaError> {
        let mut state = self.state.lock();
        let running = match &mut *state {
            State::Running(running) => return Ok(running.partitions.clone()),
            State::Stopped => return Err(KafkaError::Stopped),
            State::Created { config, handler } => start(config, handler, self.control.clone())?,
        };
        let partitions = running.partitions.clone();
        *state = State::Running(running);
        Ok(partitions)
    }

    /// Stops handing batches and fetching, until [`Consumer::resume`]. May be called before `start`.
    pub fn pause(&self) -> Result<(), KafkaError> {
        *self.control.paused.lock() = true;
        if let State::Running(r) = &*self.state.lock() {
            r.client.pause(&r.partition_list()?)?;
            r.queue.wake(); // the fetch thread goes on to wait for resume()
        }
        Ok(())
    }

    /// Carries on exactly where [`Consumer::pause`] stopped.
    pub fn resume(&self) -> Result<(), KafkaError> {
        if let State::Running(r) = &*self.state.lock() {
            r.client.resume(&r.partition_list()?)?;
        }
        *self.control.paused.lock() = false;
        self.control.resumed.notify_all();
        Ok(())
    }

    /// Stops fetching, waits (up to `stop_timeout`) for the batch in flight to settle, writes the
    /// pending offsets and closes the client. Returns once the offsets are on disk. Idempotent.
    pub fn stop(&self) -> Result<(), KafkaError> {
        let running = match std::mem::replace(&mut *self.state.lock(), State::Stopped) {
            State::Running(running) => running,
            _ => return Ok(()),
        };
        self.control.stop.store(true, Ordering::Release);
        self.control.resumed.notify_all();
        running.queue.wake();
        running.finish()
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Running {
    /// This consumer's partitions, for pause and resume (offsets unused).
    fn partition_list(&self) -> Result<PartitionList, KafkaError> {
        let partitions: Vec<(i32, i64)> = self.partitions.iter().map(|p| (*p, 0)).collect();
        PartitionList::new(&self.topic, &partitions)
    }

    fn finish(mut self) -> Result<(), KafkaError> {
        let settled = self.fetch_done.recv_timeout(self.stop_timeout).is_ok();
        let mut result = Ok(());
        if settled {
            if let Some(fetch) = self.fetch.take() {
                let _ = fetch.join();
            }
        } else {
            // The handler is still running: leave the thread (it holds its own handle
            // references) and say so.
            result = Err(KafkaError::SettleTimedOut {
                waited: self.stop_timeout,
            });
        }
        if let Err(e) = self.offsets.lock().finish() {
            result = result.and(Err(KafkaError::invalid(
                "offset_directory",
                format!("could not write offsets: {e}"),
            )));
        }
        if settled {
            self.client.consumer_close();
        }
        self.events.stop();
        result
    }
}

/// Connects and starts the threads. `handler` is taken only once nothing else can fail, so a
/// failed start can be retried.
fn start(
    config: &ConsumerConfig,
    handler: &mut Option<BatchHandler>,
    control: Arc<FetchControl>,
) -> Result<Running, KafkaError> {
    let thread_error = |what: &str, e: std::io::Error| KafkaError::ClientCreation {
        message: format!("could not start the {what}: {e}"),
    };
    let mut store: Box<dyn OffsetStore> = match &config.offset_directory {
        Some(dir) => Box::new(OffsetDirectory::open(dir, &config.topic)?),
        None => Box::new(NoOffsetStore),
    };
    let client_config = config.client_config();
    let auto_create = client_config.get("allow.auto.create.topics") == Some("true");
    let mut conf = client_config.to_native()?;
    conf.enable_events(
        rdsys::RD_KAFKA_EVENT_STATS | rdsys::RD_KAFKA_EVENT_ERROR | rdsys::RD_KAFKA_EVENT_LOG,
    );
    let client = Arc::new(NativeClient::new(ClientKind::Consumer, conf)?);
    client.route_logs_to_main_queue()?;
    let log = config.client.logger();
    let queue = Arc::new(
        client
            .consumer_queue()
            .expect("a consumer handle has a consumer queue"),
    );
    // The events thread runs from here on, so that connection errors reach the logger and the
    // metadata requests below can fail fast with their reason.
    let brokers = Arc::new(BrokerErrors::default());
    let positions = Arc::new(Mutex::new(HashMap::new()));
    let assigned = Arc::new(Mutex::new(Vec::new()));
    let events = EventsThread::spawn(
        client.main_queue(),
        brokers.clone(),
        ConsumerEvents {
            client: client.clone(),
            queue: queue.clone(),
            control: control.clone(),
            topic: config.topic.clone(),
            assigned: assigned.clone(),
            positions: positions.clone(),
            on_stats: config.on_stats.clone(),
            log: log.clone(),
        },
    )
    .map_err(|e| thread_error("events thread", e))?;

    let retry = Retry {
        what: &format!("topic {:?}", config.topic),
        timeout: config.metadata_timeout,
        brokers: &brokers,
    };
    let rkt = client.topic(&config.topic)?;
    let count =
        crate::metadata::partition_count(&client, &rkt, &config.topic, &retry, auto_create)?;
    drop(rkt);
    let partitions = assignment::worker_partitions(config, count)?;
    store.prepare(&partitions)?;
    let starts = assignment::starts(&client, config, store.as_ref(), &partitions, &retry)?;
    positions.lock().extend(
        starts
            .iter()
            .filter_map(|s| Some((s.partition, Progress::at(s.expected?)))),
    );
    *assigned.lock() = partitions.clone();

    let list = PartitionList::new(
        &config.topic,
        &starts
            .iter()
            .map(|s| (s.partition, s.offset))
            .collect::<Vec<_>>(),
    )?;
    client.assign(&list)?;
    if *control.paused.lock() {
        client.pause(&list)?;
    }

    let offsets = Arc::new(Mutex::new(
        OffsetWriter::spawn(store, {
            let log = log.clone();
            move |e| log_error(&log, "OFFSETS", e.to_string())
        })
        .map_err(|e| thread_error("offset writer", e))?,
    ));
    let (done_tx, fetch_done) = crossbeam_channel::bounded(1);
    let fetch = FetchLoop {
        queue: queue.clone(),
        control,
        topic: Arc::from(config.topic.as_str()),
        max_messages: config.max_messages_per_callback,
        positions,
        offsets: offsets.clone(),
        log,
        client: client.clone(),
    };
    let mut handler = handler.take().ok_or(KafkaError::Stopped)?;
    let fetch = std::thread::Builder::new()
        .name("kn-fetch".into())
        .spawn(move || {
            fetch.run(&mut handler);
            let _ = done_tx.send(());
        })
        .map_err(|e| thread_error("fetch thread", e))?;
    Ok(Running {
        fetch: Some(fetch),
        fetch_done,
        events,
        offsets,
        queue,
        client,
        topic: config.topic.clone(),
        partitions,
        stop_timeout: config.stop_timeout,
    })
}
