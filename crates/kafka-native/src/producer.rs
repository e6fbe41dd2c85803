//! [`Producer`]: batch sends, delivery reports, stats, and a draining `stop()`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rdkafka_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use crate::config::{validate_topic_name, ClientConfig};
use crate::error::{ErrorCode, KafkaError};
use crate::events::{default_log, EventSink, EventsThread, LogHandler, LogRecord};
use crate::native::client::ClientKind;
use crate::native::{error_description, error_name, MessageView, NativeClient, NativeTopic};

/// kafka-native's default for how long `stop()` waits for the queue to drain.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Receives [`ProducerStats`] every `statistics_interval`.
pub type StatsHandler = Arc<dyn Fn(ProducerStats) + Send + Sync>;
/// Receives a [`DeliveryReport`] after each burst of delivery reports.
pub type DeliveryReportHandler = Arc<dyn Fn(DeliveryReport) + Send + Sync>;
/// Receives one [`MessageDelivery`] per message (opt-in; costs an allocation per message).
pub type MessageDeliveryHandler = Arc<dyn Fn(Vec<MessageDelivery>) + Send + Sync>;

/// Producer options. The defaults are kafka-native's.
///
/// ```
/// use std::time::Duration;
/// let config = kafka_native::ProducerConfig::new("localhost:9092")
///     .statistics_interval(Duration::from_secs(1))
///     .driver_option("linger.ms", "5");
/// assert_eq!(config.queue_buffering_max_messages, 500_000);
/// ```
#[derive(Clone)]
pub struct ProducerConfig {
    /// `bootstrap.servers`, e.g. `localhost:9092`.
    pub brokers: String,
    /// `statistics.interval.ms`; zero turns stats off. Default 5 s.
    pub statistics_interval: Duration,
    /// `queue.buffering.max.messages`: messages held locally before `send` stops enqueuing. Default 500,000.
    pub queue_buffering_max_messages: u32,
    /// `queue.buffering.max.ms`: how long to wait to fill a batch. Default 250 ms.
    pub queue_buffering_max: Duration,
    /// Any librdkafka global property, applied after the typed options (kafka-native's `driver_options`).
    pub driver_options: Vec<(String, String)>,
    /// Any librdkafka topic property (kafka-native's `topic_options`).
    pub topic_options: Vec<(String, String)>,
    pub on_stats: Option<StatsHandler>,
    pub on_delivery_report: Option<DeliveryReportHandler>,
    pub on_message_delivery: Option<MessageDeliveryHandler>,
    /// librdkafka's logs and client errors; without one, warnings and errors go to stderr.
    pub on_log: Option<LogHandler>,
}

impl ProducerConfig {
    pub fn new(brokers: impl Into<String>) -> Self {
        ProducerConfig {
            brokers: brokers.into(),
            statistics_interval: Duration::from_millis(5000),
            queue_buffering_max_messages: 500_000,
            queue_buffering_max: Duration::from_millis(250),
            driver_options: Vec::new(),
            topic_options: Vec::new(),
            on_stats: None,
            on_delivery_report: None,
            on_message_delivery: None,
            on_log: None,
        }
    }

    pub fn statistics_interval(mut self, interval: Duration) -> Self {
        self.statistics_interval = interval;
        self
    }

    pub fn queue_buffering_max_messages(mut self, max: u32) -> Self {
        self.queue_buffering_max_messages = max;
        self
    }

    pub fn queue_buffering_max(mut self, max: Duration) -> Self {
        self.queue_buffering_max = max;
        self
    }

    pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.driver_options.push((key.into(), value.into()));
        self
    }

    pub fn topic_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.topic_options.push((key.into(), value.into()));
        self
    }

    pub fn on_stats(mut self, f: impl Fn(ProducerStats) + Send + Sync + 'static) -> Self {
        self.on_stats = Some(Arc::new(f));
        self
    }

    pub fn on_delivery_report(
        mut self,
        f: impl Fn(DeliveryReport) + Send + Sync + 'static,
    ) -> Self {
        self.on_delivery_report = Some(Arc::new(f));
        self
    }

    pub fn on_message_delivery(
        mut self,
        f: impl Fn(Vec<MessageDelivery>) + Send + Sync + 'static,
    ) -> Self {
        self.on_message_delivery = Some(Arc::new(f));
        self
    }

    pub fn on_log(mut self, f: impl Fn(&LogRecord) + Send + Sync + 'static) -> Self {
        self.on_log = Some(Arc::new(f));
        self
    }

    /// The librdkafka properties these options stand for.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "kafka-native")
            .set(
                "statistics.interval.ms",
                self.statistics_interval.as_millis().to_string(),
            )
            .set(
                "queue.buffering.max.messages",
                self.queue_buffering_max_messages.to_string(),
            )
            .set(
                "queue.buffering.max.ms",
                self.queue_buffering_max.as_millis().to_string(),
            )
            .set("log.queue", "true");
        for (key, value) in &self.driver_options {
            config.set(key, value);
        }
        for (key, value) in &self.topic_options {
            config.set_topic(key, value);
        }
        config
    }
}

