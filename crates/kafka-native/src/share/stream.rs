//! [`ShareStream`]: a share consumer read as an async [`Stream`] of [`ShareBatch`]es, on any
//! executor.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use parking_lot::Mutex;

use super::{ShareBatch, ShareConsumer, ShareConsumerConfig};
use crate::error::KafkaError;

/// A share consumer read as a [`Stream`] of [`ShareBatch`]es, runtime-agnostic: the share thread
/// wakes the task that polled in vain. Each batch is settled with [`ShareBatch::settle`] (or
/// dropped: its records not acknowledged are released); the next is fetched then.
///
/// ```no_run
/// use kafka_native::{Acknowledgement, ShareConsumerConfig, ShareStream};
/// # async fn run() -> Result<(), kafka_native::KafkaError> {
/// let mut batches = ShareStream::new(ShareConsumerConfig::new("localhost:9092", "workers").topics(["jobs"]))?;
/// batches.start()?;
/// while let Some(batch) = batches.next().await {
///     for record in batch.records() {
///         println!("{} delivered {} time(s)", record.offset, record.delivery_count);
///     }
///     batch.settle(Acknowledgement::Accept);
/// }
/// # Ok(()) }
/// ```
pub struct ShareStream {
    consumer: ShareConsumer,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl ShareStream {
    /// No network until [`ShareStream::start`].
    pub fn new(config: ShareConsumerConfig) -> Result<Self, KafkaError> {
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let woken = waker.clone();
        let consumer = ShareConsumer::pulled(config, move || {
            if let Some(waker) = woken.lock().take() {
                waker.wake();
            }
        })?;
        Ok(ShareStream { consumer, waker })
    }

    /// Joins the share group (never waits on the network).
    pub fn start(&self) -> Result<(), KafkaError> {
        self.consumer.start()
    }

    /// Ends the stream and stops the consumer (see [`ShareConsumer::stop`]).
    pub fn stop(&self) -> Result<(), KafkaError> {
        let stopped = self.consumer.stop();
        if let Some(waker) = self.waker.lock().take() {
            waker.wake();
        }
        stopped
    }

    /// The next batch; `None` once the stream has ended.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> NextShareBatch<'_> {
        NextShareBatch { stream: self }
    }
}

impl Stream for ShareStream {
    type Item = ShareBatch;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ShareBatch>> {
        // The waker first: a wake between a vain pull and storing it would be lost.
        *self.waker.lock() = Some(cx.waker().clone());
        if let Some(batch) = self.consumer.pull() {
            return Poll::Ready(Some(batch));
        }
        if self.consumer.is_ended() {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

/// The future of [`ShareStream::next`].
pub struct NextShareBatch<'a> {
    stream: &'a mut ShareStream,
}

impl std::future::Future for NextShareBatch<'_> {
    type Output = Option<ShareBatch>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ShareBatch>> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
