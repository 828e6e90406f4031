//! Event scoring: the extractor's records against hand-written gold events.
//!
//! Two gold sets, both in `eval/events/` (see its README for the annotation conventions):
//!
//! * `newswire.jsonl`: every PLOVER event of 69 articles of the newswire corpus, with type
//!   (and defensible alternatives), core flag, date, source and target, location, modality and
//!   a verbatim excerpt holding the trigger. The article text is read from the corpus at
//!   evaluation time; only ids and excerpts are stored.
//! * `plover_gsr.jsonl`: PLOVER's own example sentences, each with one event, source and
//!   target: a sentence-level check of types and roles.
//!
//! A record *matches* a gold event when it comes from the same article field, its sentence
//! overlaps the gold excerpt, and its trigger shares a stem with the gold trigger (the measure
//! the held-out evaluation uses). Each gold event takes at most one record and each record at
//! most one gold event; a further record matching an event already taken is a *second
//! mention*, counted apart from spurious records. The figures ([`Report`]) are those of the
//! events issue: recall (all and core), precision (second mentions as wrong, and apart), type,
//! date (exact or coarser), source, target, location and modality accuracy on matched events,
//! and the share of gold events found fully right.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use thiserror::Error;

use crate::article::{self, Article, DecodeLimits};
use crate::extract::Extractor;
use crate::record::{ActorRef, Field, Modality, Record, Role};

/// Why the gold could not be scored.
#[derive(Debug, Error)]
pub enum EventsEvalError {
    #[error(
        "cannot read {path}: {source} (pass --events eval/events/newswire.jsonl and --corpus ../shared/corpus/newswire-2452.jsonl)"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("gold article {0} is not in the corpus; pass the corpus the gold was written on")]
    MissingArticle(String),
}

/// One gold event (the fields of `newswire.jsonl` the scorer reads).
#[derive(Debug, Clone, Deserialize)]
pub struct GoldEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub alt_types: Vec<String>,
    #[serde(default)]
    pub core: bool,
    pub date: String,
    #[serde(default)]
    pub source: Vec<String>,
    #[serde(default)]
    pub target: Vec<String>,
    pub location: Option<String>,
    pub modality: String,
    pub trigger: String,
    pub excerpt: String,
    #[serde(default = "text_field")]
    pub field: Field,
}

fn text_field() -> Field {
    Field::Text
}

#[derive(Debug, Deserialize)]
struct GoldArticle {
    article_id: String,
    events: Vec<GoldEvent>,
}

/// One sentence of PLOVER's examples (`plover_gsr.jsonl`).
#[derive(Debug, Deserialize)]
struct GsrSentence {
    text: String,
    event: String,
    #[serde(default)]
    source: Vec<String>,
    #[serde(default)]
    target: Vec<String>,
}

/// A share with its counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Share {
    pub hits: usize,
    pub of: usize,
}

impl Share {
    pub(crate) fn add(&mut self, hit: bool) {
        self.of += 1;
        self.hits += usize::from(hit);
    }

    /// Percent (0 when there is nothing to count).
    pub fn percent(&self) -> f64 {
        if self.of == 0 {
            0.0
        } else {
            100.0 * self.hits as f64 / self.of as f64
        }
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:5.1}% ({}/{})", self.percent(), self.hits, self.of)
    }
}

/// Every figure of an evaluation on `newswire.jsonl` (and, when given, the PLOVER sentences).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub articles: usize,
    /// Gold events found fully right (type, date exact or coarser, a right source or target).
    pub fully_correct: Share,
    pub recall: Share,
    pub core_recall: Share,
    /// Records that are a gold event, second mentions counted as wrong.
    pub precision: Share,
    /// The same with second mentions counted as right.
    pub precision_with_mentions: Share,
    pub second_mentions: usize,
    pub type_accuracy: Share,
    pub date_accuracy: Share,
    pub source_accuracy: Share,
    pub target_accuracy: Share,
    pub location_accuracy: Share,
    pub modality_accuracy: Share,
    /// PLOVER example sentences: an event found, of the gold type, with a right source / target.
    pub gsr_found: Share,
    pub gsr_type: Share,
    pub gsr_source: Share,
    pub gsr_target: Share,
    /// Examples per error kind, at most `errors` each.
    pub examples: Vec<(String, Vec<String>)>,
}

