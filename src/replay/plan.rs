//! Planning a replay before anything is read: the partitions, the offset each starts at and
//! the end fixed now (the high watermark, or `--to-offsets`), or the same from the checkpoint
//! of an interrupted run.
//!
//! Blocking (metadata, watermarks and offsets-for-times are request/response calls): run it
//! off the async runtime.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use super::ReplayError;
use super::checkpoint::Checkpoint;
use super::time_index::{self, Bounds, Verdict};
use super::window::{Selection, Start};

/// How a partition's start was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "how", content = "detail")]
pub enum How {
    /// The low watermark (`--from-beginning`, or a partition not named in `--from-offsets`).
    Beginning,
    /// `--from-offsets`.
    Offset,
    /// The broker's offsets-for-times answer, checked.
    TimeIndex,
    /// The low watermark because the broker's time answer was not trusted (the reason), or
    /// the time index is switched off.
    Scan(String),
    /// Where an interrupted run of this name stopped.
    Checkpoint,
}

/// One partition of the replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionPlan {
    pub topic: String,
    pub partition: i32,
    /// Watermarks when the replay started.
    pub low: i64,
    pub high: i64,
    /// First offset to read.
    pub start: i64,
    /// Exclusive end: the replay is done with the partition when it has read up to here.
    pub end: i64,
    pub how: How,
}

impl PartitionPlan {
    /// Nothing to read.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// The partitions of `topics` with their watermarks.
pub fn bounds(
    consumer: &BaseConsumer,
    topics: &[String],
    timeout: Duration,
) -> Result<Vec<Bounds>, ReplayError> {
    let mut out = Vec::new();
    for topic in topics {
        let md = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(ReplayError::kafka("cannot read the topic metadata"))?;
        let t = md.topics().iter().find(|t| t.name() == topic);
        let partitions: Vec<i32> = match t {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                t.partitions().iter().map(|p| p.id()).collect()
            }
            _ => {
                return Err(ReplayError::NoTopic {
                    topic: topic.clone(),
                });
            }
        };
        for partition in partitions {
            let (low, high) = consumer
                .fetch_watermarks(topic, partition, timeout)
                .map_err(ReplayError::kafka("cannot read the partition watermarks"))?;
            out.push(Bounds {
                topic: topic.clone(),
                partition,
                low,
                high,
            });
        }
    }
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(out)
}

/// Refuses to start when a topic the replay writes to is missing: records sent there would be
/// re-sent forever (the publisher never drops them), which looks like a hang.
pub fn require_topics(
    consumer: &BaseConsumer,
    topics: &[(&str, &'static str)],
    timeout: Duration,
) -> Result<(), ReplayError> {
    for (topic, role) in topics {
        let md = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(ReplayError::kafka("cannot read the topic metadata"))?;
        let exists = md
            .topics()
            .iter()
            .any(|t| t.name() == *topic && t.error().is_none() && !t.partitions().is_empty());
        if !exists {
            return Err(ReplayError::NoOutputTopic {
                topic: (*topic).to_owned(),
                role,
            });
        }
    }
    Ok(())
}

/// The context of the tail reader: end-of-partition is what it waits for, not an error worth
/// logging (librdkafka reports it through the error callback too).
pub struct QuietEof;

impl ClientContext for QuietEof {
    fn error(&self, error: KafkaError, reason: &str) {
        if !matches!(error, KafkaError::PartitionEOF(_))
            && error.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF)
        {
            warn!(%error, reason, "consumer");
        }
    }
}

impl ConsumerContext for QuietEof {}

/// Raises each partition's high watermark to one past the last message actually there, by
/// reading the tail from the reported watermark minus one to the end of the partition.
///
/// Some brokers under-report it: tansu 0.6 in memory answers the base offset of the last
/// batch plus one, so a replay ending there would miss the rest of that batch. On Apache
/// Kafka the read finds nothing new (or what was appended a moment ago, which then belongs to
/// the replay: the end is still fixed before reading starts). `consumer` must have
/// `enable.partition.eof=true`; a partition that does not answer within `timeout` keeps its
/// reported watermark.
pub fn verify_ends<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    parts: &mut [Bounds],
    timeout: Duration,
) {
    let mut topics: Vec<String> = parts.iter().map(|b| b.topic.clone()).collect();
    topics.dedup();
    for topic in topics {
        let mut tpl = TopicPartitionList::new();
        let mut waiting: HashSet<i32> = HashSet::new();
        for b in parts.iter().filter(|b| b.topic == topic && b.high > b.low) {
            if tpl
                .add_partition_offset(&b.topic, b.partition, Offset::Offset(b.high - 1))
                .is_ok()
            {
                waiting.insert(b.partition);
            }
        }
        if waiting.is_empty() || consumer.assign(&tpl).is_err() {
            continue;
        }
        // Partitions done (end of partition reached), with the last offset seen.
        let mut seen: HashMap<i32, i64> = HashMap::new();
        let deadline = Instant::now() + timeout;
        while !waiting.is_empty() && Instant::now() < deadline {
            match consumer.poll(Timeout::After(Duration::from_millis(100))) {
                Some(Ok(m)) => {
                    let last = seen.entry(m.partition()).or_insert(m.offset());
                    *last = (*last).max(m.offset());
                }
                // One topic at a time, so the partition number is unambiguous.
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    if waiting.remove(&p)
                        && let Some(last) = seen.get(&p)
                        && let Some(b) = parts
                            .iter_mut()
                            .find(|b| b.topic == topic && b.partition == p)
                        && *last + 1 > b.high
                    {
                        warn!(topic = %topic, partition = p, reported = b.high, actual = *last + 1,
                            "the broker under-reported the high watermark; ending at the last message found");
                        b.high = *last + 1;
                    }
                }
                Some(Err(e)) => debug!(error = %e, "reading the partition tails"),
                None => {}
            }
        }
        let _ = consumer.unassign();
    }
}

