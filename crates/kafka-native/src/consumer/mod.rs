//! [`Consumer`]: kafka-native's consumer. Reads one topic (or a worker's share of it) with
//! per-partition offset files, or joins a consumer group; hands batches to a handler with
//! backpressure and records progress only once a batch has settled.
//!
//! - `config`: the options and their checks;
//! - `assignment`: which partitions, and where each starts;
//! - `group`: consumer-group mode (the rebalance hook);
//! - `hand`: the hand-over: the one way a batch leaves the core (pull, settle, wake), and the
//!   `kn-fetch` thread where there is one;
//! - `fetch`: taking batches from librdkafka (seeks, repeats and misses) and recording them;
//! - `batch`: what the handler gets and may answer;
//! - `offsets`: offset files, group commits and the `kn-offsets` writer;
//! - `stats`: the `kn-events` sink.

mod assignment;
mod batch;
mod config;
mod fetch;
mod group;
mod hand;
mod lag;
mod offsets;
mod stats;
mod stream;

pub use batch::{BatchError, BatchHandler, Message, ReceivedBatch};
pub use config::{
    ConsumerConfig, ConsumerStats, ConsumerStatsHandler, GroupProtocol, IsolationLevel,
    RebalanceChange, RebalanceHandler, StartOffset, DEFAULT_FETCH_WAIT_MAX, DEFAULT_STUCK_AFTER,
};
pub use fetch::MAX_BATCH_BYTES;
pub use lag::{PartitionLag, DEFAULT_LAG_TIMEOUT};
pub use offsets::{OffsetDirectory, OffsetStore};
pub use stream::{BatchStream, NextBatch, StreamBatch};

/// librdkafka's logical offset of a partition's oldest message ([`StartOffset::Earliest`]).
const OFFSET_BEGINNING: i64 = kafka_native_sys::RD_KAFKA_OFFSET_BEGINNING as i64;
/// librdkafka's logical offset of a partition's end ([`StartOffset::Latest`]).
const OFFSET_END: i64 = kafka_native_sys::RD_KAFKA_OFFSET_END as i64;

use crate::health::{Health, HealthMonitor};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kafka_native_sys as rdsys;
use parking_lot::Mutex;

use crate::config::log_error;
use crate::connection::BrokerErrors;
use crate::error::KafkaError;
use crate::events::EventsThread;
use crate::metadata::Retry;
use crate::native::client::ClientKind;
use crate::native::{GroupMetadata, NativeClient, NativeQueue, NativeTopic, PartitionList};
use crate::topic_partition::{check_next_offsets, TopicPartition};
use assignment::Assigned;
use fetch::{FetchControl, FetchLoop, Positions, Progress};
use group::GroupRebalance;
use hand::{Feed, Hand};
use offsets::{FlushError, GroupCommits, NoOffsetStore, OffsetWriter};
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
    /// Held only for moments, never across network I/O: `pause()`, `resume()` and
    /// `assignment()`, which JavaScript calls synchronously, take it.
    state: Mutex<State>,
    /// Held by `start()` while it connects; `stop()` cancels the start, then waits here.
    starting: Mutex<()>,
    control: Arc<FetchControl>,
    /// The hand-over, once started: reachable without the state, so that a batch settles
    /// while `stop()` waits for it.
    hand: Mutex<Option<Arc<Hand>>>,
    /// While `stop()` waits for the batch out: where a commit goes (the batch's handler may
    /// commit what it handled before it settles, as a KafkaJS handler stopped midway does).
    stopping: Mutex<Option<Committer>>,
}

/// What [`Consumer::commit`] needs of a running (or stopping) consumer.
#[derive(Clone)]
struct Committer {
    offsets: Arc<Mutex<OffsetWriter>>,
    assigned: Arc<Assigned>,
}

enum State {
    /// The feed is taken when fetching starts.
    Created {
        config: Box<ConsumerConfig>,
        feed: Option<Feed>,
    },
    /// `start()` holds the config while it connects (without the state lock).
    Starting,
    Running(Running),
    Stopped,
}

