//! The revocation of a partition commits the work it waited for, and nothing lowers that
//! commit afterwards.
//!
//! The service stores offsets for librdkafka's periodic commit only between polls, while the
//! revoke callback runs inside a poll: when a rebalance comes, the stored offsets lag behind
//! the work the callback has just waited for. With auto-commit on, librdkafka commits the
//! stored offsets of partitions as it removes them, right after the callback; unless the
//! callback stored what it committed, that second commit sets the group's offset back and the
//! next owner redoes the gap. `stream_group` shows this as duplicates, but only when the race
//! goes wrong; here the lag is set up on purpose, so the test fails every time without the fix.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use timeline::config::Guarantee;
use timeline::stream::consumer::{StreamContext, offsets_tpl};
use timeline::stream::health::Health;
use timeline::stream::kafka;
use timeline::stream::metrics::Metrics;
use timeline::stream::tracker::{InFlightLimits, Tp, Tracker};

const N: i64 = 10;
/// The offset the service's loop last stored: far behind the work finished.
const STORED: i64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revocation_commit_is_not_lowered_by_lagging_stored_offsets() {
    let (mut broker, c) = support::broker_with_topics("revoke", 1).await;
    let input = support::articles("revoke", N as usize);
    support::produce(&c, &input).await;

    let c2 = c.clone();
    tokio::task::spawn_blocking(move || run(&c2))
        .await
        .expect("the consumers ran");

    // Whoever holds the partition now, the group's offset is all of the first owner's work.
    assert_eq!(support::committed(&c, 1), vec![Some(N)]);
    broker.stop().await;
}

/// The first owner takes every message and finishes it, with offset [`STORED`] stored; a
/// second member joins, and both poll until the rebalance is over.
fn run(c: &timeline::config::Config) {
    let group = &c.stream.group_id;
    let topic = &c.stream.input_topics[0];
    let tracker = Tracker::new(
        InFlightLimits {
            max_messages: 1000,
            max_bytes: usize::MAX,
        },
        None,
    );
    let ctx = StreamContext::new(
        Arc::clone(&tracker),
        Arc::new(Health::new()),
        Arc::new(Metrics::new()),
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
        Guarantee::AtLeastOnce,
        Duration::from_secs(10),
    );
    // A long commit interval: no periodic commit comes between the steps below.
    let first: BaseConsumer<StreamContext> =
        kafka::consumer_config(&c.kafka, group, Guarantee::AtLeastOnce, 60_000)
            .create_with_context(ctx)
            .expect("first consumer");
    first.subscribe(&[topic]).expect("subscribed");

    let mut tickets = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (tickets.len() as i64) < N {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the first owner to consume every message"
        );
        if let Some(Ok(m)) = first.poll(Duration::from_millis(100)) {
            let tp = Tp::new(m.topic(), m.partition());
            tickets.push(tracker.begin(tp, m.offset(), 1, None));
        }
    }
    // The loop's last store, then every message finishes while it is "blocked".
    let tp = Tp::new(topic, 0);
    first
        .store_offsets(&offsets_tpl(&[(tp.clone(), STORED)]))
        .expect("offset stored");
    for t in &tickets {
        assert!(t.part_done());
    }
    assert_eq!(tracker.positions(), vec![(tp, N)]);

    // A second member joins (it commits nothing itself): the first's partition is revoked.
    let mut second_config = kafka::consumer_config(&c.kafka, group, Guarantee::AtLeastOnce, 60_000);
    second_config.set("enable.auto.commit", "false");
    let second: BaseConsumer = second_config.create().expect("second consumer");
    second.subscribe(&[topic]).expect("subscribed");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // Both poll: the rebalance completes only when every member has rejoined.
        let _ = first.poll(Duration::from_millis(50));
        let _ = second.poll(Duration::from_millis(50));
        let a = first.assignment().map_or(0, |t| t.count());
        let b = second.assignment().map_or(0, |t| t.count());
        // Rebalanced: the partition has one owner, and the first's tracker started over.
        if a + b == 1 && tracker.positions().is_empty() && tracker.assigned().len() == a {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the rebalance"
        );
    }
    // Let librdkafka's removal commit (the one that used to lower the offset) go out.
    let settle = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settle {
        let _ = first.poll(Duration::from_millis(50));
        let _ = second.poll(Duration::from_millis(50));
    }
}
