//! librdkafka's admin API: each request gets a queue of its own, and its answer comes back on it
//! as a result event, which is copied out into plain Rust values here.

use std::os::raw::{c_char, c_int};
use std::ptr;
use std::time::{Duration, Instant};

use kafka_native_sys as rdsys;
use rdsys::rd_kafka_resp_err_t as resp;

use super::convert::timeout_ms;
use super::partition_list::{PartitionEntry, PartitionList};
use super::{
    array, from_cstr, take_error, to_cstring, KafkaDrop, NativeClient, NativeEvent, NativePtr,
    NativeQueue,
};
use crate::admin::descriptions::{GroupDescription, GroupMember, GroupType};
use crate::error::KafkaError;
use crate::topic_partition::TopicPartition;

macro_rules! admin_drop {
    ($($t:ty => $destroy:path),* $(,)?) => {$(
        // SAFETY: `$destroy` is librdkafka's destroy function for `$t`.
        unsafe impl KafkaDrop for $t {
            unsafe fn drop_native(ptr: *mut Self) {
                // SAFETY: the caller owns `ptr`.
                unsafe { $destroy(ptr) }
            }
        }
    )*};
}

admin_drop! {
    rdsys::rd_kafka_AdminOptions_t => rdsys::rd_kafka_AdminOptions_destroy,
    rdsys::rd_kafka_NewTopic_t => rdsys::rd_kafka_NewTopic_destroy,
    rdsys::rd_kafka_DeleteTopic_t => rdsys::rd_kafka_DeleteTopic_destroy,
    rdsys::rd_kafka_ListConsumerGroupOffsets_t => rdsys::rd_kafka_ListConsumerGroupOffsets_destroy,
    rdsys::rd_kafka_NewPartitions_t => rdsys::rd_kafka_NewPartitions_destroy,
    rdsys::rd_kafka_DeleteGroup_t => rdsys::rd_kafka_DeleteGroup_destroy,
    rdsys::rd_kafka_AlterConsumerGroupOffsets_t => rdsys::rd_kafka_AlterConsumerGroupOffsets_destroy,
    rdsys::rd_kafka_DeleteConsumerGroupOffsets_t => rdsys::rd_kafka_DeleteConsumerGroupOffsets_destroy,
    rdsys::rd_kafka_DeleteRecords_t => rdsys::rd_kafka_DeleteRecords_destroy,
}

/// A partition of a group's offsets: the entry (a share group's start offset as its offset),
/// and what a share group's description adds, each -1 when not given.
pub(crate) struct GroupOffsetEntry {
    pub(crate) entry: PartitionEntry,
    pub(crate) leader_epoch: i32,
    pub(crate) share_lag: i64,
}

/// The partition list of the first group result of `groups` (`count` of them), which the group
/// offset calls answer with (`None` without one); the group's own error as `Err`.
///
/// # Safety
/// `groups` points at `count` live group results; the list lives as long as they do.
unsafe fn first_group_partitions(
    groups: *mut *const rdsys::rd_kafka_group_result_t,
    count: usize,
    what: &str,
) -> Result<Option<*const rdsys::rd_kafka_topic_partition_list_t>, KafkaError> {
    // SAFETY: per the contract.
    unsafe {
        if let Some((_, Some((code, message)))) = group_outcomes(groups, count).into_iter().next() {
            return Err(KafkaError::kafka(code, what, message));
        }
        let Some(&group) = array(groups, count).first() else {
            return Ok(None);
        };
        let partitions = rdsys::rd_kafka_group_result_partitions(group);
        Ok((!partitions.is_null()).then_some(partitions))
    }
}

