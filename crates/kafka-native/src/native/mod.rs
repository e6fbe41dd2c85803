//! The native layer: the only place that calls `kafka-native-sys`.
//!
//! Every librdkafka object is held by a [`NativePtr`], which frees it on drop through the
//! [`KafkaDrop`] impl of its C type. Everything above this module speaks Rust types.

mod admin;
mod arrival;
pub(crate) mod callbacks;
pub(crate) mod client;
mod conf;
mod config_resource;
mod convert;
mod errors;
mod event;
mod group_metadata;
mod message;
mod metadata;
mod mock;
mod owned;
mod partition_list;
pub(crate) mod process;
mod queue;
mod share;
mod topic;

pub(crate) use admin::{GroupKind, NewTopicSpec, TopicOutcome};
pub(crate) use arrival::{ArrivalCallback, ArrivalWake};
pub(crate) use callbacks::{ClientHooks, Rebalance, RebalanceHook, RebalanceKind};
pub(crate) use client::NativeClient;
pub(crate) use conf::NativeConf;
pub(crate) use config_resource::AlterMode;
pub(crate) use convert::{array, from_cstr, to_cstring};
pub(crate) use errors::{check, error_description, error_name, take_error};
pub use errors::{error_code_named, error_codes};
pub(crate) use event::{Event, NativeEvent};
pub use group_metadata::GroupMetadata;
pub(crate) use message::{MessageView, NativeMessage, OwnedBatch};
pub(crate) use mock::NativeMockCluster;
pub(crate) use owned::{KafkaDrop, NativePtr};
pub(crate) use partition_list::PartitionList;
pub use process::librdkafka_version;
pub(crate) use queue::NativeQueue;
pub(crate) use share::{NativeShare, NativeShareBatch, ShareHooks, ShareWaker};
pub(crate) use topic::NativeTopic;

/// Compile-time checks of the thread-safety claims above and in each wrapper's file: the types
/// that must cross threads do, and the ones whose C calls write (confs, partition lists) or that
/// never need to (events, the bare pointer) cannot be shared.
// Older Rust (1.85, the declared rust-version) calls what only a `const _` block uses dead code.
#[allow(dead_code)]
mod thread_safety {
    use super::*;
    use kafka_native_sys as rdsys;

    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    const _: () = {
        send_sync::<NativeClient>();
        send_sync::<NativeTopic>();
        send_sync::<NativeQueue>();
        send_sync::<NativeMessage>();
        send_sync::<NativeMockCluster>();
        send_sync::<ArrivalCallback>();
        send::<NativeConf>();
        send::<PartitionList>();
        send::<NativeShare>();
        send::<NativeShareBatch>();
    };

    /// `<T as NotSync<_>>::check` resolves only when `T` is not `Sync` (with a `Sync` type both
    /// impls apply and the call is ambiguous); likewise `NotSend`.
    trait NotSync<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSync<()> for T {}
    impl<T: ?Sized + Sync> NotSync<u8> for T {}
    trait NotSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSend<()> for T {}
    impl<T: ?Sized + Send> NotSend<u8> for T {}

    const _: fn() = || {
        <NativeConf as NotSync<_>>::check();
        <PartitionList as NotSync<_>>::check();
        <NativeShare as NotSync<_>>::check();
        <NativeShareBatch as NotSync<_>>::check();
        <NativeEvent as NotSend<_>>::check();
        <NativeEvent as NotSync<_>>::check();
        <NativePtr<rdsys::rd_kafka_t> as NotSend<_>>::check();
        <NativePtr<rdsys::rd_kafka_t> as NotSync<_>>::check();
        <NativePtr<rdsys::rd_kafka_message_t> as NotSync<_>>::check();
    };
}
