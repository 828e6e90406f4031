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
    let broker = support::memory_broker().await;
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
    let dir = support::temp_dir();
    let db = dir.path().join("broker.db");
    let broker = support::sqlite_broker(&db, 0).await;
    let port = broker.addr().port();
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
    let broker = support::sqlite_broker(&db, port).await;
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
