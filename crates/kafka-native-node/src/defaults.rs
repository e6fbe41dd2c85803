//! The core's defaults, constants and tables, for `js/`: each lives in one place, the core,
//! and JS reads it from here (options, timeouts, magic offsets, option properties, error names).

use std::collections::HashMap;

use napi_derive::napi;

#[napi(object)]
pub struct ProducerDefaults {
    #[napi(js_name = "statistics_interval_ms")]
    pub statistics_interval_ms: u32,
    #[napi(js_name = "queue_buffering_max_messages")]
    pub queue_buffering_max_messages: u32,
    #[napi(js_name = "queue_buffering_max_kbytes")]
    pub queue_buffering_max_kbytes: u32,
    #[napi(js_name = "queue_buffering_max_ms")]
    pub queue_buffering_max_ms: u32,
}

#[napi(object)]
pub struct ConsumerDefaults {
    #[napi(js_name = "offset_directory")]
    pub offset_directory: String,
    #[napi(js_name = "start_offset")]
    pub start_offset: String,
    #[napi(js_name = "max_messages_per_callback")]
    pub max_messages_per_callback: u32,
    #[napi(js_name = "statistics_interval_ms")]
    pub statistics_interval_ms: u32,
    #[napi(js_name = "queued_max_messages_kbytes")]
    pub queued_max_messages_kbytes: u32,
    #[napi(js_name = "fetch_wait_max_ms")]
    pub fetch_wait_max_ms: u32,
    #[napi(js_name = "num_workers")]
    pub num_workers: i32,
    #[napi(js_name = "worker_slot")]
    pub worker_slot: i32,
}

#[napi(object)]
pub struct ShareConsumerDefaults {
    #[napi(js_name = "acknowledgement_mode")]
    pub acknowledgement_mode: String,
    #[napi(js_name = "acquire_mode")]
    pub acquire_mode: String,
    #[napi(js_name = "renew_locks")]
    pub renew_locks: bool,
    #[napi(js_name = "poll_wait_ms")]
    pub poll_wait_ms: u32,
    #[napi(js_name = "stop_timeout_ms")]
    pub stop_timeout_ms: u32,
    #[napi(js_name = "join_timeout_ms")]
    pub join_timeout_ms: u32,
    #[napi(js_name = "statistics_interval_ms")]
    pub statistics_interval_ms: u32,
}

fn ms(d: std::time::Duration) -> u32 {
    d.as_millis() as u32
}

#[napi]
pub fn producer_defaults() -> ProducerDefaults {
    let c = kafka_native::ProducerConfig::new("");
    ProducerDefaults {
        statistics_interval_ms: ms(c.client.statistics_interval),
        queue_buffering_max_messages: c.queue_buffering_max_messages,
        queue_buffering_max_kbytes: c.queue_buffering_max_kbytes,
        queue_buffering_max_ms: ms(c.queue_buffering_max),
    }
}

#[napi]
pub fn consumer_defaults() -> ConsumerDefaults {
    let c = kafka_native::ConsumerConfig::new("", "");
    ConsumerDefaults {
        offset_directory: c
            .offset_directory
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        start_offset: c.start_offset.to_string(),
        max_messages_per_callback: c.max_messages_per_callback as u32,
        statistics_interval_ms: ms(c.client.statistics_interval),
        queued_max_messages_kbytes: c.queued_max_messages_kbytes,
        fetch_wait_max_ms: ms(c.fetch_wait_max),
        num_workers: c.num_workers,
        worker_slot: c.worker_slot,
    }
}

#[napi]
pub fn share_consumer_defaults() -> ShareConsumerDefaults {
    let c = kafka_native::ShareConsumerConfig::new("", "");
    ShareConsumerDefaults {
        acknowledgement_mode: c.acknowledgement_mode.as_str().to_string(),
        acquire_mode: c.acquire_mode.as_str().to_string(),
        renew_locks: c.renew_locks,
        poll_wait_ms: ms(c.poll_wait),
        stop_timeout_ms: ms(c.stop_timeout),
        join_timeout_ms: ms(c.join_timeout),
        statistics_interval_ms: ms(c.client.statistics_interval),
    }
}

/// The timeouts of calls that take an optional one, in ms.
#[napi(object)]
pub struct TimeoutDefaults {
    #[napi(js_name = "stop_ms")]
    pub stop_ms: u32,
    #[napi(js_name = "metadata_ms")]
    pub metadata_ms: u32,
    #[napi(js_name = "transaction_ms")]
    pub transaction_ms: u32,
    #[napi(js_name = "lag_ms")]
    pub lag_ms: u32,
}

#[napi]
pub fn timeout_defaults() -> TimeoutDefaults {
    TimeoutDefaults {
        stop_ms: ms(kafka_native::DEFAULT_STOP_TIMEOUT),
        metadata_ms: ms(kafka_native::DEFAULT_METADATA_TIMEOUT),
        transaction_ms: ms(kafka_native::DEFAULT_TRANSACTION_TIMEOUT),
        lag_ms: ms(kafka_native::DEFAULT_LAG_TIMEOUT),
    }
}

/// Each typed option of a client and the librdkafka properties it sets.
#[napi(object)]
pub struct OptionProperties {
    pub producer: HashMap<String, Vec<String>>,
    pub consumer: HashMap<String, Vec<String>>,
}

#[napi]
pub fn option_properties() -> OptionProperties {
    let table = |pairs: &[(&str, &[&str])]| {
        pairs
            .iter()
            .map(|(option, properties)| {
                let properties = properties.iter().map(|p| p.to_string()).collect();
                (option.to_string(), properties)
            })
            .collect()
    };
    OptionProperties {
        producer: table(kafka_native::ProducerConfig::OPTION_PROPERTIES),
        consumer: table(kafka_native::ConsumerConfig::OPTION_PROPERTIES),
    }
}

/// An error name as `err.code` carries it, and its number (librdkafka's table; Kafka's own
/// errors by their protocol number, librdkafka's local ones negative).
#[napi(object)]
pub struct ErrorCodeName {
    pub name: String,
    pub code: i32,
}

/// The names `err.code` can carry: librdkafka's, with their numbers, and the client's own.
#[napi(object)]
pub struct ErrorNames {
    pub librdkafka: Vec<ErrorCodeName>,
    pub client: Vec<String>,
}

#[napi]
pub fn error_names() -> ErrorNames {
    ErrorNames {
        librdkafka: kafka_native::error_codes()
            .into_iter()
            .map(|(name, code)| ErrorCodeName { name, code })
            .collect(),
        client: kafka_native::KafkaError::CLIENT_CODE_NAMES
            .iter()
            .map(|n| n.to_string())
            .collect(),
    }
}
