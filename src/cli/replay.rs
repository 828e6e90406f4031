//! `timeline replay`: re-run the extractor over a window of a topic, or over a JSON-lines
//! export, without disturbing the live service. See `timeline::replay`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use timeline::article::ReferenceTime;
use timeline::config::Config;
use timeline::extract::Extractor;
use timeline::replay::window::parse_instant;
use timeline::replay::{
    self, Ending, FileOptions, OffsetSpec, ProgressMode, Replay, ReplayOptions, ReplaySummary,
    Selection, Start, TimeWindow,
};
use tokio::sync::watch;

use super::runtime::{self, signal};

/// Replay a window of a topic (or a JSON-lines file) through the extractor.
///
/// Partitions are assigned directly (the live consumer group is untouched) and read up to the
/// end seen at start. Progress is kept in a checkpoint file under --name: run the same command
/// again to resume an interrupted replay.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Name of this replay: its checkpoint file and the `replay.name` header.
    #[arg(long, default_value = "replay")]
    pub name: String,
    /// Start of the time window (RFC 3339 or YYYY-MM-DD, inclusive), by message timestamp.
    #[arg(long, value_parser = parse_instant)]
    pub from: Option<DateTime<Utc>>,
    /// End of the time window (exclusive).
    #[arg(long, value_parser = parse_instant)]
    pub to: Option<DateTime<Utc>>,
    /// Start offsets, partition:offset,... (or topic:partition:offset); other partitions start
    /// at their oldest message.
    #[arg(long, value_parser = parse_offsets, conflicts_with = "from_beginning")]
    pub from_offsets: Option<OffsetSpec>,
    /// End offsets (exclusive), partition:offset,...; other partitions end at their high
    /// watermark when the replay starts.
    #[arg(long, value_parser = parse_offsets)]
    pub to_offsets: Option<OffsetSpec>,
    /// Start every partition at its oldest message.
    #[arg(long)]
    pub from_beginning: bool,
    /// Topic to replay; repeat for several (default: `stream.input_topics`).
    #[arg(long = "topic", alias = "input-topic")]
    pub topics: Vec<String>,
    /// Topic the records go to (default: `stream.output_topic`, the live one).
    #[arg(long)]
    pub output_topic: Option<String>,
    /// Dead-letter topic (`dead_letter.topic`).
    #[arg(long)]
    pub dead_letter_topic: Option<String>,
    /// Kafka bootstrap servers, host:port,... (`kafka.bootstrap_servers`).
    #[arg(long)]
    pub brokers: Option<String>,
    /// Read at most this many messages per second.
    #[arg(long)]
    pub max_rate: Option<f64>,
    /// Stop after reading this many messages (the checkpoint resumes from there).
    #[arg(long)]
    pub max_messages: Option<u64>,
    /// Forget the checkpoint of this name and start over.
    #[arg(long)]
    pub restart: bool,
    /// Do not use the broker's offsets-for-times answer for --from: scan from the oldest message.
    #[arg(long)]
    pub scan: bool,
    /// Directory of the checkpoint files (`replay.checkpoint_dir`).
    #[arg(long)]
    pub checkpoint_dir: Option<PathBuf>,
    /// Extraction threads, 0 = one per core (`stream.workers`).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Replay this JSON-lines file (one article per line) instead of a topic.
    #[arg(long, conflicts_with_all = ["from", "to", "from_offsets", "to_offsets", "from_beginning", "topics", "restart", "max_messages", "scan"])]
    pub input: Option<PathBuf>,
    /// With --input: reference time of articles without `published_at`.
    #[arg(long, requires = "input", value_parser = parse_reference)]
    pub reference_time: Option<ReferenceTime>,
    /// No progress bars or progress logs.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_offsets(s: &str) -> Result<OffsetSpec, String> {
    OffsetSpec::parse(s).map_err(|e| e.to_string())
}

fn parse_reference(s: &str) -> Result<ReferenceTime, String> {
    ReferenceTime::parse(s)
        .ok_or_else(|| format!("{s:?} is neither RFC 3339 (2025-11-25T14:30:00Z) nor YYYY-MM-DD"))
}

