//! Two instances in one consumer group split the partitions and together produce every record;
//! when the second joins mid-stream, the first finishes and commits the work of the partitions
//! it gives up before releasing them, so nothing is processed twice.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use timeline::stream::Service;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_joining_mid_stream_takes_half_without_redoing_work() {
    let mut broker = support::broker().await;
    let mut c = support::config(&broker.bootstrap_servers(), "group");
    c.stream.max_in_flight_messages = 8;
    support::create_topics(&c, 4).await;
    let input = support::articles("group", 120);
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let a = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let ta = a.tracker().clone();
    support::wait_until(
        Duration::from_secs(60),
        "the first instance at work",
        || {
            let t = ta.clone();
            async move { t.finished() >= 10 }
        },
    )
    .await;

    // The second joins while the first has work in flight: a rebalance mid-stream.
    let b = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let (ha, hb) = (a.health().clone(), b.health().clone());
    support::wait_until(
        Duration::from_secs(60),
        "both instances hold partitions",
        || {
            let (ha, hb) = (ha.clone(), hb.clone());
            async move { ha.assigned() > 0 && hb.assigned() > 0 }
        },
    )
    .await;
    assert_eq!(ha.assigned() + hb.assigned(), 4);

    let tb = b.tracker().clone();
    let cfg = c.clone();
    support::wait_until(Duration::from_secs(90), "every offset committed", || {
        let cfg = cfg.clone();
        async move {
            let done: i64 = tokio::task::spawn_blocking(move || support::committed(&cfg, 4))
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.unwrap_or(0))
                .sum();
            done == 120
        }
    })
    .await;
    assert!(tb.finished() > 0, "the second instance did work");
    assert_eq!(
        ta.finished() + tb.finished(),
        120,
        "no message was processed twice (the revocation committed the first's work)"
    );

    a.shutdown();
    b.shutdown();
    a.wait().await.unwrap();
    b.wait().await.unwrap();
    let ids = support::output_ids(&c);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique, expected);
    broker.stop().await;
}
