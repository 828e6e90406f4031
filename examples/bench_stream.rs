//! Figures of the stream service, through a real (embedded) broker, on the newswire corpus.
//!
//! ```text
//! cargo run --release --example bench_stream -- [--corpus ../shared/corpus/newswire-2452.jsonl]
//!     [--loops 3] [--latency-seconds 60] [--latency-rate 0] [--workers 0]
//!     [--storage memory|sqlite|mock] [--view]
//! ```
//!
//! `--view` runs the service with the live event view on (both of its stages and the table
//! beside the extraction, on the same cores), and also reports how long after the last article
//! the view had folded every record. Target: throughput at least 80% of extraction only, as
//! without the view.
//!
//! 1. Extraction only: decode + extract + encode every article of the corpus on the worker pool,
//!    in batches as the service takes a backlog, no Kafka: the ceiling.
//! 2. Throughput: the corpus, looped `--loops` times with fresh ids, is loaded into the input
//!    topic; the service drains it; the rate between 10% and 90% done is the sustained rate
//!    (start-up and the tail are left out). Target: at least 80% of (1).
//! 3. Latency: a loader produces at half the sustained rate (or `--latency-rate` articles/s,
//!    to compare builds at one load) for `--latency-seconds`;
//!    end-to-end latency (message timestamp to last record acknowledged) p50/p99 over every
//!    message after the first 5 s. Target: p99 < 250 ms. RSS is sampled every second; the
//!    peak and the spread after warm-up show whether memory stays flat (use 600 for the
//!    10-minute run).
//!
//! The broker runs in a child process (this binary with `--broker-only`), so the RSS reported
//! is the service's own. Its storage is memory (the embedded default's; it grows with the
//! data) or, with `--storage sqlite`, a sqlite file under `target/bench-broker/`. tansu 0.6 on
//! sqlite falls behind a steady trickle of single-message produces (seen here: end-to-end
//! latency grew to seconds at 700 articles/s), so there the broker, not the service, sets the
//! latency. `--storage mock` runs librdkafka's mock cluster (a Kafka protocol implementation in
//! C, in memory) in the child instead: a lighter broker, for the service's own figures when
//! the broker must share the machine's cores with it. The mock keeps about 5 MB per partition
//! and deletes older messages, so keep `--loops` at 3 or less with it (a larger backlog loses
//! its oldest messages before the service reads them, and the run never finishes).

/// The allocator the `timeline` binary uses (see `src/main.rs`), so the figures are the
/// product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use timeline::config::Config;
use timeline::extract::Extractor;
use timeline::stream::embedded::EmbeddedBroker;
use timeline::stream::message::InputMessage;
use timeline::stream::process::{message_reference, process_batch};
use timeline::stream::tracker::Ticket;
use timeline::stream::{Service, kafka};

