//! The input contract: one article, decoded from a JSON object and validated.
//!
//! Decoding is strict about what it needs (`id`, `text`) and lenient about everything else
//! (unknown fields are ignored), because producers upstream of us add fields all the time and a
//! stream must not stall on them. Every rejection is an [`ArticleError`] that names the field and
//! says what to fix; the CLI prints it with the line number, the stream service sends the message
//! to the dead-letter topic with it.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde_json::{Map, Value};

/// DecodeLimits applied while decoding. The defaults match `config/default.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest accepted `text` (or `body`), in bytes.
    pub max_text_bytes: usize,
    /// Longest accepted `id`, in bytes.
    pub max_id_bytes: usize,
    /// Longest accepted `meta` object, in bytes of compact JSON. `meta` is copied into every
    /// record of the article, so without a bound one article could make records larger than
    /// the producer may send.
    pub max_meta_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_text_bytes: 1 << 20,
            max_id_bytes: 512,
            max_meta_bytes: 16 << 10,
        }
    }
}

/// Years a `published_at` may have: RFC 3339's four-digit years. chrono alone also takes
/// `+99999-01-01` and `-0001-01-01`, which would land in records as dates no reader expects.
pub const PUBLISHED_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// A reference time: the instant an article was published, in the publication's own UTC offset.
///
/// Relative dates ("on Tuesday", "last week") are anchored on this instant, in this offset,
/// because "Tuesday" in a bulletin from Istanbul means Istanbul's Tuesday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceTime {
    /// The instant with its original offset.
    pub instant: DateTime<FixedOffset>,
    /// True when only a date was given (`2025-11-25`); the time of day is then unknown.
    pub date_only: bool,
}

impl ReferenceTime {
    /// Parses RFC 3339 (`2025-11-25T14:30:00+03:00`) or a bare date (`2025-11-25`, taken as UTC).
    /// Years outside [`PUBLISHED_YEARS`] are refused.
    pub fn parse(s: &str) -> Option<ReferenceTime> {
        use chrono::Datelike;
        Self::parse_any_year(s.trim()).filter(|r| PUBLISHED_YEARS.contains(&r.instant.year()))
    }

    fn parse_any_year(s: &str) -> Option<ReferenceTime> {
        if let Ok(instant) = DateTime::parse_from_rfc3339(s) {
            return Some(ReferenceTime {
                instant,
                date_only: false,
            });
        }
        // A space instead of `T` is common in exports ("2025-11-25 14:30:00+03:00").
        if s.len() > 10 && s.as_bytes()[10] == b' ' {
            let fixed = format!("{}T{}", &s[..10], &s[11..]);
            if let Ok(instant) = DateTime::parse_from_rfc3339(&fixed) {
                return Some(ReferenceTime {
                    instant,
                    date_only: false,
                });
            }
        }
        // `%Y` alone would also take a sign and five digits: insist on `YYYY-MM-DD`.
        let b = s.as_bytes();
        if b.len() != 10 || !b[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        let utc = FixedOffset::east_opt(0)?;
        let instant = utc
            .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .single()?;
        Some(ReferenceTime {
            instant,
            date_only: true,
        })
    }

    /// A reference time from a Kafka message timestamp (milliseconds since the epoch, UTC).
    pub fn from_millis(ms: i64) -> Option<ReferenceTime> {
        let instant = DateTime::from_timestamp_millis(ms)?.fixed_offset();
        Some(ReferenceTime {
            instant,
            date_only: false,
        })
    }

    /// The reference time as the article gave it: RFC 3339, or `YYYY-MM-DD` for a bare date.
    pub fn to_string_lossless(&self) -> String {
        if self.date_only {
            self.instant.format("%Y-%m-%d").to_string()
        } else {
            self.instant.to_rfc3339()
        }
    }
}

/// One decoded, validated article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub title: Option<String>,
    /// The body as received (plain text or HTML); spans in the output count code points of this.
    pub text: String,
    pub published_at: Option<ReferenceTime>,
    pub url: Option<String>,
    pub source: Option<String>,
    pub language: Option<String>,
    /// Copied unchanged to every record.
    pub meta: Option<Map<String, Value>>,
}

