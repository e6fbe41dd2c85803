//! What the process as a whole has: the librdkafka it runs, its heap, and librdkafka's clients.

use std::time::Duration;

use kafka_native_sys as rdsys;

use super::convert::from_cstr;
use super::convert::timeout_ms;

/// Bytes of heap in use: glibc's count of allocated chunks in every arena plus its mmapped
/// blocks. `None` with another C library.
pub(crate) fn heap_in_use() -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and returns a plain struct of counters.
        let info = unsafe { libc::mallinfo2() };
        Some(info.uordblks + info.hblkhd)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Waits up to `timeout` until every librdkafka client of the process (and a MockCluster's
/// host client) is destroyed and its threads have ended; whether they have.
pub(crate) fn wait_until_clients_destroyed(timeout: Duration) -> bool {
    // SAFETY: rd_kafka_wait_destroyed only reads librdkafka's global counters.
    unsafe { rdsys::rd_kafka_wait_destroyed(timeout_ms(timeout)) == 0 }
}

/// The librdkafka version string, e.g. "2.15.1".
pub fn librdkafka_version() -> String {
    // SAFETY: rd_kafka_version_str returns a static string.
    unsafe { from_cstr(rdsys::rd_kafka_version_str()) }
}
