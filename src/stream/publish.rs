//! The producer side: records and dead letters out, acknowledgements back to their tickets.
//!
//! A `ThreadedProducer` rather than the future-based one: acknowledgements then arrive on
//! librdkafka's polling thread and complete tickets there, without needing the async runtime.
//! That matters during a rebalance, when the consumer's callback blocks a runtime thread while
//! it waits for the revoked partitions' work to be acknowledged.
//!
//! A failed delivery is never dropped: the record goes to a re-send thread that sends it again
//! after a growing backoff, for as long as it takes, and while anything waits there the service
//! reports not ready and stops fetching. (In a transaction, failures surface in the commit
//! instead and the whole batch is retried; see [`super::transactional`].)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tracing::{debug, error, warn};

use super::dead_letter::DeadLetter;
use super::health::Health;
use super::message::InputMessage;
use super::metrics::Metrics;
use super::process::{EncodedRecord, Outcome};
use super::tracker::Ticket;

/// Record header names.
pub const HEADER_ARTICLE_ID: &str = "article_id";
pub const HEADER_EXTRACTOR_VERSION: &str = "extractor_version";
pub const HEADER_SCHEMA: &str = "schema";

/// The headers of a timeline record: `article_id`, `extractor_version`, `schema`.
pub fn record_headers(article_id: &str) -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(3)
        .insert(Header {
            key: HEADER_ARTICLE_ID,
            value: Some(article_id),
        })
        .insert(Header {
            key: HEADER_EXTRACTOR_VERSION,
            value: Some(crate::EXTRACTOR_VERSION),
        })
        .insert(Header {
            key: HEADER_SCHEMA,
            value: Some(crate::RECORD_SCHEMA),
        })
}

/// What was sent, for metrics and logs when it is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Record,
    DeadLetter { kind: String },
}

/// Travels with each message through librdkafka and comes back in the delivery report.
#[derive(Debug)]
pub struct Delivery {
    pub ticket: Option<Arc<Ticket>>,
    pub sent: Sent,
    /// Re-sends so far.
    pub attempt: u32,
}

/// Re-send policy: `first * 2^(attempt-1)`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first.saturating_mul(factor).min(self.max)
    }
}

struct Resend {
    topic: String,
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    headers: Option<OwnedHeaders>,
    delivery: Box<Delivery>,
    at: Instant,
}

/// The producer's context: delivery reports, errors.
pub struct DeliveryContext {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    resend: Option<(Sender<Resend>, Backoff)>,
}

impl ClientContext for DeliveryContext {
    /// Producer statistics are not used (the consumer's feed the metrics); the default
    /// implementation would log each one at info.
    fn stats(&self, _statistics: rdkafka::Statistics) {}

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.health.set_brokers_down(true);
        }
        warn!(%error, reason, "producer");
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, mut delivery: Box<Delivery>) {
        match result {
            Ok(_) => {
                self.health.set_brokers_down(false);
                match &delivery.sent {
                    Sent::Record => {
                        self.metrics.produced.inc();
                    }
                    Sent::DeadLetter { kind } => self.metrics.dead_letter(kind),
                }
                if delivery.attempt > 0 {
                    self.health.retry_finished();
                }
                if let Some(t) = &delivery.ticket {
                    t.part_done();
                }
            }
            Err((e, msg)) => {
                let purged = matches!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight)
                );
                let Some((tx, backoff)) = self.resend.as_ref().filter(|_| !purged) else {
                    // Shutting down (purged) or transactional (the commit reports it): the
                    // ticket stays unfinished, so its offset is never committed.
                    debug!(error = %e, "delivery failed, not re-sent");
                    return;
                };
                if delivery.attempt == 0 {
                    self.health.retry_started();
                }
                delivery.attempt += 1;
                log_failure(&delivery, e);
                let r = Resend {
                    topic: msg.topic().to_owned(),
                    key: msg.key().map(<[u8]>::to_vec),
                    value: msg.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers: msg.headers().map(|h| h.detach()),
                    at: Instant::now() + backoff.delay(delivery.attempt),
                    delivery,
                };
                // The re-send thread is gone only when the publisher is dropped.
                let _ = tx.send(r);
            }
        }
    }
}

