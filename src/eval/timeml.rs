//! Scoring the time tagger against TimeML gold data (TempEval-3 style).
//!
//! Every `*.tml` file under a directory is read; the `<DCT>` TIMEX3 value is the reference time
//! (UTC), the tags of the `<TEXT>` section are stripped (keeping the offsets of the gold TIMEX3
//! spans in the plain text), the tagger runs on the plain text, and the result is scored:
//!
//! * strict span F1: system and gold spans identical;
//! * relaxed span F1: spans overlap (each gold paired with at most one system timex);
//! * value F1: relaxed pairs whose normalized `value` is also equal (the TempEval-3 ranking
//!   figure);
//! * type accuracy: share of relaxed pairs with the same TIMEX3 type.
//!
//! Figures are given per sub-folder (TimeBank, AQUAINT...) and overall. The mismatches
//! (missed, spurious, wrong value, wrong type) are kept for development.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::article::ReferenceTime;
use crate::extract::time::{TimeTagger, Timex};

/// Why an evaluation could not run. Each message names the file or folder and the fix.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}; check the path and permissions")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no *.tml files under {dir}; point to a folder of TimeML documents (e.g. ../shared/eval/timeml)"
    )]
    NoDocuments { dir: PathBuf },
    #[error("{path} is not a usable TimeML document: {reason}")]
    BadDocument { path: PathBuf, reason: String },
}

/// One gold TIMEX3 in the plain text of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldTimex {
    pub start: usize,
    pub end: usize,
    pub kind: String,
    pub value: String,
    pub modifier: Option<String>,
}

/// A TimeML document reduced to what scoring needs.
#[derive(Debug, Clone)]
pub struct TimemlDoc {
    pub path: PathBuf,
    pub reference: Option<ReferenceTime>,
    pub text: String,
    pub gold: Vec<GoldTimex>,
}

/// What went wrong with one expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MismatchKind {
    Missed,
    Spurious,
    WrongValue,
    WrongType,
}

impl MismatchKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MismatchKind::Missed => "missed",
            MismatchKind::Spurious => "spurious",
            MismatchKind::WrongValue => "value",
            MismatchKind::WrongType => "type",
        }
    }
}

/// One mismatch between gold and system, with enough context to read it.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub doc: String,
    pub kind: MismatchKind,
    /// The gold text (for missed and wrong ones) or the system text (spurious).
    pub gold_text: Option<String>,
    pub gold_value: Option<String>,
    pub system_text: Option<String>,
    pub system_value: Option<String>,
    /// Up to 60 bytes either side of the expression.
    pub context: String,
    /// The reference time of the document.
    pub reference: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:8} {} [{}] gold={:?}/{} sys={:?}/{} | {}",
            self.kind.as_str(),
            self.doc,
            self.reference,
            self.gold_text.as_deref().unwrap_or("-"),
            self.gold_value.as_deref().unwrap_or("-"),
            self.system_text.as_deref().unwrap_or("-"),
            self.system_value.as_deref().unwrap_or("-"),
            self.context.replace('\n', " ")
        )
    }
}

