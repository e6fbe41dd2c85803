//! Messages: borrowed views, and owned fetched messages.

use std::marker::PhantomData;
use std::os::raw::{c_char, c_void};
use std::ptr;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;

use super::NativePtr;

/// A message borrowed from librdkafka (a fetched message or a delivery report).
#[derive(Clone, Copy)]
pub(crate) struct MessageView<'a> {
    raw: *const rdsys::rd_kafka_message_t,
    _owner: PhantomData<&'a rdsys::rd_kafka_message_t>,
}

impl<'a> MessageView<'a> {
    pub(crate) fn from_raw(raw: &'a rdsys::rd_kafka_message_t) -> Self {
        MessageView {
            raw,
            _owner: PhantomData,
        }
    }

    fn raw(&self) -> &'a rdsys::rd_kafka_message_t {
        // SAFETY: `raw` came from a reference with lifetime 'a.
        unsafe { &*self.raw }
    }

    pub(crate) fn error(&self) -> Option<rdsys::rd_kafka_resp_err_t> {
        let err = self.raw().err;
        (err != RD_KAFKA_RESP_ERR_NO_ERROR).then_some(err)
    }

    /// The opaque the message was produced with (0: none).
    pub(crate) fn opaque(&self) -> usize {
        self.raw()._private as usize
    }

    pub(crate) fn partition(&self) -> i32 {
        self.raw().partition
    }

    pub(crate) fn offset(&self) -> i64 {
        self.raw().offset
    }

    /// The message's timestamp (ms since the Unix epoch: its CreateTime, or LogAppendTime when
    /// the topic says so), or `None` when it has none.
    pub(crate) fn timestamp(&self) -> Option<i64> {
        let mut kind = rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: the message is live for 'a; librdkafka only reads it and writes `kind`.
        let ms = unsafe { rdsys::rd_kafka_message_timestamp(self.raw, &mut kind) };
        (kind != rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ms >= 0)
            .then_some(ms)
    }

    pub(crate) fn payload(&self) -> Option<&'a [u8]> {
        let m = self.raw();
        // SAFETY: payload points at `len` bytes owned by the message, which lives for 'a.
        unsafe { bytes(m.payload, m.len) }
    }

    pub(crate) fn key(&self) -> Option<&'a [u8]> {
        let m = self.raw();
        // SAFETY: key points at `key_len` bytes owned by the message, which lives for 'a.
        unsafe { bytes(m.key, m.key_len) }
    }

    /// The memory the payload lies in, shared with the messages read from the same Fetch
    /// response (or the same compressed batch): `None` for no payload, or a message that was
    /// not fetched (a delivery report).
    pub(crate) fn payload_backing(&self) -> Option<&'a [u8]> {
        let (mut start, mut size): (*const c_void, usize) = (ptr::null(), 0);
        // SAFETY: the message is live for 'a; librdkafka only reads it (and the buffer its op
        // holds, whose segments no longer change) and writes `start` and `size`.
        let found =
            unsafe { rdsys::rd_kafka_message_payload_backing(self.raw, &mut start, &mut size) };
        // SAFETY: librdkafka gave a segment of `size` written bytes, which the message's op
        // holds a reference on: it lives as long as the message ('a).
        (found == 1)
            .then(|| unsafe { bytes(start as *mut c_void, size) })
            .flatten()
    }

    /// The topic name, borrowed from librdkafka's topic object, which the message holds a
    /// reference on. Kafka topic names are ASCII; one that is not UTF-8 reads as "".
    pub(crate) fn topic(&self) -> &'a str {
        let rkt = self.raw().rkt;
        if rkt.is_null() {
            return "";
        }
        // SAFETY: the message holds a reference on its topic, so the topic and its NUL-terminated
        // name live at least as long as the message ('a).
        unsafe { std::ffi::CStr::from_ptr(rdsys::rd_kafka_topic_name(rkt)) }
            .to_str()
            .unwrap_or("")
    }

    /// Whether both messages are of the same topic, by librdkafka's topic object: no name is
    /// read (a client holds one object per topic name).
    pub(crate) fn same_topic(&self, other: &MessageView<'_>) -> bool {
        std::ptr::eq(self.raw().rkt, other.raw().rkt)
    }

    /// The topic name, owned.
    pub(crate) fn topic_name(&self) -> String {
        self.topic().to_string()
    }

    /// Headers in order; a name that is not UTF-8 is replaced lossily.
    pub(crate) fn headers(&self) -> Vec<(String, &'a [u8])> {
        let mut hdrs: *mut rdsys::rd_kafka_headers_t = ptr::null_mut();
        // SAFETY: the message is live; librdkafka parses headers lazily and keeps them with the message.
        if unsafe { rdsys::rd_kafka_message_headers(self.raw, &mut hdrs) }
            != RD_KAFKA_RESP_ERR_NO_ERROR
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        for idx in 0.. {
            let (mut name, mut value, mut size): (*const c_char, *const c_void, usize) =
                (ptr::null(), ptr::null(), 0);
            // SAFETY: hdrs belongs to the message; name/value stay valid while the message lives ('a).
            let err = unsafe {
                rdsys::rd_kafka_header_get_all(hdrs, idx, &mut name, &mut value, &mut size)
            };
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                break;
            }
            // SAFETY: as above; value may be null for a null header value.
            let (name, value) = unsafe {
                (
                    super::from_cstr(name),
                    bytes(value as *mut c_void, size).unwrap_or(&[]),
                )
            };
            out.push((name, value));
        }
        out
    }
}

