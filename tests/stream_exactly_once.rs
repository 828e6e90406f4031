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
use timeline::stream::{Service, topic};

fn eos_config(
    mock: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>,
    name: &str,
) -> Config {
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

fn counts(c: &Config) -> BTreeMap<String, usize> {
    let out = topic::read_all(
        &c.kafka,
        &c.stream.output_topic,
        true,
        Duration::from_secs(30),
    )
    .expect("output read");
    let mut counts = BTreeMap::new();
    for m in &out {
        *counts
            .entry(String::from_utf8(m.key.clone().expect("key")).expect("utf-8"))
            .or_default() += 1;
    }
    counts
}

async fn wait_consumed(svc: &timeline::stream::ServiceHandle, n: u64, what: &str) {
    let m = svc.metrics().clone();
    support::wait_until(Duration::from_secs(60), what, || {
        let m = m.clone();
        async move { m.consumed.get() >= n && m.produced.get() > 0 }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_batch_is_one_transaction_with_its_offsets() {
    support::init_logging();
    let mock = MockCluster::new(1).expect("mock cluster");
    let c = eos_config(&mock, "eos");
    let input = input("eos");
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    wait_consumed(&svc, 32, "every message consumed").await;
    let metrics = svc.metrics().clone();
    support::wait_until(
        Duration::from_secs(30),
        "every record and dead letter sent",
        || {
            let m = metrics.clone();
            let n = expected.len() as u64;
            async move { m.produced.get() >= n && m.dead_letters_total() >= 2 }
        },
    )
    .await;
    svc.shutdown();
    let summary = svc.wait().await.unwrap();
    assert_eq!(summary.consumed, 32);

    let counts = counts(&c);
    assert!(counts.values().all(|n| *n == 1), "no batch was sent twice");
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let dead = topic::read_all(
        &c.kafka,
        &c.dead_letter.topic,
        true,
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(dead.len(), 2);
    // Offsets went into the transactions only: the consumer itself committed nothing.
    assert_eq!(support::committed(&c, 2), vec![None, None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abortable_failure_aborts_and_retries_the_batch() {
    support::init_logging();
    let mock = MockCluster::new(1).expect("mock cluster");
    let c = eos_config(&mock, "abort");
    let input = input("abort");
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;
    // The first offset commit of a transaction is refused in a way that requires an abort.
    mock.request_errors(
        RDKafkaApiKey::TxnOffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED],
    );

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    wait_consumed(&svc, 32, "every message consumed").await;
    let metrics = svc.metrics().clone();
    support::wait_until(
        Duration::from_secs(30),
        "an abort, then every record sent",
        || {
            let m = metrics.clone();
            let n = expected.len() as u64;
            async move { m.retries.get() >= 1 && m.produced.get() >= n }
        },
    )
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
