//! [`Producer`]: batch sends, delivery reports, stats, and a draining `stop()`.

use crate::health::{Health, HealthMonitor};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_native_sys as rdsys;
use parking_lot::{Mutex, RwLock};
use rdsys::rd_kafka_resp_err_t as resp;

use crate::config::{log_error, log_warning, validate_topic_name};
use crate::connection::BrokerErrors;
use crate::error::{DeliveryErrorCount, ErrorCode, KafkaError};
use crate::events::{EventSink, Events, EventsThread, LogHandler, LogRecord, WokenEvents};
use crate::metadata::Retry;
use crate::native::client::ClientKind;
use crate::native::{error_description, error_name, MessageView, NativeClient, NativeTopic};
use crate::record::Record;
pub use delivery_future::Delivery;
use tickets::Tickets;
pub use tickets::{Delivered, DeliveryCallback};

mod config;
mod delivery_future;
mod report;
pub(crate) mod tickets;
mod transactions;

pub use config::{Compression, EventsWake, ProducerConfig, DEFAULT_TRANSACTION_TIMEOUT};
pub use report::{DeliveryReport, MessageDelivery, ProducerStats, SendResult};

/// kafka-native's default for how long `stop()` waits for the queue to drain.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A Kafka producer.
///
/// `send` enqueues a whole batch with one librdkafka call and never blocks; a dedicated
/// `kn-events` thread (or the caller, see [`ProducerConfig::serve_events_when_woken`]) serves
/// delivery reports, stats and logs; `stop` waits until every enqueued
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
    /// The inner tally, readable without the lock (see [`Producer::in_flight`]).
    in_flight: Arc<AtomicI64>,
    /// The events, when the caller serves them ([`ProducerConfig::serve_events_when_woken`]):
    /// served without the lock, so a handler may send again while `stop()` waits for it.
    woken: Option<Arc<WokenEvents>>,
}

/// Field order is drop order: the events stop being served (releasing their queue) and the
/// topic handles go before the client handle is destroyed.
struct ProducerInner {
    events: Events,
    /// Messages enqueued and not yet reported delivered or failed (may dip below zero for a
    /// moment: a report can be counted before its send is).
    in_flight: Arc<AtomicI64>,
    /// Every message that was not delivered, by error; `stop()` fails when there is any.
    failures: Arc<Mutex<Failures>>,
    /// `deliver` calls waiting for their delivery reports.
    tickets: Arc<Mutex<Tickets>>,
    brokers: Arc<BrokerErrors>,
    health: Arc<HealthMonitor>,
    metadata_timeout: Duration,
    /// It has a transactional id: it sends only inside a transaction.
    transactional: bool,
    /// `transaction_timeout_ms`, and when the transaction under way began: an error that says
    /// fenced tells by them whether the broker's timeout can have aborted it.
    transaction_timeout: Duration,
    transaction_began: Mutex<Option<Instant>>,
    topics: Mutex<HashMap<String, Arc<NativeTopic>>>,
    client: Arc<NativeClient>,
}

/// The messages a producer failed to deliver over its life, counted per error.
#[derive(Default)]
struct Failures {
    failed: u64,
    errors: Vec<DeliveryErrorCount>,
}

impl Drop for ProducerInner {
    fn drop(&mut self) {
        // Anything still queued fails now (reported as purged) instead of holding up destroy.
        self.client.purge();
        self.events.stop();
    }
}

