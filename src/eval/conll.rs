//! CoNLL-2003 scoring of the named-entity tagger (entity level, conlleval semantics).
//!
//! Reads a CoNLL file (`token POS chunk NER` per line, IOB1 tags, blank line between
//! sentences, `-DOCSTART-` between documents), tags each sentence's gold tokens with
//! [`NerTagger`], and counts exact matches of span *and* type. The file is only read for
//! scoring: nothing from it flows into the model.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::extract::actors::ner::{NerLabel, NerTagger};

/// Why a CoNLL file could not be scored.
#[derive(Debug, Error)]
pub enum EvalError {
    #[error("cannot read CoNLL file {path}: {source} (pass the path of eng.testa or similar)")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected `token POS chunk NER`, found {found:?}")]
    Format {
        path: PathBuf,
        line: usize,
        found: String,
    },
}

/// Precision, recall and F1 (percentages) with their counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
}

impl Prf {
    fn from_counts(gold: usize, predicted: usize, correct: usize) -> Prf {
        let precision = if predicted > 0 {
            100.0 * correct as f64 / predicted as f64
        } else {
            0.0
        };
        let recall = if gold > 0 {
            100.0 * correct as f64 / gold as f64
        } else {
            0.0
        };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Prf {
            precision,
            recall,
            f1,
            gold,
            predicted,
            correct,
        }
    }
}

/// Scores per type, the micro average over PER+ORG+LOC (the headline) and over all four.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConllReport {
    pub per: Prf,
    pub org: Prf,
    pub loc: Prf,
    pub misc: Prf,
    /// Micro average over PER, ORG and LOC: the project's headline figure.
    pub micro_per_org_loc: Prf,
    /// Micro average over all four types (what conlleval prints as "overall").
    pub micro_all: Prf,
    pub sentences: usize,
    pub tokens: usize,
    /// Token-level accuracy of the entity/non-entity-and-type decision.
    pub token_accuracy: f64,
}

impl fmt::Display for ConllReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} sentences, {} tokens, token accuracy {:.2}%",
            self.sentences, self.tokens, self.token_accuracy
        )?;
        writeln!(
            f,
            "{:<14} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
            "type", "precision", "recall", "F1", "gold", "pred", "correct"
        )?;
        for (name, p) in [
            ("PER", &self.per),
            ("ORG", &self.org),
            ("LOC", &self.loc),
            ("MISC", &self.misc),
            ("PER+ORG+LOC", &self.micro_per_org_loc),
            ("all", &self.micro_all),
        ] {
            writeln!(
                f,
                "{:<14} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>7} {:>7}",
                name, p.precision, p.recall, p.f1, p.gold, p.predicted, p.correct
            )?;
        }
        Ok(())
    }
}

/// One CoNLL sentence: tokens and their IOB1 NER tags.
#[derive(Debug, Clone, Default)]
pub struct ConllSentence {
    pub tokens: Vec<String>,
    pub tags: Vec<String>,
}

/// Reads sentences from CoNLL text (no `-DOCSTART-` sentences).
pub fn parse(text: &str, path: &Path) -> Result<Vec<ConllSentence>, EvalError> {
    let mut out = Vec::new();
    let mut cur = ConllSentence::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            if !cur.tokens.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (Some(tok), Some(tag)) = (cols.first(), cols.last()) else {
            continue;
        };
        if cols.len() < 2 {
            return Err(EvalError::Format {
                path: path.to_path_buf(),
                line: n + 1,
                found: line.to_string(),
            });
        }
        if *tok == "-DOCSTART-" {
            continue;
        }
        cur.tokens.push((*tok).to_string());
        cur.tags.push((*tag).to_string());
    }
    if !cur.tokens.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Gold spans from IOB1 tags (conlleval: a chunk starts at B-X, or at I-X after another type
/// or after O).
pub fn iob_spans(tags: &[String]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, t) in tags.iter().enumerate() {
        let (prefix, ty) = match t.split_once('-') {
            Some((p, ty)) => (p, ty),
            None => ("O", ""),
        };
        let continues = prefix == "I" && cur.as_ref().is_some_and(|(_, c)| c == ty);
        if !continues {
            if let Some((s, c)) = cur.take() {
                out.push((s, i, c));
            }
            if prefix == "B" || prefix == "I" {
                cur = Some((i, ty.to_string()));
            }
        }
    }
    if let Some((s, c)) = cur {
        out.push((s, tags.len(), c));
    }
    out
}

