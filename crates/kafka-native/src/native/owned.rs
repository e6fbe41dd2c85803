//! Owned librdkafka objects: a [`NativePtr`] frees its object on drop through the
//! [`KafkaDrop`] impl of its C type.

use std::ptr::NonNull;

use kafka_native_sys as rdsys;

/// A C type with a destroy function.
///
/// # Safety
/// `drop_native` must be the destroy function that matches how `T` was created.
pub(crate) unsafe trait KafkaDrop {
    /// # Safety
    /// `ptr` is valid and owned; it is not used after this call.
    unsafe fn drop_native(ptr: *mut Self);
}

/// Sole owner of one librdkafka object; frees it on drop.
///
/// Neither `Send` nor `Sync` by itself: each wrapper type claims what its C type allows, with
/// the reason, and the assertions at the end of this file keep the claims as narrow as written.
pub(crate) struct NativePtr<T: KafkaDrop> {
    ptr: NonNull<T>,
}

impl<T: KafkaDrop> NativePtr<T> {
    /// Takes ownership of `ptr`; `None` when it is null.
    ///
    /// # Safety
    /// `ptr` must be a live object of type `T` that nobody else frees.
    pub(crate) unsafe fn from_ptr(ptr: *mut T) -> Option<Self> {
        NonNull::new(ptr).map(|ptr| NativePtr { ptr })
    }

    pub(crate) fn ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Gives up ownership without freeing (for C calls that take ownership).
    pub(crate) fn into_raw(self) -> *mut T {
        let ptr = self.ptr.as_ptr();
        std::mem::forget(self);
        ptr
    }
}

impl<T: KafkaDrop> Drop for NativePtr<T> {
    fn drop(&mut self) {
        // SAFETY: we own the pointer and it is never used again.
        unsafe { T::drop_native(self.ptr.as_ptr()) }
    }
}

macro_rules! kafka_drop {
    ($($t:ty => $destroy:path),* $(,)?) => {$(
        // SAFETY: `$destroy` is librdkafka's destroy function for `$t`.
        unsafe impl KafkaDrop for $t {
            unsafe fn drop_native(ptr: *mut Self) {
                // SAFETY: the caller owns `ptr` (see KafkaDrop::drop_native).
                unsafe { $destroy(ptr) }
            }
        }
    )*};
}

kafka_drop! {
    rdsys::rd_kafka_t => rdsys::rd_kafka_destroy,
    rdsys::rd_kafka_conf_t => rdsys::rd_kafka_conf_destroy,
    rdsys::rd_kafka_topic_conf_t => rdsys::rd_kafka_topic_conf_destroy,
    rdsys::rd_kafka_topic_t => rdsys::rd_kafka_topic_destroy,
    rdsys::rd_kafka_queue_t => rdsys::rd_kafka_queue_destroy,
    rdsys::rd_kafka_event_t => rdsys::rd_kafka_event_destroy,
    rdsys::rd_kafka_topic_partition_list_t => rdsys::rd_kafka_topic_partition_list_destroy,
    rdsys::rd_kafka_message_t => rdsys::rd_kafka_message_destroy,
    rdsys::rd_kafka_mock_cluster_t => rdsys::rd_kafka_mock_cluster_destroy,
    rdsys::rd_kafka_error_t => rdsys::rd_kafka_error_destroy,
    rdsys::rd_kafka_consumer_group_metadata_t => rdsys::rd_kafka_consumer_group_metadata_destroy,
}

// SAFETY: rd_kafka_metadata() hands out a const pointer that rd_kafka_metadata_destroy frees.
unsafe impl KafkaDrop for rdsys::rd_kafka_metadata_t {
    unsafe fn drop_native(ptr: *mut Self) {
        // SAFETY: the caller owns `ptr`.
        unsafe { rdsys::rd_kafka_metadata_destroy(ptr) }
    }
}
