//! The share consumer's two threads: `kn-share`, which owns librdkafka's handle (polls, hands
//! each batch over, acknowledges it as it settles, renews locks, tells `start` the member has
//! joined), and `kn-share-work`, which calls a [`ShareConsumer::new`](super::ShareConsumer::new)
//! consumer's handler.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use parking_lot::{Condvar, Mutex};

use super::acknowledgement::{Acknowledgement, AcknowledgementMode};
use super::batch::{Command, ShareBatch, ShareRecord};
use super::stats::ShareCounters;
use crate::config::log_error;
use crate::consumer::BatchError;
use crate::error::KafkaError;
use crate::events::LogHandler;
use crate::native::{NativeShare, NativeShareBatch, ShareWaker};

/// A share consumer's handler, called on a thread of its own (`kn-share-work`) with each batch.
/// `Ok` accepts the records not acknowledged otherwise; an error releases them (they are
/// delivered again).
pub type ShareHandler = Box<dyn FnMut(&mut ShareBatch) -> Result<(), BatchError> + Send>;

/// Called (on the share thread) when a batch can be pulled, and once the consumer has ended.
pub(super) type Wake = Arc<dyn Fn() + Send + Sync>;

/// What the consumer, its share thread and its handler's thread share.
pub(super) struct Shared {
    /// The batch ready to be pulled.
    pub(super) ready: Mutex<Option<ShareBatch>>,
    /// The batch out whose records [`ShareConsumer::pull_records`] gave: the consumer holds it
    /// for its taker (as a [`crate::Consumer`] holds its batch out).
    pub(super) out: Mutex<Option<ShareBatch>>,
    /// The thread has ended (stopped, or a fatal error).
    pub(super) ended: AtomicBool,
    /// The error that ended it (fatal), or that its stop met (a batch that did not settle).
    pub(super) failure: Mutex<Option<KafkaError>>,
    /// `stop()` was called: `start()` is refused.
    pub(super) stopped: AtomicBool,
    /// Ends the share thread's poll in progress, once started.
    pub(super) waker: Mutex<Option<ShareWaker>>,
    /// The group has assigned the member partitions (or the thread ended): `start` returns.
    pub(super) joined: Mutex<bool>,
    pub(super) joined_or_ended: Condvar,
    /// What the consumer did ([`ShareConsumer::stats`](super::ShareConsumer::stats)).
    pub(super) counters: Arc<ShareCounters>,
}

impl Shared {
    /// Whether `start` was told: the member has joined (or the thread ended).
    pub(super) fn joined(&self) -> bool {
        *self.joined.lock()
    }

    /// Tells `start` the member has joined, or that it never will (the thread ended).
    pub(super) fn done_joining(&self) {
        *self.joined.lock() = true;
        self.joined_or_ended.notify_all();
    }
}

/// The thread that calls a [`ShareConsumer::new`](super::ShareConsumer::new) consumer's handler: it pulls each
/// batch when woken, as any taker, and settles it as the handler returns.
pub(super) struct HandlerThread {
    pub(super) handler: ShareHandler,
    pub(super) wakes: Receiver<()>,
    pub(super) log: LogHandler,
}

