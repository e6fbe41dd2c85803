//! The native layer: the only place that calls `kafka-native-sys`.
//!
//! Every librdkafka object is held by a [`NativePtr`], which frees it on drop through the
//! [`KafkaDrop`] impl of its C type. Everything above this module speaks Rust types.

mod admin;
mod arrival;
pub(crate) mod callbacks;
pub(crate) mod client;
mod conf;
mod config_resource;
mod event;
mod message;
mod metadata;
mod mock;
mod partition_list;
pub(crate) mod process;

pub(crate) use admin::{NewTopicSpec, TopicOutcome};
pub(crate) use arrival::{ArrivalCallback, ArrivalWake};
pub(crate) use callbacks::{ClientHooks, Rebalance, RebalanceHook, RebalanceKind};
pub use client::GroupMetadata;
pub(crate) use client::{NativeClient, NativeQueue, NativeTopic};
pub(crate) use conf::NativeConf;
pub(crate) use config_resource::AlterMode;
pub(crate) use event::{Event, NativeEvent};
pub(crate) use message::{MessageView, NativeMessage, OwnedBatch};
pub(crate) use mock::NativeMockCluster;
pub(crate) use partition_list::PartitionList;

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::NonNull;

use kafka_native_sys as rdsys;

use crate::error::KafkaError;

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

/// A C string for librdkafka; an interior NUL is reported as an invalid argument naming `what`.
pub(crate) fn to_cstring(what: &str, value: &str) -> Result<CString, KafkaError> {
    CString::new(value).map_err(|_| KafkaError::InvalidArgument {
        argument: what.to_string(),
        message: "must not contain a NUL character".to_string(),
    })
}

/// An array librdkafka lent us, as a slice; empty where the pointer is null or the count is
/// not positive.
///
/// # Safety
/// `ptr` is null or points at `count` live elements that outlive `'a`.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, count: impl TryInto<usize>) -> &'a [T] {
    match count.try_into() {
        Ok(n) if n > 0 && !ptr.is_null() => {
            // SAFETY: per the contract.
            unsafe { std::slice::from_raw_parts(ptr, n) }
        }
        _ => &[],
    }
}

/// Copies a C string owned by librdkafka; null gives "".
///
/// # Safety
/// `ptr` is null or a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn from_cstr(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: per the contract above.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// librdkafka's text for an error code.
pub(crate) fn error_description(code: rdsys::rd_kafka_resp_err_t) -> String {
    // SAFETY: rd_kafka_err2str returns a static string for any code.
    unsafe { from_cstr(rdsys::rd_kafka_err2str(code)) }
}

/// librdkafka's symbolic name for an error code (e.g. `NOT_LEADER_FOR_PARTITION`).
pub(crate) fn error_name(code: rdsys::rd_kafka_resp_err_t) -> String {
    // SAFETY: rd_kafka_err2name returns a static string for any code.
    unsafe { from_cstr(rdsys::rd_kafka_err2name(code)) }
}

/// The error code librdkafka names `name` (as a [`KafkaError`]'s `code_name()` gives it: e.g.
/// `NOT_LEADER_FOR_PARTITION`, or `_TIMED_OUT` for a local one), if there is one.
pub fn error_code_named(name: &str) -> Option<crate::ErrorCode> {
    let mut descs: *const rdsys::rd_kafka_err_desc = std::ptr::null();
    let mut count: usize = 0;
    // SAFETY: rd_kafka_get_err_descs points `descs` at librdkafka's static table and sets
    // `count` to its length; both outputs are valid for writes.
    unsafe { rdsys::rd_kafka_get_err_descs(&mut descs, &mut count) };
    // SAFETY: the table is static and `count` entries long (or the pointer is null).
    let table = unsafe { array(descs, count) };
    table
        .iter()
        // SAFETY: a described entry's name is a static NUL-terminated string; gaps have null.
        .find(|d| {
            !d.name.is_null() && unsafe { CStr::from_ptr(d.name) }.to_bytes() == name.as_bytes()
        })
        .map(|d| d.code.into())
}

impl KafkaError {
    /// An error librdkafka reported as `code`, with its own text when `message` is empty.
    pub(crate) fn kafka(code: rdsys::rd_kafka_resp_err_t, context: &str, message: String) -> Self {
        let message = if message.is_empty() {
            error_description(code)
        } else {
            message
        };
        KafkaError::Kafka {
            code: code.into(),
            name: error_name(code),
            context: context.to_string(),
            message,
            retriable: false,
            fatal: code == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__FATAL,
            abortable: false,
        }
    }
}

