//! A client's health as the client itself sees it, read without asking the network: each
//! broker's connection as librdkafka's statistics last showed it, the consumer's partitions with
//! their lag and progress, its group, and the fatal error if any. The monitor is fed on
//! `kn-events` at every statistics interval (and by client errors); `health()` copies it under a
//! short lock. It also says, once each, when a broker goes down or comes back and when a
//! partition stops progressing or moves again: the log lines an operator reads.

use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use serde_json::Value;

use crate::connection::is_connection_error;
use crate::error::{ErrorCode, KafkaError};
use crate::events::LogRecord;

/// How a client is doing, as [`Health::status`] sums it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    /// Every broker it was connected to answers, and every partition progresses.
    Ok,
    /// It works, but a broker it was connected to is down or not answering, no broker has been
    /// reached yet, or a partition is stuck.
    Degraded,
    /// It has a fatal error: it can do nothing more.
    Failed,
    /// Not started yet, or stopped.
    Stopped,
}

impl HealthStatus {
    /// `ok`, `degraded`, `failed` or `stopped`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Failed => "failed",
            HealthStatus::Stopped => "stopped",
        }
    }
}

/// One broker as the client sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerHealth {
    /// The broker's node id.
    pub id: i32,
    /// `host:port`.
    pub address: String,
    /// librdkafka's state of the connection: `UP`, `DOWN`, `CONNECT`, `INIT`, …
    pub connection: String,
    /// The client had a connection and lost it, or requests have waited `socket.timeout.ms`
    /// with no answer (a frozen broker keeps its connection `UP`).
    pub down: bool,
    /// Requests have waited a few seconds (5 s; a consumer's `fetch_wait_max` more) with nothing
    /// received from the broker: a broker that swallows what it is sent, or one much slower
    /// than usual (a leader holding produce requests while a follower leaves the ISR). It is
    /// called down only once they have waited `socket.timeout.ms`.
    pub not_answering: bool,
    /// Since when, while `down`.
    pub down_since: Option<SystemTime>,
    /// The last error librdkafka reported about this broker.
    pub last_error: Option<String>,
    /// Requests sent and not answered yet.
    pub waiting_requests: u64,
    /// The throttle time the broker asked for, on average over the last interval.
    pub throttle_ms: u64,
    /// Round-trip time, on average over the last interval.
    pub rtt_ms: f64,
}

/// One partition a consumer reads.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionHealth {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// Messages after the next one to hand over, up to what the consumer may read (the last
    /// stable offset under read_committed); `None` until a fetch has answered.
    pub lag: Option<u64>,
    /// The next offset to hand over (`None` before the first).
    pub next_offset: Option<i64>,
    /// Since when nothing was handed over while there was something to read.
    pub stalled_since: Option<SystemTime>,
    /// Stalled for at least the consumer's `stuck_after`.
    pub stuck: bool,
}

/// A consumer's group membership, as librdkafka's statistics show it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupHealth {
    /// librdkafka's `cgrp.state`: `up` once it knows its coordinator.
    pub state: String,
    /// librdkafka's `cgrp.join_state`: `steady` once assigned.
    pub join_state: String,
    /// Rebalances so far.
    pub rebalances: u64,
    /// The time since the last rebalance (`None` before the first).
    pub since_rebalance: Option<Duration>,
    /// Partitions assigned to this member.
    pub assigned: u64,
}

/// What [`crate::Producer::health`] and [`crate::Consumer::health`] return.
#[derive(Debug)]
pub struct Health {
    /// The client in a word.
    pub status: HealthStatus,
    /// Why the status is not `Ok`, one sentence each.
    pub reasons: Vec<String>,
    /// The brokers of the cluster the client learned (none before its first metadata).
    pub brokers: Vec<BrokerHealth>,
    /// A consumer's partitions (empty for a producer).
    pub partitions: Vec<PartitionHealth>,
    /// A group consumer's membership.
    pub group: Option<GroupHealth>,
    /// The fatal error that ended the client, if one did.
    pub fatal_error: Option<KafkaError>,
    /// When statistics last updated this; `None` before the first (every
    /// `statistics_interval`, 5 s by default; with statistics off only errors update it).
    pub updated: Option<SystemTime>,
}

