//! An owned copy of one consumed Kafka message.
//!
//! librdkafka's borrowed messages live only until the next poll, while extraction runs on worker
//! threads for milliseconds; so the fields we need are copied out once, here.

use rdkafka::Message;
use rdkafka::message::Headers;

/// One header of a consumed message: name and value (`None` for a null value).
pub type Header = (String, Option<Vec<u8>>);

/// One input message, detached from the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// Message timestamp (create or log-append time), milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    /// The value; `None` for a tombstone.
    pub payload: Option<Vec<u8>>,
    /// The message's headers, in order: a dead letter carries them on (tracing ids, content
    /// types and the like are what an operator needs to find the producer at fault).
    pub headers: Vec<Header>,
}

impl InputMessage {
    /// Copies the fields of any rdkafka message.
    pub fn from_kafka<M: Message>(m: &M) -> InputMessage {
        InputMessage {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec),
            headers: m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Bytes held in memory for this message (counts against `max_in_flight_bytes`).
    pub fn size(&self) -> usize {
        self.payload.as_ref().map_or(0, Vec::len)
            + self.key.as_ref().map_or(0, Vec::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
                .sum::<usize>()
    }

    /// The value, or empty for a tombstone.
    pub fn value(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or_default()
    }
}
