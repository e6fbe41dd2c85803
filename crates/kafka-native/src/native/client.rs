//! [`NativeClient`]: an owned `rd_kafka_t`, producer or consumer. Its topic handles, queues and
//! group metadata are their own modules (topic.rs, queue.rs, group_metadata.rs).

use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t::{self as resp, RD_KAFKA_RESP_ERR_NO_ERROR};

use super::callbacks::ClientHooks;
use super::convert::timeout_ms;
use super::partition_list::PartitionList;
use super::{
    check, from_cstr, take_error, to_cstring, GroupMetadata, NativeConf, NativePtr, NativeQueue,
};
use crate::error::KafkaError;

/// A client handle (`rd_kafka_t`), producer or consumer, and the callbacks it may call.
/// Field order is drop order: the handle is destroyed before its callbacks are freed.
pub(crate) struct NativeClient {
    handle: NativePtr<rdsys::rd_kafka_t>,
    _hooks: Option<Box<ClientHooks>>,
}

// SAFETY: librdkafka's client handle is thread-safe: every public function on an rd_kafka_t may
// be called from any thread at once (it locks internally), and it may be destroyed from any
// thread once nothing else uses it, which the owner (an Arc) ensures.
unsafe impl Send for NativeClient {}
// SAFETY: as above; `&NativeClient` only calls those thread-safe functions.
unsafe impl Sync for NativeClient {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientKind {
    Producer,
    Consumer,
}

impl NativeClient {
    pub(crate) fn new(kind: ClientKind, mut conf: NativeConf) -> Result<Self, KafkaError> {
        let rd_kind = match kind {
            ClientKind::Producer => rdsys::rd_kafka_type_t::RD_KAFKA_PRODUCER,
            ClientKind::Consumer => rdsys::rd_kafka_type_t::RD_KAFKA_CONSUMER,
        };
        let mut errstr = [0 as c_char; 512];
        let hooks = conf.take_hooks();
        let raw_conf = conf.into_raw();
        // SAFETY: rd_kafka_new takes ownership of conf on success only; errstr is writable.
        let rk =
            unsafe { rdsys::rd_kafka_new(rd_kind, raw_conf, errstr.as_mut_ptr(), errstr.len()) };
        // SAFETY: a non-null rk is a fresh handle that we now own.
        match unsafe { NativePtr::from_ptr(rk) } {
            Some(handle) => {
                if hooks.as_ref().is_some_and(|h| h.token_refresh.is_some()) {
                    // Token refreshes run on librdkafka's background thread, whatever serves
                    // (or blocks) our queues.
                    // Without OAUTHBEARER configured there are no SASL callbacks to run
                    // (NOT_CONFIGURED): the provider is simply never asked.
                    // SAFETY: the handle is live; an error object, if any, is ours to free.
                    let failed = unsafe {
                        let error = rdsys::rd_kafka_sasl_background_callbacks_enable(handle.ptr());
                        (!error.is_null()).then(|| {
                            let code = rdsys::rd_kafka_error_code(error);
                            let message = from_cstr(rdsys::rd_kafka_error_string(error));
                            rdsys::rd_kafka_error_destroy(error);
                            (code != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__NOT_CONFIGURED)
                                .then_some(message)
                        })
                        .flatten()
                    };
                    if let Some(message) = failed {
                        drop(handle); // destroyed before the hooks it may call
                        drop(hooks);
                        return Err(KafkaError::ClientCreation { message });
                    }
                }
                Ok(NativeClient {
                    handle,
                    _hooks: hooks,
                })
            }
            None => {
                // SAFETY: on failure the conf is still ours to free; errstr is NUL-terminated.
                let message = unsafe {
                    rdsys::rd_kafka_conf_destroy(raw_conf);
                    from_cstr(errstr.as_ptr())
                };
                Err(KafkaError::ClientCreation { message })
            }
        }
    }

