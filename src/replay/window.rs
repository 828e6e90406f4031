//! What a replay selects: where each partition starts, where it ends, and which messages in
//! between belong to the time window.
//!
//! Offsets and time are kept apart on purpose. Offsets say which part of the log is *read*
//! (`--from-offsets`, `--to-offsets`, the start found from `--from`); the time window says
//! which of the messages read are *replayed*, judged by each message's own timestamp, because
//! producer timestamps are not ordered within a partition and no offset bound can stand in for
//! a time bound.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A half-open time window `[from, to)` in milliseconds since the epoch; either side may be
/// open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First instant in the window (inclusive).
    pub from_ms: Option<i64>,
    /// First instant after the window (exclusive).
    pub to_ms: Option<i64>,
}

impl TimeWindow {
    /// The window between two instants (either may be open).
    pub fn new(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> TimeWindow {
        TimeWindow {
            from_ms: from.map(|t| t.timestamp_millis()),
            to_ms: to.map(|t| t.timestamp_millis()),
        }
    }

    /// True when no side is bounded: every message belongs.
    pub fn is_unbounded(&self) -> bool {
        self.from_ms.is_none() && self.to_ms.is_none()
    }

    /// Whether a message with timestamp `ts` (ms) belongs. A message without a timestamp
    /// cannot be placed in time, so it belongs only to an unbounded window.
    pub fn contains(&self, ts: Option<i64>) -> bool {
        if self.is_unbounded() {
            return true;
        }
        let Some(ts) = ts else {
            return false;
        };
        self.from_ms.is_none_or(|f| ts >= f) && self.to_ms.is_none_or(|t| ts < t)
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |ms: Option<i64>| match ms.and_then(DateTime::<Utc>::from_timestamp_millis) {
            Some(t) => t.to_rfc3339(),
            None => "…".to_owned(),
        };
        write!(f, "[{}, {})", side(self.from_ms), side(self.to_ms))
    }
}

/// Offsets per partition from `--from-offsets` / `--to-offsets`: `p:o` applies to partition
/// `p` of every input topic, `topic:p:o` to one topic only (topic names cannot contain `:`).
/// Stored in the checkpoint in that same written form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct OffsetSpec {
    /// `(topic or None for every topic, partition) -> offset`.
    entries: BTreeMap<(Option<String>, i32), i64>,
}

/// Why an offsets list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "offsets {input:?}: {problem}; write partition:offset pairs separated by commas, e.g. 0:1200,1:980 (or topic:partition:offset)"
)]
pub struct OffsetSpecError {
    input: String,
    problem: String,
}

impl OffsetSpec {
    /// Parses `0:100,1:250` or `articles:0:100`.
    pub fn parse(s: &str) -> Result<OffsetSpec, OffsetSpecError> {
        let err = |problem: String| OffsetSpecError {
            input: s.to_owned(),
            problem,
        };
        let mut entries = BTreeMap::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let mut parts = item.rsplitn(3, ':');
            let (Some(offset), Some(partition)) = (parts.next(), parts.next()) else {
                return Err(err(format!("`{item}` is not partition:offset")));
            };
            let topic = parts.next().map(str::to_owned);
            if topic.as_deref().is_some_and(str::is_empty) {
                return Err(err(format!("`{item}` has an empty topic name")));
            }
            let partition: i32 = partition
                .trim()
                .parse()
                .map_err(|_| err(format!("partition `{partition}` is not a number")))?;
            let offset: i64 = offset
                .trim()
                .parse()
                .map_err(|_| err(format!("offset `{offset}` is not a number")))?;
            if partition < 0 || offset < 0 {
                return Err(err(format!("`{item}` is negative")));
            }
            if entries.insert((topic, partition), offset).is_some() {
                return Err(err(format!("partition in `{item}` is given twice")));
            }
        }
        if entries.is_empty() {
            return Err(err("no offsets given".into()));
        }
        Ok(OffsetSpec { entries })
    }

    /// The offset given for `topic`/`partition`: a topic-specific entry wins over a general one.
    pub fn get(&self, topic: &str, partition: i32) -> Option<i64> {
        self.entries
            .get(&(Some(topic.to_owned()), partition))
            .or_else(|| self.entries.get(&(None, partition)))
            .copied()
    }

    /// Topic names given explicitly (to check they are input topics).
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().filter_map(|(t, _)| t.as_deref())
    }
}

