//! Per-test configurations and what the tests do with their topics: create, produce, read,
//! and look up the committed offsets of the service's group.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use timeline::config::Config;
use timeline::stream::kafka;
use timeline::stream::topic::{self, ReadMessage};

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

/// Creates `topics` on the broker of `c`.
pub async fn create(c: &Config, topics: &[&str], partitions: i32) {
    kafka::ensure_topics(&c.kafka, topics, partitions, Duration::from_secs(20))
        .await
        .expect("topics created");
}

/// Creates the input, output and dead-letter topics of `c`.
pub async fn create_topics(c: &Config, partitions: i32) {
    let mut topics: Vec<&str> = c.stream.input_topics.iter().map(String::as_str).collect();
    topics.push(&c.stream.output_topic);
    topics.push(&c.dead_letter.topic);
    create(c, &topics, partitions).await;
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

/// The committed offsets of [`committed`] summed, nothing committed counting as 0: with every
/// input partition starting at offset 0, the number of messages the group has done.
pub fn committed_total(c: &Config, partitions: i32) -> i64 {
    committed(c, partitions)
        .into_iter()
        .map(|o| o.unwrap_or(0))
        .sum()
}
