//! librdkafka's C callbacks, handed to Rust closures. A client's closures live in one
//! [`ClientHooks`], registered as the conf's opaque and owned by the client handle, which frees
//! them after `rd_kafka_destroy` (so no callback can run after they are gone).

use std::ffi::CString;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use super::convert::timeout_ms;
use super::partition_list::{PartitionEntry, PartitionList};
use super::{check, from_cstr, take_error};
use crate::error::KafkaError;
use crate::oauthbearer::{OAuthBearerProvider, OAuthBearerToken};

/// Called inside librdkafka's rebalance callback, on whichever thread is serving the consumer
/// queue (the `kn-fetch` thread, or the one closing the consumer).
pub(crate) type RebalanceHook = Box<dyn Fn(&mut Rebalance<'_>) + Send + Sync>;

/// A client's callbacks.
#[derive(Default)]
pub(crate) struct ClientHooks {
    pub(crate) rebalance: Option<RebalanceHook>,
    /// Called on librdkafka's background thread.
    pub(crate) token_refresh: Option<OAuthBearerProvider>,
}

impl ClientHooks {
    /// Registers the callbacks present on `conf` with `self` as the opaque. The caller keeps
    /// `self` alive, at this address, until the client made from `conf` is destroyed.
    ///
    /// # Safety
    /// `conf` is a live conf; `self` outlives every client created from it and does not move.
    pub(crate) unsafe fn register(&self, conf: *mut rdsys::rd_kafka_conf_t) {
        // SAFETY: per the contract above; librdkafka stores the pointer and passes it back as
        // the callbacks' opaque.
        unsafe {
            rdsys::rd_kafka_conf_set_opaque(conf, self as *const ClientHooks as *mut c_void);
            if self.rebalance.is_some() {
                rdsys::rd_kafka_conf_set_rebalance_cb(conf, Some(rebalance_trampoline));
            }
            if self.token_refresh.is_some() {
                rdsys::rd_kafka_conf_set_oauthbearer_token_refresh_cb(
                    conf,
                    Some(token_refresh_trampoline),
                );
                // A queue of their own, which the client then hands to the background thread.
                rdsys::rd_kafka_conf_enable_sasl_queue(conf, 1);
            }
        }
    }
}

/// librdkafka's OAUTHBEARER token refresh callback: asks the hook for a token and hands it (or
/// the failure) to librdkafka, within the callback, while `rk` is certainly live.
unsafe extern "C" fn token_refresh_trampoline(
    rk: *mut rdsys::rd_kafka_t,
    oauthbearer_config: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: the opaque is the ClientHooks registered with this client, alive until after
    // rd_kafka_destroy; the config string is live for the callback (or null).
    let (hooks, config) = unsafe {
        let config = if oauthbearer_config.is_null() {
            String::new()
        } else {
            from_cstr(oauthbearer_config)
        };
        (&*(opaque as *const ClientHooks), config)
    };
    let Some(hook) = &hooks.token_refresh else {
        return;
    };
    let result = catch_unwind(AssertUnwindSafe(|| hook(&config)))
        .unwrap_or_else(|_| Err("the token provider panicked".to_string()));
    let outcome = result.and_then(|token| {
        // SAFETY: rk is live for the callback.
        unsafe { set_token(rk, &token) }
    });
    if let Err(reason) = outcome {
        // librdkafka ignores an empty reason, and would then never ask again.
        let reason = match reason.replace('\0', " ") {
            r if r.trim().is_empty() => "the token provider failed".to_string(),
            r => r,
        };
        let reason = CString::new(reason).expect("no NUL left");
        // SAFETY: rk is live for the callback; librdkafka copies the string.
        unsafe { rdsys::rd_kafka_oauthbearer_set_token_failure(rk, reason.as_ptr()) };
    }
}

/// Hands a token to librdkafka; its refusal (an expired lifetime, a bad extension) as text.
///
/// # Safety
/// `rk` is a live client handle.
unsafe fn set_token(rk: *mut rdsys::rd_kafka_t, token: &OAuthBearerToken) -> Result<(), String> {
    let text = |name: &str, value: &str| {
        CString::new(value).map_err(|_| format!("the token's {name} contains a NUL byte"))
    };
    let value = text("token", &token.token)?;
    let principal = text("principal", &token.principal)?;
    let extensions: Vec<CString> = token
        .extensions
        .iter()
        .flat_map(|(k, v)| [text("extension key", k), text("extension value", v)])
        .collect::<Result<_, _>>()?;
    let mut pointers: Vec<*const c_char> = extensions.iter().map(|e| e.as_ptr()).collect();
    let mut errstr = [0 as c_char; 512];
    // SAFETY: rk is live (the caller's contract); every string outlives the call, which copies
    // them; errstr is writable and its length given.
    let err = unsafe {
        rdsys::rd_kafka_oauthbearer_set_token(
            rk,
            value.as_ptr(),
            token.lifetime_ms,
            principal.as_ptr(),
            if pointers.is_empty() {
                ptr::null_mut()
            } else {
                pointers.as_mut_ptr()
            },
            pointers.len(),
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if err == resp::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        // SAFETY: librdkafka wrote a NUL-terminated message.
        Err(unsafe { from_cstr(errstr.as_ptr()) })
    }
}

/// What a rebalance asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RebalanceKind {
    Assign,
    Revoke,
    /// A group error; the assignment is dropped.
    Error(resp),
}

/// A rebalance librdkafka asks the application to carry out, borrowed for the length of its
/// callback. [`Rebalance::apply`] carries it out; if the hook does not (or panics), the
/// trampoline does, so librdkafka is never left waiting.
pub(crate) struct Rebalance<'a> {
    rk: *mut rdsys::rd_kafka_t,
    err: resp,
    partitions: *mut rdsys::rd_kafka_topic_partition_list_t,
    applied: bool,
    _callback: PhantomData<&'a ()>,
}

