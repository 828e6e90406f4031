//! Crashes and restarts lose nothing: every input article's records end up in the output, and
//! the only duplicates are records with identical ids.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use timeline::stream::Service;

fn assert_complete(c: &timeline::config::Config, expected: &BTreeSet<String>) {
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
    let mut broker = support::broker().await;
    let mut c = support::config(&broker.bootstrap_servers(), "kill");
    c.stream.max_in_flight_messages = 8;
    support::create_topics(&c, 2).await;
    let input = support::articles("kill", 120);
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    // Run until part of the stream is done, then kill without any shutdown.
    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let tracker = svc.tracker().clone();
    support::wait_until(Duration::from_secs(60), "some messages finished", || {
        let t = tracker.clone();
        async move { t.finished() >= 20 }
    })
    .await;
    svc.kill().await;
    let first_run = support::output_ids(&c).len();
    assert!(first_run > 0);
    let committed: i64 = support::committed(&c, 2)
        .into_iter()
        .map(|o| o.unwrap_or(0))
        .sum();
    assert!(committed < 120, "killed mid-stream, not after the end");

    // Restart: it resumes from the committed offsets and completes the stream.
    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let cfg = c.clone();
    support::wait_until(
        Duration::from_secs(90),
        "committed offsets reach the end",
        || {
            let cfg = cfg.clone();
            async move {
                let done: i64 = tokio::task::spawn_blocking(move || support::committed(&cfg, 2))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|o| o.unwrap_or(0))
                    .sum();
                done == 120
            }
        },
    )
    .await;
    svc.shutdown();
    svc.wait().await.unwrap();
    assert_complete(&c, &expected);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_stopped_and_restarted_loses_nothing() {
    let mut broker = support::broker().await;
    let mut c = support::config(&broker.bootstrap_servers(), "outage");
    c.stream.max_in_flight_messages = 8;
    support::create_topics(&c, 2).await;
    let input = support::articles("outage", 60);
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let tracker = svc.tracker().clone();
    support::wait_until(Duration::from_secs(60), "some messages finished", || {
        let t = tracker.clone();
        async move { t.finished() >= 10 }
    })
    .await;

    // The broker goes away mid-stream...
    broker.stop().await;
    let health = svc.health().clone();
    support::wait_until(
        Duration::from_secs(30),
        "not ready while the broker is down",
        || {
            let h = health.clone();
            async move { h.ready().is_err() }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // ...and comes back on the same port with the same data.
    broker.restart().await;
    support::wait_until(Duration::from_secs(90), "every message finished", || {
        let t = tracker.clone();
        async move { t.finished() >= 60 }
    })
    .await;
    support::wait_until(Duration::from_secs(30), "ready again", || {
        let h = health.clone();
        async move { h.ready().is_ok() }
    })
    .await;
    svc.shutdown();
    svc.wait().await.unwrap();
    assert_complete(&c, &expected);
    assert_eq!(
        support::committed(&c, 2)
            .into_iter()
            .map(|o| o.unwrap_or(0))
            .sum::<i64>(),
        60
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_mid_stream_commits_what_was_done() {
    let mut broker = support::broker().await;
    let mut c = support::config(&broker.bootstrap_servers(), "stop");
    c.stream.max_in_flight_messages = 8;
    support::create_topics(&c, 2).await;
    let input = support::articles("stop", 100);
    let expected = support::expected_ids(&input);
    support::produce(&c, &input).await;

    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let tracker = svc.tracker().clone();
    support::wait_until(Duration::from_secs(60), "some messages finished", || {
        let t = tracker.clone();
        async move { t.finished() >= 15 }
    })
    .await;
    svc.shutdown();
    let first = svc.wait().await.unwrap();
    assert!(
        first.drained,
        "in-flight work finished within the grace period"
    );
    assert_eq!(first.finished, first.consumed);
    assert!(first.consumed < 100, "stopped mid-stream");
    // Everything it finished is committed, nothing more.
    let committed: i64 = support::committed(&c, 2)
        .into_iter()
        .map(|o| o.unwrap_or(0))
        .sum();
    assert_eq!(committed as u64, first.finished);

    // The next run starts exactly where the first stopped.
    let svc = Service::with_extractor(c.clone(), support::extractor())
        .unwrap()
        .start()
        .await
        .unwrap();
    let tracker = svc.tracker().clone();
    let rest = 100 - first.finished;
    support::wait_until(Duration::from_secs(90), "the rest finished", || {
        let t = tracker.clone();
        async move { t.finished() >= rest }
    })
    .await;
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
