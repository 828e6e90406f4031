//! The tense of the clause around a time expression, from cue words (`data/time/cues.tsv`).
//!
//! "met on Tuesday" means the Tuesday before the article, "will visit on Tuesday" the one
//! after. Without a parser we look at the nearest cue word: first leftwards from the
//! expression (the verb group that governs it usually precedes it), then rightwards
//! ("On Tuesday, the minister said ..."). A past participle right after a form of "be" is
//! passive, not past ("will be held Friday"), so it is skipped and the auxiliary decides.

use std::collections::HashMap;

use crate::extract::hash::FxBuild;

use super::TimeRulesError;
use super::tables::{CUES, rows};

/// The tense a clause was found to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    Past,
    Present,
    Future,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cue {
    tense: Option<Tense>,
    /// A form of "be": a participle right after it is passive.
    aux: bool,
    /// The infinitive marker "to": a future cue when a verb follows ("plans to visit").
    inf: bool,
    /// A word after which "to" is not an infinitive marker ("to the", "to 5").
    det: bool,
    /// Listed only to stop a suffix rule ("hundred" is not a past tense).
    none: bool,
    /// The tense comes from a suffix rule ("-ed"), not from the word list.
    by_suffix: bool,
}

/// The cue table: words and word endings.
#[derive(Debug)]
pub(crate) struct Cues {
    /// Looked up for every word around a relative expression: FxHash (keys are our own
    /// table's).
    words: HashMap<String, Cue, FxBuild>,
    suffixes: Vec<(String, Tense)>,
    window: usize,
}

/// How many words on each side of an expression are looked at.
const WINDOW: usize = 12;

/// How many words away an infinitive "to" may be and still count ("plans to visit on Friday").
const INF_REACH: usize = 4;

fn parse_tense(s: &str) -> Result<Option<Tense>, String> {
    Ok(match s {
        "past" => Some(Tense::Past),
        "present" => Some(Tense::Present),
        "future" => Some(Tense::Future),
        "" | "none" => None,
        other => {
            return Err(format!(
                "unknown tense `{other}`; use past, present, future or -"
            ));
        }
    })
}

impl Cues {
    pub fn builtin() -> Result<Cues, TimeRulesError> {
        Cues::from_table(CUES)
    }

    pub fn from_table(table: &str) -> Result<Cues, TimeRulesError> {
        let mut words: HashMap<String, Cue, FxBuild> = HashMap::default();
        let mut suffixes = Vec::new();
        for row in rows("cues.tsv", table, 2)? {
            let err = |reason: String| TimeRulesError::Table {
                file: "cues.tsv",
                line: row.line,
                reason,
            };
            let tense = parse_tense(row.get(1)).map_err(err)?;
            if let Some(suffix) = row.get(0).strip_prefix('*') {
                let t =
                    tense.ok_or_else(|| err("a suffix row (`*ed`) needs a tense".to_string()))?;
                suffixes.push((suffix.to_lowercase(), t));
                continue;
            }
            let mut cue = Cue {
                tense,
                none: row.get(1) == "none",
                ..Cue::default()
            };
            for role in row.get(2).split(',').filter(|r| !r.is_empty()) {
                match role {
                    "aux" => cue.aux = true,
                    "inf" => cue.inf = true,
                    "det" => cue.det = true,
                    other => {
                        return Err(err(format!("unknown role `{other}`; use aux, inf or det")));
                    }
                }
            }
            words.insert(row.get(0).to_lowercase(), cue);
        }
        Ok(Cues {
            words,
            suffixes,
            window: WINDOW,
        })
    }

