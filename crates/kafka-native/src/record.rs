//! [`Record`]: one message as a producer is given it.

/// One message for [`Producer::send_records`](crate::Producer::send_records): optional key,
/// optional payload (`None` is a null
/// value, a tombstone), headers, and a timestamp (`None`: the time it is sent).
#[derive(Clone, Copy, Debug, Default)]
pub struct Record<'a> {
    /// Its key; `None` for none.
    pub key: Option<&'a [u8]>,
    /// Its value; `None` for a null value (a tombstone).
    pub payload: Option<&'a [u8]>,
    /// Its headers, in order; a name may repeat.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// Milliseconds since the Unix epoch (the message's CreateTime).
    pub timestamp: Option<i64>,
}
