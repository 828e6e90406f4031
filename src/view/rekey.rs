//! Stage 1 of the view: the timeline topic's records, re-keyed by event key into the
//! repartition topic, so that every report of one event lands on one partition (the records
//! themselves are keyed by record id, which spreads one event over every partition).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::FutureProducer;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::Deserialize;
use tokio::sync::watch;
use tracing::{debug, warn};

use super::io::{Out, StageContext, deliver};
use super::{BATCH, Stage};
use crate::RECORD_SCHEMA;

/// The part of a record this stage reads; the value is forwarded unchanged.
#[derive(Deserialize)]
struct Keyed<'a> {
    #[serde(borrow)]
    schema: &'a str,
    #[serde(borrow)]
    event_key: &'a str,
}

/// Runs until `stop`.
pub async fn run(
    stage: Arc<Stage>,
    consumer: &StreamConsumer<StageContext>,
    producer: &FutureProducer,
    stop: watch::Receiver<bool>,
) {
    let mut messages = consumer.stream().ready_chunks(BATCH);
    let mut stop_rx = stop.clone();
    loop {
        let batch = tokio::select! {
            batch = messages.next() => batch,
            _ = stop_rx.wait_for(|s| *s) => break,
        };
        let Some(batch) = batch else { break };
        let mut outs = Vec::with_capacity(batch.len());
        // Next offset per partition: stored once the batch's writes are acknowledged.
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for m in batch {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    debug!(error = %e, "event view: reading the timeline topic");
                    continue;
                }
            };
            next.insert(m.partition(), m.offset() + 1);
            let keyed = m
                .payload()
                .and_then(|v| serde_json::from_slice::<Keyed<'_>>(v).ok())
                .filter(|k| k.schema == RECORD_SCHEMA && !k.event_key.is_empty());
            let (Some(k), Some(payload)) = (keyed, m.payload()) else {
                stage.metrics.view_ignored.inc();
                warn!(
                    partition = m.partition(),
                    offset = m.offset(),
                    "event view: a message of the timeline topic is not a {RECORD_SCHEMA} record; left out"
                );
                continue;
            };
            outs.push(Out {
                topic: stage.config.view.repartition_topic.clone(),
                partition: None,
                key: k.event_key.to_owned(),
                payload: payload.to_vec(),
                schema: RECORD_SCHEMA,
            });
        }
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
        store(consumer, &stage.config.stream.output_topic, &next);
    }
}

/// Stores the next offsets of finished messages, for the next (auto-)commit.
pub fn store(consumer: &StreamConsumer<StageContext>, topic: &str, next: &BTreeMap<i32, i64>) {
    if next.is_empty() {
        return;
    }
    let mut tpl = TopicPartitionList::new();
    for (p, offset) in next {
        if let Err(e) = tpl.add_partition_offset(topic, *p, Offset::Offset(*offset)) {
            debug!(error = %e, "event view: offset list");
        }
    }
    // Fails for a partition revoked meanwhile: its new owner redoes that work, which changes
    // nothing (a record counts once).
    if let Err(e) = consumer.store_offsets(&tpl) {
        debug!(error = %e, "event view: storing offsets");
    }
}
