//! How share-group records are acknowledged: [`Acknowledgement`] per record, and the consumer's
//! [`AcknowledgementMode`]. A leaf: the native layer uses it too.

use crate::error::KafkaError;

/// What became of one partition's acknowledgements once the broker answered (Kafka's Java
/// client: `AcknowledgementCommitCallback`): the records' offsets, and the error if the broker
/// refused them (a record whose lock had run out: `INVALID_RECORD_STATE`; then what was done to
/// it does not count, and it is, or was, delivered again).
#[derive(Debug)]
pub struct AcknowledgementCommit {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offsets of the records acknowledged.
    pub offsets: Vec<i64>,
    /// `None` when the broker took them; else why not.
    pub error: Option<KafkaError>,
}

/// How a record of a share group is acknowledged (KIP-932).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acknowledgement {
    /// Processed: the record is done with.
    Accept,
    /// Not processed: the record is made available again, to this member or another, with its
    /// delivery count one higher.
    Release,
    /// Not to be delivered again (a poison record): the broker archives it.
    Reject,
    /// Still being worked on: the broker starts the record's lock anew (KIP-1222, Apache Kafka
    /// 4.2 or later), so that it is not handed to another member meanwhile. The record stays
    /// acquired, to be acknowledged otherwise later; it may be renewed again.
    Renew,
}

impl Acknowledgement {
    /// Every acknowledgement, in the order their names are listed.
    const ALL: [Acknowledgement; 4] = [
        Acknowledgement::Accept,
        Acknowledgement::Release,
        Acknowledgement::Reject,
        Acknowledgement::Renew,
    ];

    /// `accept`, `release`, `reject` or `renew`.
    pub fn as_str(self) -> &'static str {
        match self {
            Acknowledgement::Accept => "accept",
            Acknowledgement::Release => "release",
            Acknowledgement::Reject => "reject",
            Acknowledgement::Renew => "renew",
        }
    }
}

impl std::str::FromStr for Acknowledgement {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Acknowledgement::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "acknowledgement",
                    format!("must be 'accept', 'release', 'reject' or 'renew', not {s:?}"),
                )
            })
    }
}

/// How a share consumer's records are acknowledged (librdkafka's `share.acknowledgement.mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AcknowledgementMode {
    /// Each record is acknowledged by the code that handles it, or with its batch when the
    /// batch settles ([`ShareBatch::settle`](crate::ShareBatch::settle)); a batch dropped unsettled
    /// is released.
    #[default]
    Explicit,
    /// librdkafka's implicit mode: a batch is accepted whole when the next is fetched (or the
    /// consumer closes), whatever became of it; records cannot be acknowledged one by one.
    Implicit,
}

impl AcknowledgementMode {
    const ALL: [AcknowledgementMode; 2] =
        [AcknowledgementMode::Explicit, AcknowledgementMode::Implicit];

    /// `explicit` or `implicit`, as librdkafka and Kafka's Java client name them.
    pub fn as_str(self) -> &'static str {
        match self {
            AcknowledgementMode::Explicit => "explicit",
            AcknowledgementMode::Implicit => "implicit",
        }
    }
}

impl std::str::FromStr for AcknowledgementMode {
    type Err = KafkaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AcknowledgementMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                KafkaError::invalid(
                    "acknowledgement_mode",
                    format!("must be 'explicit' or 'implicit', not {s:?}"),
                )
            })
    }
}
