//! [`Consumer`]: kafka-native's consumer. Reads one topic (or a worker's share of it), hands
//! batches to a handler with backpressure, and records progress in per-partition offset files.

mod offsets;

pub use offsets::{OffsetDirectory, OffsetStore};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use parking_lot::{Condvar, Mutex};
use rdkafka_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use crate::config::{validate_topic_name, ClientConfig};
use crate::error::KafkaError;
use crate::events::{default_log, EventSink, EventsThread, LogHandler, LogRecord};
use crate::native::client::ClientKind;
use crate::native::{
    error_name, MessageView, NativeClient, NativeMessage, NativeQueue, PartitionList,
};
use offsets::{NoOffsetStore, OffsetWriter};

/// The longest the fetch thread blocks waiting for a first message. A message ends the wait at
/// once, and `stop()` and `pause()` wake the thread (`NativeQueue::wake`), so this is only a
/// safety net: nothing else needs the thread while no message arrives.
const FETCH_WAIT: Duration = Duration::from_secs(30);

/// The default of [`ConsumerConfig::fetch_wait_max`].
pub const DEFAULT_FETCH_WAIT_MAX: Duration = Duration::from_millis(100);

/// Where a partition without an offset file starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartOffset {
    /// The oldest message still in the log (kafka-native's behaviour).
    #[default]
    Earliest,
    /// Only messages produced after the consumer starts.
    Latest,
    /// A given offset.
    Offset(i64),
}

impl std::str::FromStr for StartOffset {
    type Err = KafkaError;

    /// `earliest`, `latest`, or a non-negative offset.
    fn from_str(text: &str) -> Result<Self, KafkaError> {
        match text {
            "earliest" => Ok(StartOffset::Earliest),
            "latest" => Ok(StartOffset::Latest),
            _ => match text.parse::<i64>() {
                Ok(offset) if offset >= 0 => Ok(StartOffset::Offset(offset)),
                _ => Err(KafkaError::invalid(
                    "start_offset",
                    format!("must be \"earliest\", \"latest\" or an offset >= 0, got {text:?}"),
                )),
            },
        }
    }
}

/// Receives [`ConsumerStats`] every `statistics_interval`.
pub type ConsumerStatsHandler = Arc<dyn Fn(ConsumerStats) + Send + Sync>;

/// Periodic consumer statistics, for this consumer's partitions only.
#[derive(Clone, Debug)]
pub struct ConsumerStats {
    /// Messages at the broker not yet fetched: Σ max(high watermark − next offset, 0), less what is
    /// already fetched locally.
    pub waiting_kafka: u64,
    /// Messages fetched into local memory but not yet handed to the handler.
    pub waiting_local: u64,
    /// Messages in the brokers' logs: Σ (high − low watermark).
    pub kafka_log_size: u64,
    /// librdkafka's statistics, parsed.
    pub rdkafka_stats: serde_json::Value,
}

/// Consumer options. The defaults are kafka-native's.
#[derive(Clone)]
pub struct ConsumerConfig {
    pub brokers: String,
    pub topic: String,
    /// Where each partition's last processed offset is kept; default `./kafka-offsets`. `None`
    /// records nothing: every start reads from `start_offset` (a server that only wants live
    /// traffic, say).
    pub offset_directory: Option<PathBuf>,
    /// Most messages per handler call. Default 10,000.
    pub max_messages_per_callback: usize,
    /// `statistics.interval.ms`; zero turns stats off. Default 5 s.
    pub statistics_interval: Duration,
    /// `queued.max.messages.kbytes`: bounds librdkafka's prefetch. Default 1,000,000.
    pub queued_max_messages_kbytes: u32,
    /// `fetch.wait.max.ms`: how long a broker may hold a fetch that finds no data. Default
    /// [`DEFAULT_FETCH_WAIT_MAX`]. Apache Kafka answers as soon as data arrives, so there it only
    /// sets how often an idle consumer asks; the MockCluster and tansu answer an empty fetch only
    /// after this wait, so there it is also the latency of a message that arrives meanwhile.
    pub fetch_wait_max: Duration,
    /// Partition p is read by the worker whose `worker_slot` is `p % num_workers`. Default 1 and 0.
    pub num_workers: i32,
    pub worker_slot: i32,
    /// Where a partition without an offset file starts. Default earliest.
    pub start_offset: StartOffset,
    /// How long `stop()` waits for the batch in flight to settle. Default 15 s.
    pub stop_timeout: Duration,
    /// How long `start()` waits for the topic's metadata. Default 10 s.
    pub metadata_timeout: Duration,
    pub driver_options: Vec<(String, String)>,
    pub topic_options: Vec<(String, String)>,
    pub on_stats: Option<ConsumerStatsHandler>,
    /// librdkafka's logs, client errors and consumption errors; without one, warnings and errors
    /// go to stderr.
    pub on_log: Option<LogHandler>,
}

