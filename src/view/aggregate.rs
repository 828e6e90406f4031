//! Stage 2 of the view: the re-keyed records of the partitions this instance is assigned,
//! folded into event states; every change written to the compacted events topic, the
//! changelog the state of a partition is rebuilt from when it is assigned (after a restart,
//! or to another instance in a rebalance). State and input are co-partitioned: the state of
//! an event read from partition `p` of the repartition topic is written to partition `p` of
//! the events topic, so one partition's state is one partition of the topic.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::producer::FutureProducer;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::io::{Out, StageContext, deliver};
use super::rekey::store;
use super::state::{EventState, STATE_SCHEMA};
use super::{BATCH, Stage};
use crate::record::Record;
use crate::stream::topic::TopicReader;

/// The states of one partition, by event key.
type PartitionState = HashMap<String, EventState>;

/// Folded work not yet written: the events changed and the input offsets that finish it.
#[derive(Default)]
struct Pending {
    dirty: BTreeSet<(i32, String)>,
    next: BTreeMap<i32, i64>,
    /// When the oldest unwritten change was made.
    since: Option<Instant>,
    /// Records folded into `dirty` since the last write.
    folded: u64,
}

impl Pending {
    /// Forgets what belongs to `partition` (revoked: its new owner redoes that input).
    fn drop_partition(&mut self, partition: i32) {
        self.dirty.retain(|(p, _)| *p != partition);
        self.next.remove(&partition);
        if self.dirty.is_empty() {
            self.folded = 0;
        }
    }
}

/// Most changed events held before they are written, whatever the interval says.
const MAX_DIRTY: usize = 10_000;

/// Runs until `stop`.
///
/// Changes are written every `view.commit_interval_ms`, not per record: an event told by many
/// reports in that time is written once, with all of them (the record cache of Kafka
/// Streams). Offsets are stored only with the write, so a crash in between redoes the input.
pub async fn run(
    stage: Arc<Stage>,
    consumer: &StreamConsumer<StageContext>,
    producer: &FutureProducer,
    stop: watch::Receiver<bool>,
) {
    let repartition = stage.config.view.repartition_topic.clone();
    let interval = Duration::from_millis(stage.config.view.commit_interval_ms);
    let mut states: HashMap<i32, PartitionState> = HashMap::new();
    let mut pending = Pending::default();
    let mut messages = consumer.stream().ready_chunks(BATCH);
    let mut stop_rx = stop.clone();
    loop {
        let due = pending.since.map(|t| t + interval);
        let batch = tokio::select! {
            batch = messages.next() => match batch {
                Some(b) => Some(b),
                None => break,
            },
            _ = sleep_until(due), if due.is_some() => None,
            _ = stop_rx.wait_for(|s| *s) => break,
        };
        // Revoked partitions: their state now belongs to the new owner, and if they come
        // back it is rebuilt from the changelog, which has the other owner's changes. What
        // was folded from them but not written is the new owner's to redo.
        for p in consumer.context().take_revoked() {
            states.remove(&p);
            pending.drop_partition(p);
        }
        if let Some(batch) = batch
            && !fold_batch(
                &stage,
                consumer,
                &repartition,
                &mut states,
                &mut pending,
                batch,
            )
            .await
        {
            continue;
        }
        let full = pending.dirty.len() >= MAX_DIRTY;
        let late = pending.since.is_some_and(|t| t.elapsed() >= interval);
        if !(full || late) {
            continue;
        }
        let outs: Vec<Out> = std::mem::take(&mut pending.dirty)
            .into_iter()
            .filter_map(|(p, key)| {
                let state = states.get(&p)?.get(&key)?;
                let payload = serde_json::to_vec(state).ok()?;
                Some(Out {
                    topic: stage.config.view.topic.clone(),
                    partition: Some(p),
                    key,
                    payload,
                    schema: STATE_SCHEMA,
                })
            })
            .collect();
        let writes = outs.len() as u64;
        if deliver(
            producer,
            outs,
            stage.backoff,
            stage.max_backoff,
            &stop,
            &stage.metrics.retries,
        )
        .await
        .is_err()
        {
            break;
        }
        stage.metrics.view_state_writes.inc_by(writes);
        stage
            .metrics
            .view_records_written
            .inc_by(std::mem::take(&mut pending.folded));
        stage
            .metrics
            .view_events_owned
            .set(states.values().map(|s| s.len() as i64).sum());
        store(consumer, &repartition, &std::mem::take(&mut pending.next));
        pending.since = None;
    }
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due.into()).await;
    }
}

