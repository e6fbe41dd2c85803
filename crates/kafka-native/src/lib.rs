// The crate's documentation is its guide (docs.rs shows it as the crate page; its code blocks
// are doctests).
#![doc = include_str!("guide.md")]
// An unsafe function's body is not one unsafe block: each operation in it says why it is sound.
#![deny(unsafe_op_in_unsafe_fn)]
// Every public item says what it is for.
#![warn(missing_docs)]

mod admin;
mod config;
mod connection;
mod consumer;
mod error;
mod events;
mod health;
mod metadata;
mod mock;
mod native;
mod oauthbearer;
mod producer;
mod pulled_stream;
mod record;
mod share;
mod topic_partition;

pub use admin::{
    Admin, AdminConfig, BrokerDescription, ClusterDescription, ConfigChange, ConfigDescription,
    ConfigEntry, ConfigResource, ConfigSource, ConfigSynonym, GroupDescription, GroupListing,
    GroupMember, GroupPartitionOffset, GroupType, NewTopic, OffsetAtTime, PartitionDescription,
    ResourceKind, SharePartitionOffset, TopicDescription, TopicListing, Watermarks,
};
pub use config::{
    validate_topic_name, ClientConfig, ClientOptions, DEFAULT_METADATA_TIMEOUT,
    DEFAULT_STATISTICS_INTERVAL,
};
pub use consumer::{
    BatchError, BatchHandler, BatchStream, Consumer, ConsumerConfig, ConsumerStats,
    ConsumerStatsHandler, GroupProtocol, IsolationLevel, Message, NextBatch, OffsetDirectory,
    OffsetStore, PartitionLag, RebalanceChange, RebalanceHandler, ReceivedBatch, StartOffset,
    StreamBatch, DEFAULT_FETCH_WAIT_MAX, DEFAULT_LAG_TIMEOUT, DEFAULT_STUCK_AFTER, MAX_BATCH_BYTES,
};
pub use error::{DeliveryErrorCount, ErrorCode, KafkaError};
pub use events::{LogHandler, LogLevel, LogRecord};
pub use health::{BrokerHealth, GroupHealth, Health, HealthStatus, PartitionHealth};
pub use mock::{api_key, MockCluster, MockRequest};
pub use native::{error_code_named, error_codes, librdkafka_version, GroupMetadata};
pub use oauthbearer::{OAuthBearerProvider, OAuthBearerToken};
pub use producer::{
    Compression, Delivered, Delivery, DeliveryCallback, DeliveryReport, EventsWake,
    MessageDelivery, Producer, ProducerConfig, ProducerStats, SendResult, DEFAULT_STOP_TIMEOUT,
    DEFAULT_TRANSACTION_TIMEOUT,
};
pub use pulled_stream::Next;
pub use record::Record;
pub use share::{
    Acknowledgement, AcknowledgementCommit, AcknowledgementCommitHandler, AcknowledgementMode,
    NextShareBatch, ShareAcquireMode, ShareBatch, ShareConsumer, ShareConsumerConfig, ShareCounts,
    ShareHandler, SharePartitionStats, ShareRecord, ShareStats, ShareStream,
    DEFAULT_SHARE_JOIN_TIMEOUT, DEFAULT_SHARE_POLL_WAIT, DEFAULT_SHARE_STOP_TIMEOUT,
};
pub use topic_partition::TopicPartition;

#[doc(hidden)]
pub mod testing;
