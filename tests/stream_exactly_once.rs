//! Exactly-once mode on librdkafka's mock cluster (the embedded broker has no transactions).
//!
//! The mock runs the whole client protocol (transactional ids, epochs, AddPartitions,
//! TxnOffsetCommit, EndTxn) but keeps no transaction state of its own: it neither stores the
//! offsets a transaction commits nor hides aborted records from `read_committed` readers. So
//! these tests check what the service does (each batch in a transaction with its offsets, an
//! abortable failure aborted and retried), not what a real broker makes of it afterwards. The
//! mock does not fence an older producer with the same `transactional.id` either, so zombie
//! fencing (a fatal error that stops the service) is left to a real broker.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use timeline::config::{Config, Guarantee};
use timeline::stream::topic::{self, ReadMessage};
use timeline::stream::{ServiceHandle, metrics::Metrics};

type Mock = MockCluster<'static, rdkafka::producer::DefaultProducerContext>;

/// A mock cluster with the topics of `name` (input in two partitions) and 32 messages in its
/// input topic, two of them bad; also the exactly-once configuration of a service for it and
/// the record ids the good messages give.
async fn loaded(name: &str) -> (Mock, Config, BTreeSet<String>) {
    support::init_logging();
    let mock = MockCluster::new(1).expect("mock cluster");
    let c = eos_config(&mock, name);
    let input = input(name);
    support::produce(&c, &input).await;
    let expected = support::expected_ids(&input);
    (mock, c, expected)
}

fn eos_config(mock: &Mock, name: &str) -> Config {
    let mut c = support::config(&mock.bootstrap_servers(), name);
    c.stream.processing_guarantee = Guarantee::ExactlyOnce;
    c.stream.transactional_id = format!("{name}-instance");
    c.stream.transaction_max_messages = 5;
    c.stream.transaction_interval_ms = 50;
    for (t, p) in [
        (c.stream.input_topics[0].as_str(), 2),
        (c.stream.output_topic.as_str(), 1),
        (c.dead_letter.topic.as_str(), 1),
    ] {
        mock.create_topic(t, p, 1).expect("mock topic");
    }
    c
}

fn input(prefix: &str) -> Vec<Vec<u8>> {
    let mut input = support::articles(prefix, 30);
    input.insert(7, b"not json".to_vec());
    input.insert(23, br#"{"id":"x","text":7}"#.to_vec());
    input
}

/// Everything in `topic` as a `read_committed` consumer sees it.
fn read_committed(c: &Config, topic: &str) -> Vec<ReadMessage> {
    topic::read_all(&c.kafka, topic, true, Duration::from_secs(30)).expect("topic read")
}

fn counts(c: &Config) -> BTreeMap<String, usize> {
    let out = read_committed(c, &c.stream.output_topic);
    let mut counts = BTreeMap::new();
    for m in &out {
        *counts
            .entry(String::from_utf8(m.key.clone().expect("key")).expect("utf-8"))
            .or_default() += 1;
    }
    counts
}

/// Starts the service of `c`, waits until it has consumed all `n` messages and produced
/// something, then until `sent` holds of its metrics (`what` it waits for).
async fn run_until_sent(
    c: &Config,
    n: u64,
    what: &str,
    sent: impl Fn(&Metrics) -> bool,
) -> ServiceHandle {
    let svc = support::start_service(c).await;
    let m = svc.metrics();
    support::wait_for(Duration::from_secs(60), "every message consumed", || {
        m.consumed.get() >= n && m.produced.get() > 0
    })
    .await;
    support::wait_for(Duration::from_secs(30), what, || sent(m)).await;
    svc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_batch_is_one_transaction_with_its_offsets() {
    let (_mock, c, expected) = loaded("eos").await;

    let n = expected.len() as u64;
    let svc = run_until_sent(&c, 32, "every record and dead letter sent", |m| {
        m.produced.get() >= n && m.dead_letters_total() >= 2
    })
    .await;
    svc.shutdown();
    let summary = svc.wait().await.unwrap();
    assert_eq!(summary.consumed, 32);

    let counts = counts(&c);
    assert!(counts.values().all(|n| *n == 1), "no batch was sent twice");
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let dead = read_committed(&c, &c.dead_letter.topic);
    assert_eq!(dead.len(), 2);
    // Offsets went into the transactions only: the consumer itself committed nothing.
    assert_eq!(support::committed(&c, 2), vec![None, None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abortable_failure_aborts_and_retries_the_batch() {
    let (mock, c, expected) = loaded("abort").await;
    // The first offset commit of a transaction is refused in a way that requires an abort.
    mock.request_errors(
        RDKafkaApiKey::TxnOffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED],
    );

    let n = expected.len() as u64;
    let svc = run_until_sent(&c, 32, "an abort, then every record sent", |m| {
        m.retries.get() >= 1 && m.produced.get() >= n
    })
    .await;
    assert!(
        !svc.is_finished(),
        "the service keeps running after an abort"
    );
    svc.shutdown();
    svc.wait().await.unwrap();
    // The mock shows aborted records too, so the retried batch appears twice, same ids.
    let counts = counts(&c);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
}
