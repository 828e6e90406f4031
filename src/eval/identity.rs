//! Event identity scoring: do reports of one real-world event by different articles get one
//! `fingerprint`, and do different events keep different ones?
//!
//! The gold (`eval/identity/clusters.jsonl`, see its README) groups articles of the newswire
//! corpus that report the same happenings, and lists each event's mentions (article, verbatim
//! excerpt, trigger), near misses included (two events of one type with overlapping parties on
//! nearby days). Each mention is matched to a record the way [`super::events`] matches gold
//! events (same field, overlapping sentence, triggers sharing a stem). Then:
//!
//! * **pair agreement**: of the pairs of matched mentions of one event in *different*
//!   articles, the share whose records have the same fingerprint (what a dashboard counting
//!   events needs);
//! * **false merges**: of the matched records, the share whose fingerprint is also that of a
//!   record matched to a *different* event of the cluster;
//! * **events unified**: events matched in two articles or more whose records all share one
//!   fingerprint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::events::{EventsEvalError, Share, char_range, load_articles, read, shares_stem};
use crate::article::Article;
use crate::extract::Extractor;
use crate::record::{Field, Record};

#[derive(Debug, Deserialize)]
struct Cluster {
    cluster: String,
    articles: Vec<String>,
    events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
struct Event {
    event: String,
    #[serde(rename = "type")]
    event_type: String,
    mentions: Vec<Mention>,
}

#[derive(Debug, Deserialize)]
struct Mention {
    article: String,
    excerpt: String,
    trigger: String,
}

/// How well one identity key (`fingerprint` or `event_key`) groups the reports.
#[derive(Debug, Clone, Default)]
pub struct KeyScore {
    pub pair_agreement: Share,
    pub false_merges: Share,
    pub events_unified: Share,
    /// Pairs of one event told differently, at most `errors`.
    pub examples: Vec<String>,
}

/// The figures of an identity evaluation.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub clusters: usize,
    /// Mentions with a matching record.
    pub mentions_matched: Share,
    pub fingerprint: KeyScore,
    pub event_key: KeyScore,
}

impl Report {
    pub fn figures(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("mentions_matched", self.mentions_matched.percent()),
            ("pair_agreement", self.fingerprint.pair_agreement.percent()),
            // A bar is a minimum: the records kept apart, not the false merges.
            (
                "kept_apart",
                100.0 - self.fingerprint.false_merges.percent(),
            ),
            ("events_unified", self.fingerprint.events_unified.percent()),
            (
                "key_pair_agreement",
                self.event_key.pair_agreement.percent(),
            ),
            (
                "key_kept_apart",
                100.0 - self.event_key.false_merges.percent(),
            ),
            (
                "key_events_unified",
                self.event_key.events_unified.percent(),
            ),
        ]
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  clusters                 {}", self.clusters)?;
        writeln!(f, "  mentions matched         {}", self.mentions_matched)?;
        for (name, k) in [
            ("fingerprint", &self.fingerprint),
            ("event_key", &self.event_key),
        ] {
            writeln!(f, "  {name}")?;
            writeln!(f, "    pair agreement         {}", k.pair_agreement)?;
            writeln!(f, "    false merges           {}", k.false_merges)?;
            writeln!(f, "    events unified         {}", k.events_unified)?;
            if !k.examples.is_empty() {
                writeln!(f, "    examples: one event, two keys")?;
                for e in &k.examples {
                    writeln!(f, "      - {e}")?;
                }
            }
        }
        Ok(())
    }
}

/// The record of `records` a mention of `event_type` in `article` refers to, if any: the
/// field holding the excerpt, an overlapping sentence, a trigger sharing a stem; of those,
/// one of the gold type first.
fn matching<'a>(
    article: &Article,
    records: &'a [Record],
    m: &Mention,
    event_type: &str,
) -> Option<&'a Record> {
    let (field, (s, e)) = match char_range(&article.text, &m.excerpt) {
        Some(r) => (Field::Text, r),
        None => (
            Field::Title,
            char_range(article.title.as_deref()?, &m.excerpt)?,
        ),
    };
    records
        .iter()
        .filter(|r| {
            r.field == field
                && e.min(r.span[1]) > s.max(r.span[0])
                && shares_stem(&m.trigger, &r.event.trigger)
        })
        .max_by_key(|r| {
            (
                r.event.event_type == event_type,
                std::cmp::Reverse(r.span[0]),
            )
        })
}

