//! `NativeShareConsumer`: the core's `ShareConsumer` for JS, pulled on the JS thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;

use crate::received::{self, ReceivedColumns};
use crate::{
    call_pool, client_options, js_error, promise_from_pool, promise_from_pool_after_logs,
    weak_callback, LogEntry, LogLines,
};

#[napi(object)]
pub struct ShareConsumerOptions {
    pub brokers: String,
    pub group_id: String,
    pub topics: Vec<String>,
    /// "explicit" (default) or "implicit".
    pub acknowledgement_mode: Option<String>,
    pub poll_wait_ms: Option<u32>,
    pub max_records: Option<u32>,
    /// "record_limit" (default) or "batch_optimized".
    pub acquire_mode: Option<String>,
    pub renew_locks: Option<bool>,
    pub stop_timeout_ms: Option<u32>,
    pub join_timeout_ms: Option<u32>,
    pub payload_as_buffer: bool,
    pub driver_options: Option<HashMap<String, String>>,
}

/// One partition's acknowledgement outcome, for JS's `acknowledgement_commit_callback`: the
/// offsets, and the error's name and message when the broker refused them.
#[napi(object, object_from_js = false)]
pub struct AcknowledgementCommitInfo {
    pub topic: String,
    pub partition: i32,
    pub offsets: Vec<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// What the consumer did since it started (the core's `ShareStats`), for `stats()` and the
/// metrics (`js/client/share-consumer.js` gives JS the totals' fields at the top).
#[napi(object, object_from_js = false)]
pub struct ShareStatsInfo {
    pub totals: ShareCountsInfo,
    pub partitions: Vec<SharePartitionStatsInfo>,
}

/// One partition's counts, in [`ShareStatsInfo::partitions`].
#[napi(object, object_from_js = false)]
pub struct SharePartitionStatsInfo {
    pub topic: String,
    pub partition: i32,
    pub counts: ShareCountsInfo,
}

/// The core's `ShareCounts`: JS numbers, exact to 2^53.
#[napi(object, object_from_js = false)]
pub struct ShareCountsInfo {
    pub acquired: f64,
    pub redelivered: f64,
    pub accepted: f64,
    pub released: f64,
    pub rejected: f64,
    pub renewed: f64,
    pub failed: f64,
    pub expired: f64,
}

impl From<kafka_native::ShareCounts> for ShareCountsInfo {
    fn from(c: kafka_native::ShareCounts) -> Self {
        ShareCountsInfo {
            acquired: c.acquired as f64,
            redelivered: c.redelivered as f64,
            accepted: c.accepted as f64,
            released: c.released as f64,
            rejected: c.rejected as f64,
            renewed: c.renewed as f64,
            failed: c.failed as f64,
            expired: c.expired as f64,
        }
    }
}

/// A share batch on its way to JS: its records in columns, as a received batch
/// (`js/client/share-consumer.js` makes the message objects), and each record's delivery count.
#[napi(object, object_from_js = false)]
pub struct ShareColumns {
    pub records: ReceivedColumns,
    pub delivery_counts: Uint16Array,
}

/// The consumer holds the batch out (JS reads its records and answers for it with
/// `acknowledge()` and `settle()`).
#[napi]
pub struct NativeShareConsumer {
    as_buffer: bool,
    inner: Arc<kafka_native::ShareConsumer>,
    lane: Arc<call_pool::Lane>,
    log_lines: Option<LogLines>,
}

#[napi]
impl NativeShareConsumer {
    /// `on_pull` is called when a batch can be pulled (and once the consumer has ended); JS
    /// takes it with `pull()`, acknowledges records with `acknowledge()` and settles it with
    /// `settle()`; only then is the next fetched.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        options: ShareConsumerOptions,
        on_pull: Function<'_, (), ()>,
        on_log: Option<Function<'_, Option<LogEntry>, ()>>,
        on_acknowledgement_commit: Option<Function<'_, AcknowledgementCommitInfo, ()>>,
    ) -> Result<Self> {
        let (client, log_lines) =
            client_options(options.brokers, None, options.driver_options, None, on_log)?;
        let mut config =
            kafka_native::ShareConsumerConfig::new("", options.group_id).topics(options.topics);
        config.client = client;
        if let Some(mode) = options.acknowledgement_mode {
            config.acknowledgement_mode = mode.parse().map_err(|e| js_error(env, &e))?;
        }
        if let Some(ms) = options.poll_wait_ms {
            config.poll_wait = Duration::from_millis(ms.into());
        }
        config.max_records = options.max_records;
        if let Some(mode) = options.acquire_mode {
            config.acquire_mode = mode.parse().map_err(|e| js_error(env, &e))?;
        }
        config.renew_locks = options.renew_locks.unwrap_or(false);
        if let Some(f) = on_acknowledgement_commit {
            let tsfn = weak_callback(f)?;
            config = config.on_acknowledgement_commit(move |outcome| {
                let info = AcknowledgementCommitInfo {
                    topic: outcome.topic.clone(),
                    partition: outcome.partition,
                    offsets: outcome.offsets.clone(),
                    error_code: outcome.error.as_ref().map(|e| e.code_name().to_string()),
                    error_message: outcome.error.as_ref().map(ToString::to_string),
                };
                tsfn.call(info, NonBlocking);
            });
        }
        if let Some(ms) = options.stop_timeout_ms {
            config.stop_timeout = Duration::from_millis(ms.into());
        }
        if let Some(ms) = options.join_timeout_ms {
            config.join_timeout = Duration::from_millis(ms.into());
        }
        // Weak: a consumer never started must not keep the process alive; JS holds it alive
        // from start() to stop().
        let wake = weak_callback(on_pull)?;
        let inner = kafka_native::ShareConsumer::pulled(config, move || {
            wake.call((), NonBlocking);
        })
        .map_err(|e| js_error(env, &e))?;
        Ok(NativeShareConsumer {
            as_buffer: options.payload_as_buffer,
            inner: Arc::new(inner),
            lane: Arc::default(),
            log_lines,
        })
    }

