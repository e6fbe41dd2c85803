//! Questions to the brokers shared by the clients, and how they are retried.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::connection::BrokerErrors;
use crate::error::{ErrorCode, KafkaError};
use crate::native::{NativeClient, NativeTopic};

/// Pause between attempts of a query that failed for a transient reason.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// The longest one attempt may take, so that a hopeless cause is noticed between attempts.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// Errors that a leader election, a topic being created or a reconnect clears by itself. A
/// leader epoch the broker does not know yet (Apache Kafka, a topic just made: the client's
/// metadata is ahead of the broker's) or one it knows is stale is cleared by the metadata
/// catching up, as Kafka's own clients treat them.
fn is_transient(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::LeaderNotAvailable
            | ErrorCode::NotLeaderForPartition
            | ErrorCode::UnknownLeaderEpoch
            | ErrorCode::FencedLeaderEpoch
            | ErrorCode::RequestTimedOut
            | ErrorCode::BrokerTransportFailure
            | ErrorCode::OperationTimedOut
            | ErrorCode::AllBrokersDown
            | ErrorCode::NotCoordinator
            | ErrorCode::CoordinatorNotAvailable
            | ErrorCode::CoordinatorLoadInProgress
    )
}

fn is_unknown_topic(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UnknownTopicOrPartition | ErrorCode::UnknownTopic
    )
}

/// Asks the brokers with retries: each attempt gets at most a second of the time left, errors
/// that `transient` accepts are retried until `timeout`, and between attempts a connection
/// error that waiting cannot clear (see [`BrokerErrors::hopeless`]) ends the wait at once with
/// librdkafka's reason. A timeout says how long it tried and the last connection error.
pub(crate) struct Retry<'a> {
    pub(crate) what: &'a str,
    pub(crate) timeout: Duration,
    pub(crate) brokers: &'a BrokerErrors,
    /// Set by a `stop()` that cancels the wait: checked between attempts (each at most a
    /// second), it ends the wait with [`KafkaError::Stopped`].
    pub(crate) cancel: Option<&'a AtomicBool>,
}

impl Retry<'_> {
    pub(crate) fn run<T>(
        &self,
        transient: impl Fn(ErrorCode) -> bool,
        mut attempt: impl FnMut(Duration) -> Result<T, KafkaError>,
    ) -> Result<T, KafkaError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(1), ATTEMPT_TIMEOUT);
            let mut err = match attempt(remaining) {
                Ok(value) => {
                    self.brokers.reachable();
                    return Ok(value);
                }
                Err(err) => err,
            };
            if !err.code().is_some_and(&transient) {
                return Err(err);
            }
            if let Some(hopeless) = self.brokers.hopeless(self.what) {
                return Err(hopeless);
            }
            if self.cancel.is_some_and(|c| c.load(Ordering::Acquire)) {
                return Err(KafkaError::Stopped);
            }
            if Instant::now() + RETRY_BACKOFF >= deadline {
                if let KafkaError::Kafka { context, .. } = &mut err {
                    *context = format!("{} (timed out after {:?})", self.what, self.timeout);
                    if let Some(reason) = self.brokers.last_reason() {
                        context.push_str(&format!("; last connection error: {reason}"));
                    }
                }
                return Err(err);
            }
            std::thread::sleep(RETRY_BACKOFF);
        }
    }

    /// [`Retry::run`] with the errors that clear by themselves.
    pub(crate) fn while_transient<T>(
        &self,
        attempt: impl FnMut(Duration) -> Result<T, KafkaError>,
    ) -> Result<T, KafkaError> {
        self.run(is_transient, attempt)
    }
}

/// The topic's partition count from broker metadata, retrying while the topic has no leader yet
/// or the brokers cannot be reached. An unknown topic is retried only when `await_creation` (it
/// may be auto-created by this very request).
pub(crate) fn partition_count(
    client: &NativeClient,
    rkt: &NativeTopic,
    topic: &str,
    retry: &Retry<'_>,
    await_creation: bool,
) -> Result<usize, KafkaError> {
    let transient = |code| is_transient(code) || (await_creation && is_unknown_topic(code));
    retry.run(transient, |remaining| {
        match rkt.partition_count(client, remaining) {
            Ok(Ok(count)) if count > 0 => Ok(count),
            Ok(Ok(_)) => Err(KafkaError::kafka(
                kafka_native_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                retry.what,
                String::new(),
            )),
            Ok(Err(code)) if is_unknown_topic(code.into()) && !await_creation => Err(
                KafkaError::kafka(code, retry.what, format!("topic {topic:?} does not exist")),
            ),
            Ok(Err(code)) => Err(KafkaError::kafka(code, retry.what, String::new())),
            Err(e) => Err(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Seen on Apache Kafka: a consumer's start() failed with UNKNOWN_LEADER_EPOCH asking the
    // earliest offsets of a 16-partition topic made a moment before.
    #[test]
    fn leader_epoch_errors_are_retried() {
        assert!(is_transient(ErrorCode::UnknownLeaderEpoch));
        assert!(is_transient(ErrorCode::FencedLeaderEpoch));
        assert!(!is_transient(ErrorCode::UnknownTopicOrPartition));
    }
}
