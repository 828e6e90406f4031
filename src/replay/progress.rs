//! Progress of a replay: shared counters, and how they are shown.
//!
//! The replay loop only bumps atomics; a separate task renders them, so a slow terminal never
//! slows the replay. On a terminal every partition gets a progress bar (position in its offset
//! range, rate, ETA); otherwise (a pipe, a log collector) a `tracing` line is logged at an
//! interval, because bars would fill log files with control characters.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::stream::scaffold::{Metrics, Observer};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Progress bars on standard error (use only when it is a terminal).
    Bars,
    /// A `tracing` info line at this interval.
    Log(Duration),
    /// Nothing (tests, the bench, `--quiet`).
    Off,
}

/// Most bars drawn; with more partitions one bar shows the total.
const MAX_BARS: usize = 12;

/// One unit of work with a known range: a partition's offsets, or a file's bytes.
#[derive(Debug)]
pub struct Part {
    pub label: String,
    pub start: i64,
    pub end: i64,
    /// One past the last unit read.
    read: AtomicI64,
}

impl Part {
    pub fn new(label: String, start: i64, end: i64) -> Part {
        Part {
            label,
            start,
            end,
            read: AtomicI64::new(start),
        }
    }

    /// Marks everything before `next` read.
    pub fn set_read(&self, next: i64) {
        self.read.fetch_max(next.min(self.end), Ordering::Relaxed);
    }

    pub fn done_units(&self) -> u64 {
        (self.read.load(Ordering::Relaxed) - self.start).max(0) as u64
    }

    pub fn total_units(&self) -> u64 {
        (self.end - self.start).max(0) as u64
    }
}

/// Counters shared by the replay loop, its workers and the reporter.
#[derive(Debug)]
pub struct Progress {
    pub parts: Vec<Part>,
    /// Messages (or lines) read this run.
    pub messages: AtomicU64,
    /// Of those, in the window.
    pub in_window: AtomicU64,
    /// Messages finished: everything sent for them acknowledged (or nothing to send).
    pub finished: AtomicU64,
    /// Payload bytes read this run.
    pub bytes: AtomicU64,
    /// Records and dead letters acknowledged (the stream service's metrics, reused).
    pub metrics: Arc<Metrics>,
    pub started: Instant,
}

impl Progress {
    pub fn new(parts: Vec<Part>, metrics: Arc<Metrics>) -> Progress {
        Progress {
            parts,
            messages: AtomicU64::new(0),
            in_window: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            metrics,
            started: Instant::now(),
        }
    }

    /// A tracker observer counting finished messages into `progress.finished`.
    pub fn observer(progress: &Arc<Progress>) -> Observer {
        let p = Arc::clone(progress);
        Box::new(move |_| {
            p.finished.fetch_add(1, Ordering::Relaxed);
        })
    }

    /// (done, total) units over every part.
    pub fn overall(&self) -> (u64, u64) {
        self.parts.iter().fold((0, 0), |(d, t), p| {
            (d + p.done_units(), t + p.total_units())
        })
    }
}

/// Renders `progress` in `mode` until `stop` turns true; then draws a last time and clears.
pub fn spawn_reporter(
    progress: Arc<Progress>,
    mode: ProgressMode,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (interval, bars) = match mode {
            ProgressMode::Off => return,
            ProgressMode::Bars => (Duration::from_millis(200), Some(Bars::new(&progress))),
            ProgressMode::Log(every) => (every.max(Duration::from_millis(100)), None),
        };
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        loop {
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
                _ = tick.tick() => match &bars {
                    Some(b) => b.update(&progress),
                    None => log_line(&progress),
                },
            }
        }
        if let Some(b) = bars {
            b.update(&progress);
            b.finish();
        }
    })
}

struct Bars {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
    /// One bar for everything when there are too many partitions.
    total_only: bool,
}

impl Bars {
    fn new(progress: &Progress) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>18} [{bar:32.cyan/blue}] {pos:>9}/{len:9} {rate:>8} ETA {eta:>4} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
        let total_only = progress.parts.len() > MAX_BARS;
        let mut bars = Vec::new();
        let mut add = |label: &str, len: u64| {
            let b = multi.add(ProgressBar::new(len));
            b.set_style(style.clone());
            b.set_prefix(label.to_owned());
            bars.push(b);
        };
        if total_only {
            add("all partitions", progress.overall().1);
        } else {
            for p in &progress.parts {
                add(&p.label, p.total_units());
            }
        }
        Bars {
            multi,
            bars,
            total_only,
        }
    }

    fn update(&self, progress: &Progress) {
        if self.total_only {
            if let Some(b) = self.bars.first() {
                b.set_position(progress.overall().0);
            }
        } else {
            for (b, p) in self.bars.iter().zip(&progress.parts) {
                b.set_position(p.done_units());
            }
        }
        if let Some(b) = self.bars.last() {
            b.set_message(format!(
                "{} records, {} dead letters",
                progress.metrics.produced.get(),
                progress.metrics.dead_letters_total()
            ));
        }
    }

    fn finish(self) {
        for b in &self.bars {
            b.finish();
        }
        let _ = self.multi.clear();
    }
}

fn log_line(progress: &Progress) {
    let (done, total) = progress.overall();
    let secs = progress.started.elapsed().as_secs_f64().max(1e-3);
    let rate = done as f64 / secs;
    let eta_s = if rate > 0.0 {
        (total.saturating_sub(done) as f64 / rate).round() as u64
    } else {
        0
    };
    tracing::info!(
        done,
        total,
        percent = format!("{:.1}", 100.0 * done as f64 / total.max(1) as f64),
        messages = progress.messages.load(Ordering::Relaxed),
        in_window = progress.in_window.load(Ordering::Relaxed),
        records = progress.metrics.produced.get(),
        dead_letters = progress.metrics.dead_letters_total(),
        rate = format!("{rate:.0}/s"),
        eta_s,
        "replay progress"
    );
}
