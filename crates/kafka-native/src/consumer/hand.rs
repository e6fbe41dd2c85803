//! The hand-over: the one place a batch leaves the core and its answer comes back.
//!
//! Every consumer hands its batches over here, one at a time: the taker [`Hand::pull`]s a
//! batch, and [`Hand::settle`]s it before it is given the next; its offsets are recorded at
//! the settle (unless it was not processed, which halts the consumer). Who takes batches from
//! librdkafka differs, not the hand-over:
//!
//! - outside a group, with no handler, `pull()` itself takes what is ready from the consumer
//!   queue, never waiting, on the caller's thread; librdkafka's arrival callback wakes the
//!   taker when messages land in the empty queue (no thread of ours in between);
//! - in a group, the `kn-fetch` thread takes each batch (it serves the group's rebalances, which
//!   wait on the network, where the queue is), places it here, wakes the taker and waits for
//!   the settle;
//! - with a handler ([`Consumer::new`](super::Consumer::new)), the `kn-fetch` thread is the
//!   taker too: it places the batch, pulls it, calls the handler and settles the answer.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::native::{ArrivalCallback, ArrivalWake};
use crate::topic_partition::TopicPartition;

use super::batch::{BatchError, BatchHandler, ReceivedBatch};
use super::fetch::{FetchLoop, Settling, FETCH_WAIT};

/// Where a consumer's batches go: to a handler on the `kn-fetch` thread, or to whoever pulls
/// them ([`Consumer::pulled`](super::Consumer::pulled)), woken by the wake call.
pub(crate) enum Feed {
    Handler(BatchHandler),
    Pulled(ArrivalWake),
}

pub(crate) struct Hand {
    fetch: FetchLoop,
    /// Tells the taker that a batch can be pulled; `None` for a handler (it is the thread).
    wake: Option<ArrivalWake>,
    /// `pull()` takes from the consumer queue itself (no `kn-fetch` thread).
    pulls_queue: bool,
    state: Mutex<HandState>,
    /// Signalled when the batch out settles, and when the hand halts.
    settled: Condvar,
}

struct HandState {
    /// Placed by the `kn-fetch` thread, not yet pulled.
    placed: Option<(ReceivedBatch, Settling)>,
    /// Pulled and not yet settled.
    out: Option<Settling>,
    /// No more batches: the consumer is stopping, or a batch was not processed.
    halted: bool,
    /// Wakes the taker when messages arrive (pulled from the queue only); dropped at the halt.
    arrival: Option<ArrivalCallback>,
}

impl Hand {
    /// The hand for `feed`, with its `kn-fetch` thread where it needs one: with a handler, and
    /// in a group (outside one, with no handler, the taker's `pull()` takes from the queue).
    pub(crate) fn start(
        fetch: FetchLoop,
        feed: Feed,
    ) -> std::io::Result<(Arc<Hand>, Option<JoinHandle<()>>)> {
        let (wake, handler) = match feed {
            Feed::Pulled(wake) => (Some(wake), None),
            Feed::Handler(handler) => (None, Some(handler)),
        };
        let pulls_queue = handler.is_none() && !fetch.in_group;
        // What was fetched before the arrival callback was there is pulled when `start()`
        // wakes the taker, once the consumer can be pulled.
        let arrival = match (&wake, pulls_queue) {
            (Some(wake), true) => Some(ArrivalCallback::enable(fetch.queue.clone(), wake.clone())),
            _ => None,
        };
        let hand = Arc::new(Hand {
            fetch,
            wake,
            pulls_queue,
            state: Mutex::new(HandState {
                placed: None,
                out: None,
                halted: false,
                arrival,
            }),
            settled: Condvar::new(),
        });
        if pulls_queue {
            return Ok((hand, None));
        }
        let on_thread = hand.clone();
        let thread = std::thread::Builder::new()
            .name("kn-fetch".into())
            .spawn(move || on_thread.run_fetch_thread(handler))?;
        Ok((hand, Some(thread)))
    }

