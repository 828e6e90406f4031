//! Stage 2 of the view: the re-keyed records of the partitions this instance is assigned,
//! folded into event states; every change written to the compacted events topic, the
//! changelog the state of a partition is rebuilt from when it is assigned (after a restart,
//! or to another instance in a rebalance). State and input are co-partitioned: the state of
//! an event read from partition `p` of the repartition topic is written to partition `p` of
//! the events topic, so one partition's state is one partition of the topic.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

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

/// Runs until `stop`.
pub async fn run(
    stage: Arc<Stage>,
    consumer: &StreamConsumer<StageContext>,
    producer: &FutureProducer,
    stop: watch::Receiver<bool>,
) {
    let repartition = stage.config.view.repartition_topic.clone();
    let mut states: HashMap<i32, PartitionState> = HashMap::new();
    let mut messages = consumer.stream().ready_chunks(BATCH);
    let mut stop_rx = stop.clone();
    loop {
        let batch = tokio::select! {
            batch = messages.next() => batch,
            _ = stop_rx.wait_for(|s| *s) => break,
        };
        let Some(batch) = batch else { break };
        // Revoked partitions: their state now belongs to the new owner, and if they come
        // back it is rebuilt from the changelog, which has the other owner's changes.
        for p in consumer.context().take_revoked() {
            states.remove(&p);
        }
        let assigned: HashSet<i32> = match consumer.assignment() {
            Ok(tpl) => tpl
                .elements_for_topic(&repartition)
                .iter()
                .map(|e| e.partition())
                .collect(),
            Err(e) => {
                warn!(error = %e, "event view: cannot read the assignment");
                continue;
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
            match restore(&stage, missing.clone()).await {
                Ok(restored) => states.extend(restored),
                Err(e) => {
                    // Nothing stored: the batch is fetched again after the seek below.
                    warn!(error = %e, partitions = ?missing, "event view: cannot rebuild the state of partitions from the events topic; retrying");
                    rewind(consumer, &repartition, &batch);
                    tokio::time::sleep(stage.backoff).await;
                    continue;
                }
            }
        }

        let mut changed: BTreeMap<(i32, String), ()> = BTreeMap::new();
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for m in &batch {
            next.insert(m.partition(), m.offset() + 1);
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
                changed.insert((m.partition(), key), ());
            }
        }
        let outs: Vec<Out> = changed
            .into_keys()
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
            .view_events_owned
            .set(states.values().map(|s| s.len() as i64).sum());
        store(consumer, &repartition, &next);
    }
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