/// Counts for one group of documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub docs: usize,
    pub gold: usize,
    pub system: usize,
    pub strict: usize,
    pub relaxed: usize,
    pub value: usize,
    pub kind: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.docs += o.docs;
        self.gold += o.gold;
        self.system += o.system;
        self.strict += o.strict;
        self.relaxed += o.relaxed;
        self.value += o.value;
        self.kind += o.kind;
    }

    fn f1(&self, hits: usize) -> (f64, f64, f64) {
        let p = pct(hits, self.system);
        let r = pct(hits, self.gold);
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        (p, r, f)
    }

    pub fn strict_f1(&self) -> f64 {
        self.f1(self.strict).2
    }
    pub fn relaxed_f1(&self) -> f64 {
        self.f1(self.relaxed).2
    }
    pub fn value_f1(&self) -> f64 {
        self.f1(self.value).2
    }
    pub fn type_accuracy(&self) -> f64 {
        pct(self.kind, self.relaxed)
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// The scores, overall and per sub-folder. Figures are percentages.
#[derive(Debug, Clone)]
pub struct TimemlReport {
    pub strict_precision: f64,
    pub strict_recall: f64,
    pub strict_f1: f64,
    pub relaxed_precision: f64,
    pub relaxed_recall: f64,
    pub relaxed_f1: f64,
    pub value_precision: f64,
    pub value_recall: f64,
    pub value_f1: f64,
    pub type_accuracy: f64,
    pub overall: Counts,
    /// Counts per first-level sub-folder ("TimeBank", "AQUAINT"; "." for files at the top).
    pub folders: BTreeMap<String, Counts>,
    /// Every mismatch, in document order.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for TimemlReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>5} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6}",
            "set",
            "docs",
            "gold",
            "sys",
            "str-P",
            "str-R",
            "str-F1",
            "rel-P",
            "rel-R",
            "rel-F1",
            "val-P",
            "val-R",
            "val-F1",
            "type%"
        )?;
        let mut row = |name: &str, c: &Counts| -> fmt::Result {
            let (sp, sr, sf) = c.f1(c.strict);
            let (rp, rr, rf) = c.f1(c.relaxed);
            let (vp, vr, vf) = c.f1(c.value);
            writeln!(
                f,
                "{:<10} {:>5} {:>6} {:>6} | {:>6.1} {:>6.1} {:>6.1} | {:>6.1} {:>6.1} {:>6.1} | {:>6.1} {:>6.1} {:>6.1} | {:>6.1}",
                name,
                c.docs,
                c.gold,
                c.system,
                sp,
                sr,
                sf,
                rp,
                rr,
                rf,
                vp,
                vr,
                vf,
                c.type_accuracy()
            )
        };
        for (name, c) in &self.folders {
            row(name, c)?;
        }
        row("overall", &self.overall)
    }
}

/// Scores `tagger` on every `*.tml` under `dir` (recursively).
pub fn evaluate(dir: &Path, tagger: &TimeTagger) -> Result<TimemlReport, EvalError> {
    let mut files = Vec::new();
    collect_tml(dir, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(EvalError::NoDocuments {
            dir: dir.to_path_buf(),
        });
    }
    let mut folders: BTreeMap<String, Counts> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for path in files {
        let raw = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
            path: path.clone(),
            source,
        })?;
        let doc = parse_document(&path, &raw)?;
        let system = tagger.tag(&doc.text, doc.reference.as_ref());
        let counts = score(&doc, &system, &mut mismatches);
        let folder = path
            .strip_prefix(dir)
            .ok()
            .and_then(|rel| {
                let mut comps = rel.components();
                let first = comps.next()?;
                comps
                    .next()
                    .map(|_| first.as_os_str().to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| ".".to_string());
        folders.entry(folder).or_default().add(&counts);
    }
    let mut overall = Counts::default();
    folders.values().for_each(|c| overall.add(c));
    let (sp, sr, sf) = overall.f1(overall.strict);
    let (rp, rr, rf) = overall.f1(overall.relaxed);
    let (vp, vr, vf) = overall.f1(overall.value);
    Ok(TimemlReport {
        strict_precision: sp,
        strict_recall: sr,
        strict_f1: sf,
        relaxed_precision: rp,
        relaxed_recall: rr,
        relaxed_f1: rf,
        value_precision: vp,
        value_recall: vr,
        value_f1: vf,
        type_accuracy: overall.type_accuracy(),
        overall,
        folders,
        mismatches,
    })
}

