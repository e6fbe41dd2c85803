//! Owned topic-partition lists (`rd_kafka_topic_partition_list_t`), and what is read out of them.

use std::os::raw::c_int;
use std::time::Duration;

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t::{self as resp, RD_KAFKA_RESP_ERR_NO_ERROR};

use super::convert::timeout_ms;
use super::{check, from_cstr, to_cstring, NativePtr};
use crate::error::KafkaError;
use crate::topic_partition::{check_next_offsets, TopicPartition};

/// librdkafka's RD_KAFKA_PARTITION_UA (a C macro bindgen does not carry): any partition.
pub(crate) const PARTITION_UA: i32 = -1;

/// A topic-partition list (`rd_kafka_topic_partition_list_t`).
pub(crate) struct PartitionList(NativePtr<rdsys::rd_kafka_topic_partition_list_t>);

// SAFETY: a list is a plain value owned by this wrapper alone; moving it to another thread moves
// the only access to it. Not Sync: librdkafka writes into lists (offsets, errors) without locks.
unsafe impl Send for PartitionList {}

impl PartitionList {
    /// Partitions of one topic, each with an offset.
    pub(crate) fn new(topic: &str, partitions: &[(i32, i64)]) -> Result<Self, KafkaError> {
        let entries: Vec<(&str, i32, i64)> = partitions
            .iter()
            .map(|&(partition, offset)| (topic, partition, offset))
            .collect();
        Self::of(&entries)
    }

    /// A subscription to `topics`: each with any partition, as librdkafka's subscribe calls
    /// (the consumer's and the share consumer's) take it.
    pub(crate) fn subscription(topics: &[String]) -> Result<Self, KafkaError> {
        let entries: Vec<(&str, i32, i64)> = topics
            .iter()
            .map(|t| (t.as_str(), PARTITION_UA, 0))
            .collect();
        Self::of(&entries)
    }

    /// Each partition's next offset to read (a commit's, a transaction's, a group's to set),
    /// refused unless each is 0 or more.
    pub(crate) fn of_next_offsets(offsets: &[(TopicPartition, i64)]) -> Result<Self, KafkaError> {
        check_next_offsets(offsets)?;
        let entries: Vec<(&str, i32, i64)> = offsets
            .iter()
            .map(|(tp, offset)| (tp.topic.as_str(), tp.partition, *offset))
            .collect();
        PartitionList::of(&entries)
    }

    /// (topic, partition, offset) entries, of any topics.
    pub(crate) fn of(entries: &[(&str, i32, i64)]) -> Result<Self, KafkaError> {
        // SAFETY: never returns null.
        let list = unsafe {
            NativePtr::from_ptr(rdsys::rd_kafka_topic_partition_list_new(
                entries.len() as c_int
            ))
        }
        .expect("partition list");
        for &(topic, partition, offset) in entries {
            let c_topic = to_cstring("topic", topic)?;
            // SAFETY: the list is live; add copies the topic name and returns the new element.
            unsafe {
                let elem = rdsys::rd_kafka_topic_partition_list_add(
                    list.ptr(),
                    c_topic.as_ptr(),
                    partition,
                );
                (*elem).offset = offset;
            }
        }
        Ok(PartitionList(list))
    }

    /// A list librdkafka returned for the caller to free; `None` for null.
    ///
    /// # Safety
    /// `raw` is null or a live list the caller owns (this takes it over).
    pub(crate) unsafe fn take(raw: *mut rdsys::rd_kafka_topic_partition_list_t) -> Option<Self> {
        // SAFETY: per the contract.
        unsafe { NativePtr::from_ptr(raw) }.map(PartitionList)
    }

    /// An owned copy of a list librdkafka lent us.
    ///
    /// # Safety
    /// `raw` is a live list.
    pub(crate) unsafe fn copy_of(raw: *const rdsys::rd_kafka_topic_partition_list_t) -> Self {
        // SAFETY: per the contract; the copy is new and ours.
        PartitionList(
            unsafe { NativePtr::from_ptr(rdsys::rd_kafka_topic_partition_list_copy(raw)) }
                .expect("partition list copy"),
        )
    }

    pub(crate) fn ptr(&self) -> *mut rdsys::rd_kafka_topic_partition_list_t {
        self.0.ptr()
    }

