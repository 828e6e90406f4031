//! The backfill (`timeline replay`): re-run the extractor over a window of history, from a
//! topic or from a JSON-lines export, without disturbing the live service.
//!
//! Users replay whenever the extractor improves, or when they point timeline at an old topic.
//! What makes that safe:
//!
//! * **Same ids as the live service**: every message goes through the stream service's own
//!   [`process`](crate::stream::process::process) (same extractor, same reference-time rule), so
//!   downstream upserts replace records instead of duplicating them. Records carry the live
//!   headers plus `replay=true`, `replay.name` (and the extractor version, as always).
//! * **An exact window on any broker**: the time window is checked on every message's own
//!   timestamp; the broker's offsets-for-times answer is only a starting hint, used when it
//!   survives the checks of [`time_index`] and replaced by a scan otherwise. The end is fixed
//!   when the replay starts (high watermarks), so a live topic still finishes.
//! * **The live group is untouched**: partitions are assigned, never subscribed, and nothing is
//!   committed to Kafka; progress lives in a [`checkpoint`] file of the replay's own name,
//!   advanced only past messages whose records the broker acknowledged. An interrupted replay
//!   resumes where it stopped.
//!
//! Modules, one job each: [`window`] (what is selected), [`time_index`] (trusting the broker's
//! time answer), [`plan`] (start and end of each partition), [`checkpoint`] (the file and its
//! exact totals), [`throttle`] (`--max-rate`),
//! [`progress`] (bars or logs), [`run`] (the Kafka replay), [`file`](mod@file) (the JSON-lines replay).
//! Both replays are built on the stream service's [`Scaffold`] (extractor, pool, tracker,
//! publisher, pool-side worker, run handle).

pub mod checkpoint;
pub mod file;
pub mod plan;
pub mod progress;
pub mod run;
pub mod throttle;
pub mod time_index;
pub mod window;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;

use crate::config::{Config, ConfigError, KafkaConfig};
use crate::extract::ExtractError;
use crate::stream::scaffold::{Publisher, RunError, Scaffold, Topics, kafka, topics_of};

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointFile, Totals};
pub use file::{FileOptions, replay_file};
pub use plan::{How, PartitionPlan};
pub use progress::ProgressMode;
pub use run::{Replay, ReplayHandle};
pub use window::{OffsetSpec, Selection, Start, TimeWindow};

pub use crate::stream::scaffold::{HEADER_REPLAY, HEADER_REPLAY_NAME, replay_headers};

/// The replay's consumer: pass-through properties as the live service's, but outside any group
/// protocol. Partitions are assigned, offsets are never committed (the checkpoint file is the
/// progress), and the `group.id` librdkafka wants is the replay's own, never the live one.
pub fn consumer_config(kafka_config: &KafkaConfig, name: &str) -> ClientConfig {
    let mut c = kafka::base_config(kafka_config);
    for (k, v) in &kafka_config.consumer {
        c.set(k, v);
    }
    c.set("group.id", format!("timeline-replay-{name}"));
    c.set("enable.auto.commit", "false");
    c.set("enable.auto.offset.store", "false");
    // An assigned offset deleted by retention meanwhile: continue from the oldest message.
    c.set("auto.offset.reset", "earliest");
    c.set("enable.partition.eof", "false");
    // No statistics handler here; librdkafka would log them at info level.
    c.set("statistics.interval.ms", "0");
    c
}

/// The replay's producer: the live service's settings.
pub fn producer_config(kafka_config: &KafkaConfig) -> ClientConfig {
    let mut c = kafka::producer_config(kafka_config, None);
    c.set("statistics.interval.ms", "0");
    c
}

/// The replay's publisher: records to `output_topic` with the replay headers, dead letters as
/// configured, failed deliveries re-sent with the live service's backoff (never dropped).
pub fn publisher(
    config: &Config,
    scaffold: &Scaffold,
    output_topic: &str,
    name: &str,
) -> Result<Publisher, ReplayError> {
    let topics = Topics {
        output: output_topic.to_owned(),
        ..topics_of(config)
    };
    Ok(scaffold
        .publisher(&producer_config(&config.kafka), topics, true)?
        .for_replay(name))
}

/// Options of a Kafka replay. [`ReplayOptions::new`] fills them from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// The replay's name: its checkpoint file and the `replay.name` header.
    pub name: String,
    /// Topics to replay (default: the live input topics).
    pub input_topics: Vec<String>,
    /// Where records go (default: the live output topic).
    pub output_topic: String,
    pub selection: Selection,
    /// Messages read per second at most.
    pub max_rate: Option<f64>,
    /// Stop (cleanly, with a checkpoint) after reading this many messages in this run.
    pub max_messages: Option<u64>,
    /// Forget the checkpoint of this name and start over.
    pub restart: bool,
    /// Use the broker's offsets-for-times answer (checked) for `--from`.
    pub use_time_index: bool,
    pub checkpoint_dir: PathBuf,
    pub checkpoint_interval: Duration,
    pub plan_timeout: Duration,
    pub progress: ProgressMode,
}

impl ReplayOptions {
    /// Defaults from `config`: the live topics, `[replay]` settings, no progress display.
    pub fn new(config: &Config, name: &str, selection: Selection) -> ReplayOptions {
        ReplayOptions {
            name: name.to_owned(),
            input_topics: config.stream.input_topics.clone(),
            output_topic: config.stream.output_topic.clone(),
            selection,
            max_rate: None,
            max_messages: None,
            restart: false,
            use_time_index: config.replay.use_time_index,
            checkpoint_dir: config.replay.checkpoint_dir.clone(),
            checkpoint_interval: Duration::from_millis(config.replay.checkpoint_interval_ms.max(1)),
            plan_timeout: Duration::from_millis(config.replay.plan_timeout_ms.max(1)),
            progress: ProgressMode::Off,
        }
    }
}

