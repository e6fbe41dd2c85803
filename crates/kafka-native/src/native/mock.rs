//! librdkafka's embedded mock cluster (`rd_kafka_mock_cluster_t`).

use std::os::raw::c_int;

use kafka_native_sys as rdsys;

use super::client::ClientKind;
use super::{check, from_cstr, to_cstring, NativeClient, NativeConf, NativePtr};
use crate::error::{ErrorCode, KafkaError};
use crate::mock::request::MockRequest;

/// A mock cluster and the client handle it lives on. Field order matters: the cluster is
/// destroyed before the handle that owns its thread.
pub(crate) struct NativeMockCluster {
    cluster: NativePtr<rdsys::rd_kafka_mock_cluster_t>,
    _client: NativeClient,
}

// SAFETY: every rd_kafka_mock_* call we make hands its work to the mock cluster's own thread (or
// locks the cluster) and waits, so they may come from any thread; the bootstrap string is
// immutable after creation. The cluster is destroyed once, by its owner.
unsafe impl Send for NativeMockCluster {}
// SAFETY: as above.
unsafe impl Sync for NativeMockCluster {}

impl NativeMockCluster {
    pub(crate) fn new(brokers: i32) -> Result<Self, KafkaError> {
        let mut conf = NativeConf::new();
        // The host handle only carries the cluster; keep its own logging to warnings.
        conf.set("log_level", "4")?;
        let client = NativeClient::new(ClientKind::Producer, conf)?;
        // SAFETY: the client handle is live and outlives the cluster (field order).
        let raw = unsafe { rdsys::rd_kafka_mock_cluster_new(client.ptr(), brokers as c_int) };
        // SAFETY: a non-null cluster is ours to destroy.
        let cluster =
            unsafe { NativePtr::from_ptr(raw) }.ok_or_else(|| KafkaError::ClientCreation {
                message: format!("could not start a mock cluster with {brokers} brokers"),
            })?;
        // A cluster has a controller, one of its brokers (1..n); the mock names none (0) until
        // told, and a client looking for it (KafkaJS's describeCluster) finds none.
        // SAFETY: the cluster is live.
        unsafe { rdsys::rd_kafka_mock_set_controller_id(cluster.ptr(), 1) };
        Ok(NativeMockCluster {
            cluster,
            _client: client,
        })
    }

    fn ptr(&self) -> *mut rdsys::rd_kafka_mock_cluster_t {
        self.cluster.ptr()
    }

    pub(crate) fn bootstraps(&self) -> String {
        // SAFETY: the cluster is live; the string lives as long as the cluster and is copied.
        unsafe { from_cstr(rdsys::rd_kafka_mock_cluster_bootstraps(self.ptr())) }
    }

    pub(crate) fn topic_create(
        &self,
        topic: &str,
        partitions: i32,
        replication_factor: i32,
    ) -> Result<(), KafkaError> {
        let c_topic = to_cstring("topic", topic)?;
        // SAFETY: the cluster is live; the name is copied.
        let err = unsafe {
            rdsys::rd_kafka_mock_topic_create(
                self.ptr(),
                c_topic.as_ptr(),
                partitions,
                replication_factor,
            )
        };
        check(err, &format!("create mock topic {topic:?}"))
    }

    pub(crate) fn broker_set_down(&self, broker_id: i32) -> Result<(), KafkaError> {
        // SAFETY: the cluster is live.
        check(
            unsafe { rdsys::rd_kafka_mock_broker_set_down(self.ptr(), broker_id) },
            "set broker down",
        )
    }

    pub(crate) fn broker_set_up(&self, broker_id: i32) -> Result<(), KafkaError> {
        // SAFETY: the cluster is live.
        check(
            unsafe { rdsys::rd_kafka_mock_broker_set_up(self.ptr(), broker_id) },
            "set broker up",
        )
    }

