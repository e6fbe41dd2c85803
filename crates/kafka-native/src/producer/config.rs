//! [`ProducerConfig`]: the producer's options, their defaults (kafka-native's) and the checks
//! that need no broker; and [`Compression`].

use std::sync::Arc;
use std::time::Duration;

use crate::config::{
    at_most_ms, client_option_setters, refuse_property, ClientConfig, ClientOptions,
};
use crate::error::KafkaError;

use super::report::{DeliveryReport, MessageDelivery, ProducerStats};

/// A transaction's timeout by default (librdkafka's `transaction.timeout.ms`), and how long
/// Node's transaction calls wait by default: 60 s.
pub const DEFAULT_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// Receives [`ProducerStats`] every `statistics_interval`.
pub type StatsHandler = Arc<dyn Fn(ProducerStats) + Send + Sync>;
/// Receives a [`DeliveryReport`] after each burst of delivery reports.
pub type DeliveryReportHandler = Arc<dyn Fn(DeliveryReport) + Send + Sync>;
/// Receives one [`MessageDelivery`] per message (opt-in; costs an allocation per message).
pub type MessageDeliveryHandler = Arc<dyn Fn(Vec<MessageDelivery>) + Send + Sync>;
/// Told that the producer has events to serve (see [`ProducerConfig::serve_events_when_woken`]).
pub type EventsWake = Arc<dyn Fn() + Send + Sync>;

/// How the producer compresses its batches (librdkafka's `compression.codec`). Every codec is
/// built in; a consumer decompresses whatever it is sent, whatever its own setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// No compression (librdkafka's default).
    #[default]
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// Every codec, none first.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The codec's name, as librdkafka and Kafka spell it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Compression {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self, KafkaError> {
        Compression::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "compression_codec",
                    format!("must be one of none, gzip, snappy, lz4, zstd, got {s:?}"),
                )
            })
    }
}

/// Producer options. The defaults are kafka-native's.
///
/// ```
/// use std::time::Duration;
/// let config = kafka_native::ProducerConfig::new("localhost:9092")
///     .statistics_interval(Duration::from_secs(1));
/// assert_eq!(config.queue_buffering_max_messages, 50_000);
/// // ...and 32 MiB of them, the Java client's `buffer.memory`.
/// assert_eq!(config.client_config().get("queue.buffering.max.kbytes"), Some("32768"));
/// // A message goes out at once: an awaited send does not wait to fill a batch.
/// assert_eq!(config.client_config().get("queue.buffering.max.ms"), Some("0"));
/// assert_eq!(config.client_config().get("max.in.flight.requests.per.connection"), Some("5"));
/// ```
#[derive(Clone)]
pub struct ProducerConfig {
    /// The brokers, stats interval, librdkafka properties and logger.
    pub client: ClientOptions,
    /// `queue.buffering.max.messages`: messages held locally before `send` stops enqueuing.
    /// Default 50,000 (librdkafka's is 100,000): librdkafka keeps about 290 bytes per message
    /// besides its payload, and against a broker slower than the sender the queue stays full,
    /// so the bound is memory (about 95 MB at 100 B), at no cost in throughput.
    pub queue_buffering_max_messages: u32,
    /// `queue.buffering.max.kbytes`: the bytes of payloads and keys held locally before `send`
    /// stops enqueuing. Default 32,768 (32 MiB, the Java client's `buffer.memory`; librdkafka's
    /// is 1 GB): at 100 B the message bound comes first; at 1 KB and more this one does (50,000
    /// messages of 10 KB would be 500 MB), at no cost in throughput. Never below one message
    /// (`message.max.bytes`), which could otherwise never be enqueued.
    pub queue_buffering_max_kbytes: u32,
    /// `queue.buffering.max.ms` (`linger.ms`): how long a message may wait to fill a batch.
    /// Default 0: an awaited send pays no wait, and bulk sends still go out in full batches
    /// (each `send` of many hands librdkafka all of them at once, and messages queue up behind
    /// the requests in flight).
    pub queue_buffering_max: Duration,
    /// How long `partition_count` waits for an answer by default. 10 s.
    pub metadata_timeout: Duration,
    /// `compression.codec`. Default none.
    pub compression: Compression,
    /// `enable.idempotence`: the broker writes each message once and in order, whatever the
    /// retries (librdkafka then sets acks=all and at most 5 requests in flight). Default true,
    /// as in Kafka's Java client since 3.0.
    pub enable_idempotence: bool,
    /// `transactional.id`: makes the producer transactional (see
    /// [`Producer::init_transactions`](super::Producer::init_transactions)). Default none.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`: how long the broker lets a transaction stay open before it
    /// aborts it. Default 60 s.
    pub transaction_timeout: Duration,
    /// Receives [`ProducerStats`] every `statistics_interval`.
    pub on_stats: Option<StatsHandler>,
    /// Receives the delivery counts since the last report, after each burst of deliveries.
    pub on_delivery_report: Option<DeliveryReportHandler>,
    /// Told of each message delivered or failed, with where it landed.
    pub on_message_delivery: Option<MessageDeliveryHandler>,
    /// Set: no `kn-events` thread; see [`ProducerConfig::serve_events_when_woken`].
    pub events_wake: Option<EventsWake>,
}

