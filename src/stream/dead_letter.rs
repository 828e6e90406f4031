//! Dead letters: a message we could not process, sent unchanged with the reason in headers.
//!
//! Headers rather than an envelope, because the value must stay byte-for-byte what the producer
//! sent: an operator fixes the producer, then replays the dead-letter topic as input.

use rdkafka::message::{Header, OwnedHeaders};

use super::message::InputMessage;

/// Header names, a public contract for tools that read the dead-letter topic.
pub const ERROR_KIND: &str = "error.kind";
pub const ERROR_MESSAGE: &str = "error.message";
pub const SOURCE_TOPIC: &str = "source.topic";
pub const SOURCE_PARTITION: &str = "source.partition";
pub const SOURCE_OFFSET: &str = "source.offset";
pub const SOURCE_TIMESTAMP: &str = "source.timestamp";

/// Why a message was dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// A short stable name (`not_json`, `missing_field`, `extract_panic`, ...): the
    /// `error.kind` header and the metrics label.
    pub kind: String,
    /// The human explanation, naming the field and the fix.
    pub message: String,
}

impl DeadLetter {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> DeadLetter {
        DeadLetter {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// The headers of the dead-letter message for `source`. `error.message` is cut to
    /// `max_message_bytes` at a character boundary; `source.timestamp` (milliseconds since the
    /// epoch) is left out when the source message had none.
    pub fn headers(&self, source: &InputMessage, max_message_bytes: usize) -> OwnedHeaders {
        let message = truncate(&self.message, max_message_bytes);
        let partition = source.partition.to_string();
        let offset = source.offset.to_string();
        let mut h = OwnedHeaders::new_with_capacity(6)
            .insert(Header {
                key: ERROR_KIND,
                value: Some(self.kind.as_str()),
            })
            .insert(Header {
                key: ERROR_MESSAGE,
                value: Some(message),
            })
            .insert(Header {
                key: SOURCE_TOPIC,
                value: Some(source.topic.as_str()),
            })
            .insert(Header {
                key: SOURCE_PARTITION,
                value: Some(partition.as_str()),
            })
            .insert(Header {
                key: SOURCE_OFFSET,
                value: Some(offset.as_str()),
            });
        if let Some(ts) = source.timestamp_ms {
            let ts = ts.to_string();
            h = h.insert(Header {
                key: SOURCE_TIMESTAMP,
                value: Some(ts.as_str()),
            });
        }
        h
    }
}

/// `s` cut to at most `max` bytes without splitting a character.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;

    use super::*;

    fn source() -> InputMessage {
        InputMessage {
            topic: "articles".into(),
            partition: 2,
            offset: 41,
            timestamp_ms: Some(1_764_000_000_000),
            key: None,
            payload: Some(b"{".to_vec()),
        }
    }

    #[test]
    fn headers_carry_reason_and_source() {
        let h = DeadLetter::new("not_json", "input is not valid JSON").headers(&source(), 1024);
        let got: Vec<(String, String)> = h
            .iter()
            .map(|h| {
                (
                    h.key.to_owned(),
                    String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("error.kind".into(), "not_json".into()),
                ("error.message".into(), "input is not valid JSON".into()),
                ("source.topic".into(), "articles".into()),
                ("source.partition".into(), "2".into()),
                ("source.offset".into(), "41".into()),
                ("source.timestamp".into(), "1764000000000".into()),
            ]
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        assert_eq!(truncate("aéb", 2), "a");
        assert_eq!(truncate("abc", 5), "abc");
        let mut s = source();
        s.timestamp_ms = None;
        let h = DeadLetter::new("k", "x".repeat(5000)).headers(&s, 10);
        assert_eq!(h.count(), 5);
        assert_eq!(h.get(1).value.map(<[u8]>::len), Some(10));
    }
}
