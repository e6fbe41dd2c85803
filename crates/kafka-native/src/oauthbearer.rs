//! SASL/OAUTHBEARER tokens from the application: librdkafka asks for one when a client starts
//! (with `sasl.mechanism=OAUTHBEARER`) and again before the current one expires (at about 80%
//! of its lifetime). The provider runs on librdkafka's background thread.

use std::sync::Arc;

/// A token for SASL/OAUTHBEARER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthBearerToken {
    /// The token itself (for example a JWT).
    pub token: String,
    /// When it expires, in milliseconds since the epoch (as the Java client's `lifetimeMs`).
    pub lifetime_ms: i64,
    /// The principal it names.
    pub principal: String,
    /// SASL extensions, as (key, value) pairs.
    pub extensions: Vec<(String, String)>,
}

/// Makes a token; called with librdkafka's `sasl.oauthbearer.config`. An `Err` is reported to
/// librdkafka as a failure (it is logged and the provider is asked again about 10 s later).
pub type OAuthBearerProvider = Arc<dyn Fn(&str) -> Result<OAuthBearerToken, String> + Send + Sync>;