    /// Sets the address a broker advertises in metadata (it still listens where it did).
    pub(crate) fn broker_set_advertised(
        &self,
        broker_id: i32,
        host: &str,
        port: u16,
    ) -> Result<(), KafkaError> {
        let c_host = to_cstring("host", host)?;
        // SAFETY: the cluster is live; librdkafka copies the host under the cluster's lock.
        unsafe {
            rdsys::rd_kafka_mock_broker_set_host_port(
                self.ptr(),
                broker_id,
                c_host.as_ptr(),
                c_int::from(port),
            )
        };
        Ok(())
    }

    pub(crate) fn start_request_tracking(&self) {
        // SAFETY: the cluster is live; librdkafka takes the cluster's lock.
        unsafe { rdsys::rd_kafka_mock_start_request_tracking(self.ptr()) }
    }

    /// The requests received since tracking started, in order.
    pub(crate) fn requests(&self) -> Vec<MockRequest> {
        let mut count = 0usize;
        // SAFETY: the cluster is live; librdkafka returns null (none) or an array of `count`
        // copies, which the caller owns and frees with rd_kafka_mock_request_destroy_array.
        let array = unsafe { rdsys::rd_kafka_mock_get_requests(self.ptr(), &mut count) };
        if array.is_null() {
            return Vec::new();
        }
        // SAFETY: `array` holds `count` request pointers, live until destroyed below.
        let copies = unsafe { std::slice::from_raw_parts(array, count) };
        let requests = copies
            .iter()
            .map(|&request| {
                // SAFETY: each copy is live until the array is destroyed below.
                unsafe {
                    MockRequest {
                        broker_id: rdsys::rd_kafka_mock_request_id(request),
                        api_key: rdsys::rd_kafka_mock_request_api_key(request),
                        received_us: rdsys::rd_kafka_mock_request_timestamp(request),
                    }
                }
            })
            .collect();
        // SAFETY: the array and its copies are ours, freed once; `copies` is not used after.
        unsafe { rdsys::rd_kafka_mock_request_destroy_array(array, count) };
        requests
    }

    pub(crate) fn broker_set_rtt(&self, broker_id: i32, rtt_ms: i32) -> Result<(), KafkaError> {
        // SAFETY: the cluster is live.
        check(
            unsafe { rdsys::rd_kafka_mock_broker_set_rtt(self.ptr(), broker_id, rtt_ms) },
            "set broker rtt",
        )
    }

    pub(crate) fn partition_set_leader(
        &self,
        topic: &str,
        partition: i32,
        broker_id: i32,
    ) -> Result<(), KafkaError> {
        let c_topic = to_cstring("topic", topic)?;
        // SAFETY: the cluster is live; the name is copied.
        let err = unsafe {
            rdsys::rd_kafka_mock_partition_set_leader(
                self.ptr(),
                c_topic.as_ptr(),
                partition,
                broker_id,
            )
        };
        check(err, "set partition leader")
    }

    pub(crate) fn push_request_errors(&self, api_key: i16, errors: &[ErrorCode]) {
        let codes: Vec<i32> = errors.iter().map(|e| *e as i32).collect();
        // SAFETY: the cluster is live; rd_kafka_resp_err_t is a C int enum, so an array of i32 codes
        // has the layout C expects (Rust never reads these values back as the enum); they are copied.
        unsafe {
            rdsys::rd_kafka_mock_push_request_errors_array(
                self.ptr(),
                api_key,
                codes.len(),
                codes.as_ptr() as *const rdsys::rd_kafka_resp_err_t,
            )
        }
    }

    pub(crate) fn partition_retention_bytes_set(&self, bytes: i64) -> Result<(), KafkaError> {
        // SAFETY: the cluster is live.
        check(
            unsafe { rdsys::rd_kafka_mock_partition_retention_bytes_set(self.ptr(), bytes) },
            "set partition retention",
        )
    }

    pub(crate) fn group_initial_rebalance_delay(&self, delay_ms: i32) {
        // SAFETY: the cluster is live.
        unsafe { rdsys::rd_kafka_mock_group_initial_rebalance_delay_ms(self.ptr(), delay_ms) }
    }
}
