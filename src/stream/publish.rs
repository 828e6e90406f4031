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
//!
//! Re-sending helps only where waiting can help. A message refused for what it *is* (too
//! large for the producer or the broker, or an invalid record: [`is_permanent`]) would be
//! refused forever and stall its partition, so it is replaced instead, never re-sent:
//!
//! * a record is never sent over the producer's `message.max.bytes`: an article with one
//!   goes to the dead-letter topic (`record_too_large`) instead of its records;
//! * a dead letter is cut to fit that limit before it is sent ([`DeadLetter::envelope`]);
//! * a record the broker refuses becomes a dead letter of its article (`record_refused`, the
//!   value omitted, the `source.*` headers pointing at the article);
//! * a dead letter the broker refuses is sent again without its value (`dead_letter.value:
//!   omitted`). Only if even that is refused is it re-sent as above: the dead-letter topic
//!   itself is then unwritable, which an operator must fix.

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

use super::dead_letter::{self, DeadLetter, Fit};
use super::health::Health;
use super::message::InputMessage;
use super::metrics::Metrics;
use super::process::{EncodedRecord, Outcome};
use super::tracker::Ticket;

/// Record header names.
pub const HEADER_ARTICLE_ID: &str = "article_id";
pub const HEADER_EXTRACTOR_VERSION: &str = "extractor_version";
pub const HEADER_SCHEMA: &str = "schema";

/// Header `replay`: `true` on every record a replay writes.
pub const HEADER_REPLAY: &str = "replay";
/// Header `replay.name`: the replay's `--name`.
pub const HEADER_REPLAY_NAME: &str = "replay.name";

/// The headers of a replayed record: the live ones (`article_id`, `extractor_version`,
/// `schema`) plus `replay=true` and `replay.name`.
pub fn replay_headers(article_id: &str, name: &str) -> OwnedHeaders {
    record_headers(article_id)
        .insert(Header {
            key: HEADER_REPLAY,
            value: Some("true"),
        })
        .insert(Header {
            key: HEADER_REPLAY_NAME,
            value: Some(name),
        })
}

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

/// True for errors that no re-send can cure: the message itself is refused (too large, or
/// not a valid record for the broker or the topic's policy).
pub fn is_permanent(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::MessageBatchTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::PolicyViolation
        )
    )
}

/// librdkafka's default `message.max.bytes`.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_000_000;

/// The producer's context: delivery reports, errors.
pub struct DeliveryContext {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    resend: Option<(Sender<Resend>, Backoff)>,
    topics: Topics,
    /// The producer's `message.max.bytes`.
    max_message_bytes: usize,
    /// Rate limit of the client's error log (a broker down repeats its error many times a
    /// second).
    errors: crate::stream::log_limit::LogLimit,
}

impl ClientContext for DeliveryContext {
    /// Producer statistics are not used (the consumer's feed the metrics); the default
    /// implementation would log each one at info.
    fn stats(&self, _statistics: rdkafka::Statistics) {}

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.health.set_brokers_down(true);
        }
        if let Some(repeats) = self.errors.admit(&error.to_string()) {
            warn!(%error, reason, repeats, "producer");
        }
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
                if !purged && is_permanent(e) && self.resend.is_some() {
                    let headers = msg.headers().map(|h| h.detach());
                    let key = msg.key().map(<[u8]>::to_vec);
                    let value_len = msg.payload().map_or(0, <[u8]>::len);
                    match self.replacement(e, delivery, key, value_len, headers) {
                        Ok(r) => {
                            if let Some((tx, _)) = &self.resend {
                                let _ = tx.send(r);
                            }
                            return;
                        }
                        Err(d) => delivery = d,
                    }
                }
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

