//! A consumer its caller pulls ([`Consumer::pulled`](super::Consumer::pulled)), for event
//! loops: no `kn-fetch` thread. librdkafka's arrival callback on the consumer queue wakes the
//! caller when fetched messages land in the empty queue; the caller takes what is ready as a
//! batch ([`PulledFetch::pull`], never waiting) and answers it ([`PulledFetch::settle`]), and
//! only then is given the next. A batch reaches the caller one thread hand-off sooner than
//! through `kn-fetch`, and a settle starts the next batch without waking a thread.

use std::sync::atomic::Ordering;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::native::{ArrivalCallback, ArrivalWake};

use super::batch::{BatchError, ReceivedBatch};
use super::fetch::{FetchLoop, Settling};

pub(crate) struct PulledFetch {
    fetch: FetchLoop,
    wake: ArrivalWake,
    state: Mutex<PullState>,
    /// Signalled when the batch handed over settles.
    settled: Condvar,
}

struct PullState {
    /// The batch handed over and not yet settled.
    out: Option<Settling>,
    /// No more batches: the consumer is stopping, or a batch was not processed.
    halted: bool,
    /// Disabled (dropped) once halted by `end`.
    arrival: Option<ArrivalCallback>,
}

impl PulledFetch {
    pub(crate) fn new(fetch: FetchLoop, wake: ArrivalWake) -> Self {
        // What was fetched before the callback was there is pulled when `start()` wakes the
        // caller, once the consumer can be pulled.
        let arrival = ArrivalCallback::enable(fetch.queue.clone(), wake.clone());
        PulledFetch {
            fetch,
            wake,
            state: Mutex::new(PullState {
                out: None,
                halted: false,
                arrival: Some(arrival),
            }),
            settled: Condvar::new(),
        }
    }

    /// What is ready, as one batch; `None` when nothing is, when the batch handed over has not
    /// settled yet, while paused, or once stopping. Never waits: the caller is woken again
    /// when messages arrive.
    pub(crate) fn pull(&self) -> Option<ReceivedBatch> {
        let mut state = self.state.lock();
        let control = &self.fetch.control;
        if state.halted
            || state.out.is_some()
            || control.stop.load(Ordering::Acquire)
            || *control.paused.lock()
        {
            return None;
        }
        let (batch, settling) = self.fetch.take(Duration::ZERO)?;
        state.out = Some(settling);
        Some(batch)
    }

    /// The handler's answer for the batch handed over: its offsets are recorded (unless it
    /// was not processed, which halts the consumer), as the fetch thread records them. A
    /// settle with no batch out (or one `stop()` gave up on) does nothing.
    pub(crate) fn settle(&self, outcome: Result<(), BatchError>) {
        let mut state = self.state.lock();
        let Some(settling) = state.out.take() else {
            return;
        };
        if !self.fetch.settled(outcome, settling) {
            state.halted = true;
        }
        self.settled.notify_all();
    }

    /// Wakes the caller to pull again (after `resume()`: the arrival callback fires only for
    /// arrivals).
    pub(crate) fn wake(&self) {
        (self.wake)();
    }

    /// For `stop()`: hands over no more batches, stops waking the caller, and waits up to
    /// `timeout` for the batch out to settle. False when it did not: it will record nothing.
    pub(crate) fn end(&self, timeout: Duration) -> bool {
        let mut state = self.state.lock();
        state.halted = true;
        state.arrival.take();
        if state.out.is_some() {
            self.settled
                .wait_while_for(&mut state, |s| s.out.is_some(), timeout);
        }
        // Given up on: dropped here, so that its settle finds nothing to record.
        state.out.take().is_none()
    }
}
