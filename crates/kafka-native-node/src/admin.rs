use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::oauthbearer::{OAuthBearerBridge, PendingTokenWake};

use crate::{client_options, js_error, promise_from_pool, LogEntry};

#[napi(object)]
pub struct AdminOptions {
    pub brokers: String,
    pub request_timeout_ms: Option<u32>,
    pub driver_options: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct NewTopicInput {
    pub topic: String,
    pub partitions: i32,
    pub replication_factor: Option<i32>,
    pub config: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct TopicListingInfo {
    pub topic: String,
    pub partitions: u32,
}

#[napi(object)]
pub struct WatermarksInfo {
    pub low: f64,
    pub high: f64,
}

#[napi(object)]
pub struct GroupListingInfo {
    pub group_id: String,
    pub state: String,
    pub simple: bool,
}

#[napi(object)]
pub struct GroupOffsetInfo {
    pub topic: String,
    pub partition: i32,
    pub committed: f64,
    pub high_watermark: f64,
    pub lag: f64,
}

/// The admin client; every call runs on a thread of ours and settles a Promise.
/// A topic's new partition count.
#[napi(object)]
pub struct PartitionTotal {
    pub topic: String,
    pub count: i32,
}

#[napi]
pub struct NativeAdmin {
    /// Dropped first: see `PendingTokenWake`.
    _token_wake: Option<PendingTokenWake>,
    /// `None` once stopped. Each call holds its own reference, so the client is destroyed
    /// when `stop()` has run and the calls in flight have ended.
    inner: parking_lot::Mutex<Option<Arc<kafka_native::Admin>>>,
}

impl NativeAdmin {
    /// The client for one call, or `STOPPED` (the call's Promise rejects with it).
    fn admin(&self) -> std::result::Result<Arc<kafka_native::Admin>, kafka_native::KafkaError> {
        self.inner
            .lock()
            .clone()
            .ok_or(kafka_native::KafkaError::Stopped)
    }
}

#[napi]
impl NativeAdmin {
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        options: AdminOptions,
        on_log: Option<Function<'_, LogEntry, ()>>,
        oauthbearer: Option<&OAuthBearerBridge>,
    ) -> Result<Self> {
        let mut config = kafka_native::AdminConfig::new("");
        config.client = client_options(
            options.brokers,
            Some(0),
            options.driver_options,
            None,
            on_log,
        )?;
        config.client.oauthbearer_token = oauthbearer.map(|b| b.provider.clone());
        if let Some(ms) = options.request_timeout_ms {
            config.request_timeout = Duration::from_millis(ms.into());
        }
        let inner = kafka_native::Admin::new(config).map_err(|e| js_error(env, &e))?;
        Ok(NativeAdmin {
            _token_wake: oauthbearer.map(OAuthBearerBridge::wake_on_drop),
            inner: parking_lot::Mutex::new(Some(Arc::new(inner))),
        })
    }

    /// Stops the client: later calls reject with `STOPPED`; the client (its thread and
    /// connections) goes once the calls in flight have ended. Resolves at once; idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let admin = self.inner.lock().take();
        // Dropped on a thread of ours: the last reference joins the client's events thread.
        promise_from_pool(env, move || {
            drop(admin);
            Ok(())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn create_topics<'env>(
        &self,
        env: &'env Env,
        topics: Vec<NewTopicInput>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        let topics: Vec<kafka_native::NewTopic> = topics
            .into_iter()
            .map(|t| {
                let mut config: Vec<(String, String)> =
                    t.config.unwrap_or_default().into_iter().collect();
                config.sort();
                kafka_native::NewTopic {
                    topic: t.topic,
                    partitions: t.partitions,
                    replication_factor: t.replication_factor.unwrap_or(-1),
                    config,
                }
            })
            .collect();
        promise_from_pool(env, move || inner?.create_topics(&topics))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_topics<'env>(&self, env: &'env Env, topics: Vec<String>) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || inner?.delete_topics(&topics))
    }

    /// Raises each topic's partition count to its total.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn create_partitions<'env>(
        &self,
        env: &'env Env,
        totals: Vec<PartitionTotal>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        let totals: Vec<(String, i32)> = totals.into_iter().map(|t| (t.topic, t.count)).collect();
        promise_from_pool(env, move || inner?.create_partitions(&totals))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_groups<'env>(
        &self,
        env: &'env Env,
        group_ids: Vec<String>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || inner?.delete_groups(&group_ids))
    }

    /// Sets a group's committed offsets (each the next offset to read).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        offsets: Vec<crate::producer::TopicPartitionOffset>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        let offsets = crate::producer::core_offsets(offsets);
        promise_from_pool(env, move || inner?.set_group_offsets(&group_id, &offsets))
    }

    #[napi(ts_return_type = "Promise<TopicListingInfo[]>")]
    pub fn list_topics<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || {
            Ok(inner?
                .list_topics()?
                .into_iter()
                .map(|t| TopicListingInfo {
                    topic: t.topic,
                    partitions: t.partitions as u32,
                })
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<WatermarksInfo>")]
    pub fn watermarks<'env>(
        &self,
        env: &'env Env,
        topic: String,
        partition: i32,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || {
            let w = inner?.watermarks(&topic, partition)?;
            Ok(WatermarksInfo {
                low: w.low as f64,
                high: w.high as f64,
            })
        })
    }

    #[napi(ts_return_type = "Promise<GroupListingInfo[]>")]
    pub fn list_groups<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || {
            Ok(inner?
                .list_groups()?
                .into_iter()
                .map(|g| GroupListingInfo {
                    group_id: g.group_id,
                    state: g.state,
                    simple: g.simple,
                })
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<GroupOffsetInfo[]>")]
    pub fn group_offsets<'env>(&self, env: &'env Env, group_id: String) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, move || {
            Ok(inner?
                .group_offsets(&group_id)?
                .into_iter()
                .map(|o| GroupOffsetInfo {
                    topic: o.topic,
                    partition: o.partition,
                    committed: o.committed as f64,
                    high_watermark: o.high_watermark as f64,
                    lag: o.lag as f64,
                })
                .collect::<Vec<_>>())
        })
    }
}