struct Opts {
    corpus: String,
    loops: usize,
    latency_seconds: u64,
    /// Articles/s of the latency phase; 0: half the sustained rate.
    latency_rate: f64,
    workers: usize,
    broker_only: bool,
    storage: String,
    view: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        corpus: "../shared/corpus/newswire-2452.jsonl".into(),
        loops: 3,
        latency_seconds: 60,
        latency_rate: 0.0,
        workers: 0,
        broker_only: false,
        storage: "memory".into(),
        view: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--corpus" => o.corpus = val(),
            "--loops" => o.loops = val().parse().expect("--loops N"),
            "--latency-seconds" => o.latency_seconds = val().parse().expect("--latency-seconds N"),
            "--latency-rate" => {
                o.latency_rate = val().parse().expect("--latency-rate ARTICLES_PER_S")
            }
            "--workers" => o.workers = val().parse().expect("--workers N"),
            "--broker-only" => o.broker_only = true,
            "--view" => o.view = true,
            "--storage" => {
                o.storage = val();
                assert!(
                    matches!(o.storage.as_str(), "memory" | "sqlite" | "mock"),
                    "--storage memory|sqlite|mock"
                );
            }
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

fn rss_kb(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".into(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) a process has used so far: `pid`, or this process.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".into(),
    };
    // Fields 14 and 15 (utime, stime), in clock ticks, after the `(comm)` field.
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The corpus with ids made unique per loop, so every loop gives new records.
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The broker's storage URL: `memory://`, or a fresh sqlite file under `target/` (tansu wants
/// it under the working directory).
fn storage_url(storage: &str) -> String {
    match storage {
        "memory" => "memory://".into(),
        _ => {
            let dir = std::path::Path::new("target/bench-broker");
            let _ = std::fs::create_dir_all(dir);
            let db = dir.join(format!("{}.db", std::process::id()));
            let _ = std::fs::remove_file(&db);
            format!("sqlite://{}", db.display())
        }
    }
}

/// The bench's topics, created up front in the mock cluster (4 partitions each, as `create`).
const MOCK_TOPICS: [&str; 8] = [
    "bench-events",
    "bench-events-repartition",
    "bench-in",
    "bench-out",
    "bench-dead",
    "lat-in",
    "lat-out",
    "lat-dead",
];

fn broker_only(storage: &str) {
    if storage == "mock" {
        let mock = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
        for t in MOCK_TOPICS {
            mock.create_topic(t, 4, 1).expect("mock topic");
        }
        println!("{}", mock.bootstrap_servers());
        std::io::stdout().flush().ok();
        let mut s = String::new();
        while std::io::stdin()
            .read_line(&mut s)
            .map(|n| n > 0)
            .unwrap_or(false)
        {}
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let url = storage_url(storage);
    rt.block_on(async {
        let b = EmbeddedBroker::start(&url, 0).await.expect("broker");
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
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}

fn main() {
    let o = opts();
    if o.broker_only {
        broker_only(&o.storage);
        return;
    }
    // tansu 0.6's memory storage serves a fetch from inside a batch from the next batch, and
    // the service resumes mid-batch after a pause (on a stall) or a restart: one record per
    // batch keeps every resume on a batch boundary.
    let single_record_batches = o.storage == "memory";
    let corpus: Vec<Vec<u8>> = std::fs::read_to_string(&o.corpus)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", o.corpus))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let corpus_bytes: usize = corpus.iter().map(Vec::len).sum();
    let workers = if o.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        o.workers
    };
    println!(
        "corpus: {} articles, {:.1} MB; workers: {workers}",
        corpus.len(),
        corpus_bytes as f64 / 1e6
    );

    // 1. Extraction only.
    let extractor = Arc::new(Extractor::builtin().expect("extractor"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("pool");
    let limits = timeline::article::DecodeLimits::default();
    let msgs: Vec<InputMessage> = corpus
        .iter()
        .enumerate()
        .map(|(i, v)| InputMessage {
            topic: "bench".into(),
            partition: 0,
            offset: i as i64,
            timestamp_ms: Some(now_ms()),
            key: None,
            payload: Some(v.clone()),
            headers: Vec::new(),
        })
        .collect();
    // Warm-up pass, then a timed pass; measured again after the broker run, and the better of
    // the two kept, so other load on the machine cannot flatter the ratio.
    // In batches of `batch_size`, as the service takes a backlog (see `stream::batch`).
    let chunk = timeline::extract::batch_size(msgs.len(), workers);
    let pass = || -> usize {
        pool.install(|| {
            msgs.par_chunks(chunk)
                .map(|c| {
                    let batch: Vec<_> = c.iter().map(|m| (m, message_reference(m))).collect();
                    process_batch(&extractor, &limits, &batch)
                        .into_iter()
                        .map(|p| match p.outcome {
                            timeline::stream::process::Outcome::Records { records, .. } => {
                                records.len()
                            }
                            _ => 0,
                        })
                        .sum::<usize>()
                })
                .sum()
        })
    };
    pass();
    let extraction_pass = || {
        let t = Instant::now();
        let records = pass();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "extraction only: {:.0} articles/s, {:.2} MB/s ({records} records per pass)",
            corpus.len() as f64 / secs,
            corpus_bytes as f64 / 1e6 / secs
        );
        corpus.len() as f64 / secs
    };
    let extract_before = extraction_pass();

    // The broker, in a child process.
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .args(["--broker-only", "--storage", &o.storage])
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
    let broker_pid = child.id();
    println!(
        "broker: {bootstrap} (pid {broker_pid}, {} storage)",
        o.storage
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let base = rt.block_on(async {
        let mut c = Config::load(None).expect("config");
        c.kafka.bootstrap_servers = bootstrap.clone();
        c.stream.workers = workers;
        c.http.enabled = false;
        c.stream.commit_interval_ms = 1000;
        c
    });

    // 2. Sustained throughput on a preloaded backlog.
    let (throughput, rss_after_throughput) = rt.block_on(async {
        let mut c = base.clone();
        c.stream.input_topics = vec!["bench-in".into()];
        c.stream.output_topic = "bench-out".into();
        c.dead_letter.topic = "bench-dead".into();
        c.stream.group_id = "bench".into();
        if o.view {
            c.view.enabled = true;
            c.view.topic = "bench-events".into();
            c.view.repartition_topic = "bench-events-repartition".into();
            c.view.group_id = "bench-view".into();
            if o.storage != "mock" {
                c.stream.create_topics_partitions = 4;
            }
        }
        create(&c, &o.storage).await;
        let total = corpus.len() * o.loops;
        let mut bytes = 0usize;
        let t = Instant::now();
        for round in 0..o.loops {
            let batch = looped(&corpus, round);
            bytes += batch.iter().map(Vec::len).sum::<usize>();
            produce_paced(&c, &batch, None, single_record_batches);
        }
        eprintln!(
            "loaded {total} articles in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        let svc = Service::with_extractor(c.clone(), Arc::clone(&extractor))
            .expect("service")
            .start()
            .await
            .expect("start");
        let tracker = Arc::clone(svc.tracker());
        let cpu_start = (cpu_seconds(None), cpu_seconds(Some(broker_pid)));
        let (lo, hi) = (total as u64 / 10, total as u64 * 9 / 10);
        let mut t_lo = None;
        let t_hi;
        let mut last_report = Instant::now();
        loop {
            let f = tracker.finished();
            if last_report.elapsed() > Duration::from_secs(5) {
                eprintln!("  {f}/{total} finished");
                last_report = Instant::now();
            }
            if t_lo.is_none() && f >= lo {
                t_lo = Some((Instant::now(), f));
            }
            if f >= hi {
                t_hi = (Instant::now(), f);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (t0, f0) = t_lo.expect("10% mark");
        let rate = (t_hi.1 - f0) as f64 / (t_hi.0 - t0).as_secs_f64();
        while tracker.finished() < total as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let all_finished = Instant::now();
        if o.view {
            // The view folds each record once: every later loop of the corpus repeats the
            // first loop's mentions under new article ids, so all records are new reports.
            let m = Arc::clone(svc.metrics());
            let produced = m.produced.get();
            while m.view_records_written.get() < produced {
                if all_finished.elapsed() > Duration::from_secs(600) {
                    eprintln!(
                        "  the view did not catch up: {} of {produced} records written",
                        m.view_records_written.get()
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            println!(
                "event view: {} records folded and written into {} events, {:.1}s after the last article finished",
                m.view_records_written.get(),
                m.view_events_owned.get(),
                all_finished.elapsed().as_secs_f64()
            );
        }
        let avg = bytes as f64 / total as f64;
        println!(
            "through the broker: {:.0} articles/s, {:.2} MB/s ({} articles)",
            rate,
            rate * avg / 1e6,
            total,
        );
        // The broker shares this machine's cores; per CPU-second of the service alone is
        // what the service would reach with its broker elsewhere, as deployed.
        let (service_cpu, broker_cpu) = (
            cpu_seconds(None) - cpu_start.0,
            cpu_seconds(Some(broker_pid)) - cpu_start.1,
        );
        println!(
            "CPU for the whole run: service {service_cpu:.1} s ({:.0} articles per CPU-second), broker {broker_cpu:.1} s",
            total as f64 / service_cpu
        );
        svc.shutdown();
        svc.wait().await.expect("clean stop");
        (rate, rss_kb(None, "VmHWM:"))
    });
    let extract_rate = extraction_pass().max(extract_before);
    drop(msgs);
    println!(
        "ratio: {:.0}% of extraction only ({:.0} articles/s, the better of two passes) (target >= 80%)",
        100.0 * throughput / extract_rate,
        extract_rate
    );

    // 3. Latency at half the sustained rate.
    rt.block_on(async {
        let mut c = base.clone();
        c.stream.input_topics = vec!["lat-in".into()];
        c.stream.output_topic = "lat-out".into();
        c.dead_letter.topic = "lat-dead".into();
        c.stream.group_id = "lat".into();
        create(&c, &o.storage).await;
        let latencies = Arc::new(Mutex::new(Vec::<(Instant, f64)>::new()));
        let lat = Arc::clone(&latencies);
        let svc = Service::with_extractor(c.clone(), Arc::clone(&extractor))
            .expect("service")
            .observe(Box::new(move |t: &Ticket| {
                let ms = timeline::stream::scaffold::end_to_end(t.timestamp_ms, t.received)
                    .as_secs_f64()
                    * 1000.0;
                if let Ok(mut v) = lat.lock() {
                    v.push((Instant::now(), ms));
                }
            }))
            .start()
            .await
            .expect("start");
        let health = Arc::clone(svc.health());
        while health.assigned() == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let rate = if o.latency_rate > 0.0 {
            o.latency_rate
        } else {
            throughput / 2.0
        };
        let start = Instant::now();
        let seconds = o.latency_seconds;
        let cc = c.clone();
        let corpus2 = corpus.clone();
        let loader = std::thread::spawn(move || {
            let mut round = 1000;
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < deadline {
                let batch = looped(&corpus2, round);
                round += 1;
                if !produce_paced(&cc, &batch, Some((rate, deadline)), single_record_batches) {
                    break;
                }
            }
        });
        let mut rss_samples = Vec::new();
        while !loader.is_finished() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            rss_samples.push((start.elapsed().as_secs(), rss_kb(None, "VmRSS:")));
        }
        let _ = loader.join();
        // Let the last messages finish.
        let tracker = Arc::clone(svc.tracker());
        let deadline = Instant::now() + Duration::from_secs(30);
        while tracker.in_flight().0 > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let Ok(l) = latencies.lock() {
            let mut by_window: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
            for (t, ms) in l.iter() {
                by_window
                    .entry(t.saturating_duration_since(start).as_secs() / 10 * 10)
                    .or_default()
                    .push(*ms);
            }
            for (w, mut v) in by_window {
                v.sort_by(|a, b| a.total_cmp(b));
                eprintln!(
                    "  {w:>4}s..: {} messages, p50 {:.1} ms, p99 {:.1} ms",
                    v.len(),
                    percentile(&v, 0.5),
                    percentile(&v, 0.99)
                );
            }
        }
        let warm = start + Duration::from_secs(5);
        let report = |label: &str, until: Instant| {
            let mut v: Vec<f64> = latencies
                .lock()
                .map(|l| {
                    l.iter()
                        .filter(|(t, _)| *t >= warm && *t < until)
                        .map(|(_, ms)| *ms)
                        .collect()
                })
                .unwrap_or_default();
            v.sort_by(|a, b| a.total_cmp(b));
            println!(
                "latency at {:.0} articles/s ({}), {label}, {} messages: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 250 ms)",
                rate,
                if o.latency_rate > 0.0 {
                    "--latency-rate"
                } else {
                    "half the sustained rate"
                },
                v.len(),
                percentile(&v, 0.5),
                percentile(&v, 0.99),
                v.last().copied().unwrap_or(f64::NAN)
            );
        };
        if seconds > 60 {
            report("first 60 s", start + Duration::from_secs(60));
        }
        report(
            &format!("whole {seconds} s run"),
            Instant::now() + Duration::from_secs(3600),
        );
        let after_warm: Vec<u64> = rss_samples
            .iter()
            .filter(|(s, _)| *s >= 10)
            .map(|(_, r)| *r)
            .collect();
        if let (Some(min), Some(max)) = (after_warm.iter().min(), after_warm.iter().max()) {
            println!(
                "service RSS after warm-up: {:.1}..{:.1} MB over {} samples",
                *min as f64 / 1024.0,
                *max as f64 / 1024.0,
                after_warm.len()
            );
            // The trend, and how much of it is this bench's own record of every latency.
            let minutes: Vec<String> = rss_samples
                .iter()
                .filter(|(s, _)| *s % 60 == 0)
                .map(|(s, r)| format!("{s}s {:.0}", *r as f64 / 1024.0))
                .collect();
            let samples_mb = latencies.lock().map_or(0.0, |l| {
                (l.len() * std::mem::size_of::<(Instant, f64)>()) as f64 / 1e6
            });
            println!(
                "service RSS by minute (MB): {}; of it, this bench's latency samples: {samples_mb:.0} MB",
                minutes.join(", ")
            );
        }
        svc.shutdown();
        svc.wait().await.expect("clean stop");
    });
    println!(
        "peak RSS: service process {:.1} MB (after the throughput phase {:.1} MB); broker process {:.1} MB",
        rss_kb(None, "VmHWM:") as f64 / 1024.0,
        rss_after_throughput as f64 / 1024.0,
        rss_kb(Some(broker_pid), "VmHWM:") as f64 / 1024.0
    );
    drop(child.stdin.take());
    let _ = child.wait();
}

/// Creates the bench's topics (4 partitions each); the mock cluster has them already.
async fn create(c: &Config, storage: &str) {
    if storage == "mock" {
        return;
    }
    let topics = [
        c.stream.input_topics[0].as_str(),
        c.stream.output_topic.as_str(),
        c.dead_letter.topic.as_str(),
    ];
    kafka::ensure_topics(&c.kafka, &topics, 4, Duration::from_secs(30))
        .await
        .expect("topics");
}

/// Produces `batch` to the input topic, at `rate` messages/s until `deadline` when given (as
/// fast as possible otherwise), and waits for every acknowledgement. Returns false when the
/// deadline passed.
fn produce_paced(
    c: &Config,
    batch: &[Vec<u8>],
    pace: Option<(f64, Instant)>,
    single_record_batches: bool,
) -> bool {
    let mut config = kafka::producer_config(&c.kafka, None);
    if single_record_batches {
        config.set("batch.num.messages", "1");
    }
    let producer: BaseProducer = config.create().expect("producer");
    let topic = &c.stream.input_topics[0];
    let start = Instant::now();
    let mut in_time = true;
    for (i, v) in batch.iter().enumerate() {
        if let Some((rate, deadline)) = pace {
            if Instant::now() >= deadline {
                in_time = false;
                break;
            }
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let key = timeline::stream::topic::article_key(v).unwrap_or_default();
        let mut rec = BaseRecord::to(topic).payload(v).key(&key);
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
    producer.flush(Duration::from_secs(60)).expect("flush");
    in_time
}