/// # Safety
/// `ptr` is null or points at `len` readable bytes that live for `'a`.
unsafe fn bytes<'a>(ptr: *mut c_void, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: per the contract above.
        Some(unsafe { std::slice::from_raw_parts(ptr as *const u8, len) })
    }
}

/// A message fetched from a queue; freed on drop. Made only by [`OwnedBatch::from_raw`], which
/// parses its headers first, so that reading it through `&` never writes.
pub(crate) struct NativeMessage(NativePtr<rdsys::rd_kafka_message_t>);

// SAFETY: a fetched message is owned by this wrapper alone; the references it holds (its topic
// and partition) are counted atomically by librdkafka, so it may be read and destroyed on any
// thread.
unsafe impl Send for NativeMessage {}
// SAFETY: `&NativeMessage` only reads: the message's fields, and its header list, which
// `rd_kafka_message_headers` parses lazily (a write) but which `parse_headers` parsed before any
// `&` existed; later calls just return the parsed list.
unsafe impl Sync for NativeMessage {}

impl NativeMessage {
    pub(crate) fn view(&self) -> MessageView<'_> {
        // SAFETY: the message is live for the lifetime of &self.
        MessageView::from_raw(unsafe { &*self.0.ptr() })
    }

    /// Parses the header blob into librdkafka's header list: the one write reading a message
    /// can cause. A message without headers costs a length check.
    fn parse_headers(&mut self) {
        let mut hdrs: *mut rdsys::rd_kafka_headers_t = ptr::null_mut();
        // SAFETY: the message is live and exclusively ours (&mut self); hdrs is writable.
        unsafe { rdsys::rd_kafka_message_headers(self.0.ptr(), &mut hdrs) };
    }
}

/// A batch of fetched messages, each freed on drop.
pub(crate) struct OwnedBatch(Vec<NativeMessage>);

impl OwnedBatch {
    pub(crate) fn from_raw(raw: Vec<*mut rdsys::rd_kafka_message_t>) -> Self {
        OwnedBatch(
            raw.into_iter()
                // SAFETY: each pointer is an owned message handed out by rd_kafka_consume_batch_queue.
                .filter_map(|m| unsafe { NativePtr::from_ptr(m) }.map(NativeMessage))
                .map(|mut m| {
                    m.parse_headers();
                    m
                })
                .collect(),
        )
    }

    pub(crate) fn messages(&self) -> &[NativeMessage] {
        &self.0
    }

    pub(crate) fn into_messages(self) -> Vec<NativeMessage> {
        self.0
    }
}
