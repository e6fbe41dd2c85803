//! [`ShareStream`]: a share consumer read as an async [`Stream`] of [`ShareBatch`]es, on any
//! executor.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{ShareBatch, ShareConsumer, ShareConsumerConfig};
use crate::error::KafkaError;
use crate::pulled_stream::{Next, PolledInVain};

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
    waiting: PolledInVain,
}

impl ShareStream {
    /// No network until [`ShareStream::start`].
    pub fn new(config: ShareConsumerConfig) -> Result<Self, KafkaError> {
        let waiting = PolledInVain::default();
        let consumer = ShareConsumer::pulled(config, waiting.wake_call())?;
        Ok(ShareStream { consumer, waiting })
    }

    /// Joins the share group (never waits on the network).
    pub fn start(&self) -> Result<(), KafkaError> {
        self.consumer.start()
    }

    /// Ends the stream and stops the consumer (see [`ShareConsumer::stop`]).
    pub fn stop(&self) -> Result<(), KafkaError> {
        let stopped = self.consumer.stop();
        self.waiting.wake();
        stopped
    }

    /// The next batch; `None` once the stream has ended.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> NextShareBatch<'_> {
        Next { stream: self }
    }
}

impl Stream for ShareStream {
    type Item = ShareBatch;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ShareBatch>> {
        let consumer = &self.consumer;
        self.waiting
            .poll(cx, || consumer.pull(), || consumer.ended())
    }
}

/// The future of [`ShareStream::next`].
pub type NextShareBatch<'a> = Next<'a, ShareStream>;