/// A fresh plan for `selection` over the partitions `parts`.
pub fn fresh(
    consumer: &BaseConsumer,
    parts: &[Bounds],
    selection: &Selection,
    use_time_index: bool,
    timeout: Duration,
) -> Vec<PartitionPlan> {
    let ends: Vec<i64> = parts
        .iter()
        .map(|b| {
            let want = selection
                .end
                .as_ref()
                .and_then(|s| s.get(&b.topic, b.partition))
                .unwrap_or(b.high);
            want.clamp(b.low, b.high)
        })
        .collect();
    let starts: Vec<(i64, How)> = match (&selection.start, selection.window.from_ms) {
        (Start::Beginning, _) => parts.iter().map(|b| (b.low, How::Beginning)).collect(),
        (Start::Offsets(spec), _) => parts
            .iter()
            .map(|b| match spec.get(&b.topic, b.partition) {
                Some(o) if o < b.low => {
                    warn!(topic = %b.topic, partition = b.partition, offset = o, low = b.low,
                        "offsets before the low watermark are gone (retention); starting at the low watermark");
                    (b.low, How::Offset)
                }
                Some(o) => (o, How::Offset),
                None => (b.low, How::Beginning),
            })
            .collect(),
        (Start::Time, Some(from_ms)) if use_time_index => time_index::place(consumer, parts, from_ms, timeout)
            .into_iter()
            .zip(parts)
            .map(|(v, b)| match v {
                Verdict::Start(o) if o <= b.low => (b.low, How::TimeIndex),
                Verdict::Start(o) => (o, How::TimeIndex),
                Verdict::Scan(why) => (b.low, How::Scan(why)),
            })
            .collect(),
        (Start::Time, _) => parts
            .iter()
            .map(|b| (b.low, How::Scan("the time index is switched off (replay.use_time_index)".into())))
            .collect(),
    };
    parts
        .iter()
        .zip(ends)
        .zip(starts)
        .map(|((b, end), (start, how))| PartitionPlan {
            topic: b.topic.clone(),
            partition: b.partition,
            low: b.low,
            high: b.high,
            start: start.min(end),
            end,
            how,
        })
        .collect()
}

/// The plan to finish an interrupted replay: each partition from its checkpoint to the end
/// fixed by the first run. Partitions created since were not part of the window.
pub fn resume(parts: &[Bounds], cp: &Checkpoint) -> Vec<PartitionPlan> {
    let mut out = Vec::new();
    for p in &cp.partitions {
        let Some(b) = parts
            .iter()
            .find(|b| b.topic == p.topic && b.partition == p.partition)
        else {
            warn!(topic = %p.topic, partition = p.partition, "a partition of the checkpoint no longer exists; skipping it");
            continue;
        };
        let mut start = p.next;
        if start < b.low && start < p.end {
            warn!(topic = %p.topic, partition = p.partition, next = p.next, low = b.low,
                "messages after the checkpoint were deleted (retention) before they were replayed");
            start = b.low;
        }
        let end = if p.end > b.high {
            warn!(topic = %p.topic, partition = p.partition, end = p.end, high = b.high,
                "the partition is shorter than when the replay started (recreated topic?); ending at its high watermark");
            b.high
        } else {
            p.end
        };
        out.push(PartitionPlan {
            topic: p.topic.clone(),
            partition: p.partition,
            low: b.low,
            high: b.high,
            start: start.min(end),
            end,
            how: How::Checkpoint,
        });
    }
    out
}

/// Logs the plan, one line per partition.
pub fn log(plan: &[PartitionPlan]) {
    for p in plan {
        match &p.how {
            How::Scan(why) => {
                info!(topic = %p.topic, partition = p.partition, start = p.start, end = p.end,
                reason = %why, "scanning the partition from its oldest message")
            }
            how => {
                info!(topic = %p.topic, partition = p.partition, start = p.start, end = p.end, ?how, "partition planned")
            }
        }
    }
}
