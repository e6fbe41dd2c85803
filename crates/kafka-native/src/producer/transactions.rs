//! Transactions: a producer with a `transactional_id` writes a set of messages, and a consumer
//! group's offsets, all or nothing (read_committed consumers see them only once committed).
//!
//! The calls that wait on the network (`init_transactions`, `send_offsets_to_transaction`,
//! `commit_transaction`, `abort_transaction`) do so without the producer's lock, so `send` and
//! `stop` go on meanwhile; a `stop` ends the wait of those librdkafka can resume (all but
//! `send_offsets_to_transaction`) within 200 ms with [`KafkaError::Stopped`]. An error says what to do next: [`KafkaError::is_retriable`] (call
//! again), [`KafkaError::is_abortable`] (abort, then begin another transaction) or
//! [`KafkaError::is_fatal`] (the producer can do nothing more, e.g. it was fenced by a newer
//! producer with the same transactional id: stop it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::KafkaError;
use crate::native::{GroupMetadata, NativeClient, PartitionList};
use crate::topic_partition::TopicPartition;

use super::Producer;

/// How long one librdkafka transaction call waits before the producer looks whether it was
/// stopped meanwhile; the next call resumes where that one timed out (librdkafka keeps the
/// operation's state).
const STOP_CHECK: Duration = Duration::from_millis(200);
/// The pause before a transaction call that failed retriably is made again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

impl Producer {
    fn transactional_client(&self) -> Result<Arc<NativeClient>, KafkaError> {
        self.inner
            .read()
            .as_ref()
            .map(|inner| inner.client.clone())
            .ok_or(KafkaError::Stopped)
    }

    /// Runs a resumable transaction call for up to `timeout`, in slices of [`STOP_CHECK`]: a
    /// `stop()` meanwhile ends it with [`KafkaError::Stopped`] within a slice, rather than
    /// leaving it to run (and hold the client) until its own timeout. What librdkafka retries
    /// itself within one call's time (a coordinator busy with the transaction a fenced producer
    /// left: CONCURRENT_TRANSACTIONS) ends a slice as a retriable error: it is called again,
    /// after a pause, while the time lasts, as one call of the whole `timeout` would have.
    fn resumable(
        &self,
        timeout: Duration,
        call: impl Fn(&NativeClient, Duration) -> Result<(), KafkaError>,
    ) -> Result<(), KafkaError> {
        let deadline = Instant::now() + timeout;
        loop {
            let client = self.transactional_client()?;
            let left = deadline.saturating_duration_since(Instant::now());
            match call(&client, left.min(STOP_CHECK)) {
                Err(e) if e.code_name() == "_TIMED_OUT" && left > STOP_CHECK => continue,
                // Another call is under way (a commit that timed out): it ends only by being
                // called again, so waiting here would wait out the timeout for nothing.
                Err(e) if e.code_name() == "_CONFLICT" => return Err(explain_conflict(e)),
                Err(e) if e.is_retriable() && left > RETRY_PAUSE + STOP_CHECK => {
                    drop(client);
                    std::thread::sleep(RETRY_PAUSE);
                }
                other => return other,
            }
        }
    }

    /// Registers with the transaction coordinator (once, before the first transaction): fences
    /// any older producer with the same transactional id and aborts what it left open. Waits
    /// up to `timeout`; a `stop()` meanwhile ends the wait with [`KafkaError::Stopped`].
    pub fn init_transactions(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.resumable(timeout, |client, slice| client.init_transactions(slice))
    }

    /// Starts a transaction: what is sent from now until the commit or abort belongs to it.
    /// Local: never waits on the network.
    pub fn begin_transaction(&self) -> Result<(), KafkaError> {
        let inner = self.inner.read();
        let inner = inner.as_ref().ok_or(KafkaError::Stopped)?;
        inner.client.begin_transaction()?;
        *inner.transaction_began.lock() = Some(Instant::now());
        Ok(())
    }

    /// Adds a consumer group's offsets to the transaction: `offsets` are, per partition, the
    /// next offset to read (the last one processed + 1), and `group` comes from the group's
    /// consumer ([`Consumer::group_metadata`](crate::Consumer::group_metadata)). They are
    /// committed with the transaction, or not at all. Waits up to `timeout`, in one librdkafka
    /// call that a `stop()` does not cut short.
    ///
    /// Why one call: librdkafka cannot resume this one. A call cut short (as the others are, to
    /// look for a `stop()`) gives up on its request to the group coordinator while that may
    /// still arrive, and makes the coordinator's retriable answers (`NOT_COORDINATOR` while it
    /// moves to another broker) an abortable error. Such a late request adds its offsets to the
    /// producer's next transaction, where they can move the group back behind output already
    /// committed. (With 200 ms slices, a rolling restart of Apache Kafka under
    /// `examples/exactly-once.js` aborted batches on `NOT_COORDINATOR` and once wrote 120 inputs
    /// twice; that the slices caused those duplicates was not shown.)
    pub fn send_offsets_to_transaction(
        &self,
        offsets: &[(TopicPartition, i64)],
        group: &GroupMetadata,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        let list = PartitionList::of_next_offsets(offsets)?;
        self.transactional_client()?
            .send_offsets_to_transaction(&list, group, timeout)
    }