    /// The `kn-fetch` thread: takes each batch from librdkafka, places it, and goes on once it
    /// is settled; with `handler`, pulls and settles it itself. Ends at the halt.
    fn run_fetch_thread(&self, mut handler: Option<BatchHandler>) {
        let control = &self.fetch.control;
        while !control.stop.load(Ordering::Acquire) && !self.state.lock().halted {
            if !self.fetch.in_group && self.fetch.wait_while_paused() {
                continue;
            }
            let Some(taken) = self.fetch.take(FETCH_WAIT) else {
                continue;
            };
            {
                let mut state = self.state.lock();
                if state.halted {
                    return; // not handed over: nothing is recorded
                }
                state.placed = Some(taken);
            }
            match &mut handler {
                Some(handler) => {
                    if let Some(batch) = self.take_out() {
                        self.settle_out(handler(batch));
                    }
                }
                None => self.wake(),
            }
            let mut state = self.state.lock();
            self.settled.wait_while(&mut state, |s| {
                (s.placed.is_some() || s.out.is_some()) && !s.halted
            });
        }
    }

    /// What is ready, as one batch; `None` when nothing is, when the batch handed over has not
    /// settled yet, once halted, or (taking from the queue) while paused or stopping. Never
    /// waits: the taker is woken again when there is a batch. For the taker of a pulled
    /// consumer only: a handler's batches are the handler's, and `None` here (a `pull()` from
    /// elsewhere took the handler's batch away).
    pub(crate) fn pull(&self) -> Option<ReceivedBatch> {
        self.wake.as_ref()?;
        self.take_out()
    }

    fn take_out(&self) -> Option<ReceivedBatch> {
        let mut state = self.state.lock();
        if state.halted || state.out.is_some() {
            return None;
        }
        if let Some((batch, settling)) = state.placed.take() {
            state.out = Some(settling);
            return Some(batch);
        }
        let control = &self.fetch.control;
        if !self.pulls_queue || control.stop.load(Ordering::Acquire) || *control.paused.lock() {
            return None;
        }
        let (batch, settling) = self.fetch.take(Duration::ZERO)?;
        state.out = Some(settling);
        Some(batch)
    }

    /// The answer for the batch pulled: its offsets are recorded (unless it was not processed,
    /// which halts the hand). A settle with no batch out (or one `stop()` gave up on) does
    /// nothing.
    /// For the taker of a pulled consumer only: nothing for a handler's (a `settle()` from
    /// elsewhere recorded the handler's batch before the handler finished).
    pub(crate) fn settle(&self, outcome: Result<(), BatchError>) {
        if self.wake.is_some() {
            self.settle_out(outcome);
        }
    }

    fn settle_out(&self, outcome: Result<(), BatchError>) {
        let mut state = self.state.lock();
        let Some(settling) = state.out.take() else {
            return;
        };
        if !self.fetch.settled(outcome, settling) {
            state.halted = true;
            state.arrival.take();
        }
        self.settled.notify_all();
    }

    /// The next offset to read of each partition in the batch out (its last offset + 1), for
    /// a transaction's `send_offsets_to_transaction`; `None` when no batch is out.
    pub(crate) fn next_offsets(&self) -> Option<Vec<(TopicPartition, i64)>> {
        self.state.lock().out.as_ref().map(Settling::next_offsets)
    }

    /// Whether the hand gives no more batches (stopping, or a batch was not processed).
    pub(crate) fn halted(&self) -> bool {
        self.state.lock().halted
    }

    /// Tells the taker to pull (after `resume()`: the arrival callback fires only for arrivals).
    pub(crate) fn wake(&self) {
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    /// For `stop()`: hands over no more batches (one placed and not pulled is dropped
    /// unrecorded), stops waking the taker, and waits up to `timeout` for the batch out to
    /// settle. False when it did not: it will record nothing.
    pub(crate) fn end(&self, timeout: Duration) -> bool {
        let mut state = self.state.lock();
        state.halted = true;
        state.arrival.take();
        state.placed.take();
        self.settled.notify_all();
        if state.out.is_some() {
            self.settled
                .wait_while_for(&mut state, |s| s.out.is_some(), timeout);
        }
        // Given up on: dropped here, so that its settle finds nothing to record.
        state.out.take().is_none()
    }
}
