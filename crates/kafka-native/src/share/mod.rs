//! [`ShareConsumer`]: a member of a share group (KIP-932, "Queues for Kafka").
//!
//! Many members read the same partitions; each record is acquired by one member at a time under
//! a lock, acknowledged on its own (accept, release, reject) and delivered again, with its
//! delivery count one higher, when it is released or its member dies holding it. Needs Apache
//! Kafka 4.2 or newer (share groups on); the MockCluster has no share groups.
//!
//! librdkafka's share consumer must be used from one thread at a time and has no wakeup call, so
//! each `ShareConsumer` drives its handle from a `kn-share` thread of its own: the thread polls,
//! hands a batch over, waits for it to settle, acknowledges its records and polls again (the
//! acknowledgements go with that poll). The hand-over is the one every consumer has: the thread
//! calls `wake` when a batch can be pulled, and [`ShareConsumer::pull`] takes it; or, with
//! [`ShareConsumer::new`], the thread calls the handler itself.

pub(crate) mod acknowledgement;
mod batch;
mod stream;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::{Condvar, Mutex};

pub use acknowledgement::{Acknowledgement, AcknowledgementCommit, AcknowledgementMode};
use batch::Command;
pub use batch::{ShareBatch, ShareRecord};
pub use stream::{NextShareBatch, ShareStream};

use crate::config::{at_most_ms, client_option_setters, refuse_property, validate_topic_name};
use crate::config::{log_error, log_warning, ClientOptions};
use crate::connection::BrokerErrors;
use crate::consumer::BatchError;
use crate::error::KafkaError;
use crate::events::{client_error, library_log, LogHandler};
use crate::native::{NativeShare, NativeShareBatch, ShareHooks, ShareWaker};

/// How long one poll waits for records by default (a stop ends a poll in progress at once).
pub const DEFAULT_SHARE_POLL_WAIT: Duration = Duration::from_millis(250);

