//! SASL/OAUTHBEARER tokens from a JS callback. librdkafka asks on its background thread; the
//! bridge calls JS (which may take its time, and answers through `provide` or `fail`) and
//! waits for the answer, so the core sees a plain provider.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::weak_callback;

/// How long librdkafka's background thread waits for JS to answer. A callback that never
/// settles is then reported, and so logged, as librdkafka's authentication error naming the
/// callback, and asked again 10 s later. Half the 10 s a client's first requests wait for a
/// broker: a `start()` held up by the token then fails naming the callback, not the transport.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// An answer, and the request it answers (`ANY_REQUEST`: whichever is waiting).
type Answer = (
    u32,
    std::result::Result<kafka_native::OAuthBearerToken, String>,
);

/// The request id of an answer for whichever request is waiting (the client is closing).
const ANY_REQUEST: u32 = 0;

/// What JS is asked: answer request `id` with `provide(id, token)` or `fail(id, reason)`.
#[napi(object)]
pub struct OAuthBearerTokenRequest {
    pub id: u32,
    /// librdkafka's `sasl.oauthbearer.config`.
    pub config: String,
}

/// A token as JS gives it.
#[napi(object)]
pub struct OAuthBearerTokenInput {
    pub token: String,
    /// When it expires, in ms since the epoch.
    pub lifetime_ms: f64,
    pub principal: String,
    pub extensions: Option<HashMap<String, String>>,
}

/// Connects a client's token requests to a JS function `(config) => void` that answers, later,
/// with `provide(token)` or `fail(reason)`.
#[napi]
pub struct OAuthBearerBridge {
    answers: Sender<Answer>,
    pub(crate) provider: kafka_native::OAuthBearerProvider,
}

#[napi]
impl OAuthBearerBridge {
    #[napi(constructor)]
    pub fn new(request: Function<'_, OAuthBearerTokenRequest, ()>) -> Result<Self> {
        let request = weak_callback(request)?;
        // Unbounded: a late answer to an earlier request must not take the place of the
        // answer to the one waiting now.
        let (answers, answered): (Sender<Answer>, Receiver<Answer>) =
            crossbeam_channel::unbounded();
        let answered = Mutex::new(answered);
        let last_id = AtomicU32::new(ANY_REQUEST);
        let provider: kafka_native::OAuthBearerProvider = Arc::new(move |config: &str| {
            let answered = answered.lock(); // one request at a time
            let id = match last_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1) {
                ANY_REQUEST => last_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
                id => id,
            };
            // JS that can no longer be called (its environment is being torn down) will not
            // answer: fail now rather than hold librdkafka's background thread, and so the
            // client's destruction, for the whole wait.
            let status = request.call(
                OAuthBearerTokenRequest {
                    id,
                    config: config.to_string(),
                },
                NonBlocking,
            );
            if status != Status::Ok {
                return Err(format!(
                    "oauthbearer_token_callback could not be called: {status}"
                ));
            }
            answer_to(&answered, id, Instant::now() + ANSWER_WAIT).unwrap_or_else(|| {
                Err(format!(
                    "oauthbearer_token_callback did not settle within {ANSWER_WAIT:?}"
                ))
            })
        });
        Ok(OAuthBearerBridge { answers, provider })
    }

    /// The token for request `id`.
    #[napi]
    pub fn provide(&self, id: u32, token: OAuthBearerTokenInput) {
        let _ = self.answers.send((
            id,
            Ok(kafka_native::OAuthBearerToken {
                token: token.token,
                lifetime_ms: token.lifetime_ms as i64,
                principal: token.principal,
                extensions: token.extensions.unwrap_or_default().into_iter().collect(),
            }),
        ));
    }

    /// Request `id` failed.
    #[napi]
    pub fn fail(&self, id: u32, reason: String) {
        let _ = self.answers.send((id, Err(reason)));
    }
}

/// The answer to request `id`, passing over late answers to earlier requests; `None` when none
/// came by `deadline`.
fn answer_to(
    answered: &Receiver<Answer>,
    id: u32,
    deadline: Instant,
) -> Option<std::result::Result<kafka_native::OAuthBearerToken, String>> {
    loop {
        match answered.recv_deadline(deadline) {
            Ok((answering, answer)) if answering == id || answering == ANY_REQUEST => {
                return Some(answer)
            }
            Ok(_) => continue, // a late answer to an earlier request
            Err(_) => return None,
        }
    }
}

impl OAuthBearerBridge {
    /// For a client to hold: see [`PendingTokenWake`].
    pub(crate) fn wake_on_drop(&self) -> PendingTokenWake {
        PendingTokenWake(self.answers.clone())
    }
}

/// Held first in a client's struct: when the client is finalized (its environment torn down, or
/// garbage collected), a token request still waiting for JS is answered with a failure at once,
/// so destroying the client (which waits for librdkafka's background thread) never waits for JS
/// that will not run.
pub(crate) struct PendingTokenWake(Sender<Answer>);

impl Drop for PendingTokenWake {
    fn drop(&mut self) {
        let _ = self
            .0
            .send((ANY_REQUEST, Err("the client is closing".to_string())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> kafka_native::OAuthBearerToken {
        kafka_native::OAuthBearerToken {
            token: text.to_string(),
            lifetime_ms: 0,
            principal: "p".to_string(),
            extensions: Vec::new(),
        }
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(200)
    }

    #[test]
    fn a_late_answer_to_an_earlier_request_is_not_taken_for_the_one_waiting() {
        let (answers, answered) = crossbeam_channel::unbounded();
        answers.send((1, Ok(token("late")))).unwrap();
        answers.send((2, Ok(token("second")))).unwrap();
        let got = answer_to(&answered, 2, soon()).unwrap().unwrap();
        assert_eq!(got.token, "second");
        // Only a late answer came: the request waits on, and then gives up.
        answers.send((2, Ok(token("late too")))).unwrap();
        assert!(answer_to(&answered, 3, soon()).is_none());
    }

    #[test]
    fn a_closing_client_answers_whichever_request_waits() {
        let (answers, answered) = crossbeam_channel::unbounded();
        answers
            .send((ANY_REQUEST, Err("closing".to_string())))
            .unwrap();
        assert_eq!(
            answer_to(&answered, 7, soon()),
            Some(Err("closing".to_string()))
        );
    }
}
