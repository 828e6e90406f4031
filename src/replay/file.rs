//! `timeline replay --input FILE.jsonl --output-topic T`: publish the records of an export, for
//! users whose history lives outside Kafka.
//!
//! Each line is one article, processed exactly like a Kafka message (same decoder, extractor,
//! headers, dead letters), except that an article without `published_at` takes
//! `--reference-time` (a file has no message timestamp). A bad line goes to the dead-letter
//! topic unchanged with `source.topic = file:<path>`, `source.partition = 0` and
//! `source.offset = <line number>` (from 1), so it can be found in the file.
//!
//! The file is read as it is processed, bounded by the in-flight limits of `[stream]`, so a
//! large export does not fill memory. The run ends when every record is acknowledged.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use tokio::io::AsyncBufReadExt;
use tokio::sync::watch;
use tracing::info;

use crate::article::ReferenceTime;
use crate::config::Config;
use crate::extract::Extractor;
use crate::stream::scaffold::{
    InputMessage, Metrics, Reference, RunError, Scaffold, Tp, Worker, kafka,
};

use super::progress::{Part, Progress, ProgressMode, spawn_reporter};
use super::throttle::Throttle;
use super::{Ending, ReplayError, ReplaySummary, checkpoint, consumer_config, plan, publisher};

/// Options of a file replay.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOptions {
    /// The JSON-lines file (one article per line).
    pub path: PathBuf,
    /// The `replay.name` header.
    pub name: String,
    pub output_topic: String,
    /// Reference time of articles without `published_at`.
    pub reference_time: Option<ReferenceTime>,
    /// Lines per second at most.
    pub max_rate: Option<f64>,
    pub progress: ProgressMode,
}

