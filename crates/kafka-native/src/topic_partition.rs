//! [`TopicPartition`]: a partition of a topic, as assignments and admin answers name it.

use std::fmt;

use crate::error::KafkaError;

/// A partition of a topic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

impl TopicPartition {
    /// `partition` of `topic`.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// Refuses `offsets` unless each is a next offset to read (0 or more): what a commit, a
/// transaction's offsets and an admin's setting of a group's offsets all take.
pub(crate) fn check_next_offsets(offsets: &[(TopicPartition, i64)]) -> Result<(), KafkaError> {
    match offsets.iter().find(|(_, offset)| *offset < 0) {
        Some((tp, offset)) => Err(KafkaError::invalid(
            "offsets",
            format!("must be the next offsets to read (0 or more), got {offset} for {tp}"),
        )),
        None => Ok(()),
    }
}