impl Health {
    /// The health of a client that is not running.
    pub(crate) fn stopped(reason: &str) -> Health {
        Health {
            status: HealthStatus::Stopped,
            reasons: vec![reason.to_string()],
            brokers: Vec::new(),
            partitions: Vec::new(),
            group: None,
            fatal_error: None,
            updated: None,
        }
    }
}

/// One partition's numbers at a statistics interval, as the consumer computes them.
pub(crate) struct PartitionSample {
    pub topic: String,
    pub partition: i32,
    pub lag: Option<u64>,
    pub next_offset: Option<i64>,
}

/// How long a broker the cluster no longer lists is kept, down, before it is taken for removed
/// from the cluster and forgotten.
const FORGET_UNLISTED: Duration = Duration::from_secs(600);

struct BrokerTrack {
    health: BrokerHealth,
    /// librdkafka's name for it, which starts its errors about the broker: `host:port/id`, with
    /// the protocol in front for TLS and SASL (`sasl_ssl://host:port/id`).
    name: String,
    /// Since when librdkafka no longer lists it (the cluster's metadata left it out).
    unlisted_since: Option<Instant>,
    /// Has been `UP`: losing the connection afterwards is news.
    was_up: bool,
    /// Responses received (librdkafka's `rx`) at the last sample, and when that count last
    /// moved (or nothing waited).
    rx: u64,
    answered_at: Instant,
}

struct PartitionTrack {
    health: PartitionHealth,
    progressed_at: Instant,
}

/// How long a connection error counts as "no broker reached yet" after it was said, when no
/// broker is known (with statistics off, none ever is): past librdkafka's 30 s in which it says
/// an identical error once.
const UNREACHED_FOR: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Tracked {
    brokers: Vec<BrokerTrack>,
    partitions: Vec<PartitionTrack>,
    group: Option<GroupHealth>,
    /// The last connection error while no broker of the cluster is known yet, and when.
    unreached: Option<(String, Instant)>,
    updated: Option<SystemTime>,
}

