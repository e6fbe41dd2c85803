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

/// Milliseconds since the epoch, as JS's `Date.now()` counts.
fn epoch_ms(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// A broker as a client sees it (see `kafka_native::BrokerHealth`).
#[napi(object)]
pub struct BrokerHealthInfo {
    pub id: i32,
    pub address: String,
    pub connection: String,
    pub down: bool,
    pub not_answering: bool,
    pub down_since: Option<f64>,
    pub last_error: Option<String>,
    pub waiting_requests: f64,
    pub throttle_ms: f64,
    pub rtt_ms: f64,
}

/// A consumer's partition (see `kafka_native::PartitionHealth`).
#[napi(object)]
pub struct PartitionHealthInfo {
    pub topic: String,
    pub partition: i32,
    pub lag: Option<f64>,
    pub next_offset: Option<f64>,
    pub stalled_since: Option<f64>,
    pub stuck: bool,
}

/// A consumer's group membership (see `kafka_native::GroupHealth`).
#[napi(object)]
pub struct GroupHealthInfo {
    pub state: String,
    pub join_state: String,
    pub rebalances: f64,
    pub since_rebalance_ms: Option<f64>,
    pub assigned: f64,
}

/// `health()`: how a client is doing, as it sees it.
#[napi(object)]
pub struct HealthInfo {
    /// "ok", "degraded", "failed" or "stopped".
    pub status: String,
    pub reasons: Vec<String>,
    pub brokers: Vec<BrokerHealthInfo>,
    pub partitions: Option<Vec<PartitionHealthInfo>>,
    pub group: Option<GroupHealthInfo>,
    pub fatal_error: Option<DeliveryFailure>,
    pub updated: Option<f64>,
}

/// The core's health as JS's; `partitions` only for a consumer.
pub(crate) fn health_info(h: kafka_native::Health, consumer: bool) -> HealthInfo {
    HealthInfo {
        status: h.status.as_str().to_string(),
        reasons: h.reasons,
        brokers: h
            .brokers
            .into_iter()
            .map(|b| BrokerHealthInfo {
                id: b.id,
                address: b.address,
                connection: b.connection,
                down: b.down,
                not_answering: b.not_answering,
                down_since: b.down_since.map(epoch_ms),
                last_error: b.last_error,
                waiting_requests: b.waiting_requests as f64,
                throttle_ms: b.throttle_ms as f64,
                rtt_ms: b.rtt_ms,
            })
            .collect(),
        partitions: consumer.then(|| {
            h.partitions
                .into_iter()
                .map(|p| PartitionHealthInfo {
                    topic: p.topic,
                    partition: p.partition,
                    lag: p.lag.map(|l| l as f64),
                    next_offset: p.next_offset.map(|o| o as f64),
                    stalled_since: p.stalled_since.map(epoch_ms),
                    stuck: p.stuck,
                })
                .collect()
        }),
        group: h.group.map(|g| GroupHealthInfo {
            state: g.state,
            join_state: g.join_state,
            rebalances: g.rebalances as f64,
            since_rebalance_ms: g.since_rebalance.map(|d| d.as_millis() as f64),
            assigned: g.assigned as f64,
        }),
        fatal_error: h.fatal_error.as_ref().map(DeliveryFailure::from),
        updated: h.updated.map(epoch_ms),
    }
}

/// A Kafka error as JS builds it (the fields `js_error` sets): a delivery's failure, or the
/// producer's fatal error.
#[napi(object)]
pub struct DeliveryFailure {
    pub message: String,
    pub code: String,
    pub retriable: bool,
    pub fatal: bool,
    pub abortable: bool,
}

impl From<&kafka_native::KafkaError> for DeliveryFailure {
    fn from(e: &kafka_native::KafkaError) -> Self {
        DeliveryFailure {
            message: e.to_string(),
            code: e.code_name().to_string(),
            retriable: e.is_retriable(),
            fatal: e.is_fatal(),
            abortable: e.is_abortable(),
        }
    }
}