impl fmt::Display for OffsetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, ((topic, partition), offset)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if let Some(t) = topic {
                write!(f, "{t}:")?;
            }
            write!(f, "{partition}:{offset}")?;
        }
        Ok(())
    }
}

impl From<OffsetSpec> for String {
    fn from(s: OffsetSpec) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for OffsetSpec {
    type Error = OffsetSpecError;

    fn try_from(s: String) -> Result<OffsetSpec, OffsetSpecError> {
        OffsetSpec::parse(&s)
    }
}

/// Where each partition starts reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "offsets")]
pub enum Start {
    /// The oldest message still in the partition (`--from-beginning`).
    Beginning,
    /// Found from the window's start time (`--from`): the broker's offsets-for-times answer
    /// when it can be trusted, else the oldest message.
    Time,
    /// Given offsets (`--from-offsets`); partitions not named start at the oldest message.
    Offsets(OffsetSpec),
}

/// Everything that decides which messages a replay covers. Stored in the checkpoint: a resume
/// with a different selection is refused rather than mixing two windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub start: Start,
    /// Exclusive end offsets (`--to-offsets`); partitions not named end at the high watermark
    /// seen when the replay started.
    pub end: Option<OffsetSpec>,
    /// Messages outside this window are read but not replayed.
    pub window: TimeWindow,
}

impl Selection {
    /// Checks the parts fit together.
    pub fn validate(&self) -> Result<(), String> {
        if self.start == Start::Time && self.window.from_ms.is_none() {
            return Err("starting by time needs `--from <time>`".into());
        }
        if let (Some(f), Some(t)) = (self.window.from_ms, self.window.to_ms)
            && f >= t
        {
            return Err(format!(
                "the window {} is empty: `--from` must be before `--to`",
                self.window
            ));
        }
        Ok(())
    }
}

/// Parses an RFC 3339 instant (`2025-11-01T00:00:00Z`) or a bare date (`2025-11-01`, midnight UTC).
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "{s:?} is neither RFC 3339 (2025-11-01T00:00:00Z) nor YYYY-MM-DD"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_open_and_needs_a_timestamp() {
        let w = TimeWindow {
            from_ms: Some(100),
            to_ms: Some(200),
        };
        assert!(!w.contains(Some(99)));
        assert!(w.contains(Some(100)));
        assert!(w.contains(Some(199)));
        assert!(!w.contains(Some(200)));
        assert!(!w.contains(None));
        assert!(TimeWindow::default().contains(None));
        let open_end = TimeWindow {
            from_ms: Some(100),
            to_ms: None,
        };
        assert!(open_end.contains(Some(i64::MAX)));
    }

    #[test]
    fn offsets_parse_with_and_without_topic() {
        let s = OffsetSpec::parse("0:10, 1:20,articles:1:25").unwrap();
        assert_eq!(s.get("other", 0), Some(10));
        assert_eq!(s.get("other", 1), Some(20));
        assert_eq!(s.get("articles", 1), Some(25));
        assert_eq!(s.get("articles", 2), None);
        assert_eq!(s.topics().collect::<Vec<_>>(), ["articles"]);
        // Written in the checkpoint as it is typed.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#""0:10,1:20,articles:1:25""#);
        assert_eq!(serde_json::from_str::<OffsetSpec>(&json).unwrap(), s);
        for bad in ["", "0", "a:1", "0:x", "0:-1", "0:1,0:2", ":0:1"] {
            assert!(OffsetSpec::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn instants_and_selection_checks() {
        assert_eq!(
            parse_instant("2025-11-01").unwrap().timestamp_millis(),
            parse_instant("2025-11-01T00:00:00Z")
                .unwrap()
                .timestamp_millis()
        );
        assert_eq!(
            parse_instant("2025-11-01T02:00:00+02:00").unwrap(),
            parse_instant("2025-11-01T00:00:00Z").unwrap()
        );
        assert!(parse_instant("yesterday").is_err());
        let mut s = Selection {
            start: Start::Time,
            end: None,
            window: TimeWindow::default(),
        };
        assert!(s.validate().is_err());
        s.window = TimeWindow {
            from_ms: Some(5),
            to_ms: Some(5),
        };
        assert!(s.validate().is_err());
        s.window.to_ms = Some(6);
        assert!(s.validate().is_ok());
    }
}
