//! The cluster's metadata (brokers, topics, where each partition lives), copied out of one
//! metadata answer.

use std::ptr;
use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use super::convert::timeout_ms;
use super::{array, check, from_cstr, NativeClient, NativePtr};
use crate::admin::descriptions::{BrokerDescription, PartitionDescription, TopicDescription};
use crate::error::KafkaError;

/// A metadata answer: every broker, and every topic with its error, if any.
pub(crate) struct ClusterMetadata {
    pub(crate) brokers: Vec<BrokerDescription>,
    pub(crate) topics: Vec<(TopicDescription, Option<resp>)>,
}

impl NativeClient {
    /// One metadata request for every topic.
    pub(crate) fn cluster_metadata(
        &self,
        timeout: Duration,
    ) -> Result<ClusterMetadata, KafkaError> {
        let mut md: *const rdsys::rd_kafka_metadata_t = ptr::null();
        // SAFETY: the handle is live; all_topics = 1; md receives an owned metadata object.
        let err = unsafe {
            rdsys::rd_kafka_metadata(self.ptr(), 1, ptr::null_mut(), &mut md, timeout_ms(timeout))
        };
        check(err, "metadata request")?;
        // SAFETY: on success md is an owned metadata object, freed when this goes.
        let Some(md) = (unsafe { NativePtr::from_ptr(md as *mut rdsys::rd_kafka_metadata_t) })
        else {
            return Err(KafkaError::kafka(err, "metadata request", String::new()));
        };
        // SAFETY: md is live; each array points at its count of entries, whose strings are
        // NUL-terminated and live as long as md.
        unsafe {
            let md = &*md.ptr();
            let mut brokers: Vec<BrokerDescription> = array(md.brokers, md.broker_cnt)
                .iter()
                .map(|b| BrokerDescription {
                    id: b.id,
                    host: from_cstr(b.host),
                    port: b.port,
                })
                .collect();
            brokers.sort_by_key(|b| b.id);
            let topics = array(md.topics, md.topic_cnt)
                .iter()
                .map(|t| {
                    let mut partitions: Vec<PartitionDescription> =
                        array(t.partitions, t.partition_cnt)
                            .iter()
                            .map(|p| PartitionDescription {
                                partition: p.id,
                                leader: p.leader,
                                replicas: array(p.replicas, p.replica_cnt).to_vec(),
                                in_sync_replicas: array(p.isrs, p.isr_cnt).to_vec(),
                                error: (p.err != resp::RD_KAFKA_RESP_ERR_NO_ERROR)
                                    .then(|| super::error_name(p.err)),
                            })
                            .collect();
                    partitions.sort_by_key(|p| p.partition);
                    let error = (t.err != resp::RD_KAFKA_RESP_ERR_NO_ERROR).then_some(t.err);
                    let topic = TopicDescription {
                        topic: from_cstr(t.topic),
                        partitions,
                    };
                    (topic, error)
                })
                .collect();
            Ok(ClusterMetadata { brokers, topics })
        }
    }

    /// The controller's broker id, once metadata has named it.
    pub(crate) fn controller_id(&self, timeout: Duration) -> Option<i32> {
        // SAFETY: the handle is live; the call only reads the cached metadata (waiting for it).
        let id = unsafe { rdsys::rd_kafka_controllerid(self.ptr(), timeout_ms(timeout)) };
        (id >= 0).then_some(id)
    }
}
