//! A queue's arrival callback (`rd_kafka_queue_cb_event_enable`): librdkafka calls a closure of
//! ours, on the thread that enqueued, whenever an op lands in the queue while it was empty. A
//! caller can then serve the queue where it likes (Node: on the JS thread) instead of a thread
//! of ours blocking on it and handing what it finds on.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use kafka_native_sys as rdsys;

use super::NativeQueue;

/// What librdkafka calls on an arrival. It runs on a librdkafka thread, under the queue's lock:
/// it must return quickly and must not call librdkafka.
pub(crate) type ArrivalWake = Arc<dyn Fn() + Send + Sync>;

/// An enabled arrival callback on a queue; dropping it disables the callback, then frees the
/// closure.
pub(crate) struct ArrivalCallback {
    queue: Arc<NativeQueue>,
    /// The `Box<ArrivalWake>` librdkafka holds as the callback's opaque.
    wake: *mut ArrivalWake,
}

// SAFETY: the raw pointer is to an `ArrivalWake`, which is Send + Sync; librdkafka's threads only
// read it (through `arrival_trampoline`), and it is freed once, in Drop, after the callback is
// disabled.
unsafe impl Send for ArrivalCallback {}
// SAFETY: as above; `&self` gives no access to the closure.
unsafe impl Sync for ArrivalCallback {}

impl ArrivalCallback {
    /// Calls `wake` from now on whenever an op lands in `queue` while it was empty. What is
    /// queued already does not call it: the caller looks once after this.
    pub(crate) fn enable(queue: Arc<NativeQueue>, wake: ArrivalWake) -> Self {
        let wake = Box::into_raw(Box::new(wake));
        // SAFETY: the queue is live (the Arc keeps it); `wake` stays valid until Drop has
        // disabled the callback.
        unsafe {
            rdsys::rd_kafka_queue_cb_event_enable(
                queue.ptr(),
                Some(arrival_trampoline),
                wake.cast(),
            )
        };
        ArrivalCallback { queue, wake }
    }
}

impl Drop for ArrivalCallback {
    fn drop(&mut self) {
        // SAFETY: the queue is live. librdkafka calls the callback only under the queue's lock,
        // which disabling takes: once it returns no call is running or can start, so the
        // closure is ours again to free, once.
        unsafe {
            rdsys::rd_kafka_queue_cb_event_enable(self.queue.ptr(), None, std::ptr::null_mut());
            drop(Box::from_raw(self.wake));
        }
    }
}

/// librdkafka's callback: runs the closure `enable` registered.
unsafe extern "C" fn arrival_trampoline(_rk: *mut rdsys::rd_kafka_t, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `ArrivalWake` that `enable` boxed, alive until Drop disables the
    // callback (see there).
    let wake = unsafe { &*(opaque as *const ArrivalWake) };
    // A panic must not unwind into C; the closure only signals, so there is nothing to report.
    let _ = catch_unwind(AssertUnwindSafe(|| wake()));
}
