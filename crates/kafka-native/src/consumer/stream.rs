//! [`BatchStream`]: a consumer read as an async [`Stream`] of batches, on any executor.
//!
//! The same hand-over as a batch handler: the fetch thread hands one batch over and waits for
//! it to be settled before it fetches the next. A [`StreamBatch`] is settled processed by
//! [`StreamBatch::ack`] (its offsets recorded, or committed in a group), and not processed when
//! it is dropped without one: it is then read again (by the next start, or the partition's
//! next owner) and the stream ends, as a handler's [`BatchError::NotProcessed`] does.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use parking_lot::{Condvar, Mutex};

use super::{BatchError, Consumer, ConsumerConfig, ReceivedBatch};
use crate::error::KafkaError;
use crate::topic_partition::TopicPartition;

/// Between the fetch thread and the stream.
#[derive(Default)]
struct Hand {
    state: Mutex<HandState>,
    settled: Condvar,
}

#[derive(Default)]
struct HandState {
    /// Handed over by the fetch thread, not yet taken by the stream.
    offered: Option<ReceivedBatch>,
    /// The outcome of the batch taken: `Some(true)` acknowledged.
    outcome: Option<bool>,
    /// The stream's task, waiting for a batch.
    waker: Option<Waker>,
    /// No more batches: the stream was dropped or stopped, or a batch was dropped unacknowledged.
    closed: bool,
}

impl Hand {
    /// Runs on the fetch thread: offers the batch and waits for its outcome.
    fn hand_over(&self, batch: ReceivedBatch) -> Result<(), BatchError> {
        let mut state = self.state.lock();
        if state.closed {
            return Err(BatchError::NotProcessed(
                "the stream reading the consumer has ended".to_string(),
            ));
        }
        state.offered = Some(batch);
        state.outcome = None;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        while state.outcome.is_none() && !state.closed {
            self.settled.wait(&mut state);
        }
        // A batch still offered when the stream closed was never taken.
        state.offered = None;
        match state.outcome.take() {
            Some(true) => Ok(()),
            _ => Err(BatchError::NotProcessed(
                "the batch was dropped unacknowledged, or the stream ended".to_string(),
            )),
        }
    }

    fn settle(&self, processed: bool) {
        let mut state = self.state.lock();
        state.outcome = Some(processed);
        if !processed {
            state.closed = true;
        }
        self.settled.notify_all();
    }

    fn close(&self) {
        let mut state = self.state.lock();
        state.closed = true;
        state.offered = None;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        self.settled.notify_all();
    }
}

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
    hand: Arc<Hand>,
    consumer: Consumer,
}

impl BatchStream {
    /// A consumer whose batches this stream yields; nothing connects until
    /// [`BatchStream::start`].
    pub fn new(config: ConsumerConfig) -> Result<Self, KafkaError> {
        let hand = Arc::new(Hand::default());
        let fetch_side = hand.clone();
        let consumer = Consumer::new(config, move |batch| fetch_side.hand_over(batch))?;
        Ok(BatchStream { hand, consumer })
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
        self.hand.close();
        self.consumer.stop()
    }

    /// The next batch; `None` once the stream has ended. (An async `next`, as tokio-stream's and
    /// futures' `StreamExt::next`, not an `Iterator`'s.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> NextBatch<'_> {
        NextBatch { stream: self }
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        // Before the consumer's own drop stops it: a fetch thread waiting for a settle goes.
        self.hand.close();
    }
}

impl Stream for BatchStream {
    type Item = StreamBatch;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamBatch>> {
        let mut state = self.hand.state.lock();
        if let Some(batch) = state.offered.take() {
            return Poll::Ready(Some(StreamBatch {
                batch,
                acked: false,
                hand: self.hand.clone(),
            }));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// The future of [`BatchStream::next`].
pub struct NextBatch<'a> {
    stream: &'a mut BatchStream,
}

impl std::future::Future for NextBatch<'_> {
    type Output = Option<StreamBatch>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamBatch>> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

/// A batch from a [`BatchStream`]: read it through `Deref` ([`ReceivedBatch::iter`]), then
/// [`StreamBatch::ack`] it. Dropped unacknowledged, it is not recorded and the stream ends.
pub struct StreamBatch {
    batch: ReceivedBatch,
    acked: bool,
    hand: Arc<Hand>,
}

impl StreamBatch {
    /// Processed: its offsets are recorded (committed, in a group) and the next batch is fetched.
    pub fn ack(mut self) {
        self.acked = true;
        self.hand.settle(true);
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
            self.hand.settle(false);
        }
    }
}
