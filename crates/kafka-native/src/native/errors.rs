//! librdkafka's error codes and error objects as [`KafkaError`]s.

use std::ffi::CStr;

use kafka_native_sys as rdsys;

use super::convert::{array, from_cstr};
use super::owned::NativePtr;
use crate::error::KafkaError;

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

/// librdkafka's static table of error descriptions (gaps have a null name).
fn descriptions() -> &'static [rdsys::rd_kafka_err_desc] {
    let mut descs: *const rdsys::rd_kafka_err_desc = std::ptr::null();
    let mut count: usize = 0;
    // SAFETY: rd_kafka_get_err_descs points `descs` at librdkafka's static table and sets
    // `count` to its length; both outputs are valid for writes.
    unsafe { rdsys::rd_kafka_get_err_descs(&mut descs, &mut count) };
    // SAFETY: the table is static (it lives as long as the process) and `count` entries long,
    // or the pointer is null.
    unsafe { array(descs, count) }
}

/// The error code librdkafka names `name` (as a [`KafkaError`]'s `code_name()` gives it: e.g.
/// `NOT_LEADER_FOR_PARTITION`, or `_TIMED_OUT` for a local one), if there is one.
pub fn error_code_named(name: &str) -> Option<crate::ErrorCode> {
    descriptions()
        .iter()
        // SAFETY: a described entry's name is a static NUL-terminated string; gaps have null.
        .find(|d| {
            !d.name.is_null() && unsafe { CStr::from_ptr(d.name) }.to_bytes() == name.as_bytes()
        })
        .map(|d| d.code.into())
}

/// The error code whose number is `code` (as a C callback passes it), if librdkafka has it.
pub(crate) fn error_code_numbered(code: i32) -> Option<rdsys::rd_kafka_resp_err_t> {
    descriptions()
        .iter()
        .find(|d| !d.name.is_null() && d.code as i32 == code)
        .map(|d| d.code)
}

/// librdkafka's table of error codes: each code it names and its name, as [`KafkaError`]s'
/// `code_name()` gives them (Kafka's own errors by their protocol number, librdkafka's local
/// ones negative, their names starting with `_`).
pub fn error_codes() -> Vec<(String, i32)> {
    descriptions()
        .iter()
        .filter(|d| !d.name.is_null())
        // SAFETY: a described entry's name is a static NUL-terminated string.
        .map(|d| (unsafe { from_cstr(d.name) }, d.code as i32))
        .collect()
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
        let codes = super::error_codes();
        assert!(codes.contains(&("UNKNOWN_TOPIC_OR_PART".to_string(), 3)));
        assert!(codes.contains(&("_TIMED_OUT".to_string(), -185)));
        assert_eq!(error_code_named(""), None);
    }
}
