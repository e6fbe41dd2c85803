//! [`MockRequest`]: a request a mock broker received, and the API keys that name requests.

/// Kafka API keys, for
/// [`MockCluster::push_request_errors`](crate::MockCluster::push_request_errors).
pub mod api_key {
    /// Produce.
    pub const PRODUCE: i16 = 0;
    /// Fetch.
    pub const FETCH: i16 = 1;
    /// ListOffsets.
    pub const LIST_OFFSETS: i16 = 2;
    /// Metadata.
    pub const METADATA: i16 = 3;
    /// OffsetCommit.
    pub const OFFSET_COMMIT: i16 = 8;
    /// OffsetFetch.
    pub const OFFSET_FETCH: i16 = 9;
    /// FindCoordinator.
    pub const FIND_COORDINATOR: i16 = 10;
    /// JoinGroup.
    pub const JOIN_GROUP: i16 = 11;
    /// Heartbeat.
    pub const HEARTBEAT: i16 = 12;
    /// SyncGroup.
    pub const SYNC_GROUP: i16 = 14;
    /// InitProducerId.
    pub const INIT_PRODUCER_ID: i16 = 22;
    /// AddOffsetsToTxn.
    pub const ADD_OFFSETS_TO_TXN: i16 = 25;
    /// TxnOffsetCommit.
    pub const TXN_OFFSET_COMMIT: i16 = 28;
}

/// A request a mock broker received, recorded once
/// [`MockCluster::start_request_tracking`](crate::MockCluster::start_request_tracking) is
/// called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockRequest {
    /// The broker that received it.
    pub broker_id: i32,
    /// Which request it was (see [`api_key`]).
    pub api_key: i16,
    /// When the broker received it, in microseconds on librdkafka's monotonic clock: only the
    /// differences between requests mean anything.
    pub received_us: i64,
}
