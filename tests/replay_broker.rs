//! `timeline replay` against a real broker (tansu, in-process): exact windows with unordered
//! timestamps, the same records as the live service, resume after interruption, the live group
//! untouched, and file replay.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::producer::{FutureProducer, FutureRecord};
use timeline::config::Config;
use timeline::replay::{
    self, Checkpoint, CheckpointFile, Ending, FileOptions, How, OffsetSpec, Replay, ReplayError,
    ReplayHandle, ReplayOptions, Selection, Start, TimeWindow,
};
use timeline::stream::embedded::EmbeddedBroker;
use timeline::stream::kafka;
use timeline::stream::topic::ReadMessage;

const DAY_MS: i64 = 86_400_000;

/// tansu with in-memory storage, for the tests about its quirks (the shared harness uses
/// sqlite storage).
async fn memory_broker() -> EmbeddedBroker {
    support::init_logging();
    EmbeddedBroker::start("memory://", 0)
        .await
        .expect("embedded broker starts")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The clock's first millisecond after `t`, once it has come.
async fn first_ms_after(t: i64) -> i64 {
    loop {
        let now = now_ms();
        if now > t {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Produces `(partition, timestamp, value)` one at a time, each acknowledged before the next,
/// so every message is a batch of its own (tansu's in-memory storage fetches whole batches from
/// their base offset only, so a resume in the middle of a batch would skip its rest).
async fn produce_timed(c: &Config, topic: &str, messages: &[(i32, i64, Vec<u8>)]) {
    let producer: FutureProducer = kafka::producer_config(&c.kafka, None).create().unwrap();
    for (partition, ts, value) in messages {
        let key = timeline::stream::topic::article_key(value).unwrap_or_default();
        let rec = FutureRecord::to(topic)
            .partition(*partition)
            .timestamp(*ts)
            .key(&key)
            .payload(value);
        producer
            .send(rec, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)
            .expect("produced");
    }
}

fn options(c: &Config, dir: &Path, name: &str, selection: Selection) -> ReplayOptions {
    let mut o = ReplayOptions::new(c, name, selection);
    o.checkpoint_dir = dir.to_path_buf();
    o.checkpoint_interval = Duration::from_millis(100);
    o
}

/// [`options`] with records going to `output_topic` rather than the live output topic.
fn options_to(
    c: &Config,
    dir: &Path,
    name: &str,
    selection: Selection,
    output_topic: &str,
) -> ReplayOptions {
    let mut o = options(c, dir, name, selection);
    o.output_topic = output_topic.to_owned();
    o
}

fn from_beginning() -> Selection {
    Selection {
        start: Start::Beginning,
        end: None,
        window: TimeWindow::default(),
    }
}

fn window(from_ms: i64, to_ms: i64) -> Selection {
    Selection {
        start: Start::Time,
        end: None,
        window: TimeWindow {
            from_ms: Some(from_ms),
            to_ms: Some(to_ms),
        },
    }
}

/// Starts a replay with the shared test extractor (the options must be valid; starting may
/// fail).
async fn start(c: &Config, o: ReplayOptions) -> Result<ReplayHandle, ReplayError> {
    Replay::with_extractor(c.clone(), o, support::extractor())
        .unwrap()
        .start()
        .await
}

/// Runs a replay to its end.
async fn replay(c: &Config, o: ReplayOptions) -> replay::ReplaySummary {
    start(c, o).await.unwrap().wait().await.unwrap()
}

/// The checkpoint of the replay `name`, which must exist.
fn checkpoint(dir: &Path, name: &str) -> Checkpoint {
    CheckpointFile::new(dir, name).load().unwrap().unwrap()
}

/// Everything in `topic`, read until `expected` messages arrived and then nothing more for
/// half a second. (Not up to the high watermarks: tansu's in-memory storage reports the base
/// offset of the last batch plus one, short of the end when that batch holds several records.)
fn read(c: &Config, topic: &str, expected: usize) -> Vec<ReadMessage> {
    let reader = timeline::stream::topic::TopicReader::new(&c.kafka, topic, false).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut idle_since = std::time::Instant::now();
    loop {
        match reader.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                out.push(m);
                idle_since = std::time::Instant::now();
            }
            _ => {
                let idle = idle_since.elapsed() > Duration::from_millis(500);
                if (out.len() >= expected && idle) || std::time::Instant::now() > deadline {
                    return out;
                }
            }
        }
    }
}

/// `article_id` headers of a topic, with duplicates.
fn article_ids(msgs: &[ReadMessage]) -> Vec<String> {
    let mut v: Vec<String> = msgs
        .iter()
        .map(|m| m.header("article_id").unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// (key, value) of every record, sorted: what downstream sees.
fn records(msgs: &[ReadMessage]) -> Vec<(String, String)> {
    let text = |b: &Option<Vec<u8>>| String::from_utf8(b.clone().unwrap()).unwrap();
    let mut v: Vec<_> = msgs
        .iter()
        .map(|m| (text(&m.key), text(&m.value)))
        .collect();
    v.sort();
    v
}

/// The id of each article in `values` by position.
fn ids_of(values: &[Vec<u8>]) -> Vec<String> {
    values
        .iter()
        .map(|v| timeline::stream::topic::article_key(v).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_window_is_exact_with_unordered_timestamps_and_a_wrong_time_index() {
    let broker = memory_broker().await;
    let c = support::config(&broker.bootstrap_servers(), "rwin");
    support::create_topics(&c, 2).await;
    let input = &c.stream.input_topics[0];
    let arts = support::articles("rwin", 16);
    let ids = ids_of(&arts);
    let t = now_ms();
    // Window [from, to) is chosen after phase A is written; phase A's timestamps are a day off
    // either way so they fall in or out of it whatever `from` turns out to be.
    let in_a = t + DAY_MS;
    let out_a = t - DAY_MS;
    let phase_a: Vec<(i32, i64, Vec<u8>)> = vec![
        (0, in_a, arts[0].clone()),      // in (and before tansu's answer)
        (0, out_a, arts[1].clone()),     // out
        (1, out_a + 5, arts[2].clone()), // out
        (1, in_a + 7, arts[3].clone()),  // in
        (1, out_a - 9, arts[4].clone()), // out
    ];
    produce_timed(&c, input, &phase_a).await;
    // tansu times writes by its clock, in milliseconds: phase A was written at or before now,
    // `from` is the next millisecond, and phase B is written after it.
    let from = first_ms_after(now_ms()).await;
    first_ms_after(from).await;
    let to = from + 2 * DAY_MS;
    let phase_b: Vec<(i32, i64, Vec<u8>)> = vec![
        (0, in_a + 1, arts[5].clone()),           // in
        (0, from - 1, arts[6].clone()),           // out (just before)
        (0, from, arts[7].clone()),               // in (the first instant)
        (0, to, arts[8].clone()),                 // out (the end is exclusive)
        (1, to - 1, arts[9].clone()),             // in (the last instant)
        (1, in_a + 3 * DAY_MS, arts[10].clone()), // out (after)
        (1, from + 10, arts[11].clone()),         // in
        (0, out_a, arts[12].clone()),             // out
    ];
    produce_timed(&c, input, &phase_b).await;
    let expected: BTreeSet<String> = [0, 3, 5, 7, 9, 11]
        .iter()
        .map(|i| ids[*i].clone())
        .collect();

    let dir = support::temp_dir();
    let handle = start(&c, options(&c, dir.path(), "win", window(from, to)))
        .await
        .unwrap();
    // tansu's in-memory storage answers offsets-for-times by write time: partition 0's answer
    // (offset 2, the first batch written after `from`) would skip offset 0, which is in the
    // window. The check must catch it and scan.
    let p0 = handle
        .plan()
        .iter()
        .find(|p| p.partition == 0)
        .unwrap()
        .clone();
    assert!(matches!(p0.how, How::Scan(_)), "{p0:?}");
    assert_eq!(p0.start, 0);
    let summary = handle.wait().await.unwrap();
    assert_eq!(summary.ending, Ending::Complete);
    assert_eq!(summary.messages, 13, "every message up to the end is read");
    assert_eq!(summary.in_window, expected.len() as u64);
    assert_eq!(summary.dead_letters, 0);

    let out = read(&c, &c.stream.output_topic, summary.records as usize);
    let got: BTreeSet<String> = article_ids(&out).into_iter().collect();
    assert_eq!(got, expected);
    for m in &out {
        assert_eq!(m.header("replay"), Some("true"));
        assert_eq!(m.header("replay.name"), Some("win"));
        assert_eq!(
            m.header("extractor_version"),
            Some(timeline::EXTRACTOR_VERSION)
        );
        assert_eq!(m.header("schema"), Some(timeline::RECORD_SCHEMA));
    }
    let cp = checkpoint(dir.path(), "win");
    assert!(cp.complete);
    assert_eq!(cp.totals.messages, 13);
    assert_eq!(cp.totals.in_window, expected.len() as u64);

    // The same window by offsets: partition 0 from offset 2 up to (not including) 4,
    // partition 1 from 3: the time filter still applies to what is read.
    let sel = Selection {
        start: Start::Offsets(OffsetSpec::parse("0:2,1:3").unwrap()),
        end: Some(OffsetSpec::parse("0:4").unwrap()),
        window: TimeWindow {
            from_ms: Some(from),
            to_ms: Some(to),
        },
    };
    let out2 = format!("{}-offsets", c.stream.output_topic);
    support::create(&c, &[&out2], 1).await;
    let s = replay(&c, options_to(&c, dir.path(), "win-offsets", sel, &out2)).await;
    // p0 offsets 2,3 = arts 5 (in), 6 (out); p1 offsets 3.. = arts 9 (in), 10 (out), 11 (in).
    assert_eq!(s.messages, 5);
    let got: BTreeSet<String> = article_ids(&read(&c, &out2, s.records as usize))
        .into_iter()
        .collect();
    let want: BTreeSet<String> = [5, 9, 11].iter().map(|i| ids[*i].clone()).collect();
    assert_eq!(got, want);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_of_multi_record_batches_is_read_to_its_real_end() {
    // tansu in memory reports the high watermark as the last batch's base offset plus one;
    // the replay reads the tail to find the real end.
    let broker = memory_broker().await;
    let c = support::config(&broker.bootstrap_servers(), "rtail");
    support::create_topics(&c, 2).await;
    let input = support::articles("rtail", 24);
    support::produce(&c, &input).await; // batched
    let dir = support::temp_dir();
    let s = replay(&c, options(&c, dir.path(), "tail", from_beginning())).await;
    assert_eq!((s.messages, s.ending), (24, Ending::Complete));
    let got: BTreeSet<String> = article_ids(&read(&c, &c.stream.output_topic, s.records as usize))
        .into_iter()
        .collect();
    assert_eq!(got, ids_of(&input).into_iter().collect());
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_with_a_correct_time_index_is_used_and_the_window_stays_exact() {
    // tansu on sqlite (the harness's broker) answers offsets-for-times from the message
    // timestamps, as Kafka does.
    let (mut broker, c) = support::broker_with_topics("ridx", 1).await;
    let dir = support::temp_dir();
    let arts = support::articles("ridx", 8);
    let ids = ids_of(&arts);
    let base = 1_762_000_000_000; // 2025-11-01
    let ts = [
        base + 10,
        base + 30,
        base + 20,
        base + 60,
        base + 40,
        base + 50,
        base + 80,
        base + 70,
    ];
    let msgs: Vec<(i32, i64, Vec<u8>)> = ts
        .iter()
        .zip(&arts)
        .map(|(t, a)| (0, *t, a.clone()))
        .collect();
    produce_timed(&c, &c.stream.input_topics[0], &msgs).await;
    // Window [base+35, base+75): offsets 3 (60), 4 (40), 5 (50), 7 (70). The broker's answer is
    // offset 3, the first message at or after base+35; offset 2 (20) is before the window.
    let summary_handle = start(
        &c,
        options(&c, dir.path(), "idx", window(base + 35, base + 75)),
    )
    .await
    .unwrap();
    let p = summary_handle.plan()[0].clone();
    assert_eq!((p.start, p.how.clone()), (3, How::TimeIndex), "{p:?}");
    let summary = summary_handle.wait().await.unwrap();
    assert_eq!(summary.messages, 5, "offsets 3..8 are read");
    let got: BTreeSet<String> =
        article_ids(&read(&c, &c.stream.output_topic, summary.records as usize))
            .into_iter()
            .collect();
    let want: BTreeSet<String> = [3, 4, 5, 7].iter().map(|i| ids[*i].clone()).collect();
    assert_eq!(got, want);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_give_the_live_records_every_time_and_leave_the_live_group_alone() {
    let (mut broker, c) = support::broker_with_topics("rlive", 3).await;
    let mut input = support::articles("rlive", 18);
    // Some articles without published_at: both take the message timestamp as reference.
    for v in input.iter_mut().step_by(3) {
        let mut a: serde_json::Value = serde_json::from_slice(v).unwrap();
        a.as_object_mut().unwrap().remove("published_at");
        *v = serde_json::to_vec(&a).unwrap();
    }
    input.push(b"{not json".to_vec());
    let base = 1_763_000_000_000;
    let msgs: Vec<(i32, i64, Vec<u8>)> = input
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                (i % 3) as i32,
                base + (i as i64 * 7919) % 1000 * 60_000,
                v.clone(),
            )
        })
        .collect();
    produce_timed(&c, &c.stream.input_topics[0], &msgs).await;

    // The live service processes everything and commits.
    let svc = support::start_service(&c).await;
    let n = msgs.len() as u64;
    support::wait_finished(&svc, n, Duration::from_secs(60), "live finished").await;
    let live_records = svc.metrics().produced.get() as usize;
    svc.shutdown();
    svc.wait().await.unwrap();
    let live = read(&c, &c.stream.output_topic, live_records);
    assert_eq!(live.len(), live_records);
    let committed = support::committed(&c, 3);
    assert_eq!(
        committed.iter().map(|o| o.unwrap_or(0)).sum::<i64>(),
        msgs.len() as i64
    );
    let dead_before = read(&c, &c.dead_letter.topic, 1).len();
    assert_eq!(dead_before, 1);

    // Two replays of everything, to topics of their own.
    let dir = support::temp_dir();
    let mut outs = Vec::new();
    for name in ["first", "second"] {
        let out = format!("rlive-{name}");
        support::create(&c, &[&out], 2).await;
        let s = replay(&c, options_to(&c, dir.path(), name, from_beginning(), &out)).await;
        assert_eq!(
            (s.messages, s.dead_letters, s.ending),
            (msgs.len() as u64, 1, Ending::Complete)
        );
        let read = read(&c, &out, s.records as usize);
        assert_eq!(
            read.len() as u64,
            s.records,
            "every acknowledged record is in the topic"
        );
        outs.push(read);
    }
    assert!(!outs[0].is_empty());
    assert_eq!(
        records(&outs[0]),
        records(&outs[1]),
        "two replays give identical records"
    );
    assert_eq!(
        records(&outs[0]),
        records(&live),
        "a replay gives the live records"
    );
    // The bad message went to the dead-letter topic again, as in the live service.
    let dead = read(&c, &c.dead_letter.topic, 3);
    assert_eq!(dead.len(), 3);
    assert!(
        dead.iter()
            .all(|m| m.header("error.kind") == Some("not_json"))
    );

    // The live group's committed offsets did not move, and its member could resume as before.
    assert_eq!(support::committed(&c, 3), committed);
    broker.stop().await;
}

/// A broker holding 30 articles named after `name` in three partitions, each a batch of its
/// own with timestamps `base + i`, and the records of one uninterrupted replay of them: what
/// every interrupted replay of the same messages must end up giving.
struct Resumable {
    broker: support::TestBroker,
    c: Config,
    base: i64,
    dir: tempfile::TempDir,
    reference: Vec<(String, String)>,
}

async fn resumable(name: &str) -> Resumable {
    let (broker, c) = support::broker_with_topics(name, 3).await;
    let input = support::articles(name, 30);
    let base = 1_763_500_000_000;
    let msgs: Vec<(i32, i64, Vec<u8>)> = input
        .iter()
        .enumerate()
        .map(|(i, v)| ((i % 3) as i32, base + i as i64, v.clone()))
        .collect();
    produce_timed(&c, &c.stream.input_topics[0], &msgs).await;
    let dir = support::temp_dir();
    let out_ref = format!("{name}-reference");
    support::create(&c, &[&out_ref], 2).await;
    let o = options_to(&c, dir.path(), "reference", from_beginning(), &out_ref);
    let s_ref = replay(&c, o).await;
    assert_eq!(s_ref.messages, 30);
    let reference = records(&read(&c, &out_ref, s_ref.records as usize));
    assert!(!reference.is_empty(), "the articles give records");
    Resumable {
        broker,
        c,
        base,
        dir,
        reference,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_replay_resumes_and_covers_every_message_exactly_once() {
    let Resumable {
        mut broker,
        c,
        dir,
        reference,
        ..
    } = resumable("rres").await;
    let out = "rres-resumed";
    support::create(&c, &[out], 2).await;

    // Interrupted twice by --max-messages, then finished.
    let mut endings = Vec::new();
    let mut read_total = 0;
    loop {
        let mut o = options_to(&c, dir.path(), "resumed", from_beginning(), out);
        o.max_messages = Some(11);
        let s = replay(&c, o).await;
        read_total += s.messages;
        endings.push(s.ending.clone());
        if s.ending != Ending::MaxMessages {
            break;
        }
        // The checkpoint stops exactly where this run stopped.
        let cp = checkpoint(dir.path(), "resumed");
        assert!(!cp.complete);
        assert_eq!(cp.totals.messages, read_total);
    }
    assert_eq!(
        endings,
        [Ending::MaxMessages, Ending::MaxMessages, Ending::Complete]
    );
    assert_eq!(read_total, 30);
    let cp = checkpoint(dir.path(), "resumed");
    assert!(cp.complete);
    assert_eq!(cp.totals.messages, 30);
    assert!(cp.partitions.iter().all(|p| p.next == p.end));
    assert_eq!(
        records(&read(&c, out, reference.len())),
        reference,
        "no record missing, none twice"
    );
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_replay_is_not_redone_and_its_name_keeps_its_window() {
    let Resumable {
        mut broker,
        c,
        base,
        dir,
        ..
    } = resumable("rdone").await;
    // The reference replay is complete: running it again does nothing.
    let out_ref = "rdone-reference";
    let o = options_to(&c, dir.path(), "reference", from_beginning(), out_ref);
    assert_eq!(replay(&c, o).await.ending, Ending::AlreadyComplete);
    // Another window under the same name is refused, not mixed in.
    let o = options_to(&c, dir.path(), "reference", window(base, base + 5), out_ref);
    let e = start(&c, o).await.unwrap_err();
    assert!(e.to_string().contains("--restart"), "{e}");
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_output_topic_is_refused_up_front() {
    // Records would be re-sent forever to a topic that does not exist.
    let (mut broker, c) = support::broker_with_topics("rnowhere", 1).await;
    let dir = support::temp_dir();
    let o = options_to(
        &c,
        dir.path(),
        "nowhere",
        from_beginning(),
        "rnowhere-no-such-topic",
    );
    let e = start(&c, o).await.unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replay_resumes_counting_every_message_once() {
    let Resumable {
        mut broker,
        c,
        dir,
        reference,
        ..
    } = resumable("rkill").await;
    let out_kill = "rkill-killed";
    support::create(&c, &[out_kill], 2).await;
    // Killed like a crashed process (slowed down so it is mid-way) once its checkpoint counts
    // some messages, then resumed: the checkpoint still counts every message exactly once;
    // records may repeat (same ids).
    let mut o = options_to(&c, dir.path(), "killed", from_beginning(), out_kill);
    o.max_rate = Some(40.0);
    let h = start(&c, o).await.unwrap();
    let file = CheckpointFile::new(dir.path(), "killed");
    support::wait_for(
        Duration::from_secs(30),
        "a checkpoint counting messages",
        || {
            file.load()
                .ok()
                .flatten()
                .is_some_and(|cp| cp.totals.messages > 0)
        },
    )
    .await;
    h.kill().await;
    let cp = checkpoint(dir.path(), "killed");
    assert!(
        !cp.complete && cp.totals.messages > 0 && cp.totals.messages < 30,
        "{:?}",
        cp.totals
    );
    let o = options_to(&c, dir.path(), "killed", from_beginning(), out_kill);
    assert_eq!(replay(&c, o).await.ending, Ending::Complete);
    let cp = checkpoint(dir.path(), "killed");
    assert_eq!(cp.totals.messages, 30);
    let got: BTreeSet<_> = records(&read(&c, out_kill, reference.len()))
        .into_iter()
        .collect();
    let want: BTreeSet<_> = reference.iter().cloned().collect();
    assert_eq!(got, want);
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_of_a_live_topic_ends_where_it_was_when_it_started() {
    let Resumable {
        mut broker,
        c,
        base,
        dir,
        ..
    } = resumable("rlive-end").await;
    let out = "rlive-end-out";
    support::create(&c, &[out], 2).await;
    // What arrives after the start is not part of the replay.
    let mut o = options_to(&c, dir.path(), "live-end", from_beginning(), out);
    o.max_rate = Some(200.0);
    let h = start(&c, o).await.unwrap();
    let more = support::articles("rlive-end-more", 3);
    let extra: Vec<(i32, i64, Vec<u8>)> = more.iter().map(|v| (0, base, v.clone())).collect();
    produce_timed(&c, &c.stream.input_topics[0], &extra).await;
    let s = h.wait().await.unwrap();
    assert_eq!((s.messages, s.ending), (30, Ending::Complete));
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replay_publishes_the_records_of_every_line() {
    let (mut broker, c) = support::broker_with_topics("rfile", 1).await;
    let out = "rfile-out";
    support::create(&c, &[out], 1).await;
    let mut arts = support::articles("rfile", 6);
    let mut undated: serde_json::Value = serde_json::from_slice(&arts[2]).unwrap();
    undated.as_object_mut().unwrap().remove("published_at");
    arts[2] = serde_json::to_vec(&undated).unwrap();
    let dir = support::temp_dir();
    let path = dir.path().join("export.jsonl");
    let mut text = Vec::new();
    for (i, a) in arts.iter().enumerate() {
        text.extend_from_slice(a);
        text.extend_from_slice(if i == 1 { b"\r\n" } else { b"\n" });
        if i == 3 {
            text.extend_from_slice(b"\n{\"id\": 1\n"); // a blank line, then a bad one (line 6)
        }
    }
    std::fs::write(&path, &text).unwrap();
    let reference = timeline::article::ReferenceTime::parse("2025-11-25").unwrap();

    // The expected records: the extractor with the same reference-time rule.
    let x = support::extractor();
    let limits = timeline::article::DecodeLimits::default();
    let mut expected = BTreeMap::new();
    for a in &arts {
        let article = timeline::article::decode(a, &limits).unwrap();
        for r in x.extract(&article, Some(reference)).records {
            expected.insert(r.id.clone(), serde_json::to_string(&r).unwrap());
        }
    }
    assert!(!expected.is_empty());

    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let s = replay::replay_file(
        &c,
        FileOptions {
            path: path.clone(),
            name: "export".into(),
            output_topic: out.into(),
            reference_time: Some(reference),
            max_rate: None,
            progress: replay::ProgressMode::Off,
        },
        support::extractor(),
        stop_rx,
    )
    .await
    .unwrap();
    assert_eq!(
        (s.messages, s.dead_letters, s.ending),
        (7, 1, Ending::Complete)
    );
    let got: BTreeMap<String, String> = records(&read(&c, out, s.records as usize))
        .into_iter()
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, expected);
    let dead = read(&c, &c.dead_letter.topic, 1);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].value.as_deref(), Some(&b"{\"id\": 1"[..]));
    assert_eq!(dead[0].header("source.offset"), Some("6"));
    assert_eq!(
        dead[0].header("source.topic"),
        Some(format!("file:{}", path.display()).as_str())
    );
    broker.stop().await;
}