/// Copies group results out of a result's array: each group's name and its error, if any.
///
/// # Safety
/// `results` points at `count` live group results.
unsafe fn group_outcomes(
    results: *mut *const rdsys::rd_kafka_group_result_t,
    count: usize,
) -> Vec<TopicOutcome> {
    // SAFETY: per the contract; a group result's error is null or lives as long as it.
    unsafe {
        array(results, count)
            .iter()
            .map(|&r| {
                let name = from_cstr(rdsys::rd_kafka_group_result_name(r));
                let error = rdsys::rd_kafka_group_result_error(r);
                let outcome = (!error.is_null()).then(|| {
                    (
                        rdsys::rd_kafka_error_code(error),
                        from_cstr(rdsys::rd_kafka_error_string(error)),
                    )
                });
                (name, outcome)
            })
            .collect()
    }
}

/// A topic to create.
pub(crate) struct NewTopicSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) partitions: i32,
    /// -1: the broker's default.
    pub(crate) replication_factor: i32,
    pub(crate) config: &'a [(String, String)],
}

/// What a broker answered for one topic: `None` for success, else the error and its text.
pub(crate) type TopicOutcome = (String, Option<(resp, String)>);

/// A consumer group, as ListConsumerGroups lists it.
pub(crate) struct GroupListingRaw {
    pub(crate) group_id: String,
    pub(crate) group_type: GroupType,
    pub(crate) state: String,
    pub(crate) simple: bool,
}

/// What librdkafka's batch admin calls (CreateTopics, DescribeConfigs, ...) share: the client,
/// the requests and their count, the options, and the queue the answer comes on.
pub(super) type AdminCall<T> = unsafe extern "C" fn(
    *mut rdsys::rd_kafka_t,
    *mut T,
    usize,
    *const rdsys::rd_kafka_AdminOptions_t,
    *mut rdsys::rd_kafka_queue_t,
);

/// One admin request under way: its options and the queue its answer comes on.
pub(super) struct Request {
    options: NativePtr<rdsys::rd_kafka_AdminOptions_t>,
    queue: NativeQueue,
    deadline: Instant,
}

/// Which kind of group a group-offsets call is for: librdkafka's consumer-group offset calls
/// reach a share group's offsets (its start offsets) with the option `share_group` (patch 32).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum GroupKind {
    /// A consumer group (classic or KIP-848): its committed offsets.
    Consumer,
    /// A share group (KIP-932): its share-partitions' start offsets.
    Share,
}

