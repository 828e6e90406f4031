//! The whole event view, for reading: every event state in the compacted `timeline.events`
//! topic, kept current by a reader of all its partitions (what Kafka Streams calls a global
//! table). Each instance's aggregator owns only its partitions; the table and the page see
//! every event whichever instance wrote it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::{DateInfo, LocationRef, Modality};

use super::state::{EventState, Evidence, Party};

/// Every event state, by event key.
#[derive(Debug, Default)]
pub struct EventTable {
    events: RwLock<HashMap<String, EventState>>,
    /// Messages of the topic applied so far (states and tombstones).
    applied: AtomicU64,
}

/// What `/api/events` filters on; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventQuery {
    /// Case-insensitive part of a party's name or its state code (`putin`, `RUS`).
    pub actor: Option<String>,
    /// PLOVER type, e.g. `CONSULT` (case-insensitive).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events that may have happened on or after this day (`YYYY-MM-DD`, or a prefix).
    pub from: Option<String>,
    /// Events that may have happened on or before this day.
    pub to: Option<String>,
    /// Case-insensitive words searched in the evidence sentences, titles, parties and trigger.
    pub q: Option<String>,
    /// Most events returned (default 1000, at most 10000), the most reported first when more
    /// match; `total` says how many matched.
    pub limit: Option<usize>,
}

/// The answer of `/api/events`: events on the time axis, earliest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventList {
    /// Events matching the query (may exceed `events.len()`, see `limit`).
    pub total: usize,
    pub events: Vec<EventView>,
}

/// One event as the page draws it: the state without its bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventView {
    pub event_key: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    pub modality: Modality,
    pub date: DateInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRef>,
    pub first_seen: String,
    pub last_seen: String,
    pub reports: usize,
    pub articles: usize,
    pub sources: Vec<String>,
    pub parties: Vec<Party>,
    pub confidence: f32,
    pub evidence: Vec<Evidence>,
}

impl EventView {
    fn of(s: &EventState) -> EventView {
        EventView {
            event_key: s.event_key.clone(),
            event_type: s.best.event.event_type.clone(),
            mode: s.best.event.mode.clone(),
            modality: s.best.event.modality,
            date: s.best.date.clone(),
            location: s.best.location.clone(),
            first_seen: s.first_seen.clone(),
            last_seen: s.last_seen.clone(),
            reports: s.reports,
            articles: s.articles,
            sources: s.sources.clone(),
            parties: s.parties.clone(),
            confidence: s.best.confidence,
            evidence: s.evidence.clone(),
        }
    }
}

const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

impl EventTable {
    pub fn new() -> EventTable {
        EventTable::default()
    }

    /// Sets the state of `key`; `None` (a tombstone) removes it.
    pub fn put(&self, key: &str, state: Option<EventState>) {
        let mut events = self.events.write().unwrap_or_else(|e| e.into_inner());
        match state {
            Some(s) => {
                events.insert(key.to_owned(), s);
            }
            None => {
                events.remove(key);
            }
        }
        self.applied.fetch_add(1, Ordering::Relaxed);
    }

