//! [`GroupMetadata`]: a consumer's group metadata (`rd_kafka_consumer_group_metadata_t`).

use kafka_native_sys as rdsys;

use super::NativePtr;
use crate::error::KafkaError;

/// A consumer's group metadata (`rd_kafka_consumer_group_metadata_t`), for
/// [`Producer::send_offsets_to_transaction`](crate::Producer::send_offsets_to_transaction).
pub struct GroupMetadata(pub(super) NativePtr<rdsys::rd_kafka_consumer_group_metadata_t>);

impl GroupMetadata {
    /// The metadata of `group_id` alone, without a consumer's generation and member id: for a
    /// transactional producer committing offsets for a group it is not a member of (as
    /// KafkaJS's `sendOffsets({consumerGroupId})`). The broker then cannot fence a zombie
    /// member of the group by its generation, as it can with a consumer's own metadata.
    pub fn for_group(group_id: &str) -> Result<GroupMetadata, KafkaError> {
        if group_id.is_empty() {
            return Err(KafkaError::invalid("group_id", "must not be empty"));
        }
        let id = std::ffi::CString::new(group_id)
            .map_err(|_| KafkaError::invalid("group_id", "must not contain a NUL character"))?;
        // SAFETY: `id` is a live NUL-terminated string, which librdkafka copies; the metadata
        // returned (never null for a non-null id) is owned here.
        unsafe { NativePtr::from_ptr(rdsys::rd_kafka_consumer_group_metadata_new(id.as_ptr())) }
            .map(GroupMetadata)
            .ok_or_else(|| KafkaError::invalid("group_id", "was refused by librdkafka"))
    }
}

// SAFETY: the metadata object is written only when created; librdkafka only reads it afterwards
// (send_offsets_to_transaction copies it), and it may be freed on any thread.
unsafe impl Send for GroupMetadata {}
// SAFETY: as above: every use through `&` reads.
unsafe impl Sync for GroupMetadata {}
