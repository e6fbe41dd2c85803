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
mod config;
mod stats;
mod stream;
mod threads;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Condvar, Mutex};

pub use acknowledgement::{Acknowledgement, AcknowledgementCommit, AcknowledgementMode};
use batch::Command;
pub use batch::{ShareBatch, ShareRecord};
pub use config::{
    AcknowledgementCommitHandler, ShareAcquireMode, ShareConsumerConfig,
    DEFAULT_SHARE_JOIN_TIMEOUT, DEFAULT_SHARE_POLL_WAIT, DEFAULT_SHARE_STOP_TIMEOUT,
};
pub use stats::{ShareCounts, SharePartitionStats, ShareStats};
pub use stream::{NextShareBatch, ShareStream};
pub use threads::ShareHandler;
use threads::{HandlerThread, ShareThread, Shared, Wake};

use crate::consumer::BatchError;
use crate::error::KafkaError;

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
            counters: Arc::default(),
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
        let native = config.native(self.shared.counters.clone())?;
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
    /// when none is out (it settled). With `later`, checked and noted now, and sent with the
    /// others at [`ShareConsumer::send_acknowledged_out`] or the settle: a taker that
    /// acknowledges a batch's records one by one sends them together.
    pub fn acknowledge_out(
        &self,
        index: usize,
        how: Acknowledgement,
        later: bool,
    ) -> Result<(), KafkaError> {
        match self.shared.out.lock().as_mut() {
            Some(batch) if later => batch.note(index, how),
            Some(batch) => batch.acknowledge(index, how),
            None => Err(KafkaError::invalid(
                "message",
                "belongs to a batch already settled",
            )),
        }
    }

    /// Sends what [`ShareConsumer::acknowledge_out`] noted for later; nothing when none is out.
    pub fn send_acknowledged_out(&self) {
        if let Some(batch) = self.shared.out.lock().as_mut() {
            batch.send_noted();
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

    /// What the consumer did since it started: records acquired and delivered again,
    /// acknowledgements by type, and those that failed, in all and per partition. Local: never
    /// waits on the network.
    pub fn stats(&self) -> ShareStats {
        self.shared.counters.snapshot()
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