/// Why a replay could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "topic `{topic}` does not exist on the brokers; check --topic (or `stream.input_topics`) and `kafka.bootstrap_servers`"
    )]
    NoTopic { topic: String },
    #[error(
        "topic `{topic}` ({role}) does not exist on the brokers; create it, or set `stream.create_topics_partitions` to have missing topics created"
    )]
    NoOutputTopic { topic: String, role: &'static str },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(
        "the checkpoint {path} of replay `{name}` does not fit this run: {why}; run with --restart to start over, or use another --name"
    )]
    Mismatch {
        path: PathBuf,
        name: String,
        why: String,
    },
    #[error("cannot read {path}: {source}")]
    Input {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReplayError {
    pub(crate) fn kafka(what: &'static str) -> impl FnOnce(KafkaError) -> ReplayError {
        move |source| ReplayError::Run(RunError::Kafka { what, source })
    }
}

impl From<ConfigError> for ReplayError {
    fn from(e: ConfigError) -> Self {
        ReplayError::Run(e.into())
    }
}

impl From<ExtractError> for ReplayError {
    fn from(e: ExtractError) -> Self {
        ReplayError::Run(e.into())
    }
}

/// Why a replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every partition reached its end (or the file its last line).
    Complete,
    /// A complete checkpoint of this name already existed; nothing was done.
    AlreadyComplete,
    /// `--max-messages` reached; the checkpoint resumes it.
    MaxMessages,
    /// Stopped on request (Ctrl-C, [`ReplayHandle::stop`]); the checkpoint resumes it.
    Stopped,
}

/// What a replay did, printed at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySummary {
    pub name: String,
    /// Messages (or lines) read in this run.
    pub messages: u64,
    /// Of those, in the time window.
    pub in_window: u64,
    /// Records acknowledged in this run.
    pub records: u64,
    /// Dead letters acknowledged in this run.
    pub dead_letters: u64,
    /// Articles skipped as a whole (e.g. not English).
    pub skipped_articles: u64,
    /// Payload bytes read in this run.
    pub bytes: u64,
    /// From the start of reading to the last acknowledgement (planning excluded).
    pub elapsed: Duration,
    pub ending: Ending,
    /// Totals over every run of this name (Kafka replays; from the checkpoint).
    pub totals: Option<Totals>,
    /// Where the checkpoint is (Kafka replays).
    pub checkpoint: Option<PathBuf>,
    /// Messages still in flight when a stop's grace period ran out (redone on resume).
    pub abandoned: usize,
}

impl ReplaySummary {
    /// Megabytes (10^6) of payload per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Messages read per second.
    pub fn messages_per_s(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for ReplaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ending == Ending::AlreadyComplete {
            return write!(
                f,
                "replay `{}` is already complete (checkpoint {}); run with --restart to replay again",
                self.name,
                self.checkpoint
                    .as_ref()
                    .map_or("-".into(), |p| p.display().to_string())
            );
        }
        writeln!(
            f,
            "replay `{}`: {} messages read, {} in window, {} records, {} dead letters, {} skipped articles",
            self.name,
            self.messages,
            self.in_window,
            self.records,
            self.dead_letters,
            self.skipped_articles
        )?;
        write!(
            f,
            "  {:.1} s, {:.0} messages/s, {:.2} MB/s",
            self.elapsed.as_secs_f64(),
            self.messages_per_s(),
            self.mb_per_s()
        )?;
        match self.ending {
            Ending::Complete => write!(f, ", complete")?,
            Ending::MaxMessages => write!(
                f,
                ", stopped at --max-messages; run the same command again to resume"
            )?,
            Ending::Stopped => write!(f, ", stopped; run the same command again to resume")?,
            Ending::AlreadyComplete => {}
        }
        if self.abandoned > 0 {
            write!(
                f,
                " ({} messages in flight are redone on resume)",
                self.abandoned
            )?;
        }
        if let Some(t) = &self.totals {
            write!(
                f,
                "\n  all runs: {} messages, {} in window, {} records, {} dead letters",
                t.messages, t.in_window, t.records, t.dead_letters
            )?;
        }
        if let Some(p) = &self.checkpoint {
            write!(f, "\n  checkpoint: {}", p.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;

    use super::*;

    #[test]
    fn replay_headers_extend_the_live_ones() {
        let h = replay_headers("a-1", "nightly");
        let got: Vec<(&str, &[u8])> = h
            .iter()
            .map(|h| (h.key, h.value.unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("article_id", &b"a-1"[..]),
                ("extractor_version", crate::EXTRACTOR_VERSION.as_bytes()),
                ("schema", crate::RECORD_SCHEMA.as_bytes()),
                ("replay", b"true"),
                ("replay.name", b"nightly"),
            ]
        );
    }

    #[test]
    fn consumer_never_uses_the_live_group_or_commits() {
        let mut k = KafkaConfig::default();
        k.consumer.insert("group.id".into(), "timeline".into());
        k.consumer
            .insert("enable.auto.commit".into(), "true".into());
        k.consumer.insert("fetch.min.bytes".into(), "10".into());
        let c = consumer_config(&k, "nightly");
        assert_eq!(c.get("group.id"), Some("timeline-replay-nightly"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("fetch.min.bytes"), Some("10"));
    }
}
