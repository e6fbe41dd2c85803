//! Owned share consumer (`rd_kafka_share_t`, KIP-932) and the batches it polls.
//!
//! librdkafka's share consumer is single-threaded by design: its handle may be used from one
//! thread at a time (a second thread at once is refused with `_CONFLICT`). The core keeps each
//! handle on one thread of its own (`share::ShareThread`) and these wrappers are `Send` only,
//! never `Sync`. The one call any thread may make, `rd_kafka_share_wakeup` (our librdkafka
//! patch), which ends a poll at once, is a [`ShareWaker`] of its own.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_share_AcknowledgeType_t as ack_type;

use super::convert::timeout_ms;
use super::errors::error_code_numbered;
use super::{check, from_cstr, take_error, MessageView, NativeConf, PartitionList};
use crate::error::KafkaError;
use crate::share::acknowledgement::{Acknowledgement, AcknowledgementCommit};

/// Who the share consumer's callbacks tell (the share consumer's own layer makes log records of
/// them, as the events thread does for the other clients): a librdkafka log line (level,
/// facility, text), a client error (code, text, fatal), and each partition's acknowledgement
/// outcome.
pub(crate) struct ShareHooks {
    pub(crate) on_log: Box<dyn Fn(i32, String, String) + Send + Sync>,
    pub(crate) on_error: ClientErrorHook,
    pub(crate) on_commit: Box<dyn Fn(AcknowledgementCommit) + Send + Sync>,
}

/// Told of a client error: its code, text, and whether it is fatal.
pub(crate) type ClientErrorHook = Box<dyn Fn(rdsys::rd_kafka_resp_err_t, &str, bool) + Send + Sync>;

/// A share consumer handle. Field order is drop order: the handle is destroyed before the hooks
/// its callbacks read.
pub(crate) struct NativeShare {
    handle: NonNull<rdsys::rd_kafka_share_t>,
    /// The handle, for its wakers while it lives: emptied before it is destroyed.
    wake_slot: Arc<WakeSlot>,
    _hooks: Box<ShareHooks>,
}

/// The handle a [`ShareWaker`] wakes, while it lives.
struct WakeSlot(Mutex<Option<NonNull<rdsys::rd_kafka_share_t>>>);

// SAFETY: the pointer is only passed to rd_kafka_share_wakeup, which librdkafka lets any thread
// call while the handle lives, and only under the mutex while the slot holds it; NativeShare's
// drop empties the slot, under the same mutex, before it destroys the handle.
unsafe impl Send for WakeSlot {}
// SAFETY: as for Send: every use is under the mutex.
unsafe impl Sync for WakeSlot {}

/// Ends the poll in progress of a [`NativeShare`] at once (or its next one); does nothing once
/// the consumer is gone. Any thread may hold and use one.
#[derive(Clone)]
pub(crate) struct ShareWaker(Arc<WakeSlot>);

impl ShareWaker {
    pub(crate) fn wake(&self) {
        let slot = self.0 .0.lock();
        if let Some(handle) = *slot {
            // SAFETY: the slot holds the handle only while it lives (see WakeSlot), and we
            // hold its mutex; rd_kafka_share_wakeup may be called from any thread.
            unsafe { rdsys::rd_kafka_share_wakeup(handle.as_ptr()) }
        }
    }
}

// SAFETY: the handle is owned by this wrapper alone, and librdkafka lets any one thread at a time
// use it (it checks the calling thread and refuses a concurrent one); moving the wrapper moves
// that one thread's access. Not Sync: two threads calling at once is exactly what it refuses.
unsafe impl Send for NativeShare {}