/// How long a stop waits for the batch out to settle by default (as a [`crate::Consumer`]'s).
pub const DEFAULT_SHARE_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`ShareConsumer::start`] waits for the member's first partitions by default (as a
/// [`crate::Consumer`]'s for its group's first assignment).
pub const DEFAULT_SHARE_JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How a share consumer's fetches acquire records (KIP-1206, librdkafka's `share.acquire.mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShareAcquireMode {
    /// At most `max_records` records per fetch, a producer's batch split where needed: a member
    /// never holds records it will not be handed in this batch, whose locks would run out while
    /// it works on the others. The default here (Kafka's Java client defaults to
    /// [`ShareAcquireMode::BatchOptimized`]); needs Apache Kafka 4.2 or later (an older broker
    /// acquires whole batches, and librdkafka warns).
    #[default]
    RecordLimit,
    /// Whole producer batches, about `max_records` records: fewer, larger fetches, but a batch
    /// written in one send (thousands of records) is acquired at once by one member.
    BatchOptimized,
}

impl ShareAcquireMode {
    /// `record_limit` or `batch_optimized`, as librdkafka and Kafka's Java client name them.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareAcquireMode::RecordLimit => "record_limit",
            ShareAcquireMode::BatchOptimized => "batch_optimized",
        }
    }
}

impl std::str::FromStr for ShareAcquireMode {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "record_limit" => Ok(ShareAcquireMode::RecordLimit),
            "batch_optimized" => Ok(ShareAcquireMode::BatchOptimized),
            other => Err(KafkaError::invalid(
                "acquire_mode",
                format!("must be 'record_limit' or 'batch_optimized', not {other:?}"),
            )),
        }
    }
}

/// A share consumer's configuration.
#[derive(Clone)]
pub struct ShareConsumerConfig {
    /// The options every client has (brokers, logging, statistics, librdkafka properties).
    pub client: ClientOptions,
    /// The share group (`group.id`); required.
    pub group_id: String,
    /// The topics read (exact names; share groups take no patterns).
    pub topics: Vec<String>,
    /// How records are acknowledged (default explicit).
    pub acknowledgement_mode: AcknowledgementMode,
    /// How long one poll waits for records (default [`DEFAULT_SHARE_POLL_WAIT`]).
    pub poll_wait: Duration,
    /// librdkafka's `max.poll.records`: how many records one batch holds at most (about as many
    /// with [`ShareAcquireMode::BatchOptimized`]); `None` leaves librdkafka's default (500).
    pub max_records: Option<u32>,
    /// How fetches acquire records (default [`ShareAcquireMode::RecordLimit`]).
    pub acquire_mode: ShareAcquireMode,
    /// Renew the locks of a batch's records while it is out and they are not acknowledged
    /// (explicit mode; KIP-1222, Apache Kafka 4.2 or later): every half lock, so that a job
    /// that takes longer than the group's lock is not handed to another member while this one
    /// works on it. A handler or taker that never settles then holds its records until the
    /// consumer stops. Default off (Kafka's behaviour: a lock runs out).
    pub renew_locks: bool,
    /// How long [`ShareConsumer::stop`] waits for the batch out to settle. Default 15 s.
    pub stop_timeout: Duration,
    /// How long [`ShareConsumer::start`] waits for the group to assign the member partitions.
    /// Default 60 s.
    pub join_timeout: Duration,
    /// Told each partition's acknowledgement outcome once the broker answered, on the share
    /// thread (a failed one is also logged as a warning). Kafka's Java client:
    /// `setAcknowledgementCommitCallback`.
    pub on_acknowledgement_commit: Option<AcknowledgementCommitHandler>,
}

/// See [`ShareConsumerConfig::on_acknowledgement_commit`].
pub type AcknowledgementCommitHandler = Arc<dyn Fn(&AcknowledgementCommit) + Send + Sync>;

impl ShareConsumerConfig {
    /// A member of share group `group_id` on the cluster at `brokers`, at the defaults; give it
    /// topics.
    pub fn new(brokers: impl Into<String>, group_id: impl Into<String>) -> Self {
        ShareConsumerConfig {
            client: ClientOptions::new(brokers),
            group_id: group_id.into(),
            topics: Vec::new(),
            acknowledgement_mode: AcknowledgementMode::default(),
            poll_wait: DEFAULT_SHARE_POLL_WAIT,
            max_records: None,
            acquire_mode: ShareAcquireMode::default(),
            renew_locks: false,
            stop_timeout: DEFAULT_SHARE_STOP_TIMEOUT,
            join_timeout: DEFAULT_SHARE_JOIN_TIMEOUT,
            on_acknowledgement_commit: None,
        }
    }

    /// Sets [`ShareConsumerConfig::topics`].
    pub fn topics<I, S>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`ShareConsumerConfig::acknowledgement_mode`].
    pub fn acknowledgement_mode(mut self, mode: AcknowledgementMode) -> Self {
        self.acknowledgement_mode = mode;
        self
    }

    /// Sets [`ShareConsumerConfig::poll_wait`].
    pub fn poll_wait(mut self, wait: Duration) -> Self {
        self.poll_wait = wait;
        self
    }

    /// Sets [`ShareConsumerConfig::max_records`].
    pub fn max_records(mut self, max: u32) -> Self {
        self.max_records = Some(max);
        self
    }

    /// Sets [`ShareConsumerConfig::acquire_mode`].
    pub fn acquire_mode(mut self, mode: ShareAcquireMode) -> Self {
        self.acquire_mode = mode;
        self
    }

    /// Sets [`ShareConsumerConfig::renew_locks`].
    pub fn renew_locks(mut self, renew: bool) -> Self {
        self.renew_locks = renew;
        self
    }

    /// Sets [`ShareConsumerConfig::stop_timeout`].
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Sets [`ShareConsumerConfig::join_timeout`].
    pub fn join_timeout(mut self, timeout: Duration) -> Self {
        self.join_timeout = timeout;
        self
    }

    /// Sets [`ShareConsumerConfig::on_acknowledgement_commit`].
    pub fn on_acknowledgement_commit(
        mut self,
        handler: impl Fn(&AcknowledgementCommit) + Send + Sync + 'static,
    ) -> Self {
        self.on_acknowledgement_commit = Some(Arc::new(handler));
        self
    }

    client_option_setters!();

    /// The checks that need no broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.client.validate()?;
        if self.group_id.trim().is_empty() {
            return Err(KafkaError::invalid(
                "group_id",
                "is required for a share consumer",
            ));
        }
        if self.topics.is_empty() {
            return Err(KafkaError::invalid(
                "topic",
                "is required: one topic or more",
            ));
        }
        for topic in &self.topics {
            validate_topic_name(topic)?;
        }
        at_most_ms("poll_wait_ms", self.poll_wait, 60_000, "a minute")?;
        if self.poll_wait.is_zero() {
            return Err(KafkaError::invalid("poll_wait_ms", "must be 1 or more"));
        }
        if self.max_records == Some(0) {
            return Err(KafkaError::invalid("max_records", "must be 1 or more"));
        }
        at_most_ms("stop_timeout_ms", self.stop_timeout, 600_000, "ten minutes")?;
        at_most_ms("join_timeout_ms", self.join_timeout, 600_000, "ten minutes")?;
        if self.renew_locks && self.acknowledgement_mode == AcknowledgementMode::Implicit {
            return Err(KafkaError::invalid(
                "renew_locks",
                "needs acknowledgement_mode explicit: in implicit mode a batch is accepted \
                 whole, and its locks cannot be renewed",
            ));
        }
        for (key, why) in [
            ("group.id", "the group_id option gives it"),
            (
                "share.acknowledgement.mode",
                "the acknowledgement_mode option gives it",
            ),
            ("share.acquire.mode", "the acquire_mode option gives it"),
        ] {
            refuse_property(&self.client.properties, key, why)?;
        }
        Ok(())
    }

    /// librdkafka's configuration of this consumer.
    fn client_config(&self) -> crate::config::ClientConfig {
        let mode = match self.acknowledgement_mode {
            AcknowledgementMode::Explicit => "explicit",
            AcknowledgementMode::Implicit => "implicit",
        };
        self.client.client_config(|c| {
            c.set("group.id", &self.group_id)
                .set("share.acknowledgement.mode", mode)
                .set("share.acquire.mode", self.acquire_mode.as_str())
                // The share consumer reports no statistics yet (librdkafka 2.15).
                .set("statistics.interval.ms", "0");
            if let Some(max) = self.max_records {
                c.set("max.poll.records", max.to_string());
            }
        })
    }

    /// The librdkafka share consumer, subscribed (no request yet: the heartbeat takes the
    /// subscription to the broker).
    fn native(&self) -> Result<NativeShare, KafkaError> {
        let config = self.client_config();
        let log = self.client.logger();
        let (warn_to, handler) = (log.clone(), self.on_acknowledgement_commit.clone());
        let on_commit = move |outcome: AcknowledgementCommit| {
            if let Some(err) = &outcome.error {
                log_warning(
                    &warn_to,
                    "SHARE",
                    format!(
                        "share consumer: the acknowledgements of {} record(s) of {} [{}] \
                         failed: {err}",
                        outcome.offsets.len(),
                        outcome.topic,
                        outcome.partition
                    ),
                );
            }
            if let Some(handler) = &handler {
                handler(&outcome);
            }
        };
        // As every client logs: librdkafka's lines, and its client errors with the same
        // connection error said once a minute.
        let (log_to, errors_to, brokers) = (log.clone(), log, BrokerErrors::default());
        let hooks = ShareHooks {
            on_log: Box::new(move |level, facility, message| {
                log_to(&library_log(level, facility, message))
            }),
            on_error: Box::new(move |code, message, fatal| {
                let (record, quiet) = client_error(&brokers, code, message, fatal);
                if !quiet {
                    errors_to(&record);
                }
            }),
            on_commit: Box::new(on_commit),
        };
        let native = NativeShare::new(config.to_native()?, hooks)?;
        native.subscribe(&self.topics)?;
        Ok(native)
    }
}

/// A share consumer's handler, called on a thread of its own (`kn-share-work`) with each batch.
/// `Ok` accepts the records not acknowledged otherwise; an error releases them (they are
/// delivered again).
pub type ShareHandler = Box<dyn FnMut(&mut ShareBatch) -> Result<(), BatchError> + Send>;

/// Called (on the share thread) when a batch can be pulled, and once the consumer has ended.
type Wake = Arc<dyn Fn() + Send + Sync>;

/// What the consumer, its share thread and its handler's thread share.
struct Shared {
    /// The batch ready to be pulled.
    ready: Mutex<Option<ShareBatch>>,
    /// The batch out whose records [`ShareConsumer::pull_records`] gave: the consumer holds it
    /// for its taker (as a [`crate::Consumer`] holds its batch out).
    out: Mutex<Option<ShareBatch>>,
    /// The thread has ended (stopped, or a fatal error).
    ended: AtomicBool,
    /// The error that ended it (fatal), or that its stop met (a batch that did not settle).
    failure: Mutex<Option<KafkaError>>,
    /// `stop()` was called: `start()` is refused.
    stopped: AtomicBool,
    /// Ends the share thread's poll in progress, once started.
    waker: Mutex<Option<ShareWaker>>,
    /// The group has assigned the member partitions (or the thread ended): `start` returns.
    joined: Mutex<bool>,
    joined_or_ended: Condvar,
}

impl Shared {
    /// Whether `start` was told: the member has joined (or the thread ended).
    fn joined(&self) -> bool {
        *self.joined.lock()
    }

    /// Tells `start` the member has joined, or that it never will (the thread ended).
    fn done_joining(&self) {
        *self.joined.lock() = true;
        self.joined_or_ended.notify_all();
    }
}

/// A member of a share group. Created stopped; [`ShareConsumer::start`] joins the group.
///
/// `Send` and `Sync`: the librdkafka handle lives on the consumer's own thread, and what the
/// methods reach is behind locks and channels.
///
/// ```no_run
/// use kafka_native::{Acknowledgement, ShareConsumer, ShareConsumerConfig};
/// let config = ShareConsumerConfig::new("localhost:9092", "workers").topics(["jobs"]);
/// let consumer = ShareConsumer::new(config, |batch| {
///     for i in 0..batch.len() {
///         if batch.records()[i].payload.is_none() {
///             batch.acknowledge(i, Acknowledgement::Reject)?; // never again
///         }
///     }
///     Ok(()) // the others are accepted
/// })?;
/// consumer.start()?;
/// # consumer.stop()?;
/// # Ok::<(), kafka_native::KafkaError>(())
/// ```
pub struct ShareConsumer {
    shared: Arc<Shared>,
    commands: Sender<Command>,
    /// What `start` makes the share thread of (and the handler's thread), until it does.
    starting: Mutex<Option<Starting>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    handler_thread: Mutex<Option<JoinHandle<()>>>,
}

