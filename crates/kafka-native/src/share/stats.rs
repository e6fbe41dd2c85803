//! What a share consumer did since it started: records acquired, and of those delivered again;
//! acknowledgements made, by type; and records whose acknowledgement the broker refused or that
//! could not be sent. Counted on the share thread as it happens; read with
//! [`ShareConsumer::stats`](super::ShareConsumer::stats), from any thread, without a lock.

use std::sync::atomic::{AtomicU64, Ordering};

use super::acknowledgement::Acknowledgement;

/// A share consumer's counts since it started (see
/// [`ShareConsumer::stats`](super::ShareConsumer::stats)). librdkafka's share consumer reports
/// no statistics of its own; these are kafka-native's, as Java's share-consumer metrics count
/// records fetched and acknowledgements sent and failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShareStats {
    /// Records handed over: acquired by this member, under a lock.
    pub acquired: u64,
    /// Of those, records delivered before (a delivery count above 1): released, or held by a
    /// member whose lock ran out or that died.
    pub redelivered: u64,
    /// Records acknowledged ACCEPT (in implicit mode, every record handed over: accepted with
    /// the next poll).
    pub accepted: u64,
    /// Records acknowledged RELEASE: to be delivered again.
    pub released: u64,
    /// Records acknowledged REJECT: never delivered again.
    pub rejected: u64,
    /// Lock renewals (RENEW), by the handler or by `renew_locks`.
    pub renewed: u64,
    /// Records whose acknowledgement failed: refused by the broker (a lock that had run out:
    /// `INVALID_RECORD_STATE`) or not sent (the connection lost); each is, or was, delivered
    /// again.
    pub failed: u64,
}

/// The counts as the share thread keeps them.
#[derive(Default)]
pub(super) struct ShareCounters {
    acquired: AtomicU64,
    redelivered: AtomicU64,
    accepted: AtomicU64,
    released: AtomicU64,
    rejected: AtomicU64,
    renewed: AtomicU64,
    failed: AtomicU64,
}

impl ShareCounters {
    /// Records handed over, by their delivery counts.
    pub(super) fn handed(&self, delivery_counts: impl Iterator<Item = u16>) {
        let (mut acquired, mut redelivered) = (0, 0);
        for count in delivery_counts {
            acquired += 1;
            redelivered += u64::from(count > 1);
        }
        self.acquired.fetch_add(acquired, Ordering::Relaxed);
        self.redelivered.fetch_add(redelivered, Ordering::Relaxed);
    }

    /// `records` acknowledged `how`.
    pub(super) fn acknowledged(&self, how: Acknowledgement, records: u64) {
        let counter = match how {
            Acknowledgement::Accept => &self.accepted,
            Acknowledgement::Release => &self.released,
            Acknowledgement::Reject => &self.rejected,
            Acknowledgement::Renew => &self.renewed,
        };
        counter.fetch_add(records, Ordering::Relaxed);
    }

    /// `records` whose acknowledgement failed.
    pub(super) fn failed(&self, records: u64) {
        self.failed.fetch_add(records, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> ShareStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ShareStats {
            acquired: read(&self.acquired),
            redelivered: read(&self.redelivered),
            accepted: read(&self.accepted),
            released: read(&self.released),
            rejected: read(&self.rejected),
            renewed: read(&self.renewed),
            failed: read(&self.failed),
        }
    }
}