impl Report {
    /// `(metric name, percent)` for the bars file and `--json`.
    pub fn figures(&self) -> Vec<(&'static str, f64)> {
        let mut v = vec![
            ("fully_correct", self.fully_correct.percent()),
            ("recall", self.recall.percent()),
            ("core_recall", self.core_recall.percent()),
            ("precision", self.precision.percent()),
            (
                "precision_with_mentions",
                self.precision_with_mentions.percent(),
            ),
            ("type_accuracy", self.type_accuracy.percent()),
            ("date_accuracy", self.date_accuracy.percent()),
            ("source_accuracy", self.source_accuracy.percent()),
            ("target_accuracy", self.target_accuracy.percent()),
            ("location_accuracy", self.location_accuracy.percent()),
            ("modality_accuracy", self.modality_accuracy.percent()),
        ];
        if self.gsr_found.of > 0 {
            v.extend([
                ("gsr_found", self.gsr_found.percent()),
                ("gsr_type_accuracy", self.gsr_type.percent()),
                ("gsr_source_accuracy", self.gsr_source.percent()),
                ("gsr_target_accuracy", self.gsr_target.percent()),
            ]);
        }
        v
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  articles                 {}", self.articles)?;
        writeln!(f, "  fully correct            {}", self.fully_correct)?;
        writeln!(f, "  recall                   {}", self.recall)?;
        writeln!(f, "  recall, core events      {}", self.core_recall)?;
        writeln!(f, "  precision                {}", self.precision)?;
        writeln!(
            f,
            "  precision, 2nd mentions right {} ({} second mentions)",
            self.precision_with_mentions, self.second_mentions
        )?;
        writeln!(f, "  type accuracy            {}", self.type_accuracy)?;
        writeln!(f, "  date exact-or-coarser    {}", self.date_accuracy)?;
        writeln!(f, "  source accuracy          {}", self.source_accuracy)?;
        writeln!(f, "  target accuracy          {}", self.target_accuracy)?;
        writeln!(f, "  location accuracy        {}", self.location_accuracy)?;
        writeln!(f, "  modality accuracy        {}", self.modality_accuracy)?;
        if self.gsr_found.of > 0 {
            writeln!(f, "  PLOVER sentences: found  {}", self.gsr_found)?;
            writeln!(f, "    type                   {}", self.gsr_type)?;
            writeln!(f, "    source                 {}", self.gsr_source)?;
            writeln!(f, "    target                 {}", self.gsr_target)?;
        }
        for (kind, list) in &self.examples {
            if list.is_empty() {
                continue;
            }
            writeln!(f, "  examples: {kind}")?;
            for e in list {
                writeln!(f, "    - {e}")?;
            }
        }
        Ok(())
    }
}

/// The articles of `corpus` (JSON lines) whose ids are in `wanted`, by id.
pub(crate) fn load_articles<'a>(
    corpus: &Path,
    wanted: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, Article>, EventsEvalError> {
    let wanted: std::collections::BTreeSet<&str> = wanted.into_iter().collect();
    let mut articles = HashMap::new();
    for line in read(corpus)?.lines() {
        // Only the wanted articles are decoded; an id is looked for before parsing the line.
        if !wanted.iter().any(|id| line.contains(id)) {
            continue;
        }
        if let Ok(a) = article::decode(line.as_bytes(), &DecodeLimits::default())
            && wanted.contains(a.id.as_str())
        {
            articles.insert(a.id.clone(), a);
        }
    }
    Ok(articles)
}

pub(crate) fn read(path: &Path) -> Result<String, EventsEvalError> {
    std::fs::read_to_string(path).map_err(|source| EventsEvalError::Io {
        path: path.to_owned(),
        source,
    })
}