impl NativeShare {
    /// A share consumer in `group` (the conf must not set `group.id` itself), logging to `hooks`.
    pub(crate) fn new(mut conf: NativeConf, hooks: ShareHooks) -> Result<Self, KafkaError> {
        let hooks = Box::new(hooks);
        // log.queue is off for share consumers: librdkafka calls log_cb from the thread that logs
        // (its own threads, or ours inside a poll), and error_cb from the poll.
        conf.set("log.queue", "false")?;
        let raw = conf.into_raw();
        let mut errstr = [0 as c_char; 512];
        // SAFETY: raw is a live conf we own; the box gives the hooks a fixed address that lives
        // as long as the handle (it is freed after rd_kafka_share_destroy, by field order), and
        // the callbacks only read it. rd_kafka_share_consumer_new takes the conf on success only.
        let handle = unsafe {
            rdsys::rd_kafka_conf_set_opaque(raw, &*hooks as *const ShareHooks as *mut c_void);
            rdsys::rd_kafka_conf_set_log_cb(raw, Some(log_trampoline));
            rdsys::rd_kafka_conf_set_error_cb(raw, Some(error_trampoline));
            rdsys::rd_kafka_share_consumer_new(raw, errstr.as_mut_ptr(), errstr.len())
        };
        match NonNull::new(handle) {
            Some(handle) => {
                // SAFETY: the handle is live and not yet used by any other thread; the opaque
                // is the hooks box, alive as long as the handle (see above).
                let error = unsafe {
                    rdsys::rd_kafka_share_set_acknowledgement_commit_cb(
                        handle.as_ptr(),
                        Some(commit_trampoline),
                        &*hooks as *const ShareHooks as *mut c_void,
                    )
                };
                let native = NativeShare {
                    handle,
                    wake_slot: Arc::new(WakeSlot(Mutex::new(Some(handle)))),
                    _hooks: hooks,
                };
                // SAFETY: `error` is null or an owned error object.
                unsafe { take_error("acknowledgement commit callback", error) }?;
                Ok(native)
            }
            None => {
                // SAFETY: on failure the conf is still ours to free; errstr is NUL-terminated.
                let message = unsafe {
                    rdsys::rd_kafka_conf_destroy(raw);
                    from_cstr(errstr.as_ptr())
                };
                Err(KafkaError::ClientCreation { message })
            }
        }
    }

    fn ptr(&self) -> *mut rdsys::rd_kafka_share_t {
        self.handle.as_ptr()
    }

    /// A waker for this consumer's polls, for another thread.
    pub(crate) fn waker(&self) -> ShareWaker {
        ShareWaker(self.wake_slot.clone())
    }

    /// Subscribes to exactly these topics (local: the heartbeat takes them to the broker).
    pub(crate) fn subscribe(&self, topics: &[String]) -> Result<(), KafkaError> {
        let list = PartitionList::subscription(topics)?;
        // SAFETY: the handle and the list are live; librdkafka copies the list.
        let err = unsafe { rdsys::rd_kafka_share_subscribe(self.ptr(), list.ptr()) };
        check(err, "subscribe")
    }

    /// Records acquired for this member within `wait`: `None` when none came. Acknowledgements
    /// given since the last poll go to the brokers with this one.
    pub(crate) fn poll(&self, wait: Duration) -> Result<Option<NativeShareBatch>, KafkaError> {
        let mut messages: *mut rdsys::rd_kafka_messages_t = ptr::null_mut();
        // SAFETY: the handle is live and used by this thread only; `messages` is NULL on entry
        // as librdkafka requires, and receives an owned list (or stays NULL).
        let error =
            unsafe { rdsys::rd_kafka_share_poll(self.ptr(), timeout_ms(wait), &mut messages) };
        // SAFETY: `error` is null or an owned error object.
        unsafe { take_error("share poll", error) }?;
        Ok(NonNull::new(messages).map(|list| NativeShareBatch { list }))
    }

    /// How many partitions the group has assigned to this member now (our librdkafka's
    /// `rd_kafka_share_assignment`): none until it has joined. Local: no request.
    pub(crate) fn assigned_count(&self) -> Result<usize, KafkaError> {
        let mut raw = ptr::null_mut();
        // SAFETY: the handle is live and used by this thread only; on success `raw` is a list
        // we own, freed by the PartitionList.
        let err = unsafe { rdsys::rd_kafka_share_assignment(self.ptr(), &mut raw) };
        // SAFETY: null, or the list librdkafka returned for us to free.
        let list = unsafe { PartitionList::take(raw) };
        check(err, "share assignment")?;
        Ok(list.map_or(0, |l| l.entries().len()))
    }

