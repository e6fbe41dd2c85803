//! What librdkafka last reported about reaching the brokers, from the client errors the
//! `kn-events` thread serves. Requests use it to fail at once, with librdkafka's reason, when
//! waiting cannot help (every broker is down and the reason is a name that does not resolve, a
//! failed TLS handshake or failed authentication), and to say why a request timed out. It also
//! keeps the same connection error from being logged again and again while it lasts.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{ErrorCode, KafkaError};

/// How long a repeated connection error stays quiet after it was logged.
const REPEAT_QUIET: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct BrokerErrors {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The last connection error: code, librdkafka's name for it, and its text.
    last: Option<(ErrorCode, String, String)>,
    /// librdkafka said every broker is down, and no request has succeeded since.
    all_down: bool,
    /// When each connection error code was last logged, and how many repeats were kept quiet.
    logged: Vec<(ErrorCode, Instant, u64)>,
}

/// Errors about reaching a broker (as opposed to errors about a request).
pub(crate) fn is_connection_error(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::BrokerTransportFailure
            | ErrorCode::Resolve
            | ErrorCode::AllBrokersDown
            | ErrorCode::Authentication
            | ErrorCode::SaslAuthenticationFailed
            | ErrorCode::SSL
    )
}

/// Connection errors that retrying the same brokers with the same settings will not clear. A
/// TLS alert from the broker (with TLS 1.3, "certificate required" for a client that brought
/// none to a mutual-TLS listener) arrives after the handshake, as a transport error.
fn is_hopeless(code: ErrorCode, message: &str) -> bool {
    matches!(
        code,
        ErrorCode::Resolve
            | ErrorCode::Authentication
            | ErrorCode::SaslAuthenticationFailed
            | ErrorCode::SSL
    ) || (code == ErrorCode::BrokerTransportFailure
        && (message.contains("SSL alert number") || message.contains("certificate verify failed")))
}

/// The kind of connection error, for logging it once: librdkafka reports a failed TLS handshake
/// as `_SSL`, and the same failure on the retries as `_TRANSPORT` with OpenSSL's text.
fn log_kind(code: ErrorCode, message: &str) -> ErrorCode {
    if code == ErrorCode::BrokerTransportFailure && message.contains("SSL routines") {
        ErrorCode::SSL
    } else {
        code
    }
}

impl BrokerErrors {
    /// Notes a client error. Returns the text to log, and whether to keep it quiet: the same
    /// connection error was logged less than a minute ago (the next one logged says how many
    /// were kept quiet).
    pub(crate) fn record(&self, code: ErrorCode, name: &str, message: &str) -> (String, bool) {
        if !is_connection_error(code) {
            return (message.to_string(), false);
        }
        let mut state = self.state.lock();
        if code == ErrorCode::AllBrokersDown {
            state.all_down = true;
        } else {
            state.last = Some((code, name.to_string(), message.to_string()));
        }
        let now = Instant::now();
        let kind = log_kind(code, message);
        match state.logged.iter_mut().find(|(c, _, _)| *c == kind) {
            Some((_, at, quiet)) if now.duration_since(*at) < REPEAT_QUIET => {
                *quiet += 1;
                (message.to_string(), true)
            }
            Some((_, at, quiet)) => {
                let text = match std::mem::take(quiet) {
                    0 => message.to_string(),
                    n => format!("{message} ({n} more like it in the last minute not logged)"),
                };
                *at = now;
                (text, false)
            }
            None => {
                state.logged.push((kind, now, 0));
                (message.to_string(), false)
            }
        }
    }

    /// A request succeeded: some broker is reachable.
    pub(crate) fn reachable(&self) {
        self.state.lock().all_down = false;
    }

    /// The error to fail with now, when waiting cannot help.
    pub(crate) fn hopeless(&self, context: &str) -> Option<KafkaError> {
        let state = self.state.lock();
        match &state.last {
            Some((code, name, message)) if state.all_down && is_hopeless(*code, message) => {
                Some(KafkaError::Kafka {
                    code: *code,
                    name: name.clone(),
                    context: format!("{context}: no broker can be reached"),
                    message: message.clone(),
                    retriable: false,
                    fatal: false,
                    abortable: false,
                })
            }
            _ => None,
        }
    }