impl Request {
    fn new(client: &NativeClient, timeout: Duration, kind: GroupKind) -> Result<Self, KafkaError> {
        // SAFETY: the handle is live; a non-null result is ours to destroy.
        let options = unsafe {
            NativePtr::from_ptr(rdsys::rd_kafka_AdminOptions_new(
                client.ptr(),
                rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ANY,
            ))
        }
        .expect("admin options");
        let mut errstr = [0 as c_char; 256];
        let ms = timeout_ms(timeout);
        // SAFETY: the options are live; errstr is writable for its length. These setters only
        // fail for out-of-range values, which timeout_ms cannot produce.
        unsafe {
            rdsys::rd_kafka_AdminOptions_set_request_timeout(
                options.ptr(),
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            rdsys::rd_kafka_AdminOptions_set_operation_timeout(
                options.ptr(),
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            );
        }
        if kind == GroupKind::Share {
            // SAFETY: the options are live (for any call); a non-null error is ours to free.
            unsafe {
                let error = rdsys::rd_kafka_AdminOptions_set_share_group(options.ptr(), 1);
                if !error.is_null() {
                    rdsys::rd_kafka_error_destroy(error);
                }
            }
        }
        // SAFETY: the handle is live; the new queue is ours to destroy.
        let queue = NativeQueue::from_owned(unsafe { rdsys::rd_kafka_queue_new(client.ptr()) });
        Ok(Request {
            options,
            queue,
            deadline: Instant::now() + timeout + Duration::from_secs(1),
        })
    }

    /// Sends `items` with `call`, one of librdkafka's batch admin calls, and waits for the
    /// answer, an event of `event_type` (or the request's own error).
    ///
    /// # Safety
    /// `items` holds live requests of the type `call` takes (librdkafka copies them).
    pub(super) unsafe fn run<T>(
        client: &NativeClient,
        call: AdminCall<T>,
        items: &mut [T],
        timeout: Duration,
        event_type: i32,
        what: &str,
    ) -> Result<NativeEvent, KafkaError> {
        // SAFETY: per this function's contract.
        unsafe {
            Self::run_for(
                GroupKind::Consumer,
                client,
                call,
                items,
                timeout,
                event_type,
                what,
            )
        }
    }

    /// [`run`](Self::run) for a group offsets call about a group of `kind`.
    ///
    /// # Safety
    /// As [`run`](Self::run).
    pub(super) unsafe fn run_for<T>(
        kind: GroupKind,
        client: &NativeClient,
        call: AdminCall<T>,
        items: &mut [T],
        timeout: Duration,
        event_type: i32,
        what: &str,
    ) -> Result<NativeEvent, KafkaError> {
        let request = Request::new(client, timeout, kind)?;
        // SAFETY: the handle, options and queue are live; the items are, per the contract.
        unsafe {
            call(
                client.ptr(),
                items.as_mut_ptr(),
                items.len(),
                request.options.ptr(),
                request.queue.ptr(),
            )
        };
        request.answer(event_type, what)
    }

    /// Waits for the answer: an event of `event_type`, or the request's own error.
    fn answer(&self, event_type: i32, what: &str) -> Result<NativeEvent, KafkaError> {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let Some(event) = self.queue.poll(left) else {
                return Err(KafkaError::kafka(
                    resp::RD_KAFKA_RESP_ERR__TIMED_OUT,
                    what,
                    String::new(),
                ));
            };
            let ev = event.0.ptr();
            // SAFETY: the event is live; these read its type and error.
            let (kind, err) = unsafe {
                (
                    rdsys::rd_kafka_event_type(ev),
                    rdsys::rd_kafka_event_error(ev),
                )
            };
            if kind != event_type {
                continue; // nothing else is sent to this queue; ignore anything stray
            }
            if err != resp::RD_KAFKA_RESP_ERR_NO_ERROR {
                // SAFETY: as above.
                let message = unsafe { from_cstr(rdsys::rd_kafka_event_error_string(ev)) };
                return Err(KafkaError::kafka(err, what, message));
            }
            return Ok(event);
        }
    }
}

/// Copies topic results out of a result's array.
///
/// # Safety
/// `results` points at `count` live topic results.
unsafe fn topic_outcomes(
    results: *mut *const rdsys::rd_kafka_topic_result_t,
    count: usize,
) -> Vec<TopicOutcome> {
    // SAFETY: per the contract.
    unsafe {
        array(results, count)
            .iter()
            .map(|&r| {
                let err = rdsys::rd_kafka_topic_result_error(r);
                let name = from_cstr(rdsys::rd_kafka_topic_result_name(r));
                let outcome = (err != resp::RD_KAFKA_RESP_ERR_NO_ERROR)
                    .then(|| (err, from_cstr(rdsys::rd_kafka_topic_result_error_string(r))));
                (name, outcome)
            })
            .collect()
    }
}