impl Rebalance<'_> {
    pub(crate) fn kind(&self) -> RebalanceKind {
        match self.err {
            resp::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => RebalanceKind::Assign,
            resp::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => RebalanceKind::Revoke,
            other => RebalanceKind::Error(other),
        }
    }

    /// The partitions assigned or revoked.
    pub(crate) fn partitions(&self) -> Vec<PartitionEntry> {
        // SAFETY: the list is live for the callback; entries() copies out of it.
        unsafe { PartitionList::entries_of(self.partitions) }
    }

    /// Whether the group rebalances incrementally (cooperative-sticky, or KIP-848's protocol).
    pub(crate) fn cooperative(&self) -> bool {
        // SAFETY: the handle is live for the callback; the string is static.
        unsafe { from_cstr(rdsys::rd_kafka_rebalance_protocol(self.rk)) == "COOPERATIVE" }
    }

    /// Whether the partitions were lost rather than revoked (the member was fenced or timed
    /// out): their offsets can no longer be committed.
    pub(crate) fn lost(&self) -> bool {
        // SAFETY: the handle is live for the callback.
        unsafe { rdsys::rd_kafka_assignment_lost(self.rk) != 0 }
    }

    /// The group's committed offset of each partition (negative: none), asking the coordinator.
    pub(crate) fn committed(&self, timeout: Duration) -> Result<Vec<PartitionEntry>, KafkaError> {
        // SAFETY: the list is live for the callback; copy() makes an owned copy.
        let list = unsafe { PartitionList::copy_of(self.partitions) };
        // SAFETY: the handle and the copy are live; librdkafka writes offsets into the copy.
        check(
            unsafe { rdsys::rd_kafka_committed(self.rk, list.ptr(), timeout_ms(timeout)) },
            "committed offsets",
        )?;
        Ok(list.entries())
    }

    /// The latest offset (high watermark) of each partition in `list`, written into it.
    pub(crate) fn latest(
        &self,
        list: &mut PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle is live for the callback.
        unsafe { list.fill_latest(self.rk, timeout) }
    }

    /// Sets where `topic`/`partition` starts, before [`Rebalance::apply`] assigns it.
    pub(crate) fn set_start(&mut self, topic: &str, partition: i32, offset: i64) {
        // SAFETY: the list is live for the callback and ours to modify until we assign it.
        unsafe { PartitionList::set_offset_in(self.partitions, topic, partition, offset) }
    }

    /// Carries the rebalance out: (incremental) assign or unassign, as the protocol wants.
    pub(crate) fn apply(&mut self) -> Result<(), KafkaError> {
        if self.applied {
            return Ok(());
        }
        self.applied = true;
        // A rebalance that consumer_close serves after the group sub-system has ended is stale:
        // there is nothing left to assign. (librdkafka as released would drop the request
        // unanswered and assign() would wait forever; kafka-native-sys's patch series answers
        // it with an error, which this spares the log.)
        // SAFETY: the handle is live for the callback.
        if unsafe { rdsys::rd_kafka_consumer_closed(self.rk) } != 0 {
            return Ok(());
        }
        let cooperative = self.cooperative();
        // SAFETY: the handle and list are live for the callback; librdkafka copies the list.
        unsafe {
            match (self.kind(), cooperative) {
                (RebalanceKind::Assign, true) => take_error(
                    "incremental assign",
                    rdsys::rd_kafka_incremental_assign(self.rk, self.partitions),
                ),
                (RebalanceKind::Revoke, true) => take_error(
                    "incremental unassign",
                    rdsys::rd_kafka_incremental_unassign(self.rk, self.partitions),
                ),
                (RebalanceKind::Assign, false) => {
                    check(rdsys::rd_kafka_assign(self.rk, self.partitions), "assign")
                }
                (RebalanceKind::Revoke, false) | (RebalanceKind::Error(_), _) => {
                    check(rdsys::rd_kafka_assign(self.rk, ptr::null()), "unassign")
                }
            }
        }
    }

    /// Pauses these partitions (after they were assigned).
    pub(crate) fn pause(&self) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live for the callback.
        check(
            unsafe { rdsys::rd_kafka_pause_partitions(self.rk, self.partitions) },
            "pause partitions",
        )
    }
}

/// librdkafka's rebalance callback: hands the rebalance to the client's hook, and carries it out
/// itself if the hook did not (or panicked: a panic must not cross into C).
unsafe extern "C" fn rebalance_trampoline(
    rk: *mut rdsys::rd_kafka_t,
    err: resp,
    partitions: *mut rdsys::rd_kafka_topic_partition_list_t,
    opaque: *mut c_void,
) {
    let mut rebalance = Rebalance {
        rk,
        err,
        partitions,
        applied: false,
        _callback: PhantomData,
    };
    // SAFETY: the opaque is the ClientHooks registered with this client, which the client owns
    // and frees only after rd_kafka_destroy, so it is live for any callback.
    let hooks = unsafe { &*(opaque as *const ClientHooks) };
    if let Some(hook) = &hooks.rebalance {
        let _ = catch_unwind(AssertUnwindSafe(|| hook(&mut rebalance)));
    }
    let _ = rebalance.apply();
}
