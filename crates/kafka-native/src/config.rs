//! Configuration shared by every client: librdkafka's properties ([`ClientConfig`]) and the
//! typed options every client has ([`ClientOptions`]). Defaults and the checks that need no
//! broker live here and in each client's config; the JavaScript layer only checks JS types.

use std::sync::Arc;
use std::time::Duration;

use crate::error::KafkaError;
use crate::events::{default_log, LogHandler, LogRecord};
use crate::native::{ClientHooks, NativeConf};
use crate::oauthbearer::OAuthBearerProvider;

/// librdkafka properties, global and per topic, applied in order (a later value for a key wins).
///
/// Usable on its own to check properties before any client exists, and given to any client's
/// config with `.properties(...)`:
/// ```
/// use kafka_native::{ClientConfig, ProducerConfig};
/// let mut properties = ClientConfig::new();
/// properties.set("linger.ms", "5").set_topic("acks", "all");
/// properties.validate()?;
/// let config = ProducerConfig::new("localhost:9092").properties(&properties);
/// assert_eq!(config.client_config().get("linger.ms"), Some("5"));
/// # Ok::<(), kafka_native::KafkaError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientConfig {
    properties: Vec<(String, String)>,
    topic_properties: Vec<(String, String)>,
}

impl ClientConfig {
    /// An empty configuration.
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

    /// Appends `other`'s properties after these, so its values win.
    pub fn extend(&mut self, other: &ClientConfig) -> &mut Self {
        self.properties.extend(other.properties.iter().cloned());
        self.topic_properties
            .extend(other.topic_properties.iter().cloned());
        self
    }

    /// The last value set for a global property.
    pub fn get(&self, key: &str) -> Option<&str> {
        last(&self.properties, key)
    }

    /// The last value set for a topic property.
    pub fn get_topic(&self, key: &str) -> Option<&str> {
        last(&self.topic_properties, key)
    }

    /// Whether librdkafka accepts every key and value; a bad one is reported with librdkafka's
    /// own text and the key.
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.to_native().map(drop)
    }

    /// Builds librdkafka's conf; a bad key or value fails with librdkafka's text and the key.
    pub(crate) fn to_native(&self) -> Result<NativeConf, KafkaError> {
        let mut conf = NativeConf::new();
        // librdkafka takes a topic property set globally (`message.timeout.ms`, `acks`) into the
        // default topic conf it keeps; the topic properties go into that same one. (Copying
        // every global key into a topic conf of our own set `enable.auto.commit` there too,
        // where it names the deprecated `auto.commit.enable`: a CONFWARN at every consumer.)
        for (key, value) in &self.properties {
            conf.set(key, value)?;
        }
        for (key, value) in &self.topic_properties {
            conf.set_topic(key, value)?;
        }
        Ok(conf)
    }
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// How long a metadata request waits by default (a producer's or consumer's
/// `metadata_timeout`, and Node's `partitionCount()`): 10 s.
pub const DEFAULT_METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`ClientOptions::statistics_interval`]: kafka-native's 5 s.
pub const DEFAULT_STATISTICS_INTERVAL: Duration = Duration::from_secs(5);

/// What every client is configured with. Each client's config holds one as `client`, with
/// builder methods for each field.
#[derive(Clone)]
pub struct ClientOptions {
    /// `bootstrap.servers`, e.g. `localhost:9092`.
    pub brokers: String,
    /// `statistics.interval.ms`; zero turns stats off. Default 5 s.
    pub statistics_interval: Duration,
    /// librdkafka properties applied after the typed options (kafka-native's `driver_options`
    /// and `topic_options`). They may not set the brokers, which are `brokers`.
    pub properties: ClientConfig,
    /// librdkafka's logs and client errors; without one, warnings and errors go to stderr.
    pub on_log: Option<LogHandler>,
    /// Makes SASL/OAUTHBEARER tokens (with `sasl.mechanism=OAUTHBEARER`).
    pub oauthbearer_token: Option<OAuthBearerProvider>,
}

