//! The live event view on a real broker: every event's state in the compacted events topic
//! matches the records folded directly, across a restart (state rebuilt from the topic), a
//! replay of the same articles (nothing counted twice) and a rebalance between two instances
//! (state handed over through the topic).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use timeline::config::Config;
use timeline::view::EventState;

/// What the tests compare per event: reports (mentions) and the record ids folded in.
type Summary = BTreeMap<String, (usize, Vec<String>)>;

/// `c` with the view on, its topics named after the test (created by the service).
fn with_view(mut c: Config, name: &str, partitions: i32) -> Config {
    c.view.enabled = true;
    c.view.topic = format!("{name}-events");
    c.view.repartition_topic = format!("{name}-events-repartition");
    c.view.group_id = format!("{name}-view");
    c.stream.create_topics_partitions = partitions;
    c
}

/// The states the records of `values` fold into, extracted directly.
fn expected(values: &[Vec<u8>]) -> Summary {
    let x = support::extractor();
    let limits = timeline::article::DecodeLimits::default();
    let mut states: BTreeMap<String, EventState> = BTreeMap::new();
    for v in values {
        let Ok(a) = timeline::article::decode(v, &limits) else {
            continue;
        };
        for r in x.extract(&a, None).records {
            let seen = "2026-01-01T00:00:00Z";
            match states.get_mut(&r.event_key) {
                Some(s) => {
                    s.apply(r, seen);
                }
                None => {
                    states.insert(r.event_key.clone(), EventState::new(r, seen));
                }
            }
        }
    }
    summarize(states.into_values())
}

fn summarize(states: impl IntoIterator<Item = EventState>) -> Summary {
    states
        .into_iter()
        .map(|s| (s.event_key.clone(), (s.reports, s.record_ids.clone())))
        .collect()
}

/// The latest state of every key in the events topic.
fn published(c: &Config) -> Summary {
    let mut latest: BTreeMap<String, EventState> = BTreeMap::new();
    for m in support::read(c, &c.view.topic) {
        let key = String::from_utf8(m.key.expect("state key")).expect("utf-8 key");
        let state: EventState =
            serde_json::from_slice(&m.value.expect("state value")).expect("event state");
        assert_eq!(state.event_key, key, "a state is keyed by its event key");
        latest.insert(key, state);
    }
    summarize(latest.into_values())
}

