//! What a producer reports: a send's result, delivery reports, per-message outcomes and stats.

use crate::error::{DeliveryErrorCount, ErrorCode, KafkaError};

/// What a `send` did.
#[derive(Debug)]
pub struct SendResult {
    /// How many messages were enqueued, from the first; the rest were not.
    pub enqueued: usize,
    /// Messages waiting to be delivered, after this call.
    pub send_queue_length: usize,
    /// Why the first message that was not enqueued was refused (e.g. `QueueFull`).
    pub not_enqueued: Option<KafkaError>,
}

/// Delivery results since the last report: kafka-native's `errors` and `rdkafka_errinfo`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryReport {
    /// Messages delivered since the last report.
    pub delivered: u64,
    /// Messages that failed since the last report.
    pub errors: u64,
    /// Failures counted per error code, with librdkafka's error string.
    pub error_counts: Vec<DeliveryErrorCount>,
}

/// The outcome of one message (see
/// [`ProducerConfig::on_message_delivery`](super::ProducerConfig::on_message_delivery)).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageDelivery {
    /// The topic.
    pub topic: String,
    /// The partition it landed in (or was meant for).
    pub partition: i32,
    /// The offset the broker gave it; -1 when it failed.
    pub offset: i64,
    /// `None` when delivered; else why not.
    pub error: Option<ErrorCode>,
}

/// Periodic producer statistics.
#[derive(Clone, Debug)]
pub struct ProducerStats {
    /// Messages waiting to be delivered.
    pub send_queue_length: usize,
    /// librdkafka's statistics, parsed.
    pub rdkafka_stats: serde_json::Value,
    /// Every message not delivered over the producer's life, counted per error.
    pub delivery_failures: Vec<DeliveryErrorCount>,
}
