//! SASL through application callbacks: the OAUTHBEARER token provider, on the MockCluster
//! (which speaks no SASL, so what is tested is librdkafka's side: asking, accepting a token,
//! logging and retrying a failure).

use std::sync::Arc;
use std::time::Duration;

use kafka_native::{MockCluster, Producer, ProducerConfig};
use parking_lot::Mutex;

mod common;
use common::{wait_for, Logs};

#[test]
fn an_oauthbearer_provider_is_asked_for_tokens_and_its_failures_are_logged() {
    let cluster = MockCluster::new(1).unwrap();
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let logs = Logs::default();
    let sasl = |config: ProducerConfig| {
        config
            .driver_option("security.protocol", "sasl_plaintext")
            .driver_option("sasl.mechanism", "OAUTHBEARER")
            .driver_option("sasl.oauthbearer.config", "scope=test")
    };
    let recorded = asked.clone();
    let producer = Producer::new(
        sasl(ProducerConfig::new(cluster.bootstrap_servers()))
            .on_log(logs.handler())
            .oauthbearer_token_provider(move |config| {
                recorded.lock().push(config.to_string());
                Ok(kafka_native::OAuthBearerToken {
                    token: "t".into(),
                    lifetime_ms: (std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_millis()
                        + 60_000) as i64,
                    principal: "alice".into(),
                    extensions: vec![("traceId".into(), "abc".into())],
                })
            }),
    )
    .unwrap();
    wait_for("the provider to be asked", Duration::from_secs(30), || {
        !asked.lock().is_empty()
    });
    assert_eq!(asked.lock()[0], "scope=test");
    drop(producer);
    // (The MockCluster's refusal of SASL itself is logged too: it speaks none.)
    assert!(
        logs.matching("Failed to acquire SASL OAUTHBEARER token")
            .is_empty(),
        "{:?}",
        logs.records()
    );

    let failing_logs = Logs::default();
    let producer = Producer::new(
        sasl(ProducerConfig::new(cluster.bootstrap_servers()))
            .on_log(failing_logs.handler())
            .oauthbearer_token_provider(|_| Err("the identity provider is down".to_string())),
    )
    .unwrap();
    wait_for("the failure to be logged", Duration::from_secs(30), || {
        !failing_logs
            .matching("the identity provider is down")
            .is_empty()
    });
    drop(producer);

    // An empty reason, which librdkafka would ignore (and then never ask again), is replaced.
    let silent_logs = Logs::default();
    let producer = Producer::new(
        sasl(ProducerConfig::new(cluster.bootstrap_servers()))
            .on_log(silent_logs.handler())
            .oauthbearer_token_provider(|_| Err(String::new())),
    )
    .unwrap();
    wait_for(
        "the unnamed failure to be logged",
        Duration::from_secs(30),
        || !silent_logs.matching("the token provider failed").is_empty(),
    );
    drop(producer);
}
