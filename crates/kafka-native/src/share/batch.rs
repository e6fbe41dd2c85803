//! What a share consumer hands over: a [`ShareBatch`] of [`ShareRecord`]s, each acknowledged on
//! its own or with the rest of the batch when it settles.

use std::sync::Arc;

use crossbeam_channel::Sender;

use super::acknowledgement::{Acknowledgement, AcknowledgementMode};
use crate::error::KafkaError;

/// What the share thread is told.
pub(crate) enum Command {
    /// Records of batch `id`, still out, acknowledged on their own (index, how): sent soon, so
    /// that a record done early in a long batch is not redelivered when its lock runs out.
    Acknowledge {
        id: u64,
        acks: Vec<(usize, Acknowledgement)>,
    },
    /// Batch `id` settled: how each of its records not acknowledged on its own is acknowledged
    /// (`None` for those that were).
    Settle {
        id: u64,
        acks: Vec<Option<Acknowledgement>>,
    },
    Stop,
}

/// One record acquired by this member of the share group, copied out of librdkafka: it holds no
/// reference to the consumer, so it may be kept and moved freely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRecord {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Milliseconds since the Unix epoch; `None` when the record has none.
    pub timestamp: Option<i64>,
    /// Its key; `None` when it has none.
    pub key: Option<Vec<u8>>,
    /// `None` for a null value.
    pub payload: Option<Vec<u8>>,
    /// In order; a name may repeat.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How many times the record has been delivered, this delivery included (1 the first time).
    pub delivery_count: u16,
}

/// The records one poll acquired, handed over until it is settled.
///
/// Each record may be acknowledged on its own ([`ShareBatch::acknowledge`]); [`ShareBatch::settle`]
/// acknowledges the rest alike and lets the consumer fetch again. A batch dropped without
/// `settle` releases the records not acknowledged (they are delivered again), as a handler that
/// did not finish. Only one batch is out at a time: the next is fetched once this one settles.
///
/// In [`AcknowledgementMode::Implicit`] records cannot be acknowledged one by one: a settled or
/// dropped batch is accepted whole when the next is fetched (librdkafka's implicit mode).
pub struct ShareBatch {
    pub(super) id: u64,
    pub(super) records: Vec<ShareRecord>,
    pub(super) acks: Vec<Option<Acknowledgement>>,
    pub(super) mode: AcknowledgementMode,
    /// Back to the consumer's share thread; `None` once settled.
    pub(super) settle_to: Option<Sender<Command>>,
    /// Acknowledged on their own ([`ShareBatch::note`]) and not told to the share thread yet.
    pub(super) noted: Vec<(usize, Acknowledgement)>,
}

impl ShareBatch {
    /// The records, in the order they were fetched.
    pub fn records(&self) -> &[ShareRecord] {
        &self.records
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Acknowledges record `index` of this batch, and sends it to the broker at once (not with
    /// the batch's settle): a record done early in a long batch is done with, whatever becomes
    /// of the others. Final, except [`Acknowledgement::Renew`] (its lock started anew; the
    /// record stays to be acknowledged): a record already acknowledged is refused, as in
    /// implicit mode and for an index past the batch.
    pub fn acknowledge(&mut self, index: usize, how: Acknowledgement) -> Result<(), KafkaError> {
        self.note(index, how)?;
        self.send_noted();
        Ok(())
    }

    /// [`acknowledge`](Self::acknowledge), its sending left to [`send_noted`](Self::send_noted)
    /// (or the settle): a caller acknowledging many records at once sends them together.
    pub(crate) fn note(&mut self, index: usize, how: Acknowledgement) -> Result<(), KafkaError> {
        if self.mode == AcknowledgementMode::Implicit {
            return Err(KafkaError::invalid(
                "acknowledgement_mode",
                "is implicit: records are accepted with their batch (use explicit to acknowledge \
                 them one by one)",
            ));
        }
        let len = self.acks.len();
        let slot = self.acks.get_mut(index).ok_or_else(|| {
            KafkaError::invalid(
                "index",
                format!("{index} is past the batch's {len} records"),
            )
        })?;
        if let Some(already) = *slot {
            return Err(KafkaError::invalid(
                "index",
                format!(
                    "{index}: the record is acknowledged already ({})",
                    already.as_str()
                ),
            ));
        }
        if how != Acknowledgement::Renew {
            *slot = Some(how);
        }
        self.noted.push((index, how));
        Ok(())
    }

    /// Tells the share thread of the records [noted](Self::note) since the last time, in one
    /// message; it sends them to the brokers within a few milliseconds.
    pub(crate) fn send_noted(&mut self) {
        if self.noted.is_empty() {
            return;
        }
        let acks = std::mem::take(&mut self.noted);
        if let Some(to) = &self.settle_to {
            // The share thread is gone when the consumer stopped: it released the records then.
            let _ = to.send(Command::Acknowledge { id: self.id, acks });
        }
    }

    /// How record `index` is acknowledged so far; `None` while it is not.
    pub fn acknowledgement(&self, index: usize) -> Option<Acknowledgement> {
        self.acks.get(index).copied().flatten()
    }

    /// Settles the batch: each record not acknowledged yet is acknowledged as `rest`, and those
    /// acknowledgements go to the brokers with the next fetch (or the close).
    pub fn settle(mut self, rest: Acknowledgement) {
        self.send(rest);
    }

    /// How each record not acknowledged on its own is acknowledged: as `rest`.
    fn rest(&self, rest: Acknowledgement) -> Vec<Option<Acknowledgement>> {
        self.acks
            .iter()
            .map(|a| if a.is_some() { None } else { Some(rest) })
            .collect()
    }

    fn send(&mut self, rest: Acknowledgement) {
        self.send_noted();
        let Some(to) = self.settle_to.take() else {
            return;
        };
        let acks = self.rest(rest);
        // The share thread is gone when the consumer stopped: it released the records then.
        let _ = to.send(Command::Settle { id: self.id, acks });
    }
}

impl Drop for ShareBatch {
    fn drop(&mut self) {
        self.send(Acknowledgement::Release);
    }
}

impl std::fmt::Debug for ShareBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareBatch")
            .field("records", &self.records.len())
            .field("acks", &self.acks)
            .finish()
    }
}
