//! [`NativeTopic`]: a topic handle (`rd_kafka_topic_t`), and producing to it.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t::{self as resp, RD_KAFKA_RESP_ERR_NO_ERROR};
use rdsys::rd_kafka_vtype_t as vtype;

use super::convert::timeout_ms;
use super::{check, take_error, to_cstring, KafkaDrop, NativeClient, NativePtr};
use crate::error::KafkaError;

/// What one `produce_batch` call achieved.
pub(crate) struct BatchOutcome {
    pub(crate) enqueued: usize,
    /// The error of the first message that was not enqueued.
    pub(crate) first_error: Option<resp>,
}

/// A topic handle (`rd_kafka_topic_t`), used to produce.
pub(crate) struct NativeTopic(pub(super) NativePtr<rdsys::rd_kafka_topic_t>);

// SAFETY: topic handles are reference-counted objects that librdkafka locks internally;
// producing to one topic from several threads at once is supported.
unsafe impl Send for NativeTopic {}
// SAFETY: as above.
unsafe impl Sync for NativeTopic {}

impl NativeTopic {
    /// `client`'s handle of topic `name`.
    pub(crate) fn new(client: &NativeClient, name: &str) -> Result<NativeTopic, KafkaError> {
        let c_name = to_cstring("topic", name)?;
        // SAFETY: the handle is live; a null conf means the default topic conf.
        let rkt =
            unsafe { rdsys::rd_kafka_topic_new(client.ptr(), c_name.as_ptr(), ptr::null_mut()) };
        // SAFETY: a non-null rkt is a new topic reference that we own.
        match unsafe { NativePtr::from_ptr(rkt) } {
            Some(rkt) => Ok(NativeTopic(rkt)),
            None => {
                // SAFETY: rd_kafka_last_error is thread-local and always valid to read.
                let code = unsafe { rdsys::rd_kafka_last_error() };
                Err(KafkaError::kafka(
                    code,
                    &format!("topic {name:?}"),
                    String::new(),
                ))
            }
        }
    }

    /// One metadata request for `topic`: its partition count, or the topic-level error code.
    pub(crate) fn partition_count(
        &self,
        client: &NativeClient,
        timeout: Duration,
    ) -> Result<Result<usize, resp>, KafkaError> {
        let mut md: *const rdsys::rd_kafka_metadata_t = ptr::null();
        // SAFETY: the handle and topic are live; md receives an owned metadata object on success.
        let err = unsafe {
            rdsys::rd_kafka_metadata(client.ptr(), 0, self.ptr(), &mut md, timeout_ms(timeout))
        };
        check(err, "metadata request")?;
        // SAFETY: on success md is an owned metadata object.
        let md = unsafe { NativePtr::from_ptr(md as *mut rdsys::rd_kafka_metadata_t) }
            .expect("metadata");
        // SAFETY: md is live; topics points at topic_cnt entries.
        let topics = unsafe {
            let md = &*md.ptr();
            if md.topic_cnt <= 0 {
                return Ok(Err(resp::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
            }
            std::slice::from_raw_parts(md.topics, md.topic_cnt as usize)
        };
        let t = &topics[0];
        if t.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return Ok(Err(t.err));
        }
        Ok(Ok(t.partition_cnt.max(0) as usize))
    }

    pub(crate) fn ptr(&self) -> *mut rdsys::rd_kafka_topic_t {
        self.0.ptr()
    }

    /// Enqueues key/payload pairs with one `rd_kafka_produce_batch` call; librdkafka copies the bytes.
    /// With `first_opaque` non-zero, message i carries `first_opaque + i` as its opaque, which
    /// its delivery report brings back (see `MessageView::opaque`).
    pub(crate) fn produce_batch<'a>(
        &self,
        partition: i32,
        messages: impl ExactSizeIterator<Item = (Option<&'a [u8]>, Option<&'a [u8]>)>,
        first_opaque: usize,
    ) -> BatchOutcome {
        let mut batch: Vec<rdsys::rd_kafka_message_t> = messages
            .enumerate()
            .map(|(i, (key, payload))| {
                let (payload, len) = slice_parts(payload);
                let (key, key_len) = slice_parts(key);
                rdsys::rd_kafka_message_t {
                    err: RD_KAFKA_RESP_ERR_NO_ERROR,
                    rkt: ptr::null_mut(),
                    partition,
                    payload,
                    len,
                    key,
                    key_len,
                    offset: 0,
                    // An integer handed back in the delivery report; librdkafka never reads it.
                    _private: opaque_at(first_opaque, i),
                }
            })
            .collect();
        if batch.is_empty() {
            return BatchOutcome {
                enqueued: 0,
                first_error: None,
            };
        }
        let count = c_int::try_from(batch.len()).unwrap_or(c_int::MAX);
        // SAFETY: the topic is live; `batch` holds `count` initialised messages whose payload and key
        // pointers borrow slices that outlive the call; F_COPY makes librdkafka copy them, and it only
        // writes each message's `err` field.
        let enqueued = unsafe {
            rdsys::rd_kafka_produce_batch(
                self.ptr(),
                partition,
                rdsys::RD_KAFKA_MSG_F_COPY as c_int,
                batch.as_mut_ptr(),
                count,
            )
        };
        let first_error = batch
            .iter()
            .map(|m| m.err)
            .find(|e| *e != RD_KAFKA_RESP_ERR_NO_ERROR);
        BatchOutcome {
            enqueued: enqueued.max(0) as usize,
            first_error,
        }
    }

