//! The exactly-once pipeline: each batch of messages becomes one Kafka transaction holding its
//! records, its dead letters and its input offsets, so the output and the progress commit or
//! vanish together.
//!
//! The loop alternates two phases. *Collect*: receive up to `transaction_max_messages` (or for
//! `transaction_interval_ms`) while serving rebalances; no transaction is open then, so a
//! revocation has nothing to finish, and messages collected from a partition revoked meanwhile
//! are dropped from the batch (the new owner reads them from the committed offset). *Commit*:
//! extract the batch on the pool, send everything in a transaction, add the offsets, commit. A
//! commit that fails in a way that requires an abort is aborted and the same batch is retried
//! from memory; a fatal error (fenced by a newer instance with the same `transactional.id`)
//! stops the service.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::Config;

use super::consumer::{StreamContext, offsets_tpl};
use super::kafka;
use super::message::InputMessage;
use super::process::{Processed, message_reference, process_batch};
use super::publish::Publisher;
use super::scaffold::{RunError, Scaffold, Summary, end_to_end, subscribe, topics_of};
use super::tracker::Tp;

/// The exactly-once loop, ready to run.
pub struct Transactional {
    consumer: StreamConsumer<StreamContext>,
    publisher: Arc<Publisher>,
    shared: Arc<Scaffold>,
    max_messages: usize,
    max_bytes: usize,
    interval: Duration,
    grace: Duration,
    transactional_id: String,
}

struct Collected {
    msg: InputMessage,
    generation: Option<u64>,
    received: Instant,
}

