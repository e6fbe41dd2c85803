//! [`BatchStream`]: a consumer read as an async [`Stream`] of batches, on any executor.
//!
//! The hand-over every consumer has ([`Consumer::pulled`]): the stream pulls a batch when
//! polled, and the consumer's wake call wakes the task that polled in vain. A [`StreamBatch`]
//! is settled processed by [`StreamBatch::ack`] (its offsets recorded, or committed in a group),
//! and not processed when it is dropped without one: it is then read again (by the next start,
//! or the partition's next owner) and the stream ends, as a handler's
//! [`BatchError::NotProcessed`] does.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{BatchError, Consumer, ConsumerConfig, ReceivedBatch};
use crate::error::KafkaError;
use crate::pulled_stream::{Next, PolledInVain};
use crate::topic_partition::TopicPartition;

/// A consumer read as a [`Stream`] of [`StreamBatch`]es, runtime-agnostic (it needs no
/// executor of its own: the fetch thread wakes the task that polls it).
///
/// ```no_run
/// use kafka_native::{BatchStream, ConsumerConfig};
/// # async fn run() -> Result<(), kafka_native::KafkaError> {
/// let mut batches = BatchStream::new(ConsumerConfig::new("localhost:9092", "events").group_id("billing"))?;
/// batches.start()?; // blocks while it connects: call it before, or off, the async code
/// while let Some(batch) = batches.next().await {
///     for message in batch.iter() {
///         println!("{}/{}: {:?}", message.partition(), message.offset(), message.payload());
///     }
///     batch.ack(); // recorded (committed, in a group); the next batch is fetched
/// }
/// batches.stop()?;
/// # Ok(()) }
/// ```
pub struct BatchStream {
    consumer: Arc<Consumer>,
    /// The task that polled and found no batch: the consumer's wake call wakes it.
    waiting: PolledInVain,
}

impl BatchStream {
    /// A consumer whose batches this stream yields; nothing connects until
    /// [`BatchStream::start`].
    pub fn new(config: ConsumerConfig) -> Result<Self, KafkaError> {
        let waiting = PolledInVain::default();
        let consumer = Consumer::pulled(config, waiting.wake_call())?;
        Ok(BatchStream {
            consumer: Arc::new(consumer),
            waiting,
        })
    }

    /// [`Consumer::start`]: connects and starts fetching (blocking while it connects).
    pub fn start(&self) -> Result<Vec<TopicPartition>, KafkaError> {
        self.consumer.start()
    }

    /// The consumer, for [`Consumer::assignment`], [`Consumer::seek`], [`Consumer::commit`],
    /// pausing and its stats. Stop it with [`BatchStream::stop`].
    pub fn consumer(&self) -> &Consumer {
        &self.consumer
    }

    /// Ends the stream and stops the consumer: a batch not acknowledged yet is not recorded.
    pub fn stop(&self) -> Result<(), KafkaError> {
        let stopped = self.consumer.stop();
        self.waiting.wake(); // a task waiting for a batch sees the end
        stopped
    }

    /// The next batch; `None` once the stream has ended. (An async `next`, as tokio-stream's and
    /// futures' `StreamExt::next`, not an `Iterator`'s.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> NextBatch<'_> {
        Next { stream: self }
    }
}

impl Stream for BatchStream {
    type Item = StreamBatch;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamBatch>> {
        let consumer = &self.consumer;
        let pull = || {
            consumer.pull().map(|batch| StreamBatch {
                batch,
                acked: false,
                consumer: consumer.clone(),
                waiting: self.waiting.clone(),
            })
        };
        self.waiting.poll(cx, pull, || consumer.ended())
    }
}

/// The future of [`BatchStream::next`].
pub type NextBatch<'a> = Next<'a, BatchStream>;

/// A batch from a [`BatchStream`]: read it through `Deref` ([`ReceivedBatch::iter`]), then
/// [`StreamBatch::ack`] it. Dropped unacknowledged, it is not recorded and the stream ends.
pub struct StreamBatch {
    batch: ReceivedBatch,
    acked: bool,
    consumer: Arc<Consumer>,
    waiting: PolledInVain,
}

impl StreamBatch {
    fn settle(&self, outcome: Result<(), BatchError>) {
        self.consumer.settle(outcome);
        // A task that polled while this batch was out pulls the next (or sees the end) now.
        self.waiting.wake();
    }

    /// Processed: its offsets are recorded (committed, in a group) and the next batch is fetched.
    pub fn ack(mut self) {
        self.acked = true;
        self.settle(Ok(()));
    }
}

impl std::ops::Deref for StreamBatch {
    type Target = ReceivedBatch;

    fn deref(&self) -> &ReceivedBatch {
        &self.batch
    }
}

impl Drop for StreamBatch {
    fn drop(&mut self) {
        if !self.acked {
            self.settle(Err(BatchError::NotProcessed(
                "the batch was dropped unacknowledged".to_string(),
            )));
        }
    }
}