/// The librdkafka version string, e.g. "2.12.1".
pub fn librdkafka_version() -> String {
    // SAFETY: rd_kafka_version_str returns a static string.
    unsafe { from_cstr(rdsys::rd_kafka_version_str()) }
}

/// Turns a `rd_kafka_error_t*` into a `KafkaError` and frees it; null means success.
///
/// # Safety
/// `error` is null or an owned error object.
pub(crate) unsafe fn take_error(
    context: &str,
    error: *mut rdsys::rd_kafka_error_t,
) -> Result<(), KafkaError> {
    // SAFETY: per the contract above.
    let Some(error) = (unsafe { NativePtr::from_ptr(error) }) else {
        return Ok(());
    };
    // SAFETY: `error` is live until the NativePtr drops at the end of this scope.
    let (code, message, retriable, fatal, abortable) = unsafe {
        (
            rdsys::rd_kafka_error_code(error.ptr()),
            from_cstr(rdsys::rd_kafka_error_string(error.ptr())),
            rdsys::rd_kafka_error_is_retriable(error.ptr()) != 0,
            rdsys::rd_kafka_error_is_fatal(error.ptr()) != 0,
            rdsys::rd_kafka_error_txn_requires_abort(error.ptr()) != 0,
        )
    };
    let mut err = KafkaError::kafka(code, context, message);
    if let KafkaError::Kafka {
        retriable: r,
        fatal: f,
        abortable: a,
        ..
    } = &mut err
    {
        (*r, *f, *a) = (retriable, *f || fatal, abortable);
    }
    Err(err)
}

/// `Ok` for NO_ERROR, else a `KafkaError` with librdkafka's text for the code.
pub(crate) fn check(err: rdsys::rd_kafka_resp_err_t, context: &str) -> Result<(), KafkaError> {
    if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        Err(KafkaError::kafka(err, context, String::new()))
    }
}

/// Compile-time checks of the thread-safety claims above and in each wrapper's file: the types
/// that must cross threads do, and the ones whose C calls write (confs, partition lists) or that
/// never need to (events, the bare pointer) cannot be shared.
mod thread_safety {
    use super::*;

    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    const _: () = {
        send_sync::<NativeClient>();
        send_sync::<NativeTopic>();
        send_sync::<NativeQueue>();
        send_sync::<NativeMessage>();
        send_sync::<NativeMockCluster>();
        send_sync::<ArrivalCallback>();
        send::<NativeConf>();
        send::<PartitionList>();
    };

    /// `<T as NotSync<_>>::check` resolves only when `T` is not `Sync` (with a `Sync` type both
    /// impls apply and the call is ambiguous); likewise `NotSend`.
    trait NotSync<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSync<()> for T {}
    impl<T: ?Sized + Sync> NotSync<u8> for T {}
    trait NotSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSend<()> for T {}
    impl<T: ?Sized + Send> NotSend<u8> for T {}

    const _: fn() = || {
        <NativeConf as NotSync<_>>::check();
        <PartitionList as NotSync<_>>::check();
        <NativeEvent as NotSend<_>>::check();
        <NativeEvent as NotSync<_>>::check();
        <NativePtr<rdsys::rd_kafka_t> as NotSend<_>>::check();
        <NativePtr<rdsys::rd_kafka_t> as NotSync<_>>::check();
        <NativePtr<rdsys::rd_kafka_message_t> as NotSync<_>>::check();
    };
}

#[cfg(test)]
mod tests {
    use super::error_code_named;
    use crate::ErrorCode;

    #[test]
    fn error_codes_are_found_by_the_names_errors_carry() {
        for (name, code) in [
            ("NOT_LEADER_FOR_PARTITION", ErrorCode::NotLeaderForPartition),
            (
                "OUT_OF_ORDER_SEQUENCE_NUMBER",
                ErrorCode::OutOfOrderSequenceNumber,
            ),
            ("_TIMED_OUT", ErrorCode::OperationTimedOut),
            ("_FATAL", ErrorCode::Fatal),
        ] {
            assert_eq!(error_code_named(name), Some(code), "{name}");
        }
        assert_eq!(error_code_named("NO_SUCH_ERROR"), None);
        assert_eq!(error_code_named(""), None);
    }
}