impl ConsumerConfig {
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        ConsumerConfig {
            brokers: brokers.into(),
            topic: topic.into(),
            offset_directory: Some(PathBuf::from("./kafka-offsets")),
            max_messages_per_callback: 10_000,
            statistics_interval: Duration::from_millis(5000),
            queued_max_messages_kbytes: 1_000_000,
            fetch_wait_max: DEFAULT_FETCH_WAIT_MAX,
            num_workers: 1,
            worker_slot: 0,
            start_offset: StartOffset::Earliest,
            stop_timeout: Duration::from_secs(15),
            metadata_timeout: Duration::from_secs(10),
            driver_options: Vec::new(),
            topic_options: Vec::new(),
            on_stats: None,
            on_log: None,
        }
    }

    pub fn offset_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.offset_directory = Some(dir.into());
        self
    }

    /// Records no offsets: each start reads from [`ConsumerConfig::start_offset`].
    pub fn without_offset_directory(mut self) -> Self {
        self.offset_directory = None;
        self
    }

    pub fn fetch_wait_max(mut self, wait: Duration) -> Self {
        self.fetch_wait_max = wait;
        self
    }

    pub fn max_messages_per_callback(mut self, max: usize) -> Self {
        self.max_messages_per_callback = max;
        self
    }

    pub fn statistics_interval(mut self, interval: Duration) -> Self {
        self.statistics_interval = interval;
        self
    }

    pub fn workers(mut self, num_workers: i32, worker_slot: i32) -> Self {
        self.num_workers = num_workers;
        self.worker_slot = worker_slot;
        self
    }

    pub fn start_offset(mut self, start: StartOffset) -> Self {
        self.start_offset = start;
        self
    }

    pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.driver_options.push((key.into(), value.into()));
        self
    }

    pub fn topic_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.topic_options.push((key.into(), value.into()));
        self
    }

    pub fn on_stats(mut self, f: impl Fn(ConsumerStats) + Send + Sync + 'static) -> Self {
        self.on_stats = Some(Arc::new(f));
        self
    }

    pub fn on_log(mut self, f: impl Fn(&LogRecord) + Send + Sync + 'static) -> Self {
        self.on_log = Some(Arc::new(f));
        self
    }

    /// Checks the options that do not need a broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        validate_topic_name(&self.topic)?;
        if self.brokers.trim().is_empty() {
            return Err(KafkaError::invalid("broker", "is required"));
        }
        if self.num_workers < 1 {
            return Err(KafkaError::invalid(
                "num_workers",
                format!("must be at least 1, got {}", self.num_workers),
            ));
        }
        if self.worker_slot < 0 || self.worker_slot >= self.num_workers {
            return Err(KafkaError::invalid(
                "worker_slot",
                format!(
                    "must be between 0 and num_workers - 1 ({}), got {}",
                    self.num_workers - 1,
                    self.worker_slot
                ),
            ));
        }
        if self.max_messages_per_callback == 0 {
            return Err(KafkaError::invalid(
                "max_messages_per_callback",
                "must be at least 1",
            ));
        }
        if let StartOffset::Offset(o) = self.start_offset {
            if o < 0 {
                return Err(KafkaError::invalid(
                    "start_offset",
                    format!("must be >= 0, got {o}"),
                ));
            }
        }
        Ok(())
    }

    /// The librdkafka properties these options stand for.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "kafka-native")
            // Manual assignment needs a group id; nothing is committed to it.
            .set("group.id", "kafka-native")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set(
                "statistics.interval.ms",
                self.statistics_interval.as_millis().to_string(),
            )
            .set(
                "queued.max.messages.kbytes",
                self.queued_max_messages_kbytes.to_string(),
            )
            .set(
                "fetch.wait.max.ms",
                self.fetch_wait_max.as_millis().to_string(),
            )
            // librdkafka counts queued.min.messages against the shared consumer queue, and a full
            // queue pauses fetching for fetch.queue.backoff.ms (1 s by default). A handler slower
            // than the broker then sees seconds-long gaps; 10 ms refills the queue as it drains.
            .set("fetch.queue.backoff.ms", "10")
            .set("log.queue", "true")
            // A stored offset that is gone (retention) restarts at the oldest message; misses count the gap.
            .set_topic("auto.offset.reset", "earliest");
        for (key, value) in &self.driver_options {
            config.set(key, value);
        }
        for (key, value) in &self.topic_options {
            config.set_topic(key, value);
        }
        config
    }
}