impl Article {
    /// An article with just an id and a body; handy for tests and embedding.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Article {
        Article {
            id: id.into(),
            title: None,
            text: text.into(),
            published_at: None,
            url: None,
            source: None,
            language: None,
            meta: None,
        }
    }
}

/// Why an input could not be taken as an article. Each variant names the field and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("input is not UTF-8 (invalid byte at offset {offset}); send articles as UTF-8 JSON")]
    NotUtf8 { offset: usize },
    #[error("input is empty; send one JSON object per message or line")]
    Empty,
    #[error(
        "input is {size} bytes, over the limit of {limit} for a whole article; raise `extract.max_text_bytes` or split the article"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("input is not valid JSON ({reason}); send one JSON object per message or line")]
    NotJson { reason: String },
    #[error("input is a JSON {found}, not an object; send one article object per message or line")]
    NotObject { found: &'static str },
    #[error("field `{field}` is missing; every article needs it")]
    Missing { field: &'static str },
    #[error("field `{field}` is a {found}, expected {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("field `{field}` is empty; give it a non-empty value")]
    EmptyField { field: &'static str },
    #[error("field `{field}` is {size} bytes, over the limit of {limit}")]
    FieldTooLong {
        field: &'static str,
        size: usize,
        limit: usize,
    },
    #[error(
        "field `published_at` ({value:?}) is neither RFC 3339 (2025-11-25T14:30:00+03:00) nor a date (2025-11-25) with a year from 0001 to 9999"
    )]
    BadTimestamp { value: String },
}