impl HandlerThread {
    pub(super) fn run(mut self, shared: &Shared) {
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
pub(super) struct ShareThread {
    pub(super) native: NativeShare,
    pub(super) shared: Arc<Shared>,
    pub(super) received: Receiver<Command>,
    pub(super) settle_to: Sender<Command>,
    pub(super) wake: Wake,
    pub(super) mode: AcknowledgementMode,
    /// How long one poll waits.
    pub(super) poll_wait: Duration,
    /// Renew the locks of a batch's records while it is out.
    pub(super) renew_locks: bool,
    /// How long a stop waits for the batch out to settle.
    pub(super) stop_timeout: Duration,
    pub(super) log: LogHandler,
    pub(super) next_id: u64,
    /// A stop was asked (seen while waiting for something else).
    pub(super) stop_seen: bool,
}

/// The batch out: the records polled, and where each record handed over is among them.
struct OutBatch<'a> {
    polled: &'a NativeShareBatch,
    indexes: &'a [usize],
    /// When the lock of each polled record runs out, as this member reckons it (the poll's
    /// return plus the lock's duration the broker gave, started anew by a renewal); `None`
    /// once its expiry was counted, or when the broker did not say the duration.
    locked_until: Vec<Cell<Option<Instant>>>,
    /// The lock's duration the broker gave.
    lock: Option<Duration>,
}

impl OutBatch<'_> {
    /// Whether the lock of polled record `index` ran out before `now`, counted once: a renewal
    /// in time starts it anew.
    fn lock_ran_out(&self, index: usize, how: Acknowledgement, now: Instant) -> bool {
        let Some(until) = self.locked_until.get(index) else {
            return false;
        };
        match until.get() {
            Some(at) if at <= now => {
                until.set(None);
                true
            }
            Some(_) if how == Acknowledgement::Renew => {
                until.set(self.lock.map(|lock| now + lock));
                false
            }
            _ => false,
        }
    }
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
/// How long a record acknowledged on its own may wait for others before they are sent, in one
/// request per broker: a callback that accepts its records one by one sent a request for each
/// (27.9k records/s where Java's client, which sends them with its next poll, read 301.7k).
const SEND_ACKNOWLEDGEMENTS_WITHIN: Duration = Duration::from_millis(5);

/// How often the locks of a batch out are renewed, at the least: half the group's lock, or this
/// when the broker has not said the lock's duration.
const RENEW_EVERY_AT_LEAST: Duration = Duration::from_millis(500);

impl ShareThread {
    pub(super) fn run(mut self) {
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
        let lock = self.native.acquisition_lock_timeout();
        let until = lock.map(|lock| Instant::now() + lock);
        let (indexes, records) = self.copy_out(&polled);
        let out = OutBatch {
            polled: &polled,
            indexes: &indexes,
            locked_until: (0..polled.len()).map(|_| Cell::new(until)).collect(),
            lock,
        };
        let settled = if records.is_empty() {
            Ok(Vec::new())
        } else {
            self.settlement(records, &out)
        };
        let stopped = settled.is_err();
        let acks = settled.unwrap_or_else(|at_stop| at_stop);
        if self.mode == AcknowledgementMode::Explicit {
            let now = Instant::now();
            for (&index, how) in indexes.iter().zip(&acks) {
                // None: acknowledged on its own, and sent, while the batch was out.
                if let Some(how) = *how {
                    self.acknowledge(&out, index, how, now, "acknowledging");
                }
            }
        } else {
            // Accepted by librdkafka with the next poll.
            let now = Instant::now();
            self.shared.counters.acknowledged(
                Acknowledgement::Accept,
                indexes.iter().filter_map(|&i| {
                    let (m, _) = polled.get(i)?;
                    let expired = out.lock_ran_out(i, Acknowledgement::Accept, now);
                    Some((m.topic(), m.partition(), expired))
                }),
            );
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
        self.shared.counters.handed(
            records
                .iter()
                .map(|r| (&*r.topic, r.partition, r.delivery_count)),
        );
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
            noted: Vec::new(),
        };
        *self.shared.ready.lock() = Some(batch);
        (self.wake)();
        self.settled(id, out)
    }

    /// Record `index` of the batch out, acknowledged on its own: noted in librdkafka, to be sent
    /// with the others acknowledged within [`SEND_ACKNOWLEDGEMENTS_WITHIN`] ([`Self::send_now`]).
    /// Its entry of `acks` (how a stop acknowledges it) is then `None`, unless it was a renewal.
    /// False when there is no such record.
    fn acknowledge_soon(
        &self,
        out: &OutBatch<'_>,
        index: usize,
        how: Acknowledgement,
        now: Instant,
        acks: &mut [Option<Acknowledgement>],
    ) -> bool {
        let (Some(&native_index), Some(slot)) = (out.indexes.get(index), acks.get_mut(index))
        else {
            return false;
        };
        if how != Acknowledgement::Renew {
            *slot = None;
        }
        self.acknowledge(out, native_index, how, now, "acknowledging")
    }