/// How long requests may wait with nothing received before a broker counts as not answering,
/// unless the client says otherwise ([`HealthMonitor::answering_within`]).
pub(crate) const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Fed on `kn-events`, read by `health()`.
pub(crate) struct HealthMonitor {
    socket_timeout: Duration,
    answer_within: Duration,
    stuck_after: Option<Duration>,
    /// A group consumer: its group's state is part of its health.
    in_group: bool,
    tracked: Mutex<Tracked>,
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn str_at(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// `, last error: …` when the broker has one, for a line saying why it is down.
fn last_error_told(h: &BrokerHealth) -> String {
    h.last_error
        .as_ref()
        .map(|e| format!(", last error: {e}"))
        .unwrap_or_default()
}

/// Marks a broker down since `wall` and returns the warning that says so, with `why`.
fn went_down(h: &mut BrokerHealth, wall: SystemTime, why: String) -> LogRecord {
    h.down = true;
    h.down_since = Some(wall);
    record(
        4,
        "BROKERDOWN",
        format!("broker {} (id {}) is down: {why}", h.address, h.id),
    )
}

fn record(level: i32, facility: &str, message: String) -> LogRecord {
    LogRecord {
        level,
        facility: facility.to_string(),
        message,
        error: None,
    }
}

impl HealthMonitor {
    /// `stuck_after`: how long a partition with messages to read may hand none over before it
    /// counts as stuck (`None`: never; producers).
    pub(crate) fn new(
        socket_timeout: Duration,
        stuck_after: Option<Duration>,
        in_group: bool,
    ) -> Self {
        HealthMonitor {
            socket_timeout,
            answer_within: ANSWER_WITHIN,
            stuck_after,
            in_group,
            tracked: Mutex::new(Tracked::default()),
        }
    }

    /// Counts a broker as not answering once requests have waited `within` with nothing
    /// received (5 s by default): a consumer's fetch may wait `fetch_wait_max` for data by
    /// design.
    pub(crate) fn answering_within(mut self, within: Duration) -> Self {
        self.answer_within = within;
        self
    }

    /// Takes librdkafka's statistics: the brokers and, for a consumer, its group. Returns the
    /// lines to log (a broker down, or back).
    pub(crate) fn observe_stats(&self, stats: &Value) -> Vec<LogRecord> {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut lines = Vec::new();
        let mut tracked = self.tracked.lock();
        tracked.updated = Some(wall);
        let listed: Vec<&Value> = stats
            .get("brokers")
            .and_then(Value::as_object)
            .map(|brokers| brokers.values().collect())
            .unwrap_or_default();
        let mut seen = Vec::new();
        for b in listed {
            // Bootstrap and internal brokers have no node id: only the cluster's own count.
            let Some(id) = b
                .get("nodeid")
                .and_then(Value::as_i64)
                .filter(|id| *id >= 0)
            else {
                continue;
            };
            let id = id as i32;
            seen.push(id);
            let connection = str_at(b, "state");
            let rx = u64_at(b, "rx");
            let waiting = u64_at(b, "waitresp_cnt");
            let index = match tracked.brokers.iter().position(|t| t.health.id == id) {
                Some(i) => i,
                None => {
                    tracked.brokers.push(BrokerTrack {
                        health: BrokerHealth {
                            id,
                            address: str_at(b, "nodename"),
                            connection: String::new(),
                            down: false,
                            not_answering: false,
                            down_since: None,
                            last_error: None,
                            waiting_requests: 0,
                            throttle_ms: 0,
                            rtt_ms: 0.0,
                        },
                        name: String::new(),
                        unlisted_since: None,
                        was_up: false,
                        rx,
                        answered_at: now,
                    });
                    tracked.brokers.len() - 1
                }
            };
            let t = &mut tracked.brokers[index];
            t.name = str_at(b, "name");
            t.unlisted_since = None;
            let answered = rx != t.rx || waiting == 0;
            if answered {
                t.answered_at = now;
            }
            t.rx = rx;
            let silent = now.duration_since(t.answered_at);
            let unanswered = !answered && silent >= self.socket_timeout;
            let up = connection == "UP";
            // A connection that came and went between two samples was up too.
            t.was_up |= up || u64_at(b, "disconnects") > 0;
            let down = unanswered || (t.was_up && !up);
            // Nothing received: no response completed, and no byte came (librdkafka's `rxidle`,
            // the time since the socket last read anything): a response still arriving over a
            // slow link is something.
            let quiet = b
                .get("rxidle")
                .and_then(Value::as_i64)
                .filter(|us| *us >= 0)
                .map_or(silent, |us| Duration::from_micros(us as u64));
            let not_answering =
                !answered && !down && silent > self.answer_within && quiet > self.answer_within;
            let h = &mut t.health;
            h.address = str_at(b, "nodename");
            h.connection = connection;
            h.waiting_requests = waiting;
            h.throttle_ms = b.get("throttle").map_or(0, |t| u64_at(t, "avg"));
            h.rtt_ms = b
                .get("rtt")
                .map_or(0.0, |r| u64_at(r, "avg") as f64 / 1000.0);
            if not_answering && !h.not_answering {
                lines.push(record(
                    4,
                    "BROKERSLOW",
                    format!(
                        "broker {} (id {id}) is not answering: {waiting} request(s) waiting {} with \
                         nothing received (down once they have waited {})",
                        h.address,
                        seconds(silent),
                        seconds(self.socket_timeout)
                    ),
                ));
            } else if !not_answering && h.not_answering && !down {
                lines.push(record(
                    5,
                    "BROKERSLOW",
                    format!("broker {} (id {id}) answers again", h.address),
                ));
            }
            h.not_answering = not_answering;
            if down && !h.down {
                let why = if unanswered {
                    format!("{waiting} request(s) unanswered for {}", seconds(silent))
                } else {
                    format!("connection {}{}", h.connection, last_error_told(h))
                };
                lines.push(went_down(h, wall, why));
            } else if !down && h.down {
                let lasted = h
                    .down_since
                    .and_then(|since| wall.duration_since(since).ok())
                    .unwrap_or_default();
                h.down = false;
                h.down_since = None;
                lines.push(record(
                    5,
                    "BROKERUP",
                    format!(
                        "broker {} (id {id}) is back after {}",
                        h.address,
                        seconds(lasted)
                    ),
                ));
            }
        }
        // A broker librdkafka no longer lists was left out of the cluster's metadata, which
        // lists the live brokers only (librdkafka then drops it): it is down (killed, fenced,
        // shutting down), until it is listed again, or removed from the cluster, taken so once
        // unlisted for FORGET_UNLISTED.
        for t in tracked.brokers.iter_mut() {
            if seen.contains(&t.health.id) {
                continue;
            }
            let since = *t.unlisted_since.get_or_insert(now);
            let h = &mut t.health;
            h.connection = "GONE".to_string();
            if !h.down {
                let why = format!("no longer listed by the cluster{}", last_error_told(h));
                lines.push(went_down(h, wall, why));
            } else if now.duration_since(since) >= FORGET_UNLISTED {
                lines.push(record(
                    5,
                    "BROKERGONE",
                    format!(
                        "broker {} (id {}) left the cluster: unlisted for {}",
                        h.address,
                        h.id,
                        seconds(now.duration_since(since))
                    ),
                ));
            }
        }
        tracked.brokers.retain(|t| {
            t.unlisted_since
                .is_none_or(|since| now.duration_since(since) < FORGET_UNLISTED)
        });
        if !tracked.brokers.is_empty() {
            tracked.unreached = None;
        }
        // librdkafka keeps a group handle for every consumer: only a group member's counts.
        tracked.group = stats
            .get("cgrp")
            .filter(|_| self.in_group)
            .map(|g| GroupHealth {
                state: str_at(g, "state"),
                join_state: str_at(g, "join_state"),
                rebalances: u64_at(g, "rebalance_cnt"),
                since_rebalance: g
                    .get("rebalance_age")
                    .and_then(Value::as_u64)
                    .filter(|_| u64_at(g, "rebalance_cnt") > 0)
                    .map(Duration::from_millis),
                assigned: u64_at(g, "assignment_size"),
            });
        lines
    }

    /// Takes a client error about reaching a broker: it becomes the last error of the broker
    /// it names (librdkafka starts such messages with the broker's `host:port/id`).
    pub(crate) fn observe_error(&self, record: &LogRecord) {
        let Some(code) = record.error else { return };
        if !is_connection_error(code) || code == ErrorCode::AllBrokersDown {
            return;
        }
        let message = record.message.as_str();
        let mut tracked = self.tracked.lock();
        if tracked.brokers.is_empty() {
            tracked.unreached = Some((message.to_string(), Instant::now()));
            return;
        }
        for t in &mut tracked.brokers {
            let about = message
                .strip_prefix(t.name.as_str())
                .is_some_and(|rest| rest.starts_with(':'));
            if !t.name.is_empty() && about {
                t.health.last_error = Some(message.to_string());
            }
        }
    }

    /// Takes a consumer's partitions at a statistics interval. Returns the lines to log (a
    /// partition stuck, or moving again).
    pub(crate) fn observe_partitions(&self, samples: Vec<PartitionSample>) -> Vec<LogRecord> {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut lines = Vec::new();
        let mut tracked = self.tracked.lock();
        let mut next = Vec::with_capacity(samples.len());
        for s in samples {
            let before = tracked
                .partitions
                .iter()
                .position(|t| t.health.topic == s.topic && t.health.partition == s.partition)
                .map(|i| tracked.partitions.swap_remove(i));
            let mut t = before.unwrap_or_else(|| PartitionTrack {
                health: PartitionHealth {
                    topic: s.topic.clone(),
                    partition: s.partition,
                    lag: None,
                    next_offset: None,
                    stalled_since: None,
                    stuck: false,
                },
                progressed_at: now,
            });
            let moved = s.next_offset != t.health.next_offset;
            let behind = s.lag.is_some_and(|lag| lag > 0);
            if moved || !behind {
                t.progressed_at = now;
            }
            t.health.lag = s.lag;
            t.health.next_offset = s.next_offset;
            let stalled = now.duration_since(t.progressed_at);
            t.health.stalled_since = if behind && !moved {
                wall.checked_sub(stalled)
            } else {
                None
            };
            let stuck = behind && !moved && self.stuck_after.is_some_and(|after| stalled >= after);
            let h = &mut t.health;
            let at = h
                .next_offset
                .map_or("its start".to_string(), |o| format!("offset {o}"));
            if stuck && !h.stuck {
                lines.push(record(
                    4,
                    "STUCK",
                    format!(
                        "consumer stuck on {}/{}: {} message(s) to read and none handed over for {} (next: {at})",
                        h.topic,
                        h.partition,
                        s.lag.unwrap_or(0),
                        seconds(stalled)
                    ),
                ));
            } else if !stuck && h.stuck {
                lines.push(record(
                    5,
                    "STUCK",
                    format!("consumer moves on {}/{} again ({at})", h.topic, h.partition),
                ));
            }
            h.stuck = stuck;
            next.push(t);
        }
        tracked.partitions = next;
        lines
    }

    /// The health now; `fatal_error` is the client's, asked by the caller.
    pub(crate) fn snapshot(&self, fatal_error: Option<KafkaError>) -> Health {
        let tracked = self.tracked.lock();
        let mut reasons = Vec::new();
        let mut status = HealthStatus::Ok;
        if let Some(e) = &fatal_error {
            reasons.push(format!("fatal error: {e}"));
            status = HealthStatus::Failed;
        }
        let mut degraded = false;
        for b in tracked.brokers.iter().map(|t| &t.health).filter(|b| b.down) {
            degraded = true;
            reasons.push(format!(
                "broker {} (id {}) is down{}",
                b.address,
                b.id,
                b.last_error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
        for b in tracked
            .brokers
            .iter()
            .map(|t| &t.health)
            .filter(|b| b.not_answering)
        {
            degraded = true;
            reasons.push(format!(
                "broker {} (id {}) is not answering: {} request(s) waiting with nothing received",
                b.address, b.id, b.waiting_requests
            ));
        }
        // Known brokers come from the statistics. With statistics off there are none, so a
        // connection error counts only while errors keep coming: librdkafka says a failing
        // connection again at least every 30 s (identical errors in between are suppressed).
        if let Some((error, at)) = &tracked.unreached {
            if at.elapsed() < UNREACHED_FOR {
                degraded = true;
                reasons.push(format!("no broker reached yet: {error}"));
            }
        }
        for p in tracked
            .partitions
            .iter()
            .map(|t| &t.health)
            .filter(|p| p.stuck)
        {
            degraded = true;
            reasons.push(format!(
                "stuck on {}/{}: {} message(s) to read",
                p.topic,
                p.partition,
                p.lag.unwrap_or(0)
            ));
        }
        if degraded && status == HealthStatus::Ok {
            status = HealthStatus::Degraded;
        }
        Health {
            status,
            reasons,
            brokers: tracked.brokers.iter().map(|t| t.health.clone()).collect(),
            partitions: tracked
                .partitions
                .iter()
                .map(|t| t.health.clone())
                .collect(),
            group: tracked.group.clone(),
            fatal_error,
            updated: tracked.updated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stats(state: &str, rx: u64, waiting: u64) -> Value {
        json!({ "brokers": {
            "b:9092/bootstrap": { "name": "b:9092/bootstrap", "nodeid": -1, "nodename": "b:9092", "state": "INIT" },
            "b:9092/1": { "name": "b:9092/1", "nodeid": 1, "nodename": "b:9092", "state": state,
                          "rx": rx, "waitresp_cnt": waiting, "rtt": { "avg": 2500 }, "throttle": { "avg": 0 } }
        } })
    }

    fn transport(message: &str) -> LogRecord {
        LogRecord {
            level: 3,
            facility: "ERROR _TRANSPORT".into(),
            message: message.into(),
            error: Some(ErrorCode::BrokerTransportFailure),
        }
    }

    #[test]
    fn a_broker_lost_is_down_once_and_back_once() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        assert!(monitor.observe_stats(&stats("INIT", 0, 0)).is_empty());
        let h = monitor.snapshot(None);
        assert_eq!(
            (h.status, h.brokers.len()),
            (HealthStatus::Ok, 1),
            "never up is not down"
        );
        assert!(monitor.observe_stats(&stats("UP", 3, 1)).is_empty());
        assert_eq!(monitor.snapshot(None).brokers[0].rtt_ms, 2.5);
        monitor.observe_error(&transport(
            "b:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused",
        ));
        let lines = monitor.observe_stats(&stats("TRY_CONNECT", 3, 0));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].level, 4);
        assert!(lines[0].message.contains("broker b:9092 (id 1) is down: connection TRY_CONNECT, last error: b:9092/1: Connect"), "{}", lines[0].message);
        assert!(
            monitor.observe_stats(&stats("CONNECT", 3, 0)).is_empty(),
            "said once"
        );
        let h = monitor.snapshot(None);
        assert_eq!(h.status, HealthStatus::Degraded);
        assert!(h.brokers[0].down_since.is_some());
        assert!(
            h.reasons[0].starts_with("broker b:9092 (id 1) is down: b:9092/1: Connect"),
            "{:?}",
            h.reasons
        );
        let lines = monitor.observe_stats(&stats("UP", 4, 0));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("broker b:9092 (id 1) is back after"),
            "{}",
            lines[0].message
        );
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Ok);
    }

    #[test]
    fn a_connection_lost_between_samples_is_down() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        let sample = |state: &str, disconnects: u64| {
            json!({ "brokers": {
                "b:9092/1": { "name": "b:9092/1", "nodeid": 1, "nodename": "b:9092", "state": state, "disconnects": disconnects }
            } })
        };
        assert!(monitor.observe_stats(&sample("INIT", 0)).is_empty());
        // Connected and cut off 42 ms later: no sample saw it UP.
        let lines = monitor.observe_stats(&sample("TRY_CONNECT", 1));
        assert_eq!(lines.len(), 1, "down");
        assert!(monitor.observe_stats(&sample("UP", 1))[0]
            .message
            .contains("is back after"));
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Ok);
    }

