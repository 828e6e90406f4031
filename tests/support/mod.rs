//! Shared harness of the stream tests: a real Kafka-compatible broker (tansu, in-process, on a
//! random port), configurations with topics of their own per test, and bounded waits.
#![allow(dead_code)]

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use timeline::config::Config;
use timeline::extract::Extractor;
use timeline::stream::embedded::{EmbeddedBroker, sqlite_url};
use timeline::stream::kafka;
use timeline::stream::topic::{self, ReadMessage};

/// One extractor for every service of a test binary (building it takes a moment).
pub fn extractor() -> Arc<Extractor> {
    static X: OnceLock<Arc<Extractor>> = OnceLock::new();
    Arc::clone(X.get_or_init(|| Arc::new(Extractor::builtin().expect("built-in extractor"))))
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A broker for one test: tansu in-process on a random port, storing in a sqlite file under
/// `target/tmp` (the file outlives a stop, so the broker can be restarted on the same data).
///
/// sqlite rather than `memory://`: tansu 0.6's memory storage only serves fetches that start
/// on a batch boundary, so a consumer resuming in the middle of a batch (after a pause, a
/// restart or a rebalance) would stall. Its sqlite storage keeps records one by one.
pub struct TestBroker {
    broker: Option<EmbeddedBroker>,
    db: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TestBroker {
    pub async fn start() -> TestBroker {
        init_logging();
        let dir = temp_dir();
        let db = dir.path().join("broker.db");
        let broker = sqlite_broker(&db, 0).await;
        let port = broker.addr().port();
        TestBroker {
            broker: Some(broker),
            db,
            port,
            _dir: dir,
        }
    }

    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker, keeping its data.
    pub async fn stop(&mut self) {
        if let Some(b) = self.broker.take() {
            b.stop().await;
        }
    }

    /// Starts it again on the same port and data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.broker = Some(sqlite_broker(&self.db, self.port).await);
    }
}

/// A fresh broker (see [`TestBroker`]).
pub async fn broker() -> TestBroker {
    TestBroker::start().await
}

/// A broker storing in sqlite at `path` (under the crate's target dir), on `port` (0 = any).
pub async fn sqlite_broker(path: &Path, port: u16) -> EmbeddedBroker {
    let url = sqlite_url(path).expect("sqlite path under the working directory");
    EmbeddedBroker::start(&url, port)
        .await
        .expect("embedded broker starts")
}

/// A fresh directory under `<crate>/target/test-brokers`: tansu's sqlite path must be under
/// the working directory (the crate root for tests), wherever `CARGO_TARGET_DIR` points.
pub fn temp_dir() -> tempfile::TempDir {
    let base = &Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-brokers");
    std::fs::create_dir_all(base).expect("target tmp dir");
    tempfile::tempdir_in(base).expect("temp dir")
}

/// A configuration for `bootstrap` whose topics and group are named after `name`, with short
/// intervals so tests are quick, and no HTTP endpoint unless asked.
pub fn config(bootstrap: &str, name: &str) -> Config {
    let mut c = Config::load(None).expect("default config");
    c.kafka.bootstrap_servers = bootstrap.to_owned();
    c.stream.input_topics = vec![format!("{name}-articles")];
    c.stream.output_topic = format!("{name}-timeline");
    c.stream.group_id = format!("{name}-group");
    c.dead_letter.topic = format!("{name}-dead");
    c.stream.workers = 2;
    c.stream.commit_interval_ms = 200;
    c.stream.shutdown_grace_ms = 20_000;
    c.stream.rebalance_timeout_ms = 10_000;
    c.stream.retry_backoff_ms = 200;
    c.stream.retry_backoff_max_ms = 1_000;
    c.http.enabled = false;
    c.http.listen = "127.0.0.1:0".into();
    // Quick group joins and broker-loss detection.
    for (k, v) in [
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "500"),
        ("topic.metadata.refresh.interval.ms", "1000"),
        ("statistics.interval.ms", "1000"),
    ] {
        c.kafka.consumer.insert(k.into(), v.into());
    }
    c.kafka.producer.insert("linger.ms".into(), "1".into());
    c
}

/// Creates the input, output and dead-letter topics of `c`.
pub async fn create_topics(c: &Config, partitions: i32) {
    let mut topics: Vec<&str> = c.stream.input_topics.iter().map(String::as_str).collect();
    topics.push(&c.stream.output_topic);
    topics.push(&c.dead_letter.topic);
    kafka::ensure_topics(&c.kafka, &topics, partitions, Duration::from_secs(20))
        .await
        .expect("topics created");
}

/// Produces raw values to the first input topic, keyed by article id where there is one.
pub async fn produce(c: &Config, values: &[Vec<u8>]) {
    let n = topic::produce_all(
        &c.kafka,
        &c.stream.input_topics[0],
        values.iter().map(Vec::as_slice),
        topic::article_key,
    )
    .await
    .expect("input produced");
    assert_eq!(n, values.len());
}

/// `n` small articles with distinct ids, each with events the extractor finds.
pub fn articles(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    let samples: Vec<&str> = timeline::stream::samples::articles().collect();
    (0..n)
        .map(|i| {
            let mut v: serde_json::Value =
                serde_json::from_str(samples[i % samples.len()]).expect("sample json");
            v["id"] = serde_json::Value::String(format!("{prefix}-{i}"));
            serde_json::to_vec(&v).expect("json")
        })
        .collect()
}

/// The records the extractor gives for `values` directly (the expected output).
pub fn expected_ids(values: &[Vec<u8>]) -> std::collections::BTreeSet<String> {
    let x = extractor();
    let limits = timeline::article::Limits::default();
    let mut ids = std::collections::BTreeSet::new();
    for v in values {
        if let Ok(a) = timeline::article::decode(v, &limits) {
            // Every test article has published_at, so the message timestamp plays no part.
            for r in x.extract(&a, None).records {
                ids.insert(r.id);
            }
        }
    }
    ids
}

/// Everything currently in `topic`.
pub fn read(c: &Config, topic: &str) -> Vec<ReadMessage> {
    topic::read_all(&c.kafka, topic, false, Duration::from_secs(30)).expect("topic read")
}

/// Record ids in the output topic, with duplicates.
pub fn output_ids(c: &Config) -> Vec<String> {
    read(c, &c.stream.output_topic)
        .into_iter()
        .map(|m| String::from_utf8(m.key.expect("record key")).expect("utf-8 key"))
        .collect()
}

/// Polls `cond` every 50 ms until it holds; panics with `what` after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The committed offsets of the service's group on every input partition (`None` = nothing
/// committed).
pub fn committed(c: &Config, partitions: i32) -> Vec<Option<i64>> {
    let mut cfg = kafka::base_config(&c.kafka);
    cfg.set("group.id", &c.stream.group_id);
    let consumer: BaseConsumer = cfg.create().expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(&c.stream.input_topics[0], p);
    }
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    (0..partitions)
        .map(|p| {
            match got
                .find_partition(&c.stream.input_topics[0], p)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(o)) => Some(o),
                _ => None,
            }
        })
        .collect()
}