    /// Joins the share group: resolves once the group has assigned the member partitions.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.inner.clone();
        promise_from_pool(env, &self.lane, move || inner.start())
    }

    /// The next batch, if one is ready and none is out; never waits.
    #[napi]
    pub fn pull(&self) -> Option<ShareColumns> {
        let records = self.inner.pull_records()?;
        Some(ShareColumns {
            records: received::pack_share(&records, self.as_buffer).into_columns(),
            delivery_counts: Uint16Array::new(records.iter().map(|r| r.delivery_count).collect()),
        })
    }

    /// Acknowledges record `index` of the batch out ("accept", "release", "reject" or
    /// "renew"): checked now, sent with the others acknowledged in the same turn of the event
    /// loop at `sendAcknowledged()` (JS calls it from a microtask) or the settle.
    #[napi]
    pub fn acknowledge(&self, env: &Env, index: u32, how: String) -> Result<()> {
        let how: kafka_native::Acknowledgement = how.parse().map_err(|e| js_error(env, &e))?;
        self.inner
            .acknowledge_out(index as usize, how, true)
            .map_err(|e| js_error(env, &e))
    }

    /// Sends the acknowledgements `acknowledge()` noted.
    #[napi]
    pub fn send_acknowledged(&self) {
        self.inner.send_acknowledged_out();
    }

    /// Settles the batch out: its records not acknowledged are accepted (`processed`) or
    /// released. Nothing when none is out.
    #[napi]
    pub fn settle(&self, processed: bool) {
        self.inner.settle_out(if processed {
            kafka_native::Acknowledgement::Accept
        } else {
            kafka_native::Acknowledgement::Release
        });
    }

    /// Records acquired and delivered again, acknowledgements by type, and those that failed,
    /// since the consumer started. Local.
    #[napi]
    pub fn stats(&self) -> ShareStatsInfo {
        let stats = self.inner.stats();
        ShareStatsInfo {
            totals: stats.totals.into(),
            partitions: stats
                .partitions
                .into_iter()
                .map(|p| SharePartitionStatsInfo {
                    topic: p.topic,
                    partition: p.partition,
                    counts: p.counts.into(),
                })
                .collect(),
        }
    }

    /// Whether the consumer has ended (stopped, or a fatal error).
    #[napi]
    pub fn ended(&self) -> bool {
        self.inner.ended()
    }

    /// Waits for the batch held to settle (up to the stop timeout: then it is released and
    /// this rejects with SETTLE_TIMED_OUT), sends the acknowledgements, leaves the group;
    /// resolves once done and every line logged before has reached the logger.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.inner.request_stop();
        let inner = self.inner.clone();
        promise_from_pool_after_logs(env, &self.lane, self.log_lines.clone(), move || {
            inner.stop()
        })
    }
}
