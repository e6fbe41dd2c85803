//! Delivery tickets: a [`crate::Producer::deliver`] call waiting for where its messages landed.
//! Each message carries `ticket id << INDEX_BITS | index` as its librdkafka opaque; the events
//! thread hands every delivery report with an opaque to [`Tickets::report`].

use std::collections::HashMap;

use crate::error::KafkaError;

/// Bits of an opaque that number a message within its ticket (up to 16M messages per call).
const INDEX_BITS: u32 = 24;

/// Where a delivered message landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The partition it landed in.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
}

/// Told once every message of a `deliver` call is delivered (where each landed, in order), or
/// with the first failure.
pub type DeliveryCallback = Box<dyn FnOnce(Result<Vec<Delivered>, KafkaError>) + Send>;

struct Ticket {
    /// How many messages were enqueued; unknown until the enqueue call returns (a report may
    /// come first).
    expected: Option<usize>,
    results: Vec<Option<Delivered>>,
    received: usize,
    error: Option<KafkaError>,
    callback: DeliveryCallback,
}

impl Ticket {
    fn done(&self) -> bool {
        self.expected == Some(self.received)
    }
}

#[derive(Default)]
pub(crate) struct Tickets {
    next_id: u64,
    open: HashMap<u64, Ticket>,
}

impl Tickets {
    /// Opens a ticket for `count` messages; returns its id and the opaque of its first message.
    pub(crate) fn open(
        &mut self,
        count: usize,
        callback: DeliveryCallback,
    ) -> Result<(u64, usize), KafkaError> {
        if count >= 1 << INDEX_BITS {
            return Err(KafkaError::invalid(
                "records",
                format!(
                    "at most {} per deliver call, got {count}",
                    (1u64 << INDEX_BITS) - 1
                ),
            ));
        }
        self.next_id += 1;
        let id = self.next_id;
        self.open.insert(
            id,
            Ticket {
                expected: None,
                results: vec![None; count],
                received: 0,
                error: None,
                callback,
            },
        );
        Ok((id, (id << INDEX_BITS) as usize))
    }

    /// The enqueue call for ticket `id` enqueued `count` messages (the rest were refused by the
    /// local queue); returns the callback to call now if that completes it.
    pub(crate) fn enqueued(
        &mut self,
        id: u64,
        count: usize,
    ) -> Option<(DeliveryCallback, Result<Vec<Delivered>, KafkaError>)> {
        let ticket = self.open.get_mut(&id)?;
        ticket.expected = Some(count);
        ticket.results.truncate(count);
        self.complete_if_done(id)
    }

    /// The enqueue call for ticket `id` failed: nothing was enqueued, nobody is told.
    pub(crate) fn abandon(&mut self, id: u64) {
        self.open.remove(&id);
    }

    /// A delivery report for the message with `opaque`; returns the callback to call now if it
    /// completed its ticket.
    pub(crate) fn report<C>(
        &mut self,
        opaque: usize,
        outcome: Result<Delivered, C>,
        describe: impl FnOnce(C) -> KafkaError,
    ) -> Option<(DeliveryCallback, Result<Vec<Delivered>, KafkaError>)> {
        let id = (opaque as u64) >> INDEX_BITS;
        let index = opaque & ((1 << INDEX_BITS) - 1);
        let ticket = self.open.get_mut(&id)?;
        ticket.received += 1;
        match outcome {
            Ok(delivered) => {
                if let Some(slot) = ticket.results.get_mut(index) {
                    *slot = Some(delivered);
                }
            }
            Err(code) => {
                if ticket.error.is_none() {
                    ticket.error = Some(describe(code));
                }
            }
        }
        self.complete_if_done(id)
    }

    fn complete_if_done(
        &mut self,
        id: u64,
    ) -> Option<(DeliveryCallback, Result<Vec<Delivered>, KafkaError>)> {
        if !self.open.get(&id)?.done() {
            return None;
        }
        let ticket = self.open.remove(&id)?;
        let result = match ticket.error {
            Some(e) => Err(e),
            None => Ok(ticket.results.into_iter().flatten().collect()),
        };
        Some((ticket.callback, result))
    }
}

/// Tickets still open when the producer goes away are told so: every caller hears back once
/// (a JS Promise left unsettled would keep its thread's event loop alive).
impl Drop for Tickets {
    fn drop(&mut self) {
        for (_, ticket) in self.open.drain() {
            (ticket.callback)(Err(KafkaError::Stopped));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use std::sync::mpsc;

    fn ticket(
        tickets: &mut Tickets,
        count: usize,
    ) -> (
        u64,
        usize,
        mpsc::Receiver<Result<Vec<Delivered>, KafkaError>>,
    ) {
        let (tx, rx) = mpsc::channel();
        let (id, first) = tickets
            .open(count, Box::new(move |r| tx.send(r).unwrap()))
            .unwrap();
        (id, first, rx)
    }

    fn call(done: Option<(DeliveryCallback, Result<Vec<Delivered>, KafkaError>)>) {
        if let Some((callback, result)) = done {
            callback(result);
        }
    }

    #[test]
    fn reports_complete_a_ticket_in_message_order_even_before_the_enqueue_returns() {
        let mut tickets = Tickets::default();
        let (id, first, rx) = ticket(&mut tickets, 2);
        let describe = |code: ErrorCode| KafkaError::invalid("x", format!("{code:?}"));
        call(tickets.report(
            first + 1,
            Ok(Delivered {
                partition: 1,
                offset: 7,
            }),
            describe,
        ));
        call(tickets.report(
            first,
            Ok(Delivered {
                partition: 0,
                offset: 3,
            }),
            describe,
        ));
        assert!(
            rx.try_recv().is_err(),
            "told before the enqueue call returned"
        );
        call(tickets.enqueued(id, 2));
        let delivered = rx.try_recv().unwrap().unwrap();
        assert_eq!(
            delivered,
            [
                Delivered {
                    partition: 0,
                    offset: 3
                },
                Delivered {
                    partition: 1,
                    offset: 7
                }
            ]
        );
    }

    #[test]
    fn a_failure_fails_the_ticket_and_a_partial_enqueue_waits_only_for_what_went_in() {
        let mut tickets = Tickets::default();
        let describe = |code: ErrorCode| KafkaError::invalid("x", format!("{code:?}"));
        let (id, first, rx) = ticket(&mut tickets, 3);
        call(tickets.enqueued(id, 1));
        call(tickets.report(first, Err(ErrorCode::MessageTimedOut), describe));
        assert!(rx
            .try_recv()
            .unwrap()
            .unwrap_err()
            .to_string()
            .contains("MessageTimedOut"));
        // A report for a ticket nobody waits for any more is ignored.
        assert!(tickets
            .report(
                first,
                Ok(Delivered {
                    partition: 0,
                    offset: 0
                }),
                describe
            )
            .is_none());
        assert!(tickets
            .report(
                0,
                Ok(Delivered {
                    partition: 0,
                    offset: 0
                }),
                describe
            )
            .is_none());
    }

    #[test]
    fn tickets_still_open_when_dropped_are_told_the_producer_stopped() {
        let mut tickets = Tickets::default();
        let (id, _, rx) = ticket(&mut tickets, 2);
        call(tickets.enqueued(id, 2));
        drop(tickets);
        assert!(matches!(rx.try_recv().unwrap(), Err(KafkaError::Stopped)));
    }
}