impl ShareConsumer {
    /// A consumer whose batches are pulled with [`ShareConsumer::pull`]; `wake` is called (on
    /// the share thread) when one can be, and once the consumer has ended. No network until
    /// [`ShareConsumer::start`].
    pub fn pulled(
        config: ShareConsumerConfig,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<Self, KafkaError> {
        Self::build(config, Arc::new(wake), None)
    }

    /// A consumer that calls `handler` with each batch, on a thread of its own
    /// (`kn-share-work`): `Ok` accepts the records not acknowledged otherwise, an error releases
    /// them. The share thread meanwhile sends what the handler acknowledges on its own at once,
    /// and renews the batch's locks with [`ShareConsumerConfig::renew_locks`].
    pub fn new(
        config: ShareConsumerConfig,
        handler: impl FnMut(&mut ShareBatch) -> Result<(), BatchError> + Send + 'static,
    ) -> Result<Self, KafkaError> {
        let (woken, wakes) = crossbeam_channel::unbounded();
        let wake = Arc::new(move || {
            let _ = woken.send(());
        });
        let log = config.client.logger();
        Self::build(
            config,
            wake,
            Some(HandlerThread {
                handler: Box::new(handler),
                wakes,
                log,
            }),
        )
    }

    /// Checks the configuration (errors name the option); no librdkafka client, and no
    /// network, until [`ShareConsumer::start`].
    fn build(
        config: ShareConsumerConfig,
        wake: Wake,
        handler: Option<HandlerThread>,
    ) -> Result<Self, KafkaError> {
        config.validate()?;
        config.client_config().validate()?; // a bad property, named now
        let (commands, received) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared {
            ready: Mutex::new(None),
            out: Mutex::new(None),
            ended: AtomicBool::new(false),
            failure: Mutex::new(None),
            stopped: AtomicBool::new(false),
            waker: Mutex::new(None),
            joined: Mutex::new(false),
            joined_or_ended: Condvar::new(),
        });
        Ok(ShareConsumer {
            shared,
            commands,
            starting: Mutex::new(Some(Starting {
                config,
                wake,
                handler,
                received,
            })),
            thread: Mutex::new(None),
            handler_thread: Mutex::new(None),
        })
    }