fn parse_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, EventsEvalError> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line).map_err(|e| EventsEvalError::Format {
                path: path.to_owned(),
                line: i + 1,
                message: e.to_string(),
            })?,
        );
    }
    Ok(out)
}

/// Scores `extractor` on the gold of `gold` (articles read from `corpus`) and, when given, on
/// the PLOVER sentences of `gsr`; keeps up to `errors` examples per error kind.
pub fn evaluate(
    extractor: &Extractor,
    gold: &Path,
    corpus: &Path,
    gsr: Option<&Path>,
    errors: usize,
) -> Result<Report, EventsEvalError> {
    let gold: Vec<GoldArticle> = parse_lines(gold)?;
    let articles = load_articles(corpus, gold.iter().map(|g| g.article_id.as_str()))?;
    let mut report = Report::default();
    let mut examples = Examples::new(errors);
    for g in &gold {
        let article = articles
            .get(&g.article_id)
            .ok_or_else(|| EventsEvalError::MissingArticle(g.article_id.clone()))?;
        let records = extractor.extract(article, None).records;
        score_article(article, &g.events, &records, &mut report, &mut examples);
        report.articles += 1;
    }
    if let Some(path) = gsr {
        for s in parse_lines::<GsrSentence>(path)? {
            score_sentence(extractor, &s, &mut report, &mut examples);
        }
    }
    report.examples = examples.into_list();
    Ok(report)
}

/// Error examples, at most `max` per kind, in a stable order of kinds.
struct Examples {
    max: usize,
    kinds: Vec<(String, Vec<String>)>,
}

impl Examples {
    fn new(max: usize) -> Examples {
        Examples {
            max,
            kinds: Vec::new(),
        }
    }

    fn add(&mut self, kind: &str, example: impl FnOnce() -> String) {
        if self.max == 0 {
            return;
        }
        let i = match self.kinds.iter().position(|(k, _)| k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push((kind.to_owned(), Vec::new()));
                self.kinds.len() - 1
            }
        };
        if self.kinds[i].1.len() < self.max {
            self.kinds[i].1.push(example());
        }
    }

    fn into_list(self) -> Vec<(String, Vec<String>)> {
        self.kinds
    }
}

/// The code-point range of `excerpt` in `text`, if it is there.
pub(crate) fn char_range(text: &str, excerpt: &str) -> Option<(usize, usize)> {
    let start = text.find(excerpt)?;
    let s = text[..start].chars().count();
    Some((s, s + excerpt.chars().count()))
}