    /// Gives librdkafka the acknowledgement of polled record `index` of the batch out (sent with
    /// the next request) and counts it, and whether its lock had run out by `now`; an error is
    /// logged, `doing` saying what failed. False then.
    fn acknowledge(
        &self,
        out: &OutBatch<'_>,
        index: usize,
        how: Acknowledgement,
        now: Instant,
        doing: &str,
    ) -> bool {
        match self.native.acknowledge(out.polled, index, how) {
            Ok(()) => {
                if let Some((message, _)) = out.polled.get(index) {
                    let expired = out.lock_ran_out(index, how, now);
                    let record = (message.topic(), message.partition(), expired);
                    self.shared
                        .counters
                        .acknowledged(how, std::iter::once(record));
                }
                true
            }
            Err(err) => {
                self.log_error(format!("share consumer: {doing}: {err}"));
                false
            }
        }
    }

    /// Sends what was acknowledged on its own so far, in one request per broker.
    fn send_now(&self) {
        if let Err(err) = self.native.commit_async() {
            self.log_error(format!("share consumer: acknowledging: {err}"));
        }
    }

    /// Renews the locks of the records of the batch out that are not acknowledged yet (those
    /// whose entry of `acks` is still `Some`), in one request per broker.
    fn renew(&self, out: &OutBatch<'_>, acks: &[Option<Acknowledgement>]) {
        let now = Instant::now();
        let renewed = out
            .indexes
            .iter()
            .zip(acks)
            .filter(|(_, a)| a.is_some())
            .filter(|&(&native_index, _)| {
                self.acknowledge(
                    out,
                    native_index,
                    Acknowledgement::Renew,
                    now,
                    "renewing a lock",
                )
            })
            .count();
        if renewed > 0 {
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
    /// acknowledged. Meanwhile records acknowledged on their own are sent within
    /// [`SEND_ACKNOWLEDGEMENTS_WITHIN`], and the locks of the others renewed if asked. A stop
    /// releases a batch not pulled yet at once (`Err`), and waits for one out up to
    /// `stop_timeout`, then releases its records not acknowledged (`Err`, and the stop returns
    /// [`KafkaError::SettleTimedOut`]).
    fn settled(&mut self, id: u64, out: &OutBatch<'_>) -> Settlement {
        // Until the settle: how the records not sent on their own are acknowledged at a stop.
        let mut at_stop = vec![Some(Acknowledgement::Release); out.indexes.len()];
        let every = self.renewal_interval();
        let mut next_renewal = every.map(|every| Instant::now() + every);
        let mut stop_by: Option<Instant> = None;
        // While acknowledgements sent meanwhile may be answered: librdkafka tells their
        // outcomes only inside a poll or a commit, and none is made while the batch is out.
        let mut next_serve: Option<Instant> = None;
        // Records acknowledged on their own and not sent yet: sent by then.
        let mut send_by: Option<Instant> = None;
        loop {
            let deadline = [next_renewal, stop_by, next_serve, send_by]
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
                Ok(Command::Acknowledge { id: of, acks }) if of == id => {
                    let mut noted = false;
                    let now = Instant::now();
                    for (index, how) in acks {
                        noted |= self.acknowledge_soon(out, index, how, now, &mut at_stop);
                    }
                    if noted {
                        send_by
                            .get_or_insert_with(|| Instant::now() + SEND_ACKNOWLEDGEMENTS_WITHIN);
                        next_serve.get_or_insert_with(|| Instant::now() + SERVE_OUTCOMES_EVERY);
                    }
                }
                Ok(Command::Acknowledge { .. }) => {} // an earlier batch's
                // What was acknowledged on its own and not sent yet goes with the next poll,
                // which follows at once.
                Ok(Command::Settle { id: settled, acks }) if settled == id => return Ok(acks),
                Ok(Command::Settle { .. }) => {} // an earlier batch's, settled twice
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.stop_seen = true;
                    if send_by.take().is_some() {
                        self.send_now();
                    }
                    // Not pulled yet: taken back, so that its drop does not settle it later.
                    if let Some(mut ready) = self.shared.ready.lock().take() {
                        ready.settle_to = None;
                        return Err(at_stop);
                    }
                    stop_by.get_or_insert_with(|| Instant::now() + self.stop_timeout);
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if send_by.is_some_and(|by| now >= by) {
                        send_by = None;
                        self.send_now();
                    }
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
