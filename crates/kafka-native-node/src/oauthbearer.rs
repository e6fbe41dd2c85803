//! SASL/OAUTHBEARER tokens from a JS callback. librdkafka asks on its background thread; the
//! bridge calls JS (which may take its time, and answers through `provide` or `fail`) and
//! waits for the answer, so the core sees a plain provider.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::weak_callback;

/// How long librdkafka's background thread waits for JS to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(30);

type Answer = std::result::Result<kafka_native::OAuthBearerToken, String>;

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
    pub fn new(request: Function<'_, String, ()>) -> Result<Self> {
        let request = weak_callback(request)?;
        let (answers, answered): (Sender<Answer>, Receiver<Answer>) = crossbeam_channel::bounded(1);
        let answered = Mutex::new(answered);
        let provider: kafka_native::OAuthBearerProvider = Arc::new(move |config: &str| {
            let answered = answered.lock(); // one request at a time
            while answered.try_recv().is_ok() {} // an answer that came too late for the last one
                                                 // JS that can no longer be called (its environment is being torn down) will not
                                                 // answer: fail now rather than hold librdkafka's background thread, and so the
                                                 // client's destruction, for the whole wait.
            let status = request.call(config.to_string(), NonBlocking);
            if status != Status::Ok {
                return Err(format!(
                    "oauthbearer_token_callback could not be called: {status}"
                ));
            }
            answered.recv_timeout(ANSWER_WAIT).unwrap_or_else(|_| {
                Err(format!(
                    "oauthbearer_token_callback did not settle within {ANSWER_WAIT:?}"
                ))
            })
        });
        Ok(OAuthBearerBridge { answers, provider })
    }

    /// The token for the pending request.
    #[napi]
    pub fn provide(&self, token: OAuthBearerTokenInput) {
        let _ = self.answers.try_send(Ok(kafka_native::OAuthBearerToken {
            token: token.token,
            lifetime_ms: token.lifetime_ms as i64,
            principal: token.principal,
            extensions: token.extensions.unwrap_or_default().into_iter().collect(),
        }));
    }

    /// The pending request failed.
    #[napi]
    pub fn fail(&self, reason: String) {
        let _ = self.answers.try_send(Err(reason));
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
        let _ = self.0.try_send(Err("the client is closing".to_string()));
    }
}
