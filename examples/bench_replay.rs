//! Replay throughput against the live service's, through the same (embedded) broker, in the
//! same run, on the newswire corpus.
//!
//! ```text
//! cargo run --release --example bench_replay -- [--corpus ../shared/corpus/newswire-2452.jsonl]
//!     [--loops 2] [--rounds 1] [--partitions 4] [--workers 0]
//! ```
//!
//! The corpus (looped `--loops` times with fresh ids) is loaded once into an input topic of the
//! embedded tansu broker, which runs in a child process (this binary with `--broker-only`).
//! Then, `--rounds` times, the live service (a fresh consumer group) and the replay
//! (`--from-beginning`, a fresh name) each process the whole topic into an output topic of
//! their own. Both are measured the same way: messages finished (every record acknowledged)
//! per second between 10% and 90% of the topic, so start-up (group join, planning) and the
//! tail are left out; the total wall time is printed too. Target: replay within 10% of live.
//!
//! Fetching is never paused here (the in-flight bounds are lifted for both): tansu 0.6 in
//! memory serves a fetch from the middle of a batch by skipping to the next batch, and the live
//! service's pause/resume re-fetches from the middle of a batch, so with the bounds on it can
//! miss messages and never reach 100%. librdkafka's prefetch limit still bounds memory.

/// The allocator the `timeline` binary uses (see `src/main.rs`), so the figures are the
/// product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use timeline::config::Config;
use timeline::extract::Extractor;
use timeline::replay::{self, Replay, ReplayOptions, Selection, Start, TimeWindow};
use timeline::stream::embedded::EmbeddedBroker;
use timeline::stream::{Service, kafka};

struct Opts {
    corpus: String,
    loops: usize,
    rounds: usize,
    partitions: i32,
    workers: usize,
    broker_only: bool,
    no_pause: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        corpus: "../shared/corpus/newswire-2452.jsonl".into(),
        loops: 2,
        rounds: 1,
        partitions: 4,
        workers: 0,
        broker_only: false,
        no_pause: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--corpus" => o.corpus = val(),
            "--loops" => o.loops = val().parse().expect("--loops N"),
            "--rounds" => o.rounds = val().parse().expect("--rounds N"),
            "--partitions" => o.partitions = val().parse().expect("--partitions N"),
            "--workers" => o.workers = val().parse().expect("--workers N"),
            "--broker-only" => o.broker_only = true,
            "--pause" => o.no_pause = false,
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

fn broker_only() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let b = EmbeddedBroker::start("memory://", 0).await.expect("broker");
        println!("{}", b.bootstrap_servers());
        std::io::stdout().flush().ok();
        // Run until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin()
                .read_line(&mut s)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .ok();
        b.stop().await;
    });
}

/// The corpus with ids made unique per loop.
fn looped(corpus: &[Vec<u8>], round: usize) -> Vec<Vec<u8>> {
    corpus
        .iter()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_slice(line).expect("corpus json");
            let id = v["id"].as_str().unwrap_or("a").to_owned();
            v["id"] = serde_json::Value::String(format!("{id}#{round}"));
            serde_json::to_vec(&v).expect("json")
        })
        .collect()
}

/// Loads `values` round-robin over the partitions, batched as any producer would.
fn load(c: &Config, topic: &str, values: &[Vec<u8>], partitions: i32) {
    let producer: BaseProducer = kafka::producer_config(&c.kafka, None)
        .create()
        .expect("producer");
    for (i, v) in values.iter().enumerate() {
        let partition = (i % partitions as usize) as i32;
        let key = timeline::stream::topic::article_key(v).unwrap_or_default();
        let mut rec = BaseRecord::to(topic)
            .payload(v)
            .key(&key)
            .partition(partition);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, r)) => {
                    rec = r;
                    producer.poll(Duration::from_millis(5));
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
}

/// Messages in `topic`, read until nothing more comes for a second.
fn count(c: &Config, topic: &str) -> usize {
    let reader = timeline::stream::topic::TopicReader::new(&c.kafka, topic, false).expect("reader");
    let mut n = 0;
    let mut idle = Instant::now();
    while idle.elapsed() < Duration::from_secs(1) {
        if let Some(Ok(_)) = reader.poll(Duration::from_millis(50)) {
            n += 1;
            idle = Instant::now();
        }
    }
    n
}