    /// Acknowledges record `index` of `batch` (explicit acknowledgement mode); it is sent with
    /// the next poll, commit or close.
    pub(crate) fn acknowledge(
        &self,
        batch: &NativeShareBatch,
        index: usize,
        how: Acknowledgement,
    ) -> Result<(), KafkaError> {
        let how = match how {
            Acknowledgement::Accept => ack_type::RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT,
            Acknowledgement::Release => ack_type::RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE,
            Acknowledgement::Reject => ack_type::RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_REJECT,
            Acknowledgement::Renew => ack_type::RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RENEW,
        };
        let message = batch.raw(index)?;
        // SAFETY: the handle is live and used by this thread only; the message belongs to a
        // batch this handle polled, alive while `batch` is borrowed.
        let err = unsafe { rdsys::rd_kafka_share_acknowledge_type(self.ptr(), message, how) };
        check(err, "acknowledge")
    }

    /// Runs the acknowledgement-commit callbacks of the answers that came since the last poll or
    /// commit (librdkafka serves them only inside those calls): a commit with nothing new to
    /// send. Explicit mode only (in implicit mode a commit accepts every record held).
    pub(crate) fn serve_acknowledgement_outcomes(&self) -> Result<(), KafkaError> {
        self.commit_async()
    }

    /// How long the group's acquisition lock lasts, as the broker last said it; `None` before
    /// any fetch answered.
    pub(crate) fn acquisition_lock_timeout(&self) -> Option<Duration> {
        // SAFETY: the handle is live; librdkafka reads an atomic (any thread may call it).
        let ms = unsafe { rdsys::rd_kafka_share_acquisition_lock_timeout_ms(self.ptr()) };
        u64::try_from(ms)
            .ok()
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis)
    }

    /// Sends what is acknowledged since the last poll or commit now (a ShareAcknowledge to each
    /// partition's leader), without waiting for the answers; a poll would carry it only with its
    /// next fetch.
    pub(crate) fn commit_async(&self) -> Result<(), KafkaError> {
        // SAFETY: the handle is live and used by this thread only; the error is ours to free.
        unsafe {
            take_error(
                "commit acknowledgements",
                rdsys::rd_kafka_share_commit_async(self.ptr()),
            )
        }
    }

    /// Sends what is acknowledged and leaves the share group; bounded by librdkafka to about
    /// `socket.timeout.ms`. Records still acquired are released by the broker as the member
    /// leaves.
    pub(crate) fn close(&self) -> Result<(), KafkaError> {
        // SAFETY: the handle is live and used by this thread only; the error is ours to free.
        unsafe { take_error("close", rdsys::rd_kafka_share_consumer_close(self.ptr())) }
    }
}

impl Drop for NativeShare {
    fn drop(&mut self) {
        // No waker reaches the handle from now on (one waking now holds the lock: waited for).
        self.wake_slot.0.lock().take();
        // SAFETY: we own the handle and nothing uses it after this (Send, not Sync: no other
        // thread is inside a call). A closed consumer is freed at once; one not closed is closed
        // first. An error (only a concurrent caller, which cannot happen here) leaves it leaked
        // rather than freed twice.
        let error = unsafe { rdsys::rd_kafka_share_destroy(self.ptr()) };
        // SAFETY: `error` is null or an owned error object.
        let _ = unsafe { take_error("destroy", error) };
    }
}

/// The records one poll acquired, owned; freed on drop. Read and acknowledged on the thread of
/// the handle that polled it, before the handle is dropped (the share thread holds both).
pub(crate) struct NativeShareBatch {
    list: NonNull<rdsys::rd_kafka_messages_t>,
}

// SAFETY: the list is plain memory owned by this wrapper alone; moving it to another thread moves
// the only access. Not Sync: nothing needs to read it from two threads.
unsafe impl Send for NativeShareBatch {}

impl NativeShareBatch {
    pub(crate) fn len(&self) -> usize {
        // SAFETY: the list is live.
        unsafe { rdsys::rd_kafka_messages_count(self.list.as_ptr()) }
    }

    fn raw(&self, index: usize) -> Result<*const rdsys::rd_kafka_message_t, KafkaError> {
        if index >= self.len() {
            return Err(KafkaError::invalid(
                "index",
                format!("is past the batch's {} records", self.len()),
            ));
        }
        // SAFETY: the list is live and `index` is within it.
        Ok(unsafe { rdsys::rd_kafka_messages_get(self.list.as_ptr(), index) })
    }

