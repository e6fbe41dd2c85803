//! [`Delivery`]: a [`Producer::deliver_async`](super::Producer::deliver_async) call as a
//! future, on any executor (the events thread that reads the delivery reports wakes it).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use super::report::SendResult;
use crate::error::KafkaError;
use crate::producer::tickets::Delivered;

#[derive(Default)]
pub(crate) struct Slot {
    result: Option<Result<Vec<Delivered>, KafkaError>>,
    waker: Option<Waker>,
}

/// The sending side: filled once, from the delivery callback.
pub(crate) struct DeliverySender(Arc<Mutex<Slot>>);

impl DeliverySender {
    pub(crate) fn complete(self, result: Result<Vec<Delivered>, KafkaError>) {
        let mut slot = self.0.lock();
        slot.result = Some(result);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }
}

/// Resolves once every enqueued record of the call is delivered, with where each landed (in
/// order), or with the first failure. Dropping it does not recall the records: they are still
/// sent (and a failure counted, as for [`Producer::send`](super::Producer::send)).
pub struct Delivery {
    slot: Arc<Mutex<Slot>>,
    sent: SendResult,
}

impl Delivery {
    pub(crate) fn channel() -> (DeliverySender, Arc<Mutex<Slot>>) {
        let slot = Arc::new(Mutex::new(Slot::default()));
        (DeliverySender(slot.clone()), slot)
    }

    pub(crate) fn new(slot: Arc<Mutex<Slot>>, sent: SendResult) -> Self {
        Delivery { slot, sent }
    }

    /// How many records the local queue took (the others are not waited for).
    pub fn enqueued(&self) -> &SendResult {
        &self.sent
    }
}

impl Future for Delivery {
    type Output = Result<Vec<Delivered>, KafkaError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock();
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
