//! The state of one event (`timeline.event-state/v1`): every report of it folded into one
//! value, the value the compacted `timeline.events` topic keeps under the event's key.
//!
//! Pure and deterministic: the same records in any order, any number of times, give the same
//! state. That is what makes the view safe under at-least-once delivery, replays and
//! rebalances (a record seen twice changes nothing), so no exactly-once machinery is needed.

use serde::{Deserialize, Serialize};

use crate::record::{ActorKind, DateBasis, Record, Role};

/// The schema name of an event state, in the value and the `schema` header.
pub const STATE_SCHEMA: &str = "timeline.event-state/v1";

/// One event told by one or more reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventState {
    /// Always [`STATE_SCHEMA`].
    pub schema: String,
    /// The identity the reports share: the records' `event_key`, the topic's message key.
    pub event_key: String,
    /// When the first report was published (its article's `published_at`, else when the view
    /// first saw it), RFC 3339.
    pub first_seen: String,
    /// When the latest report was published, RFC 3339.
    pub last_seen: String,
    /// Distinct reports: mentions of the event, one per (article, sentence, type), so that a
    /// record published again (a redelivery, a replay) or re-extracted by a newer extractor
    /// version is counted once.
    pub reports: usize,
    /// Distinct articles reporting it.
    pub articles: usize,
    /// Distinct outlets (`article.source`) reporting it, sorted.
    pub sources: Vec<String>,
    /// Every party named by a report, most-named first.
    pub parties: Vec<Party>,
    /// The best-evidenced record: highest confidence, then the most explicit date basis, then
    /// the earliest date. Type, date and location of the event are read from it.
    pub best: Record,
    /// One entry per report (mention), earliest first, at most [`MAX_EVIDENCE`]; `reports`
    /// counts them all.
    pub evidence: Vec<Evidence>,
    /// The id of every record folded in, sorted.
    pub record_ids: Vec<String>,
    /// The report identities (article, field, sentence start, type) counted in `reports`,
    /// sorted; kept so that a record seen again is recognised whatever its id.
    pub mentions: Vec<String>,
}

/// Most evidence sentences one event keeps (the count of reports has no cap).
pub const MAX_EVIDENCE: usize = 50;

/// A party of the event, over all its reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub kind: ActorKind,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Reports naming it in this role.
    pub reports: usize,
}

/// One report of the event: the sentence and where it was published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub record_id: String,
    pub article_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the article was published (or seen), RFC 3339.
    pub published_at: String,
    pub sentence: String,
    pub trigger: String,
    pub date: String,
}

/// The identity of a report of an event: which article said it where. Independent of the
/// extractor version (unlike the record id), so a backfill by a newer extractor does not
/// count the same sentence twice.
pub fn mention_of(record: &Record) -> String {
    format!(
        "{}|{}|{}|{}",
        record.article.id, record.field, record.span[0], record.event.event_type
    )
}

impl EventState {
    /// The state of an event with one report. `seen` is when the view saw the record (the
    /// Kafka timestamp, RFC 3339), used when the article has no publication time.
    pub fn new(record: Record, seen: &str) -> EventState {
        let mut state = EventState {
            schema: STATE_SCHEMA.to_owned(),
            event_key: record.event_key.clone(),
            first_seen: String::new(),
            last_seen: String::new(),
            reports: 0,
            articles: 0,
            sources: Vec::new(),
            parties: Vec::new(),
            best: record.clone(),
            evidence: Vec::new(),
            record_ids: Vec::new(),
            mentions: Vec::new(),
        };
        state.apply(record, seen);
        state
    }

    /// Folds one more record in. Returns false when it changed nothing (a record or a report
    /// already counted).
    pub fn apply(&mut self, record: Record, seen: &str) -> bool {
        let id_new = match self.record_ids.binary_search(&record.id) {
            Ok(_) => false,
            Err(at) => {
                self.record_ids.insert(at, record.id.clone());
                true
            }
        };
        let mention = mention_of(&record);
        let mention_new = match self.mentions.binary_search(&mention) {
            Ok(_) => false,
            Err(at) => {
                self.mentions.insert(at, mention);
                true
            }
        };
        if !id_new && !mention_new {
            return false;
        }
        let published = record
            .article
            .published_at
            .clone()
            .unwrap_or_else(|| seen.to_owned());
        if self.first_seen.is_empty() || earlier(&published, &self.first_seen) {
            self.first_seen = published.clone();
        }
        if self.last_seen.is_empty() || earlier(&self.last_seen, &published) {
            self.last_seen = published.clone();
        }
        if mention_new {
            self.reports += 1;
            self.add_parties(&record);
            self.add_evidence(&record, published);
        } else {
            self.reword_evidence(&record, published);
        }
        self.recount();
        // `new` starts from the record itself; from then on only a better one replaces it
        // (not "whatever comes while there is one report": a re-extraction of the first
        // report, counted once, must not win by arriving later).
        if better(&record, &self.best) {
            self.best = record;
        }
        true
    }

