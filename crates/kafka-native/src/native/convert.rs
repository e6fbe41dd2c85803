//! Rust values from librdkafka's C data and back: strings, arrays it lends, timeouts.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::time::Duration;

use crate::error::KafkaError;

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

/// Milliseconds for a librdkafka timeout argument, saturating at `i32::MAX`.
pub(crate) fn timeout_ms(timeout: Duration) -> c_int {
    timeout.as_millis().min(c_int::MAX as u128) as c_int
}