/// Scores `tagger` on the CoNLL file at `path`.
pub fn evaluate(path: &Path, tagger: &NerTagger) -> Result<ConllReport, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let sentences = parse(&text, path)?;
    Ok(score(&sentences, |words| {
        tagger
            .tag(words)
            .into_iter()
            .map(|e| (e.start, e.end, e.label.as_str().to_string()))
            .collect()
    }))
}

/// Scores any tagger given as a function from words to `(start, end, type)` spans.
pub fn score(
    sentences: &[ConllSentence],
    mut tag: impl FnMut(&[&str]) -> Vec<(usize, usize, String)>,
) -> ConllReport {
    let labels = NerLabel::ALL.map(|l| l.as_str());
    let mut counts = [[0usize; 3]; 4]; // gold, predicted, correct per type
    let (mut tokens, mut tok_ok) = (0usize, 0usize);
    for s in sentences {
        let words: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
        let gold = iob_spans(&s.tags);
        let pred = tag(&words);
        let gold_set: BTreeSet<&(usize, usize, String)> = gold.iter().collect();
        for (k, l) in labels.iter().enumerate() {
            counts[k][0] += gold.iter().filter(|g| g.2 == *l).count();
            counts[k][1] += pred.iter().filter(|p| p.2 == *l).count();
            counts[k][2] += pred
                .iter()
                .filter(|p| p.2 == *l && gold_set.contains(p))
                .count();
        }
        let mut gt = vec![""; words.len()];
        let mut pt = vec![""; words.len()];
        for (a, b, l) in &gold {
            for x in gt.iter_mut().take(*b).skip(*a) {
                *x = l;
            }
        }
        for (a, b, l) in &pred {
            for x in pt.iter_mut().take(*b).skip(*a) {
                *x = l;
            }
        }
        tokens += words.len();
        tok_ok += gt.iter().zip(&pt).filter(|(a, b)| a == b).count();
    }
    let prf = |c: [usize; 3]| Prf::from_counts(c[0], c[1], c[2]);
    let sum = |idx: &[usize]| {
        let mut c = [0usize; 3];
        for &i in idx {
            for j in 0..3 {
                c[j] += counts[i][j];
            }
        }
        c
    };
    ConllReport {
        per: prf(counts[0]),
        org: prf(counts[1]),
        loc: prf(counts[2]),
        misc: prf(counts[3]),
        micro_per_org_loc: prf(sum(&[0, 1, 2])),
        micro_all: prf(sum(&[0, 1, 2, 3])),
        sentences: sentences.len(),
        tokens,
        token_accuracy: if tokens > 0 {
            100.0 * tok_ok as f64 / tokens as f64
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "-DOCSTART- -X- O O\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\nvisits VBZ I-VP O\nEU NNP I-NP I-ORG\nHQ NN I-NP O\n\nParis NNP I-NP I-LOC\nBerlin NNP I-NP B-LOC\n";

    #[test]
    fn iob1_decoding() {
        let s = parse(SAMPLE, Path::new("x")).expect("parses");
        assert_eq!(s.len(), 2);
        assert_eq!(
            iob_spans(&s[0].tags),
            vec![(0, 2, "PER".into()), (3, 4, "ORG".into())]
        );
        assert_eq!(
            iob_spans(&s[1].tags),
            vec![(0, 1, "LOC".into()), (1, 2, "LOC".into())]
        );
    }

    #[test]
    fn scoring_counts_exact_span_and_type() {
        let s = parse(SAMPLE, Path::new("x")).expect("parses");
        let r = score(&s, |w| {
            if w[0] == "Peter" {
                vec![(0, 2, "PER".into()), (3, 5, "ORG".into())] // ORG span too long
            } else {
                vec![(0, 1, "LOC".into()), (1, 2, "ORG".into())] // wrong type
            }
        });
        assert_eq!(r.per.correct, 1);
        assert_eq!(r.org.correct, 0);
        assert_eq!(r.loc.correct, 1);
        assert_eq!(r.micro_per_org_loc.gold, 4);
        assert_eq!(r.micro_per_org_loc.predicted, 4);
        assert!((r.micro_per_org_loc.f1 - 50.0).abs() < 1e-9);
    }

    #[test]
    fn missing_file_is_an_error() {
        let t = NerTagger::builtin().expect("weights load");
        assert!(evaluate(Path::new("/nonexistent/eng.testa"), &t).is_err());
    }
}