fn score_article(
    article: &Article,
    gold: &[GoldEvent],
    records: &[Record],
    report: &mut Report,
    examples: &mut Examples,
) {
    // Candidate pairs (gold, record) with a preference: type agreement first, then overlap.
    let mut pairs: Vec<(bool, usize, usize, usize)> = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        let field_text = if g.field == Field::Title {
            article.title.as_deref().unwrap_or_default()
        } else {
            article.text.as_str()
        };
        let Some((gs, ge)) = char_range(field_text, &g.excerpt) else {
            continue;
        };
        for (ri, r) in records.iter().enumerate() {
            let overlap = ge.min(r.span[1]).saturating_sub(gs.max(r.span[0]));
            if r.field == g.field && overlap > 0 && shares_stem(&g.trigger, &r.event.trigger) {
                pairs.push((type_ok(g, r), overlap, gi, ri));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut gold_of: Vec<Option<usize>> = vec![None; gold.len()];
    let mut record_of: Vec<Option<usize>> = vec![None; records.len()];
    for &(_, _, gi, ri) in &pairs {
        if gold_of[gi].is_none() && record_of[ri].is_none() {
            gold_of[gi] = Some(ri);
            record_of[ri] = Some(gi);
        }
    }
    let second: Vec<bool> = (0..records.len())
        .map(|ri| record_of[ri].is_none() && pairs.iter().any(|p| p.3 == ri))
        .collect();

    for (gi, g) in gold.iter().enumerate() {
        report.recall.add(gold_of[gi].is_some());
        if g.core {
            report.core_recall.add(gold_of[gi].is_some());
        }
        let Some(ri) = gold_of[gi] else {
            report.fully_correct.add(false);
            examples.add("missed", || {
                format!(
                    "{} {} [{}] {:?}",
                    article.id, g.event_type, g.trigger, g.excerpt
                )
            });
            continue;
        };
        let r = &records[ri];
        let t = type_ok(g, r);
        report.type_accuracy.add(t);
        if !t {
            examples.add("type", || {
                format!(
                    "{}: gold {} got {} [{}] {:?}",
                    article.id, g.event_type, r.event.event_type, g.trigger, g.excerpt
                )
            });
        }
        let d = date_ok(&r.date.value, &g.date);
        report.date_accuracy.add(d);
        if !d {
            examples.add("date", || {
                format!(
                    "{}: gold {} got {} ({}) [{}] {:?}",
                    article.id, g.date, r.date.value, r.date.basis, g.trigger, g.excerpt
                )
            });
        }
        let (src, tgt) = roles_ok(g, r);
        if let Some(s) = src {
            report.source_accuracy.add(s);
            if !s {
                examples.add("source", || {
                    format!(
                        "{}: gold {:?} got {:?} [{}]",
                        article.id,
                        g.source,
                        names(r, Role::Source),
                        g.trigger
                    )
                });
            }
        }
        if let Some(t) = tgt {
            report.target_accuracy.add(t);
            if !t {
                examples.add("target", || {
                    format!(
                        "{}: gold {:?} got {:?} [{}]",
                        article.id,
                        g.target,
                        names(r, Role::Target),
                        g.trigger
                    )
                });
            }
        }
        let l = location_ok(
            g.location.as_deref(),
            r.location.as_ref().map(|l| l.name.as_str()),
        );
        report.location_accuracy.add(l);
        if !l {
            examples.add("location", || {
                format!(
                    "{}: gold {:?} got {:?} [{}]",
                    article.id,
                    g.location,
                    r.location.as_ref().map(|l| &l.name),
                    g.trigger
                )
            });
        }
        let m = modality_of(r.event.modality) == g.modality;
        report.modality_accuracy.add(m);
        if !m {
            examples.add("modality", || {
                format!(
                    "{}: gold {} got {} [{}] {:?}",
                    article.id, g.modality, r.event.modality, g.trigger, g.excerpt
                )
            });
        }
        report
            .fully_correct
            .add(t && d && (src == Some(true) || tgt == Some(true)));
    }
    for (ri, r) in records.iter().enumerate() {
        let matched = record_of[ri].is_some();
        report.precision.add(matched);
        report.precision_with_mentions.add(matched || second[ri]);
        if second[ri] {
            report.second_mentions += 1;
        } else if !matched {
            examples.add("spurious", || {
                format!(
                    "{}: {} [{}] {:?}",
                    article.id, r.event.event_type, r.event.trigger, r.sentence
                )
            });
        }
    }
}

fn score_sentence(
    extractor: &Extractor,
    s: &GsrSentence,
    report: &mut Report,
    examples: &mut Examples,
) {
    let article = Article::new("plover-gsr", s.text.clone());
    let records = extractor.extract(&article, None).records;
    report.gsr_found.add(!records.is_empty());
    if records.is_empty() {
        examples.add("PLOVER sentence missed", || {
            format!("{} {:?}", s.event, s.text)
        });
        return;
    }
    // The record of the gold type if there is one, else the first.
    let r = records
        .iter()
        .find(|r| r.event.event_type == s.event)
        .unwrap_or(&records[0]);
    report.gsr_type.add(r.event.event_type == s.event);
    if r.event.event_type != s.event {
        examples.add("PLOVER sentence type", || {
            format!("gold {} got {} {:?}", s.event, r.event.event_type, s.text)
        });
    }
    let g = GoldEvent {
        event_type: s.event.clone(),
        alt_types: Vec::new(),
        core: false,
        date: String::new(),
        source: s.source.clone(),
        target: s.target.clone(),
        location: None,
        modality: String::new(),
        trigger: String::new(),
        excerpt: String::new(),
        field: text_field(),
    };
    let (src, tgt) = roles_ok(&g, r);
    if let Some(x) = src {
        report.gsr_source.add(x);
    }
    if let Some(x) = tgt {
        report.gsr_target.add(x);
    }
}

fn type_ok(g: &GoldEvent, r: &Record) -> bool {
    r.event.event_type == g.event_type || g.alt_types.contains(&r.event.event_type)
}

/// Our modality in the gold's four values: a plan is hypothetical there.
fn modality_of(m: Modality) -> &'static str {
    match m {
        Modality::Planned => Modality::Hypothetical.as_str(),
        other => other.as_str(),
    }
}

fn names(r: &Record, role: Role) -> Vec<&str> {
    r.actors
        .iter()
        .filter(|a| a.role == role)
        .map(|a| a.name.as_str())
        .collect()
}

/// Whether the record has a right source and a right target (`None` where the gold has
/// none). For CONSULT the parties are one symmetric set on both sides.
fn roles_ok(g: &GoldEvent, r: &Record) -> (Option<bool>, Option<bool>) {
    let of_role =
        |role: Role| -> Vec<&ActorRef> { r.actors.iter().filter(|a| a.role == role).collect() };
    let any_match = |gold: &[String], got: &[&ActorRef]| {
        gold.iter()
            .any(|g| got.iter().any(|a| same_actor(g, &a.name)))
    };
    if g.event_type == "CONSULT" {
        let mut parties = of_role(Role::Source);
        parties.extend(of_role(Role::Target));
        let src = (!g.source.is_empty()).then(|| any_match(&g.source, &parties));
        let tgt = (!g.target.is_empty()).then(|| any_match(&g.target, &parties));
        return (src, tgt);
    }
    let src = (!g.source.is_empty()).then(|| any_match(&g.source, &of_role(Role::Source)));
    let tgt = (!g.target.is_empty()).then(|| any_match(&g.target, &of_role(Role::Target)));
    (src, tgt)
}

/// Words that say little about who an actor is.
const STOP: &[&str] = &[
    "the",
    "of",
    "and",
    "for",
    "in",
    "on",
    "a",
    "an",
    "its",
    "his",
    "her",
    "their",
    "president",
    "minister",
    "prime",
    "foreign",
    "official",
    "officials",
    "leader",
    "leaders",
    "spokesman",
    "government",
    "chief",
    "head",
    "secretary",
    "general",
    "state",
    "mr",
    "mrs",
    "ms",
    "dr",
];

fn key_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP.contains(&w.as_str()))
        .collect()
}