/// Field order is drop order: threads first, the client handle last.
struct Running {
    hand: Arc<Hand>,
    /// The `kn-fetch` thread, where there is one (a handler, or a group).
    fetch_thread: Option<JoinHandle<()>>,
    events: EventsThread,
    offsets: Arc<Mutex<OffsetWriter>>,
    queue: Arc<NativeQueue>,
    client: Arc<NativeClient>,
    assigned: Arc<Assigned>,
    group: Option<Arc<GroupRebalance>>,
    positions: Positions,
    stop_timeout: Duration,
    auto_commit: bool,
    health: Arc<HealthMonitor>,
}

impl Consumer {
    /// Checks the options; nothing connects until [`Consumer::start`].
    pub fn new(
        config: ConsumerConfig,
        handler: impl FnMut(ReceivedBatch) -> Result<(), BatchError> + Send + 'static,
    ) -> Result<Self, KafkaError> {
        Self::with_feed(config, Feed::Handler(Box::new(handler)))
    }

    /// A consumer its caller pulls, for event loops: `wake` is called when a batch can be
    /// pulled (on a librdkafka thread, under a lock of its, or on `kn-fetch`: it must only
    /// signal, never call the consumer), and the one woken takes it with [`Consumer::pull`],
    /// which never waits, and answers each batch with [`Consumer::settle`] before it is given
    /// the next. Outside a group there is no `kn-fetch` thread: `pull` takes what is ready from
    /// librdkafka on the caller's thread (Node's JS thread gets a batch one thread hand-off
    /// sooner). In a group the `kn-fetch` thread takes each batch, since a group's rebalances
    /// are served where its queue is and wait on the network, and `wake`s the caller.
    ///
    /// ```no_run
    /// use std::sync::{mpsc, Arc};
    /// let (woken, wakes) = mpsc::channel();
    /// let config = kafka_native::ConsumerConfig::new("localhost:9092", "events");
    /// let consumer = Arc::new(kafka_native::Consumer::pulled(config, move || {
    ///     let _ = woken.send(());
    /// })?);
    /// consumer.start()?;
    /// while wakes.recv().is_ok() {
    ///     while let Some(batch) = consumer.pull() {
    ///         println!("{} messages", batch.len());
    ///         consumer.settle(Ok(()));
    ///     }
    /// }
    /// # Ok::<(), kafka_native::KafkaError>(())
    /// ```
    pub fn pulled(
        config: ConsumerConfig,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<Self, KafkaError> {
        Self::with_feed(config, Feed::Pulled(Arc::new(wake)))
    }

    fn with_feed(config: ConsumerConfig, feed: Feed) -> Result<Self, KafkaError> {
        config.validate()?;
        config.client_config().validate()?; // report a bad property now, naming it
        Ok(Consumer {
            state: Mutex::new(State::Created {
                config: Box::new(config),
                feed: Some(feed),
            }),
            starting: Mutex::new(()),
            control: Arc::new(FetchControl::default()),
            hand: Mutex::new(None),
            stopping: Mutex::new(None),
        })
    }

    /// For a [`Consumer::pulled`] consumer: what is ready, as one batch. `None` when nothing
    /// is (the consumer's `wake` is called when there is), when the batch handed over has not
    /// been settled, while paused, when not running, or for a consumer with a handler (whose
    /// thread pulls). Never waits.
    pub fn pull(&self) -> Option<ReceivedBatch> {
        let hand = self.hand.lock().clone()?;
        hand.pull()
    }

    /// For a [`Consumer::pulled`] consumer: the answer for the batch [`Consumer::pull`] gave,
    /// as a handler's would be (`Err(BatchError::NotProcessed)` records nothing and fetches
    /// no more). Its offsets are recorded; the next [`Consumer::pull`] may give another.
    /// Nothing for a consumer with a handler: its batches are settled by the handler alone.
    pub fn settle(&self, outcome: Result<(), BatchError>) {
        let hand = self.hand.lock().clone();
        if let Some(hand) = hand {
            hand.settle(outcome);
        }
    }

    /// The next offset to read of each partition in the batch handed over and not yet settled
    /// (its last offset + 1): what a transaction commits for it with
    /// [`Producer::send_offsets_to_transaction`](crate::Producer::send_offsets_to_transaction).
    /// `None` when no batch is out.
    pub fn next_offsets(&self) -> Option<Vec<(TopicPartition, i64)>> {
        let hand = self.hand.lock().clone()?;
        hand.next_offsets()
    }

    /// Whether this consumer hands over no more batches: it was stopped, or a batch was not
    /// processed.
    pub fn ended(&self) -> bool {
        if matches!(&*self.state.lock(), State::Stopped) {
            return true;
        }
        let hand = self.hand.lock().clone();
        hand.is_some_and(|hand| hand.halted())
    }

    /// Connects and starts fetching: outside a group, this worker's partitions from their
    /// offset files; in a group, once the group has assigned partitions (possibly none).
    /// Returns the partitions it reads. A [`Consumer::stop`] meanwhile cancels it
    /// ([`KafkaError::Stopped`]).
    pub fn start(&self) -> Result<Vec<TopicPartition>, KafkaError> {
        let _starting = self.starting.lock();
        let (config, mut feed) = {
            let mut state = self.state.lock();
            match std::mem::replace(&mut *state, State::Starting) {
                State::Created { config, feed } => (config, feed),
                other => {
                    let result = match &other {
                        State::Running(running) => Ok(running.assigned.get()),
                        _ => Err(KafkaError::Stopped),
                    };
                    *state = other;
                    return result;
                }
            }
        };
        // Connecting, without the state lock.
        let started = start(&config, &mut feed, self.control.clone());
        let mut state = self.state.lock();
        let running = match started {
            Ok(running) => running,
            Err(e) => {
                // The feed is still there unless fetching started: a failed start can be
                // tried again.
                *state = if self.control.stop.load(Ordering::Acquire) {
                    State::Stopped
                } else {
                    State::Created { config, feed }
                };
                return Err(e);
            }
        };
        if self.control.stop.load(Ordering::Acquire) {
            // stop() came while connecting: it waits for this start, which stops what it made.
            *state = State::Stopped;
            drop(state);
            running.queue.wake();
            let _ = running.finish();
            return Err(KafkaError::Stopped);
        }
        // pause() and resume() during the start changed only the flag: apply it now, under
        // the state lock they take too. (Local to librdkafka; the next pause() or resume()
        // would report what fails here.)
        let _ = running.apply_pause(*self.control.paused.lock());
        let partitions = running.assigned.get();
        *self.hand.lock() = Some(running.hand.clone());
        // A pull woken during the start found nothing to pull from, and what was fetched
        // before the arrival callback was enabled woke no one; the callback fires again only
        // once the queue has emptied: wake the caller now.
        running.hand.wake();
        *state = State::Running(running);
        Ok(partitions)
    }

    /// The consumer's group metadata, for a transactional producer's
    /// [`Producer::send_offsets_to_transaction`](crate::Producer::send_offsets_to_transaction).
    /// Fails for a consumer in no group, not started, or committing its own settled batches
    /// (`auto_commit`): those commits could reach the group after a transaction's and move it
    /// back, so that a restart reads (and writes) a committed batch again. Never waits on the
    /// network.
    pub fn group_metadata(&self) -> Result<GroupMetadata, KafkaError> {
        match &*self.state.lock() {
            State::Running(running) if running.group.is_some() && running.auto_commit => {
                Err(KafkaError::invalid(
                    "auto_commit",
                    "must be false for a consumer whose offsets go into transactions: its own \
                     commits of settled batches could reach the group after a transaction's and \
                     move the group back, so that a batch is processed twice",
                ))
            }
            State::Running(running) if running.group.is_some() => running.client.group_metadata(),
            State::Running(_) => Err(KafkaError::invalid(
                "consumer",
                "is in no consumer group: only a group's offsets go into a transaction",
            )),
            _ => Err(KafkaError::invalid(
                "consumer",
                "is not running: start() it first",
            )),
        }
    }

    /// The partitions this consumer reads now (a group's change with each rebalance).
    /// How this consumer is doing, as it sees it: its brokers, its partitions' lag and progress
    /// (stuck after [`ConsumerConfig::stuck_after`]), its group and its fatal error. Asks
    /// nothing of the network: the figures are the last statistics interval's.
    pub fn health(&self) -> Health {
        match &*self.state.lock() {
            State::Running(running) => running.health.snapshot(running.client.fatal_error()),
            State::Stopped => Health::stopped("stopped"),
            _ => Health::stopped("not started"),
        }
    }

    /// The partitions this consumer reads now (a group's change with each rebalance); none when not
    /// running.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        match &*self.state.lock() {
            State::Running(running) => running.assigned.get(),
            _ => Vec::new(),
        }
    }

    /// How far behind each partition it reads now this consumer's processing is: the high
    /// watermark, asked of the partition's leader (one request per leader, waiting up to
    /// `timeout`), against the next offset the handler is to be handed. The watermark is asked
    /// for, not taken from the last fetch, so a paused consumer's lag grows as messages arrive.
    /// Empty when the consumer is not running.
    pub fn lag(&self, timeout: Duration) -> Result<Vec<PartitionLag>, KafkaError> {
        let (client, assigned, positions, in_group, waiting) = match &*self.state.lock() {
            State::Running(running) => (
                running.client.clone(),
                running.assigned.get(),
                running.positions.clone(),
                running.group.is_some(),
                running.queue.len() + self.control.pulled.load(Ordering::Relaxed),
            ),
            _ => return Ok(Vec::new()),
        };
        lag::lag_of(&client, &assigned, &positions, in_group, waiting, timeout)
    }

    /// Reads `partition` of `topic` from `to` next: an offset (an `i64`), or
    /// [`StartOffset::Earliest`] / [`StartOffset::Latest`] for its ends. Takes effect between
    /// batches: from inside the handler, once the batch in hand settles (its messages past the
    /// offset in that partition are recorded as read only up to the offset - 1). The new
    /// position is recorded (committed, in a group) as the last processed offset, the offset -
    /// 1, as KafkaJS's `seek` commits it. The partition must be one this consumer reads now.
    /// Never waits on the network.
    pub fn seek(
        &self,
        topic: &str,
        partition: i32,
        to: impl Into<StartOffset>,
    ) -> Result<(), KafkaError> {
        let offset = match to.into().checked("offset")? {
            StartOffset::Earliest => OFFSET_BEGINNING,
            StartOffset::Latest => OFFSET_END,
            StartOffset::Offset(offset) => offset,
        };
        let state = self.state.lock();
        let State::Running(running) = &*state else {
            return Err(KafkaError::invalid(
                "consumer",
                "is not running: start() it first",
            ));
        };
        if !running.assigned.contains(topic, partition) {
            return Err(KafkaError::invalid(
                "partition",
                format!("{topic}/{partition} is not read by this consumer now"),
            ));
        }
        self.control.seeks.lock().push(fetch::Seek {
            topic: topic.to_string(),
            partition,
            offset,
        });
        running.queue.wake(); // an idle fetch thread applies it now
        Ok(())
    }

    /// Records each partition's next offset to read (its last processed offset + 1) and waits
    /// until it is stored: committed to the group (or written to the offset file). With
    /// `auto_commit` off, the only way offsets are recorded. The partitions must be ones this
    /// consumer reads now: a member does not commit for partitions another owns. Taken while
    /// [`Consumer::stop`] waits for the batch out too (its handler may commit what it handled).
    pub fn commit(&self, offsets: &[(TopicPartition, i64)]) -> Result<(), KafkaError> {
        check_next_offsets(offsets)?;
        let committer = match &*self.state.lock() {
            State::Running(running) => Some(running.committer()),
            _ => self.stopping.lock().clone(),
        };
        let Some(Committer {
            offsets: writer,
            assigned,
        }) = committer
        else {
            return Err(KafkaError::invalid(
                "consumer",
                "is not running: start() it first",
            ));
        };
        if let Some((tp, _)) = offsets
            .iter()
            .find(|(tp, _)| !assigned.contains(&tp.topic, tp.partition))
        {
            return Err(KafkaError::invalid(
                "offsets",
                format!("{tp} is not read by this consumer now"),
            ));
        }
        let stored = {
            let writer = writer.lock();
            for (tp, offset) in offsets {
                writer.set(Arc::from(tp.topic.as_str()), tp.partition, offset - 1);
            }
            writer.request_flush()
        };
        match stored.and_then(|reply| reply.recv().ok()) {
            Some(Err(e)) => Err(KafkaError::OffsetsNotStored {
                message: format!("commit: {e}"),
            }),
            _ => Ok(()),
        }
    }

    /// Stops handing batches and fetching, until [`Consumer::resume`]. May be called before
    /// or during `start`. Never waits on the network.
    pub fn pause(&self) -> Result<(), KafkaError> {
        *self.control.paused.lock() = true;
        if let State::Running(r) = &*self.state.lock() {
            r.apply_pause(true)?;
            r.queue.wake(); // the fetch thread goes on to wait for resume()
        }
        Ok(())
    }

    /// Carries on exactly where [`Consumer::pause`] stopped. Never waits on the network.
    pub fn resume(&self) -> Result<(), KafkaError> {
        *self.control.paused.lock() = false;
        if let State::Running(r) = &*self.state.lock() {
            r.apply_pause(false)?;
            r.hand.wake(); // what was fetched before the pause is there to pull
        }
        self.control.resumed.notify_all();
        Ok(())
    }

    /// Stops fetching, waits (up to `stop_timeout`) for the batch in flight to settle, writes the
    /// pending offsets and closes the client, leaving its group; a batch that did not settle in
    /// time is not recorded (another member, or the next start, reads it again). Cancels a
    /// `start()` still connecting. Returns once the offsets are on disk. Idempotent.
    pub fn stop(&self) -> Result<(), KafkaError> {
        self.request_stop();
        let _starting = self.starting.lock(); // a start in progress sees `stop` and ends
        let running = match std::mem::replace(&mut *self.state.lock(), State::Stopped) {
            State::Running(running) => running,
            _ => return Ok(()),
        };
        running.queue.wake();
        *self.stopping.lock() = Some(running.committer());
        let stopped = running.finish();
        self.stopping.lock().take();
        // Only now (a settle reaches the batch out through it while `finish` waits): the hand
        // holds the client, whose librdkafka handle and threads must go with the stop, not
        // when this consumer is dropped.
        self.hand.lock().take();
        stopped
    }

    /// What [`Consumer::stop`] does first, without waiting for anything: the fetch thread and a
    /// `start()` in progress see it and end. For a caller that runs `stop()` later, elsewhere
    /// (Node runs it on a pool thread), and wants the start cancelled now.
    pub fn request_stop(&self) {
        self.control.stop.store(true, Ordering::Release);
        self.control.resumed.notify_all();
        if let State::Running(r) = &*self.state.lock() {
            r.queue.wake();
        }
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Running {
    /// Where this consumer's commits go, also once `stop()` has taken it out of the state.
    fn committer(&self) -> Committer {
        Committer {
            offsets: self.offsets.clone(),
            assigned: self.assigned.clone(),
        }
    }

    /// Pauses or resumes fetching this consumer's partitions (local to librdkafka: no request).
    fn apply_pause(&self, paused: bool) -> Result<(), KafkaError> {
        let list = self.partition_list()?;
        if paused {
            self.client.pause(&list)
        } else {
            self.client.resume(&list)
        }
    }

    /// This consumer's partitions, for pause and resume (offsets unused).
    fn partition_list(&self) -> Result<PartitionList, KafkaError> {
        let assigned = self.assigned.get();
        let entries: Vec<(&str, i32, i64)> = assigned
            .iter()
            .map(|tp| (tp.topic.as_str(), tp.partition, 0))
            .collect();
        PartitionList::of(&entries)
    }

    /// Waits (up to `stop_timeout`) until what settled is committed, while still taking part
    /// in the group. A group in the middle of a rebalance refuses commits until the rebalance
    /// ends (librdkafka's MockCluster for the session timeout less a second when membership
    /// changes), and the rebalance may need this member's callbacks: so the consumer queue is
    /// served meanwhile. Messages fetched now are not handed over; they lie past the last
    /// commit, so the next owner reads them.
    fn commit_while_in_group(&self) {
        let deadline = Instant::now() + self.stop_timeout;
        loop {
            // Bound first: the lock must not be held while the queue is served below, where
            // the revoke hook takes it.
            let flushed = self
                .offsets
                .lock()
                .flush_within(Some(Duration::from_millis(100)));
            if !matches!(flushed, Err(FlushError::NotYet(_))) || Instant::now() >= deadline {
                return;
            }
            drop(
                self.queue
                    .consume_ready(Duration::from_millis(100), 1000, usize::MAX),
            );
        }
    }

    fn finish(mut self) -> Result<(), KafkaError> {
        let settled = self.hand.end(self.stop_timeout);
        if settled {
            // Halted, it ends: woken from the queue (`stop()` woke it) or from its wait.
            if let Some(fetch) = self.fetch_thread.take() {
                let _ = fetch.join();
            }
        }
        let mut result = Ok(());
        if !settled {
            // The handler is still running: leave its thread (it holds its own handle
            // references, and with `stop` set it ends once the handler returns, recording
            // nothing more) and say so. The batch in hand is not recorded: whoever reads its
            // partitions next reads it again.
            result = Err(KafkaError::SettleTimedOut {
                waited: self.stop_timeout,
            });
        }
        // Store what settled, then close, whatever the handler does: a member that stays in
        // its group keeps its partitions from everyone else. A group member waits for its
        // commits a bounded time only: a group in the middle of a rebalance refuses commits
        // (the MockCluster and tansu until the rebalance ends, which may wait for this member),
        // and closing revokes the partitions through the revoke hook, which tries again before
        // leaving. The fetch thread, if still in the handler, no longer serves the queue.
        if self.group.is_some() {
            self.commit_while_in_group();
        }
        self.client.consumer_close();
        let mut failed = self.offsets.lock().finish().err();
        if let Some(given_up) = self.group.as_ref().and_then(|g| g.given_up()) {
            failed = Some(given_up);
        }
        if let Some(e) = failed {
            let message = match &self.group {
                Some(group) => format!("group {:?} could not commit offsets: {e}", group.group_id),
                None => format!("offset_directory could not write offsets: {e}"),
            };
            result = result.and(Err(KafkaError::OffsetsNotStored { message }));
        }
        self.events.stop();
        result
    }
}

/// Connects and starts the threads. `feed` is taken only once nothing else can fail, so a
/// failed start can be retried.
fn start(
    config: &ConsumerConfig,
    feed: &mut Option<Feed>,
    control: Arc<FetchControl>,
) -> Result<Running, KafkaError> {
    let log = config.client.logger();
    let assigned = Arc::new(Assigned::default());
    let positions: Positions = Arc::new(Mutex::new(HashMap::new()));
    let group = config.group_id.as_ref().map(|group_id| {
        GroupRebalance::new(
            group_id.clone(),
            assigned.clone(),
            positions.clone(),
            control.clone(),
            config.start_offset,
            config.metadata_timeout,
            config.on_rebalance.clone(),
            log.clone(),
        )
    });
    let client_config = config.client_config();
    let auto_create = client_config.get("allow.auto.create.topics") == Some("true");
    let mut conf = client_config.to_native()?;
    conf.enable_events(
        rdsys::RD_KAFKA_EVENT_STATS | rdsys::RD_KAFKA_EVENT_ERROR | rdsys::RD_KAFKA_EVENT_LOG,
    );
    let mut hooks = config.client.hooks();
    hooks.rebalance = group.as_ref().map(|group| group.hook());
    conf.set_hooks(hooks);
    let client = Arc::new(NativeClient::new(ClientKind::Consumer, conf)?);
    client.route_logs_to_main_queue()?;
    // librdkafka makes a consumer queue only for a client with a consumer group (group.id,
    // which the options always set): without one, say so rather than fail later.
    let queue = Arc::new(
        client
            .consumer_queue()
            .ok_or_else(|| KafkaError::ClientCreation {
                message: "librdkafka made no consumer queue (no consumer group was configured)"
                    .into(),
            })?,
    );
    // The events thread runs from here on, so that connection errors reach the logger and the
    // requests below can fail fast with their reason.
    let brokers = Arc::new(BrokerErrors::default());
    // A fetch waits up to fetch_wait_max for data by design: only past it is the broker slow.
    let health = Arc::new(
        HealthMonitor::new(
            config.client.socket_timeout(),
            config.stuck_after,
            group.is_some(),
        )
        .answering_within(crate::health::ANSWER_WITHIN + config.fetch_wait_max),
    );
    let events = EventsThread::spawn(
        client.main_queue(),
        brokers.clone(),
        ConsumerEvents {
            client: client.clone(),
            queue: queue.clone(),
            control: control.clone(),
            assigned: assigned.clone(),
            positions: positions.clone(),
            on_stats: config.on_stats.clone(),
            health: health.clone(),
            log: log.clone(),
        },
    )
    .map_err(|e| thread_error("events thread", e))?;

    let store: Box<dyn OffsetStore> = match &group {
        Some(_) => {
            client.subscribe(&config.topics)?;
            Box::new(GroupCommits {
                client: client.clone(),
            })
        }
        None => {
            let retry = Retry {
                what: &format!("topic {:?}", config.topic()),
                timeout: config.metadata_timeout,
                brokers: &brokers,
                cancel: Some(&control.stop),
            };
            assign_worker_partitions(
                config,
                &client,
                &control,
                &assigned,
                &positions,
                &retry,
                auto_create,
            )?
        }
    };
    let offsets = Arc::new(Mutex::new(
        OffsetWriter::spawn(store, {
            let log = log.clone();
            move |e| log_error(&log, "OFFSETS", e.to_string())
        })
        .map_err(|e| thread_error("offset writer", e))?,
    ));
    if let Some(group) = &group {
        let _ = group.offsets.set(Arc::downgrade(&offsets));
    }
    let fetch = FetchLoop {
        queue: queue.clone(),
        control: control.clone(),
        assigned: assigned.clone(),
        in_group: group.is_some(),
        max_messages: config.max_messages_per_callback,
        auto_commit: config.auto_commit,
        positions: positions.clone(),
        offsets: offsets.clone(),
        log,
        client: client.clone(),
    };
    // Taken last: a start that fails before this point can be tried again.
    let feed = feed.take().ok_or(KafkaError::Stopped)?;
    let (hand, fetch_thread) =
        Hand::start(fetch, feed).map_err(|e| thread_error("fetch thread", e))?;
    let running = Running {
        hand,
        fetch_thread,
        events,
        offsets,
        queue,
        client,
        assigned,
        group: group.clone(),
        positions,
        stop_timeout: config.stop_timeout,
        auto_commit: config.auto_commit,
        health,
    };
    if let Some(group) = &group {
        // The fetch thread serves the rebalance that brings the first assignment.
        let joined = || {
            running
                .client
                .group_generation()
                .is_some_and(|epoch| epoch > 0)
        };
        let kip_848 = config.group_protocol == GroupProtocol::Consumer;
        let joined: Option<&dyn Fn() -> bool> = kip_848.then_some(&joined);
        if let Err(e) = group.wait_for_first(config.join_timeout, joined) {
            control.stop.store(true, Ordering::Release);
            running.queue.wake();
            let _ = running.finish();
            return Err(e);
        }
    }
    Ok(running)
}

fn thread_error(what: &str, e: std::io::Error) -> KafkaError {
    KafkaError::ClientCreation {
        message: format!("could not start the {what}: {e}"),
    }
}

/// Outside a group: this worker's partitions of the topic, each from its offset file (or
/// `start_offset`), assigned. Returns the offset store the writer records to.
#[allow(clippy::too_many_arguments)]
fn assign_worker_partitions(
    config: &ConsumerConfig,
    client: &NativeClient,
    control: &FetchControl,
    assigned: &Assigned,
    positions: &Positions,
    retry: &Retry<'_>,
    auto_create: bool,
) -> Result<Box<dyn OffsetStore>, KafkaError> {
    let topic = config.topic();
    let mut store: Box<dyn OffsetStore> = match &config.offset_directory {
        Some(dir) => Box::new(OffsetDirectory::open(dir, topic)?),
        None => Box::new(NoOffsetStore),
    };
    let rkt = NativeTopic::new(client, topic)?;
    let count = crate::metadata::partition_count(client, &rkt, topic, retry, auto_create)?;
    drop(rkt);
    let partitions = assignment::worker_partitions(config, count)?;
    store.prepare(&partitions)?;
    let starts = assignment::starts(client, config, store.as_ref(), &partitions, retry)?;
    positions.lock().insert(
        Arc::from(topic),
        starts
            .iter()
            .map(|s| (s.partition, Progress::at(s.offset)))
            .collect(),
    );
    let list = PartitionList::new(
        topic,
        &starts
            .iter()
            .map(|s| (s.partition, s.offset))
            .collect::<Vec<_>>(),
    )?;
    client.assign(&list)?;
    if *control.paused.lock() {
        client.pause(&list)?;
    }
    assigned.add(
        &partitions
            .iter()
            .map(|&p| TopicPartition::new(topic, p))
            .collect::<Vec<_>>(),
    );
    Ok(store)
}