    /// Makes librdkafka's share consumer, starts the share thread, which joins the group and
    /// fetches (and the handler's thread), and returns once the group has assigned the member
    /// partitions: from then on, a record written to them is the member's to be handed (with
    /// `share.auto.offset.reset` `latest`, the default, a record written before is never
    /// delivered). Blocks meanwhile, as [`crate::Consumer::start`] does, up to
    /// [`ShareConsumerConfig::join_timeout`]: then the consumer stops and this returns a
    /// `_TIMED_OUT` error. A second call returns once the first has; one after
    /// [`ShareConsumer::stop`] returns [`KafkaError::Stopped`].
    pub fn start(&self) -> Result<(), KafkaError> {
        if self.shared.stopped.load(Ordering::Acquire) {
            return Err(KafkaError::Stopped);
        }
        let Some(Starting {
            config,
            wake,
            handler,
            received,
        }) = self.starting.lock().take()
        else {
            return self.until_joined(None);
        };
        let join_timeout = config.join_timeout;
        let group_id = config.group_id.clone();
        let native = config.native()?;
        *self.shared.waker.lock() = Some(native.waker());
        let work = ShareThread {
            native,
            shared: self.shared.clone(),
            received,
            settle_to: self.commands.clone(),
            wake,
            mode: config.acknowledgement_mode,
            poll_wait: config.poll_wait,
            renew_locks: config.renew_locks,
            stop_timeout: config.stop_timeout,
            log: config.client.logger(),
            next_id: 0,
            stop_seen: false,
        };
        let cannot = |e: std::io::Error| KafkaError::ClientCreation {
            message: format!("cannot start the share consumer's thread: {e}"),
        };
        if let Some(handler) = handler {
            let shared = self.shared.clone();
            let thread = std::thread::Builder::new()
                .name("kn-share-work".to_string())
                .spawn(move || handler.run(&shared))
                .map_err(cannot)?;
            *self.handler_thread.lock() = Some(thread);
        }
        let thread = std::thread::Builder::new()
            .name("kn-share".to_string())
            .spawn(move || work.run())
            .map_err(cannot)?;
        *self.thread.lock() = Some(thread);
        self.until_joined(Some((join_timeout, &group_id)))
    }