/// Folds one batch of the repartition topic into `states`, restoring partitions seen for the
/// first time. False when the batch could not be folded (it is fetched again).
async fn fold_batch(
    stage: &Arc<Stage>,
    consumer: &StreamConsumer<StageContext>,
    repartition: &str,
    states: &mut HashMap<i32, PartitionState>,
    pending: &mut Pending,
    batch: Vec<rdkafka::error::KafkaResult<BorrowedMessage<'_>>>,
) -> bool {
    let assigned: HashSet<i32> = match consumer.assignment() {
        Ok(tpl) => tpl
            .elements_for_topic(repartition)
            .iter()
            .map(|e| e.partition())
            .collect(),
        Err(e) => {
            warn!(error = %e, "event view: cannot read the assignment");
            return false;
        }
    };
    let batch: Vec<BorrowedMessage<'_>> = batch
        .into_iter()
        .filter_map(|m| {
            m.inspect_err(|e| debug!(error = %e, "event view: reading the repartition topic"))
                .ok()
        })
        // A message fetched before its partition was revoked is the new owner's to do.
        .filter(|m| assigned.contains(&m.partition()))
        .collect();
    let missing: Vec<i32> = batch
        .iter()
        .map(|m| m.partition())
        .filter(|p| !states.contains_key(p))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        match restore(stage, missing.clone()).await {
            Ok(restored) => states.extend(restored),
            Err(e) => {
                // Nothing folded: the batch is fetched again after the seek.
                warn!(error = %e, partitions = ?missing, "event view: cannot rebuild the state of partitions from the events topic; retrying");
                rewind(consumer, repartition, &batch);
                tokio::time::sleep(stage.backoff).await;
                return false;
            }
        }
    }
    for m in &batch {
        pending.next.insert(m.partition(), m.offset() + 1);
        pending.since.get_or_insert_with(Instant::now);
        let Some(record) = m
            .payload()
            .and_then(|v| serde_json::from_slice::<Record>(v).ok())
        else {
            stage.metrics.view_ignored.inc();
            continue;
        };
        let seen = seen_at(m);
        let part = states.entry(m.partition()).or_default();
        let key = record.event_key.clone();
        let folded = match part.get_mut(&key) {
            Some(state) => state.apply(record, &seen),
            None => {
                part.insert(key.clone(), EventState::new(record, &seen));
                true
            }
        };
        if folded {
            stage.metrics.view_records.inc();
            pending.folded += 1;
            pending.dirty.insert((m.partition(), key));
        }
    }
    true
}

/// When the view saw a message: its Kafka timestamp (RFC 3339), else now.
fn seen_at(m: &BorrowedMessage<'_>) -> String {
    m.timestamp()
        .to_millis()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Seeks each partition of `batch` back to its first message in it, to fetch it again.
fn rewind(consumer: &StreamConsumer<StageContext>, topic: &str, batch: &[BorrowedMessage<'_>]) {
    let mut first: BTreeMap<i32, i64> = BTreeMap::new();
    for m in batch {
        first.entry(m.partition()).or_insert(m.offset());
    }
    for (p, offset) in first {
        if let Err(e) = consumer.seek(
            topic,
            p,
            rdkafka::Offset::Offset(offset),
            Duration::from_secs(10),
        ) {
            warn!(error = %e, partition = p, "event view: cannot seek back");
        }
    }
}

/// The states of `partitions`, read from the events topic: the last value of each key.
async fn restore(
    stage: &Arc<Stage>,
    partitions: Vec<i32>,
) -> Result<HashMap<i32, PartitionState>, rdkafka::error::KafkaError> {
    let kafka = stage.config.kafka.clone();
    let topic = stage.config.view.topic.clone();
    let started = std::time::Instant::now();
    let read = tokio::task::spawn_blocking(move || {
        TopicReader::of_partitions(&kafka, &topic, Some(&partitions), false)?
            .read_to_end(Duration::from_secs(120))
            .map(|messages| (partitions, messages))
    })
    .await
    .map_err(|_| rdkafka::error::KafkaError::Canceled)??;
    let (partitions, messages) = read;
    let mut out: HashMap<i32, PartitionState> = partitions
        .iter()
        .map(|p| (*p, PartitionState::new()))
        .collect();
    for m in &messages {
        let Some(key) = m
            .key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
        else {
            continue;
        };
        let part = out.entry(m.partition).or_default();
        match m.value.as_deref().map(serde_json::from_slice::<EventState>) {
            None => {
                part.remove(&key);
            }
            Some(Ok(state)) => {
                part.insert(key, state);
            }
            Some(Err(e)) => {
                warn!(partition = m.partition, offset = m.offset, error = %e, "event view: not an event state in the events topic; skipped")
            }
        }
    }
    info!(
        partitions = ?partitions,
        events = out.values().map(HashMap::len).sum::<usize>(),
        messages = messages.len(),
        ms = started.elapsed().as_millis() as u64,
        "event view: state rebuilt from the events topic"
    );
    Ok(out)
}
