//! One error type for the whole crate, at the bottom of its import ladder: it imports nothing
//! from the crate (the native layer builds errors from librdkafka's codes, see
//! `native::KafkaError::kafka`).

use std::fmt;
use std::path::PathBuf;

use kafka_native_sys as rdsys;

/// librdkafka's error codes, by name (e.g. `ErrorCode::NotLeaderForPartition`).
pub use rdsys::types::RDKafkaErrorCode as ErrorCode;

/// Everything that can go wrong, with enough context to act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum KafkaError {
    /// librdkafka rejected a configuration property.
    Config {
        /// The property, as librdkafka names it.
        property: String,
        /// Why librdkafka refused it.
        message: String,
    },
    /// An argument or option that is not valid; `argument` names it.
    InvalidArgument {
        /// The option or argument, as the API names it.
        argument: String,
        /// What it must be instead.
        message: String,
    },
    /// librdkafka could not create a client.
    ClientCreation {
        /// librdkafka's reason.
        message: String,
    },
    /// librdkafka reported an error code.
    Kafka {
        /// The error code.
        code: ErrorCode,
        /// librdkafka's symbolic name for it, e.g. `_TIMED_OUT` (Node's `err.code`).
        name: String,
        /// What the client was doing.
        context: String,
        /// librdkafka's text for it.
        message: String,
        /// librdkafka says the same request may succeed if tried again.
        retriable: bool,
        /// librdkafka says the client can do nothing more (e.g. a fenced or out-of-sequence
        /// idempotent producer): it must be stopped.
        fatal: bool,
        /// librdkafka says the transaction in progress cannot commit: abort it (then begin
        /// another).
        abortable: bool,
    },
    /// `stop()` ran out of time with messages still undelivered.
    StopTimedOut {
        /// Messages still in the producer's queue or in flight.
        undelivered: usize,
    },
    /// Messages the producer enqueued were not delivered (each failure was also reported to the
    /// delivery report handler and logged).
    Undelivered {
        /// How many failed.
        failed: u64,
        /// The failures, counted per error code.
        errors: Vec<DeliveryErrorCount>,
    },
    /// `stop()` ran out of time waiting for the handler to settle the batch in flight.
    SettleTimedOut {
        /// How long `stop()` waited.
        waited: std::time::Duration,
    },
    /// A file or directory could not be read or written.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The consumer's offset directory cannot be created or written.
    OffsetDirectory {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// An offset file that does not hold a decimal offset.
    CorruptOffsetFile {
        /// The file.
        path: PathBuf,
        /// What it holds.
        content: String,
    },
    /// `stop()` found offsets of settled batches that were not stored: an offset file could not
    /// be written, or the group did not take a commit before a rebalance or the close. Those
    /// messages will be read again; each failure was also logged when it happened.
    OffsetsNotStored {
        /// Which offsets, and why.
        message: String,
    },
    /// The client was already stopped.
    Stopped,
}

/// Failed deliveries of one error code (a producer's delivery report, [`KafkaError::Undelivered`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryErrorCount {
    /// The error code.
    pub code: ErrorCode,
    /// librdkafka's symbolic name, e.g. `_MSG_TIMED_OUT`.
    pub name: String,
    /// librdkafka's text for it.
    pub message: String,
    /// How many messages failed with it.
    pub count: u64,
}

impl KafkaError {
    pub(crate) fn invalid(argument: &str, message: impl Into<String>) -> Self {
        KafkaError::InvalidArgument {
            argument: argument.to_string(),
            message: message.into(),
        }
    }