    /// Waits until the member has joined (the share thread saw partitions assigned), or the
    /// consumer has ended. The first start gives its timeout and group: past it, the consumer
    /// stops and this is a `_TIMED_OUT` error.
    fn until_joined(&self, first: Option<(Duration, &str)>) -> Result<(), KafkaError> {
        let deadline = first.map(|(timeout, _)| Instant::now() + timeout);
        let mut joined = self.shared.joined.lock();
        while !*joined {
            match deadline {
                Some(at) => {
                    if self
                        .shared
                        .joined_or_ended
                        .wait_until(&mut joined, at)
                        .timed_out()
                    {
                        break;
                    }
                }
                None => self.shared.joined_or_ended.wait(&mut joined),
            }
        }
        let timed_out = !*joined;
        drop(joined);
        if self.shared.ended.load(Ordering::Acquire) || self.shared.stopped.load(Ordering::Acquire)
        {
            // Ended by a fatal error: the stop returns it (once).
            return Err(self.stop().err().unwrap_or(KafkaError::Stopped));
        }
        if let (true, Some((timeout, group))) = (timed_out, first) {
            let _ = self.stop();
            return Err(KafkaError::kafka(
                kafka_native_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TIMED_OUT,
                &format!("share group {group:?}"),
                format!(
                    "no partitions assigned within {timeout:?} (do the topics exist, and is \
                     the group coordinator reachable?)"
                ),
            ));
        }
        Ok(())
    }

    /// The batch ready now, if any (never waits). The next is fetched once it settles.
    pub fn pull(&self) -> Option<ShareBatch> {
        self.shared.ready.lock().take()
    }

    /// The hand-over for a taker that reads the records and leaves the batch with the consumer
    /// (Node's, which cannot own one), as a [`crate::Consumer`]'s `pull` and `settle`: the batch
    /// ready becomes the consumer's batch out and its records are returned;
    /// [`ShareConsumer::acknowledge_out`] and [`ShareConsumer::settle_out`] answer for it. `None`
    /// when none is ready, or one is out.
    pub fn pull_records(&self) -> Option<Vec<ShareRecord>> {
        let mut out = self.shared.out.lock();
        if out.is_some() {
            return None;
        }
        let mut batch = self.pull()?;
        let records = std::mem::take(&mut batch.records);
        *out = Some(batch);
        Some(records)
    }

    /// [`ShareBatch::acknowledge`] of the batch out ([`ShareConsumer::pull_records`]); refused
    /// when none is out (it settled).
    pub fn acknowledge_out(&self, index: usize, how: Acknowledgement) -> Result<(), KafkaError> {
        match self.shared.out.lock().as_mut() {
            Some(batch) => batch.acknowledge(index, how),
            None => Err(KafkaError::invalid(
                "message",
                "belongs to a batch already settled",
            )),
        }
    }

    /// [`ShareBatch::settle`] of the batch out ([`ShareConsumer::pull_records`]); nothing when
    /// none is out.
    pub fn settle_out(&self, rest: Acknowledgement) {
        let batch = self.shared.out.lock().take();
        if let Some(batch) = batch {
            batch.settle(rest);
        }
    }

    /// Whether the consumer has ended: stopped, or stopped by a fatal error ([`Self::failure`]).
    pub fn ended(&self) -> bool {
        self.shared.ended.load(Ordering::Acquire)
    }

