use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::{invalid_argument, js_error};

/// librdkafka's embedded mock cluster: real Kafka-protocol brokers on loopback.
#[napi]
pub struct MockCluster {
    inner: kafka_native::MockCluster,
}

#[napi]
impl MockCluster {
    #[napi(constructor)]
    pub fn new(env: &Env, brokers: Option<i32>) -> Result<Self> {
        Ok(MockCluster {
            inner: kafka_native::MockCluster::new(brokers.unwrap_or(1))
                .map_err(|e| js_error(env, &e))?,
        })
    }

    #[napi(getter)]
    pub fn broker_count(&self) -> i32 {
        self.inner.broker_count()
    }

    /// `host:port,...` for the `broker` option.
    #[napi(getter)]
    pub fn bootstrap_servers(&self) -> String {
        self.inner.bootstrap_servers()
    }

    #[napi]
    pub fn create_topic(
        &self,
        env: &Env,
        topic: String,
        partitions: i32,
        replication_factor: Option<i32>,
    ) -> Result<()> {
        self.inner
            .create_topic(&topic, partitions, replication_factor.unwrap_or(1))
            .map_err(|e| js_error(env, &e))
    }

    /// The partitions the broker led move to another replica that is up.
    #[napi]
    pub fn broker_down(&self, env: &Env, broker_id: i32) -> Result<()> {
        self.inner
            .broker_down(broker_id)
            .map_err(|e| js_error(env, &e))
    }

    #[napi]
    pub fn broker_up(&self, env: &Env, broker_id: i32) -> Result<()> {
        self.inner
            .broker_up(broker_id)
            .map_err(|e| js_error(env, &e))
    }

    /// The broker leading a partition of a topic made with `create_topic`, or null.
    #[napi]
    pub fn partition_leader(&self, topic: String, partition: i32) -> Option<i32> {
        self.inner.partition_leader(&topic, partition)
    }

    /// Makes a broker advertise `host:port` instead of its own address (a TLS terminator
    /// there, in front of `brokerPort(id)`, gives a TLS cluster).
    #[napi]
    pub fn set_broker_address(
        &self,
        env: &Env,
        broker_id: i32,
        host: String,
        port: u32,
    ) -> Result<()> {
        let port = u16::try_from(port).map_err(|_| {
            invalid_argument(
                env,
                "port",
                format!("must be between 1 and 65535, got {port}"),
            )
        })?;
        self.inner
            .set_broker_address(broker_id, &host, port)
            .map_err(|e| js_error(env, &e))
    }

    /// The port a broker listens on.
    #[napi]
    pub fn broker_port(&self, env: &Env, broker_id: i32) -> Result<u32> {
        self.inner
            .broker_port(broker_id)
            .map(u32::from)
            .map_err(|e| js_error(env, &e))
    }

    /// Adds `rtt_ms` of round-trip delay to a broker's responses.
    #[napi]
    pub fn set_broker_rtt(&self, env: &Env, broker_id: i32, rtt_ms: i32) -> Result<()> {
        self.inner
            .set_broker_rtt(broker_id, rtt_ms)
            .map_err(|e| js_error(env, &e))
    }

    /// Makes broker `broker_id` the leader of a partition, as an election would; nothing else
    /// changes (with `set_broker_rtt`, an old leader that hangs rather than goes away).
    #[napi]
    pub fn set_partition_leader(
        &self,
        env: &Env,
        topic: String,
        partition: i32,
        broker_id: i32,
    ) -> Result<()> {
        self.inner
            .set_partition_leader(&topic, partition, broker_id)
            .map_err(|e| js_error(env, &e))
    }

    /// How many bytes of batches each partition keeps (librdkafka's mock: 5 MiB); JS checked
    /// that `bytes` is a positive safe integer.
    #[napi]
    pub fn set_partition_retention_bytes(&self, env: &Env, bytes: f64) -> Result<()> {
        self.inner
            .set_partition_retention_bytes(bytes as u64)
            .map_err(|e| js_error(env, &e))
    }

    /// How long a new group's first member waits for others (librdkafka's default: 3000 ms).
    #[napi]
    pub fn set_group_initial_rebalance_delay(&self, delay_ms: i32) {
        self.inner.set_group_initial_rebalance_delay(delay_ms)
    }

    /// The next requests with Kafka API key `api_key` fail with these errors (by name, as
    /// `err.code` gives them), one each, in order.
    #[napi]
    pub fn push_request_errors(&self, env: &Env, api_key: i32, errors: Vec<String>) -> Result<()> {
        let api_key = i16::try_from(api_key)
            .ok()
            .filter(|k| *k >= 0)
            .ok_or_else(|| {
                invalid_argument(
                    env,
                    "pushRequestErrors() argument apiKey",
                    format!("must be a Kafka API key, 0-32767, got {api_key}"),
                )
            })?;
        let codes = errors
            .iter()
            .enumerate()
            .map(|(i, name)| {
                kafka_native::error_code_named(name).ok_or_else(|| {
                    invalid_argument(
                        env,
                        &format!("pushRequestErrors() argument errors[{i}]"),
                        format!(
                            "must name a Kafka error (e.g. NOT_LEADER_FOR_PARTITION), got {name:?}"
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.inner.push_request_errors(api_key, &codes);
        Ok(())
    }
}