    fn add_parties(&mut self, record: &Record) {
        for a in &record.actors {
            if a.role == Role::Other {
                continue;
            }
            match self
                .parties
                .iter_mut()
                .find(|p| p.name == a.name && p.role == a.role)
            {
                Some(p) => {
                    p.reports += 1;
                    // Kind and country whatever the order reports come in: the smallest kind,
                    // a known country over none (the smallest when reports disagree).
                    p.kind = p.kind.min(a.kind);
                    if let Some(c) = &a.country
                        && p.country.as_ref().is_none_or(|known| c < known)
                    {
                        p.country = Some(c.clone());
                    }
                }
                None => self.parties.push(Party {
                    name: a.name.clone(),
                    kind: a.kind,
                    role: a.role,
                    country: a.country.clone(),
                    reports: 1,
                }),
            }
        }
        self.parties.sort_by(|a, b| {
            b.reports
                .cmp(&a.reports)
                .then(a.role.cmp(&b.role))
                .then_with(|| a.name.cmp(&b.name))
        });
    }

    fn add_evidence(&mut self, record: &Record, published_at: String) {
        let e = Evidence {
            record_id: record.id.clone(),
            article_id: record.article.id.clone(),
            url: record.article.url.clone(),
            source: record.article.source.clone(),
            title: record.article.title.clone(),
            published_at,
            sentence: record.sentence.clone(),
            trigger: record.event.trigger.clone(),
            date: record.date.value.clone(),
        };
        let key = |e: &Evidence| {
            (
                e.published_at.clone(),
                e.article_id.clone(),
                e.record_id.clone(),
            )
        };
        let at = self.evidence.partition_point(|x| key(x) <= key(&e));
        self.evidence.insert(at, e);
        self.evidence.truncate(MAX_EVIDENCE);
    }

    /// A report already counted, told again by another record (a re-extraction): its
    /// evidence is the one of the smallest record id, whichever record came first. The entry
    /// is found by article, sentence and trigger (evidence does not keep the mention); a
    /// re-extraction that changed the trigger keeps the entry it has.
    fn reword_evidence(&mut self, record: &Record, published_at: String) {
        let Some(at) = self.evidence.iter().position(|e| {
            e.article_id == record.article.id
                && e.sentence == record.sentence
                && e.trigger == record.event.trigger
        }) else {
            return;
        };
        if record.id >= self.evidence[at].record_id {
            return;
        }
        self.evidence.remove(at);
        self.add_evidence(record, published_at);
    }

    /// Articles and sources from the evidence and mentions (both bounded by what is kept).
    fn recount(&mut self) {
        // The article id is everything before the last three fields (ids may hold `|`).
        let articles: std::collections::BTreeSet<&str> = self
            .mentions
            .iter()
            .filter_map(|m| m.rsplitn(4, '|').nth(3))
            .collect();
        self.articles = articles.len();
        let mut sources: Vec<String> = self
            .evidence
            .iter()
            .filter_map(|e| e.source.clone())
            .chain(self.sources.drain(..))
            .collect();
        sources.sort_unstable();
        sources.dedup();
        self.sources = sources;
    }
}

/// True when RFC 3339 time `a` is before `b` (compared as instants; as text when either does
/// not parse).
fn earlier(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x < y,
        _ => a < b,
    }
}

/// Rank of a date basis: a date written out beats one worked out.
fn basis_rank(b: DateBasis) -> u8 {
    match b {
        DateBasis::Explicit => 0,
        DateBasis::Relative => 1,
        DateBasis::Inherited => 2,
        DateBasis::Publication => 3,
    }
}