/// One message for [`Producer::send_records`]: optional key, optional payload (`None` is a null
/// value, a tombstone), and headers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Record<'a> {
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    pub headers: &'a [(&'a str, &'a [u8])],
}

/// What a `send` did.
#[derive(Debug)]
pub struct SendResult {
    /// How many messages were enqueued, from the first; the rest were not.
    pub enqueued: usize,
    /// Messages waiting to be delivered, after this call.
    pub send_queue_length: usize,
    /// Why the first message that was not enqueued was refused (e.g. `QueueFull`).
    pub not_enqueued: Option<KafkaError>,
}

/// Delivery results since the last report: kafka-native's `errors` and `rdkafka_errinfo`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub errors: u64,
    /// Failures counted per error code, with librdkafka's error string.
    pub error_counts: Vec<DeliveryErrorCount>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryErrorCount {
    pub code: ErrorCode,
    /// librdkafka's symbolic name, e.g. `_MSG_TIMED_OUT`.
    pub name: String,
    pub message: String,
    pub count: u64,
}

/// The outcome of one message (see [`ProducerConfig::on_message_delivery`]).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageDelivery {
    pub topic: String,
    pub partition: i32,
    /// The offset the broker gave it; -1 when it failed.
    pub offset: i64,
    pub error: Option<ErrorCode>,
}

/// Periodic producer statistics.
#[derive(Clone, Debug)]
pub struct ProducerStats {
    /// Messages waiting to be delivered.
    pub send_queue_length: usize,
    /// librdkafka's statistics, parsed.
    pub rdkafka_stats: serde_json::Value,
}

/// A Kafka producer.
///
/// `send` enqueues a whole batch with one librdkafka call and never blocks; a dedicated
/// `kn-events` thread serves delivery reports, stats and logs; `stop` waits until every enqueued
/// message is delivered or has failed.
///
/// ```no_run
/// use kafka_native::{Producer, ProducerConfig};
/// let producer = Producer::new(ProducerConfig::new("localhost:9092"))?;
/// let partitions = producer.partition_count("events", std::time::Duration::from_secs(5))?;
/// let sent = producer.send("events", 0, &["hello", "world"])?;
/// assert_eq!(sent.enqueued, 2);
/// producer.stop(kafka_native::DEFAULT_STOP_TIMEOUT)?;
/// # let _ = partitions;
/// # Ok::<(), kafka_native::KafkaError>(())
/// ```
pub struct Producer {
    inner: RwLock<Option<ProducerInner>>,
}

/// Field order is drop order: the events thread stops (releasing its queue) and the topic handles
/// go before the client handle is destroyed.
struct ProducerInner {
    events: EventsThread,
    /// Messages enqueued and not yet reported delivered or failed (may dip below zero for a
    /// moment: a report can be counted before its send is).
    in_flight: Arc<AtomicI64>,
    topics: Mutex<HashMap<String, Arc<NativeTopic>>>,
    client: Arc<NativeClient>,
}

impl Drop for ProducerInner {
    fn drop(&mut self) {
        // Anything still queued fails now (reported as purged) instead of holding up destroy.
        self.client.purge();
        self.events.stop();
    }
}

impl Producer {
    pub fn new(config: ProducerConfig) -> Result<Self, KafkaError> {
        let mut conf = config.client_config().to_native()?;
        conf.enable_events(
            rdsys::RD_KAFKA_EVENT_DR
                | rdsys::RD_KAFKA_EVENT_STATS
                | rdsys::RD_KAFKA_EVENT_ERROR
                | rdsys::RD_KAFKA_EVENT_LOG,
        );
        let client = Arc::new(NativeClient::new(ClientKind::Producer, conf)?);
        client.route_logs_to_main_queue()?;
        let in_flight = Arc::new(AtomicI64::new(0));
        let sink = ProducerEvents {
            client: client.clone(),
            in_flight: in_flight.clone(),
            report: DeliveryReport::default(),
            config,
        };
        let events = EventsThread::spawn(client.main_queue(), sink).map_err(|e| {
            KafkaError::ClientCreation {
                message: format!("could not start the events thread: {e}"),
            }
        })?;
        Ok(Producer {
            inner: RwLock::new(Some(ProducerInner {
                events,
                in_flight,
                topics: Mutex::new(HashMap::new()),
                client,
            })),
        })
    }