    fn cue(&self, word: &str) -> Cue {
        // Most words are already lower case: look them up without allocating.
        let lower: std::borrow::Cow<'_, str> = if word.chars().any(char::is_uppercase) {
            word.to_lowercase().into()
        } else {
            word.into()
        };
        if let Some(c) = self.words.get(lower.as_ref()) {
            return *c;
        }
        // Suffix rules ("-ed") apply to lower-case words only: capitalized ones are mostly
        // names ("United", "Ahmed").
        if word.starts_with(|c: char| c.is_lowercase()) {
            for (suffix, tense) in &self.suffixes {
                if lower.len() > suffix.len() + 2 && lower.ends_with(suffix.as_str()) {
                    return Cue {
                        tense: Some(*tense),
                        by_suffix: true,
                        ..Cue::default()
                    };
                }
            }
        }
        Cue::default()
    }

    /// The tense governing the expression at `[start, end)` of `sentence`.
    /// `words` are the word spans of `sentence` ([`words_of`]), computed once per sentence by
    /// the caller: a sentence with many expressions must not be re-read for each.
    pub fn tense_at(
        &self,
        sentence: &str,
        words: &[(usize, usize)],
        start: usize,
        end: usize,
    ) -> Tense {
        let first_after = words.partition_point(|&(s, _)| s < end);
        let last_before = words.partition_point(|&(_, e)| e <= start);
        let text = |i: usize| -> &str {
            words
                .get(i)
                .and_then(|&(s, e)| sentence.get(s..e))
                .unwrap_or("")
        };
        let decide = |i: usize, limit: usize, distance: usize| -> Option<Tense> {
            let cue = self.cue(text(i));
            if cue.inf {
                // "to" + verb is weak evidence ("made offers to acquire X Friday" is past), so
                // it counts only close to the expression and right before a lower-case word.
                let next = i + 1;
                if next < limit && distance <= INF_REACH {
                    let w = text(next);
                    let nc = self.cue(w);
                    let adjacent = words
                        .get(i)
                        .zip(words.get(next))
                        .and_then(|(&(_, e), &(s, _))| sentence.get(e..s))
                        .is_some_and(|gap| gap.chars().all(char::is_whitespace));
                    let verb_like = adjacent
                        && w.starts_with(|c: char| c.is_lowercase())
                        && !nc.det
                        && nc.tense.is_none();
                    if verb_like {
                        return Some(Tense::Future);
                    }
                }
                return None;
            }
            let tense = cue.tense?;
            if tense == Tense::Past && i > 0 {
                let before = self.cue(text(i - 1));
                if before.aux {
                    return None; // passive participle: the auxiliary decides
                }
                if cue.by_suffix && before.det {
                    return None; // an adjective: "a still unspecified date", "the revised plan"
                }
            }
            Some(tense)
        };
        for i in (last_before.saturating_sub(self.window)..last_before).rev() {
            if let Some(t) = decide(i, last_before, last_before - i) {
                return t;
            }
        }
        for i in first_after..words.len().min(first_after + self.window) {
            if let Some(t) = decide(i, words.len(), i + 1 - first_after) {
                return t;
            }
        }
        Tense::Unknown
    }
}

/// Word spans (letters and apostrophes) of a clause, stopping at clause breaks (`;`).
pub(crate) fn words_of(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        let in_word = c.is_alphabetic() || (start.is_some() && (c == '\'' || c == '’'));
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push((st, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues() -> Cues {
        Cues::from_table(
            "will\tfuture\nsaid\tpast\nmet\tpast\nwas\tpast\taux\nbe\t-\taux\nis\tpresent\taux\nto\t-\tinf\nthe\t-\tdet\na\t-\tdet\n*ed\tpast\nhundred\tnone\n",
        )
        .unwrap()
    }

    fn tense(s: &str, expr: &str) -> Tense {
        let start = s.find(expr).unwrap();
        cues().tense_at(s, &words_of(s), start, start + expr.len())
    }

    #[test]
    fn nearest_cue_decides() {
        assert_eq!(tense("They met on Tuesday.", "Tuesday"), Tense::Past);
        assert_eq!(
            tense("He will visit in December.", "December"),
            Tense::Future
        );
        assert_eq!(
            tense("On Tuesday, the minister said", "Tuesday"),
            Tense::Past
        );
        assert_eq!(tense("Talks will be held Friday", "Friday"), Tense::Future);
        assert_eq!(tense("Talks was held Friday", "Friday"), Tense::Past);
        assert_eq!(tense("He plans to visit Friday", "Friday"), Tense::Future);
        assert_eq!(
            tense("It rose to the Friday high", "Friday"),
            Tense::Unknown
        );
        assert_eq!(tense("A hundred on Friday", "Friday"), Tense::Unknown);
        assert_eq!(
            tense("He will pay on a delayed date in May", "May"),
            Tense::Future
        );
        assert_eq!(tense("Friday", "Friday"), Tense::Unknown);
    }
}
