//! Crashes and restarts lose nothing: every input article's records end up in the output, and
//! the only duplicates are records with identical ids.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use timeline::config::Config;
use timeline::stream::ServiceHandle;

/// A broker with `n` articles named after `name` in two partitions (see [`support::loaded`]),
/// and a service running on them, with a small in-flight bound so that work is always in
/// flight when a test interrupts it, that has finished at least `k` of them.
async fn mid_stream(
    name: &str,
    n: usize,
    k: u64,
) -> (support::TestBroker, Config, BTreeSet<String>, ServiceHandle) {
    let (broker, mut c, expected) = support::loaded(name, 2, n).await;
    c.stream.max_in_flight_messages = 8;
    let svc = support::start_service(&c).await;
    support::wait_finished(&svc, k, Duration::from_secs(60), "some messages finished").await;
    (broker, c, expected, svc)
}

fn assert_complete(c: &Config, expected: &BTreeSet<String>) {
    let out = support::read(c, &c.stream.output_topic);
    let mut seen: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for m in out {
        let id = String::from_utf8(m.key.unwrap()).unwrap();
        let v = m.value.unwrap();
        if let Some(prev) = seen.get(&id) {
            assert_eq!(prev, &v, "a duplicate of {id} differs");
        }
        seen.insert(id, v);
    }
    let ids: BTreeSet<String> = seen.into_keys().collect();
    assert_eq!(&ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_stream_and_restarted_loses_nothing() {
    // Run until part of the stream is done, then kill without any shutdown. Enough messages
    // that the kill lands mid-stream however fast the service runs.
    const N: usize = 400;
    let (mut broker, c, expected, svc) = mid_stream("kill", N, 20).await;
    svc.kill().await;
    let first_run = support::output_ids(&c).len();
    assert!(first_run > 0);
    let committed = support::committed_total(&c, 2);
    assert!(committed < N as i64, "killed mid-stream, not after the end");

    // Restart: it resumes from the committed offsets and completes the stream.
    let svc = support::start_service(&c).await;
    support::wait_all_committed(&c, 2, N as i64, Duration::from_secs(90)).await;
    svc.shutdown();
    svc.wait().await.unwrap();
    assert_complete(&c, &expected);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_stopped_and_restarted_loses_nothing() {
    let (mut broker, c, expected, svc) = mid_stream("outage", 60, 10).await;

    // The broker goes away mid-stream...
    broker.stop().await;
    let health = svc.health().clone();
    support::wait_for(
        Duration::from_secs(30),
        "not ready while the broker is down",
        || health.ready().is_err(),
    )
    .await;
    // ...long enough that librdkafka gives every broker up for unreachable...
    support::wait_for(
        Duration::from_secs(30),
        "every broker reported down",
        || health.brokers_down(),
    )
    .await;

    // ...and comes back on the same port with the same data.
    broker.restart().await;
    support::wait_finished(&svc, 60, Duration::from_secs(90), "every message finished").await;
    support::wait_for(Duration::from_secs(30), "ready again", || {
        health.ready().is_ok()
    })
    .await;
    svc.shutdown();
    svc.wait().await.unwrap();
    assert_complete(&c, &expected);
    assert_eq!(support::committed_total(&c, 2), 60);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_mid_stream_commits_what_was_done() {
    const N: u64 = 400;
    let (mut broker, c, expected, svc) = mid_stream("stop", N as usize, 15).await;
    svc.shutdown();
    let first = svc.wait().await.unwrap();
    assert!(
        first.drained,
        "in-flight work finished within the grace period"
    );
    assert_eq!(first.finished, first.consumed);
    assert!(first.consumed < N, "stopped mid-stream");
    // Everything it finished is committed, nothing more.
    let committed = support::committed_total(&c, 2);
    assert_eq!(committed as u64, first.finished);

    // The next run starts exactly where the first stopped.
    let svc = support::start_service(&c).await;
    let rest = N - first.finished;
    support::wait_finished(&svc, rest, Duration::from_secs(90), "the rest finished").await;
    svc.shutdown();
    let second = svc.wait().await.unwrap();
    assert_eq!(second.consumed, rest, "no message processed twice");
    let ids = support::output_ids(&c);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique, expected);
    assert_eq!(
        ids.len(),
        unique.len(),
        "no duplicates after a clean shutdown"
    );
    broker.stop().await;
}