    fn elements_mut(&mut self) -> &mut [rdsys::rd_kafka_topic_partition_t] {
        // SAFETY: the list is live and exclusively borrowed; `elems` points at `cnt` elements.
        unsafe {
            let list = &*self.0.ptr();
            if list.cnt <= 0 {
                return &mut [];
            }
            std::slice::from_raw_parts_mut(list.elems, list.cnt as usize)
        }
    }

    /// Writes each partition's latest offset (its high watermark) into the list.
    ///
    /// # Safety
    /// `rk` is a live client handle.
    pub(crate) unsafe fn fill_latest(
        &mut self,
        rk: *mut rdsys::rd_kafka_t,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: per the contract.
        unsafe { self.fill_offsets_at(rk, rdsys::RD_KAFKA_OFFSET_END as i64, timeout, "latest") }
    }

    /// Writes each partition's earliest offset (its log start) into the list.
    ///
    /// # Safety
    /// `rk` is a live client handle.
    pub(crate) unsafe fn fill_earliest(
        &mut self,
        rk: *mut rdsys::rd_kafka_t,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        // SAFETY: per the contract.
        unsafe {
            self.fill_offsets_at(
                rk,
                rdsys::RD_KAFKA_OFFSET_BEGINNING as i64,
                timeout,
                "earliest",
            )
        }
    }

    /// Writes into the list each partition's first offset whose timestamp is at or after
    /// `at` (ms), or -1 where there is none; one ListOffsets request per leader.
    ///
    /// # Safety
    /// `rk` is a live client handle.
    pub(crate) unsafe fn fill_offsets_at(
        &mut self,
        rk: *mut rdsys::rd_kafka_t,
        at: i64,
        timeout: Duration,
        what: &str,
    ) -> Result<(), KafkaError> {
        self.set_all_offsets(at);
        // SAFETY: per the contract; the list is live and librdkafka writes each element's
        // offset and err.
        let err = unsafe { rdsys::rd_kafka_offsets_for_times(rk, self.ptr(), timeout_ms(timeout)) };
        check(err, &format!("query {what} offsets"))?;
        match self
            .entries()
            .into_iter()
            .find_map(|e| e.error.map(|code| (e, code)))
        {
            Some((e, code)) => Err(KafkaError::kafka(
                code,
                &format!("{what} offset of {}/{}", e.topic, e.partition),
                String::new(),
            )),
            None => Ok(()),
        }
    }

    fn set_all_offsets(&mut self, offset: i64) {
        for e in self.elements_mut() {
            e.offset = offset;
        }
    }

    /// Each element, copied out.
    pub(crate) fn entries(&self) -> Vec<PartitionEntry> {
        // SAFETY: the list is live.
        unsafe { Self::entries_of(self.0.ptr()) }
    }

    /// Each element of a list librdkafka lent us, copied out.
    ///
    /// # Safety
    /// `raw` is a live list.
    pub(crate) unsafe fn entries_of(
        raw: *const rdsys::rd_kafka_topic_partition_list_t,
    ) -> Vec<PartitionEntry> {
        // SAFETY: per the contract; `elems` points at `cnt` elements whose topic names are
        // NUL-terminated strings owned by the list.
        unsafe {
            let list = &*raw;
            if list.cnt <= 0 {
                return Vec::new();
            }
            std::slice::from_raw_parts(list.elems, list.cnt as usize)
                .iter()
                .map(|e| PartitionEntry {
                    topic: from_cstr(e.topic),
                    partition: e.partition,
                    offset: e.offset,
                    error: (e.err != RD_KAFKA_RESP_ERR_NO_ERROR).then_some(e.err),
                })
                .collect()
        }
    }
}

impl PartitionList {
    /// Sets the offset of `topic`/`partition` in a list librdkafka lent us.
    ///
    /// # Safety
    /// `raw` is a live list we may modify.
    pub(crate) unsafe fn set_offset_in(
        raw: *mut rdsys::rd_kafka_topic_partition_list_t,
        topic: &str,
        partition: i32,
        offset: i64,
    ) {
        let Ok(c_topic) = to_cstring("topic", topic) else {
            return;
        };
        // SAFETY: per the contract; find returns an element of the list or null.
        unsafe {
            let elem = rdsys::rd_kafka_topic_partition_list_find(raw, c_topic.as_ptr(), partition);
            if !elem.is_null() {
                (*elem).offset = offset;
            }
        }
    }
}

/// One element of a [`PartitionList`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PartitionEntry {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) error: Option<resp>,
}