impl ArticleError {
    /// A short, stable name for the error kind: the dead-letter header `error.kind`
    /// and the metrics label.
    pub fn kind(&self) -> &'static str {
        match self {
            ArticleError::NotUtf8 { .. } => "not_utf8",
            ArticleError::Empty => "empty",
            ArticleError::TooLarge { .. } => "too_large",
            ArticleError::NotJson { .. } => "not_json",
            ArticleError::NotObject { .. } => "not_object",
            ArticleError::Missing { .. } => "missing_field",
            ArticleError::WrongType { .. } => "wrong_type",
            ArticleError::EmptyField { .. } => "empty_field",
            ArticleError::FieldTooLong { .. } => "field_too_long",
            ArticleError::BadTimestamp { .. } => "bad_timestamp",
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How much larger than the text limit a raw input may be before it is refused unparsed.
/// JSON escaping (`\uXXXX` is 6 bytes for one code unit) can make an acceptable text several
/// times larger on the wire, so we refuse only inputs that could not possibly decode to an
/// acceptable text; that keeps a 1 GB message from being parsed at all.
const ENVELOPE_FACTOR: usize = 6;
const ENVELOPE_SLACK: usize = 64 * 1024;

/// Decodes one article from raw bytes (a Kafka message value or a line of a file).
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Article, ArticleError> {
    let limit = limits
        .max_text_bytes
        .saturating_mul(ENVELOPE_FACTOR)
        .saturating_add(ENVELOPE_SLACK);
    if bytes.len() > limit {
        return Err(ArticleError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let s = std::str::from_utf8(bytes).map_err(|e| ArticleError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    decode_str(s, limits)
}

/// Decodes one article from a string.
pub fn decode_str(s: &str, limits: &DecodeLimits) -> Result<Article, ArticleError> {
    let trimmed = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return Err(ArticleError::Empty);
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| ArticleError::NotJson {
        reason: e.to_string(),
    })?;
    from_value(value, limits)
}

/// Validates an already parsed JSON value as an article.
pub fn from_value(value: Value, limits: &DecodeLimits) -> Result<Article, ArticleError> {
    let mut map = match value {
        Value::Object(map) => map,
        other => {
            return Err(ArticleError::NotObject {
                found: type_name(&other),
            });
        }
    };

    let id = match map.remove("id") {
        None | Some(Value::Null) => return Err(ArticleError::Missing { field: "id" }),
        Some(Value::String(s)) => s,
        // A number is refused, not turned into text: `1.0`, `1e0` and `1` are one number but
        // three strings, so the record ids (and replays' upserts) would depend on how the
        // producer happened to print it.
        Some(other) => {
            return Err(ArticleError::WrongType {
                field: "id",
                expected: "a string (quote numeric ids: \"id\": \"123\")",
                found: type_name(&other),
            });
        }
    };
    if id.trim().is_empty() {
        return Err(ArticleError::EmptyField { field: "id" });
    }
    if id.len() > limits.max_id_bytes {
        return Err(ArticleError::FieldTooLong {
            field: "id",
            size: id.len(),
            limit: limits.max_id_bytes,
        });
    }

    let text = match (map.remove("text"), map.remove("body")) {
        (Some(Value::String(s)), _) => s,
        (None | Some(Value::Null), Some(Value::String(s))) => s,
        (None | Some(Value::Null), None | Some(Value::Null)) => {
            return Err(ArticleError::Missing { field: "text" });
        }
        (Some(other), _) => {
            return Err(ArticleError::WrongType {
                field: "text",
                expected: "a string",
                found: type_name(&other),
            });
        }
        (_, Some(other)) => {
            return Err(ArticleError::WrongType {
                field: "body",
                expected: "a string",
                found: type_name(&other),
            });
        }
    };
    if text.len() > limits.max_text_bytes {
        return Err(ArticleError::FieldTooLong {
            field: "text",
            size: text.len(),
            limit: limits.max_text_bytes,
        });
    }

    let title = optional_string(&mut map, "title")?;
    if let Some(t) = &title
        && t.len() > limits.max_text_bytes
    {
        return Err(ArticleError::FieldTooLong {
            field: "title",
            size: t.len(),
            limit: limits.max_text_bytes,
        });
    }
    if text.trim().is_empty() && title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ArticleError::EmptyField { field: "text" });
    }

    let published_at = match optional_string(&mut map, "published_at")? {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(ReferenceTime::parse(&s).ok_or(ArticleError::BadTimestamp { value: s })?),
    };
    let url = optional_string(&mut map, "url")?;
    let source = optional_string(&mut map, "source")?;
    let language = optional_string(&mut map, "language")?;
    let meta = match map.remove("meta") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            let size = json_size(&m);
            if size > limits.max_meta_bytes {
                return Err(ArticleError::FieldTooLong {
                    field: "meta",
                    size,
                    limit: limits.max_meta_bytes,
                });
            }
            Some(m)
        }
        Some(other) => {
            return Err(ArticleError::WrongType {
                field: "meta",
                expected: "an object",
                found: type_name(&other),
            });
        }
    };

    Ok(Article {
        id,
        title,
        text,
        published_at,
        url,
        source,
        language,
        meta,
    })
}

/// Bytes of `m` as compact JSON, as it is copied into records, without building the text.
fn json_size(m: &Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Writing a `Map` to a counter cannot fail; a failure would only undercount.
    let _ = serde_json::to_writer(&mut c, m);
    c.0
}

fn optional_string(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, ArticleError> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ArticleError::WrongType {
            field,
            expected: "a string",
            found: type_name(&other),
        }),
    }
}