    pub(crate) fn ptr(&self) -> *mut rdsys::rd_kafka_t {
        self.handle.ptr()
    }

    /// The main queue: delivery reports, stats, logs (once routed) and errors.
    pub(crate) fn main_queue(&self) -> NativeQueue {
        // SAFETY: the handle is live; the returned queue reference is ours to destroy.
        NativeQueue(
            unsafe { NativePtr::from_ptr(rdsys::rd_kafka_queue_get_main(self.ptr())) }
                .expect("main queue"),
        )
    }

    /// The consumer queue that assigned partitions' messages are fetched into.
    pub(crate) fn consumer_queue(&self) -> Option<NativeQueue> {
        // SAFETY: the handle is live; a non-null queue reference is ours to destroy.
        unsafe { NativePtr::from_ptr(rdsys::rd_kafka_queue_get_consumer(self.ptr())) }
            .map(NativeQueue)
    }

    /// Sends librdkafka's log lines to the main queue as events (needs `log.queue=true`).
    pub(crate) fn route_logs_to_main_queue(&self) -> Result<(), KafkaError> {
        // SAFETY: the handle is live; a null queue means "the main queue".
        let err = unsafe { rdsys::rd_kafka_set_log_queue(self.ptr(), ptr::null_mut()) };
        check(err, "route logs to the main queue")
    }

    /// Messages and events not yet fully handled (librdkafka's `rd_kafka_outq_len`).
    pub(crate) fn out_queue_len(&self) -> usize {
        // SAFETY: the handle is live.
        unsafe { rdsys::rd_kafka_outq_len(self.ptr()) }.max(0) as usize
    }

    /// Waits for outstanding messages; in event mode it only waits (our events thread serves the queue).
    pub(crate) fn flush(&self, timeout: Duration) -> resp {
        // SAFETY: the handle is live.
        unsafe { rdsys::rd_kafka_flush(self.ptr(), timeout_ms(timeout)) }
    }

    /// Fails every message still queued or in flight with `_PURGE_QUEUE` / `_PURGE_INFLIGHT`.
    pub(crate) fn purge(&self) {
        let flags = (rdsys::RD_KAFKA_PURGE_F_QUEUE | rdsys::RD_KAFKA_PURGE_F_INFLIGHT) as c_int;
        // SAFETY: the handle is live (a consumer handle just answers NOT_IMPLEMENTED).
        unsafe { rdsys::rd_kafka_purge(self.ptr(), flags) };
    }

    /// Low and high watermark of a partition as of the last fetch response (librdkafka keeps
    /// them from every fetch); no request. `None` before the first fetch answered.
    pub(crate) fn cached_watermarks(&self, topic: &str, partition: i32) -> Option<(i64, i64)> {
        let c_topic = to_cstring("topic", topic).ok()?;
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: the handle is live; low/high are writable.
        let err = unsafe {
            rdsys::rd_kafka_get_watermark_offsets(
                self.ptr(),
                c_topic.as_ptr(),
                partition,
                &mut low,
                &mut high,
            )
        };
        (err == RD_KAFKA_RESP_ERR_NO_ERROR && low >= 0 && high >= 0).then_some((low, high))
    }

    /// The latest offset (the high watermark) of each partition in `partitions`, written into
    /// the list's offsets; one ListOffsets request per leader.
    pub(crate) fn latest_offsets(
        &self,
        partitions: &mut PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle is live.
        unsafe { partitions.fill_latest(self.ptr(), timeout) }
    }

    /// The earliest offset (the log start) of each partition in `partitions`, written into the
    /// list's offsets; one ListOffsets request per leader.
    pub(crate) fn earliest_offsets(
        &self,
        partitions: &mut PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle is live.
        unsafe { partitions.fill_earliest(self.ptr(), timeout) }
    }

