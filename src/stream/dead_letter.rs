//! Dead letters: a message we could not process, sent unchanged with the reason in headers.
//!
//! Headers rather than an envelope, because the value must stay byte-for-byte what the producer
//! sent: an operator fixes the producer, then replays the dead-letter topic as input.
//!
//! The one exception is size. A dead letter must fit the producer's `message.max.bytes`, or it
//! could never be sent and would stall its partition forever (a message over the limit is
//! exactly the kind of input that gets dead-lettered). So [`DeadLetter::envelope`] sends the
//! value whole when it fits, else its first bytes ([`Fit::Truncated`]), and a dead letter the
//! broker itself refuses as too large is sent again with no value at all ([`Fit::Omitted`]).
//! Either way the `dead_letter.value` and `source.value_bytes` headers say so, and
//! `source.topic` / `source.partition` / `source.offset` point at the whole original.
//! The source message's own headers follow ours; one whose name is one of ours is renamed
//! `original.<name>` so that a reader looking a header up by name finds ours.

use rdkafka::message::{Header, Headers, OwnedHeaders};

use super::message::InputMessage;

/// Header names, a public contract for tools that read the dead-letter topic.
pub const ERROR_KIND: &str = "error.kind";
pub const ERROR_MESSAGE: &str = "error.message";
pub const SOURCE_TOPIC: &str = "source.topic";
pub const SOURCE_PARTITION: &str = "source.partition";
pub const SOURCE_OFFSET: &str = "source.offset";
pub const SOURCE_TIMESTAMP: &str = "source.timestamp";
/// `truncated` or `omitted` when the value is not the source's whole value; absent when it is.
pub const DEAD_LETTER_VALUE: &str = "dead_letter.value";
/// Size in bytes of the source message's value, when the dead letter does not carry all of it.
pub const SOURCE_VALUE_BYTES: &str = "source.value_bytes";
/// How many of the source's headers were left out to make the dead letter fit.
pub const SOURCE_HEADERS_DROPPED: &str = "source.headers_dropped";

/// Bytes kept free under `message.max.bytes` for what librdkafka adds to a message when it
/// checks the limit (header counts and length prefixes) and for our estimate's slack.
const SIZE_MARGIN: usize = 512;
/// Longest key a dead letter keeps when it has to shrink: keys are ids, and one this long is
/// itself the problem.
const MAX_SHRUNK_KEY: usize = 256;

/// How much of the source value a dead letter carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The whole value, unchanged.
    Whole,
    /// Its first bytes: all that fit under the producer's limit.
    Truncated,
    /// None: the broker refused even the truncated one as too large.
    Omitted,
}

impl Fit {
    fn header(self) -> Option<&'static str> {
        match self {
            Fit::Whole => None,
            Fit::Truncated => Some("truncated"),
            Fit::Omitted => Some("omitted"),
        }
    }
}

/// A dead letter ready to send: what to send and how much of the source it kept.
#[derive(Debug)]
pub struct Envelope<'a> {
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    pub headers: OwnedHeaders,
    pub fit: Fit,
}

/// Bytes a header adds to a message, as librdkafka counts them (name, value and two length
/// prefixes, taken at their widest).
fn header_size(key: &str, value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + 10
}