/// One message of a [`ReceivedBatch`], borrowed from librdkafka's own message object.
#[derive(Clone, Copy)]
pub struct Message<'a> {
    topic: &'a str,
    view: MessageView<'a>,
}

impl<'a> Message<'a> {
    pub fn topic(&self) -> &'a str {
        self.topic
    }
    pub fn partition(&self) -> i32 {
        self.view.partition()
    }
    pub fn offset(&self) -> i64 {
        self.view.offset()
    }
    /// `None` for a null value (tombstone).
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.view.payload()
    }
    pub fn key(&self) -> Option<&'a [u8]> {
        self.view.key()
    }
    pub fn headers(&self) -> Vec<(String, &'a [u8])> {
        self.view.headers()
    }
}

/// A batch for the handler. It owns librdkafka's message objects, so it can be moved to another
/// thread (e.g. the JS thread) and read there without copying payloads first.
pub struct ReceivedBatch {
    topic: Arc<str>,
    messages: Vec<NativeMessage>,
    /// Messages below the next expected offset (e.g. the topic was re-created).
    pub repeats: u64,
    /// Offsets skipped (e.g. deleted by retention before they were read).
    pub misses: u64,
}

impl ReceivedBatch {
    pub fn len(&self) -> usize {
        self.messages.len()
    }
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Message<'_>> + '_ {
        self.messages.iter().map(|m| Message {
            topic: &self.topic,
            view: m.view(),
        })
    }
}

/// The handler: called on the `kn-fetch` thread with one batch at a time. The next batch waits
/// until it returns; `Ok` or `Err`, the batch's offsets are then recorded (an `Err` is logged).
pub type BatchHandler = Box<dyn FnMut(ReceivedBatch) -> Result<(), String> + Send>;

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

/// Shared between the API and the fetch thread.
#[derive(Default)]
struct FetchControl {
    stop: AtomicBool,
    paused: Mutex<bool>,
    resumed: Condvar,
    /// Messages pulled by the fetch thread but not yet handed to the handler.
    pulled: AtomicUsize,
}