/// Sustained rate between 10% and 90% of `total` finished, and the wall time to 100%.
async fn measure(
    total: u64,
    finished: impl Fn() -> u64,
    done: impl Fn() -> bool,
) -> (f64, Duration) {
    let start = Instant::now();
    let (lo, hi) = (total / 10, total * 9 / 10);
    let mut t_lo = None;
    let mut t_hi = None;
    let mut last_report = Instant::now();
    loop {
        let f = finished();
        let now = Instant::now();
        if t_lo.is_none() && f >= lo {
            t_lo = Some((now, f));
        }
        if t_hi.is_none() && f >= hi {
            t_hi = Some((now, f));
        }
        if f >= total || done() {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "  ... {f}/{total} finished after {:.0} s",
                start.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let wall = start.elapsed();
    match (t_lo, t_hi) {
        (Some((t0, f0)), Some((t1, f1))) if t1 > t0 => {
            ((f1 - f0) as f64 / (t1 - t0).as_secs_f64(), wall)
        }
        _ => (total as f64 / wall.as_secs_f64(), wall),
    }
}

fn main() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let o = opts();
    if o.broker_only {
        broker_only();
        return;
    }
    let corpus: Vec<Vec<u8>> = std::fs::read_to_string(&o.corpus)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", o.corpus))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let values: Vec<Vec<u8>> = (0..o.loops).flat_map(|r| looped(&corpus, r)).collect();
    let total = values.len() as u64;
    let bytes: usize = values.iter().map(Vec::len).sum();
    let avg = bytes as f64 / total as f64;
    let workers = if o.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        o.workers
    };

    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .arg("--broker-only")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("broker child");
    let bootstrap = {
        let out = child.stdout.as_mut().expect("child stdout");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("broker address");
        line.trim().to_owned()
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut c = Config::load(None).expect("config");
    c.kafka.bootstrap_servers = bootstrap.clone();
    c.stream.workers = workers;
    c.http.enabled = false;
    c.stream.input_topics = vec!["bench-in".into()];
    c.dead_letter.topic = "bench-dead".into();
    if o.no_pause {
        // Never pause fetching (see the module docs): librdkafka's own prefetch bound
        // (`queued.max.messages.kbytes`) still keeps memory in check.
        c.stream.max_in_flight_messages = 1 << 30;
        c.stream.max_in_flight_bytes = 1 << 40;
    }
    let extractor = Arc::new(Extractor::builtin().expect("extractor"));
    let checkpoints = tempfile::tempdir().expect("temp dir");

    println!(
        "corpus: {} articles x {} loops = {total} messages, {:.1} MB; {} partitions; {workers} workers; broker {bootstrap} (child process)",
        corpus.len(),
        o.loops,
        bytes as f64 / 1e6,
        o.partitions
    );
    rt.block_on(async {
        let mut topics = vec!["bench-in".to_owned(), "bench-dead".to_owned()];
        for r in 0..o.rounds {
            topics.push(format!("bench-live-out-{r}"));
            topics.push(format!("bench-replay-out-{r}"));
        }
        let t: Vec<&str> = topics.iter().map(String::as_str).collect();
        kafka::ensure_topics(&c.kafka, &t, o.partitions, Duration::from_secs(30))
            .await
            .expect("topics");
    });
    let t = Instant::now();
    load(&c, "bench-in", &values, o.partitions);
    println!("loaded in {:.1} s", t.elapsed().as_secs_f64());
    let in_topic = count(&c, "bench-in");
    println!("read back: {in_topic} messages");

    let mut live_rates = Vec::new();
    let mut replay_rates = Vec::new();
    for round in 0..o.rounds {
        // The live service, a fresh group from the oldest message.
        let (rate, wall) = rt.block_on(async {
            let mut lc = c.clone();
            lc.stream.group_id = format!("bench-live-{round}");
            lc.stream.output_topic = format!("bench-live-out-{round}");
            let svc = Service::with_extractor(lc, Arc::clone(&extractor))
                .expect("service")
                .start()
                .await
                .expect("start");
            let tracker = Arc::clone(svc.tracker());
            let r = measure(total, || tracker.finished(), || svc.is_finished()).await;
            svc.shutdown();
            svc.wait().await.expect("clean stop");
            r
        });
        println!(
            "round {round} live:   {rate:7.1} messages/s, {:.2} MB/s sustained; all {total} in {:.1} s",
            rate * avg / 1e6,
            wall.as_secs_f64()
        );
        live_rates.push(rate);

        // The replay of the whole topic.
        let (rate, wall, summary) = rt.block_on(async {
            let selection = Selection {
                start: Start::Beginning,
                end: None,
                window: TimeWindow::default(),
            };
            let mut ro = ReplayOptions::new(&c, &format!("bench-{round}"), selection);
            ro.output_topic = format!("bench-replay-out-{round}");
            ro.checkpoint_dir = checkpoints.path().to_path_buf();
            let h = Replay::with_extractor(c.clone(), ro, Arc::clone(&extractor))
                .expect("replay")
                .start()
                .await
                .expect("start");
            let progress = Arc::clone(h.progress().expect("progress"));
            let (rate, wall) = measure(
                total,
                || progress.finished.load(Ordering::Relaxed),
                || h.is_finished(),
            )
            .await;
            let s = h.wait().await.expect("replay");
            (rate, wall, s)
        });
        assert_eq!(summary.messages, total, "the replay read the whole topic");
        assert_eq!(summary.ending, replay::Ending::Complete);
        println!(
            "round {round} replay: {rate:7.1} messages/s, {:.2} MB/s sustained; all {total} in {:.1} s ({} records, {} dead letters; summary: {:.1} messages/s, {:.2} MB/s)",
            rate * avg / 1e6,
            wall.as_secs_f64(),
            summary.records,
            summary.dead_letters,
            summary.messages_per_s(),
            summary.mb_per_s()
        );
        replay_rates.push(rate);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (l, r) = (mean(&live_rates), mean(&replay_rates));
    println!(
        "replay / live = {:.2} ({r:.1} vs {l:.1} messages/s; target >= 0.90)",
        r / l
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
