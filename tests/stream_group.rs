//! Two instances in one consumer group split the partitions and together produce every record;
//! when the second joins mid-stream, the first finishes and commits the work of the partitions
//! it gives up before releasing them, so nothing is processed twice. A second batch produced
//! once both hold partitions gives both work, however fast the first drained the first batch.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_joining_mid_stream_takes_half_without_redoing_work() {
    const FIRST: usize = 120;
    const SECOND: usize = 40;
    const N: i64 = (FIRST + SECOND) as i64;
    let (mut broker, mut c, mut expected) = support::loaded("group", 4, FIRST).await;
    c.stream.max_in_flight_messages = 8;

    let a = support::start_service(&c).await;
    let ta = a.tracker().clone();
    support::wait_finished(
        &a,
        10,
        Duration::from_secs(60),
        "the first instance at work",
    )
    .await;

    // The second joins while the first has work in flight: a rebalance mid-stream.
    let b = support::start_service(&c).await;
    let (ha, hb) = (a.health().clone(), b.health().clone());
    support::wait_for(
        Duration::from_secs(60),
        "both instances hold partitions",
        || ha.assigned() > 0 && hb.assigned() > 0,
    )
    .await;
    assert_eq!(ha.assigned() + hb.assigned(), 4);
    let second = support::articles("group-second", SECOND);
    support::produce(&c, &second).await;
    expected.extend(support::expected_ids(&second));

    let tb = b.tracker().clone();
    support::wait_all_committed(&c, 4, N, Duration::from_secs(90)).await;
    assert!(tb.finished() > 0, "the second instance did work");
    assert_eq!(
        ta.finished() + tb.finished(),
        N as u64,
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