/// The `transactional.id` to use: configured, or `<group>-<unique suffix>`.
pub fn transactional_id(config: &Config) -> String {
    if !config.stream.transactional_id.is_empty() {
        return config.stream.transactional_id.clone();
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let suffix = blake3::hash(format!("{nanos}-{}", std::process::id()).as_bytes());
    format!("{}-{}", config.stream.group_id, &suffix.to_hex()[..12])
}

impl Transactional {
    /// Creates the transactional producer and the `read_committed` consumer, subscribed.
    pub fn new(
        config: &Config,
        ctx: StreamContext,
        shared: Arc<Scaffold>,
    ) -> Result<Transactional, RunError> {
        let s = &config.stream;
        let id = transactional_id(config);
        let publisher = shared.publisher(
            &kafka::producer_config(&config.kafka, Some(&id)),
            topics_of(config),
            false,
        )?;
        let consumer = subscribe(config, ctx)?;
        Ok(Transactional {
            consumer,
            publisher: Arc::new(publisher),
            shared,
            max_messages: s.transaction_max_messages.min(s.max_in_flight_messages),
            max_bytes: s.max_in_flight_bytes,
            interval: Duration::from_millis(s.transaction_interval_ms),
            grace: Duration::from_millis(s.shutdown_grace_ms),
            transactional_id: id,
        })
    }

    /// Runs until `stop` turns true (finishing the batch at hand) or a fatal error.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> Result<Summary, RunError> {
        let publisher = Arc::clone(&self.publisher);
        let init = tokio::task::spawn_blocking(move || {
            publisher
                .producer()
                .init_transactions(Duration::from_secs(60))
        })
        .await
        .map_err(RunError::task)?;
        init.map_err(RunError::kafka(
            "cannot initialise transactions (does the broker support them? the embedded broker does not)",
        ))?;
        info!(transactional_id = %self.transactional_id, "transactions ready");
        self.shared.health.set_started();
        let mut stopping = false;
        while !stopping {
            let batch = self.collect(&mut stop, &mut stopping).await;
            let batch: Vec<Collected> = batch
                .into_iter()
                .filter(|c| {
                    let tp = Tp::new(&c.msg.topic, c.msg.partition);
                    c.generation.is_some() && self.shared.tracker.generation(&tp) == c.generation
                })
                .collect();
            if batch.is_empty() {
                continue;
            }
            self.commit_batch(batch).await?;
        }
        self.shared.health.set_stopping();
        // Every message consumed is finished: its transaction committed, or it was dropped
        // with a revoked partition for its next owner (the tracker hands out no tickets here).
        let summary = Summary {
            finished: self.shared.metrics.consumed.get(),
            ..self.shared.summary(true)
        };
        let Transactional {
            consumer,
            publisher,
            grace,
            ..
        } = self;
        if !kafka::close_within((consumer, publisher), grace).await {
            warn!("the consumer did not close in time; exiting anyway");
        }
        Ok(summary)
    }

    async fn collect(
        &self,
        stop: &mut watch::Receiver<bool>,
        stopping: &mut bool,
    ) -> Vec<Collected> {
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        let mut deadline: Option<tokio::time::Instant> = None;
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        loop {
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        *stopping = true;
                        return batch;
                    }
                }
                () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => return batch,
                m = self.consumer.recv() => match m {
                    Ok(m) => {
                        let msg = InputMessage::from_kafka(&m);
                        let generation = self.shared.tracker.generation(&Tp::new(&msg.topic, msg.partition));
                        self.shared.metrics.consumed.inc();
                        bytes += msg.size();
                        batch.push(Collected { msg, generation, received: Instant::now() });
                        if deadline.is_none() {
                            deadline = Some(tokio::time::Instant::now() + self.interval);
                        }
                        if batch.len() >= self.max_messages || bytes >= self.max_bytes {
                            return batch;
                        }
                    }
                    Err(e) => warn!(error = %e, "consume error; retrying"),
                },
            }
        }
    }

    async fn commit_batch(&self, batch: Vec<Collected>) -> Result<(), RunError> {
        let started = Instant::now();
        let batch = Arc::new(batch);
        let processed: Vec<Processed> = {
            let (pool, x, limits, batch, max_batch) = (
                Arc::clone(&self.shared.pool),
                Arc::clone(&self.shared.extractor),
                self.shared.limits,
                Arc::clone(&batch),
                self.shared.max_batch,
            );
            tokio::task::spawn_blocking(move || {
                // In chunks, one or more per thread, each extracted stage by stage (see
                // `super::batch`); `collect` keeps the order.
                let workers = pool.current_num_threads().max(1);
                let most = super::batch::most(batch.len(), workers, max_batch);
                let chunk = batch.len().div_ceil(workers).clamp(1, most);
                pool.install(|| {
                    batch
                        .par_chunks(chunk)
                        .flat_map_iter(|chunk| {
                            let msgs: Vec<_> = chunk
                                .iter()
                                .map(|c| (&c.msg, message_reference(&c.msg)))
                                .collect();
                            process_batch(&x, &limits, &msgs)
                        })
                        .collect()
                })
            })
            .await
            .map_err(RunError::task)?
        };
        for p in &processed {
            self.shared
                .metrics
                .extraction_seconds
                .observe(p.extraction_time.as_secs_f64());
        }
        let mut positions: Vec<(Tp, i64)> = Vec::new();
        for c in batch.iter() {
            let tp = Tp::new(&c.msg.topic, c.msg.partition);
            match positions.iter_mut().find(|(t, _)| *t == tp) {
                Some((_, off)) => *off = (*off).max(c.msg.offset + 1),
                None => positions.push((tp, c.msg.offset + 1)),
            }
        }
        let processed = Arc::new(processed);
        let mut attempt = 0u32;
        loop {
            let (publisher, batch2, processed2, positions2) = (
                Arc::clone(&self.publisher),
                Arc::clone(&batch),
                Arc::clone(&processed),
                positions.clone(),
            );
            let Some(metadata) = self.consumer.group_metadata() else {
                return Err(RunError::Task("the consumer has no group metadata".into()));
            };
            let r = tokio::task::spawn_blocking(move || {
                transact(&publisher, &batch2, &processed2, &positions2, &metadata)
            })
            .await
            .map_err(RunError::task)?;
            match r {
                Ok(()) => break,
                Err(e) => {
                    let fatal = match &e {
                        KafkaError::Transaction(t) => t.is_fatal(),
                        _ => false,
                    };
                    if fatal {
                        return Err(RunError::Kafka {
                            what: "transaction failed fatally (fenced by another instance with the same transactional.id?)",
                            source: e,
                        });
                    }
                    attempt += 1;
                    self.shared.metrics.retries.inc();
                    warn!(error = %e, attempt, "transaction failed; aborting and retrying the batch");
                    let publisher = Arc::clone(&self.publisher);
                    let abort = tokio::task::spawn_blocking(move || {
                        publisher
                            .producer()
                            .abort_transaction(Duration::from_secs(30))
                    })
                    .await
                    .map_err(RunError::task)?;
                    if let Err(KafkaError::Transaction(t)) = &abort
                        && t.is_fatal()
                    {
                        return Err(RunError::Kafka {
                            what: "cannot abort the transaction",
                            source: abort.err().unwrap_or(KafkaError::Canceled),
                        });
                    }
                    tokio::time::sleep(self.shared.backoff.delay(attempt)).await;
                }
            }
        }
        for c in batch.iter() {
            self.shared
                .metrics
                .end_to_end_seconds
                .observe(end_to_end(c.msg.timestamp_ms, c.received).as_secs_f64());
        }
        tracing::debug!(
            messages = batch.len(),
            ms = started.elapsed().as_millis() as u64,
            "transaction committed"
        );
        Ok(())
    }
}

/// One transaction: begin, send every outcome, add the offsets, commit.
fn transact(
    publisher: &Publisher,
    batch: &[Collected],
    processed: &[Processed],
    positions: &[(Tp, i64)],
    metadata: &rdkafka::consumer::ConsumerGroupMetadata,
) -> Result<(), KafkaError> {
    let p = publisher.producer();
    p.begin_transaction()?;
    for (c, r) in batch.iter().zip(processed) {
        publisher.send_outcome(&c.msg, &r.outcome, None)?;
    }
    p.send_offsets_to_transaction(&offsets_tpl(positions), metadata, Duration::from_secs(30))?;
    p.commit_transaction(Duration::from_secs(60))
}
