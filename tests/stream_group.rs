//! Two instances in one consumer group split the partitions and together produce every record.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use timeline::stream::Service;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_split_partitions_and_cover_everything() {
    let broker = support::memory_broker().await;
    let mut c = support::config(&broker.bootstrap_servers(), "group");
    c.stream.max_in_flight_messages = 16;
    support::create_topics(&c, 4).await;

    let a = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let b = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let (ha, hb) = (a.health().clone(), b.health().clone());
    support::wait_until(Duration::from_secs(60), "both instances hold partitions", || {
        let (ha, hb) = (ha.clone(), hb.clone());
        async move { ha.assigned() > 0 && hb.assigned() > 0 && ha.assigned() + hb.assigned() == 4 }
    })
    .await;

    let input = support::articles("group", 80);
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let (ta, tb) = (a.tracker().clone(), b.tracker().clone());
    support::wait_until(Duration::from_secs(90), "every message finished", || {
        let (ta, tb) = (ta.clone(), tb.clone());
        async move { ta.finished() + tb.finished() >= 80 }
    })
    .await;
    assert!(
        ta.finished() > 0 && tb.finished() > 0,
        "both did work: {} / {}",
        ta.finished(),
        tb.finished()
    );

    let ids: BTreeSet<String> = support::output_ids(&c).into_iter().collect();
    assert_eq!(ids, expected);

    a.shutdown();
    b.shutdown();
    a.wait().await.unwrap();
    b.wait().await.unwrap();
    broker.stop().await;
}