impl DeliveryContext {
    /// What to send instead of a message refused for good (see the module docs): a dead
    /// letter of a record's article, or a dead letter without its value. `Err` gives the
    /// delivery back when there is nothing smaller to send (a dead letter already without
    /// its value, or a record without a ticket to name its source): it is then re-sent as
    /// any failure is.
    fn replacement(
        &self,
        e: &KafkaError,
        delivery: Box<Delivery>,
        key: Option<Vec<u8>>,
        value_len: usize,
        headers: Option<OwnedHeaders>,
    ) -> Result<Resend, Box<Delivery>> {
        let (dead, source, value_bytes) = match &delivery.sent {
            Sent::Record => {
                let Some(t) = &delivery.ticket else {
                    return Err(delivery);
                };
                let record_id = key
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                let dead = DeadLetter::new(
                    "record_refused",
                    format!(
                        "the broker refused record {record_id} of this article ({e}); the article is at source.topic / source.partition / source.offset. Raise the topic's max.message.bytes, or lower extract.max_text_bytes or extract.max_meta_bytes"
                    ),
                );
                let source = InputMessage {
                    topic: t.tp.topic.to_string(),
                    partition: t.tp.partition,
                    offset: t.offset,
                    timestamp_ms: t.timestamp_ms,
                    key: None,
                    payload: None,
                    headers: Vec::new(),
                };
                // The ticket knows the size of the message as consumed (value, key and
                // headers): close enough to say how much the reader should expect.
                (dead, source, t.bytes)
            }
            Sent::DeadLetter { kind } => {
                let Some(headers) = headers else {
                    return Err(delivery);
                };
                let Some(sent) = dead_letter::Sent::read(&headers) else {
                    return Err(delivery);
                };
                if sent.fit == Fit::Omitted {
                    return Err(delivery);
                }
                let mut message = sent.message;
                message.push_str(&format!(
                    " (the dead letter was refused by the broker: {e}; its value is omitted, the original is at source.offset)"
                ));
                let source = InputMessage {
                    topic: sent.topic,
                    partition: sent.partition,
                    offset: sent.offset,
                    timestamp_ms: sent.timestamp_ms,
                    key,
                    payload: None,
                    headers: Vec::new(),
                };
                let value_bytes = sent.value_bytes.unwrap_or(value_len);
                (DeadLetter::new(kind.clone(), message), source, value_bytes)
            }
        };
        warn!(error = %e, kind = %dead.kind, "a message was refused for good; sending a dead letter without the value instead");
        if delivery.attempt > 0 {
            // It was counted as re-sending; the replacement is a new message.
            self.health.retry_finished();
        }
        let env = dead.envelope_of(
            &source,
            value_bytes,
            self.topics.max_error_message_bytes,
            self.max_message_bytes,
            Fit::Omitted,
        );
        Ok(Resend {
            topic: self.topics.dead_letter.clone(),
            key: env.key.map(<[u8]>::to_vec),
            value: Vec::new(),
            headers: Some(env.headers),
            at: Instant::now(),
            delivery: Box::new(Delivery {
                ticket: delivery.ticket,
                sent: Sent::DeadLetter { kind: dead.kind },
                attempt: 0,
            }),
        })
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
    /// The producer's `message.max.bytes`: no record or dead letter is sent over it.
    max_message_bytes: usize,
    retrying: bool,
    /// Set for a replay's publisher: its name, for the replay headers of every record.
    replay_name: Option<Arc<str>>,
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
        let max_message_bytes = config
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        let context = DeliveryContext {
            metrics: Arc::clone(&metrics),
            health,
            resend: backoff.map(|b| (tx, b)),
            topics: topics.clone(),
            max_message_bytes,
            errors: crate::stream::log_limit::LogLimit::new(Duration::from_secs(10)),
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
            max_message_bytes,
            retrying: backoff.is_some(),
            replay_name: None,
            stop,
            resender,
        })
    }

    /// Marks every record this publisher sends as written by the replay `name`
    /// ([`replay_headers`]).
    pub fn for_replay(mut self, name: &str) -> Publisher {
        self.replay_name = Some(Arc::from(name));
        self
    }

    /// The headers of one of `article_id`'s records.
    fn headers_of(&self, article_id: &str) -> OwnedHeaders {
        match &self.replay_name {
            Some(name) => replay_headers(article_id, name),
            None => record_headers(article_id),
        }
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
                if let Some(dead) = self.oversized(records) {
                    self.send_dead_letter(source, &dead, ticket)?;
                    return Ok(1);
                }
                for r in records {
                    self.send_record(&self.topics.output, r, self.headers_of(article_id), ticket)?;
                }
                Ok(records.len())
            }
            Outcome::DeadLetter(d) => {
                self.send_dead_letter(source, d, ticket)?;
                Ok(1)
            }
        }
    }

    /// The dead letter for an article one of whose `records` is over the producer's
    /// `message.max.bytes` (a sentence as long as the text, say): its records are then not
    /// sent at all, rather than some of them.
    pub fn oversized(&self, records: &[EncodedRecord]) -> Option<DeadLetter> {
        // Record headers: the article id (at most `extract.max_id_bytes`), version, schema.
        const HEADERS: usize = 1024;
        let limit = self.max_message_bytes.saturating_sub(HEADERS);
        let r = records
            .iter()
            .find(|r| r.id.len() + r.value.len() > limit)?;
        Some(DeadLetter::new(
            "record_too_large",
            format!(
                "record {} of this article is {} bytes, over the producer's message.max.bytes ({}); no record of it was sent. Lower extract.max_text_bytes, or raise message.max.bytes under [kafka.producer] and the topic's max.message.bytes",
                r.id,
                r.value.len(),
                self.max_message_bytes
            ),
        ))
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

    /// Sends `source` (key, value and headers, unchanged when they fit the producer's limit;
    /// see [`DeadLetter::envelope`]) to the dead-letter topic with the reason.
    pub fn send_dead_letter(
        &self,
        source: &InputMessage,
        dead: &DeadLetter,
        ticket: Option<&Arc<Ticket>>,
    ) -> KafkaResult<()> {
        let env = dead.envelope(
            source,
            self.topics.max_error_message_bytes,
            self.max_message_bytes,
            Fit::Whole,
        );
        if env.fit != Fit::Whole {
            warn!(
                kind = %dead.kind,
                bytes = source.value().len(),
                limit = self.max_message_bytes,
                "a dead letter is over the producer's message.max.bytes; its value is cut to fit (header dead_letter.value)"
            );
        }
        self.send(
            &self.topics.dead_letter,
            env.key,
            env.value,
            env.headers,
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
                // Refused before reaching the queue. In re-send mode it is handled like a
                // failed delivery (replaced if permanent); otherwise the caller decides (the
                // transaction aborts).
                if self.retrying {
                    let ctx = self.producer.context();
                    if let Some((tx, backoff)) = &ctx.resend {
                        let delivery = if is_permanent(&e) {
                            match ctx.replacement(
                                &e,
                                delivery,
                                key.map(<[u8]>::to_vec),
                                value.len(),
                                headers.as_ref().map(|h| h.as_borrowed().detach()),
                            ) {
                                Ok(r) => {
                                    let _ = tx.send(r);
                                    return Ok(());
                                }
                                Err(d) => d,
                            }
                        } else {
                            delivery
                        };
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
        if let Err((e, delivery, headers)) =
            send_blocking(producer, &topic, key.as_deref(), &value, headers, delivery)
        {
            let ctx = producer.context();
            // Refused for good: replaced (see the module docs).
            let mut delivery = if is_permanent(&e) {
                match ctx.replacement(
                    &e,
                    delivery,
                    key.clone(),
                    value.len(),
                    headers.as_ref().map(|h| h.as_borrowed().detach()),
                ) {
                    Ok(r) => {
                        if let Some((tx, _)) = &ctx.resend {
                            let _ = tx.send(r);
                        }
                        continue;
                    }
                    Err(d) => d,
                }
            } else {
                delivery
            };
            // Refused locally again: back in the queue after the next backoff.
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

    /// An article with a record over the producer's `message.max.bytes` sends none of its
    /// records: it becomes a `record_too_large` dead letter (sent, it would be refused
    /// forever).
    #[test]
    fn records_over_the_producer_limit_are_refused_whole() {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", "127.0.0.1:1")
            .set("message.max.bytes", "5000");
        let topics = Topics {
            output: "o".into(),
            dead_letter: "d".into(),
            max_error_message_bytes: 1024,
        };
        let p = Publisher::new(
            &c,
            topics,
            None,
            Arc::new(Metrics::new()),
            Arc::new(Health::new()),
        )
        .unwrap();
        let small = EncodedRecord {
            id: "a".into(),
            value: vec![b'x'; 100],
        };
        let big = EncodedRecord {
            id: "b".into(),
            value: vec![b'x'; 4500],
        };
        assert_eq!(p.oversized(std::slice::from_ref(&small)), None);
        let d = p.oversized(&[small, big]).unwrap();
        assert_eq!(d.kind, "record_too_large");
        assert!(d.message.contains("record b"), "{}", d.message);
    }

    #[test]
    fn permanent_errors_are_those_of_the_message_itself() {
        use rdkafka::error::KafkaError::MessageProduction;
        assert!(is_permanent(&MessageProduction(
            RDKafkaErrorCode::MessageSizeTooLarge
        )));
        assert!(is_permanent(&MessageProduction(
            RDKafkaErrorCode::InvalidRecord
        )));
        assert!(!is_permanent(&MessageProduction(
            RDKafkaErrorCode::QueueFull
        )));
        assert!(!is_permanent(&MessageProduction(
            RDKafkaErrorCode::NotLeaderForPartition
        )));
        assert!(!is_permanent(&MessageProduction(
            RDKafkaErrorCode::UnknownTopicOrPartition
        )));
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
