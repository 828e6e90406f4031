//! Attribution: who reports the events of a sentence, and when they said it.
//!
//! "Hamas stated that the remains belonged to a captive killed during Israeli bombardments":
//! the event is the killing (ASSAULT), Hamas is who says so. PLOVER codes events, not
//! statements, so instead of a record for the statement, every event of the sentence carries
//! the statement's speaker and date. Cue verbs are data (`data/events/attribution.tsv`).

use std::collections::HashMap;

use super::lexicon::{LexiconError, lemma};
use crate::extract::hash::FxBuild;

const ATTRIBUTION_TSV: &str = include_str!("../../../data/events/attribution.tsv");

/// Where the speaker stands relative to the cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeakerSide {
    Before,
    After,
}

/// A cue found in a sentence: token range of the cue words and where to look for the speaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    pub start: usize,
    pub end: usize,
    pub side: SpeakerSide,
}

/// The compiled cue table.
#[derive(Debug)]
pub struct Attributions {
    /// First lemma -> (rest of the cue's lemmas, side).
    /// (FxHash: probed for many words of every sentence.)
    cues: HashMap<String, Vec<(Vec<String>, SpeakerSide)>, FxBuild>,
    /// First three letters of every cue form: a cheap filter before lemmatizing a word.
    prefixes: std::collections::HashSet<[u8; 3], FxBuild>,
}

impl Attributions {
    pub fn builtin() -> Result<Attributions, LexiconError> {
        let mut cues: HashMap<String, Vec<(Vec<String>, SpeakerSide)>, FxBuild> =
            HashMap::default();
        for (n, line) in ATTRIBUTION_TSV.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() || line.starts_with("lemma\t") {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(cue), Some(side)) = (cols.next(), cols.next()) else {
                return Err(LexiconError::Parse {
                    file: "data/events/attribution.tsv",
                    line: n + 1,
                    message: "expected 2 tab-separated columns: lemma, speaker".into(),
                });
            };
            let side = match side.trim() {
                "before" => SpeakerSide::Before,
                "after" => SpeakerSide::After,
                other => {
                    return Err(LexiconError::Parse {
                        file: "data/events/attribution.tsv",
                        line: n + 1,
                        message: format!("speaker must be `before` or `after`, not {other:?}"),
                    });
                }
            };
            let mut words = cue.split_whitespace().map(str::to_lowercase);
            let Some(first) = words.next() else { continue };
            cues.entry(first).or_default().push((words.collect(), side));
        }
        // Irregular past forms ("said", "told") have prefixes of their own.
        let prefixes = cues
            .keys()
            .map(String::as_str)
            .chain(["said", "told"])
            .filter_map(|k| {
                k.as_bytes()
                    .get(..3)
                    .and_then(|p| <[u8; 3]>::try_from(p).ok())
            })
            .collect();
        Ok(Attributions { cues, prefixes })
    }

    /// The first attribution cue of a sentence, if any.
    pub fn find(&self, words: &[&str]) -> Option<Cue> {
        for (i, w) in words.iter().enumerate() {
            // Cues are verbs: "States" in "United States" is not "state".
            if w.chars().next().is_some_and(char::is_uppercase) {
                continue;
            }
            let Some(prefix) = w
                .as_bytes()
                .get(..3)
                .and_then(|p| <[u8; 3]>::try_from(p).ok())
            else {
                continue;
            };
            if !self.prefixes.contains(&prefix) {
                continue;
            }
            let l = lemma(w);
            let Some(candidates) = self.cues.get(l.as_ref()) else {
                continue;
            };
            for (rest, side) in candidates {
                let matches = rest.iter().enumerate().all(|(k, r)| {
                    words
                        .get(i + 1 + k)
                        .is_some_and(|w| w.eq_ignore_ascii_case(r))
                });
                if matches {
                    return Some(Cue {
                        start: i,
                        end: i + 1 + rest.len(),
                        side: *side,
                    });
                }
            }
        }
        None
    }
}