/// Two names of one actor, leniently: a significant word in common, up to inflection
/// ("Israeli troops" / "Israel", "Gingrich" / "Newt Gingrich").
fn same_actor(gold: &str, got: &str) -> bool {
    let a = key_words(gold);
    let b = key_words(got);
    a.iter().any(|x| {
        b.iter().any(|y| {
            let n = x.chars().count().min(y.chars().count()).min(5);
            x == y || (n >= 4 && x.chars().take(n).eq(y.chars().take(n)))
        })
    })
}

fn location_ok(gold: Option<&str>, got: Option<&str>) -> bool {
    match (gold, got) {
        (None, None) => true,
        (Some(g), Some(r)) => same_actor(g, r),
        _ => false,
    }
}

/// Irregular past forms that share no prefix with their verb.
const IRREGULAR: &[(&str, &str)] = &[
    ("met", "meet"),
    ("held", "hold"),
    ("sent", "send"),
    ("gave", "give"),
    ("took", "take"),
    ("struck", "strike"),
    ("fought", "fight"),
    ("shot", "shoot"),
    ("won", "win"),
    ("led", "lead"),
    ("left", "leave"),
    ("made", "make"),
    ("broke", "break"),
    ("threw", "throw"),
    ("sought", "seek"),
    ("began", "begin"),
    ("told", "tell"),
    ("said", "say"),
    ("spoke", "speak"),
    ("stood", "stand"),
    ("rose", "rise"),
    ("fell", "fall"),
    ("withdrew", "withdraw"),
    ("overthrew", "overthrow"),
    ("bought", "buy"),
    ("sold", "sell"),
    ("fled", "flee"),
    ("forbade", "forbid"),
    ("swore", "swear"),
];

fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if let Some((_, base)) = IRREGULAR.iter().find(|(past, _)| *past == w) {
        return (*base).to_owned();
    }
    w
}

/// True when a word of `gold` and a word of `got` share a stem: equal after the irregular
/// forms, a common prefix of 4 letters or more, or one (of 3 letters or more) the start of
/// the other.
pub fn shares_stem(gold: &str, got: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(stem)
            .collect()
    };
    let (a, b) = (words(gold), words(got));
    a.iter().any(|x| {
        b.iter().any(|y| {
            let common = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
            let shorter = x.chars().count().min(y.chars().count());
            x == y || common >= 4 || (shorter >= 3 && common == shorter)
        })
    })
}

/// The days a TIMEX3 date value covers, `[first, last]`: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`
/// (a time after it is ignored) and `YYYY-Www`.
fn interval(value: &str) -> Option<(NaiveDate, NaiveDate)> {
    let v = value.split('T').next()?;
    let parts: Vec<&str> = v.split('-').collect();
    let year: i32 = parts
        .first()?
        .parse()
        .ok()
        .filter(|_| parts[0].len() == 4)?;
    match parts.as_slice() {
        [_] => Some((
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        )),
        [_, w] if w.starts_with('W') => {
            let week: u32 = w[1..].parse().ok()?;
            let first = NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)?;
            Some((first, first + chrono::Days::new(6)))
        }
        [_, m] => {
            let month: u32 = m.parse().ok()?;
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)?
            };
            Some((first, next.pred_opt()?))
        }
        [_, m, d] => {
            let day = NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)?;
            Some((day, day))
        }
        _ => None,
    }
}

/// The record's date is the gold date or a coarser one that contains it.
pub fn date_ok(got: &str, gold: &str) -> bool {
    if got == gold {
        return true;
    }
    match (interval(got), interval(gold)) {
        (Some((a, b)), Some((c, d))) => a <= c && d <= b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert!(shares_stem("attacked", "attack"));
        assert!(shares_stem("met", "meeting"));
        assert!(shares_stem("talks", "held talks"));
        assert!(shares_stem("condemned", "condemnation"));
        assert!(!shares_stem("met", "attacked"));
        assert!(!shares_stem("said", "sanctions"));
    }

    #[test]
    fn dates_exact_or_coarser() {
        assert!(date_ok("2005-11-16", "2005-11-16"));
        assert!(date_ok("2005-11", "2005-11-16"));
        assert!(date_ok("2005", "2005-11-16"));
        assert!(date_ok("2005-W46", "2005-11-16"));
        assert!(date_ok("2005-11-16T10:00", "2005-11-16"));
        assert!(!date_ok("2005-11-17", "2005-11-16"));
        assert!(
            !date_ok("2005-11-16", "2005-11"),
            "finer than the gold is not coarser"
        );
        assert!(!date_ok("XXXX-11-16", "2005-11-16"));
        assert!(!date_ok("2005-12", "2005-11-16"));
    }

    #[test]
    fn actor_names_leniently() {
        assert!(same_actor("Newt Gingrich", "Gingrich"));
        assert!(same_actor("Israeli troops", "Israel"));
        assert!(same_actor("the European Union", "European Union"));
        assert!(!same_actor("Foreign Minister", "Prime Minister"));
        assert!(!same_actor("Iran", "Iraq"));
    }
}
