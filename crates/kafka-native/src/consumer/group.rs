//! Consumer-group mode: the rebalance hook (which partitions come and go, where a new one
//! starts, and committing what settled before letting one go) and the wait for the first
//! assignment.
//!
//! The hook runs inside librdkafka's rebalance callback, which runs on the thread serving the
//! consumer queue: the `kn-fetch` thread, between batches (so the batch in flight has settled
//! by then), or the thread closing the consumer.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::config::{log_error, log_warning};
use crate::error::KafkaError;
use crate::events::LogHandler;
use crate::native::{error_name, PartitionList, Rebalance, RebalanceHook, RebalanceKind};
use crate::topic_partition::TopicPartition;

use super::assignment::Assigned;
use super::config::{RebalanceChange, RebalanceHandler, StartOffset};
use super::fetch::{FetchControl, Positions, Progress};
use super::offsets::OffsetWriter;

/// How long a revocation waits for the commits of what settled. A group in its sync phase
/// (Apache Kafka's CompletingRebalance) refuses commits, tansu refuses them while the group is
/// joining too (as librdkafka's MockCluster did until patched, see deps/README.md), and in the
/// classic cooperative protocol this member cannot rejoin before its revocation returns:
/// waiting longer would only get it evicted when the session times out.
const REVOKE_COMMIT_WAIT: Duration = Duration::from_secs(2);

/// Under KIP-848, how long after joining `start()` waits for a first assignment before it
/// takes the member to have none. A member given partitions has them within milliseconds of
/// its epoch (one metadata request to name their topics); the margin is for loaded machines.
const EMPTY_FIRST_GRACE: Duration = Duration::from_secs(3);

pub(crate) struct GroupRebalance {
    pub(crate) group_id: String,
    pub(crate) assigned: Arc<Assigned>,
    pub(crate) positions: Positions,
    pub(crate) control: Arc<FetchControl>,
    /// The offsets writer, once it runs. Weak: the writer holds the client, which holds this.
    pub(crate) offsets: OnceLock<Weak<Mutex<OffsetWriter>>>,
    pub(crate) start_offset: StartOffset,
    /// For the committed- and latest-offset questions a new assignment asks.
    pub(crate) request_timeout: Duration,
    pub(crate) on_rebalance: Option<RebalanceHandler>,
    pub(crate) log: LogHandler,
    /// The first assignment (or a group error before it): what `start()` waits for.
    first: Mutex<Option<Result<(), String>>>,
    /// Why offsets were last given up uncommitted at a revocation, for `stop()` to report.
    given_up: Mutex<Option<String>>,
    first_done: Condvar,
}