    /// What the fatal error that ended the consumer says, if one did ([`Self::stop`] returns
    /// the error itself).
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.lock().as_ref().map(ToString::to_string)
    }

    /// Tells the share thread to stop, without waiting, and ends its poll in progress (our
    /// librdkafka's `rd_kafka_share_wakeup`): see [`ShareConsumer::stop`].
    pub fn request_stop(&self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(waker) = &*self.shared.waker.lock() {
            waker.wake();
        }
    }

    /// Stops: a batch ready and not pulled has its records released; a batch out (pulled, or
    /// with the handler) is waited for up to [`ShareConsumerConfig::stop_timeout`], and if it
    /// does not settle, its records not acknowledged are released and this returns
    /// [`KafkaError::SettleTimedOut`] (the handler's thread is left to end when the handler
    /// returns). Then the acknowledgements are sent and the member leaves the group. A poll in
    /// progress ends at once; the close is bounded by `socket.timeout.ms`. Idempotent; a
    /// consumer never started has nothing to free. The first call after a fatal error returns
    /// it.
    pub fn stop(&self) -> Result<(), KafkaError> {
        self.shared.stopped.store(true, Ordering::Release);
        self.request_stop();
        drop(self.starting.lock().take());
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
        // A batch out that never settled: the thread released its records at the stop.
        drop(self.shared.out.lock().take());
        self.shared.ended.store(true, Ordering::Release);
        // The handler's thread ends once it sees the consumer ended (the share thread woke it
        // last); one still in a handler that outlived the stop is left to end by itself.
        let mut handler_thread = self.handler_thread.lock();
        if handler_thread.as_ref().is_some_and(|t| t.is_finished())
            || self.shared.failure.lock().is_none()
        {
            if let Some(thread) = handler_thread.take() {
                let _ = thread.join();
            }
        }
        match self.shared.failure.lock().take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

impl Drop for ShareConsumer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// What [`ShareConsumer::start`] needs to start the consumer.
struct Starting {
    config: ShareConsumerConfig,
    wake: Wake,
    handler: Option<HandlerThread>,
    received: Receiver<Command>,
}

/// The thread that calls a [`ShareConsumer::new`] consumer's handler: it pulls each
/// batch when woken, as any taker, and settles it as the handler returns.
struct HandlerThread {
    handler: ShareHandler,
    wakes: Receiver<()>,
    log: LogHandler,
}

impl HandlerThread {
    fn run(mut self, shared: &Shared) {
        while self.wakes.recv().is_ok() {
            if let Some(mut batch) = shared.ready.lock().take() {
                let handler = &mut self.handler;
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&mut batch)))
                        .unwrap_or_else(|_| Err(BatchError::Failed("the handler panicked".into())));
                match outcome {
                    Ok(()) => batch.settle(Acknowledgement::Accept),
                    Err(err) => {
                        if let BatchError::Failed(reason) = &err {
                            log_error(
                                &self.log,
                                "SHARE",
                                format!(
                                    "share consumer: the handler failed; its records not \
                                     acknowledged are released: {reason}"
                                ),
                            );
                        }
                        batch.settle(Acknowledgement::Release);
                    }
                }
            } else if shared.ended.load(Ordering::Acquire) {
                break;
            }
        }
    }
}

/// The thread that owns the librdkafka handle.
struct ShareThread {
    native: NativeShare,
    shared: Arc<Shared>,
    received: Receiver<Command>,
    settle_to: Sender<Command>,
    wake: Wake,
    mode: AcknowledgementMode,
    /// How long one poll waits.
    poll_wait: Duration,
    /// Renew the locks of a batch's records while it is out.
    renew_locks: bool,
    /// How long a stop waits for the batch out to settle.
    stop_timeout: Duration,
    log: LogHandler,
    next_id: u64,
    /// A stop was asked (seen while waiting for something else).
    stop_seen: bool,
}

/// The batch out: the records polled, and where each record handed over is among them.
struct OutBatch<'a> {
    polled: &'a NativeShareBatch,
    indexes: &'a [usize],
}

/// How a batch's records not acknowledged on their own are acknowledged: `Ok` once it settled,
/// `Err` when a stop came first (those records released). `None`: acknowledged on its own, sent.
type Settlement = Result<Vec<Option<Acknowledgement>>, Vec<Option<Acknowledgement>>>;

/// How soon the share thread sees the member's first partitions (its polls are no longer until
/// then).
const JOIN_SEEN_WITHIN: Duration = Duration::from_millis(100);

/// After a poll that failed (not fatally), how long before the next.
const POLL_RETRY: Duration = Duration::from_millis(500);

/// How often, while a batch is out and acknowledgements of it were sent, their outcomes are
/// served (see [`ShareThread::settled`]).
const SERVE_OUTCOMES_EVERY: Duration = Duration::from_millis(100);

/// How often the locks of a batch out are renewed, at the least: half the group's lock, or this
/// when the broker has not said the lock's duration.
const RENEW_EVERY_AT_LEAST: Duration = Duration::from_millis(500);

impl ShareThread {
    fn run(mut self) {
        loop {
            if self.stop_asked() {
                break;
            }
            // Until the member has joined, polls are short: `start` waits to be told.
            let wait = if self.shared.joined() {
                self.poll_wait
            } else {
                self.poll_wait.min(JOIN_SEEN_WITHIN)
            };
            let polled = match self.native.poll(wait) {
                Ok(polled) => polled,
                Err(err) if err.is_fatal() => {
                    *self.shared.failure.lock() = Some(err);
                    break;
                }
                Err(err) => {
                    self.log_error(format!("share consumer: {err}"));
                    match self.received.recv_timeout(POLL_RETRY) {
                        Ok(Command::Stop) => break,
                        _ => continue,
                    }
                }
            };
            self.see_joined();
            let Some(polled) = polled else { continue };
            if !self.hand_over(polled) {
                break;
            }
        }
        if let Err(err) = self.native.close() {
            self.log_error(format!("share consumer: closing: {err}"));
        }
        // Whatever is still ready was never pulled: its records were released above.
        drop(self.shared.ready.lock().take());
        self.shared.ended.store(true, Ordering::Release);
        self.shared.done_joining(); // a start waiting returns (ended)
        (self.wake)();
    }