/// True when `a` is better evidence of the event than `b`: higher confidence, then a more
/// explicit date, then an earlier date, then the smaller id (so the choice never depends on
/// the order records arrive in).
fn better(a: &Record, b: &Record) -> bool {
    let rank = |r: &Record| {
        (
            std::cmp::Reverse((r.confidence * 1000.0).round() as i64),
            basis_rank(r.date.basis),
            !r.date.resolved,
        )
    };
    (rank(a), a.date.value.as_str(), a.id.as_str())
        < (rank(b), b.date.value.as_str(), b.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of `article` (one of its sentences, at `at`), from `source`.
    fn record(id: &str, article: &str, source: &str, at: usize, confidence: f32) -> Record {
        serde_json::from_value(serde_json::json!({
            "schema": "timeline.event/v1",
            "id": id,
            "fingerprint": "f",
            "event_key": "k1",
            "article": {
                "id": article,
                "url": format!("https://example.org/{article}"),
                "source": source,
                "published_at": format!("2025-03-1{}T09:00:00+00:00", at % 10),
                "title": "Ministers meet"
            },
            "event": {"type": "CONSULT", "trigger": "met", "modality": "asserted"},
            "date": {
                "value": "2025-03-10",
                "start": "2025-03-10T00:00:00+00:00",
                "end": "2025-03-11T00:00:00+00:00",
                "granularity": "day",
                "basis": "relative",
                "resolved": true
            },
            "actors": [
                {"name": "Karim Adel", "kind": "person", "role": "source", "country": "EGY"},
                {"name": "Laila Haddad", "kind": "person", "role": "target", "country": "JOR"}
            ],
            "sentence": "Karim Adel met Laila Haddad in Cairo on Monday.",
            "span": [at, at + 48],
            "field": "text",
            "confidence": confidence,
            "extractor": {"version": "test"}
        }))
        .unwrap()
    }

    fn fold(records: &[Record]) -> EventState {
        let mut s = EventState::new(records[0].clone(), "2025-12-01T00:00:00Z");
        for r in &records[1..] {
            s.apply(r.clone(), "2025-12-01T00:00:00Z");
        }
        s
    }

    fn permutations(items: &[Record]) -> Vec<Vec<Record>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first.clone());
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn applying_a_record_again_changes_nothing() {
        let a = record("r1", "a1", "Wire", 0, 0.9);
        let b = record("r2", "a2", "Daily", 100, 0.8);
        let mut s = fold(&[a.clone(), b.clone()]);
        let before = s.clone();
        assert!(!s.apply(a, "2026-01-01T00:00:00Z"));
        assert!(!s.apply(b, "2026-01-01T00:00:00Z"));
        assert_eq!(s, before);
    }

    #[test]
    fn reports_count_mentions_not_records() {
        let a = record("r1", "a1", "Wire", 0, 0.9);
        // The same sentence re-extracted by a newer extractor: another id, the same mention.
        let mut again = a.clone();
        again.id = "r1-v2".into();
        // Another sentence of the same article, and another outlet's article.
        let second = record("r3", "a1", "Wire", 60, 0.7);
        let other = record("r4", "a2", "Daily", 0, 0.8);
        let s = fold(&[a, again, second, other]);
        assert_eq!((s.reports, s.articles), (3, 2));
        assert_eq!(s.sources, vec!["Daily", "Wire"]);
        assert_eq!(s.evidence.len(), 3);
        assert_eq!(s.record_ids, vec!["r1", "r1-v2", "r3", "r4"]);
        let adel = s.parties.iter().find(|p| p.name == "Karim Adel").unwrap();
        assert_eq!((adel.role, adel.reports), (Role::Source, 3));
    }

    #[test]
    fn the_state_does_not_depend_on_the_order_of_records() {
        let a = record("r1", "a1", "Wire", 0, 0.6);
        // Re-extracted with more confidence: the best record whichever comes first.
        let mut again = a.clone();
        again.id = "r1-v2".into();
        again.confidence = 0.95;
        // Another outlet that knows no country for one party.
        let mut other = record("r4", "a2", "Daily", 0, 0.8);
        other.actors[1].country = None;
        let records = [a, again, other];
        let first = fold(&records);
        assert_eq!(first.best.id, "r1-v2");
        let haddad = first
            .parties
            .iter()
            .find(|p| p.name == "Laila Haddad")
            .unwrap();
        assert_eq!(haddad.country.as_deref(), Some("JOR"));
        for order in permutations(&records) {
            let ids: Vec<&str> = order.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(fold(&order), first, "order {ids:?}");
        }
    }
}