    /// The group's committed offset of each partition in the list (negative: none), written
    /// into it; asks the group coordinator.
    pub(crate) fn committed_offsets(
        &self,
        partitions: &mut PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle and the list are live; librdkafka writes each element's offset.
        let err =
            unsafe { rdsys::rd_kafka_committed(self.ptr(), partitions.ptr(), timeout_ms(timeout)) };
        super::check(err, "committed offsets")
    }

    /// Each partition's first offset with a timestamp at or after `at` (ms), or -1 where there
    /// is none, written into the list's offsets.
    pub(crate) fn offsets_at_time(
        &self,
        partitions: &mut PartitionList,
        at: i64,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle is live.
        unsafe { partitions.fill_offsets_at(self.ptr(), at, timeout, "timestamp") }
    }

    /// The consumer's group generation (under KIP-848 its member epoch), above 0 once the
    /// group coordinator has taken the member in; `None` for a client in no group.
    pub(crate) fn group_generation(&self) -> Option<i32> {
        // SAFETY: the handle is live; the group metadata returned (or null) is owned here.
        let metadata =
            unsafe { NativePtr::from_ptr(rdsys::rd_kafka_consumer_group_metadata(self.ptr())) }?;
        // SAFETY: metadata is live until it is dropped at the end of this function.
        Some(unsafe { rdsys::rd_kafka_consumer_group_metadata_generation_id(metadata.ptr()) })
    }

    /// The consumer's group metadata (group id, generation, member id), which a transactional
    /// producer sends with the offsets it commits for this consumer's group.
    pub(crate) fn group_metadata(&self) -> Result<GroupMetadata, KafkaError> {
        // SAFETY: the handle is live; the group metadata returned (or null) is owned here.
        unsafe { NativePtr::from_ptr(rdsys::rd_kafka_consumer_group_metadata(self.ptr())) }
            .map(GroupMetadata)
            .ok_or_else(|| {
                KafkaError::invalid("consumer", "is in no consumer group (it needs a group_id)")
            })
    }

    /// Registers this transactional producer with its transaction coordinator, fencing any
    /// older producer with the same transactional.id; waits up to `timeout`.
    pub(crate) fn init_transactions(&self, timeout: Duration) -> Result<(), KafkaError> {
        // SAFETY: the handle is live; the returned error (or null) is owned by take_error.
        unsafe {
            take_error(
                "init transactions",
                rdsys::rd_kafka_init_transactions(self.ptr(), timeout_ms(timeout)),
            )
        }
    }

    /// Starts a transaction (local: no request).
    pub(crate) fn begin_transaction(&self) -> Result<(), KafkaError> {
        // SAFETY: as above.
        unsafe {
            take_error(
                "begin transaction",
                rdsys::rd_kafka_begin_transaction(self.ptr()),
            )
        }
    }

    /// Adds `offsets` (each the next offset to read) for `group`'s consumer to the transaction.
    pub(crate) fn send_offsets_to_transaction(
        &self,
        offsets: &PartitionList,
        group: &GroupMetadata,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle, list and metadata are live; librdkafka copies the list and the
        // metadata before returning.
        unsafe {
            take_error(
                "send offsets to transaction",
                rdsys::rd_kafka_send_offsets_to_transaction(
                    self.ptr(),
                    offsets.ptr(),
                    group.0.ptr(),
                    timeout_ms(timeout),
                ),
            )
        }
    }

    /// Flushes the transaction's messages and commits it; waits up to `timeout`.
    pub(crate) fn commit_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        // SAFETY: the handle is live; the returned error (or null) is owned by take_error.
        unsafe {
            take_error(
                "commit transaction",
                rdsys::rd_kafka_commit_transaction(self.ptr(), timeout_ms(timeout)),
            )
        }
    }

