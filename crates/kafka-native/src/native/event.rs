//! Owned `rd_kafka_event_t` from a client's main queue.

use std::os::raw::{c_char, c_int};
use std::ptr;

use kafka_native_sys as rdsys;

use super::{from_cstr, MessageView, NativePtr};

/// An event polled from a queue; destroyed (and its messages released) on drop.
pub(crate) struct NativeEvent(pub(super) NativePtr<rdsys::rd_kafka_event_t>);

/// What an event carries, borrowed from it.
pub(crate) enum Event<'a> {
    /// Delivery reports for produced messages.
    DeliveryReport(Vec<MessageView<'a>>),
    /// librdkafka's statistics JSON.
    Stats(&'a str),
    Log {
        level: i32,
        facility: String,
        message: String,
    },
    Error {
        code: rdsys::rd_kafka_resp_err_t,
        message: String,
        fatal: bool,
    },
    Other,
}

impl NativeEvent {
    pub(crate) fn kind(&self) -> Event<'_> {
        let ev = self.0.ptr();
        // SAFETY: the event is live for the lifetime of &self; every accessor below matches the
        // event's type as reported by rd_kafka_event_type, and borrowed data lives as long as the event.
        unsafe {
            match rdsys::rd_kafka_event_type(ev) as i32 {
                rdsys::RD_KAFKA_EVENT_DR => {
                    let count = rdsys::rd_kafka_event_message_count(ev);
                    let mut raw: Vec<*const rdsys::rd_kafka_message_t> = vec![ptr::null(); count];
                    let n = rdsys::rd_kafka_event_message_array(ev, raw.as_mut_ptr(), count);
                    raw.truncate(n);
                    Event::DeliveryReport(
                        raw.into_iter()
                            .map(|m| MessageView::from_raw(&*m))
                            .collect(),
                    )
                }
                rdsys::RD_KAFKA_EVENT_STATS => {
                    let json = rdsys::rd_kafka_event_stats(ev);
                    if json.is_null() {
                        return Event::Other;
                    }
                    Event::Stats(std::ffi::CStr::from_ptr(json).to_str().unwrap_or("{}"))
                }
                rdsys::RD_KAFKA_EVENT_LOG => {
                    let (mut fac, mut msg, mut level): (*const c_char, *const c_char, c_int) =
                        (ptr::null(), ptr::null(), 0);
                    rdsys::rd_kafka_event_log(ev, &mut fac, &mut msg, &mut level);
                    Event::Log {
                        level,
                        facility: from_cstr(fac),
                        message: from_cstr(msg),
                    }
                }
                rdsys::RD_KAFKA_EVENT_ERROR => Event::Error {
                    code: rdsys::rd_kafka_event_error(ev),
                    message: from_cstr(rdsys::rd_kafka_event_error_string(ev)),
                    fatal: rdsys::rd_kafka_event_error_is_fatal(ev) != 0,
                },
                _ => Event::Other,
            }
        }
    }
}