    /// Enqueues one message with headers or a timestamp (`rd_kafka_produce_batch` carries
    /// neither), with `opaque` (0: none) for its delivery report.
    pub(crate) fn produce_one(
        &self,
        client: &NativeClient,
        partition: i32,
        record: &crate::record::Record<'_>,
        opaque: usize,
    ) -> Result<(), KafkaError> {
        let (key, payload, headers) = (record.key, record.payload, record.headers);
        // SAFETY: rd_kafka_headers_new never returns null; we own the list until produce succeeds.
        let list = unsafe { NativePtr::from_ptr(rdsys::rd_kafka_headers_new(headers.len())) }
            .expect("headers");
        for (name, value) in headers {
            // SAFETY: the list is live; name/value are valid for their given lengths and are copied.
            unsafe {
                rdsys::rd_kafka_header_add(
                    list.ptr(),
                    name.as_ptr() as *const c_char,
                    name.len() as isize,
                    value.as_ptr() as *const c_void,
                    value.len() as isize,
                )
            };
        }
        let (payload_ptr, payload_len) = slice_parts(payload);
        let (key_ptr, key_len) = slice_parts(key);
        let mut vus = vec![
            vu(
                vtype::RD_KAFKA_VTYPE_RKT,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 { rkt: self.ptr() },
            ),
            vu(
                vtype::RD_KAFKA_VTYPE_PARTITION,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 { i32_: partition },
            ),
            vu(
                vtype::RD_KAFKA_VTYPE_MSGFLAGS,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 {
                    i: rdsys::RD_KAFKA_MSG_F_COPY as c_int,
                },
            ),
            vu(vtype::RD_KAFKA_VTYPE_VALUE, mem(payload_ptr, payload_len)),
            vu(vtype::RD_KAFKA_VTYPE_KEY, mem(key_ptr, key_len)),
            vu(
                vtype::RD_KAFKA_VTYPE_HEADERS,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 {
                    headers: list.ptr(),
                },
            ),
            vu(
                vtype::RD_KAFKA_VTYPE_OPAQUE,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 {
                    ptr: opaque_at(opaque, 0),
                },
            ),
        ];
        if let Some(timestamp) = record.timestamp {
            vus.push(vu(
                vtype::RD_KAFKA_VTYPE_TIMESTAMP,
                rdsys::rd_kafka_vu_s__bindgen_ty_1 { i64_: timestamp },
            ));
        }
        // SAFETY: the client, topic and header list are live; key/payload outlive the call and are
        // copied (F_COPY).
        let error = unsafe { rdsys::rd_kafka_produceva(client.ptr(), vus.as_ptr(), vus.len()) };
        // SAFETY: produceva returns null or an owned error object.
        let result = unsafe { take_error("produce", error) };
        if result.is_ok() {
            // librdkafka owns the header list now.
            let _ = list.into_raw();
        }
        result
    }
}

/// The opaque of message `i` of a batch whose first opaque is `first` (0: none): an integer in
/// a pointer's clothing, which librdkafka hands back and never dereferences.
fn opaque_at(first: usize, i: usize) -> *mut c_void {
    if first == 0 {
        ptr::null_mut()
    } else {
        (first + i) as *mut c_void
    }
}

fn vu(vtype: vtype, u: rdsys::rd_kafka_vu_s__bindgen_ty_1) -> rdsys::rd_kafka_vu_t {
    rdsys::rd_kafka_vu_t { vtype, u }
}

fn mem(ptr: *mut c_void, size: usize) -> rdsys::rd_kafka_vu_s__bindgen_ty_1 {
    rdsys::rd_kafka_vu_s__bindgen_ty_1 {
        mem: rdsys::rd_kafka_vu_s__bindgen_ty_1__bindgen_ty_1 { ptr, size },
    }
}

/// Pointer and length for librdkafka; `None` is a null (absent) key or payload.
fn slice_parts(bytes: Option<&[u8]>) -> (*mut c_void, usize) {
    match bytes {
        Some(b) => (b.as_ptr() as *mut c_void, b.len()),
        None => (ptr::null_mut(), 0),
    }
}

// SAFETY: rd_kafka_headers_destroy frees a header list we still own.
unsafe impl KafkaDrop for rdsys::rd_kafka_headers_t {
    unsafe fn drop_native(ptr: *mut Self) {
        // SAFETY: the caller owns `ptr`.
        unsafe { rdsys::rd_kafka_headers_destroy(ptr) }
    }
}
