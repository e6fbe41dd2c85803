//! Questions to the brokers shared by the producer and the consumer, and how they are retried.

use std::time::{Duration, Instant};

use crate::error::{ErrorCode, KafkaError};
use crate::native::{NativeClient, NativeTopic};

/// Pause between attempts of a query that failed for a transient reason.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Errors that a leader election, a topic being created or a reconnect clears by itself.
fn is_transient(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::LeaderNotAvailable
            | ErrorCode::NotLeaderForPartition
            | ErrorCode::RequestTimedOut
            | ErrorCode::BrokerTransportFailure
            | ErrorCode::OperationTimedOut
            | ErrorCode::AllBrokersDown
            | ErrorCode::NotCoordinator
            | ErrorCode::CoordinatorNotAvailable
    )
}

fn is_unknown_topic(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UnknownTopicOrPartition | ErrorCode::UnknownTopic
    )
}

/// Runs `attempt` (given the time left) until it succeeds, fails for a reason that is not
/// transient, or `timeout` passes; then the last error says how long it tried.
pub(crate) fn retry_transient<T>(
    timeout: Duration,
    transient: impl Fn(ErrorCode) -> bool,
    mut attempt: impl FnMut(Duration) -> Result<T, KafkaError>,
) -> Result<T, KafkaError> {
    let deadline = Instant::now() + timeout;
    loop {
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let mut err = match attempt(remaining) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        if !err.code().is_some_and(&transient) {
            return Err(err);
        }
        if Instant::now() + RETRY_BACKOFF >= deadline {
            if let KafkaError::Kafka { context, .. } = &mut err {
                context.push_str(&format!(" (timed out after {timeout:?})"));
            }
            return Err(err);
        }
        std::thread::sleep(RETRY_BACKOFF);
    }
}

/// [`retry_transient`] with the errors that clear by themselves.
pub(crate) fn retry_while_transient<T>(
    timeout: Duration,
    attempt: impl FnMut(Duration) -> Result<T, KafkaError>,
) -> Result<T, KafkaError> {
    retry_transient(timeout, is_transient, attempt)
}

/// The topic's partition count from broker metadata, retrying until `timeout` while the topic has
/// no leader yet or the brokers cannot be reached. An unknown topic is retried only when
/// `await_creation` (it may be auto-created by this very request).
pub(crate) fn partition_count(
    client: &NativeClient,
    rkt: &NativeTopic,
    topic: &str,
    timeout: Duration,
    await_creation: bool,
) -> Result<usize, KafkaError> {
    let context = format!("partition count of topic {topic:?}");
    let transient = |code| is_transient(code) || (await_creation && is_unknown_topic(code));
    retry_transient(timeout, transient, |remaining| {
        match client.topic_partition_count(rkt, remaining) {
            Ok(Ok(count)) if count > 0 => Ok(count),
            Ok(Ok(_)) => Err(KafkaError::kafka(
                rdkafka_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                &context,
                String::new(),
            )),
            Ok(Err(code)) if is_unknown_topic(code.into()) && !await_creation => Err(
                KafkaError::kafka(code, &context, format!("topic {topic:?} does not exist")),
            ),
            Ok(Err(code)) => Err(KafkaError::kafka(code, &context, String::new())),
            Err(e) => Err(e),
        }
    })
}