    /// How many events the table holds.
    pub fn len(&self) -> usize {
        self.events.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Messages of the topic applied so far.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// The state of one event.
    pub fn get(&self, key: &str) -> Option<EventState> {
        self.events
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// The events matching `query`, earliest first.
    pub fn query(&self, query: &EventQuery) -> EventList {
        let filter = Filter::new(query);
        let events = self.events.read().unwrap_or_else(|e| e.into_inner());
        let mut hits: Vec<&EventState> = events.values().filter(|s| filter.keeps(s)).collect();
        let total = hits.len();
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
        if hits.len() > limit {
            hits.sort_by(|a, b| {
                b.reports
                    .cmp(&a.reports)
                    .then_with(|| a.event_key.cmp(&b.event_key))
            });
            hits.truncate(limit);
        }
        hits.sort_by(|a, b| {
            day_range(a)
                .0
                .cmp(&day_range(b).0)
                .then_with(|| a.event_key.cmp(&b.event_key))
        });
        EventList {
            total,
            events: hits.into_iter().map(EventView::of).collect(),
        }
    }
}

/// The days an event's date may cover, `[first, last]` as `YYYY-MM-DD` text (comparable as
/// text); `("", "~")` when the date is unknown.
fn day_range(s: &EventState) -> (String, String) {
    let d = &s.best.date;
    let day = |t: &str| t.chars().take(10).collect::<String>();
    match (&d.start, &d.end) {
        (Some(start), Some(end)) => {
            // `end` is exclusive: the day before it is the last one covered.
            let last = chrono::NaiveDate::parse_from_str(&day(end), "%Y-%m-%d")
                .ok()
                .and_then(|e| e.pred_opt())
                .map(|e| e.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| day(end));
            (day(start), last)
        }
        _ if d.value.starts_with(|c: char| c.is_ascii_digit()) => (day(&d.value), day(&d.value)),
        _ => (String::new(), "~".to_owned()),
    }
}

struct Filter {
    actor: Option<String>,
    event_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
    words: Vec<String>,
}

impl Filter {
    fn new(q: &EventQuery) -> Filter {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_lowercase)
        };
        Filter {
            actor: clean(&q.actor),
            event_type: clean(&q.event_type),
            from: clean(&q.from),
            to: clean(&q.to),
            words: clean(&q.q)
                .map(|q| q.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    fn keeps(&self, s: &EventState) -> bool {
        if let Some(t) = &self.event_type
            && !s.best.event.event_type.eq_ignore_ascii_case(t)
        {
            return false;
        }
        if let Some(a) = &self.actor
            && !s.parties.iter().any(|p| {
                p.name.to_lowercase().contains(a)
                    || p.country
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(a))
            })
        {
            return false;
        }
        if self.from.is_some() || self.to.is_some() {
            let (first, last) = day_range(s);
            if first.is_empty() {
                return false;
            }
            if let Some(from) = &self.from
                && last.as_str() < from.as_str()
            {
                return false;
            }
            // A prefix bound ("2025-11") covers every day it starts.
            if let Some(to) = &self.to
                && first.as_str() > to.as_str()
                && !first.starts_with(to.as_str())
            {
                return false;
            }
        }
        self.words.iter().all(|w| mentions_word(s, w))
    }
}

fn mentions_word(s: &EventState, w: &str) -> bool {
    let has = |t: &str| t.to_lowercase().contains(w);
    has(&s.best.event.trigger)
        || has(&s.best.event.event_type)
        || s.parties.iter().any(|p| has(&p.name))
        || s.evidence
            .iter()
            .any(|e| has(&e.sentence) || e.title.as_deref().is_some_and(has))
        || s.best.location.as_ref().is_some_and(|l| has(&l.name))
}

/// Keeps `table` current from the compacted topic until `stop`: a plain thread (librdkafka's
/// poll blocks) reading every partition from the beginning, outside any consumer group.
pub fn follow(
    reader: crate::stream::topic::TopicReader,
    table: Arc<EventTable>,
    metrics: Arc<crate::stream::metrics::Metrics>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("timeline-view-table".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match reader.poll(Duration::from_millis(100)) {
                    Some(Ok(m)) => {
                        let Some(key) = m.key.as_deref().map(String::from_utf8_lossy) else {
                            continue;
                        };
                        let state = match m.value.as_deref() {
                            None => None,
                            Some(v) => match serde_json::from_slice::<EventState>(v) {
                                Ok(s) => Some(s),
                                Err(e) => {
                                    tracing::warn!(
                                        partition = m.partition,
                                        offset = m.offset,
                                        error = %e,
                                        "not an event state; left out of the view"
                                    );
                                    continue;
                                }
                            },
                        };
                        table.put(&key, state);
                        metrics.view_events.set(table.len() as i64);
                    }
                    Some(Err(e)) => tracing::debug!(error = %e, "reading the event view"),
                    None => {}
                }
            }
        })
}