    /// Delivers what the transaction sent and commits it, with its offsets. Waits up to
    /// `timeout`; a retriable error may be retried with another call.
    pub fn commit_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.resumable(timeout, |client, slice| client.commit_transaction(slice))
            .map(|()| self.transaction_ended())
            .map_err(|e| self.explain_fenced(e))
    }

    /// Aborts the transaction: its messages not yet sent fail (purged), what reached the log is
    /// skipped by read_committed consumers, and its offsets are not committed. Waits up to
    /// `timeout`.
    pub fn abort_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.resumable(timeout, |client, slice| client.abort_transaction(slice))
            .map(|()| self.transaction_ended())
            .map_err(|e| self.explain_fenced(e))
    }

    /// The transaction protocol the producer writes its transactions with, chosen when
    /// [`init_transactions`](Self::init_transactions) completes and kept for the producer's
    /// life: `Some(2)`, transactions v2 (KIP-890), when the cluster has finalized the feature
    /// `transaction.version` at 2 or more (Apache Kafka 4.0 and later, by default), else
    /// `Some(1)`. `None` before `init_transactions` has completed, after `stop()`, and for a
    /// producer without a `transactional_id`. Local: never waits on the network.
    ///
    /// With v2 the brokers add a transaction's partitions and group themselves (no
    /// AddPartitionsToTxn or AddOffsetsToTxn round trip), and every commit or abort bumps the
    /// producer epoch, so a late write of an ended transaction cannot join the next one.
    pub fn transaction_version(&self) -> Option<u8> {
        match self.inner.read().as_ref()?.client.transaction_version() {
            version @ (1 | 2) => Some(version as u8),
            _ => None,
        }
    }

    /// The fatal error the producer raised, if any: an idempotent producer whose sequence broke,
    /// a transactional producer fenced by a newer one. After it the producer can do nothing more
    /// than stop.
    pub fn fatal_error(&self) -> Option<KafkaError> {
        let fatal = self.inner.read().as_ref()?.client.fatal_error()?;
        Some(self.explain_fenced(fatal))
    }

    fn transaction_ended(&self) {
        if let Some(inner) = self.inner.read().as_ref() {
            *inner.transaction_began.lock() = None;
        }
    }

    /// Says why the broker ended the transaction when the error does not: librdkafka says
    /// "fenced by a newer instance" (v1) also when the broker aborted a transaction that
    /// outlived `transaction.timeout.ms` (Apache Kafka then bumps the producer's epoch), and with
    /// transactions v2 the coordinator answers a commit of a transaction it aborted so with
    /// `INVALID_TXN_STATE`. The broker's clock for the transaction starts at its first write,
    /// after `begin_transaction`: a transaction begun less than the timeout ago (or none open)
    /// was not aborted for time, and one begun longer ago most likely was.
    fn explain_fenced(&self, mut err: KafkaError) -> KafkaError {
        let KafkaError::Kafka { name, message, .. } = &mut err else {
            return err;
        };
        if name != "_FENCED" && name != "INVALID_TXN_STATE" {
            return err;
        }
        let open = self.inner.read().as_ref().map(|inner| {
            let began = *inner.transaction_began.lock();
            (began.map(|at| at.elapsed()), inner.transaction_timeout)
        });
        let why = match open {
            Some((Some(open), timeout)) if open >= timeout => format!(
                "this transaction began {:.1} s ago, past transaction_timeout_ms ({}): the \
                 broker aborted it for its time and bumped the producer's epoch (a newer \
                 producer with the same transactional_id would do the same)",
                open.as_secs_f64(),
                timeout.as_millis()
            ),
            Some((Some(open), timeout)) => format!(
                "a newer producer with the same transactional_id started: this transaction \
                 began {:.1} s ago, within transaction_timeout_ms ({}), so the broker did not \
                 abort it for its time",
                open.as_secs_f64(),
                timeout.as_millis()
            ),
            Some((None, _)) => "a newer producer with the same transactional_id started: no \
                                transaction of this one was open for the broker to time out"
                .to_string(),
            None => "a newer producer with the same transactional_id started, or a transaction \
                     outlived transaction_timeout_ms and the broker aborted it"
                .to_string(),
        };
        message.push_str(&format!(" ({why})"));
        err
    }
}

/// Says what to do when a transaction call meets another one under way: librdkafka (as Kafka's
/// Java client) keeps a commit or abort that timed out going, and only the same call, made
/// again, resumes it; an abort cannot take over a commit under way.
fn explain_conflict(mut err: KafkaError) -> KafkaError {
    if let KafkaError::Kafka { message, .. } = &mut err {
        message.push_str(
            ": a commit or abort that timed out is still under way and only ends by being called \
             again (commitTransaction() / commit_transaction() again until it ends; a commit under \
             way cannot be aborted)",
        );
    }
    err
}