    /// Enqueues payloads for one partition with a single librdkafka call (librdkafka copies the bytes).
    /// Never blocks: when the local queue is full, the rest is reported as not enqueued.
    ///
    /// `partition` -1 lets librdkafka's partitioner choose.
    pub fn send<P: AsRef<[u8]>>(
        &self,
        topic: &str,
        partition: i32,
        payloads: &[P],
    ) -> Result<SendResult, KafkaError> {
        self.with_topic(topic, partition, |inner, rkt| {
            let outcome =
                rkt.produce_batch(partition, payloads.iter().map(|p| (None, Some(p.as_ref()))));
            finish_send(
                inner,
                payloads.len(),
                outcome.enqueued,
                outcome.first_error,
                topic,
                partition,
            )
        })
    }

    /// Enqueues records with keys and headers. Records without headers go in one librdkafka call;
    /// with headers, one call each (librdkafka's batch call cannot carry headers).
    pub fn send_records(
        &self,
        topic: &str,
        partition: i32,
        records: &[Record<'_>],
    ) -> Result<SendResult, KafkaError> {
        self.with_topic(topic, partition, |inner, rkt| {
            if records.iter().all(|r| r.headers.is_empty()) {
                let outcome =
                    rkt.produce_batch(partition, records.iter().map(|r| (r.key, r.payload)));
                return finish_send(
                    inner,
                    records.len(),
                    outcome.enqueued,
                    outcome.first_error,
                    topic,
                    partition,
                );
            }
            let mut enqueued = 0;
            let mut not_enqueued = None;
            for r in records {
                match rkt.produce_with_headers(
                    &inner.client,
                    partition,
                    r.key,
                    r.payload,
                    r.headers,
                ) {
                    Ok(()) => enqueued += 1,
                    Err(e) => {
                        not_enqueued = Some(e);
                        break;
                    }
                }
            }
            refuse_if_nothing_enqueued(records.len(), enqueued, not_enqueued, inner)
        })
    }

    /// Messages waiting to be delivered.
    pub fn send_queue_length(&self) -> usize {
        self.inner
            .read()
            .as_ref()
            .map_or(0, |inner| inner.client.out_queue_len())
    }

    /// The topic's partition count from broker metadata, retrying while the topic is being
    /// auto-created or has no leader yet, until `timeout`.
    pub fn partition_count(&self, topic: &str, timeout: Duration) -> Result<usize, KafkaError> {
        validate_topic_name(topic)?;
        let (client, rkt) = {
            let guard = self.inner.read();
            let inner = guard.as_ref().ok_or(KafkaError::Stopped)?;
            (inner.client.clone(), topic_handle(inner, topic)?)
        };
        crate::metadata::partition_count(&client, &rkt, topic, timeout, true)
    }

    /// Waits until every enqueued message is delivered or has failed (at most `timeout`), then
    /// stops the events thread and destroys the client. If time runs out, the messages left are
    /// failed, reported to the delivery report handler, and counted in `StopTimedOut`.
    /// A second call returns `Ok`.
    pub fn stop(&self, timeout: Duration) -> Result<(), KafkaError> {
        // Counted from our own tally of sends and delivery reports, not the out-queue length:
        // that also counts events (logs, errors) the events thread has not served yet.
        let delivered = match self.inner.read().as_ref() {
            Some(inner) => inner.client.flush(timeout) == resp::RD_KAFKA_RESP_ERR_NO_ERROR,
            None => return Ok(()),
        };
        let Some(inner) = self.inner.write().take() else {
            return Ok(());
        };
        let undelivered = inner.in_flight.load(Ordering::Acquire).max(1) as usize;
        drop(inner);
        if delivered {
            Ok(())
        } else {
            Err(KafkaError::StopTimedOut { undelivered })
        }
    }

    /// Runs one send on the topic's handle and counts what it enqueued as in flight.
    fn with_topic(
        &self,
        topic: &str,
        partition: i32,
        send: impl FnOnce(&ProducerInner, &NativeTopic) -> Result<SendResult, KafkaError>,
    ) -> Result<SendResult, KafkaError> {
        if partition < -1 {
            return Err(KafkaError::invalid(
                "partition",
                format!("must be a partition number (or -1 for any), got {partition}"),
            ));
        }
        let guard = self.inner.read();
        let inner = guard.as_ref().ok_or(KafkaError::Stopped)?;
        let rkt = topic_handle(inner, topic)?;
        let result = send(inner, &rkt)?;
        inner
            .in_flight
            .fetch_add(result.enqueued as i64, Ordering::AcqRel);
        Ok(result)
    }
}

/// The cached topic handle, created (after checking the name) on first use.
fn topic_handle(inner: &ProducerInner, topic: &str) -> Result<Arc<NativeTopic>, KafkaError> {
    let mut topics = inner.topics.lock();
    if let Some(rkt) = topics.get(topic) {
        return Ok(rkt.clone());
    }
    validate_topic_name(topic)?;
    let rkt = Arc::new(inner.client.topic(topic)?);
    topics.insert(topic.to_string(), rkt.clone());
    Ok(rkt)
}

fn finish_send(
    inner: &ProducerInner,
    requested: usize,
    enqueued: usize,
    first_error: Option<resp>,
    topic: &str,
    partition: i32,
) -> Result<SendResult, KafkaError> {
    let not_enqueued = first_error.map(|code| {
        KafkaError::kafka(code, &format!("send to {topic}/{partition}"), String::new())
    });
    refuse_if_nothing_enqueued(requested, enqueued, not_enqueued, inner)
}

/// A full queue is backpressure (`Ok` with a count); any other reason for enqueuing nothing is an error.
fn refuse_if_nothing_enqueued(
    requested: usize,
    enqueued: usize,
    not_enqueued: Option<KafkaError>,
    inner: &ProducerInner,
) -> Result<SendResult, KafkaError> {
    if let Some(e) = not_enqueued {
        if enqueued == 0 && requested > 0 && e.code() != Some(ErrorCode::QueueFull) {
            return Err(e);
        }
        return Ok(SendResult {
            enqueued,
            send_queue_length: inner.client.out_queue_len(),
            not_enqueued: Some(e),
        });
    }
    Ok(SendResult {
        enqueued,
        send_queue_length: inner.client.out_queue_len(),
        not_enqueued: None,
    })
}

/// Runs on `kn-events`: aggregates delivery reports, parses stats, forwards logs.
struct ProducerEvents {
    client: Arc<NativeClient>,
    in_flight: Arc<AtomicI64>,
    report: DeliveryReport,
    config: ProducerConfig,
}

impl EventSink for ProducerEvents {
    fn delivery_report(&mut self, messages: &[MessageView<'_>]) {
        self.in_flight
            .fetch_sub(messages.len() as i64, Ordering::AcqRel);
        for m in messages {
            match m.error() {
                None => self.report.delivered += 1,
                Some(code) => {
                    self.report.errors += 1;
                    let code_id: ErrorCode = code.into();
                    match self
                        .report
                        .error_counts
                        .iter_mut()
                        .find(|c| c.code == code_id)
                    {
                        Some(c) => c.count += 1,
                        None => self.report.error_counts.push(DeliveryErrorCount {
                            code: code_id,
                            name: error_name(code),
                            message: error_description(code),
                            count: 1,
                        }),
                    }
                }
            }
        }
        if let Some(on_message) = &self.config.on_message_delivery {
            on_message(
                messages
                    .iter()
                    .map(|m| MessageDelivery {
                        topic: m.topic_name(),
                        partition: m.partition(),
                        offset: if m.error().is_some() { -1 } else { m.offset() },
                        error: m.error().map(Into::into),
                    })
                    .collect(),
            );
        }
    }

    fn stats(&mut self, json: &str) {
        let Some(on_stats) = &self.config.on_stats else {
            return;
        };
        match serde_json::from_str(json) {
            Ok(rdkafka_stats) => on_stats(ProducerStats {
                send_queue_length: self.client.out_queue_len(),
                rdkafka_stats,
            }),
            Err(e) => self.log(LogRecord {
                level: 4,
                facility: "STATS".into(),
                message: format!("unparsable stats JSON: {e}"),
                error: None,
            }),
        }
    }

    fn log(&mut self, record: LogRecord) {
        match &self.config.on_log {
            Some(on_log) => on_log(&record),
            None => default_log(&record),
        }
    }

    fn burst_done(&mut self) {
        if self.report.delivered == 0 && self.report.errors == 0 {
            return;
        }
        let report = std::mem::take(&mut self.report);
        if let Some(on_report) = &self.config.on_delivery_report {
            on_report(report);
        }
    }
}
