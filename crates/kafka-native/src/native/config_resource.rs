//! Configuration resources (topics, brokers): describing their configuration and altering it.

use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use super::admin::{AdminCall, Request, TopicOutcome};
use super::{array, from_cstr, to_cstring, KafkaDrop, NativeClient, NativePtr};
use crate::admin::descriptions::{
    ConfigChange, ConfigDescription, ConfigEntry, ConfigResource, ConfigSource, ConfigSynonym,
    ResourceKind,
};
use crate::error::KafkaError;

// SAFETY: rd_kafka_ConfigResource_destroy is the resource's destroy function.
unsafe impl KafkaDrop for rdsys::rd_kafka_ConfigResource_t {
    unsafe fn drop_native(ptr: *mut Self) {
        // SAFETY: the caller owns `ptr`.
        unsafe { rdsys::rd_kafka_ConfigResource_destroy(ptr) }
    }
}

/// How an alteration treats the settings it does not name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlterMode {
    /// IncrementalAlterConfigs: only the settings named change.
    Incremental,
    /// AlterConfigs: the settings named replace the resource's dynamic configuration; those
    /// not named return to their defaults.
    Replace,
}

fn resource_type(kind: ResourceKind) -> rdsys::rd_kafka_ResourceType_t {
    match kind {
        ResourceKind::Topic => rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
        ResourceKind::Broker => rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_BROKER,
        ResourceKind::Group => rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_GROUP,
    }
}

fn config_source(source: rdsys::rd_kafka_ConfigSource_t) -> ConfigSource {
    use rdsys::rd_kafka_ConfigSource_t as s;
    match source {
        s::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => ConfigSource::DynamicTopic,
        s::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => ConfigSource::DynamicBroker,
        s::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => {
            ConfigSource::DynamicDefaultBroker
        }
        s::RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => ConfigSource::StaticBroker,
        s::RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => ConfigSource::Default,
        s::RD_KAFKA_CONFIG_SOURCE_GROUP_CONFIG => ConfigSource::Group,
        _ => ConfigSource::Unknown,
    }
}

/// A new resource for a request.
fn new_resource(
    resource: &ConfigResource,
) -> Result<NativePtr<rdsys::rd_kafka_ConfigResource_t>, KafkaError> {
    let name = to_cstring("resource name", &resource.name)?;
    // SAFETY: the name is copied; a non-null result is ours.
    let raw =
        unsafe { rdsys::rd_kafka_ConfigResource_new(resource_type(resource.kind), name.as_ptr()) };
    // SAFETY: as above.
    unsafe { NativePtr::from_ptr(raw) }
        .ok_or_else(|| KafkaError::invalid("resource", format!("{:?} was refused", resource.name)))
}

/// A string a config entry lends, `None` where null.
///
/// # Safety
/// `ptr` is null or a NUL-terminated string live for the call.
unsafe fn optional(ptr: *const std::os::raw::c_char) -> Option<String> {
    // SAFETY: per the contract.
    (!ptr.is_null()).then(|| unsafe { from_cstr(ptr) })
}