    #[test]
    fn the_last_broker_dropped_from_librdkafka_s_list_while_none_is_up_stays_down() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        monitor.observe_stats(&stats("UP", 3, 0));
        // A node shutting down answered metadata without itself: librdkafka dropped it, and
        // lists only the bootstrap address, which cannot connect.
        let bootstrap_only = json!({ "brokers": {
            "b:9092/bootstrap": { "name": "b:9092/bootstrap", "nodeid": -1, "nodename": "b:9092", "state": "CONNECT" }
        } });
        let lines = monitor.observe_stats(&bootstrap_only);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("broker b:9092 (id 1) is down: no longer listed by the cluster"),
            "{}",
            lines[0].message
        );
        assert!(
            monitor.observe_stats(&bootstrap_only).is_empty(),
            "said once"
        );
        let h = monitor.snapshot(None);
        assert_eq!(h.status, HealthStatus::Degraded);
        assert!(h.brokers[0].down && h.brokers[0].down_since.is_some());
        // Learned again once it is back.
        let lines = monitor.observe_stats(&stats("UP", 4, 0));
        assert!(lines[0]
            .message
            .starts_with("broker b:9092 (id 1) is back after"));
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Ok);
    }

    #[test]
    fn a_broker_no_longer_listed_while_another_is_up_is_down_until_listed_again_or_forgotten() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        let two = |rx| {
            json!({ "brokers": {
                "b:9092/1": { "name": "b:9092/1", "nodeid": 1, "nodename": "b:9092", "state": "UP", "rx": rx },
                "c:9092/2": { "name": "c:9092/2", "nodeid": 2, "nodename": "c:9092", "state": "UP", "rx": rx }
            } })
        };
        monitor.observe_stats(&two(1));
        // A killed node of a 3-node cluster: the metadata lists the live nodes only, and
        // librdkafka drops the others.
        let one = json!({ "brokers": {
            "b:9092/1": { "name": "b:9092/1", "nodeid": 1, "nodename": "b:9092", "state": "UP", "rx": 2 }
        } });
        let lines = monitor.observe_stats(&one);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("broker c:9092 (id 2) is down: no longer listed by the cluster"),
            "{}",
            lines[0].message
        );
        assert!(monitor.observe_stats(&one).is_empty(), "said once");
        let h = monitor.snapshot(None);
        assert_eq!((h.status, h.brokers.len()), (HealthStatus::Degraded, 2));
        assert_eq!(h.brokers[1].connection, "GONE");
        // Listed and up again: back, once.
        let lines = monitor.observe_stats(&two(3));
        assert_eq!(lines.len(), 1);
        assert!(lines[0]
            .message
            .starts_with("broker c:9092 (id 2) is back after"));
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Ok);
        // Unlisted for FORGET_UNLISTED: removed from the cluster, forgotten, and said so.
        monitor.observe_stats(&one);
        monitor.tracked.lock().brokers[1].unlisted_since =
            Instant::now().checked_sub(FORGET_UNLISTED);
        let lines = monitor.observe_stats(&one);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("broker c:9092 (id 2) left the cluster: unlisted for"),
            "{}",
            lines[0].message
        );
        let h = monitor.snapshot(None);
        assert_eq!((h.status, h.brokers.len()), (HealthStatus::Ok, 1));
    }

    #[test]
    fn an_error_is_the_last_error_of_the_broker_librdkafka_names_in_it_tls_and_sasl_too() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        let brokers = json!({ "brokers": {
            "sasl_ssl://b:9093/1": { "name": "sasl_ssl://b:9093/1", "nodeid": 1, "nodename": "b:9093", "state": "UP" },
            "sasl_ssl://b:9093/10": { "name": "sasl_ssl://b:9093/10", "nodeid": 10, "nodename": "b:9093", "state": "UP" }
        } });
        monitor.observe_stats(&brokers);
        monitor.observe_error(&transport(
            "sasl_ssl://b:9093/10: Disconnected (after 1200ms in state UP)",
        ));
        let h = monitor.snapshot(None);
        let error = |id| {
            h.brokers
                .iter()
                .find(|b| b.id == id)
                .unwrap()
                .last_error
                .clone()
        };
        assert_eq!(error(1), None, "an error about broker 10 is not broker 1's");
        assert_eq!(
            error(10).as_deref(),
            Some("sasl_ssl://b:9093/10: Disconnected (after 1200ms in state UP)")
        );
    }

    #[test]
    fn a_broker_that_answers_nothing_for_the_socket_timeout_is_down_though_up() {
        let monitor = HealthMonitor::new(Duration::ZERO, None, false);
        monitor.observe_stats(&stats("UP", 10, 0));
        // Requests wait and no response came since the last sample.
        let lines = monitor.observe_stats(&stats("UP", 10, 2));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .contains("is down: 2 request(s) unanswered for"),
            "{}",
            lines[0].message
        );
        assert!(monitor.snapshot(None).brokers[0].down);
        // Answers again.
        assert_eq!(monitor.observe_stats(&stats("UP", 12, 1)).len(), 1);
        assert!(!monitor.snapshot(None).brokers[0].down);
    }

    /// A broker that swallows what it is sent (a blackhole) keeps its connection `UP` and is
    /// called down only at `socket.timeout.ms` (60 s): it is said not to answer once requests
    /// have waited a few seconds with nothing received, and to answer again once something comes.
    #[test]
    fn a_broker_that_receives_nothing_for_a_few_seconds_is_not_answering_before_it_is_down() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false)
            .answering_within(Duration::ZERO);
        monitor.observe_stats(&stats("UP", 10, 0));
        let lines = monitor.observe_stats(&stats("UP", 10, 3));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("broker b:9092 (id 1) is not answering: 3 request(s)"),
            "{}",
            lines[0].message
        );
        let health = monitor.snapshot(None);
        assert!(health.brokers[0].not_answering && !health.brokers[0].down);
        assert_eq!(health.status, HealthStatus::Degraded);
        assert!(
            health.reasons[0].contains("is not answering"),
            "{:?}",
            health.reasons
        );
        // Said once while it lasts.
        assert!(monitor.observe_stats(&stats("UP", 10, 3)).is_empty());
        // Something came: it answers again.
        let lines = monitor.observe_stats(&stats("UP", 11, 1));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].message.ends_with("answers again"),
            "{}",
            lines[0].message
        );
        let health = monitor.snapshot(None);
        assert!(!health.brokers[0].not_answering);
        assert_eq!(health.status, HealthStatus::Ok);
        // Waiting within the bound is not news.
        let patient = HealthMonitor::new(Duration::from_secs(60), None, false);
        patient.observe_stats(&stats("UP", 10, 0));
        assert!(patient.observe_stats(&stats("UP", 10, 3)).is_empty());
        // A response still arriving (bytes read just now, over a slow link) is something.
        let slow_link = HealthMonitor::new(Duration::from_secs(60), None, false)
            .answering_within(Duration::ZERO);
        let mut arriving = stats("UP", 10, 1);
        arriving["brokers"]["b:9092/1"]["rxidle"] = json!(0);
        slow_link.observe_stats(&stats("UP", 10, 0));
        assert!(slow_link.observe_stats(&arriving).is_empty());
        assert!(!slow_link.snapshot(None).brokers[0].not_answering);
    }

    #[test]
    fn a_partition_with_messages_to_read_and_no_progress_is_stuck_once() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), Some(Duration::ZERO), false);
        let sample = |lag, next| {
            vec![PartitionSample {
                topic: "t".into(),
                partition: 0,
                lag,
                next_offset: next,
            }]
        };
        assert!(
            monitor
                .observe_partitions(sample(Some(0), Some(5)))
                .is_empty(),
            "nothing to read"
        );
        assert!(
            monitor
                .observe_partitions(sample(Some(3), Some(8)))
                .is_empty(),
            "it moved"
        );
        let lines = monitor.observe_partitions(sample(Some(3), Some(8)));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .message
                .starts_with("consumer stuck on t/0: 3 message(s) to read"),
            "{}",
            lines[0].message
        );
        assert!(
            monitor
                .observe_partitions(sample(Some(4), Some(8)))
                .is_empty(),
            "said once"
        );
        let h = monitor.snapshot(None);
        assert_eq!(
            (h.status, h.partitions[0].stuck),
            (HealthStatus::Degraded, true)
        );
        assert!(h.partitions[0].stalled_since.is_some());
        let lines = monitor.observe_partitions(sample(Some(1), Some(11)));
        assert!(
            lines[0].message.contains("moves on t/0 again"),
            "{}",
            lines[0].message
        );
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Ok);
    }

    #[test]
    fn no_broker_reached_yet_is_degraded_with_the_reason() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        monitor.observe_error(&transport(
            "nowhere:9092/bootstrap: Failed to resolve 'nowhere:9092'",
        ));
        monitor.observe_error(&LogRecord {
            error: Some(ErrorCode::AllBrokersDown),
            ..transport("1/1 brokers are down")
        });
        let h = monitor.snapshot(None);
        assert_eq!(h.status, HealthStatus::Degraded);
        assert!(
            h.reasons[0]
                .contains("no broker reached yet: nowhere:9092/bootstrap: Failed to resolve"),
            "{:?}",
            h.reasons
        );
    }

    /// With statistics off no broker is ever known: one connection error (a broker restarting)
    /// used to leave "no broker reached yet" for good. It counts while errors keep coming.
    #[test]
    fn with_statistics_off_a_connection_error_no_longer_said_stops_counting() {
        let monitor = HealthMonitor::new(Duration::from_secs(60), None, false);
        monitor.observe_error(&transport("localhost:9092/1: Connection refused"));
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Degraded);
        // Nothing said for longer than UNREACHED_FOR.
        if let Some((_, at)) = &mut monitor.tracked.lock().unreached {
            *at = Instant::now()
                .checked_sub(UNREACHED_FOR + Duration::from_secs(1))
                .unwrap_or(*at);
        }
        let h = monitor.snapshot(None);
        assert_eq!(h.status, HealthStatus::Ok, "{:?}", h.reasons);
        // Said again: it counts again.
        monitor.observe_error(&transport("localhost:9092/1: Connection refused"));
        assert_eq!(monitor.snapshot(None).status, HealthStatus::Degraded);
    }
}
