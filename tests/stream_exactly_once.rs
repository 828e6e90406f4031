//! Exactly-once mode on librdkafka's mock cluster (the embedded broker has no transactions):
//! a crash between transactions and a restart leave every record exactly once in the
//! committed output.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use timeline::config::Guarantee;
use timeline::stream::Service;
use timeline::stream::topic;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_give_each_record_exactly_once_across_a_crash() {
    support::init_logging();
    let mock = MockCluster::new(1).expect("mock cluster");
    let bootstrap = mock.bootstrap_servers();
    let mut c = support::config(&bootstrap, "eos");
    c.stream.processing_guarantee = Guarantee::ExactlyOnce;
    c.stream.transactional_id = "eos-test-instance".into();
    c.stream.transaction_max_messages = 5;
    c.stream.transaction_interval_ms = 50;
    for (t, p) in [
        (c.stream.input_topics[0].as_str(), 2),
        (c.stream.output_topic.as_str(), 1),
        (c.dead_letter.topic.as_str(), 1),
    ] {
        mock.create_topic(t, p, 1).expect("mock topic");
    }

    let mut input = support::articles("eos", 40);
    input.insert(7, b"not json".to_vec());
    input.insert(23, br#"{"id":"x","text":7}"#.to_vec());
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let cfg = c.clone();
    let committed = move || {
        let cfg = cfg.clone();
        async move {
            tokio::task::spawn_blocking(move || support::committed(&cfg, 2))
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.unwrap_or(0))
                .sum::<i64>()
        }
    };
    let probe = committed.clone();
    support::wait_until(
        Duration::from_secs(60),
        "a few transactions committed",
        move || {
            let probe = probe.clone();
            async move { probe().await >= 10 }
        },
    )
    .await;
    svc.kill().await;

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let probe = committed.clone();
    support::wait_until(
        Duration::from_secs(90),
        "every offset committed",
        move || {
            let probe = probe.clone();
            async move { probe().await == 42 }
        },
    )
    .await;
    svc.shutdown();
    svc.wait().await.unwrap();

    let out = topic::read_all(
        &c.kafka,
        &c.stream.output_topic,
        true,
        Duration::from_secs(30),
    )
    .unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for m in &out {
        *counts
            .entry(String::from_utf8(m.key.clone().unwrap()).unwrap())
            .or_default() += 1;
    }
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dupes.is_empty(),
        "duplicates in committed output: {dupes:?}"
    );
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let dead = topic::read_all(
        &c.kafka,
        &c.dead_letter.topic,
        true,
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(dead.len(), 2);
    drop(mock);
}