/// Header names the dead-letter contract uses; a source header with one of these names is
/// renamed `original.<name>`.
fn is_ours(key: &str) -> bool {
    key.starts_with("error.") || key.starts_with("source.") || key.starts_with("dead_letter.")
}

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

    /// The dead letter of `source`, made to fit a producer whose `message.max.bytes` is
    /// `max_message_bytes` (see the module docs). `fit` is the least that may be kept: pass
    /// [`Fit::Omitted`] after the broker refused a dead letter as too large.
    pub fn envelope<'a>(
        &self,
        source: &'a InputMessage,
        max_error_message_bytes: usize,
        max_message_bytes: usize,
        fit: Fit,
    ) -> Envelope<'a> {
        self.envelope_of(
            source,
            source.value().len(),
            max_error_message_bytes,
            max_message_bytes,
            fit,
        )
    }

    /// [`DeadLetter::envelope`] of a source whose value was `value_bytes` long: a dead letter
    /// sent again without its value no longer has the value, only its size.
    pub fn envelope_of<'a>(
        &self,
        source: &'a InputMessage,
        value_bytes: usize,
        max_error_message_bytes: usize,
        max_message_bytes: usize,
        fit: Fit,
    ) -> Envelope<'a> {
        let ours = self.headers(source, max_error_message_bytes);
        let mut ours_size: usize = ours.iter().map(|h| header_size(h.key, h.value)).sum();
        // The headers that say what was cut, should they be needed.
        ours_size += header_size(DEAD_LETTER_VALUE, Some(b"truncated"))
            + header_size(SOURCE_VALUE_BYTES, Some(b"18446744073709551615"))
            + header_size(SOURCE_HEADERS_DROPPED, Some(b"18446744073709551615"));
        let budget = max_message_bytes.saturating_sub(SIZE_MARGIN + ours_size);
        let value = source.value();
        let originals_size: usize = source
            .headers
            .iter()
            .map(|(k, v)| header_size(k, v.as_deref()) + "original.".len())
            .sum();
        let mut key = source.key.as_deref();
        let key_len = |k: Option<&[u8]>| k.map_or(0, <[u8]>::len);

        let whole = fit == Fit::Whole && key_len(key) + value.len() + originals_size <= budget;
        let (fit, keep_originals) = if whole {
            (Fit::Whole, true)
        } else {
            if key_len(key) > MAX_SHRUNK_KEY {
                key = None;
            }
            let keep = fit != Fit::Omitted && key_len(key) + originals_size <= budget;
            (fit.max_with(Fit::Truncated), keep)
        };
        let room = budget
            .saturating_sub(key_len(key))
            .saturating_sub(if keep_originals { originals_size } else { 0 });
        let value = match fit {
            Fit::Whole => value,
            Fit::Truncated => &value[..value.len().min(room)],
            Fit::Omitted => &[],
        };

        let mut headers = ours;
        if let Some(v) = fit.header() {
            headers = headers
                .insert(Header {
                    key: DEAD_LETTER_VALUE,
                    value: Some(v),
                })
                .insert(Header {
                    key: SOURCE_VALUE_BYTES,
                    value: Some(value_bytes.to_string().as_str()),
                });
        }
        if keep_originals {
            for (k, v) in &source.headers {
                let renamed;
                let name = if is_ours(k) {
                    renamed = format!("original.{k}");
                    renamed.as_str()
                } else {
                    k.as_str()
                };
                headers = headers.insert(Header {
                    key: name,
                    value: v.as_deref(),
                });
            }
        } else if !source.headers.is_empty() {
            headers = headers.insert(Header {
                key: SOURCE_HEADERS_DROPPED,
                value: Some(source.headers.len().to_string().as_str()),
            });
        }
        Envelope {
            key,
            value,
            headers,
            fit,
        }
    }

    /// Our headers of the dead-letter message for `source` (the contract above, without the
    /// source's own headers). `error.message` is cut to `max_message_bytes` at a character
    /// boundary; `source.timestamp` (milliseconds since the epoch) is left out when the source
    /// message had none.
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

/// What our headers of a dead letter already sent say: enough to send it again smaller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub kind: String,
    pub message: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    /// The source value's size, when the dead letter did not carry all of it.
    pub value_bytes: Option<usize>,
    pub fit: Fit,
}