impl Consumer {
    /// Checks the options; nothing connects until [`Consumer::start`].
    pub fn new(
        config: ConsumerConfig,
        handler: impl FnMut(ReceivedBatch) -> Result<(), String> + Send + 'static,
    ) -> Result<Self, KafkaError> {
        config.validate()?;
        config.client_config().to_native()?; // report a bad property now, naming it
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
            // The handler is still running: leave the thread (it holds its own handle references
            // and records its offsets when it returns) and say so.
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
    let store: Box<dyn OffsetStore> = match &config.offset_directory {
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
    let rkt = client.topic(&config.topic)?;
    let count = crate::metadata::partition_count(
        &client,
        &rkt,
        &config.topic,
        config.metadata_timeout,
        auto_create,
    )?;
    drop(rkt);
    if (count as i32) < config.num_workers {
        let e = KafkaError::invalid(
            "num_workers",
            format!(
                "is {} but topic {:?} has only {count} partition(s)",
                config.num_workers, config.topic
            ),
        );
        return Err(e);
    }
    let partitions: Vec<i32> = (0..count as i32)
        .filter(|p| p % config.num_workers == config.worker_slot)
        .collect();

    // Where each partition starts, and the offset the handler should see next: after its
    // recorded offset, else at `start_offset`. 'latest' is resolved here rather than by
    // librdkafka after assign(), so that every message produced after start() returns is
    // delivered.
    let recorded: Vec<(i32, Option<i64>)> = partitions
        .iter()
        .map(|&p| store.load(p).map(|last| (p, last)))
        .collect::<Result<_, _>>()?;
    let mut latest = HashMap::new();
    if config.start_offset == StartOffset::Latest {
        let unrecorded: Vec<(i32, i64)> = recorded
            .iter()
            .filter(|(_, last)| last.is_none())
            .map(|&(p, _)| (p, 0))
            .collect();
        let mut list = PartitionList::new(&config.topic, &unrecorded)?;
        crate::metadata::retry_while_transient(config.metadata_timeout, |remaining| {
            client.latest_offsets(&mut list, remaining)
        })?;
        latest.extend(list.entries().into_iter().map(|e| (e.partition, e.offset)));
    }
    let mut assignment = Vec::with_capacity(partitions.len());
    let mut next_expected = HashMap::new();
    for (p, last) in recorded {
        let start = match (last, config.start_offset) {
            (Some(last), _) => last + 1,
            (None, StartOffset::Earliest) => rdsys::RD_KAFKA_OFFSET_BEGINNING as i64,
            (None, StartOffset::Latest) => latest[&p],
            (None, StartOffset::Offset(o)) => o,
        };
        if start >= 0 {
            next_expected.insert(p, start);
        }
        assignment.push((p, start));
    }
    let queue = Arc::new(
        client
            .consumer_queue()
            .expect("a consumer handle has a consumer queue"),
    );
    let paused = *control.paused.lock();
    let list = PartitionList::new(&config.topic, &assignment)?;
    client.assign(&list)?;
    if paused {
        client.pause(&list)?;
    }

    let log = logger(config);
    let offsets = Arc::new(Mutex::new(
        OffsetWriter::spawn(store, {
            let log = log.clone();
            move |e| {
                log(&LogRecord {
                    level: 3,
                    facility: "OFFSETS".into(),
                    message: e.to_string(),
                    error: None,
                })
            }
        })
        .map_err(|e| thread_error("offset writer", e))?,
    ));
    let positions = Arc::new(Mutex::new(next_expected));

    let sink = ConsumerEvents {
        client: client.clone(),
        queue: queue.clone(),
        control: control.clone(),
        topic: config.topic.clone(),
        partitions: partitions.clone(),
        positions: positions.clone(),
        on_stats: config.on_stats.clone(),
        log: log.clone(),
    };
    let events = EventsThread::spawn(client.main_queue(), sink)
        .map_err(|e| thread_error("events thread", e))?;

    let (done_tx, fetch_done) = crossbeam_channel::bounded(1);
    let fetch = FetchLoop {
        queue: queue.clone(),
        control,
        topic: Arc::from(config.topic.as_str()),
        max_messages: config.max_messages_per_callback,
        positions,
        offsets: offsets.clone(),
        log,
        _client: client.clone(),
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

fn logger(config: &ConsumerConfig) -> LogHandler {
    config
        .on_log
        .clone()
        .unwrap_or_else(|| Arc::new(default_log))
}

/// The `kn-fetch` thread's state.
struct FetchLoop {
    queue: Arc<NativeQueue>,
    control: Arc<FetchControl>,
    topic: Arc<str>,
    max_messages: usize,
    /// Next offset the handler should see, per partition.
    positions: Arc<Mutex<HashMap<i32, i64>>>,
    offsets: Arc<Mutex<OffsetWriter>>,
    log: LogHandler,
    /// Keeps the client alive while this thread may still use its queue.
    _client: Arc<NativeClient>,
}

impl FetchLoop {
    fn run(&self, handler: &mut BatchHandler) {
        while !self.control.stop.load(Ordering::Acquire) {
            if self.wait_while_paused() {
                continue;
            }
            let batch = self.queue.consume_ready(FETCH_WAIT, self.max_messages);
            let messages = self.keep_messages(batch.into_messages());
            if messages.is_empty() {
                continue;
            }
            self.control.pulled.store(messages.len(), Ordering::Relaxed);
            let (repeats, misses, last_offsets) = self.track(&messages);
            let batch = ReceivedBatch {
                topic: self.topic.clone(),
                messages,
                repeats,
                misses,
            };
            self.control.pulled.store(0, Ordering::Relaxed);
            if let Err(reason) = handler(batch) {
                (self.log)(&LogRecord {
                    level: 3,
                    facility: "HANDLER".into(),
                    message: format!("receive handler failed: {reason}"),
                    error: None,
                });
            }
            // Settled, fulfilled or rejected: record (kafka-native's rule).
            let offsets = self.offsets.lock();
            for (partition, offset) in last_offsets {
                offsets.record(partition, offset);
            }
        }
    }

    /// Waits while paused; true when it waited (so the caller re-checks stop).
    fn wait_while_paused(&self) -> bool {
        let mut paused = self.control.paused.lock();
        if !*paused {
            return false;
        }
        self.control.resumed.wait_for(&mut paused, FETCH_WAIT);
        true
    }

    /// Drops error messages (partition EOF is not an error; others are logged).
    fn keep_messages(&self, messages: Vec<NativeMessage>) -> Vec<NativeMessage> {
        if messages.iter().all(|m| m.view().error().is_none()) {
            return messages;
        }
        messages
            .into_iter()
            .filter(|m| match m.view().error() {
                None => true,
                Some(resp::RD_KAFKA_RESP_ERR__PARTITION_EOF) => false,
                Some(code) => {
                    let detail = m
                        .view()
                        .payload()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_default();
                    (self.log)(&LogRecord {
                        level: 3,
                        facility: format!("CONSUME {}", error_name(code)),
                        message: format!(
                            "{}/{}: {} {detail}",
                            self.topic,
                            m.view().partition(),
                            crate::native::error_description(code)
                        ),
                        error: Some(code.into()),
                    });
                    false
                }
            })
            .collect()
    }

    /// Counts repeats and misses against the next expected offsets and moves them on; returns the
    /// last offset of each partition in the batch.
    fn track(&self, messages: &[NativeMessage]) -> (u64, u64, Vec<(i32, i64)>) {
        let (mut repeats, mut misses) = (0, 0);
        let mut last: Vec<(i32, i64)> = Vec::new();
        let mut positions = self.positions.lock();
        for m in messages {
            let (p, offset) = (m.view().partition(), m.view().offset());
            let expected = positions.entry(p).or_insert(offset);
            if offset < *expected {
                repeats += 1;
            } else if offset > *expected {
                misses += (offset - *expected) as u64;
            }
            *expected = offset + 1;
            match last.iter_mut().find(|(lp, _)| *lp == p) {
                Some(entry) => entry.1 = offset,
                None => last.push((p, offset)),
            }
        }
        (repeats, misses, last)
    }
}

/// Runs on `kn-events`: turns librdkafka's stats into kafka-native's consumer stats.
struct ConsumerEvents {
    client: Arc<NativeClient>,
    queue: Arc<NativeQueue>,
    control: Arc<FetchControl>,
    topic: String,
    partitions: Vec<i32>,
    positions: Arc<Mutex<HashMap<i32, i64>>>,
    on_stats: Option<ConsumerStatsHandler>,
    log: LogHandler,
}

impl EventSink for ConsumerEvents {
    fn stats(&mut self, json: &str) {
        let Some(on_stats) = &self.on_stats else {
            return;
        };
        let rdkafka_stats: serde_json::Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                return self.log(LogRecord {
                    level: 4,
                    facility: "STATS".into(),
                    message: format!("unparsable stats JSON: {e}"),
                    error: None,
                })
            }
        };
        let waiting_local = (self.queue.len() + self.control.pulled.load(Ordering::Relaxed)) as u64;
        let (mut behind, mut kafka_log_size) = (0u64, 0u64);
        for &p in &self.partitions {
            let Ok((low, high)) =
                self.client
                    .query_watermarks(&self.topic, p, Duration::from_secs(1))
            else {
                continue;
            };
            let next = self.positions.lock().get(&p).copied().unwrap_or(low);
            behind += (high - next).max(0) as u64;
            kafka_log_size += (high - low).max(0) as u64;
        }
        on_stats(ConsumerStats {
            waiting_kafka: behind.saturating_sub(waiting_local),
            waiting_local,
            kafka_log_size,
            rdkafka_stats,
        });
    }

    fn log(&mut self, record: LogRecord) {
        (self.log)(&record)
    }
}