fn collect_tml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), EvalError> {
    let entries = std::fs::read_dir(dir).map_err(|source| EvalError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| EvalError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_tml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "tml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Attributes of a tag's inside (`TIMEX3 tid="t1" type="DATE"`).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 2..];
        let Some(close) = after.find('"') else { break };
        out.insert(name, decode_entities(&after[..close]));
        rest = &after[close + 1..];
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The reference time of a DCT value (`1998-08-07`, `1998-11-20T19:30`, `...T14:57:00`), UTC.
fn reference_of(value: &str) -> Option<ReferenceTime> {
    let date = NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok()?;
    let time = value.get(11..).and_then(|t| {
        NaiveTime::parse_from_str(t, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
            .ok()
    });
    let utc = FixedOffset::east_opt(0)?;
    let instant = utc
        .from_local_datetime(&date.and_time(time.unwrap_or_default()))
        .single()?;
    Some(ReferenceTime {
        instant,
        date_only: time.is_none(),
    })
}

/// Parses one TimeML document: DCT, plain text of `<TEXT>` and the gold TIMEX3 spans in it.
pub fn parse_document(path: &Path, raw: &str) -> Result<TimemlDoc, EvalError> {
    let bad = |reason: &str| EvalError::BadDocument {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let reference = raw
        .find("<DCT>")
        .and_then(|i| raw[i..].find("<TIMEX3").map(|j| i + j))
        .and_then(|i| raw[i..].find('>').map(|j| &raw[i..i + j]))
        .and_then(|tag| attributes(tag).get("value").and_then(|v| reference_of(v)));
    let body_start = raw.find("<TEXT>").ok_or_else(|| bad("no <TEXT> element"))? + "<TEXT>".len();
    let body_end = raw[body_start..]
        .find("</TEXT>")
        .map(|k| body_start + k)
        .ok_or_else(|| bad("<TEXT> is not closed"))?;
    let body = &raw[body_start..body_end];
    let mut text = String::with_capacity(body.len());
    let mut gold = Vec::new();
    let mut open: Option<(usize, BTreeMap<String, String>)> = None;
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        text.push_str(&decode_entities(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            return Err(bad("a tag in <TEXT> is not closed"));
        };
        let tag = &rest[lt + 1..lt + gt];
        if tag.starts_with("TIMEX3") {
            open = Some((text.len(), attributes(tag)));
        } else if tag.starts_with("/TIMEX3")
            && let Some((start, attrs)) = open.take()
        {
            gold.push(GoldTimex {
                start,
                end: text.len(),
                kind: attrs.get("type").cloned().unwrap_or_default(),
                value: attrs.get("value").cloned().unwrap_or_default(),
                modifier: attrs.get("mod").cloned(),
            });
        }
        rest = &rest[lt + gt + 1..];
    }
    text.push_str(&decode_entities(rest));
    Ok(TimemlDoc {
        path: path.to_path_buf(),
        reference,
        text,
        gold,
    })
}

fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

fn context(text: &str, start: usize, end: usize) -> String {
    let mut s = start.saturating_sub(60);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = (end + 60).min(text.len());
    while !text.is_char_boundary(e) {
        e += 1;
    }
    format!(
        "{}[{}]{}",
        &text[s..start],
        &text[start..end],
        &text[end..e]
    )
}

/// Scores one document, appending its mismatches.
fn score(doc: &TimemlDoc, system: &[Timex], mismatches: &mut Vec<Mismatch>) -> Counts {
    let name = doc
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reference = doc
        .reference
        .map(|r| r.to_string_lossless())
        .unwrap_or_else(|| "-".to_string());
    let mut counts = Counts {
        docs: 1,
        gold: doc.gold.len(),
        system: system.len(),
        ..Counts::default()
    };
    let mut used = vec![false; system.len()];
    let surface = |s: usize, e: usize| doc.text.get(s..e).unwrap_or("").to_string();
    for g in &doc.gold {
        counts.strict += usize::from(system.iter().any(|t| t.start == g.start && t.end == g.end));
        // Pair with the unused system timex that overlaps most.
        let best = system
            .iter()
            .enumerate()
            .filter(|(i, t)| !used[*i] && overlap((t.start, t.end), (g.start, g.end)) > 0)
            .max_by_key(|(_, t)| overlap((t.start, t.end), (g.start, g.end)));
        let mk = |kind, sys: Option<&Timex>| Mismatch {
            doc: name.clone(),
            kind,
            gold_text: Some(surface(g.start, g.end)),
            gold_value: Some(g.value.clone()),
            system_text: sys.map(|t| surface(t.start, t.end)),
            system_value: sys.map(|t| t.value.clone()),
            context: context(&doc.text, g.start, g.end),
            reference: reference.clone(),
        };
        match best {
            None => mismatches.push(mk(MismatchKind::Missed, None)),
            Some((i, t)) => {
                used[i] = true;
                counts.relaxed += 1;
                if t.value == g.value {
                    counts.value += 1;
                } else {
                    mismatches.push(mk(MismatchKind::WrongValue, Some(t)));
                }
                if t.kind.as_str() == g.kind {
                    counts.kind += 1;
                } else {
                    mismatches.push(mk(MismatchKind::WrongType, Some(t)));
                }
            }
        }
    }
    for (i, t) in system.iter().enumerate() {
        if !used[i] {
            mismatches.push(Mismatch {
                doc: name.clone(),
                kind: MismatchKind::Spurious,
                gold_text: None,
                gold_value: None,
                system_text: Some(surface(t.start, t.end)),
                system_value: Some(t.value.clone()),
                context: context(&doc.text, t.start, t.end),
                reference: reference.clone(),
            });
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" ?>
<TimeML><DCT><TIMEX3 tid="t0" type="DATE" value="1998-08-07T10:30" functionInDocument="CREATION_TIME">x</TIMEX3></DCT>
<TEXT>
Bombs <EVENT eid="e1">exploded</EVENT> <TIMEX3 tid="t1" type="DATE" value="1998-08-07">Friday</TIMEX3> &amp; <TIMEX3 tid="t2" type="DURATION" value="P3Y">three years</TIMEX3> later.
</TEXT></TimeML>"#;

    #[test]
    fn parses_text_gold_and_reference() {
        let doc = parse_document(Path::new("a.tml"), DOC).unwrap();
        assert_eq!(doc.gold.len(), 2);
        let g = &doc.gold[0];
        assert_eq!(&doc.text[g.start..g.end], "Friday");
        assert_eq!(&doc.text[doc.gold[1].start..doc.gold[1].end], "three years");
        assert!(doc.text.contains("Friday & three"));
        let r = doc.reference.unwrap();
        assert_eq!(r.instant.to_rfc3339(), "1998-08-07T10:30:00+00:00");
    }

    #[test]
    fn scores_strict_relaxed_and_value() {
        let doc = parse_document(Path::new("a.tml"), DOC).unwrap();
        let f = doc.text.find("Friday").unwrap();
        let y = doc.text.find("three").unwrap();
        let t = |s, e, kind, v: &str| Timex {
            start: s,
            end: e,
            kind,
            value: v.to_string(),
            modifier: None,
            relative: false,
            resolved: true,
        };
        use crate::extract::time::TimexKind;
        let system = vec![
            t(f, f + 6, TimexKind::Date, "1998-08-07"),
            t(y + 6, y + 11, TimexKind::Duration, "P2Y"),
            t(0, 5, TimexKind::Date, "X"),
        ];
        let mut mm = Vec::new();
        let c = score(&doc, &system, &mut mm);
        assert_eq!(
            (c.gold, c.system, c.strict, c.relaxed, c.value, c.kind),
            (2, 3, 1, 2, 1, 2)
        );
        assert_eq!(
            mm.iter()
                .filter(|m| m.kind == MismatchKind::Spurious)
                .count(),
            1
        );
        assert_eq!(
            mm.iter()
                .filter(|m| m.kind == MismatchKind::WrongValue)
                .count(),
            1
        );
        assert!((c.value_f1() - 40.0).abs() < 1e-9);
    }

    #[test]
    fn missing_text_is_an_error() {
        let err = parse_document(Path::new("b.tml"), "<TimeML></TimeML>").unwrap_err();
        assert!(err.to_string().contains("b.tml"));
    }
}
