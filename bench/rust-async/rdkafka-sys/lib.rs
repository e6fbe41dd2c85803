//! `rdkafka-sys` for rust-rdkafka, as `kafka-native-sys` (see Cargo.toml).
pub use kafka_native_sys::*;