impl Producer {
    /// Checks the configuration (errors name the option) and makes the producer; it connects at its
    /// first send.
    pub fn new(config: ProducerConfig) -> Result<Self, KafkaError> {
        config.validate()?;
        let mut conf = config.client_config().to_native()?;
        conf.enable_events(
            rdsys::RD_KAFKA_EVENT_DR
                | rdsys::RD_KAFKA_EVENT_STATS
                | rdsys::RD_KAFKA_EVENT_ERROR
                | rdsys::RD_KAFKA_EVENT_LOG,
        );
        conf.set_hooks(config.client.hooks());
        let client = Arc::new(NativeClient::new(ClientKind::Producer, conf)?);
        client.route_logs_to_main_queue()?;
        let in_flight = Arc::new(AtomicI64::new(0));
        let failures = Arc::new(Mutex::new(Failures::default()));
        let tickets = Arc::new(Mutex::new(Tickets::default()));
        let brokers = Arc::new(BrokerErrors::default());
        let metadata_timeout = config.metadata_timeout;
        let transactional = config.transactional_id.is_some();
        let transaction_timeout = config.transaction_timeout;
        let wake = config.events_wake.clone();
        let health = Arc::new(HealthMonitor::new(
            config.client.socket_timeout(),
            None,
            false,
        ));
        let sink = ProducerEvents {
            client: client.clone(),
            in_flight: in_flight.clone(),
            failures: failures.clone(),
            tickets: tickets.clone(),
            report: DeliveryReport::default(),
            failed_where: Vec::new(),
            log: config.client.logger(),
            health: health.clone(),
            config,
        };
        let (events, woken) = match wake {
            Some(wake) => {
                let woken = Arc::new(WokenEvents::enable(
                    client.main_queue(),
                    brokers.clone(),
                    sink,
                    wake,
                ));
                (Events::Woken(woken.clone()), Some(woken))
            }
            None => {
                let thread = EventsThread::spawn(client.main_queue(), brokers.clone(), sink)
                    .map_err(|e| KafkaError::ClientCreation {
                        message: format!("could not start the events thread: {e}"),
                    })?;
                (Events::Thread(thread), None)
            }
        };
        Ok(Producer {
            in_flight: in_flight.clone(),
            woken,
            inner: RwLock::new(Some(ProducerInner {
                events,
                in_flight,
                failures,
                tickets,
                brokers,
                health,
                metadata_timeout,
                transactional,
                transaction_timeout,
                transaction_began: Mutex::new(None),
                topics: Mutex::new(HashMap::new()),
                client,
            })),
        })
    }