impl GroupRebalance {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        group_id: String,
        assigned: Arc<Assigned>,
        positions: Positions,
        control: Arc<FetchControl>,
        start_offset: StartOffset,
        request_timeout: Duration,
        on_rebalance: Option<RebalanceHandler>,
        log: LogHandler,
    ) -> Arc<Self> {
        Arc::new(GroupRebalance {
            group_id,
            assigned,
            positions,
            control,
            offsets: OnceLock::new(),
            start_offset,
            request_timeout,
            on_rebalance,
            log,
            first: Mutex::new(None),
            first_done: Condvar::new(),
            given_up: Mutex::new(None),
        })
    }

    /// Why offsets were last given up uncommitted, if they were.
    pub(crate) fn given_up(&self) -> Option<String> {
        self.given_up.lock().take()
    }

    /// The hook to register with the client.
    pub(crate) fn hook(self: &Arc<Self>) -> RebalanceHook {
        let me = self.clone();
        Box::new(move |rebalance| me.handle(rebalance))
    }

    /// Waits for the first assignment, which may be empty; a `stop()` meanwhile ends the wait
    /// with [`KafkaError::Stopped`].
    ///
    /// The classic protocol announces an empty assignment; KIP-848's does not (librdkafka
    /// reconciles only a target that differs from the empty one it starts with), so a member
    /// that joins a group whose partitions are all taken would wait out `timeout`. There
    /// `joined` (the member has an epoch) ends the wait with nothing assigned once
    /// [`EMPTY_FIRST_GRACE`] has passed with no assignment.
    pub(crate) fn wait_for_first(
        &self,
        timeout: Duration,
        joined: Option<&dyn Fn() -> bool>,
    ) -> Result<(), KafkaError> {
        let deadline = Instant::now() + timeout;
        let mut joined_at: Option<Instant> = None;
        let mut first = self.first.lock();
        while first.is_none() && !self.control.stop.load(Ordering::Acquire) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if let Some(joined) = joined {
                match joined_at {
                    None if MutexGuard::unlocked(&mut first, joined) => {
                        joined_at = Some(Instant::now())
                    }
                    Some(at) if at.elapsed() >= EMPTY_FIRST_GRACE => {
                        *first = Some(Ok(()));
                        break;
                    }
                    _ => {}
                }
            }
            // stop() sets a flag rather than notifying this condition: look again often.
            self.first_done
                .wait_for(&mut first, left.min(Duration::from_millis(50)));
        }
        match first.as_ref() {
            Some(Ok(())) => Ok(()),
            Some(Err(reason)) => Err(KafkaError::invalid(
                "group_id",
                format!("{:?}: could not join the group: {reason}", self.group_id),
            )),
            None if self.control.stop.load(Ordering::Acquire) => Err(KafkaError::Stopped),
            None => Err(KafkaError::kafka(
                kafka_native_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TIMED_OUT,
                &format!("group {:?}", self.group_id),
                format!("no assignment within {timeout:?} (is the group coordinator reachable?)"),
            )),
        }
    }

    fn first_done(&self, result: Result<(), String>) {
        let mut first = self.first.lock();
        if first.is_none() {
            *first = Some(result);
            self.first_done.notify_all();
        }
    }

    fn handle(&self, rebalance: &mut Rebalance<'_>) {
        let partitions: Vec<TopicPartition> = rebalance
            .partitions()
            .into_iter()
            .map(|e| TopicPartition::new(e.topic, e.partition))
            .collect();
        match rebalance.kind() {
            RebalanceKind::Assign => {
                // A consumer being stopped takes what it is given only to give it back: asking
                // the committed offsets would hold its close for up to request_timeout.
                if !self.control.stop.load(Ordering::Acquire) {
                    self.set_starts(rebalance, &partitions);
                }
                if let Err(e) = rebalance.apply() {
                    log_error(&self.log, "REBALANCE", format!("assign failed: {e}"));
                }
                if *self.control.paused.lock() && !partitions.is_empty() {
                    if let Err(e) = rebalance.pause() {
                        log_error(&self.log, "REBALANCE", format!("pause failed: {e}"));
                    }
                }
                self.assigned.add(&partitions);
                self.first_done(Ok(()));
                self.tell(RebalanceChange {
                    assigned: partitions,
                    revoked: Vec::new(),
                });
            }
            RebalanceKind::Revoke => {
                // The batch in flight has settled (this runs between batches); commit what it
                // and the ones before it settled, then let the partitions go.
                if !rebalance.lost() {
                    self.commit_settled(&partitions);
                }
                if let Err(e) = rebalance.apply() {
                    log_error(&self.log, "REBALANCE", format!("unassign failed: {e}"));
                }
                self.forget(&partitions);
                self.tell(RebalanceChange {
                    assigned: Vec::new(),
                    revoked: partitions,
                });
            }
            RebalanceKind::Error(code) => {
                let reason = format!("group error {}", error_name(code));
                log_error(&self.log, "REBALANCE", reason.clone());
                let _ = rebalance.apply();
                let revoked = self.assigned.get();
                self.forget(&revoked);
                self.first_done(Err(reason));
                if !revoked.is_empty() {
                    self.tell(RebalanceChange {
                        assigned: Vec::new(),
                        revoked,
                    });
                }
            }
        }
    }

    /// Where each new partition starts: its committed offset (librdkafka's default); without
    /// one, `start_offset`. 'latest' and an offset are set here, before the assignment, so that
    /// they hold from the first fetch (librdkafka's own 'latest' is resolved after it).
    fn set_starts(&self, rebalance: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
        if partitions.is_empty() || self.start_offset == StartOffset::Earliest {
            return;
        }
        let committed = match rebalance.committed(self.request_timeout) {
            Ok(committed) => committed,
            Err(e) => {
                return log_warning(
                    &self.log,
                    "REBALANCE",
                    format!("committed offsets unknown ({e}); auto.offset.reset decides"),
                )
            }
        };
        let uncommitted: Vec<(&str, i32, i64)> = committed
            .iter()
            .filter(|e| e.offset < 0)
            .map(|e| (e.topic.as_str(), e.partition, 0))
            .collect();
        let starts: Vec<(String, i32, i64)> = match self.start_offset {
            StartOffset::Offset(o) => uncommitted
                .iter()
                .map(|&(t, p, _)| (t.to_string(), p, o))
                .collect(),
            StartOffset::Latest if !uncommitted.is_empty() => {
                let latest = PartitionList::of(&uncommitted).and_then(|mut list| {
                    rebalance.latest(&mut list, self.request_timeout)?;
                    Ok(list.entries())
                });
                match latest {
                    Ok(entries) => entries
                        .into_iter()
                        .map(|e| (e.topic, e.partition, e.offset))
                        .collect(),
                    Err(e) => {
                        return log_warning(
                            &self.log,
                            "REBALANCE",
                            format!("latest offsets unknown ({e}); auto.offset.reset decides"),
                        )
                    }
                }
            }
            _ => Vec::new(),
        };
        let mut positions = self.positions.lock();
        for (topic, partition, offset) in starts {
            rebalance.set_start(&topic, partition, offset);
            positions
                .entry(Arc::from(topic.as_str()))
                .or_default()
                .insert(partition, Progress::at(offset));
        }
    }

    /// Waits (a while) until the offsets of every settled batch are committed. If they could
    /// not be, the pending offsets of the partitions given up are dropped: a member must not
    /// commit for partitions another owns, and their new owner reads from the last commit.
    fn commit_settled(&self, revoked: &[TopicPartition]) {
        let Some(offsets) = self.offsets.get().and_then(Weak::upgrade) else {
            return;
        };
        let offsets = offsets.lock();
        if let Err(e) = offsets.flush_within(Some(REVOKE_COMMIT_WAIT)) {
            offsets.forget(
                revoked
                    .iter()
                    .map(|tp| (Arc::from(tp.topic.as_str()), tp.partition))
                    .collect(),
            );
            let reason = format!(
                "could not commit before giving up {} partition(s) ({e}): what this member read \
                 since its last commit will be read again by their new owners",
                revoked.len()
            );
            log_warning(&self.log, "REBALANCE", reason.clone());
            *self.given_up.lock() = Some(reason);
        }
    }

    fn forget(&self, partitions: &[TopicPartition]) {
        self.assigned.remove(partitions);
        let mut positions = self.positions.lock();
        for tp in partitions {
            if let Some(per_partition) = positions.get_mut(tp.topic.as_str()) {
                per_partition.remove(&tp.partition);
            }
        }
    }

    fn tell(&self, change: RebalanceChange) {
        if let Some(on_rebalance) = &self.on_rebalance {
            on_rebalance(&change);
        }
    }
}
