//! Small helpers to load JSON lines into a topic and to read a topic back: the embedded demo,
//! the tests and the bench use them. (The service itself does not.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Headers, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::KafkaConfig;

use super::kafka;

/// Produces each of `values` to `topic`, keyed by `key(value)`, and waits for every
/// acknowledgement. Returns how many were written.
pub async fn produce_all<'a, I, K>(
    kafka_config: &KafkaConfig,
    topic: &str,
    values: I,
    key: K,
) -> KafkaResult<usize>
where
    I: IntoIterator<Item = &'a [u8]>,
    K: Fn(&[u8]) -> Option<String>,
{
    let producer: FutureProducer = kafka::producer_config(kafka_config, None).create()?;
    let mut pending = Vec::new();
    for v in values {
        let k = key(v);
        let mut rec = FutureRecord::to(topic).payload(v);
        if let Some(k) = k.as_deref() {
            rec = rec.key(k);
        }
        // send_result only fails when the local queue is full; wait for room then.
        let mut rec = rec;
        loop {
            match producer.send_result(rec) {
                Ok(f) => {
                    pending.push(f);
                    break;
                }
                Err((
                    KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull),
                    r,
                )) => {
                    rec = r;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }
    let n = pending.len();
    for f in pending {
        match f.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => return Err(e),
            Err(_) => return Err(KafkaError::Canceled),
        }
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(n)
}

/// The `id` field of a JSON article, for use as its key.
pub fn article_key(value: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<serde_json::Value>,
    }
    let id = serde_json::from_slice::<Id>(value).ok()?.id?;
    match id {
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// One message read back, with its headers as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMessage {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
}

impl ReadMessage {
    fn from_owned(m: &OwnedMessage) -> ReadMessage {
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        ReadMessage {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The reader's context: end-of-partition is expected here, not an error worth logging.
pub struct ReaderContext;

impl ClientContext for ReaderContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let eof = matches!(error, KafkaError::PartitionEOF(_))
            || error.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::PartitionEOF);
        if !eof {
            tracing::warn!(%error, reason, "topic reader");
        }
    }
}

impl ConsumerContext for ReaderContext {}

/// A reader of one topic from its beginning, outside any consumer group.
pub struct TopicReader {
    consumer: BaseConsumer<ReaderContext>,
    topic: String,
    partitions: Vec<i32>,
    read_committed: bool,
}

impl TopicReader {
    /// Assigns every partition of `topic` from the beginning. `read_committed` hides records
    /// of aborted or open transactions.
    pub fn new(
        kafka_config: &KafkaConfig,
        topic: &str,
        read_committed: bool,
    ) -> KafkaResult<TopicReader> {
        TopicReader::of_partitions(kafka_config, topic, None, read_committed)
    }

    /// Assigns `partitions` of `topic` (every partition when `None`) from the beginning.
    pub fn of_partitions(
        kafka_config: &KafkaConfig,
        topic: &str,
        partitions: Option<&[i32]>,
        read_committed: bool,
    ) -> KafkaResult<TopicReader> {
        let mut config = kafka::reader_config(kafka_config, read_committed);
        // End-of-partition events tell `read_to_end` it is done even when the last offsets
        // are transaction markers, which are never delivered (read_committed only).
        config.set("enable.partition.eof", "true");
        let consumer: BaseConsumer<ReaderContext> = config.create_with_context(ReaderContext)?;
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        let partitions: Vec<i32> = md
            .topics()
            .iter()
            .filter(|t| t.name() == topic)
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .filter(|p| partitions.is_none_or(|wanted| wanted.contains(p)))
            .collect();
        let mut tpl = TopicPartitionList::new();
        for p in &partitions {
            tpl.add_partition_offset(topic, *p, Offset::Beginning)?;
        }
        consumer.assign(&tpl)?;
        Ok(TopicReader {
            consumer,
            topic: topic.to_owned(),
            partitions,
            read_committed,
        })
    }

    /// The next message, waiting at most `timeout`.
    pub fn poll(&self, timeout: Duration) -> Option<KafkaResult<ReadMessage>> {
        self.consumer
            .poll(Timeout::After(timeout))
            .map(|r| r.map(|m| ReadMessage::from_owned(&m.detach())))
    }

    /// The high watermark of every partition (one past the last offset).
    pub fn high_watermarks(&self) -> KafkaResult<HashMap<i32, i64>> {
        let mut out = HashMap::new();
        for p in &self.partitions {
            let (_, high) =
                self.consumer
                    .fetch_watermarks(&self.topic, *p, Duration::from_secs(10))?;
            out.insert(*p, high);
        }
        Ok(out)
    }

    /// Everything in the topic now: up to the current high watermarks, then until nothing new
    /// arrives for a moment, because tansu 0.6 reports the base offset of the last batch as
    /// the high watermark, one batch short.
    pub fn read_to_end(&self, timeout: Duration) -> KafkaResult<Vec<ReadMessage>> {
        const SETTLE: Duration = Duration::from_millis(500);
        let ends = self.high_watermarks()?;
        let mut next: HashMap<i32, i64> = self.partitions.iter().map(|p| (*p, 0)).collect();
        let mut out = Vec::new();
        let deadline = Instant::now() + timeout;
        let reached = |next: &HashMap<i32, i64>| {
            ends.iter()
                .all(|(p, end)| next.get(p).copied().unwrap_or(0) >= *end)
        };
        let mut last_seen = Instant::now();
        loop {
            if reached(&next) && last_seen.elapsed() >= SETTLE {
                return Ok(out);
            }
            if Instant::now() >= deadline {
                return Err(KafkaError::Canceled);
            }
            match self.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    next.insert(m.partition, m.offset + 1);
                    out.push(m);
                    last_seen = Instant::now();
                }
                // Only trusted for read_committed, where the last offsets may be transaction
                // markers that are never delivered.
                Some(Err(KafkaError::PartitionEOF(p))) if self.read_committed => {
                    if let Some(end) = ends.get(&p) {
                        let n = next.entry(p).or_insert(0);
                        *n = (*n).max(*end);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(e)) => tracing::debug!(error = %e, "reading topic"),
                None => {}
            }
        }
    }
}

/// Reads every message currently in `topic` (up to the high watermarks at the call).
pub fn read_all(
    kafka_config: &KafkaConfig,
    topic: &str,
    read_committed: bool,
    timeout: Duration,
) -> KafkaResult<Vec<ReadMessage>> {
    TopicReader::new(kafka_config, topic, read_committed)?.read_to_end(timeout)
}
