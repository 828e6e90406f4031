//! librdkafka client configuration, topic administration, and closing clients.
//!
//! Order of precedence, later wins: our defaults for the role, `kafka.common`, `kafka.consumer`
//! or `kafka.producer`, then the few properties the service's guarantees depend on (a user
//! setting `enable.auto.offset.store=true` would silently break at-least-once, so those are not
//! overridable).

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::{Config, ConfigError, Guarantee, KafkaConfig};

/// `bootstrap.servers` plus `kafka.common`.
pub fn base_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &kafka.bootstrap_servers);
    for (k, v) in &kafka.common {
        c.set(k, v);
    }
    c
}

/// A consumer in `group_id` whose offsets are stored by the service only when a message's
/// records are acknowledged, and committed every `commit_interval_ms`. For exactly-once the
/// offsets go through the transaction instead, and only committed input is read.
pub fn consumer_config(
    kafka: &KafkaConfig,
    group_id: &str,
    guarantee: Guarantee,
    commit_interval_ms: u64,
) -> ClientConfig {
    let mut c = base_config(kafka);
    c.set("auto.offset.reset", "earliest");
    for (k, v) in &kafka.consumer {
        c.set(k, v);
    }
    c.set("group.id", group_id);
    c.set("enable.auto.offset.store", "false");
    match guarantee {
        Guarantee::AtLeastOnce => {
            c.set("enable.auto.commit", "true");
            c.set("auto.commit.interval.ms", commit_interval_ms.to_string());
        }
        Guarantee::ExactlyOnce => {
            c.set("enable.auto.commit", "false");
            c.set("isolation.level", "read_committed");
        }
    }
    c
}

/// A producer; transactional when `transactional_id` is given.
pub fn producer_config(kafka: &KafkaConfig, transactional_id: Option<&str>) -> ClientConfig {
    let mut c = base_config(kafka);
    for (k, v) in &kafka.producer {
        c.set(k, v);
    }
    if let Some(id) = transactional_id {
        c.set("transactional.id", id);
        c.set("enable.idempotence", "true");
    }
    c
}

/// A plain consumer outside any group that commits nothing: for reading a topic from the start
/// (the embedded demo's printer, tests, the bench).
pub fn reader_config(kafka: &KafkaConfig, isolation_read_committed: bool) -> ClientConfig {
    let mut c = base_config(kafka);
    c.set(
        "group.id",
        format!("timeline-reader-{}", std::process::id()),
    );
    c.set("enable.auto.commit", "false");
    c.set("enable.auto.offset.store", "false");
    c.set("auto.offset.reset", "earliest");
    if isolation_read_committed {
        c.set("isolation.level", "read_committed");
    }
    c
}

/// Refuses a configuration librdkafka would refuse, naming the config section the property
/// came from (`kafka.common`, or `kafka.<role>` for `role` = `consumer` / `producer`) and the
/// property (`kafka.consumer: librdkafka refused "fetch.max.byts" = "5": No such configuration
/// property`). The value of a property that may hold a secret is never shown.
pub fn check(config: &ClientConfig, kafka: &KafkaConfig, role: &str) -> Result<(), ConfigError> {
    config.create_native_config().map(|_| ()).map_err(|e| {
        let (section, message) = match &e {
            KafkaError::ClientConfig(_, desc, key, value) => {
                let own = if role == "consumer" {
                    &kafka.consumer
                } else {
                    &kafka.producer
                };
                let section = if own.contains_key(key) || !kafka.common.contains_key(key) {
                    format!("kafka.{role}")
                } else {
                    "kafka.common".to_owned()
                };
                let shown = if is_secret(key) {
                    "(value hidden)".to_owned()
                } else {
                    format!("{value:?}")
                };
                (
                    section,
                    format!("librdkafka refused `{key}` = {shown}: {desc}"),
                )
            }
            other => (format!("kafka.{role}"), other.to_string()),
        };
        ConfigError::field(&section, message)
    })
}

/// True for librdkafka property names that may hold a secret (passwords, keys, tokens, every
/// SASL setting), so that their values are never echoed, misspelled names included.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("sasl.")
        || k.starts_with("ssl.key")
        || [
            "password",
            "passwd",
            "pasword",
            "secret",
            "token",
            "credential",
            "private",
        ]
        .iter()
        .any(|w| k.contains(w))
}

/// Creates the topics that do not exist yet, with `partitions` partitions and replication 1.
/// Existing topics are left as they are.
pub async fn ensure_topics(
    kafka: &KafkaConfig,
    topics: &[&str],
    partitions: i32,
    timeout: Duration,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = base_config(kafka).create()?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    for result in admin.create_topics(new.iter(), &opts).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaError::AdminOp(code)).inspect_err(|_| {
                    tracing::error!(%topic, ?code, "could not create topic");
                });
            }
        }
    }
    Ok(())
}