    /// Until the member has joined: tells `start` once the group has assigned it partitions
    /// (read locally after each poll; the heartbeat brings them).
    fn see_joined(&self) {
        if self.shared.joined() {
            return;
        }
        match self.native.assigned_count() {
            Ok(0) => {}
            Ok(_) => self.shared.done_joining(),
            Err(err) => self.log_error(format!("share consumer: {err}")),
        }
    }

    fn stop_asked(&mut self) -> bool {
        let asked = self
            .received
            .try_iter()
            .any(|command| matches!(command, Command::Stop));
        self.stop_seen |= asked;
        self.stop_seen
    }

    fn log_error(&self, message: String) {
        log_error(&self.log, "SHARE", message);
    }

    /// Hands one polled batch over and acknowledges it as it settles (a record acknowledged on
    /// its own while the batch is out, at once); false when a stop came meanwhile (its records
    /// not acknowledged then released).
    fn hand_over(&mut self, polled: NativeShareBatch) -> bool {
        let (indexes, records) = self.copy_out(&polled);
        let out = OutBatch {
            polled: &polled,
            indexes: &indexes,
        };
        let settled = if records.is_empty() {
            Ok(Vec::new())
        } else {
            self.settlement(records, &out)
        };
        let stopped = settled.is_err();
        let acks = settled.unwrap_or_else(|at_stop| at_stop);
        if self.mode == AcknowledgementMode::Explicit {
            for (&index, how) in indexes.iter().zip(&acks) {
                // None: acknowledged on its own, and sent, while the batch was out.
                let Some(how) = *how else { continue };
                if let Err(err) = self.native.acknowledge(&polled, index, how) {
                    self.log_error(format!("share consumer: acknowledging: {err}"));
                }
            }
        }
        !stopped
    }

    /// The polled records copied out, with their places in the polled batch. Those librdkafka
    /// could not read are logged and left as librdkafka acknowledged them (a corrupt batch
    /// rejected, one it could not decompress released): acknowledged again with a release, a
    /// corrupt record came back up to the delivery limit.
    fn copy_out(&self, polled: &NativeShareBatch) -> (Vec<usize>, Vec<ShareRecord>) {
        let (mut indexes, mut records) = (Vec::new(), Vec::new());
        let mut topic: Option<Arc<str>> = None;
        for index in 0..polled.len() {
            let Some((message, delivery_count)) = polled.get(index) else {
                continue;
            };
            if let Some(code) = message.error() {
                self.log_error(format!(
                    "share consumer: {} [{}] at offset {}: {}",
                    message.topic(),
                    message.partition(),
                    message.offset(),
                    crate::native::error_description(code)
                ));
                continue;
            }
            // One name shared by the records of a topic.
            let name = match &topic {
                Some(t) if &**t == message.topic() => t.clone(),
                _ => Arc::from(message.topic()),
            };
            topic = Some(name.clone());
            indexes.push(index);
            records.push(ShareRecord {
                topic: name,
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp(),
                key: message.key().map(<[u8]>::to_vec),
                payload: message.payload().map(<[u8]>::to_vec),
                headers: message
                    .headers()
                    .into_iter()
                    .map(|(name, value)| (name, value.to_vec()))
                    .collect(),
                delivery_count,
            });
        }
        (indexes, records)
    }

    /// Places `records` as a batch to be pulled, wakes the taker, and waits for it to settle.
    fn settlement(&mut self, records: Vec<ShareRecord>, out: &OutBatch<'_>) -> Settlement {
        self.next_id += 1;
        let id = self.next_id;
        let batch = ShareBatch {
            id,
            acks: vec![None; records.len()],
            records,
            mode: self.mode,
            settle_to: Some(self.settle_to.clone()),
        };
        *self.shared.ready.lock() = Some(batch);
        (self.wake)();
        self.settled(id, out)
    }

    /// Record `index` of the batch out, acknowledged on its own, sent to its broker at once.
    /// Its entry of `acks` (how a stop acknowledges it) is then `None`, unless it was a renewal.
    fn acknowledge_now(
        &self,
        out: &OutBatch<'_>,
        index: usize,
        how: Acknowledgement,
        acks: &mut [Option<Acknowledgement>],
    ) {
        let (Some(&native_index), Some(slot)) = (out.indexes.get(index), acks.get_mut(index))
        else {
            return;
        };
        if how != Acknowledgement::Renew {
            *slot = None;
        }
        let sent = self
            .native
            .acknowledge(out.polled, native_index, how)
            .and_then(|()| self.native.commit_async());
        if let Err(err) = sent {
            self.log_error(format!("share consumer: acknowledging: {err}"));
        }
    }