impl Sent {
    /// Reads our headers back; `None` when they are not a dead letter's.
    pub fn read(headers: &OwnedHeaders) -> Option<Sent> {
        let get = |key: &str| {
            headers
                .iter()
                .find(|h| h.key == key)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        Some(Sent {
            kind: get(ERROR_KIND)?,
            message: get(ERROR_MESSAGE).unwrap_or_default(),
            topic: get(SOURCE_TOPIC)?,
            partition: get(SOURCE_PARTITION)?.parse().ok()?,
            offset: get(SOURCE_OFFSET)?.parse().ok()?,
            timestamp_ms: get(SOURCE_TIMESTAMP).and_then(|t| t.parse().ok()),
            value_bytes: get(SOURCE_VALUE_BYTES).and_then(|t| t.parse().ok()),
            fit: match get(DEAD_LETTER_VALUE).as_deref() {
                Some("omitted") => Fit::Omitted,
                Some("truncated") => Fit::Truncated,
                _ => Fit::Whole,
            },
        })
    }
}

impl Fit {
    /// The one that keeps less.
    fn max_with(self, other: Fit) -> Fit {
        let rank = |f: Fit| match f {
            Fit::Whole => 0,
            Fit::Truncated => 1,
            Fit::Omitted => 2,
        };
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
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
    use super::*;

    fn source() -> InputMessage {
        InputMessage {
            topic: "articles".into(),
            partition: 2,
            offset: 41,
            timestamp_ms: Some(1_764_000_000_000),
            key: None,
            payload: Some(b"{".to_vec()),
            headers: Vec::new(),
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

    fn header(h: &OwnedHeaders, key: &str) -> Option<String> {
        h.iter()
            .find(|h| h.key == key)
            .map(|h| String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())
    }

    fn size(e: &Envelope<'_>) -> usize {
        e.key.map_or(0, <[u8]>::len)
            + e.value.len()
            + e.headers
                .iter()
                .map(|h| header_size(h.key, h.value))
                .sum::<usize>()
    }

    #[test]
    fn a_small_dead_letter_is_whole_with_the_source_headers() {
        let mut s = source();
        s.key = Some(b"k".to_vec());
        s.headers = vec![
            ("trace-id".into(), Some(b"abc".to_vec())),
            ("error.kind".into(), Some(b"upstream".to_vec())),
            ("empty".into(), None),
        ];
        let e = DeadLetter::new("not_json", "bad").envelope(&s, 1024, 1_000_000, Fit::Whole);
        assert_eq!(e.fit, Fit::Whole);
        assert_eq!(e.value, b"{");
        assert_eq!(e.key, Some(&b"k"[..]));
        assert_eq!(header(&e.headers, "trace-id").as_deref(), Some("abc"));
        assert_eq!(
            header(&e.headers, "error.kind").as_deref(),
            Some("not_json")
        );
        assert_eq!(
            header(&e.headers, "original.error.kind").as_deref(),
            Some("upstream")
        );
        assert!(
            e.headers
                .iter()
                .any(|h| h.key == "empty" && h.value.is_none())
        );
        assert_eq!(header(&e.headers, DEAD_LETTER_VALUE), None);
    }

    /// A message over the producer's limit (the very input that gets dead-lettered for its
    /// size) is cut to fit, and says so; it never exceeds the limit.
    #[test]
    fn an_oversized_dead_letter_is_truncated_to_fit() {
        let mut s = source();
        s.payload = Some(vec![b'x'; 2_000_000]);
        s.key = Some(b"id-1".to_vec());
        s.headers = vec![("trace-id".into(), Some(b"abc".to_vec()))];
        let limit = 1_000_000;
        let e = DeadLetter::new("too_large", "big").envelope(&s, 1024, limit, Fit::Whole);
        assert_eq!(e.fit, Fit::Truncated);
        assert!(size(&e) <= limit - SIZE_MARGIN, "{}", size(&e));
        assert!(e.value.len() > 990_000, "{}", e.value.len());
        assert_eq!(
            header(&e.headers, DEAD_LETTER_VALUE).as_deref(),
            Some("truncated")
        );
        assert_eq!(
            header(&e.headers, SOURCE_VALUE_BYTES).as_deref(),
            Some("2000000")
        );
        assert_eq!(header(&e.headers, "trace-id").as_deref(), Some("abc"));
        assert_eq!(header(&e.headers, SOURCE_OFFSET).as_deref(), Some("41"));
    }

    #[test]
    fn huge_keys_and_headers_are_dropped_rather_than_stall() {
        let mut s = source();
        s.payload = Some(vec![b'x'; 10]);
        s.key = Some(vec![b'k'; 600_000]);
        s.headers = vec![("big".into(), Some(vec![b'h'; 600_000]))];
        let limit = 100_000;
        let e = DeadLetter::new("too_large", "big").envelope(&s, 1024, limit, Fit::Whole);
        assert_eq!(e.fit, Fit::Truncated);
        assert_eq!(e.key, None);
        assert_eq!(e.value, &b"xxxxxxxxxx"[..]);
        assert_eq!(
            header(&e.headers, SOURCE_HEADERS_DROPPED).as_deref(),
            Some("1")
        );
        assert!(size(&e) <= limit - SIZE_MARGIN);
    }

    #[test]
    fn sent_headers_read_back() {
        let mut s = source();
        s.payload = Some(vec![b'x'; 50]);
        let e = DeadLetter::new("too_large", "big").envelope(&s, 1024, 1000, Fit::Whole);
        let sent = Sent::read(&e.headers).unwrap();
        assert_eq!(sent.kind, "too_large");
        assert_eq!(
            (sent.topic.as_str(), sent.partition, sent.offset),
            ("articles", 2, 41)
        );
        assert_eq!(sent.fit, Fit::Whole);
        assert_eq!(sent.value_bytes, None);
        assert_eq!(Sent::read(&OwnedHeaders::new()), None);
    }

    #[test]
    fn omitted_keeps_only_the_reference() {
        let mut s = source();
        s.headers = vec![("trace-id".into(), Some(b"abc".to_vec()))];
        let e = DeadLetter::new("too_large", "big").envelope(&s, 1024, 1_000_000, Fit::Omitted);
        assert_eq!(e.fit, Fit::Omitted);
        assert!(e.value.is_empty());
        assert_eq!(
            header(&e.headers, DEAD_LETTER_VALUE).as_deref(),
            Some("omitted")
        );
        assert_eq!(header(&e.headers, SOURCE_VALUE_BYTES).as_deref(), Some("1"));
        assert_eq!(
            header(&e.headers, SOURCE_TOPIC).as_deref(),
            Some("articles")
        );
        assert_eq!(header(&e.headers, "trace-id"), None);
    }
}