/// Creates `topic` with `cleanup.policy=compact` when it does not exist yet (a topic that
/// keeps the last value of every key, as the event view's changelog needs).
pub async fn ensure_compacted_topic(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = base_config(kafka).create()?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact");
    let opts = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    for result in admin.create_topics([&new], &opts).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                tracing::error!(%topic, ?code, "could not create topic");
                return Err(KafkaError::AdminOp(code));
            }
        }
    }
    Ok(())
}

/// The number of partitions of `topic`; 0 when it does not exist. Blocks (metadata request).
pub fn partition_count(kafka: &KafkaConfig, topic: &str) -> Result<usize, KafkaError> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = reader_config(kafka, false).create()?;
    let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    Ok(md
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len())
        .sum())
}

/// Creates the service's topics that do not exist yet: every input topic, the output topic and
/// the dead-letter topic, with `partitions` partitions each.
pub async fn ensure_service_topics(config: &Config, partitions: i32) -> Result<(), KafkaError> {
    let s = &config.stream;
    let mut topics: Vec<&str> = s.input_topics.iter().map(String::as_str).collect();
    topics.push(&s.output_topic);
    topics.push(&config.dead_letter.topic);
    ensure_topics(&config.kafka, &topics, partitions, Duration::from_secs(30)).await
}

/// Drops `clients` (librdkafka consumers and producers, or what owns them) and waits at most
/// `limit` for it; true when they closed in time.
///
/// Closing a consumer leaves its group and can block for as long as the brokers are
/// unreachable. It runs on a thread of its own, not in `spawn_blocking`: a close that outlasts
/// `limit` is left behind, and a Tokio runtime being dropped waits for every blocking task
/// without limit, so a broker that went away would keep the process (or a test) from ever
/// exiting. A detached thread ends with the process.
pub async fn close_within<T: Send + 'static>(clients: T, limit: Duration) -> bool {
    let (closed, done) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("timeline-close".into())
        .spawn(move || {
            drop(clients);
            let _ = closed.send(());
        });
    if spawned.is_err() {
        // The closure, and the clients in it, were dropped here: closed, if late.
        return false;
    }
    // A dropped sender without a send is a close that panicked: it is over either way.
    tokio::time::timeout(limit, done).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarantees_override_pass_through() {
        let mut k = KafkaConfig::default();
        k.consumer
            .insert("enable.auto.offset.store".into(), "true".into());
        k.consumer.insert("fetch.min.bytes".into(), "10".into());
        k.common.insert("security.protocol".into(), "ssl".into());
        let c = consumer_config(&k, "g", Guarantee::AtLeastOnce, 250);
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("fetch.min.bytes"), Some("10"));
        assert_eq!(c.get("security.protocol"), Some("ssl"));
        assert_eq!(c.get("auto.commit.interval.ms"), Some("250"));
        let c = consumer_config(&k, "g", Guarantee::ExactlyOnce, 250);
        assert_eq!(c.get("isolation.level"), Some("read_committed"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
    }

    #[test]
    fn unknown_property_is_refused_by_name() {
        let mut k = KafkaConfig::default();
        k.producer.insert("linger.msec".into(), "5".into());
        let e = check(&producer_config(&k, None), &k, "producer").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("kafka.producer") && s.contains("linger.msec") && s.contains("\"5\""),
            "{s}"
        );
    }

    /// A mistyped secret is refused by name, in the section it was written in, without its
    /// value.
    #[test]
    fn secrets_are_never_echoed() {
        let mut k = KafkaConfig::default();
        k.common
            .insert("sasl.pasword".into(), "hunter2-very-secret".into());
        let e = check(
            &consumer_config(&k, "g", Guarantee::AtLeastOnce, 1000),
            &k,
            "consumer",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("kafka.common") && e.contains("sasl.pasword"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
            "my.token",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["linger.ms", "bootstrap.servers", "ssl.ca.location"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    /// A close that outlasts its limit is reported late and left behind, and the runtime can
    /// still be dropped at once (with `spawn_blocking`, dropping it waited for the close).
    #[test]
    fn a_late_close_does_not_hold_the_runtime() {
        struct SlowDrop(Duration);
        impl Drop for SlowDrop {
            fn drop(&mut self) {
                std::thread::sleep(self.0);
            }
        }
        let runtime = || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
        };
        let started = std::time::Instant::now();
        let rt = runtime();
        let late = Duration::from_secs(20);
        assert!(!rt.block_on(close_within(SlowDrop(late), Duration::from_millis(50))));
        drop(rt);
        assert!(started.elapsed() < Duration::from_secs(10));
        let rt = runtime();
        let quick = Duration::from_millis(1);
        assert!(rt.block_on(close_within(SlowDrop(quick), Duration::from_secs(10))));
    }
}