impl NativeClient {
    pub(crate) fn create_topics(
        &self,
        topics: &[NewTopicSpec<'_>],
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, KafkaError> {
        let mut new_topics = Vec::with_capacity(topics.len());
        for t in topics {
            let name = to_cstring("topic", t.name)?;
            let mut errstr = [0 as c_char; 512];
            // SAFETY: name and errstr are valid for the call; a non-null result is ours.
            let raw = unsafe {
                rdsys::rd_kafka_NewTopic_new(
                    name.as_ptr(),
                    t.partitions,
                    t.replication_factor,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            // SAFETY: as above.
            let Some(new_topic) = (unsafe { NativePtr::from_ptr(raw) }) else {
                // SAFETY: librdkafka NUL-terminated errstr.
                let message = unsafe { from_cstr(errstr.as_ptr()) };
                return Err(KafkaError::invalid(
                    "topic",
                    format!("{:?}: {message}", t.name),
                ));
            };
            for (key, value) in t.config {
                let (k, v) = (to_cstring("config", key)?, to_cstring(key, value)?);
                // SAFETY: the new topic is live; key and value are copied.
                let err = unsafe {
                    rdsys::rd_kafka_NewTopic_set_config(new_topic.ptr(), k.as_ptr(), v.as_ptr())
                };
                super::check(err, &format!("config {key} of topic {:?}", t.name))?;
            }
            new_topics.push(new_topic);
        }
        let mut raw: Vec<*mut rdsys::rd_kafka_NewTopic_t> =
            new_topics.iter().map(|t| t.ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_CreateTopics takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_CreateTopics,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_CREATETOPICS_RESULT,
                "create topics",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a CreateTopics result; its topic results live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_CreateTopics_result(event.0.ptr());
            let results = rdsys::rd_kafka_CreateTopics_result_topics(result, &mut count);
            Ok(topic_outcomes(results as *mut _, count))
        }
    }

    pub(crate) fn delete_topics(
        &self,
        names: &[String],
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, KafkaError> {
        let mut delete = Vec::with_capacity(names.len());
        for name in names {
            let c_name = to_cstring("topic", name)?;
            // SAFETY: the name is copied; the result is ours.
            delete.push(
                unsafe { NativePtr::from_ptr(rdsys::rd_kafka_DeleteTopic_new(c_name.as_ptr())) }
                    .expect("delete topic"),
            );
        }
        let mut raw: Vec<*mut rdsys::rd_kafka_DeleteTopic_t> =
            delete.iter().map(|t| t.ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_DeleteTopics takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_DeleteTopics,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DELETETOPICS_RESULT,
                "delete topics",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a DeleteTopics result; its topic results live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_DeleteTopics_result(event.0.ptr());
            let results = rdsys::rd_kafka_DeleteTopics_result_topics(result, &mut count);
            Ok(topic_outcomes(results as *mut _, count))
        }
    }

    /// Raises each topic's partition count to the total given.
    pub(crate) fn create_partitions(
        &self,
        totals: &[(String, i32)],
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, KafkaError> {
        let mut new_parts = Vec::with_capacity(totals.len());
        for (topic, total) in totals {
            let name = to_cstring("topic", topic)?;
            let mut errstr = [0 as c_char; 512];
            // SAFETY: name and errstr are valid for the call; a non-null result is ours.
            let raw = unsafe {
                rdsys::rd_kafka_NewPartitions_new(
                    name.as_ptr(),
                    (*total).max(0) as usize,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            // SAFETY: as above.
            let Some(parts) = (unsafe { NativePtr::from_ptr(raw) }) else {
                // SAFETY: librdkafka NUL-terminated errstr.
                let message = unsafe { from_cstr(errstr.as_ptr()) };
                return Err(KafkaError::invalid(
                    "count",
                    format!("{topic:?}: {message}"),
                ));
            };
            new_parts.push(parts);
        }
        let mut raw: Vec<*mut rdsys::rd_kafka_NewPartitions_t> =
            new_parts.iter().map(|p| p.ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_CreatePartitions takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_CreatePartitions,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT,
                "create partitions",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a CreatePartitions result; its topic results live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_CreatePartitions_result(event.0.ptr());
            let results = rdsys::rd_kafka_CreatePartitions_result_topics(result, &mut count);
            Ok(topic_outcomes(results as *mut _, count))
        }
    }

    /// Deletes consumer groups (each must have no members).
    pub(crate) fn delete_groups(
        &self,
        groups: &[String],
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, KafkaError> {
        let mut delete = Vec::with_capacity(groups.len());
        for group in groups {
            let c_group = to_cstring("group_id", group)?;
            // SAFETY: the id is copied; a non-null result is ours.
            let raw = unsafe { rdsys::rd_kafka_DeleteGroup_new(c_group.as_ptr()) };
            // SAFETY: as above.
            match unsafe { NativePtr::from_ptr(raw) } {
                Some(d) => delete.push(d),
                None => {
                    return Err(KafkaError::invalid(
                        "group_id",
                        format!("{group:?} was refused"),
                    ))
                }
            }
        }
        let mut raw: Vec<*mut rdsys::rd_kafka_DeleteGroup_t> =
            delete.iter().map(|d| d.ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_DeleteGroups takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_DeleteGroups,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DELETEGROUPS_RESULT,
                "delete groups",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a DeleteGroups result; its group results live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_DeleteGroups_result(event.0.ptr());
            let results = rdsys::rd_kafka_DeleteGroups_result_groups(result, &mut count);
            Ok(group_outcomes(results as *mut _, count))
        }
    }

    /// Sets a group's committed offsets (the group must have no members): the list's offsets
    /// are each partition's next offset to read.
    pub(crate) fn alter_group_offsets(
        &self,
        kind: GroupKind,
        group_id: &str,
        offsets: &PartitionList,
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        let what = format!("set offsets of group {group_id:?}");
        let c_group = to_cstring("group_id", group_id)?;
        // SAFETY: the id and list are copied; a non-null result is ours.
        let raw = unsafe {
            rdsys::rd_kafka_AlterConsumerGroupOffsets_new(c_group.as_ptr(), offsets.ptr())
        };
        // SAFETY: as above.
        let Some(alter) = (unsafe { NativePtr::from_ptr(raw) }) else {
            return Err(KafkaError::invalid(
                "offsets",
                format!("for {group_id:?} were refused"),
            ));
        };
        let mut raw = [alter.ptr()];
        // SAFETY: `raw` holds live requests of the type rd_kafka_AlterConsumerGroupOffsets takes.
        let event = unsafe {
            Request::run_for(
                kind,
                self,
                rdsys::rd_kafka_AlterConsumerGroupOffsets,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
                &what,
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is an AlterConsumerGroupOffsets result; its group results and their
        // partition lists live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_AlterConsumerGroupOffsets_result(event.0.ptr());
            let groups =
                rdsys::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut count);
            let entries = first_group_partitions(groups, count, &what)?
                .map_or_else(Vec::new, |p| PartitionList::entries_of(p));
            match entries
                .into_iter()
                .find_map(|e| e.error.map(|code| (e, code)))
            {
                Some((e, code)) => Err(KafkaError::kafka(
                    code,
                    &format!("{what}: {}/{}", e.topic, e.partition),
                    String::new(),
                )),
                None => Ok(()),
            }
        }
    }

    /// Each group's state, assignor and members with their assignments; a group's own error
    /// (e.g. no coordinator) as the group id, its code and text.
    pub(crate) fn describe_consumer_groups(
        &self,
        group_ids: &[String],
        timeout: Duration,
    ) -> Result<Vec<Result<GroupDescription, TopicOutcome>>, KafkaError> {
        let names = group_ids
            .iter()
            .map(|g| to_cstring("group_id", g))
            .collect::<Result<Vec<_>, _>>()?;
        let mut raw: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        // SAFETY: `raw` holds live requests of the type rd_kafka_DescribeConsumerGroups takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_DescribeConsumerGroups,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                "describe groups",
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a DescribeConsumerGroups result; its descriptions, members,
        // assignments and nodes live as long as it, and every accessor matches its type.
        unsafe {
            let result = rdsys::rd_kafka_event_DescribeConsumerGroups_result(event.0.ptr());
            let groups = rdsys::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut count);
            Ok(array(groups, count)
                .iter()
                .map(|&g| {
                    let group_id = from_cstr(rdsys::rd_kafka_ConsumerGroupDescription_group_id(g));
                    let error = rdsys::rd_kafka_ConsumerGroupDescription_error(g);
                    if !error.is_null() {
                        let outcome = (
                            rdsys::rd_kafka_error_code(error),
                            from_cstr(rdsys::rd_kafka_error_string(error)),
                        );
                        return Err((group_id, Some(outcome)));
                    }
                    let coordinator = rdsys::rd_kafka_ConsumerGroupDescription_coordinator(g);
                    let members = (0..rdsys::rd_kafka_ConsumerGroupDescription_member_count(g))
                        .map(|i| rdsys::rd_kafka_ConsumerGroupDescription_member(g, i))
                        .filter(|m| !m.is_null())
                        .map(|m| {
                            let assignment = rdsys::rd_kafka_MemberDescription_assignment(m);
                            let partitions = match assignment.is_null() {
                                true => ptr::null(),
                                false => rdsys::rd_kafka_MemberAssignment_partitions(assignment),
                            };
                            let mut assignment: Vec<TopicPartition> = match partitions.is_null() {
                                true => Vec::new(),
                                false => PartitionList::entries_of(partitions)
                                    .into_iter()
                                    .map(|e| TopicPartition::new(e.topic, e.partition))
                                    .collect(),
                            };
                            assignment.sort();
                            let instance = rdsys::rd_kafka_MemberDescription_group_instance_id(m);
                            GroupMember {
                                member_id: from_cstr(
                                    rdsys::rd_kafka_MemberDescription_consumer_id(m),
                                ),
                                client_id: from_cstr(rdsys::rd_kafka_MemberDescription_client_id(
                                    m,
                                )),
                                host: from_cstr(rdsys::rd_kafka_MemberDescription_host(m)),
                                group_instance_id: (!instance.is_null())
                                    .then(|| from_cstr(instance)),
                                assignment,
                            }
                        })
                        .collect();
                    Ok(GroupDescription {
                        group_id,
                        group_type: group_type(rdsys::rd_kafka_ConsumerGroupDescription_type(g)),
                        state: from_cstr(rdsys::rd_kafka_consumer_group_state_name(
                            rdsys::rd_kafka_ConsumerGroupDescription_state(g),
                        )),
                        partition_assignor: from_cstr(
                            rdsys::rd_kafka_ConsumerGroupDescription_partition_assignor(g),
                        ),
                        simple: rdsys::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(
                            g,
                        ) != 0,
                        coordinator: (!coordinator.is_null())
                            .then(|| rdsys::rd_kafka_Node_id(coordinator)),
                        members,
                    })
                })
                .collect())
        }
    }

    /// Deletes each partition's records before its offset (-1: all of them); answers each
    /// partition's new low watermark, or its error.
    pub(crate) fn delete_records(
        &self,
        before: &PartitionList,
        timeout: Duration,
    ) -> Result<Vec<PartitionEntry>, KafkaError> {
        // SAFETY: the list is copied; a non-null result is ours.
        let raw = unsafe { rdsys::rd_kafka_DeleteRecords_new(before.ptr()) };
        // SAFETY: as above.
        let Some(delete) = (unsafe { NativePtr::from_ptr(raw) }) else {
            return Err(KafkaError::invalid("partitions", "were refused"));
        };
        let mut raw = [delete.ptr()];
        // SAFETY: `raw` holds live requests of the type rd_kafka_DeleteRecords takes.
        let event = unsafe {
            Request::run(
                self,
                rdsys::rd_kafka_DeleteRecords,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DELETERECORDS_RESULT,
                "delete records",
            )
        }?;
        // SAFETY: the event is a DeleteRecords result; its list lives as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_DeleteRecords_result(event.0.ptr());
            let offsets = rdsys::rd_kafka_DeleteRecords_result_offsets(result);
            if offsets.is_null() {
                return Ok(Vec::new());
            }
            Ok(PartitionList::entries_of(offsets))
        }
    }

    /// The consumer groups the brokers know, and the errors of brokers that could not answer.
    /// The groups the brokers list: consumer groups, or with `share` the share groups only
    /// (librdkafka lists those only when asked for their type).
    pub(crate) fn list_consumer_groups(
        &self,
        share: bool,
        timeout: Duration,
    ) -> Result<(Vec<GroupListingRaw>, Vec<KafkaError>), KafkaError> {
        let request = Request::new(self, timeout, GroupKind::Consumer)?;
        if share {
            let types = [rdsys::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_SHARE];
            // SAFETY: the options are live; the types array is read during the call; a
            // returned error is ours to destroy (take_error does).
            let error = unsafe {
                rdsys::rd_kafka_AdminOptions_set_match_consumer_group_types(
                    request.options.ptr(),
                    types.as_ptr(),
                    types.len(),
                )
            };
            // SAFETY: as above.
            unsafe { take_error("list share groups", error) }?;
        }
        // SAFETY: the handle, options and queue are live.
        unsafe {
            rdsys::rd_kafka_ListConsumerGroups(
                self.ptr(),
                request.options.ptr(),
                request.queue.ptr(),
            )
        };
        let event = request.answer(
            rdsys::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
            "list consumer groups",
        )?;
        let (mut valid_count, mut error_count) = (0usize, 0usize);
        // SAFETY: the event is a ListConsumerGroups result; its listings and errors live as long
        // as it, and every accessor matches its type.
        unsafe {
            let result = rdsys::rd_kafka_event_ListConsumerGroups_result(event.0.ptr());
            let valid = rdsys::rd_kafka_ListConsumerGroups_result_valid(result, &mut valid_count);
            let errors = rdsys::rd_kafka_ListConsumerGroups_result_errors(result, &mut error_count);
            let listings = array(valid, valid_count)
                .iter()
                .map(|&g| GroupListingRaw {
                    group_id: from_cstr(rdsys::rd_kafka_ConsumerGroupListing_group_id(g)),
                    group_type: group_type(rdsys::rd_kafka_ConsumerGroupListing_type(g)),
                    state: from_cstr(rdsys::rd_kafka_consumer_group_state_name(
                        rdsys::rd_kafka_ConsumerGroupListing_state(g),
                    )),
                    simple: rdsys::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
                })
                .collect();
            let errors = array(errors, error_count)
                .iter()
                .map(|&e| {
                    KafkaError::kafka(
                        rdsys::rd_kafka_error_code(e),
                        "list consumer groups",
                        from_cstr(rdsys::rd_kafka_error_string(e)),
                    )
                })
                .collect();
            Ok((listings, errors))
        }
    }

    /// The offsets `group_id` has committed: for `partitions`, or (`None`) for every partition
    /// it committed to.
    pub(crate) fn group_committed_offsets(
        &self,
        kind: GroupKind,
        group_id: &str,
        partitions: Option<&PartitionList>,
        timeout: Duration,
    ) -> Result<Vec<GroupOffsetEntry>, KafkaError> {
        let what = format!("offsets of group {group_id:?}");
        let c_group = to_cstring("group_id", group_id)?;
        // SAFETY: the id and list are copied; a null list asks for every partition the group
        // committed to; the request is ours to destroy.
        let list_request = unsafe {
            NativePtr::from_ptr(rdsys::rd_kafka_ListConsumerGroupOffsets_new(
                c_group.as_ptr(),
                partitions.map_or(ptr::null(), |p| p.ptr()),
            ))
        }
        .expect("list group offsets");
        let mut raw = [list_request.ptr()];
        // SAFETY: `raw` holds live requests of the type rd_kafka_ListConsumerGroupOffsets takes.
        let event = unsafe {
            Request::run_for(
                kind,
                self,
                rdsys::rd_kafka_ListConsumerGroupOffsets,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                &what,
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a ListConsumerGroupOffsets result; its group results and their
        // partition lists live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_ListConsumerGroupOffsets_result(event.0.ptr());
            let groups = rdsys::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
            let Some(partitions) = first_group_partitions(groups, count, &what)? else {
                return Ok(Vec::new());
            };
            let list = &*partitions;
            let elems = match list.cnt {
                cnt if cnt > 0 => std::slice::from_raw_parts(list.elems, cnt as usize),
                _ => &[],
            };
            Ok(PartitionList::entries_of(partitions)
                .into_iter()
                .zip(elems)
                .map(|(entry, elem)| GroupOffsetEntry {
                    entry,
                    leader_epoch: rdsys::rd_kafka_topic_partition_get_leader_epoch(elem),
                    share_lag: rdsys::rd_kafka_topic_partition_get_share_lag(elem),
                })
                .collect())
        }
    }

    /// Deletes a group's offsets of `partitions` (a share group: of their topics, whole); each
    /// partition's own error, if any.
    pub(crate) fn delete_group_offsets(
        &self,
        kind: GroupKind,
        group_id: &str,
        partitions: &PartitionList,
        timeout: Duration,
    ) -> Result<Vec<PartitionEntry>, KafkaError> {
        let what = format!("delete offsets of group {group_id:?}");
        let c_group = to_cstring("group_id", group_id)?;
        // SAFETY: the id and list are copied; a non-null result is ours.
        let raw = unsafe {
            rdsys::rd_kafka_DeleteConsumerGroupOffsets_new(c_group.as_ptr(), partitions.ptr())
        };
        // SAFETY: as above.
        let Some(delete) = (unsafe { NativePtr::from_ptr(raw) }) else {
            return Err(KafkaError::invalid(
                "topics",
                format!("for {group_id:?} were refused"),
            ));
        };
        let mut raw = [delete.ptr()];
        // SAFETY: `raw` holds live requests of the type rd_kafka_DeleteConsumerGroupOffsets
        // takes.
        let event = unsafe {
            Request::run_for(
                kind,
                self,
                rdsys::rd_kafka_DeleteConsumerGroupOffsets,
                &mut raw,
                timeout,
                rdsys::RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
                &what,
            )
        }?;
        let mut count = 0usize;
        // SAFETY: the event is a DeleteConsumerGroupOffsets result; its group results and their
        // partition lists live as long as it.
        unsafe {
            let result = rdsys::rd_kafka_event_DeleteConsumerGroupOffsets_result(event.0.ptr());
            let groups =
                rdsys::rd_kafka_DeleteConsumerGroupOffsets_result_groups(result, &mut count);
            Ok(first_group_partitions(groups, count, &what)?
                .map_or_else(Vec::new, |p| PartitionList::entries_of(p)))
        }
    }

    /// Low and high watermark of a partition, asking its leader.
    pub(crate) fn query_watermarks(
        &self,
        topic: &str,
        partition: i32,
        timeout: Duration,
    ) -> Result<(i64, i64), KafkaError> {
        let c_topic = to_cstring("topic", topic)?;
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: the handle is live; low/high are writable.
        let err = unsafe {
            rdsys::rd_kafka_query_watermark_offsets(
                self.ptr(),
                c_topic.as_ptr(),
                partition,
                &mut low,
                &mut high,
                timeout_ms(timeout) as c_int,
            )
        };
        super::check(err, &format!("watermarks of {topic}/{partition}"))?;
        Ok((low, high))
    }
}

/// librdkafka's group type, as the core names it.
fn group_type(kind: rdsys::rd_kafka_consumer_group_type_t) -> GroupType {
    use rdsys::rd_kafka_consumer_group_type_t as t;
    match kind {
        t::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => GroupType::Classic,
        t::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => GroupType::Consumer,
        t::RD_KAFKA_CONSUMER_GROUP_TYPE_SHARE => GroupType::Share,
        _ => GroupType::Unknown,
    }
}