/// True when a `language` value means English (`en`, `eng`, `en-GB`, `English`...).
pub fn is_english(language: &str) -> bool {
    let l = language.trim().to_ascii_lowercase();
    l.is_empty()
        || l == "en"
        || l == "eng"
        || l == "english"
        || l.starts_with("en-")
        || l.starts_with("en_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Article, ArticleError> {
        decode(s.as_bytes(), &DecodeLimits::default())
    }

    #[test]
    fn decodes_full_article() {
        let a = dec(r#"{"id":"a1","title":"T","text":"Body.","published_at":"2025-11-25T14:30:00+03:00","url":"u","source":"s","language":"en","meta":{"k":1},"extra":true}"#).unwrap();
        assert_eq!(a.id, "a1");
        assert_eq!(a.title.as_deref(), Some("T"));
        let r = a.published_at.unwrap();
        assert_eq!(r.instant.offset().local_minus_utc(), 3 * 3600);
        assert!(!r.date_only);
        assert_eq!(a.meta.unwrap()["k"], 1);
    }

    #[test]
    fn body_alias_and_bare_date() {
        let a = dec(r#"{"id":"a","body":"x","published_at":"2025-11-25"}"#).unwrap();
        assert_eq!(a.text, "x");
        assert!(a.published_at.unwrap().date_only);
    }

    #[test]
    fn rejections_name_the_field() {
        assert_eq!(dec("").unwrap_err().kind(), "empty");
        assert_eq!(dec("{").unwrap_err().kind(), "not_json");
        assert_eq!(
            dec("[1]").unwrap_err(),
            ArticleError::NotObject { found: "array" }
        );
        assert_eq!(
            dec(r#"{"text":"x"}"#).unwrap_err(),
            ArticleError::Missing { field: "id" }
        );
        assert_eq!(
            dec(r#"{"id":"a"}"#).unwrap_err(),
            ArticleError::Missing { field: "text" }
        );
        assert_eq!(
            dec(r#"{"id":"a","text":5}"#).unwrap_err().kind(),
            "wrong_type"
        );
        assert_eq!(
            dec(r#"{"id":"a","text":"  "}"#).unwrap_err().kind(),
            "empty_field"
        );
        assert_eq!(
            dec(r#"{"id":"a","text":"x","published_at":"yesterday"}"#)
                .unwrap_err()
                .kind(),
            "bad_timestamp"
        );
        assert_eq!(
            decode(b"\xff\xfe", &DecodeLimits::default())
                .unwrap_err()
                .kind(),
            "not_utf8"
        );
        let limits = DecodeLimits {
            max_text_bytes: 10,
            max_id_bytes: 4,
            max_meta_bytes: 8,
        };
        let long = format!(r#"{{"id":"a","text":"{}"}}"#, "x".repeat(11));
        assert_eq!(
            decode(long.as_bytes(), &limits).unwrap_err().kind(),
            "field_too_long"
        );
        assert_eq!(
            decode(br#"{"id":"abcde","text":"x"}"#, &limits)
                .unwrap_err()
                .kind(),
            "field_too_long"
        );
        assert_eq!(
            decode(br#"{"id":"a","text":"x","meta":{"k":"long"}}"#, &limits).unwrap_err(),
            ArticleError::FieldTooLong {
                field: "meta",
                size: 12,
                limit: 8
            }
        );
        assert!(decode(br#"{"id":"a","text":"x","meta":{"k":1}}"#, &limits).is_ok());
    }

    /// The README's contract: `id` is a string. A number is refused with the fix.
    #[test]
    fn numeric_ids_are_refused() {
        for id in ["123", "1.0", "1e3"] {
            let e = dec(&format!(r#"{{"id":{id},"text":"x"}}"#)).unwrap_err();
            assert_eq!(e.kind(), "wrong_type", "{id}");
            assert!(e.to_string().contains(r#""id": "123""#), "{e}");
        }
    }

    /// `published_at` must have a four-digit year; chrono alone takes more.
    #[test]
    fn published_at_years_are_bounded() {
        for bad in [
            "+99999-01-01",
            "-0001-01-01",
            "0000-01-01",
            "+99999-01-01T00:00:00Z",
            "20251-01-01",
        ] {
            let line = format!(r#"{{"id":"a","text":"x","published_at":"{bad}"}}"#);
            assert_eq!(dec(&line).unwrap_err().kind(), "bad_timestamp", "{bad}");
        }
        for good in ["0001-01-01", "9999-12-31", "2025-11-25T14:30:00+03:00"] {
            let line = format!(r#"{{"id":"a","text":"x","published_at":"{good}"}}"#);
            assert!(dec(&line).is_ok(), "{good}");
        }
    }

    #[test]
    fn english_detection() {
        assert!(is_english("en-GB"));
        assert!(is_english("English"));
        assert!(!is_english("tr"));
    }
}
