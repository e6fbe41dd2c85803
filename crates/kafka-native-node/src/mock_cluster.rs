use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::js_error;

/// librdkafka's embedded mock cluster: real Kafka-protocol brokers on loopback.
#[napi]
pub struct MockCluster {
    inner: kafka_native::MockCluster,
}

#[napi]
impl MockCluster {
    #[napi(constructor)]
    pub fn new(brokers: Option<i32>) -> Result<Self> {
        Ok(MockCluster {
            inner: kafka_native::MockCluster::new(brokers.unwrap_or(1)).map_err(js_error)?,
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
        topic: String,
        partitions: i32,
        replication_factor: Option<i32>,
    ) -> Result<()> {
        self.inner
            .create_topic(&topic, partitions, replication_factor.unwrap_or(1))
            .map_err(js_error)
    }

    /// The partitions the broker led move to another replica that is up.
    #[napi]
    pub fn broker_down(&self, broker_id: i32) -> Result<()> {
        self.inner.broker_down(broker_id).map_err(js_error)
    }

    #[napi]
    pub fn broker_up(&self, broker_id: i32) -> Result<()> {
        self.inner.broker_up(broker_id).map_err(js_error)
    }

    /// The broker leading a partition of a topic made with `create_topic`, or null.
    #[napi]
    pub fn partition_leader(&self, topic: String, partition: i32) -> Option<i32> {
        self.inner.partition_leader(&topic, partition)
    }

    /// Makes a broker advertise `host:port` instead of its own address (a TLS terminator
    /// there, in front of `brokerPort(id)`, gives a TLS cluster).
    #[napi]
    pub fn set_broker_address(&self, broker_id: i32, host: String, port: u32) -> Result<()> {
        let port = u16::try_from(port).map_err(|_| {
            Error::new(
                Status::InvalidArg,
                format!("port must be between 1 and 65535, got {port}"),
            )
        })?;
        self.inner
            .set_broker_address(broker_id, &host, port)
            .map_err(js_error)
    }

    /// The port a broker listens on.
    #[napi]
    pub fn broker_port(&self, broker_id: i32) -> Result<u32> {
        self.inner
            .broker_port(broker_id)
            .map(u32::from)
            .map_err(js_error)
    }

    /// Adds `rtt_ms` of round-trip delay to a broker's responses.
    #[napi]
    pub fn set_broker_rtt(&self, broker_id: i32, rtt_ms: i32) -> Result<()> {
        self.inner
            .set_broker_rtt(broker_id, rtt_ms)
            .map_err(js_error)
    }
}
