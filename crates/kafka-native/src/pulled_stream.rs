//! The async side of the hand-over every consumer has ([`crate::Consumer::pulled`],
//! [`crate::ShareConsumer::pulled`]): a stream pulls a batch when it is polled, and the
//! consumer's wake call wakes the task that polled in vain. [`crate::BatchStream`] and
//! [`crate::ShareStream`] are this over their consumers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use parking_lot::Mutex;

/// The task that polled a stream and found no batch, for the consumer's wake call to wake.
#[derive(Clone, Default)]
pub(crate) struct PolledInVain(Arc<Mutex<Option<Waker>>>);

impl PolledInVain {
    /// The consumer's wake call: wakes the task, if one waits.
    pub(crate) fn wake_call(&self) -> impl Fn() + Send + Sync + 'static {
        let task = self.clone();
        move || task.wake()
    }

    /// Wakes the task that waits, if any (a batch can be pulled, or the stream has ended).
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.0.lock().take() {
            waker.wake();
        }
    }

    /// A stream's `poll_next`: what `pull` gives, the end once `ended`, else pending until the
    /// wake call.
    pub(crate) fn poll<T>(
        &self,
        cx: &Context<'_>,
        pull: impl FnOnce() -> Option<T>,
        ended: impl FnOnce() -> bool,
    ) -> Poll<Option<T>> {
        // The waker first: a wake between a vain pull and storing it would be lost.
        *self.0.lock() = Some(cx.waker().clone());
        if let Some(batch) = pull() {
            return Poll::Ready(Some(batch));
        }
        if ended() {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

/// The future of a stream's `next()` ([`crate::BatchStream::next`],
/// [`crate::ShareStream::next`]): its next batch, `None` once it has ended.
pub struct Next<'a, S> {
    pub(crate) stream: &'a mut S,
}

impl<S: Stream + Unpin> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