/// Publishes the records of every line of `options.path`; returns when all are acknowledged.
/// `stop` turning true stops reading (what is in flight is still finished).
pub async fn replay_file(
    config: &Config,
    options: FileOptions,
    extractor: Arc<Extractor>,
    stop: watch::Receiver<bool>,
) -> Result<ReplaySummary, ReplayError> {
    check_options(config, &options)?;
    output_topics_ready(config, &options).await?;
    let input_error = |source| ReplayError::Input {
        path: options.path.clone(),
        source,
    };
    let f = tokio::fs::File::open(&options.path)
        .await
        .map_err(input_error)?;
    let size = f.metadata().await.map_err(input_error)?.len();
    let reader = tokio::io::BufReader::with_capacity(1 << 20, f);

    let metrics = Arc::new(Metrics::new());
    let progress = Arc::new(Progress::new(
        vec![Part::new(
            options.path.display().to_string(),
            0,
            size as i64,
        )],
        Arc::clone(&metrics),
    ));
    let scaffold = Scaffold::new(
        config,
        extractor,
        "timeline-replay",
        metrics,
        Some(Progress::observer(&progress)),
    )?;
    let publisher = publisher(config, &scaffold, &options.output_topic, &options.name)?;
    let worker = scaffold.worker(
        Arc::new(publisher),
        Reference::Fixed(options.reference_time),
    );
    let (reporter_stop, reporter_rx) = watch::channel(false);
    let reporter = spawn_reporter(Arc::clone(&progress), options.progress, reporter_rx);
    info!(file = %options.path.display(), output = %options.output_topic, "file replay started");

    let started = Instant::now();
    let ending = read_lines(reader, &options, &scaffold, &worker, &progress, stop)
        .await
        .map_err(input_error)?;
    // Everything read is finished before returning: the records are the point of the command.
    let tracker = &scaffold.tracker;
    while tracker.in_flight().0 > 0 {
        tokio::select! {
            () = tracker.progressed() => {}
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    let publisher = Arc::clone(worker.publisher());
    let _ = tokio::task::spawn_blocking(move || publisher.flush(Duration::from_secs(10))).await;
    let elapsed = started.elapsed();
    let _ = reporter_stop.send(true);
    let _ = reporter.await;
    let metrics = &scaffold.metrics;
    let summary = ReplaySummary {
        name: options.name.clone(),
        messages: progress.messages.load(Ordering::Relaxed),
        in_window: progress.in_window.load(Ordering::Relaxed),
        records: metrics.produced.get(),
        dead_letters: metrics.dead_letters_total(),
        skipped_articles: metrics.skipped.get(),
        bytes: progress.bytes.load(Ordering::Relaxed),
        elapsed,
        ending,
        totals: None,
        checkpoint: None,
        abandoned: 0,
    };
    // Closing the producer can block briefly; not on the runtime.
    let _ = tokio::task::spawn_blocking(move || drop(worker)).await;
    Ok(summary)
}

/// Refuses options that cannot work, before anything is read or sent.
fn check_options(config: &Config, options: &FileOptions) -> Result<(), ReplayError> {
    if !checkpoint::valid_name(&options.name) {
        return Err(ReplayError::Invalid(format!(
            "--name {:?}: use letters, digits, `.`, `_` and `-`",
            options.name
        )));
    }
    if options.output_topic.trim().is_empty() {
        return Err(ReplayError::Invalid("--output-topic is empty".into()));
    }
    if options.output_topic == config.dead_letter.topic {
        return Err(ReplayError::Invalid(format!(
            "--output-topic `{}` is the dead-letter topic; give the records a topic of their own",
            options.output_topic
        )));
    }
    Ok(())
}

/// Creates the output and dead-letter topics when configured to, then checks they exist: a
/// missing topic is an error up front, not a stream of failed deliveries.
async fn output_topics_ready(config: &Config, options: &FileOptions) -> Result<(), ReplayError> {
    let timeout = Duration::from_millis(config.replay.plan_timeout_ms.max(1));
    if config.stream.create_topics_partitions > 0 {
        kafka::ensure_topics(
            &config.kafka,
            &[&options.output_topic, &config.dead_letter.topic],
            config.stream.create_topics_partitions,
            timeout,
        )
        .await
        .map_err(ReplayError::kafka("cannot create the output topics"))?;
    }
    let kafka_config = config.kafka.clone();
    let output = options.output_topic.clone();
    let dead = config.dead_letter.topic.clone();
    let name = options.name.clone();
    tokio::task::spawn_blocking(move || -> Result<(), ReplayError> {
        let consumer: BaseConsumer = consumer_config(&kafka_config, &name)
            .create()
            .map_err(ReplayError::kafka("cannot create the consumer"))?;
        plan::require_topics(
            &consumer,
            &[
                (&output, "the output topic"),
                (&dead, "the dead-letter topic"),
            ],
            timeout,
        )
    })
    .await
    .map_err(RunError::task)?
}

/// Reads the file line by line into the pool, within the in-flight bounds and `--max-rate`,
/// until its end or a stop. Each line is a message of partition 0 of `file:<path>` whose
/// offset is its line number.
async fn read_lines(
    mut reader: tokio::io::BufReader<tokio::fs::File>,
    options: &FileOptions,
    scaffold: &Scaffold,
    worker: &Worker,
    progress: &Progress,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<Ending> {
    let source = format!("file:{}", options.path.display());
    let tp = Tp::new(&source, 0);
    let tracker = &scaffold.tracker;
    let mut throttle = options
        .max_rate
        .and_then(|r| Throttle::new(r, Instant::now()));
    let mut line_no: i64 = 0;
    let mut read_bytes: u64 = 0;
    let mut buf = Vec::new();
    let mut stop_open = true;
    loop {
        if *stop.borrow() {
            return Ok(Ending::Stopped);
        }
        while tracker.is_full() || scaffold.health.retrying() {
            tokio::select! {
                () = tracker.progressed() => {}
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
        // `buf` keeps a line read only in part when the select below is interrupted.
        let n = tokio::select! {
            r = reader.read_until(b'\n', &mut buf) => r?,
            // A stop is seen at the top of the loop; a dropped sender only closes this branch.
            changed = stop.changed(), if stop_open => {
                stop_open = changed.is_ok();
                continue;
            }
        };
        if n == 0 {
            return Ok(Ending::Complete);
        }
        line_no += 1;
        read_bytes += n as u64;
        if let Some(part) = progress.parts.first() {
            part.set_read(read_bytes as i64);
        }
        let line = trim_line_end(&buf).to_vec();
        buf.clear();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        progress.messages.fetch_add(1, Ordering::Relaxed);
        progress.in_window.fetch_add(1, Ordering::Relaxed);
        progress
            .bytes
            .fetch_add(line.len() as u64, Ordering::Relaxed);
        scaffold.metrics.consumed.inc();
        let input = InputMessage {
            topic: source.clone(),
            partition: 0,
            offset: line_no,
            timestamp_ms: None,
            key: None,
            payload: Some(line),
            headers: Vec::new(),
        };
        let ticket = tracker.begin(tp.clone(), line_no, input.size(), None);
        worker.spawn(&scaffold.pool, input, ticket);
        if let Some(due) = throttle.as_mut().and_then(|t| t.after_one(Instant::now())) {
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        }
    }
}

/// The line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_ends_are_trimmed() {
        assert_eq!(super::trim_line_end(b"{}\r\n"), b"{}");
        assert_eq!(super::trim_line_end(b"{}\n"), b"{}");
        assert_eq!(super::trim_line_end(b"{}"), b"{}");
    }
}
