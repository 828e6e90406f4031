//! What both stages of the view share with Kafka: the consumer context (which partitions were
//! taken away), and delivering a batch of messages with re-sends until every one is
//! acknowledged.

use std::sync::Mutex;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::stream::log_limit::LogLimit;

/// The consumer context of a view stage: notes revoked partitions for the loop to drop their
/// state. Offsets need nothing here: the loop stores them only after the outputs of a batch
/// are acknowledged and before it polls again, so the offsets librdkafka commits as it
/// revokes (auto-commit) are exactly the finished work.
pub struct StageContext {
    stage: &'static str,
    /// Partitions held now, when the stage reports them.
    assigned: Option<prometheus_client::metrics::gauge::Gauge>,
    revoked: Mutex<Vec<i32>>,
    errors: LogLimit,
}

impl StageContext {
    pub fn new(
        stage: &'static str,
        assigned: Option<prometheus_client::metrics::gauge::Gauge>,
    ) -> StageContext {
        StageContext {
            stage,
            assigned,
            revoked: Mutex::new(Vec::new()),
            errors: LogLimit::new(Duration::from_secs(30)),
        }
    }

    /// The partitions revoked since the last call.
    pub fn take_revoked(&self) -> Vec<i32> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl ClientContext for StageContext {
    /// The service's consumer reports lag and broker health; the view's consumers have
    /// nothing to add (librdkafka's default would log every statistics event).
    fn stats(&self, _: rdkafka::Statistics) {}

    fn error(&self, error: KafkaError, reason: &str) {
        if let Some(repeats) = self.errors.admit(&error.to_string()) {
            warn!(stage = self.stage, %error, reason, repeats, "event view");
        }
    }
}

impl ConsumerContext for StageContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let partitions: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            info!(
                stage = self.stage,
                ?partitions,
                "event view: partitions revoked"
            );
            if let Some(g) = &self.assigned {
                g.dec_by(partitions.len() as i64);
            }
            self.revoked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(partitions);
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            let partitions: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            info!(
                stage = self.stage,
                ?partitions,
                "event view: partitions assigned"
            );
            if let Some(g) = &self.assigned {
                g.inc_by(partitions.len() as i64);
            }
        }
    }
}

/// One message to write.
pub struct Out {
    pub topic: String,
    /// `None`: the producer's partitioner chooses by key.
    pub partition: Option<i32>,
    pub key: String,
    pub payload: Vec<u8>,
    /// The `schema` header.
    pub schema: &'static str,
}

/// The stop signal turned true before everything was acknowledged.
#[derive(Debug)]
pub struct Stopped;

/// Sends `outs` and waits until the broker has acknowledged every one, re-sending failures
/// after `backoff` (doubling up to `max_backoff`), for as long as it takes: a view that skipped
/// a state change would be wrong until that event's next report. Gives up only on `stop`
/// (the unacknowledged input is then redone after the restart: offsets are stored only
/// after this returns `Ok`). Messages to the same key keep their order: all of one batch are
/// acknowledged before the next batch is sent, and a batch holds one message per key.
pub async fn deliver(
    producer: &FutureProducer,
    mut outs: Vec<Out>,
    backoff: Duration,
    max_backoff: Duration,
    stop: &watch::Receiver<bool>,
    retries: &prometheus_client::metrics::counter::Counter,
) -> Result<usize, Stopped> {
    let total = outs.len();
    let mut wait = backoff;
    loop {
        let sends = outs.iter().map(|o| {
            let headers = OwnedHeaders::new().insert(Header {
                key: "schema",
                value: Some(o.schema),
            });
            let mut record = FutureRecord::to(&o.topic)
                .key(&o.key)
                .payload(&o.payload)
                .headers(headers);
            if let Some(p) = o.partition {
                record = record.partition(p);
            }
            producer.send(record, Duration::from_secs(30))
        });
        let results = futures::future::join_all(sends).await;
        let mut failed = Vec::new();
        let mut first_error = None;
        for (out, result) in outs.into_iter().zip(results) {
            if let Err((e, _)) = result {
                first_error.get_or_insert(e);
                failed.push(out);
            }
        }
        if failed.is_empty() {
            return Ok(total);
        }
        if *stop.borrow() {
            return Err(Stopped);
        }
        warn!(
            failed = failed.len(),
            error = ?first_error,
            wait_ms = wait.as_millis() as u64,
            "event view: writes not acknowledged; re-sending"
        );
        retries.inc_by(failed.len() as u64);
        let mut stop_rx = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop_rx.wait_for(|s| *s) => return Err(Stopped),
        }
        wait = (wait * 2).min(max_backoff);
        outs = failed;
    }
}