/// Scores the fingerprints `extractor` gives on the clusters of `gold` (articles from
/// `corpus`); keeps up to `errors` examples of split events.
pub fn evaluate(
    extractor: &Extractor,
    gold: &Path,
    corpus: &Path,
    errors: usize,
) -> Result<Report, EventsEvalError> {
    let mut clusters = Vec::new();
    for (i, line) in read(gold)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c: Cluster = serde_json::from_str(line).map_err(|e| EventsEvalError::Format {
            path: gold.to_owned(),
            line: i + 1,
            message: e.to_string(),
        })?;
        clusters.push(c);
    }
    let articles = load_articles(
        corpus,
        clusters
            .iter()
            .flat_map(|c| c.articles.iter().map(String::as_str)),
    )?;

    let mut report = Report::default();
    for c in &clusters {
        report.clusters += 1;
        let mut records: BTreeMap<&str, Vec<Record>> = BTreeMap::new();
        for id in &c.articles {
            let a = articles
                .get(id)
                .ok_or_else(|| EventsEvalError::MissingArticle(id.clone()))?;
            records.insert(id.as_str(), extractor.extract(a, None).records);
        }
        // (event, article, record id, fingerprint, event key, what the record says) of every
        // matched mention.
        let mut matched: Vec<(&str, &str, String, String, String, String)> = Vec::new();
        for ev in &c.events {
            for m in &ev.mentions {
                let (Some(a), Some(rs)) =
                    (articles.get(&m.article), records.get(m.article.as_str()))
                else {
                    report.mentions_matched.add(false);
                    continue;
                };
                let r = matching(a, rs, m, &ev.event_type);
                report.mentions_matched.add(r.is_some());
                if let Some(r) = r {
                    matched.push((
                        &ev.event,
                        &m.article,
                        r.id.clone(),
                        r.fingerprint.clone(),
                        r.event_key.clone(),
                        describe(r),
                    ));
                }
            }
        }
        let keyed: Vec<Keyed<'_>> = matched
            .iter()
            .map(|m| (m.0, m.1, m.2.as_str(), m.3.as_str(), m.5.as_str()))
            .collect();
        score_key(c, &keyed, &mut report.fingerprint, errors);
        let keyed: Vec<Keyed<'_>> = matched
            .iter()
            .map(|m| (m.0, m.1, m.2.as_str(), m.4.as_str(), m.5.as_str()))
            .collect();
        score_key(c, &keyed, &mut report.event_key, errors);
    }
    Ok(report)
}

/// A matched mention: event, article, record id, key, what the record says.
type Keyed<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

/// What a record says about its event's identity: type, date and parties.
fn describe(r: &Record) -> String {
    let parties: Vec<String> = r
        .actors
        .iter()
        .map(|a| match &a.country {
            Some(c) => format!("{} ({c})", a.name),
            None => a.name.clone(),
        })
        .collect();
    format!(
        "{} {} ({}) [{}]",
        r.event.event_type,
        r.date.value,
        r.date.basis,
        parties.join("; ")
    )
}

/// Scores one key over the matched mentions of a cluster.
fn score_key(c: &Cluster, matched: &[Keyed<'_>], score: &mut KeyScore, errors: usize) {
    for ev in &c.events {
        let mine: Vec<_> = matched.iter().filter(|m| m.0 == ev.event).collect();
        for (i, a) in mine.iter().enumerate() {
            for b in &mine[i + 1..] {
                if a.1 != b.1 {
                    let same = a.3 == b.3;
                    score.pair_agreement.add(same);
                    if !same && score.examples.len() < errors {
                        score.examples.push(format!(
                            "{} {} {}: {} in {} vs {} in {}",
                            c.cluster, ev.event, ev.event_type, a.4, a.1, b.4, b.1
                        ));
                    }
                }
            }
        }
        let in_articles: BTreeSet<&str> = mine.iter().map(|m| m.1).collect();
        if in_articles.len() >= 2 {
            let keys: BTreeSet<&str> = mine.iter().map(|m| m.3).collect();
            score.events_unified.add(keys.len() == 1);
        }
    }
    // A record counts once, whichever mentions it matched.
    let mut seen = BTreeSet::new();
    for m in matched {
        if !seen.insert(m.2) {
            continue;
        }
        let merged = matched.iter().any(|o| o.0 != m.0 && o.3 == m.3);
        score.false_merges.add(merged);
    }
}