/// librdkafka's names for the broker list, which only [`ClientOptions::brokers`] sets.
const BROKER_PROPERTIES: [&str; 2] = ["bootstrap.servers", "metadata.broker.list"];

impl ClientOptions {
    /// Options for a client of the cluster at `brokers` (`host:port`, comma-separated), at their
    /// defaults.
    pub fn new(brokers: impl Into<String>) -> Self {
        ClientOptions {
            brokers: brokers.into(),
            statistics_interval: DEFAULT_STATISTICS_INTERVAL,
            properties: ClientConfig::new(),
            on_log: None,
            oauthbearer_token: None,
        }
    }

    /// A numeric librdkafka property given in `properties`, if it parses.
    pub(crate) fn numeric_property(&self, key: &str) -> Option<u64> {
        self.properties
            .get(key)
            .and_then(|v| v.trim().parse::<u64>().ok())
    }

    /// `socket.timeout.ms`: the property where given, else librdkafka's default (60 s).
    pub(crate) fn socket_timeout(&self) -> Duration {
        Duration::from_millis(self.numeric_property("socket.timeout.ms").unwrap_or(60_000))
    }

    /// `message.max.bytes`: the property where given, else librdkafka's default.
    pub(crate) fn message_max_bytes(&self) -> u64 {
        self.numeric_property("message.max.bytes")
            .unwrap_or(1_000_000)
    }

    /// The native callbacks these options ask for (the consumer adds its rebalance hook).
    pub(crate) fn hooks(&self) -> ClientHooks {
        ClientHooks {
            rebalance: None,
            token_refresh: self.oauthbearer_token.clone(),
        }
    }

    /// The checks that need no broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        if self.brokers.trim().is_empty() {
            return Err(KafkaError::invalid("broker", "is required"));
        }
        if let Some(key) = BROKER_PROPERTIES
            .into_iter()
            .find(|key| self.properties.get(key).is_some())
        {
            return Err(KafkaError::invalid(
                "driver_options",
                format!("must not set {key:?}: the broker option gives the brokers"),
            ));
        }
        refuse_property(
            &self.properties,
            "log.queue",
            "the client serves librdkafka's logs itself (give a logger)",
        )?;
        // OAUTHBEARER needs a token from somewhere; without one every connection failed as a
        // bare transport error after the whole start timeout, with nothing logged.
        let mechanism = self
            .properties
            .get("sasl.mechanism")
            .or_else(|| self.properties.get("sasl.mechanisms"));
        let token_source = self.oauthbearer_token.is_some()
            || self.properties.get("sasl.oauthbearer.method") == Some("oidc")
            || self.properties.get("enable.sasl.oauthbearer.unsecure.jwt") == Some("true");
        if mechanism.is_some_and(|m| m.eq_ignore_ascii_case("OAUTHBEARER")) && !token_source {
            return Err(KafkaError::invalid(
                "oauthbearer_token_callback",
                "is required with sasl.mechanism OAUTHBEARER (or set driver_options \
                 sasl.oauthbearer.method: 'oidc')",
            ));
        }
        at_most_ms(
            "statistics_interval_ms",
            self.statistics_interval,
            86_400_000,
            "a day",
        )
    }

    /// The properties every client starts from; `typed` adds the client's own typed options,
    /// then the user's properties are applied, so they win.
    pub(crate) fn client_config(&self, typed: impl FnOnce(&mut ClientConfig)) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "kafka-native")
            .set(
                "statistics.interval.ms",
                self.statistics_interval.as_millis().to_string(),
            )
            // Logs become events on the main queue, served by the kn-events thread.
            .set("log.queue", "true")
            // A broker out of reach is tried again at least every second, as the Java client
            // does (librdkafka's 10 s): a broker cut off for a while is reached, and reported
            // back by health(), within a second or so of its return.
            .set("reconnect.backoff.max.ms", "1000");
        // OpenSSL is linked statically: its own default CA path is where it was built, not the
        // system's. "probe" makes librdkafka look in the standard places (Debian's
        // /etc/ssl/certs/ca-certificates.crt, RHEL's /etc/pki/tls/certs/ca-bundle.crt, ...), so
        // a broker certificate the system trusts is trusted with no option set. librdkafka does
        // that by itself only when its configure saw a static libcrypto, which kafka-native-sys's
        // vendored build does not tell it.
        if self.properties.get("ssl.ca.location").is_none()
            && self.properties.get("ssl.ca.pem").is_none()
        {
            config.set("ssl.ca.location", "probe");
        }
        typed(&mut config);
        config.extend(&self.properties);
        config
    }

    /// Where logs go: the handler, or stderr for warnings and errors.
    pub(crate) fn logger(&self) -> LogHandler {
        self.on_log.clone().unwrap_or_else(|| Arc::new(default_log))
    }
}

