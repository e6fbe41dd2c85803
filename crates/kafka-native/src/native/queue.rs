//! [`NativeQueue`]: a queue reference (`rd_kafka_queue_t`).

use std::time::Duration;

use kafka_native_sys as rdsys;

use super::convert::timeout_ms;
use super::{NativeEvent, NativePtr, OwnedBatch};

/// A queue reference (`rd_kafka_queue_t`).
pub(crate) struct NativeQueue(pub(super) NativePtr<rdsys::rd_kafka_queue_t>);

// SAFETY: queues are locked internally; polling, yielding and measuring a queue from different
// threads at once is what they are for (our threads poll while the API thread yields).
unsafe impl Send for NativeQueue {}
// SAFETY: as above.
unsafe impl Sync for NativeQueue {}

impl NativeQueue {
    /// Takes a queue reference librdkafka handed out.
    pub(crate) fn from_owned(raw: *mut rdsys::rd_kafka_queue_t) -> Self {
        // SAFETY: a non-null queue from rd_kafka_queue_new/_get_* is ours to destroy.
        NativeQueue(unsafe { NativePtr::from_ptr(raw) }.expect("queue"))
    }

    pub(crate) fn ptr(&self) -> *mut rdsys::rd_kafka_queue_t {
        self.0.ptr()
    }

    /// The next event, waiting up to `timeout`.
    pub(crate) fn poll(&self, timeout: Duration) -> Option<NativeEvent> {
        // SAFETY: the queue is live; a non-null event is ours to destroy.
        let ev = unsafe { rdsys::rd_kafka_queue_poll(self.0.ptr(), timeout_ms(timeout)) };
        // SAFETY: as above.
        unsafe { NativePtr::from_ptr(ev) }.map(NativeEvent)
    }

    /// Waits up to `timeout` for the first fetched message, then takes whatever else is queued
    /// already, up to `max` in all and about `max_bytes` of payloads and keys (as many as fit
    /// at the first message's size), without waiting for more.
    ///
    /// `rd_kafka_consume_batch_queue` alone returns only once `max` messages are there or the
    /// timeout has passed, so below `max` messages per timeout every message would wait for the
    /// timeout. A second call with a zero timeout takes what is ready and returns at once.
    /// [`NativeQueue::wake`] ends the wait early.
    pub(crate) fn consume_ready(
        &self,
        timeout: Duration,
        max: usize,
        max_bytes: usize,
    ) -> OwnedBatch {
        let mut raw: Vec<*mut rdsys::rd_kafka_message_t> = Vec::with_capacity(max);
        if max == 0 {
            return OwnedBatch::from_raw(raw);
        }
        // SAFETY: the queue is live; `raw` has room for `max` >= 1 pointers.
        let first = unsafe {
            rdsys::rd_kafka_consume_batch_queue(
                self.0.ptr(),
                timeout_ms(timeout),
                raw.as_mut_ptr(),
                1,
            )
        }
        .max(0) as usize;
        let first_bytes = if first == 1 {
            // SAFETY: librdkafka wrote a live message pointer to slot 0 (within the capacity,
            // not yet the length), which stays ours and unchanged until the batch destroys it.
            unsafe { raw.as_ptr().read().as_ref() }.map_or(0, |m| m.len.saturating_add(m.key_len))
        } else {
            0
        };
        let max = match max_bytes.checked_div(first_bytes) {
            Some(fit) => max.min(fit.max(1)),
            None => max, // an empty first message says nothing of the others' size
        };
        let rest = if first == 1 && max > 1 {
            // SAFETY: the queue is live; slots 1..max of `raw` are free for `max - 1` pointers.
            unsafe {
                rdsys::rd_kafka_consume_batch_queue(
                    self.0.ptr(),
                    0,
                    raw.as_mut_ptr().add(1),
                    max - 1,
                )
            }
            .max(0) as usize
        } else {
            0
        };
        // SAFETY: librdkafka wrote `first + rest` (<= max) message pointers in order; each is ours
        // to destroy.
        unsafe { raw.set_len(first + rest) };
        OwnedBatch::from_raw(raw)
    }

    /// Ops (fetched messages and events) waiting in the queue.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: the queue is live.
        unsafe { rdsys::rd_kafka_queue_length(self.0.ptr()) }
    }

    /// Wakes a thread blocked in `poll` or `consume_batch` on this queue.
    pub(crate) fn wake(&self) {
        // SAFETY: the queue is live.
        unsafe { rdsys::rd_kafka_queue_yield(self.0.ptr()) }
    }
}