impl ProducerConfig {
    /// Each typed option, by the name errors give it, and the librdkafka properties it sets
    /// (aliases included): a property of these given beside its option says the same thing
    /// twice (Node's options refuse that; here the property wins).
    pub const OPTION_PROPERTIES: &'static [(&'static str, &'static [&'static str])] = &[
        ("statistics_interval_ms", &["statistics.interval.ms"]),
        (
            "queue_buffering_max_messages",
            &["queue.buffering.max.messages"],
        ),
        (
            "queue_buffering_max_kbytes",
            &["queue.buffering.max.kbytes"],
        ),
        (
            "queue_buffering_max_ms",
            &["queue.buffering.max.ms", "linger.ms"],
        ),
        (
            "compression_codec",
            &["compression.codec", "compression.type"],
        ),
        ("enable_idempotence", &["enable.idempotence"]),
        ("transactional_id", &["transactional.id"]),
        ("transaction_timeout_ms", &["transaction.timeout.ms"]),
    ];

    /// A producer to the cluster at `brokers` (`host:port`, comma-separated), at the defaults.
    pub fn new(brokers: impl Into<String>) -> Self {
        ProducerConfig {
            client: ClientOptions::new(brokers),
            queue_buffering_max_messages: 50_000,
            queue_buffering_max_kbytes: 32_768,
            queue_buffering_max: Duration::ZERO,
            metadata_timeout: crate::config::DEFAULT_METADATA_TIMEOUT,
            compression: Compression::None,
            enable_idempotence: true,
            transactional_id: None,
            transaction_timeout: DEFAULT_TRANSACTION_TIMEOUT,
            on_stats: None,
            on_delivery_report: None,
            on_message_delivery: None,
            events_wake: None,
        }
    }

    client_option_setters!();

    /// Sets [`ProducerConfig::queue_buffering_max_messages`].
    pub fn queue_buffering_max_messages(mut self, max: u32) -> Self {
        self.queue_buffering_max_messages = max;
        self
    }

    /// Sets [`ProducerConfig::queue_buffering_max_kbytes`].
    pub fn queue_buffering_max_kbytes(mut self, max: u32) -> Self {
        self.queue_buffering_max_kbytes = max;
        self
    }

    /// Sets [`ProducerConfig::queue_buffering_max`].
    pub fn queue_buffering_max(mut self, max: Duration) -> Self {
        self.queue_buffering_max = max;
        self
    }

    /// Sets [`ProducerConfig::compression`].
    pub fn compression(mut self, codec: Compression) -> Self {
        self.compression = codec;
        self
    }

    /// Sets [`ProducerConfig::enable_idempotence`].
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.enable_idempotence = enable;
        self
    }

    /// Sets [`ProducerConfig::transactional_id`].
    pub fn transactional_id(mut self, id: impl Into<String>) -> Self {
        self.transactional_id = Some(id.into());
        self
    }

    /// Sets [`ProducerConfig::transaction_timeout`].
    pub fn transaction_timeout(mut self, timeout: Duration) -> Self {
        self.transaction_timeout = timeout;
        self
    }

    /// Sets [`ProducerConfig::on_stats`].
    pub fn on_stats(mut self, f: impl Fn(ProducerStats) + Send + Sync + 'static) -> Self {
        self.on_stats = Some(Arc::new(f));
        self
    }

    /// Sets [`ProducerConfig::on_delivery_report`].
    pub fn on_delivery_report(
        mut self,
        f: impl Fn(DeliveryReport) + Send + Sync + 'static,
    ) -> Self {
        self.on_delivery_report = Some(Arc::new(f));
        self
    }

    /// Sets [`ProducerConfig::on_message_delivery`].
    pub fn on_message_delivery(
        mut self,
        f: impl Fn(Vec<MessageDelivery>) + Send + Sync + 'static,
    ) -> Self {
        self.on_message_delivery = Some(Arc::new(f));
        self
    }

    /// Serves the producer's events (delivery reports, and so `deliver` callbacks, stats and
    /// logs) on the caller's thread instead of a `kn-events` thread: `wake` is called when
    /// events are waiting, and the one it wakes calls
    /// [`Producer::serve_events`](super::Producer::serve_events) soon after, on a thread of its
    /// choosing, where the handlers then run. For event loops: Node serves them on its JS
    /// thread, which hears of a delivery one thread hand-off sooner.
    ///
    /// `wake` runs on a librdkafka thread while librdkafka holds a lock: it must only signal
    /// (never call the producer) and return at once. Delivered messages hold their place in the
    /// local queue until served, and waiting calls (`stop`, `commit_transaction`) finish only
    /// once their delivery reports are served: keep serving while one waits (`stop` also
    /// serves by itself).
    ///
    /// ```no_run
    /// use std::sync::{mpsc, Arc};
    /// let (woken, wakes) = mpsc::channel();
    /// let config = kafka_native::ProducerConfig::new("localhost:9092")
    ///     .serve_events_when_woken(move || { let _ = woken.send(()); });
    /// let producer = Arc::new(kafka_native::Producer::new(config)?);
    /// let serving = producer.clone();
    /// std::thread::spawn(move || while wakes.recv().is_ok() { serving.serve_events(); });
    /// # Ok::<(), kafka_native::KafkaError>(())
    /// ```
    pub fn serve_events_when_woken(mut self, wake: impl Fn() + Send + Sync + 'static) -> Self {
        self.events_wake = Some(Arc::new(wake));
        self
    }

    /// Checks the options that need no broker; errors name the option.
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.client.validate()?;
        // Without a report for each delivered message, `deliver` never settled and `in_flight`
        // never fell back to 0, so Node's process, kept alive while it is above 0, never exited.
        refuse_property(
            &self.client.properties,
            "delivery.report.only.error",
            "the producer counts every message's delivery report (in_flight, stop, deliver)",
        )?;
        if self.queue_buffering_max_messages == 0
            || self.queue_buffering_max_messages > i32::MAX as u32
        {
            return Err(KafkaError::invalid(
                "queue_buffering_max_messages",
                format!(
                    "must be between 1 and 2147483647, got {}",
                    self.queue_buffering_max_messages
                ),
            ));
        }
        if self.queue_buffering_max_kbytes == 0 || self.queue_buffering_max_kbytes > i32::MAX as u32
        {
            return Err(KafkaError::invalid(
                "queue_buffering_max_kbytes",
                format!(
                    "must be between 1 and 2147483647, got {}",
                    self.queue_buffering_max_kbytes
                ),
            ));
        }
        at_most_ms(
            "queue_buffering_max_ms",
            self.queue_buffering_max,
            900_000,
            "15 minutes",
        )?;
        if let Some(id) = &self.transactional_id {
            if id.is_empty() {
                return Err(KafkaError::invalid("transactional_id", "must not be empty"));
            }
            if !self.enable_idempotence {
                return Err(KafkaError::invalid(
                    "enable_idempotence",
                    "must be true for a transactional producer (transactional_id is set)",
                ));
            }
            if self.transaction_timeout < Duration::from_secs(1) {
                return Err(KafkaError::invalid(
                    "transaction_timeout_ms",
                    format!(
                        "must be at least 1000, got {}",
                        self.transaction_timeout.as_millis()
                    ),
                ));
            }
            at_most_ms(
                "transaction_timeout_ms",
                self.transaction_timeout,
                900_000,
                "15 minutes, the broker's default transaction.max.timeout.ms",
            )?;
        }
        Ok(())
    }

    /// The queue's bound in KiB: the option, raised to one message of `message.max.bytes`
    /// where that property is larger (a message bigger than the bound would be refused as
    /// "queue full" forever).
    fn queue_kbytes(&self) -> u64 {
        u64::from(self.queue_buffering_max_kbytes)
            .max(self.client.message_max_bytes().div_ceil(1024))
            .min(i32::MAX as u64)
    }

    /// The librdkafka properties these options stand for.
    pub fn client_config(&self) -> ClientConfig {
        self.client.client_config(|config| {
            config
                .set(
                    "queue.buffering.max.messages",
                    self.queue_buffering_max_messages.to_string(),
                )
                .set(
                    "queue.buffering.max.kbytes",
                    self.queue_kbytes().to_string(),
                )
                .set(
                    "queue.buffering.max.ms",
                    self.queue_buffering_max.as_millis().to_string(),
                )
                .set("compression.codec", self.compression.name())
                .set("enable.idempotence", self.enable_idempotence.to_string())
                // Java's default, and what idempotence needs anyway. librdkafka's own, 1,000,000,
                // lets a non-idempotent producer answer each of many awaited sends with a request
                // of its own: 100 at once on Apache Kafka, 11-24k sends/s against 65-73k at 5.
                .set("max.in.flight.requests.per.connection", "5");
            if let Some(id) = &self.transactional_id {
                config.set("transactional.id", id.clone()).set(
                    "transaction.timeout.ms",
                    self.transaction_timeout.as_millis().to_string(),
                );
            }
            // The Java client's partitioner (librdkafka's default is CRC32-based): a key
            // lands on the same partition whichever client sent it. A message without a key
            // goes to a random partition. `topic_option("partitioner", ...)` overrides it.
            config.set_topic("partitioner", "murmur2_random");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ProducerConfig;

    #[test]
    fn each_typed_option_sets_the_first_property_it_names() {
        let config = ProducerConfig::new("localhost:9092")
            .transactional_id("t")
            .client_config();
        for (option, properties) in ProducerConfig::OPTION_PROPERTIES {
            assert!(
                config.get(properties[0]).is_some(),
                "{option}: {properties:?}"
            );
        }
    }
}