/// Where the replay starts, from the flags.
fn selection(args: &Args) -> anyhow::Result<Selection> {
    let start = match (&args.from_offsets, args.from_beginning, args.from) {
        (Some(spec), _, _) => Start::Offsets(spec.clone()),
        (None, true, _) => Start::Beginning,
        (None, false, Some(_)) => Start::Time,
        (None, false, None) => anyhow::bail!(
            "say where the replay starts: --from <time>, --from-offsets <partition:offset,...> or --from-beginning"
        ),
    };
    let s = Selection {
        start,
        end: args.to_offsets.clone(),
        window: TimeWindow::new(args.from, args.to),
    };
    s.validate().map_err(anyhow::Error::msg)?;
    Ok(s)
}

pub fn main(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let mut config = config.clone();
    if let Some(b) = &args.brokers {
        config.kafka.bootstrap_servers = b.clone();
    }
    if let Some(t) = &args.dead_letter_topic {
        config.dead_letter.topic = t.clone();
    }
    if let Some(w) = args.workers {
        config.stream.workers = w;
    }
    if let Some(d) = &args.checkpoint_dir {
        config.replay.checkpoint_dir = d.clone();
    }
    let progress = if args.quiet {
        ProgressMode::Off
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bars
    } else {
        ProgressMode::Log(Duration::from_millis(
            config.replay.progress_log_interval_ms.max(100),
        ))
    };
    let runtime = runtime::build()?;
    let summary = runtime.block_on(async move {
        let extractor = runtime::extractor(&config)
            .await
            .context("could not build the extractor")?;
        match &args.input {
            Some(path) => replay_file(&args, path.clone(), &config, extractor, progress).await,
            None => replay_topic(&args, config, extractor, progress).await,
        }
    })?;
    println!("{summary}");
    Ok(match summary.ending {
        Ending::Stopped => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    })
}

async fn replay_topic(
    args: &Args,
    config: Config,
    extractor: Arc<Extractor>,
    progress: ProgressMode,
) -> anyhow::Result<ReplaySummary> {
    let mut options = ReplayOptions::new(&config, &args.name, selection(args)?);
    if !args.topics.is_empty() {
        options.input_topics = args.topics.clone();
    }
    if let Some(t) = &args.output_topic {
        options.output_topic = t.clone();
    }
    options.max_rate = args.max_rate;
    options.max_messages = args.max_messages;
    options.restart = args.restart;
    options.use_time_index = options.use_time_index && !args.scan;
    options.progress = progress;
    let handle = Replay::with_extractor(config, options, extractor)?
        .start()
        .await?;
    Ok(handle_wait(handle).await?)
}

/// Waits for the replay; on Ctrl-C or SIGTERM asks it to stop cleanly (checkpoint written).
async fn handle_wait(handle: replay::ReplayHandle) -> Result<ReplaySummary, replay::ReplayError> {
    if runtime::signal_or_finished(Duration::from_millis(100), || handle.is_finished()).await {
        eprintln!(
            "timeline: stopping; finishing the messages in flight (the checkpoint resumes the rest)"
        );
        handle.stop();
    }
    handle.wait().await
}

async fn replay_file(
    args: &Args,
    path: PathBuf,
    config: &Config,
    extractor: Arc<Extractor>,
    progress: ProgressMode,
) -> anyhow::Result<ReplaySummary> {
    let options = FileOptions {
        path,
        name: args.name.clone(),
        output_topic: args
            .output_topic
            .clone()
            .unwrap_or_else(|| config.stream.output_topic.clone()),
        reference_time: args.reference_time,
        max_rate: args.max_rate,
        progress,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let run = replay::replay_file(config, options, extractor, stop_rx);
    let mut run = std::pin::pin!(run);
    tokio::select! {
        r = run.as_mut() => return Ok(r?),
        () = signal() => {
            eprintln!("timeline: stopping; finishing the lines in flight");
            let _ = stop_tx.send(true);
        }
    }
    Ok(run.await?)
}