    /// Enqueues payloads for one partition with a single librdkafka call (librdkafka copies the
    /// bytes).
    /// Never blocks: when the local queue is full, the rest is reported as not enqueued.
    ///
    /// `partition` -1 lets the partitioner choose (by key, as the Java client does).
    pub fn send<P: AsRef<[u8]>>(
        &self,
        topic: &str,
        partition: i32,
        payloads: &[P],
    ) -> Result<SendResult, KafkaError> {
        self.with_topic(topic, partition, |inner, rkt| {
            let outcome = rkt.produce_batch(
                partition,
                payloads.iter().map(|p| (None, Some(p.as_ref()))),
                0,
            );
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

    /// Enqueues records with keys and headers. Records without headers or timestamps go in one
    /// librdkafka call; with either, one call each (librdkafka's batch call carries neither).
    pub fn send_records(
        &self,
        topic: &str,
        partition: i32,
        records: &[Record<'_>],
    ) -> Result<SendResult, KafkaError> {
        self.enqueue_records(topic, partition, records, 0)
    }

    /// Enqueues records like [`Producer::send_records`], and calls `on_delivered` once every
    /// enqueued record is delivered, with where each landed (in order), or with the first
    /// failure. `on_delivered` runs where the events are served (the `kn-events` thread, or the
    /// caller of [`Producer::serve_events`]). Records the local queue refused
    /// are counted in the returned `SendResult` and are not waited for. When `deliver` returns
    /// `Err`, nothing was enqueued and `on_delivered` is never called.
    ///
    /// ```no_run
    /// # let producer = kafka_native::Producer::new(kafka_native::ProducerConfig::new("x:9092"))?;
    /// let record = kafka_native::Record { key: Some(b"k"), payload: Some(b"v"),
    /// ..Default::default() };
    /// producer.deliver("events", -1, &[record], |result| match result {
    ///     Ok(landed) => println!("at {}/{}", landed[0].partition, landed[0].offset),
    ///     Err(e) => eprintln!("not delivered: {e}"),
    /// })?;
    /// # Ok::<(), kafka_native::KafkaError>(())
    /// ```
    pub fn deliver(
        &self,
        topic: &str,
        partition: i32,
        records: &[Record<'_>],
        on_delivered: impl FnOnce(Result<Vec<Delivered>, KafkaError>) + Send + 'static,
    ) -> Result<SendResult, KafkaError> {
        let tickets = match self.inner.read().as_ref() {
            Some(inner) => inner.tickets.clone(),
            None => return Err(KafkaError::Stopped),
        };
        let (id, first_opaque) = tickets.lock().open(records.len(), Box::new(on_delivered))?;
        match self.enqueue_records(topic, partition, records, first_opaque) {
            Ok(sent) => {
                let done = tickets.lock().enqueued(id, sent.enqueued);
                if let Some((callback, result)) = done {
                    callback(result);
                }
                Ok(sent)
            }
            Err(e) => {
                tickets.lock().abandon(id);
                Err(e)
            }
        }
    }

    /// [`Producer::deliver`] as a future, on any executor: resolves once every enqueued record
    /// is delivered, with where each landed (in order), or with the first failure. Enqueueing
    /// happens in this call (it never waits on the network); `Err` means nothing was enqueued.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), kafka_native::KafkaError> {
    /// use kafka_native::{Producer, ProducerConfig, Record};
    /// let producer = Producer::new(ProducerConfig::new("localhost:9092").queue_buffering_max(std::
    /// time::Duration::ZERO))?;
    /// let record = Record { key: Some(b"k"), payload: Some(b"v"), ..Default::default() };
    /// let landed = producer.deliver_async("events", -1, &[record])?.await?;
    /// println!("at {}/{}", landed[0].partition, landed[0].offset);
    /// # Ok(()) }
    /// ```
    pub fn deliver_async(
        &self,
        topic: &str,
        partition: i32,
        records: &[Record<'_>],
    ) -> Result<Delivery, KafkaError> {
        let (sender, slot) = Delivery::channel();
        let sent = self.deliver(topic, partition, records, move |result| {
            sender.complete(result)
        })?;
        Ok(Delivery::new(slot, sent))
    }

    /// Enqueues records; with `first_opaque` non-zero, record i carries `first_opaque + i`.
    fn enqueue_records(
        &self,
        topic: &str,
        partition: i32,
        records: &[Record<'_>],
        first_opaque: usize,
    ) -> Result<SendResult, KafkaError> {
        self.with_topic(topic, partition, |inner, rkt| {
            if records
                .iter()
                .all(|r| r.headers.is_empty() && r.timestamp.is_none())
            {
                let outcome = rkt.produce_batch(
                    partition,
                    records.iter().map(|r| (r.key, r.payload)),
                    first_opaque,
                );
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
            for (i, r) in records.iter().enumerate() {
                let opaque = if first_opaque == 0 {
                    0
                } else {
                    first_opaque + i
                };
                match rkt.produce_one(&inner.client, partition, r, opaque) {
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

    /// Serves the events waiting (delivery reports, stats, logs) on the calling thread, running
    /// their handlers here, for a producer made with
    /// [`ProducerConfig::serve_events_when_woken`]; returns how many it served (at most a
    /// burst: when more are left, the producer wakes its caller again). Does nothing for a
    /// producer with a `kn-events` thread, or once stopped. A handler it runs must not call
    /// `serve_events` or `stop` of this producer.
    pub fn serve_events(&self) -> usize {
        self.woken.as_ref().map_or(0, |woken| woken.serve())
    }

    /// Messages enqueued and not yet reported delivered or failed. Takes no lock: a caller on
    /// an event loop can ask it at any time (Node keeps the process alive while it is above 0).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire).max(0) as usize
    }

    /// Messages waiting to be delivered.
    pub fn send_queue_length(&self) -> usize {
        self.inner
            .read()
            .as_ref()
            .map_or(0, |inner| inner.client.out_queue_len())
    }

    /// The topic's partition count from broker metadata, retrying while the topic is being
    /// auto-created or has no leader yet, until `timeout`. Fails at once, with librdkafka's
    /// reason, when no broker can be reached for a reason waiting cannot clear (a name that
    /// does not resolve, say).
    pub fn partition_count(&self, topic: &str, timeout: Duration) -> Result<usize, KafkaError> {
        validate_topic_name(topic)?;
        let (client, rkt, brokers) = {
            let guard = self.inner.read();
            let inner = guard.as_ref().ok_or(KafkaError::Stopped)?;
            (
                inner.client.clone(),
                topic_handle(inner, topic)?,
                inner.brokers.clone(),
            )
        };
        let retry = Retry {
            what: &format!("partition count of topic {topic:?}"),
            timeout,
            brokers: &brokers,
            cancel: None,
        };
        crate::metadata::partition_count(&client, &rkt, topic, &retry, true)
    }

    /// [`Producer::partition_count`] with the config's `metadata_timeout`.
    pub fn partition_count_default(&self, topic: &str) -> Result<usize, KafkaError> {
        let timeout = match self.inner.read().as_ref() {
            Some(inner) => inner.metadata_timeout,
            None => return Err(KafkaError::Stopped),
        };
        self.partition_count(topic, timeout)
    }

    /// How this producer is doing, as it sees it: its brokers and its fatal error. Asks nothing
    /// of the network: the figures are the last statistics interval's.
    pub fn health(&self) -> Health {
        match self.inner.read().as_ref() {
            Some(inner) => inner.health.snapshot(inner.client.fatal_error()),
            None => Health::stopped("stopped"),
        }
    }

    /// Waits until every enqueued message is delivered or has failed (at most `timeout`), then
    /// stops the events thread and destroys the client. Fails when any message this producer
    /// enqueued was not delivered: `StopTimedOut` when time ran out (the messages left are
    /// failed and reported to the delivery report handler), else `Undelivered` with the count
    /// per error. A second call returns `Ok`.
    pub fn stop(&self, timeout: Duration) -> Result<(), KafkaError> {
        // The flush waits on the network: not under the lock, which send() takes (a writer
        // waiting behind a long read would hold up every send on the caller's event loop).
        let client = match self.inner.read().as_ref() {
            Some(inner) => inner.client.clone(),
            None => return Ok(()),
        };
        let drained = self.flush(&client, timeout);
        drop(client);
        let Some(inner) = self.inner.write().take() else {
            return Ok(());
        };
        // Counted from our own tally of sends and delivery reports, not the out-queue length:
        // that also counts events (logs, errors) the events thread has not served yet.
        let undelivered = inner.in_flight.load(Ordering::Acquire).max(1) as usize;
        let failures = inner.failures.clone();
        drop(inner); // purges what is left and serves the last delivery reports
        if !drained {
            return Err(KafkaError::StopTimedOut { undelivered });
        }
        let failures = std::mem::take(&mut *failures.lock());
        if failures.failed > 0 {
            return Err(KafkaError::Undelivered {
                failed: failures.failed,
                errors: failures.errors,
            });
        }
        Ok(())
    }

    /// Waits until every enqueued message is delivered or has failed, at most `timeout`.
    /// librdkafka counts a message until its delivery report is served, so where the caller
    /// serves the events this serves them too, in case nobody else is (a caller waiting for
    /// this call, say): from time to time, as librdkafka signals only the count reaching zero.
    fn flush(&self, client: &NativeClient, timeout: Duration) -> bool {
        let Some(woken) = &self.woken else {
            return client.flush(timeout) == resp::RD_KAFKA_RESP_ERR_NO_ERROR;
        };
        const SERVE_EVERY: Duration = Duration::from_millis(10);
        let deadline = std::time::Instant::now() + timeout;
        loop {
            woken.serve();
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if client.flush(left.min(SERVE_EVERY)) == resp::RD_KAFKA_RESP_ERR_NO_ERROR {
                return true;
            }
            if left <= SERVE_EVERY {
                return false;
            }
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
    let rkt = Arc::new(NativeTopic::new(&inner.client, topic)?);
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
    let context = format!("send to {topic}/{partition}");
    let not_enqueued = first_error.map(|code| match code {
        // librdkafka's own text for a refusal after a fatal error is only "Fatal error": say
        // which. (Asked only then: a full queue, the common refusal, takes no lock here.)
        resp::RD_KAFKA_RESP_ERR__FATAL => {
            failed_by_fatal_error(inner.client.fatal_error(), &context)
        }
        resp::RD_KAFKA_RESP_ERR__STATE if inner.transactional => KafkaError::kafka(
            code,
            &context,
            "a transactional producer sends only inside a transaction: begin_transaction() first"
                .to_string(),
        ),
        _ => KafkaError::kafka(code, &context, String::new()),
    });
    refuse_if_nothing_enqueued(requested, enqueued, not_enqueued, inner)
}

/// The error for records a producer with a fatal error refused (`_FATAL`) or gave up on (it
/// purges what it holds: `_PURGE_QUEUE`, "Purged in queue", as if the caller had purged them):
/// `_FATAL`, naming the fatal error (`NativeClient::fatal_error`), so that the caller knows to
/// stop this producer.
fn failed_by_fatal_error(fatal: Option<KafkaError>, context: &str) -> KafkaError {
    let why = match fatal {
        Some(KafkaError::Kafka { name, message, .. }) => format!(": {message} ({name})"),
        _ => String::new(),
    };
    // KafkaError::kafka marks _FATAL fatal.
    KafkaError::kafka(
        resp::RD_KAFKA_RESP_ERR__FATAL,
        context,
        format!("the producer had a fatal error and must be stopped{why}"),
    )
}

/// A full queue is backpressure (`Ok` with a count); any other reason for enqueuing nothing is an
/// error.
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

/// Runs where the events are served: aggregates delivery reports, keeps and logs failures, parses
/// stats,
/// forwards logs.
struct ProducerEvents {
    client: Arc<NativeClient>,
    in_flight: Arc<AtomicI64>,
    failures: Arc<Mutex<Failures>>,
    tickets: Arc<Mutex<Tickets>>,
    report: DeliveryReport,
    /// Where this burst's failures went: error, topic, partition, count (for the log).
    failed_where: Vec<(resp, String, i32, u64)>,
    log: LogHandler,
    health: Arc<HealthMonitor>,
    config: ProducerConfig,
}

/// Adds one failure with `code` to a count per error.
fn count_error(counts: &mut Vec<DeliveryErrorCount>, code: resp, n: u64) {
    let code_id: ErrorCode = code.into();
    match counts.iter_mut().find(|c| c.code == code_id) {
        Some(c) => c.count += n,
        None => counts.push(DeliveryErrorCount {
            code: code_id,
            name: error_name(code),
            message: error_description(code),
            count: n,
        }),
    }
}

/// Messages' errors as a producer counts, logs and reports them: a message purged because the
/// producer had a fatal error (librdkafka then purges what it holds and reports `_PURGE_QUEUE`,
/// as if the caller had) failed with `_FATAL`, as `deliver()` says.
struct ReportedErrors<'a> {
    client: &'a NativeClient,
    /// Whether the producer has a fatal error: asked at the first purged message only.
    fatal: std::cell::OnceCell<bool>,
}

impl<'a> ReportedErrors<'a> {
    fn new(client: &'a NativeClient) -> Self {
        ReportedErrors {
            client,
            fatal: std::cell::OnceCell::new(),
        }
    }

    fn of(&self, m: &MessageView<'_>) -> Option<resp> {
        let code = m.error()?;
        let purged = matches!(
            code,
            resp::RD_KAFKA_RESP_ERR__PURGE_QUEUE | resp::RD_KAFKA_RESP_ERR__PURGE_INFLIGHT
        );
        if !purged {
            return Some(code);
        }
        let fatal = *self
            .fatal
            .get_or_init(|| self.client.fatal_error().is_some());
        Some(if fatal {
            resp::RD_KAFKA_RESP_ERR__FATAL
        } else {
            code
        })
    }
}

impl ProducerEvents {
    /// Hands the reports of messages sent by `deliver` to their tickets, and calls the
    /// callbacks of the tickets they complete (outside the lock).
    fn answer_tickets(&self, messages: &[MessageView<'_>], reported: &ReportedErrors<'_>) {
        let mut done = Vec::new();
        {
            let mut tickets = self.tickets.lock();
            for m in messages.iter().filter(|m| m.opaque() != 0) {
                let outcome = match reported.of(m) {
                    None => Ok(Delivered {
                        partition: m.partition(),
                        offset: m.offset(),
                    }),
                    Some(code) => Err(code),
                };
                let (topic, partition) = (m.topic(), m.partition());
                let client = &self.client;
                done.extend(tickets.report(m.opaque(), outcome, |code: resp| {
                    let context = format!("deliver to {topic}/{partition}");
                    if code == resp::RD_KAFKA_RESP_ERR__FATAL {
                        failed_by_fatal_error(client.fatal_error(), &context)
                    } else {
                        KafkaError::kafka(code, &context, String::new())
                    }
                }));
            }
        }
        for (callback, result) in done {
            callback(result);
        }
    }
}

impl EventSink for ProducerEvents {
    fn delivery_report(&mut self, messages: &[MessageView<'_>]) {
        self.in_flight
            .fetch_sub(messages.len() as i64, Ordering::AcqRel);
        let reported = ReportedErrors::new(&self.client);
        self.answer_tickets(messages, &reported);
        for m in messages {
            match reported.of(m) {
                None => self.report.delivered += 1,
                Some(code) => {
                    self.report.errors += 1;
                    count_error(&mut self.report.error_counts, code, 1);
                    let partition = m.partition();
                    match self
                        .failed_where
                        .iter_mut()
                        .find(|(c, _, p, _)| *c == code && *p == partition)
                    {
                        Some(entry) => entry.3 += 1,
                        None => self.failed_where.push((code, m.topic_name(), partition, 1)),
                    }
                }
            }
        }
        if let Some(on_message) = &self.config.on_message_delivery {
            on_message(
                messages
                    .iter()
                    .map(|m| {
                        let error = reported.of(m);
                        MessageDelivery {
                            topic: m.topic_name(),
                            partition: m.partition(),
                            offset: if error.is_some() { -1 } else { m.offset() },
                            error: error.map(Into::into),
                        }
                    })
                    .collect(),
            );
        }
    }

    fn stats(&mut self, json: &str) {
        let rdkafka_stats = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                return log_warning(&self.log, "STATS", format!("unparsable stats JSON: {e}"))
            }
        };
        for line in self.health.observe_stats(&rdkafka_stats) {
            (self.log)(&line);
        }
        if let Some(on_stats) = &self.config.on_stats {
            on_stats(ProducerStats {
                send_queue_length: self.client.out_queue_len(),
                rdkafka_stats,
                delivery_failures: self.failures.lock().errors.clone(),
            });
        }
    }

    fn log(&mut self, record: LogRecord) {
        (self.log)(&record)
    }

    fn observe_error(&mut self, record: &LogRecord) {
        self.health.observe_error(record)
    }

    fn burst_done(&mut self) {
        if self.report.delivered == 0 && self.report.errors == 0 {
            return;
        }
        let report = std::mem::take(&mut self.report);
        if report.errors > 0 {
            let mut failures = self.failures.lock();
            failures.failed += report.errors;
            for c in &report.error_counts {
                match failures.errors.iter_mut().find(|f| f.code == c.code) {
                    Some(f) => f.count += c.count,
                    None => failures.errors.push(c.clone()),
                }
            }
            drop(failures);
            // Every failure is logged, with or without a delivery report handler.
            for (code, topic, partition, count) in std::mem::take(&mut self.failed_where) {
                log_error(
                    &self.log,
                    &format!("DELIVERY {}", error_name(code)),
                    format!(
                        "{count} message(s) to {topic}/{partition} not delivered: {}",
                        error_description(code)
                    ),
                );
            }
        }
        if let Some(on_report) = &self.config.on_delivery_report {
            on_report(report);
        }
    }
}