    /// Aborts the transaction: its messages fail (purged) and read_committed readers skip what
    /// reached the log; waits up to `timeout`.
    pub(crate) fn abort_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        // SAFETY: as above.
        unsafe {
            take_error(
                "abort transaction",
                rdsys::rd_kafka_abort_transaction(self.ptr(), timeout_ms(timeout)),
            )
        }
    }

    /// The transaction protocol this producer writes with: 2 (KIP-890) or 1, once
    /// init_transactions() has completed; 0 before, and for a producer that is not transactional.
    pub(crate) fn transaction_version(&self) -> i32 {
        // SAFETY: the handle is live; the call reads an atomic.
        unsafe { rdsys::rd_kafka_transaction_version(self.ptr()) }
    }

    /// The fatal error this client has raised, if any (after which it can do nothing more).
    pub(crate) fn fatal_error(&self) -> Option<KafkaError> {
        let mut text = [0 as c_char; 512];
        // SAFETY: the handle is live; librdkafka writes a NUL-terminated string into `text`.
        let code =
            unsafe { rdsys::rd_kafka_fatal_error(self.ptr(), text.as_mut_ptr(), text.len()) };
        if code == RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        // SAFETY: librdkafka NUL-terminated what it wrote.
        let message = unsafe { from_cstr(text.as_ptr()) };
        let mut err = KafkaError::kafka(code, "fatal error", message);
        if let KafkaError::Kafka { fatal, .. } = &mut err {
            *fatal = true;
        }
        Some(err)
    }

    /// Joins the consumer group and subscribes to `topics`; partitions come by rebalance.
    pub(crate) fn subscribe(&self, topics: &[String]) -> Result<(), KafkaError> {
        let list = PartitionList::subscription(topics)?;
        // SAFETY: the handle and list are live; librdkafka copies the list.
        check(
            unsafe { rdsys::rd_kafka_subscribe(self.ptr(), list.ptr()) },
            "subscribe",
        )
    }

    /// Commits the offsets in `offsets` (each the next offset to read) to the group, waiting for
    /// the coordinator's answer. A partition the coordinator refused is an error naming it.
    pub(crate) fn commit(&self, offsets: &PartitionList) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live; 0 = synchronous, librdkafka writes each element's err.
        check(
            unsafe { rdsys::rd_kafka_commit(self.ptr(), offsets.ptr(), 0) },
            "commit offsets",
        )?;
        match offsets.entries().into_iter().find(|e| e.error.is_some()) {
            Some(e) => Err(KafkaError::kafka(
                e.error.expect("checked"),
                &format!("commit offset {} of {}/{}", e.offset, e.topic, e.partition),
                String::new(),
            )),
            None => Ok(()),
        }
    }

    /// The cluster id the brokers report (the MockCluster's starts with `mockCluster`).
    pub(crate) fn cluster_id(&self, timeout: Duration) -> Option<String> {
        // SAFETY: the handle is live; a non-null result is a string we must free with
        // rd_kafka_mem_free.
        unsafe {
            let id = rdsys::rd_kafka_clusterid(self.ptr(), timeout_ms(timeout));
            if id.is_null() {
                return None;
            }
            let text = from_cstr(id);
            rdsys::rd_kafka_mem_free(self.ptr(), id as *mut c_void);
            Some(text)
        }
    }

    /// Sets the consumer's partitions and where each starts.
    pub(crate) fn assign(&self, partitions: &PartitionList) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live; librdkafka copies the list.
        check(
            unsafe { rdsys::rd_kafka_assign(self.ptr(), partitions.ptr()) },
            "assign partitions",
        )
    }

    pub(crate) fn pause(&self, partitions: &PartitionList) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live.
        check(
            unsafe { rdsys::rd_kafka_pause_partitions(self.ptr(), partitions.ptr()) },
            "pause partitions",
        )
    }

    pub(crate) fn resume(&self, partitions: &PartitionList) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live.
        check(
            unsafe { rdsys::rd_kafka_resume_partitions(self.ptr(), partitions.ptr()) },
            "resume partitions",
        )
    }

    /// Moves the fetch position of assigned partitions to the offsets in the list (or
    /// `RD_KAFKA_OFFSET_BEGINNING`/`_END`). Local: librdkafka applies it on its own thread
    /// (this waits up to `timeout` for that, no request) and drops messages fetched from the
    /// old position that are still queued.
    pub(crate) fn seek(
        &self,
        partitions: &PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: the handle and list are live; the returned error (or null) is owned by
        // take_error; librdkafka writes each element's err, which entries() reads.
        unsafe {
            take_error(
                "seek",
                rdsys::rd_kafka_seek_partitions(self.ptr(), partitions.ptr(), timeout_ms(timeout)),
            )?;
        }
        match partitions
            .entries()
            .into_iter()
            .find_map(|e| e.error.map(|code| (e, code)))
        {
            Some((e, code)) => Err(KafkaError::kafka(
                code,
                &format!("seek {}/{} to {}", e.topic, e.partition, e.offset),
                String::new(),
            )),
            None => Ok(()),
        }
    }

    /// Leaves the group (if any) and stops fetching; the handle stays valid until dropped.
    pub(crate) fn consumer_close(&self) {
        // SAFETY: the handle is live (we hold it); called once, by stop, after the fetch thread
        // has stopped serving the consumer queue (it may still be inside the handler with a
        // batch, whose messages hold the client alive: librdkafka allows messages to outlive
        // the close, only not the destroy). librdkafka's API is thread-safe.
        unsafe { rdsys::rd_kafka_consumer_close(self.ptr()) };
    }
}