    /// Renews the locks of the records of the batch out that are not acknowledged yet (those
    /// whose entry of `acks` is still `Some`), in one request per broker.
    fn renew(&self, out: &OutBatch<'_>, acks: &[Option<Acknowledgement>]) {
        let mut renewed = false;
        for (&native_index, _) in out.indexes.iter().zip(acks).filter(|(_, a)| a.is_some()) {
            match self
                .native
                .acknowledge(out.polled, native_index, Acknowledgement::Renew)
            {
                Ok(()) => renewed = true,
                Err(err) => self.log_error(format!("share consumer: renewing a lock: {err}")),
            }
        }
        if renewed {
            if let Err(err) = self.native.commit_async() {
                self.log_error(format!("share consumer: renewing locks: {err}"));
            }
        }
    }

    /// How often the locks of a batch out are renewed: `None` unless asked (explicit mode only).
    fn renewal_interval(&self) -> Option<Duration> {
        if !self.renew_locks || self.mode != AcknowledgementMode::Explicit {
            return None;
        }
        let lock = self.native.acquisition_lock_timeout();
        Some(lock.map_or(RENEW_EVERY_AT_LEAST, |lock| {
            (lock / 2).max(RENEW_EVERY_AT_LEAST)
        }))
    }

    /// Waits for batch `id` to settle: how its records not acknowledged on their own are
    /// acknowledged. Meanwhile records acknowledged on their own are sent at once, and the
    /// locks of the others renewed if asked. A stop releases a batch not pulled yet at once
    /// (`Err`), and waits for one out up to `stop_timeout`, then releases its records not
    /// acknowledged (`Err`, and the stop returns [`KafkaError::SettleTimedOut`]).
    fn settled(&mut self, id: u64, out: &OutBatch<'_>) -> Settlement {
        // Until the settle: how the records not sent on their own are acknowledged at a stop.
        let mut at_stop = vec![Some(Acknowledgement::Release); out.indexes.len()];
        let every = self.renewal_interval();
        let mut next_renewal = every.map(|every| Instant::now() + every);
        let mut stop_by: Option<Instant> = None;
        // While acknowledgements sent meanwhile may be answered: librdkafka tells their
        // outcomes only inside a poll or a commit, and none is made while the batch is out.
        let mut next_serve: Option<Instant> = None;
        loop {
            let deadline = [next_renewal, stop_by, next_serve]
                .into_iter()
                .flatten()
                .min();
            let command = match deadline {
                Some(at) => self.received.recv_deadline(at),
                None => self
                    .received
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            match command {
                Ok(Command::Acknowledge { id: of, index, how }) if of == id => {
                    self.acknowledge_now(out, index, how, &mut at_stop);
                    next_serve.get_or_insert_with(|| Instant::now() + SERVE_OUTCOMES_EVERY);
                }
                Ok(Command::Acknowledge { .. }) => {} // an earlier batch's
                Ok(Command::Settle { id: settled, acks }) if settled == id => return Ok(acks),
                Ok(Command::Settle { .. }) => {} // an earlier batch's, settled twice
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.stop_seen = true;
                    // Not pulled yet: taken back, so that its drop does not settle it later.
                    if let Some(mut ready) = self.shared.ready.lock().take() {
                        ready.settle_to = None;
                        return Err(at_stop);
                    }
                    stop_by.get_or_insert_with(|| Instant::now() + self.stop_timeout);
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if stop_by.is_some_and(|by| now >= by) {
                        self.log_error(format!(
                            "share consumer: the batch out did not settle within stop_timeout \
                             ({:?}); its records not acknowledged are released",
                            self.stop_timeout
                        ));
                        *self.shared.failure.lock() = Some(KafkaError::SettleTimedOut {
                            waited: self.stop_timeout,
                        });
                        return Err(at_stop);
                    }
                    if let (Some(every), Some(at)) = (every, next_renewal) {
                        if now >= at {
                            self.renew(out, &at_stop);
                            next_renewal = Some(now + every);
                            next_serve.get_or_insert(now + SERVE_OUTCOMES_EVERY);
                        }
                    }
                    if next_serve.is_some_and(|at| now >= at) {
                        if let Err(err) = self.native.serve_acknowledgement_outcomes() {
                            self.log_error(format!("share consumer: {err}"));
                        }
                        next_serve = Some(now + SERVE_OUTCOMES_EVERY);
                    }
                }
            }
        }
    }
}
