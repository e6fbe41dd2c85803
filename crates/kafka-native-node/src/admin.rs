use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::oauthbearer::{OAuthBearerBridge, PendingTokenWake};

use crate::{
    call_pool, client_options, js_error, promise_from_pool, promise_from_pool_after_logs, LogEntry,
    LogLines,
};

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
    /// 'classic', 'consumer', 'share' or 'unknown'.
    pub group_type: String,
    pub state: String,
    pub simple: bool,
}

impl From<kafka_native::GroupListing> for GroupListingInfo {
    fn from(g: kafka_native::GroupListing) -> Self {
        GroupListingInfo {
            group_id: g.group_id,
            group_type: g.group_type.as_str().to_string(),
            state: g.state,
            simple: g.simple,
        }
    }
}

/// A share group's offsets of one partition (`Admin.shareGroupOffsets()`).
#[napi(object)]
pub struct ShareGroupOffsetInfo {
    pub topic: String,
    pub partition: i32,
    pub start_offset: f64,
    pub leader_epoch: Option<i32>,
    pub lag: Option<f64>,
}

/// Where a share group is to start on a partition: an offset, `earliest` or `latest` (the
/// JS layer makes numbers text; the core reads it).
#[napi(object)]
pub struct TopicPartitionStart {
    pub topic: String,
    pub partition: i32,
    pub offset: String,
}

#[napi(object)]
pub struct GroupOffsetInfo {
    pub topic: String,
    pub partition: i32,
    pub committed: f64,
    pub high_watermark: f64,
    pub lag: f64,
}

/// A topic's new partition count.
#[napi(object)]
pub struct PartitionTotal {
    pub topic: String,
    pub count: i32,
}

#[napi(object)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[napi(object)]
pub struct ClusterInfo {
    pub cluster_id: Option<String>,
    pub controller: Option<i32>,
    pub brokers: Vec<BrokerInfo>,
}

#[napi(object)]
pub struct PartitionDescriptionInfo {
    pub partition: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub in_sync_replicas: Vec<i32>,
    pub error: Option<String>,
}

#[napi(object)]
pub struct TopicDescriptionInfo {
    pub topic: String,
    pub partitions: Vec<PartitionDescriptionInfo>,
}

#[napi(object)]
pub struct OffsetAtTimeInfo {
    pub partition: i32,
    /// Null where no message is that recent.
    pub offset: Option<f64>,
}

#[napi(object)]
pub struct GroupMemberInfo {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    pub assignment: Vec<crate::consumer::TopicPartitionInfo>,
}

#[napi(object)]
pub struct GroupDescriptionInfo {
    pub group_id: String,
    /// 'classic', 'consumer', 'share' or 'unknown'.
    pub group_type: String,
    pub state: String,
    pub partition_assignor: String,
    pub simple: bool,
    pub coordinator: Option<i32>,
    pub members: Vec<GroupMemberInfo>,
}

/// A topic, a broker or a group: `kind` is `'topic'`, `'broker'` (named by its id) or `'group'`.
#[napi(object)]
pub struct ConfigResourceInput {
    pub kind: String,
    pub name: String,
}

/// Settings for one resource.
#[napi(object)]
pub struct ConfigChangeInput {
    pub kind: String,
    pub name: String,
    pub config: HashMap<String, String>,
}

#[napi(object)]
pub struct ConfigSynonymInfo {
    pub name: String,
    pub value: Option<String>,
    pub source: u32,
}

#[napi(object)]
pub struct ConfigEntryInfo {
    pub name: String,
    pub value: Option<String>,
    /// Kafka's config source number (1 topic, 2 dynamic broker, 4 static broker, 5 default, ...).
    pub source: u32,
    pub is_default: bool,
    pub read_only: bool,
    pub sensitive: bool,
    pub synonyms: Vec<ConfigSynonymInfo>,
}

#[napi(object)]
pub struct ConfigDescriptionInfo {
    pub kind: String,
    pub name: String,
    pub entries: Vec<ConfigEntryInfo>,
}

fn config_resource(
    kind: &str,
    name: String,
) -> std::result::Result<kafka_native::ConfigResource, kafka_native::KafkaError> {
    let kind = match kind {
        "topic" => kafka_native::ResourceKind::Topic,
        "broker" => kafka_native::ResourceKind::Broker,
        "group" => kafka_native::ResourceKind::Group,
        other => {
            return Err(kafka_native::KafkaError::InvalidArgument {
                argument: "kind".to_string(),
                message: format!("must be 'topic', 'broker' or 'group', got {other:?}"),
            })
        }
    };
    Ok(kafka_native::ConfigResource { kind, name })
}

fn kind_name(kind: kafka_native::ResourceKind) -> String {
    match kind {
        kafka_native::ResourceKind::Topic => "topic".to_string(),
        kafka_native::ResourceKind::Broker => "broker".to_string(),
        kafka_native::ResourceKind::Group => "group".to_string(),
    }
}

