//! Plain values that more than one client passes between JS and the core.

use napi_derive::napi;

/// A partition and an offset in it (e.g. the next to read, for a commit or a transaction).
#[napi(object)]
pub struct TopicPartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// JS's offsets as the core's (topic-partition, offset) pairs.
pub(crate) fn core_offsets(
    offsets: Vec<TopicPartitionOffset>,
) -> Vec<(kafka_native::TopicPartition, i64)> {
    offsets
        .into_iter()
        .map(|o| {
            (
                kafka_native::TopicPartition::new(o.topic, o.partition),
                o.offset,
            )
        })
        .collect()
}

/// The core's (topic-partition, offset) pairs as JS's offsets.
pub(crate) fn js_offsets(
    offsets: Vec<(kafka_native::TopicPartition, i64)>,
) -> Vec<TopicPartitionOffset> {
    offsets
        .into_iter()
        .map(|(tp, offset)| TopicPartitionOffset {
            topic: tp.topic,
            partition: tp.partition,
            offset,
        })
        .collect()
}