    /// librdkafka's error code, when the error came from librdkafka.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            KafkaError::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A stable name for what went wrong, to branch on (JavaScript's `err.code`): librdkafka's
    /// name for an error it reported (e.g. `UNKNOWN_TOPIC_OR_PART`, `_TIMED_OUT`, `_TRANSPORT`),
    /// `_INVALID_ARG` for a bad option or argument (librdkafka's name for it), and for the
    /// client's own conditions a name in the same style (e.g. `STOP_TIMED_OUT`).
    /// The names [`code_name`](Self::code_name) gives the errors that are kafka-native's own,
    /// not librdkafka's (whose names are librdkafka's table: [`error_codes`](crate::error_codes)).
    pub const CLIENT_CODE_NAMES: &'static [&'static str] = &[
        "_INVALID_ARG",
        "CLIENT_CREATION",
        "STOP_TIMED_OUT",
        "UNDELIVERED",
        "SETTLE_TIMED_OUT",
        "IO",
        "OFFSET_DIRECTORY",
        "CORRUPT_OFFSET_FILE",
        "OFFSETS_NOT_STORED",
        "STOPPED",
    ];

    /// The error's name as Node's `err.code` gives it: Kafka's (e.g. `_TIMED_OUT`) for a Kafka
    /// error, else this client's (e.g. `INVALID_ARGUMENT`).
    pub fn code_name(&self) -> &str {
        match self {
            KafkaError::Kafka { name, .. } => name,
            KafkaError::Config { .. } | KafkaError::InvalidArgument { .. } => "_INVALID_ARG",
            KafkaError::ClientCreation { .. } => "CLIENT_CREATION",
            KafkaError::StopTimedOut { .. } => "STOP_TIMED_OUT",
            KafkaError::Undelivered { .. } => "UNDELIVERED",
            KafkaError::SettleTimedOut { .. } => "SETTLE_TIMED_OUT",
            KafkaError::Io { .. } => "IO",
            KafkaError::OffsetDirectory { .. } => "OFFSET_DIRECTORY",
            KafkaError::CorruptOffsetFile { .. } => "CORRUPT_OFFSET_FILE",
            KafkaError::OffsetsNotStored { .. } => "OFFSETS_NOT_STORED",
            KafkaError::Stopped => "STOPPED",
        }
    }

    /// librdkafka says the same request may succeed if tried again.
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            KafkaError::Kafka {
                retriable: true,
                ..
            }
        )
    }

    /// librdkafka says the client can do nothing more: stop it.
    pub fn is_fatal(&self) -> bool {
        matches!(self, KafkaError::Kafka { fatal: true, .. })
    }

    /// librdkafka says the transaction in progress must be aborted (a transactional producer's
    /// error; the producer itself can go on with a new transaction).
    pub fn is_abortable(&self) -> bool {
        matches!(
            self,
            KafkaError::Kafka {
                abortable: true,
                ..
            }
        )
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KafkaError::Config { property, message } => {
                write!(f, "invalid configuration property {property:?}: {message}")
            }
            KafkaError::InvalidArgument { argument, message } => write!(f, "{argument} {message}"),
            KafkaError::ClientCreation { message } => {
                write!(f, "could not create client: {message}")
            }
            KafkaError::Kafka {
                name,
                context,
                message,
                ..
            } => write!(f, "{context}: {message} ({name})"),
            KafkaError::StopTimedOut { undelivered } => {
                write!(
                    f,
                    "stop timed out with {undelivered} message(s) still undelivered"
                )
            }
            KafkaError::Undelivered { failed, errors } => {
                write!(f, "{failed} message(s) were not delivered:")?;
                for (i, e) in errors.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    write!(f, "{sep} {} × {} ({})", e.count, e.name, e.message)?;
                }
                Ok(())
            }
            KafkaError::SettleTimedOut { waited } => write!(
                f,
                "stop timed out after {waited:?} waiting for the batch in flight to settle; its offsets are not recorded yet"
            ),
            KafkaError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            KafkaError::OffsetDirectory { path, source } => {
                write!(f, "offset_directory {}: {source}", path.display())
            }
            KafkaError::CorruptOffsetFile { path, content } => {
                write!(
                    f,
                    "offset file {} does not hold an offset: {content:?}",
                    path.display()
                )
            }
            KafkaError::OffsetsNotStored { message } => write!(f, "{message}"),
            KafkaError::Stopped => write!(f, "the client has been stopped"),
        }
    }
}

impl std::error::Error for KafkaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KafkaError::Io { source, .. } | KafkaError::OffsetDirectory { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KafkaError;

    #[test]
    fn every_error_of_the_client_s_own_is_named_in_its_list() {
        let io = || std::io::Error::other("x");
        let errors = [
            KafkaError::Config {
                property: String::new(),
                message: String::new(),
            },
            KafkaError::InvalidArgument {
                argument: String::new(),
                message: String::new(),
            },
            KafkaError::ClientCreation {
                message: String::new(),
            },
            KafkaError::StopTimedOut { undelivered: 1 },
            KafkaError::Undelivered {
                failed: 1,
                errors: Vec::new(),
            },
            KafkaError::SettleTimedOut {
                waited: std::time::Duration::ZERO,
            },
            KafkaError::Io {
                path: "x".into(),
                source: io(),
            },
            KafkaError::OffsetDirectory {
                path: "x".into(),
                source: io(),
            },
            KafkaError::CorruptOffsetFile {
                path: "x".into(),
                content: String::new(),
            },
            KafkaError::OffsetsNotStored {
                message: String::new(),
            },
            KafkaError::Stopped,
        ];
        let mut named: Vec<&str> = errors.iter().map(|e| e.code_name()).collect();
        named.dedup();
        assert_eq!(named, KafkaError::CLIENT_CODE_NAMES);
    }
}