fn config_changes(
    changes: Vec<ConfigChangeInput>,
) -> std::result::Result<Vec<kafka_native::ConfigChange>, kafka_native::KafkaError> {
    changes
        .into_iter()
        .map(|c| {
            let mut settings: Vec<(String, String)> = c.config.into_iter().collect();
            settings.sort();
            Ok((config_resource(&c.kind, c.name)?, settings))
        })
        .collect()
}

/// The admin client; every call runs on a thread of ours and settles a Promise.
#[napi]
pub struct NativeAdmin {
    /// Dropped first: see `PendingTokenWake`.
    _token_wake: Option<PendingTokenWake>,
    /// `None` once stopped. Each call holds its own reference, so the client is destroyed
    /// when `stop()` has run and the calls in flight have ended.
    inner: parking_lot::Mutex<Option<Arc<kafka_native::Admin>>>,
    /// This client's turn on the call pool.
    lane: Arc<call_pool::Lane>,
    /// Its logger's end: `stop()` settles behind the last line.
    log_lines: Option<LogLines>,
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
        on_log: Option<Function<'_, Option<LogEntry>, ()>>,
        oauthbearer: Option<&OAuthBearerBridge>,
    ) -> Result<Self> {
        let mut config = kafka_native::AdminConfig::new("");
        let (client, log_lines) = client_options(
            options.brokers,
            Some(0),
            options.driver_options,
            None,
            on_log,
        )?;
        config.client = client;
        config.client.oauthbearer_token = oauthbearer.map(|b| b.provider.clone());
        if let Some(ms) = options.request_timeout_ms {
            config.request_timeout = Duration::from_millis(ms.into());
        }
        let inner = kafka_native::Admin::new(config).map_err(|e| js_error(env, &e))?;
        Ok(NativeAdmin {
            _token_wake: oauthbearer.map(OAuthBearerBridge::wake_on_drop),
            inner: parking_lot::Mutex::new(Some(Arc::new(inner))),
            lane: Arc::default(),
            log_lines,
        })
    }

    /// Stops the client: later calls reject with `STOPPED`; the client (its thread and
    /// connections) goes once the calls in flight have ended. Resolves at once; idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let admin = self.inner.lock().take();
        // Dropped on a thread of ours: the last reference joins the client's events thread.
        promise_from_pool_after_logs(env, &self.lane, self.log_lines.clone(), move || {
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
        promise_from_pool(env, &self.lane, move || inner?.create_topics(&topics))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_topics<'env>(&self, env: &'env Env, topics: Vec<String>) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || inner?.delete_topics(&topics))
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
        promise_from_pool(env, &self.lane, move || inner?.create_partitions(&totals))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_groups<'env>(
        &self,
        env: &'env Env,
        group_ids: Vec<String>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || inner?.delete_groups(&group_ids))
    }

    /// Sets a group's committed offsets (each the next offset to read).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        offsets: Vec<crate::types::TopicPartitionOffset>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        let offsets = crate::types::core_offsets(offsets);
        promise_from_pool(env, &self.lane, move || {
            inner?.set_group_offsets(&group_id, &offsets)
        })
    }

    /// A share group's start offset, leader epoch and lag on each partition it has begun.
    #[napi(ts_return_type = "Promise<ShareGroupOffsetInfo[]>")]
    pub fn share_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            Ok(inner?
                .share_group_offsets(&group_id)?
                .into_iter()
                .map(|o| ShareGroupOffsetInfo {
                    topic: o.topic,
                    partition: o.partition,
                    start_offset: o.start_offset as f64,
                    leader_epoch: o.leader_epoch,
                    lag: o.lag.map(|l| l as f64),
                })
                .collect::<Vec<_>>())
        })
    }

    /// Moves a share group's start offsets (the group must have no members).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_share_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        offsets: Vec<TopicPartitionStart>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            let starts = offsets
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    let what = format!("setShareGroupOffsets() argument offsets[{i}].offset");
                    let start = kafka_native::StartOffset::parse_as(&o.offset, &what)?;
                    Ok((
                        kafka_native::TopicPartition::new(o.topic, o.partition),
                        start,
                    ))
                })
                .collect::<std::result::Result<Vec<_>, kafka_native::KafkaError>>()?;
            inner?.set_share_group_offsets(&group_id, &starts)
        })
    }

    /// Forgets a share group's offsets of whole topics (the group must have no members).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_share_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        topics: Vec<String>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            inner?.delete_share_group_offsets(&group_id, &topics)
        })
    }

    #[napi(ts_return_type = "Promise<TopicListingInfo[]>")]
    pub fn list_topics<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
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
        promise_from_pool(env, &self.lane, move || {
            let w = inner?.watermarks(&topic, partition)?;
            Ok(WatermarksInfo {
                low: w.low as f64,
                high: w.high as f64,
            })
        })
    }

    /// The consumer groups; with `share`, the share groups (KIP-932) instead.
    #[napi(ts_return_type = "Promise<GroupListingInfo[]>")]
    pub fn list_groups<'env>(&self, env: &'env Env, share: bool) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            let inner = inner?;
            let groups = if share {
                inner.list_share_groups()?
            } else {
                inner.list_groups()?
            };
            Ok(groups
                .into_iter()
                .map(GroupListingInfo::from)
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<ClusterInfo>")]
    pub fn describe_cluster<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            let c = inner?.describe_cluster()?;
            Ok(ClusterInfo {
                cluster_id: c.cluster_id,
                controller: c.controller,
                brokers: c
                    .brokers
                    .into_iter()
                    .map(|b| BrokerInfo {
                        id: b.id,
                        host: b.host,
                        port: b.port,
                    })
                    .collect(),
            })
        })
    }

    /// Every topic when `topics` is empty.
    #[napi(ts_return_type = "Promise<TopicDescriptionInfo[]>")]
    pub fn describe_topics<'env>(
        &self,
        env: &'env Env,
        topics: Vec<String>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            Ok(inner?
                .describe_topics(&topics)?
                .into_iter()
                .map(|t| TopicDescriptionInfo {
                    topic: t.topic,
                    partitions: t
                        .partitions
                        .into_iter()
                        .map(|p| PartitionDescriptionInfo {
                            partition: p.partition,
                            leader: p.leader,
                            replicas: p.replicas,
                            in_sync_replicas: p.in_sync_replicas,
                            error: p.error,
                        })
                        .collect(),
                })
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<OffsetAtTimeInfo[]>")]
    pub fn offsets_at_time<'env>(
        &self,
        env: &'env Env,
        topic: String,
        at_ms: f64,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            Ok(inner?
                .offsets_at_time(&topic, at_ms as i64)?
                .into_iter()
                .map(|o| OffsetAtTimeInfo {
                    partition: o.partition,
                    offset: o.offset.map(|v| v as f64),
                })
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<GroupDescriptionInfo[]>")]
    pub fn describe_groups<'env>(
        &self,
        env: &'env Env,
        group_ids: Vec<String>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            Ok(inner?
                .describe_groups(&group_ids)?
                .into_iter()
                .map(|g| GroupDescriptionInfo {
                    group_id: g.group_id,
                    group_type: g.group_type.as_str().to_string(),
                    state: g.state,
                    partition_assignor: g.partition_assignor,
                    simple: g.simple,
                    coordinator: g.coordinator,
                    members: g
                        .members
                        .into_iter()
                        .map(|m| GroupMemberInfo {
                            member_id: m.member_id,
                            client_id: m.client_id,
                            host: m.host,
                            group_instance_id: m.group_instance_id,
                            assignment: m.assignment.into_iter().map(Into::into).collect(),
                        })
                        .collect(),
                })
                .collect::<Vec<_>>())
        })
    }

    #[napi(ts_return_type = "Promise<ConfigDescriptionInfo[]>")]
    pub fn describe_configs<'env>(
        &self,
        env: &'env Env,
        resources: Vec<ConfigResourceInput>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            let resources = resources
                .into_iter()
                .map(|r| config_resource(&r.kind, r.name))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(inner?
                .describe_configs(&resources)?
                .into_iter()
                .map(|d| ConfigDescriptionInfo {
                    kind: kind_name(d.resource.kind),
                    name: d.resource.name,
                    entries: d
                        .entries
                        .into_iter()
                        .map(|e| ConfigEntryInfo {
                            name: e.name,
                            value: e.value,
                            source: e.source as u32,
                            is_default: e.is_default,
                            read_only: e.read_only,
                            sensitive: e.sensitive,
                            synonyms: e
                                .synonyms
                                .into_iter()
                                .map(|s| ConfigSynonymInfo {
                                    name: s.name,
                                    value: s.value,
                                    source: s.source as u32,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect::<Vec<_>>())
        })
    }

    /// Sets the settings named; the others stay (IncrementalAlterConfigs).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_configs<'env>(
        &self,
        env: &'env Env,
        changes: Vec<ConfigChangeInput>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            inner?.set_configs(&config_changes(changes)?)
        })
    }

    /// Replaces each resource's dynamic configuration (AlterConfigs).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn replace_configs<'env>(
        &self,
        env: &'env Env,
        changes: Vec<ConfigChangeInput>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
            inner?.replace_configs(&config_changes(changes)?)
        })
    }

    /// Deletes each partition's messages before its offset (-1: all); resolves each
    /// partition's new low watermark.
    #[napi(ts_return_type = "Promise<TopicPartitionOffset[]>")]
    pub fn delete_records<'env>(
        &self,
        env: &'env Env,
        before: Vec<crate::types::TopicPartitionOffset>,
    ) -> Result<Object<'env>> {
        let inner = self.admin();
        let before = crate::types::core_offsets(before);
        promise_from_pool(env, &self.lane, move || {
            Ok(crate::types::js_offsets(inner?.delete_records(&before)?))
        })
    }

    #[napi(ts_return_type = "Promise<GroupOffsetInfo[]>")]
    pub fn group_offsets<'env>(&self, env: &'env Env, group_id: String) -> Result<Object<'env>> {
        let inner = self.admin();
        promise_from_pool(env, &self.lane, move || {
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