/// Refuses a `driver_options` property the client sets itself and depends on; `why` says what
/// to use instead.
pub(crate) fn refuse_property(
    properties: &ClientConfig,
    key: &str,
    why: &str,
) -> Result<(), KafkaError> {
    match properties.get(key) {
        Some(_) => Err(KafkaError::invalid(
            "driver_options",
            format!("must not set {key:?}: {why}"),
        )),
        None => Ok(()),
    }
}

/// The builder methods of [`ClientOptions`], for a config type with a `client` field.
macro_rules! client_option_setters {
    () => {
        /// `statistics.interval.ms`; zero turns stats off. Default 5 s.
        pub fn statistics_interval(mut self, interval: std::time::Duration) -> Self {
            self.client.statistics_interval = interval;
            self
        }

        /// Makes SASL/OAUTHBEARER tokens, called with `sasl.oauthbearer.config` when the
        /// client starts and before each token expires (set `sasl.mechanism` to OAUTHBEARER).
        pub fn oauthbearer_token_provider(
            mut self,
            f: impl Fn(&str) -> Result<$crate::OAuthBearerToken, String> + Send + Sync + 'static,
        ) -> Self {
            self.client.oauthbearer_token = Some(std::sync::Arc::new(f));
            self
        }

        /// Any librdkafka global property (kafka-native's `driver_options`).
        pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.client.properties.set(key, value);
            self
        }

        /// Any librdkafka topic property (kafka-native's `topic_options`).
        pub fn topic_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.client.properties.set_topic(key, value);
            self
        }

        /// Adds librdkafka properties, applied after the typed options.
        pub fn properties(mut self, properties: &$crate::ClientConfig) -> Self {
            self.client.properties.extend(properties);
            self
        }

        /// Receives librdkafka's logs and client errors (default: warnings and errors to stderr).
        pub fn on_log(mut self, f: impl Fn(&$crate::LogRecord) + Send + Sync + 'static) -> Self {
            self.client.on_log = Some(std::sync::Arc::new(f));
            self
        }
    };
}
pub(crate) use client_option_setters;

/// Logs `message` as an error through `log`, under `facility`.
/// Refuses a duration option longer than `max_ms` (`in_words` says how long that is), naming it.
pub(crate) fn at_most_ms(
    option: &str,
    value: Duration,
    max_ms: u128,
    in_words: &str,
) -> Result<(), KafkaError> {
    let ms = value.as_millis();
    if ms > max_ms {
        return Err(KafkaError::invalid(
            option,
            format!("must be at most {max_ms} ({in_words}), got {ms}"),
        ));
    }
    Ok(())
}

pub(crate) fn log_error(log: &LogHandler, facility: &str, message: String) {
    log(&LogRecord {
        level: 3,
        facility: facility.into(),
        message,
        error: None,
    })
}

/// Logs `message` as a warning through `log`, under `facility`.
pub(crate) fn log_warning(log: &LogHandler, facility: &str, message: String) {
    log(&LogRecord {
        level: 4,
        facility: facility.into(),
        message,
        error: None,
    })
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
