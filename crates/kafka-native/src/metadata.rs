//! Topic metadata questions shared by the producer and the consumer.

use std::time::{Duration, Instant};

use rdkafka_sys::rd_kafka_resp_err_t as resp;

use crate::error::KafkaError;
use crate::native::{NativeClient, NativeTopic};

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
    let deadline = Instant::now() + timeout;
    let context = || format!("partition count of topic {topic:?}");
    loop {
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let last = match client.topic_partition_count(rkt, remaining) {
            Ok(Ok(count)) if count > 0 => return Ok(count),
            Ok(Ok(_)) => resp::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            Ok(Err(code)) if is_unknown_topic(code) && !await_creation => {
                return Err(KafkaError::kafka(
                    code,
                    &context(),
                    format!("topic {topic:?} does not exist"),
                ))
            }
            Ok(Err(code))
                if is_unknown_topic(code)
                    || code == resp::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE =>
            {
                code
            }
            Ok(Err(code)) => return Err(KafkaError::kafka(code, &context(), String::new())),
            Err(KafkaError::Kafka { .. }) if Instant::now() < deadline => {
                resp::RD_KAFKA_RESP_ERR__TRANSPORT
            }
            Err(e) => return Err(e),
        };
        if Instant::now() + Duration::from_millis(100) >= deadline {
            return Err(KafkaError::kafka(
                last,
                &format!("{} (timed out after {timeout:?})", context()),
                String::new(),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn is_unknown_topic(code: resp) -> bool {
    matches!(
        code,
        resp::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART | resp::RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
    )
}