    /// The last connection error's text, to say why a request timed out.
    pub(crate) fn last_reason(&self) -> Option<String> {
        let state = self.state.lock();
        state
            .last
            .as_ref()
            .map(|(_, name, message)| format!("{message} ({name})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_connection_error_is_logged_once_then_with_a_count() {
        let errors = BrokerErrors::default();
        let refused = "Connect to 127.0.0.1:1 failed: Connection refused";
        assert_eq!(
            errors.record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", refused),
            (refused.to_string(), false)
        );
        for _ in 0..5 {
            assert_eq!(
                errors.record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", refused),
                (refused.to_string(), true)
            );
        }
        // Another connection error is news; an error about a request is always logged.
        assert!(
            !errors
                .record(ErrorCode::Resolve, "_RESOLVE", "Failed to resolve")
                .1
        );
        assert!(
            !errors
                .record(ErrorCode::MessageTimedOut, "_MSG_TIMED_OUT", "timed out")
                .1
        );
        assert!(
            !errors
                .record(ErrorCode::MessageTimedOut, "_MSG_TIMED_OUT", "timed out")
                .1
        );
        // After the quiet minute, the next one says how many were kept quiet.
        errors.state.lock().logged[0].1 -= REPEAT_QUIET;
        assert_eq!(
            errors.record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", refused),
            (
                format!("{refused} (5 more like it in the last minute not logged)"),
                false
            )
        );
    }

    #[test]
    fn waiting_is_hopeless_only_when_every_broker_is_down_for_a_lasting_reason() {
        let errors = BrokerErrors::default();
        errors.record(
            ErrorCode::Resolve,
            "_RESOLVE",
            "Failed to resolve 'nonsense:9092'",
        );
        assert!(
            errors.hopeless("partition count").is_none(),
            "a broker may still answer"
        );
        errors.record(
            ErrorCode::AllBrokersDown,
            "_ALL_BROKERS_DOWN",
            "1/1 brokers are down",
        );
        let err = errors.hopeless("partition count").unwrap();
        assert_eq!(err.code(), Some(ErrorCode::Resolve));
        assert!(err.to_string().contains("nonsense"), "{err}");
        errors.reachable();
        assert!(errors.hopeless("partition count").is_none());
        errors.record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", "refused");
        errors.record(ErrorCode::AllBrokersDown, "_ALL_BROKERS_DOWN", "down");
        assert!(
            errors.hopeless("partition count").is_none(),
            "a refused connection may clear"
        );
        let alert = "ssl://b:9093/bootstrap: Receive failed: error:0A00045C:SSL routines::tlsv13 \
                     alert certificate required: SSL alert number 116";
        errors.record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", alert);
        errors.record(ErrorCode::AllBrokersDown, "_ALL_BROKERS_DOWN", "down");
        let err = errors.hopeless("partition count").unwrap();
        assert!(err.to_string().contains("certificate required"), "{err}");
    }

    #[test]
    fn a_failed_tls_handshake_is_logged_once_whatever_librdkafka_calls_it() {
        let errors = BrokerErrors::default();
        let handshake = "ssl://b:9093/bootstrap: SSL handshake failed: error:0A000086:SSL \
                         routines::certificate verify failed: broker certificate could not be verified";
        let retry =
            "ssl://b:9093/bootstrap: error:0A000086:SSL routines::certificate verify failed";
        assert!(!errors.record(ErrorCode::SSL, "_SSL", handshake).1);
        assert!(
            errors
                .record(ErrorCode::BrokerTransportFailure, "_TRANSPORT", retry)
                .1
        );
        assert!(
            !errors
                .record(
                    ErrorCode::BrokerTransportFailure,
                    "_TRANSPORT",
                    "Connection refused"
                )
                .1
        );
    }
}