    /// Record `index` (below `len()`), borrowed from the batch, and how many times it has been
    /// delivered.
    pub(crate) fn get(&self, index: usize) -> Option<(MessageView<'_>, u16)> {
        let raw = self.raw(index).ok()?;
        // SAFETY: the message is owned by the list, alive while `self` is borrowed.
        let (message, count) = unsafe { (&*raw, rdsys::rd_kafka_message_delivery_count(raw)) };
        Some((MessageView::from_raw(message), count.max(0) as u16))
    }
}

impl Drop for NativeShareBatch {
    fn drop(&mut self) {
        // SAFETY: we own the list; its messages are not used after this.
        unsafe { rdsys::rd_kafka_messages_destroy(self.list.as_ptr()) }
    }
}

/// librdkafka's log_cb, on whichever thread logs.
unsafe extern "C" fn log_trampoline(
    rk: *const rdsys::rd_kafka_t,
    level: c_int,
    facility: *const c_char,
    line: *const c_char,
) {
    // SAFETY: the opaque is the ShareHooks box set in `new`, alive until after the handle is
    // destroyed (so while librdkafka can still log); the strings are valid for the call.
    let (hooks, facility, message) = unsafe {
        let hooks = rdsys::rd_kafka_opaque(rk) as *const ShareHooks;
        if hooks.is_null() {
            return;
        }
        (&*hooks, from_cstr(facility), from_cstr(line))
    };
    // A logger that panics must not unwind into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (hooks.on_log)(level, facility, message)
    }));
}

/// librdkafka's acknowledgement-commit callback: one partition's outcome, served inside a poll or
/// a commit on the share thread.
unsafe extern "C" fn commit_trampoline(
    _rkshare: *mut rdsys::rd_kafka_share_t,
    partitions: *mut rdsys::rd_kafka_share_partition_offsets_list_t,
    err: rdsys::rd_kafka_resp_err_t,
    opaque: *mut c_void,
) {
    if opaque.is_null() || partitions.is_null() {
        return;
    }
    // SAFETY: the opaque is the ShareHooks box (see log_trampoline); the list and what it points
    // to are valid for the call, and only read.
    let (hooks, outcomes) = unsafe {
        let hooks = &*(opaque as *const ShareHooks);
        let mut outcomes = Vec::new();
        for i in 0..rdsys::rd_kafka_share_partition_offsets_list_count(partitions) {
            let entry = rdsys::rd_kafka_share_partition_offsets_list_get(partitions, i);
            if entry.is_null() {
                continue;
            }
            let tp = rdsys::rd_kafka_share_partition_offsets_partition(entry);
            let (offsets, count) = (
                rdsys::rd_kafka_share_partition_offsets_offsets(entry),
                rdsys::rd_kafka_share_partition_offsets_offsets_cnt(entry),
            );
            if tp.is_null() {
                continue;
            }
            let tp = &*tp;
            let offsets = if offsets.is_null() || count == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(offsets, count).to_vec()
            };
            // The partition's own error, else the request's.
            let code = if tp.err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                tp.err
            } else {
                err
            };
            outcomes.push(AcknowledgementCommit {
                topic: from_cstr(tp.topic),
                partition: tp.partition,
                offsets,
                error: (code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
                    .then(|| KafkaError::kafka(code, "acknowledge", String::new())),
            });
        }
        (hooks, outcomes)
    };
    // A handler that panics must not unwind into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for outcome in outcomes {
            (hooks.on_commit)(outcome);
        }
    }));
}

/// librdkafka's error_cb, served inside a poll on the share thread.
unsafe extern "C" fn error_trampoline(
    _rk: *mut rdsys::rd_kafka_t,
    err: c_int,
    reason: *const c_char,
    opaque: *mut c_void,
) {
    if opaque.is_null() {
        return;
    }
    // SAFETY: the opaque is the ShareHooks box (see log_trampoline); the reason is valid for
    // the call.
    let (hooks, message) = unsafe { (&*(opaque as *const ShareHooks), from_cstr(reason)) };
    let Some(code) = error_code_numbered(err) else {
        return;
    };
    // librdkafka reports a fatal error to error_cb as _FATAL.
    let fatal = code == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__FATAL;
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (hooks.on_error)(code, &message, fatal)
    }));
}
