//! librdkafka properties: typed options end here as string key/value pairs.

use crate::error::KafkaError;
use crate::native::{NativeConf, NativeTopicConf};

/// Properties for one librdkafka client, applied in order (a later value for a key wins).
///
/// ```
/// let mut config = kafka_native::ClientConfig::new();
/// config.set("bootstrap.servers", "localhost:9092").set_topic("acks", "all");
/// assert!(config.get("bootstrap.servers").is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientConfig {
    properties: Vec<(String, String)>,
    topic_properties: Vec<(String, String)>,
}

impl ClientConfig {
    pub fn new() -> Self {
        Self::default()
    }

    /// A global (client) property, e.g. `linger.ms`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// A topic property, e.g. `acks` or `auto.offset.reset`.
    pub fn set_topic(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.topic_properties.push((key.into(), value.into()));
        self
    }

    /// The last value set for a global property.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The last value set for a topic property.
    pub fn get_topic(&self, key: &str) -> Option<&str> {
        self.topic_properties
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Builds librdkafka's conf; a bad key or value fails with librdkafka's text and the key.
    pub(crate) fn to_native(&self) -> Result<NativeConf, KafkaError> {
        let mut conf = NativeConf::new();
        for (key, value) in &self.properties {
            conf.set(key, value)?;
        }
        let mut topic_conf = NativeTopicConf::new();
        for (key, value) in &self.topic_properties {
            topic_conf.set(key, value)?;
        }
        conf.set_default_topic_conf(topic_conf);
        Ok(conf)
    }
}

/// Kafka's rule for topic names: `[a-zA-Z0-9._-]`, 1 to 249 characters, not `.` or `..`.
/// Topic names become offset file names, so this also keeps files inside their directory.
pub fn validate_topic_name(topic: &str) -> Result<(), KafkaError> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if topic.is_empty() || topic.len() > 249 {
        return Err(KafkaError::invalid(
            "topic",
            format!("must be 1 to 249 characters long, got {}", topic.len()),
        ));
    }
    if topic == "." || topic == ".." {
        return Err(KafkaError::invalid(
            "topic",
            format!("must not be {topic:?}"),
        ));
    }
    if let Some(bad) = topic.chars().find(|c| !legal(*c)) {
        return Err(KafkaError::invalid(
            "topic",
            format!("may only hold [a-zA-Z0-9._-], found {bad:?} in {topic:?}"),
        ));
    }
    Ok(())
}