/// librdkafka's `log_cb`.
#[cfg(test)]
pub(crate) type LogCallback =
    unsafe extern "C" fn(*const rdsys::rd_kafka_t, c_int, *const c_char, *const c_char);

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::os::raw::{c_char, c_int};
    use std::ptr;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use kafka_native_sys as rdsys;
    use parking_lot::{Condvar, Mutex};

    use super::{ClientKind, NativeClient, NativeQueue};
    use crate::native::{NativeConf, NativeMockCluster, PartitionList};

    /// Where librdkafka's main thread stands in the test below.
    #[derive(Default)]
    struct Gate {
        /// It is handling the LeaveGroup answer, before it ends the group.
        reached: bool,
        /// It may go on.
        open: bool,
    }

    static GATE: (Mutex<Gate>, Condvar) = (
        Mutex::new(Gate {
            reached: false,
            open: false,
        }),
        Condvar::new(),
    );

    /// Holds the thread logging the LeaveGroup answer (librdkafka's main thread, which ends the
    /// group right after) until the test opens the gate.
    unsafe extern "C" fn hold_at_the_leave_group_answer(
        _rk: *const rdsys::rd_kafka_t,
        _level: c_int,
        fac: *const c_char,
        buf: *const c_char,
    ) {
        // SAFETY: librdkafka passes NUL-terminated strings, live for the call.
        let (fac, buf) = unsafe { (CStr::from_ptr(fac), CStr::from_ptr(buf)) };
        if fac.to_bytes() != b"LEAVEGROUP" || !buf.to_string_lossy().contains("LeaveGroup response")
        {
            return;
        }
        let (gate, changed) = &GATE;
        let mut gate = gate.lock();
        gate.reached = true;
        changed.notify_all();
        while !gate.open {
            changed.wait(&mut gate);
        }
    }

    /// The answer the commit below heard.
    static ANSWER: Mutex<Option<rdsys::rd_kafka_resp_err_t>> = Mutex::new(None);

    unsafe extern "C" fn commit_answered(
        _rk: *mut rdsys::rd_kafka_t,
        err: rdsys::rd_kafka_resp_err_t,
        _offsets: *mut rdsys::rd_kafka_topic_partition_list_t,
        _opaque: *mut std::os::raw::c_void,
    ) {
        *ANSWER.lock() = Some(err);
    }

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An offset commit that reaches the group as it ends (queued behind the answer that ends
    /// it) is answered with `_DESTROY`. librdkafka as released dropped it unanswered, and a
    /// synchronous commit (`rd_kafka_commit(.., 0)`, the core's offset writer's, racing the
    /// consumer's close) waited forever: kafka-native-sys patch 0001. The test holds
    /// librdkafka's main thread at the LeaveGroup answer that the close waits for, queues the
    /// commit there, and lets it go.
    #[test]
    fn an_offset_commit_queued_as_the_group_ends_is_answered() {
        let cluster = NativeMockCluster::new(1).unwrap();
        cluster.topic_create("t", 1, 1).unwrap();
        cluster.group_initial_rebalance_delay(0);
        let mut conf = NativeConf::new();
        for (key, value) in [
            ("bootstrap.servers", cluster.bootstraps().as_str()),
            ("group.id", "ends"),
            ("enable.auto.commit", "false"),
            ("debug", "cgrp"),
            ("log.queue", "false"),
        ] {
            conf.set(key, value).unwrap();
        }
        conf.set_log_callback(hold_at_the_leave_group_answer);
        let client = Arc::new(NativeClient::new(ClientKind::Consumer, conf).unwrap());
        client.subscribe(&["t".to_string()]).unwrap();
        wait_until("the assignment", || {
            // SAFETY: the handle is live; a polled message is ours to destroy; the assignment
            // list, when given, is ours to destroy.
            unsafe {
                let message = rdsys::rd_kafka_consumer_poll(client.ptr(), 50);
                if !message.is_null() {
                    rdsys::rd_kafka_message_destroy(message);
                }
                let mut assigned = ptr::null_mut();
                rdsys::rd_kafka_assignment(client.ptr(), &mut assigned);
                let count = if assigned.is_null() {
                    0
                } else {
                    (*assigned).cnt
                };
                if !assigned.is_null() {
                    rdsys::rd_kafka_topic_partition_list_destroy(assigned);
                }
                count > 0
            }
        });

        let closing = client.clone();
        let closer = std::thread::spawn(move || closing.consumer_close());
        {
            let (gate, changed) = &GATE;
            let mut gate = gate.lock();
            let deadline = Instant::now() + Duration::from_secs(30);
            while !gate.reached {
                assert!(
                    !changed.wait_until(&mut gate, deadline).timed_out(),
                    "the close sent no LeaveGroup"
                );
            }
        }
        // SAFETY: the handle is live; the queue is ours (NativeQueue destroys it).
        let answers = NativeQueue::from_owned(unsafe { rdsys::rd_kafka_queue_new(client.ptr()) });
        let offsets = PartitionList::new("t", &[(0, 1)]).unwrap();
        // SAFETY: handle, list and queue are live; librdkafka copies the list, and with a queue
        // given it returns once the commit is queued, its answer to come on that queue.
        let queued = unsafe {
            rdsys::rd_kafka_commit_queue(
                client.ptr(),
                offsets.ptr(),
                answers.ptr(),
                Some(commit_answered),
                ptr::null_mut(),
            )
        };
        assert_eq!(
            queued,
            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        );
        {
            let (gate, changed) = &GATE;
            gate.lock().open = true;
            changed.notify_all();
        }
        closer.join().unwrap();

        // Served the way a synchronous commit waits for its answer (an event poll would drop an
        // answer of _DESTROY as a queue shutting down): the callback hears the answer.
        wait_until("the commit's answer", || {
            // SAFETY: the queue is live; nothing but the commit's answer arrives on it, and the
            // callback takes that (a message, were there one, would be ours to destroy).
            let message = unsafe { rdsys::rd_kafka_consume_queue(answers.ptr(), 100) };
            assert!(message.is_null());
            ANSWER.lock().is_some()
        });
        assert_eq!(
            *ANSWER.lock(),
            Some(rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__DESTROY)
        );
    }
}