/// Copies a resource's config entries out.
///
/// # Safety
/// `resource` is a live resource of an answer.
unsafe fn entries_of(resource: *const rdsys::rd_kafka_ConfigResource_t) -> Vec<ConfigEntry> {
    let mut count = 0usize;
    // SAFETY: per the contract; the entries and their synonyms live as long as the resource.
    unsafe {
        let entries = array(
            rdsys::rd_kafka_ConfigResource_configs(resource, &mut count),
            count,
        );
        let mut out: Vec<ConfigEntry> = entries
            .iter()
            .map(|&e| {
                let mut synonym_count = 0usize;
                let synonyms = array(
                    rdsys::rd_kafka_ConfigEntry_synonyms(e, &mut synonym_count),
                    synonym_count,
                )
                .iter()
                .map(|&s| ConfigSynonym {
                    name: from_cstr(rdsys::rd_kafka_ConfigEntry_name(s)),
                    value: optional(rdsys::rd_kafka_ConfigEntry_value(s)),
                    source: config_source(rdsys::rd_kafka_ConfigEntry_source(s)),
                })
                .collect();
                ConfigEntry {
                    name: from_cstr(rdsys::rd_kafka_ConfigEntry_name(e)),
                    value: optional(rdsys::rd_kafka_ConfigEntry_value(e)),
                    source: config_source(rdsys::rd_kafka_ConfigEntry_source(e)),
                    is_default: rdsys::rd_kafka_ConfigEntry_is_default(e) != 0,
                    read_only: rdsys::rd_kafka_ConfigEntry_is_read_only(e) != 0,
                    sensitive: rdsys::rd_kafka_ConfigEntry_is_sensitive(e) != 0,
                    synonyms,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// A resource's error in an answer, if it has one.
///
/// # Safety
/// `resource` is a live resource of an answer.
unsafe fn resource_error(
    resource: *const rdsys::rd_kafka_ConfigResource_t,
) -> Option<(resp, String)> {
    // SAFETY: per the contract.
    unsafe {
        let err = rdsys::rd_kafka_ConfigResource_error(resource);
        (err != resp::RD_KAFKA_RESP_ERR_NO_ERROR).then(|| {
            (
                err,
                from_cstr(rdsys::rd_kafka_ConfigResource_error_string(resource)),
            )
        })
    }
}

/// What a broker answered for one resource: its description, or its error and the text.
pub(crate) type ConfigOutcome = Result<ConfigDescription, (ConfigResource, resp, String)>;

impl NativeClient {
    /// Each resource's configuration, every entry with its synonyms.
    pub(crate) fn describe_configs(
        &self,
        resources: &[ConfigResource],
        timeout: Duration,
    ) -> Result<Vec<ConfigOutcome>, KafkaError> {
        let owned = resources
            .iter()
            .map(new_resource)
            .collect::<Result<Vec<_>, _>>()?;
        let mut raw: Vec<*mut rdsys::rd_kafka_ConfigResource_t> =
            owned.iter().map(|r| r.ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_DescribeConfigs takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_DescribeConfigs,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
                "describe configs",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a DescribeConfigs result; its resources live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_DescribeConfigs_result(event.0.ptr());
            let answered = array(
                rdsys::rd_kafka_DescribeConfigs_result_resources(result, &mut count),
                count,
            );
            Ok(answered
                .iter()
                .map(|&r| {
                    let resource = ConfigResource {
                        kind: match rdsys::rd_kafka_ConfigResource_type(r) {
                            rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_BROKER => {
                                ResourceKind::Broker
                            }
                            rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_GROUP => {
                                ResourceKind::Group
                            }
                            _ => ResourceKind::Topic,
                        },
                        name: from_cstr(rdsys::rd_kafka_ConfigResource_name(r)),
                    };
                    match resource_error(r) {
                        Some((code, message)) => Err((resource, code, message)),
                        None => Ok(ConfigDescription {
                            resource,
                            entries: entries_of(r),
                        }),
                    }
                })
                .collect())
        }
    }

    /// Sets each resource's settings, as `mode` says; each resource's outcome by name.
    pub(crate) fn alter_configs(
        &self,
        changes: &[ConfigChange],
        mode: AlterMode,
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, KafkaError> {
        let mut owned = Vec::with_capacity(changes.len());
        for (resource, settings) in changes {
            let native = new_resource(resource)?;
            for (name, value) in settings {
                let (n, v) = (to_cstring("config", name)?, to_cstring(name, value)?);
                match mode {
                    AlterMode::Replace => {
                        // SAFETY: the resource is live; name and value are copied.
                        let err = unsafe {
                            rdsys::rd_kafka_ConfigResource_set_config(
                                native.ptr(),
                                n.as_ptr(),
                                v.as_ptr(),
                            )
                        };
                        super::check(err, &format!("config {name} of {:?}", resource.name))?;
                    }
                    AlterMode::Incremental => {
                        // SAFETY: the resource is live; name and value are copied; a non-null
                        // error is ours to destroy.
                        let error = unsafe {
                            rdsys::rd_kafka_ConfigResource_add_incremental_config(
                                native.ptr(),
                                n.as_ptr(),
                                rdsys::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                                v.as_ptr(),
                            )
                        };
                        // SAFETY: as above.
                        if let Some(error) = unsafe { NativePtr::from_ptr(error) } {
                            // SAFETY: the error is live.
                            let message =
                                unsafe { from_cstr(rdsys::rd_kafka_error_string(error.ptr())) };
                            return Err(KafkaError::invalid(
                                "config",
                                format!("{name} of {:?}: {message}", resource.name),
                            ));
                        }
                    }
                }
            }
            owned.push(native);
        }
        let mut raw: Vec<*mut rdsys::rd_kafka_ConfigResource_t> =
            owned.iter().map(|r| r.ptr()).collect();
        let (call, event_type): (AdminCall<_>, _) = match mode {
            AlterMode::Replace => (
                rdsys::rd_kafka_AlterConfigs,
                rdsys::RD_KAFKA_EVENT_ALTERCONFIGS_RESULT,
            ),
            AlterMode::Incremental => (
                rdsys::rd_kafka_IncrementalAlterConfigs,
                rdsys::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT,
            ),
        };
        // SAFETY: `raw` holds live config resources, the type both calls take.
        let event =
            unsafe { Request::run(self, call, &mut raw, timeout, event_type, "alter configs") }?;
        let mut count = 0usize;
        // SAFETY: the event is the result asked for; its resources live as long as it.
        unsafe {
            let answered = match mode {
                AlterMode::Replace => {
                    let result = rdsys::rd_kafka_event_AlterConfigs_result(event.0.ptr());
                    rdsys::rd_kafka_AlterConfigs_result_resources(result, &mut count)
                }
                AlterMode::Incremental => {
                    let result =
                        rdsys::rd_kafka_event_IncrementalAlterConfigs_result(event.0.ptr());
                    rdsys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count)
                }
            };
            Ok(array(answered, count)
                .iter()
                .map(|&r| {
                    (
                        from_cstr(rdsys::rd_kafka_ConfigResource_name(r)),
                        resource_error(r),
                    )
                })
                .collect())
        }
    }
}
