//! Scores the time tagger on TimeML gold data and measures its throughput.
//!
//! ```text
//! cargo run --release --example eval_timeml -- ../shared/eval/timeml [--errors] [--bench FILE.jsonl]
//! ```
//!
//! `--errors` lists every mismatch (missed, spurious, wrong value, wrong type) after the table;
//! `--bench FILE.jsonl` tags the `text` of every article in FILE (with its `published_at`)
//! five times and prints MB/s on one thread, by wall clock and by CPU time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use timeline::article::{DecodeLimits, decode_str};
use timeline::eval::timeml::evaluate;
use timeline::extract::time::TimeTagger;

/// CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`), so that the
/// figure holds on a busy machine; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut errors = false;
    let mut bench: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--errors" => errors = true,
            "--bench" => bench = args.next().map(PathBuf::from),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let built = Instant::now();
    let tagger = match TimeTagger::builtin() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "tagger: {} rules, built in {:.0} ms",
        tagger.rule_count(),
        built.elapsed().as_secs_f64() * 1e3
    );
    if let Some(dir) = dir {
        match evaluate(&dir, &tagger) {
            Ok(report) => {
                if errors {
                    for m in &report.mismatches {
                        println!("{m}");
                    }
                }
                println!("{report}");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(path) = bench {
        let raw = match std::fs::read_to_string(&path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        let articles: Vec<_> = raw
            .lines()
            .filter_map(|l| decode_str(l, &DecodeLimits::default()).ok())
            .collect();
        let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
        let rounds = 5;
        let mut found = 0;
        let t0 = Instant::now();
        let cpu0 = thread_cpu_ns();
        for _ in 0..rounds {
            for a in &articles {
                found += tagger.tag(&a.text, a.published_at.as_ref()).len();
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        let mb = (bytes * rounds) as f64 / 1e6;
        println!(
            "throughput: {} articles, {:.2} MB x {rounds} in {secs:.2} s wall = {:.1} MB/s wall on one thread ({} timexes per pass)",
            articles.len(),
            bytes as f64 / 1e6,
            mb / secs,
            found / rounds
        );
        if let (Some(a), Some(b)) = (cpu0, thread_cpu_ns()) {
            let cpu = (b.saturating_sub(a)) as f64 / 1e9;
            println!(
                "throughput: {cpu:.2} s of CPU = {:.1} MB/s per core (CPU time: not slowed by other processes)",
                mb / cpu
            );
        }
    }
    ExitCode::SUCCESS
}