fn log_failure(d: &Delivery, e: &KafkaError) {
    match (&d.sent, d.attempt) {
        (Sent::DeadLetter { .. }, 1) => error!(
            error = %e,
            "the dead-letter topic cannot be written; fetching stops and the dead letter is re-sent until it is accepted (check the topic exists and its max.message.bytes)"
        ),
        (Sent::Record, 1) => warn!(error = %e, "a record was not acknowledged; re-sending it"),
        (_, n) => debug!(error = %e, attempt = n, "re-send failed again"),
    }
}

/// Where records and dead letters go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub output: String,
    pub dead_letter: String,
    /// Longest `error.message` header.
    pub max_error_message_bytes: usize,
}

/// The service's producer. See the module docs.
pub struct Publisher {
    producer: ThreadedProducer<DeliveryContext>,
    topics: Topics,
    retrying: bool,
    stop: Arc<AtomicBool>,
    resender: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A producer from `config`. With `backoff`, failed deliveries are re-sent forever (the
    /// at-least-once service, replay); without, they are left to the transaction's commit.
    pub fn new(
        config: &ClientConfig,
        topics: Topics,
        backoff: Option<Backoff>,
        metrics: Arc<Metrics>,
        health: Arc<Health>,
    ) -> KafkaResult<Publisher> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let context = DeliveryContext {
            metrics: Arc::clone(&metrics),
            health,
            resend: backoff.map(|b| (tx, b)),
        };
        let producer: ThreadedProducer<DeliveryContext> = config.create_with_context(context)?;
        let stop = Arc::new(AtomicBool::new(false));
        let resender = if backoff.is_some() {
            let producer = producer.clone();
            let stop = Arc::clone(&stop);
            let handle = std::thread::Builder::new()
                .name("timeline-resend".into())
                .spawn(move || resend_loop(&producer, &rx, &stop, &metrics))
                .map_err(|e| {
                    error!(error = %e, "cannot start the re-send thread");
                    KafkaError::Global(RDKafkaErrorCode::Fail)
                })?;
            Some(handle)
        } else {
            None
        };
        Ok(Publisher {
            producer,
            topics,
            retrying: backoff.is_some(),
            stop,
            resender,
        })
    }

    /// The topics this publisher writes to.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// The underlying producer (transactions, flush, metadata).
    pub fn producer(&self) -> &ThreadedProducer<DeliveryContext> {
        &self.producer
    }

    /// Sends everything `outcome` calls for: its records to the output topic, or the source
    /// message to the dead-letter topic. Each send is a part of `ticket`. Returns the number of
    /// messages sent.
    pub fn send_outcome(
        &self,
        source: &InputMessage,
        outcome: &Outcome,
        ticket: Option<&Arc<Ticket>>,
    ) -> KafkaResult<usize> {
        match outcome {
            Outcome::Records {
                article_id,
                records,
                ..
            } => {
                for r in records {
                    self.send_record(&self.topics.output, r, record_headers(article_id), ticket)?;
                }
                Ok(records.len())
            }
            Outcome::DeadLetter(d) => {
                self.send_dead_letter(source, d, ticket)?;
                Ok(1)
            }
        }
    }

    /// Sends one record keyed by its id to `topic` with `headers`.
    pub fn send_record(
        &self,
        topic: &str,
        record: &EncodedRecord,
        headers: OwnedHeaders,
        ticket: Option<&Arc<Ticket>>,
    ) -> KafkaResult<()> {
        self.send(
            topic,
            Some(record.id.as_bytes()),
            &record.value,
            headers,
            Delivery {
                ticket: ticket.cloned(),
                sent: Sent::Record,
                attempt: 0,
            },
        )
    }

    /// Sends `source` unchanged (key and value) to the dead-letter topic with the reason.
    pub fn send_dead_letter(
        &self,
        source: &InputMessage,
        dead: &DeadLetter,
        ticket: Option<&Arc<Ticket>>,
    ) -> KafkaResult<()> {
        let headers = dead.headers(source, self.topics.max_error_message_bytes);
        self.send(
            &self.topics.dead_letter,
            source.key.as_deref(),
            source.value(),
            headers,
            Delivery {
                ticket: ticket.cloned(),
                sent: Sent::DeadLetter {
                    kind: dead.kind.clone(),
                },
                attempt: 0,
            },
        )
    }

    fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: &[u8],
        headers: OwnedHeaders,
        delivery: Delivery,
    ) -> KafkaResult<()> {
        if let Some(t) = &delivery.ticket {
            t.add_part();
        }
        match send_blocking(
            &self.producer,
            topic,
            key,
            value,
            Some(headers),
            Box::new(delivery),
        ) {
            Ok(()) => Ok(()),
            Err((e, delivery, headers)) => {
                // Refused before reaching the queue (e.g. larger than message.max.bytes). In
                // re-send mode it is handled like a failed delivery; otherwise the caller
                // decides (the transaction aborts).
                if self.retrying {
                    let ctx = self.producer.context();
                    if let Some((tx, backoff)) = &ctx.resend {
                        let mut delivery = delivery;
                        if delivery.attempt == 0 {
                            ctx.health.retry_started();
                        }
                        delivery.attempt += 1;
                        log_failure(&delivery, &e);
                        let _ = tx.send(Resend {
                            topic: topic.to_owned(),
                            key: key.map(<[u8]>::to_vec),
                            value: value.to_vec(),
                            headers,
                            at: Instant::now() + backoff.delay(delivery.attempt),
                            delivery,
                        });
                        return Ok(());
                    }
                }
                // A ticket's part added above is never acknowledged: the message stays
                // unfinished and its offset uncommitted.
                Err(e)
            }
        }
    }

    /// Waits until every queued message is delivered (or failed), at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> KafkaResult<()> {
        self.producer.flush(timeout)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.resender.take() {
            let _ = h.join();
        }
    }
}

type Refused = (KafkaError, Box<Delivery>, Option<OwnedHeaders>);

/// `send`, waiting while librdkafka's local queue is full (that is backpressure, not failure;
/// the in-flight bounds keep it rare).
fn send_blocking(
    producer: &ThreadedProducer<DeliveryContext>,
    topic: &str,
    key: Option<&[u8]>,
    value: &[u8],
    headers: Option<OwnedHeaders>,
    delivery: Box<Delivery>,
) -> Result<(), Refused> {
    let mut record = BaseRecord::with_opaque_to(topic, delivery).payload(value);
    if let Some(k) = key {
        record = record.key(k);
    }
    if let Some(h) = headers {
        record = record.headers(h);
    }
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                record = r;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err((e, r)) => return Err((e, r.delivery_opaque, r.headers)),
        }
    }
}

fn resend_loop(
    producer: &ThreadedProducer<DeliveryContext>,
    rx: &Receiver<Resend>,
    stop: &AtomicBool,
    metrics: &Metrics,
) {
    while !stop.load(Ordering::Acquire) {
        let r = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Wait until it is due, still watching for shutdown.
        loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let now = Instant::now();
            if now >= r.at {
                break;
            }
            std::thread::sleep((r.at - now).min(Duration::from_millis(100)));
        }
        metrics.retries.inc();
        let Resend {
            topic,
            key,
            value,
            headers,
            delivery,
            ..
        } = r;
        if let Err((e, mut delivery, headers)) =
            send_blocking(producer, &topic, key.as_deref(), &value, headers, delivery)
        {
            // Refused locally again: back in the queue after the next backoff.
            let ctx = producer.context();
            if let Some((tx, backoff)) = &ctx.resend {
                delivery.attempt += 1;
                log_failure(&delivery, &e);
                let _ = tx.send(Resend {
                    topic,
                    key,
                    value,
                    headers,
                    at: Instant::now() + backoff.delay(delivery.attempt),
                    delivery,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;

    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay(1), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(200));
        assert_eq!(b.delay(4), Duration::from_millis(800));
        assert_eq!(b.delay(5), Duration::from_secs(1));
        assert_eq!(b.delay(1000), Duration::from_secs(1));
    }

    #[test]
    fn record_headers_name_article_version_schema() {
        let h = record_headers("a-1");
        let keys: Vec<&str> = h.iter().map(|h| h.key).collect();
        assert_eq!(keys, ["article_id", "extractor_version", "schema"]);
        assert_eq!(h.get(0).value, Some(&b"a-1"[..]));
        assert_eq!(h.get(2).value, Some(crate::RECORD_SCHEMA.as_bytes()));
    }
}
