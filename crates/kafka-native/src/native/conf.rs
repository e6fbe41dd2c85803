//! Owned `rd_kafka_conf_t`, with its default `rd_kafka_topic_conf_t`.

use std::os::raw::c_char;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_conf_res_t::RD_KAFKA_CONF_OK;

use super::callbacks::ClientHooks;
use super::{from_cstr, to_cstring, NativePtr};
use crate::error::KafkaError;

const ERRSTR_SIZE: usize = 512;

/// Runs a librdkafka `*_set(conf, name, value, errstr, size)` call and maps failure to
/// `KafkaError::Config` carrying librdkafka's own text and the property name.
fn set_property(
    key: &str,
    value: &str,
    set: impl FnOnce(*const c_char, *const c_char, *mut c_char, usize) -> rdsys::rd_kafka_conf_res_t,
) -> Result<(), KafkaError> {
    let c_key = to_cstring("property name", key)?;
    let c_value = to_cstring(key, value)?;
    let mut errstr = [0 as c_char; ERRSTR_SIZE];
    if set(
        c_key.as_ptr(),
        c_value.as_ptr(),
        errstr.as_mut_ptr(),
        ERRSTR_SIZE,
    ) == RD_KAFKA_CONF_OK
    {
        return Ok(());
    }
    // SAFETY: librdkafka NUL-terminates errstr within its size.
    let message = unsafe { from_cstr(errstr.as_ptr()) };
    Err(KafkaError::Config {
        property: key.to_string(),
        message,
    })
}

/// Global (client) configuration, and the callbacks registered on it (which go to the client
/// made from it).
pub(crate) struct NativeConf {
    conf: NativePtr<rdsys::rd_kafka_conf_t>,
    hooks: Option<Box<ClientHooks>>,
}

// SAFETY: a conf is a plain value owned by this wrapper alone until rd_kafka_new takes it;
// moving it to another thread moves the only access. Not Sync: conf_set writes without locks.
unsafe impl Send for NativeConf {}

impl NativeConf {
    pub(crate) fn new() -> Self {
        NativeConf {
            // SAFETY: rd_kafka_conf_new never returns null (it aborts on OOM).
            conf: unsafe { NativePtr::from_ptr(rdsys::rd_kafka_conf_new()) }
                .expect("rd_kafka_conf_new"),
            hooks: None,
        }
    }

    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), KafkaError> {
        let conf = self.conf.ptr();
        // SAFETY: conf is live and owned by us; key/value/errstr are valid for the call.
        set_property(key, value, |k, v, e, n| unsafe {
            rdsys::rd_kafka_conf_set(conf, k, v, e, n)
        })
    }

    /// Which events librdkafka puts on the main queue (`RD_KAFKA_EVENT_*` bits).
    pub(crate) fn enable_events(&mut self, events: i32) {
        // SAFETY: conf is live and owned by us.
        unsafe { rdsys::rd_kafka_conf_set_events(self.conf.ptr(), events) }
    }

    /// Sets a property of every topic this client uses, on the default topic conf librdkafka
    /// keeps in this conf: the one that a topic property given to `set` (`acks`,
    /// `message.timeout.ms`) went into, so both kinds take effect. Made if there is none yet.
    pub(crate) fn set_topic(&mut self, key: &str, value: &str) -> Result<(), KafkaError> {
        let conf = self.conf.ptr();
        // SAFETY: conf is live and owned by us; what it returns, if not null, is owned by conf.
        let mut topic_conf = unsafe { rdsys::rd_kafka_conf_get_default_topic_conf(conf) };
        if topic_conf.is_null() {
            // SAFETY: rd_kafka_topic_conf_new never returns null (it aborts on OOM).
            topic_conf = unsafe { rdsys::rd_kafka_topic_conf_new() };
            // SAFETY: conf is live; it takes ownership of the new topic conf, which stays live
            // as long as conf does.
            unsafe { rdsys::rd_kafka_conf_set_default_topic_conf(conf, topic_conf) };
        }
        // SAFETY: topic_conf is live (owned by conf, which we own); key/value/errstr are valid
        // for the call.
        set_property(key, value, |k, v, e, n| unsafe {
            rdsys::rd_kafka_topic_conf_set(topic_conf, k, v, e, n)
        })
    }

    /// Registers `hooks`' callbacks; the client made from this conf owns them.
    pub(crate) fn set_hooks(&mut self, hooks: ClientHooks) {
        let hooks = Box::new(hooks);
        // SAFETY: the conf is live; the box gives the hooks a fixed address, and it moves with
        // this conf into the client, which frees it only after rd_kafka_destroy.
        unsafe { hooks.register(self.conf.ptr()) };
        self.hooks = Some(hooks);
    }

    /// The registered callbacks, for the client to own.
    pub(crate) fn take_hooks(&mut self) -> Option<Box<ClientHooks>> {
        self.hooks.take()
    }

    /// Calls `log` with each log line on the thread that logs it (librdkafka's `log_cb`, with
    /// `log.queue` off): a test holds one of librdkafka's own threads at a chosen line with it.
    #[cfg(test)]
    pub(crate) fn set_log_callback(&mut self, log: super::client::LogCallback) {
        // SAFETY: conf is live and owned by us; the callback is a plain function.
        unsafe { rdsys::rd_kafka_conf_set_log_cb(self.conf.ptr(), Some(log)) }
    }

    pub(crate) fn into_raw(self) -> *mut rdsys::rd_kafka_conf_t {
        self.conf.into_raw()
    }
}
