//! What the handler is given: a [`ReceivedBatch`] of [`Message`]s, and what it may answer.

use std::sync::Arc;

use crate::native::{MessageView, NativeClient, NativeMessage};

/// One message of a [`ReceivedBatch`], borrowed from librdkafka's own message object, so it
/// cannot outlive its batch:
///
/// ```compile_fail
/// fn keep(batch: kafka_native::ReceivedBatch) -> kafka_native::Message<'static> {
///     batch.iter().next().unwrap() // the batch is dropped here; its messages go with it
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Message<'a> {
    view: MessageView<'a>,
}

impl<'a> Message<'a> {
    /// The topic it was read from.
    pub fn topic(&self) -> &'a str {
        self.view.topic()
    }
    /// Whether `other` is of the same topic, found without reading either name (cheaper than
    /// comparing `topic()`s, which reads both).
    pub fn same_topic(&self, other: &Message<'_>) -> bool {
        self.view.same_topic(&other.view)
    }
    /// The partition it was read from.
    pub fn partition(&self) -> i32 {
        self.view.partition()
    }
    /// Its offset in the partition.
    pub fn offset(&self) -> i64 {
        self.view.offset()
    }
    /// Milliseconds since the Unix epoch (CreateTime, or LogAppendTime where the topic sets it);
    /// `None` when the message has no timestamp.
    pub fn timestamp(&self) -> Option<i64> {
        self.view.timestamp()
    }
    /// `None` for a null value (tombstone).
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.view.payload()
    }
    /// Its key; `None` when it has none.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.view.key()
    }
    /// Headers in order; a name that is not UTF-8 is replaced lossily.
    pub fn headers(&self) -> Vec<(String, &'a [u8])> {
        self.view.headers()
    }
    /// The memory librdkafka holds the payload in: the Fetch response it was read from (or
    /// its batch, decompressed), in which the payload is a slice, and so are the key and the
    /// payloads of the messages read with it, between the bytes of Kafka's record format.
    /// A reader that copies many payloads out can copy a stretch of it at once. `None` for a
    /// null payload.
    pub fn payload_backing(&self) -> Option<&'a [u8]> {
        self.view.payload_backing()
    }
}

/// A batch for the handler. It owns librdkafka's message objects and keeps their client alive
/// (librdkafka requires messages to be destroyed before their client), so it can be moved to
/// another thread, shared between threads, and kept after the consumer stopped, and read there
/// without copying payloads first.
pub struct ReceivedBatch {
    /// Declared before `_client`: the messages are destroyed first.
    messages: Vec<NativeMessage>,
    _client: Arc<NativeClient>,
    /// Messages at offsets already handed over before (e.g. the topic was re-created, or the
    /// offset file was past the end of the log), counted one by one.
    pub repeats: u64,
    /// Offsets deleted by retention before they were read (below the log's start), counted one
    /// by one; not the offsets a log skips that hold nothing to read (transaction markers,
    /// aborted records under read_committed, compaction).
    pub misses: u64,
}

impl ReceivedBatch {
    pub(crate) fn new(
        messages: Vec<NativeMessage>,
        client: Arc<NativeClient>,
        repeats: u64,
        misses: u64,
    ) -> Self {
        ReceivedBatch {
            messages,
            _client: client,
            repeats,
            misses,
        }
    }

    /// How many messages the batch holds.
    pub fn len(&self) -> usize {
        self.messages.len()
    }
    /// Whether the batch holds no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
    /// Its messages, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Message<'_>> + '_ {
        self.messages.iter().map(|m| Message { view: m.view() })
    }
    /// The message at `index`, in the batch's order.
    pub fn get(&self, index: usize) -> Option<Message<'_>> {
        self.messages.get(index).map(|m| Message { view: m.view() })
    }
}

/// Why a handler did not settle its batch normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The handler failed. It is logged, and the batch's offsets are still recorded:
    /// kafka-native's rule is that a settled batch counts, fulfilled or rejected.
    Failed(String),
    /// The batch was never processed (the code that would process it is gone, e.g. a Node
    /// worker being torn down). Its offsets are not recorded, so it is read again by the next
    /// consumer, and this consumer stops fetching.
    NotProcessed(String),
}

impl From<String> for BatchError {
    fn from(reason: String) -> Self {
        BatchError::Failed(reason)
    }
}

impl From<&str> for BatchError {
    fn from(reason: &str) -> Self {
        BatchError::Failed(reason.to_string())
    }
}

/// A client call that failed inside a handler (`?`) fails the handler with its text.
impl From<crate::KafkaError> for BatchError {
    fn from(err: crate::KafkaError) -> Self {
        BatchError::Failed(err.to_string())
    }
}

/// The handler: called on the `kn-fetch` thread with one batch at a time. The next batch waits
/// until it returns; `Ok` or [`BatchError::Failed`], the batch's offsets are then recorded.
pub type BatchHandler = Box<dyn FnMut(ReceivedBatch) -> Result<(), BatchError> + Send>;