/// Waits until the events topic holds exactly `want`; fails with the difference.
async fn wait_published(c: &Config, want: &Summary, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c2 = c.clone();
        let got = tokio::task::spawn_blocking(move || published(&c2))
            .await
            .expect("reader");
        if &got == want {
            return;
        }
        if Instant::now() >= deadline {
            let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
            let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
            let differ: Vec<_> = want
                .iter()
                .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
                .map(|(k, v)| (k, v.0, got[k].0))
                .collect();
            panic!(
                "{what}: the events topic does not match the records: {} missing, {} extra, differing (key, want reports, got reports): {differ:?}; missing {missing:?}, extra {extra:?}",
                missing.len(),
                extra.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Sum of reports over events.
fn reports(s: &Summary) -> usize {
    s.values().map(|v| v.0).sum()
}

/// True when `group` has committed every message of `topic` (committed offset = high
/// watermark on each partition).
fn caught_up(c: &Config, group: &str, topic: &str) -> bool {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let mut cfg = timeline::stream::kafka::base_config(&c.kafka);
    cfg.set("group.id", group);
    let consumer: BaseConsumer = cfg.create().expect("consumer");
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut tpl = rdkafka::TopicPartitionList::new();
    let partitions: Vec<i32> = md.topics()[0].partitions().iter().map(|p| p.id()).collect();
    for p in &partitions {
        tpl.add_partition(topic, *p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    partitions.iter().all(|p| {
        let (_, high) = consumer
            .fetch_watermarks(topic, *p, Duration::from_secs(10))
            .expect("watermarks");
        let done = match committed.find_partition(topic, *p).map(|e| e.offset()) {
            Some(rdkafka::Offset::Offset(o)) => o,
            _ => 0,
        };
        done >= high
    })
}

/// Waits until both stages of the view have committed everything there is to read.
async fn wait_view_caught_up(c: &Config, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let rekey = format!("{}-rekey", c.view.group_id);
    loop {
        let c2 = c.clone();
        let rekey = rekey.clone();
        let done = tokio::task::spawn_blocking(move || {
            caught_up(&c2, &rekey, &c2.stream.output_topic)
                && caught_up(&c2, &c2.view.group_id, &c2.view.repartition_topic)
        })
        .await
        .expect("lookup");
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the view did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_rebuilds_the_state_and_a_replay_counts_nothing_twice() {
    let (mut broker, c, _) = support::loaded("view-restart", 3, 0).await;
    let c = with_view(c, "view-restart", 3);
    let first = support::articles("view-restart", 24);
    support::produce(&c, &first).await;
    let want_first = expected(&first);
    assert!(want_first.len() > 20, "the articles give events");
    assert!(
        want_first.values().any(|v| v.0 > 1),
        "some event has more than one report"
    );

    let svc = support::start_service(&c).await;
    wait_published(&c, &want_first, "after the first articles").await;
    let table = std::sync::Arc::clone(svc.view_table().expect("the view is on"));
    support::wait_for(Duration::from_secs(30), "the table has every event", || {
        table.len() == want_first.len()
    })
    .await;
    svc.shutdown();
    svc.wait().await.expect("clean stop");

    // A new process: its state comes back from the events topic, not from memory. New
    // articles telling the same events (same text, other ids) add reports to what the first
    // process counted.
    let svc = support::start_service(&c).await;
    let more = support::articles("view-restart-more", 12);
    support::produce(&c, &more).await;
    let all: Vec<Vec<u8>> = first.iter().chain(&more).cloned().collect();
    let want_all = expected(&all);
    assert!(reports(&want_all) > reports(&want_first));
    wait_published(&c, &want_all, "after the restart and more articles").await;

    // A replay of the first articles: the same records again change nothing.
    let metrics = std::sync::Arc::clone(svc.metrics());
    let folded = metrics.view_records.get();
    let again = support::articles("view-restart", 24);
    support::produce(&c, &again).await;
    support::wait_finished(&svc, 36, Duration::from_secs(60), "the replay extracted").await;
    wait_view_caught_up(&c, "after the replay").await;
    assert_eq!(
        metrics.view_records.get(),
        folded,
        "replayed records fold into nothing"
    );
    wait_published(&c, &want_all, "after the replay").await;
    let table = std::sync::Arc::clone(svc.view_table().expect("the view is on"));
    support::wait_for(
        Duration::from_secs(30),
        "the new table has every event",
        || table.len() == want_all.len(),
    )
    .await;
    svc.shutdown();
    svc.wait().await.expect("clean stop");
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_split_the_events_and_hand_them_over() {
    let (mut broker, c, _) = support::loaded("view-group", 4, 0).await;
    let c = with_view(c, "view-group", 4);
    let first = support::articles("view-group-a", 18);
    support::produce(&c, &first).await;

    let a = support::start_service(&c).await;
    wait_published(&c, &expected(&first), "instance A alone").await;

    // B joins: the view's partitions are split between the two.
    let b = support::start_service(&c).await;
    let (ma, mb) = (a.metrics().clone(), b.metrics().clone());
    support::wait_for(
        Duration::from_secs(60),
        "the view's partitions split between A and B",
        || {
            let (pa, pb) = (ma.view_partitions.get(), mb.view_partitions.get());
            pa > 0 && pb > 0 && pa + pb == 4
        },
    )
    .await;
    let second = support::articles("view-group-b", 18);
    support::produce(&c, &second).await;
    let both: Vec<Vec<u8>> = first.iter().chain(&second).cloned().collect();
    wait_published(&c, &expected(&both), "instances A and B").await;
    support::wait_for(
        Duration::from_secs(60),
        "both instances keep events",
        || ma.view_events_owned.get() > 0 && mb.view_events_owned.get() > 0,
    )
    .await;

    // A leaves: B takes its partitions and rebuilds their states from the events topic.
    // Reports of the same events told again must add to what A had counted.
    a.shutdown();
    a.wait().await.expect("A stops cleanly");
    let third = support::articles("view-group-c", 18);
    support::produce(&c, &third).await;
    let all: Vec<Vec<u8>> = both.iter().chain(&third).cloned().collect();
    let want = expected(&all);
    wait_published(&c, &want, "B alone after A left").await;
    let table = std::sync::Arc::clone(b.view_table().expect("the view is on"));
    support::wait_for(Duration::from_secs(30), "B's table has every event", || {
        table.len() == want.len()
    })
    .await;
    b.shutdown();
    b.wait().await.expect("B stops cleanly");
    broker.stop().await;
}
