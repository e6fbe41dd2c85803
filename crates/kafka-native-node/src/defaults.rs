//! The core's defaults, for `js/client/options.js`: defaults live in one place, the core.

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
