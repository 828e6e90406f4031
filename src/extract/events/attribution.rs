//! Attribution: who reports the events of a sentence, and when they said it.
//!
//! "Hamas stated that the remains belonged to a captive killed during Israeli bombardments":
//! the event is the killing (ASSAULT), Hamas is who says so. PLOVER codes events, not
//! statements, so instead of a record for the statement, every event of the sentence carries
//! the statement's speaker and date. Cue verbs are data (`data/events/attribution.tsv`).

use std::collections::HashMap;

use super::lexicon::{ATTRIBUTION_TSV, LexiconError, lemma};
use crate::extract::hash::FxBuild;

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
        let mut forms: Vec<String> = Vec::new();
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
            // `find` looks a sentence's words up by lemma: the first word of a cue is keyed by
            // its lemma too ("according to" under "accord"). The later words match as written.
            let key = lemma(&first).into_owned();
            forms.push(first);
            cues.entry(key).or_default().push((words.collect(), side));
        }
        // A cue's first word as written ("according") and as keyed ("accord") pass the
        // filter; irregular past forms ("said", "told") have prefixes of their own.
        let prefixes = cues
            .keys()
            .chain(&forms)
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
            // Cues are verbs: "States" in "United States" is not "state". Only the first word of
            // a sentence is capitalised as a cue ("According to officials, ..."), and there
            // only a cue whose speaker follows it: no speaker stands before the first word
            // ("Said Hamas" is a name).
            let capitalised = w.chars().next().is_some_and(char::is_uppercase);
            if capitalised && !starts_sentence(words, i) {
                continue;
            }
            let Some(mut prefix) = w
                .as_bytes()
                .get(..3)
                .and_then(|p| <[u8; 3]>::try_from(p).ok())
            else {
                continue;
            };
            prefix.make_ascii_lowercase();
            if !self.prefixes.contains(&prefix) {
                continue;
            }
            let l = lemma(w);
            let Some(candidates) = self.cues.get(l.as_ref()) else {
                continue;
            };
            for (rest, side) in candidates {
                if capitalised && *side == SpeakerSide::Before {
                    continue;
                }
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

/// Is word `i` the first word of the sentence, after any opening quotes or brackets?
fn starts_sentence(words: &[&str], i: usize) -> bool {
    words[..i]
        .iter()
        .all(|w| matches!(*w, "\"" | "“" | "‘" | "'" | "(" | "["))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Attributions {
        Attributions::builtin().expect("builtin attribution cues")
    }

    fn find(a: &Attributions, sentence: &str) -> Option<Cue> {
        let words: Vec<&str> = sentence.split(' ').collect();
        a.find(&words)
    }

    fn before(start: usize, end: usize) -> Option<Cue> {
        Some(Cue {
            start,
            end,
            side: SpeakerSide::Before,
        })
    }

    #[test]
    fn the_table_loads_with_both_sides() {
        let a = builtin();
        assert!(a.cues.len() >= 20, "{:?}", a.cues.keys());
        assert_eq!(
            a.cues.get("say"),
            Some(&vec![(vec![], SpeakerSide::Before)])
        );
        // A cue is keyed by the lemma of its first word, as `find` looks words up.
        assert_eq!(
            a.cues.get("accord"),
            Some(&vec![(vec!["to".to_string()], SpeakerSide::After)])
        );
        assert_eq!(a.cues.get("according"), None);
        // The irregular past forms pass the prefix filter.
        for p in [b"say", b"sai", b"tel", b"tol", b"acc"] {
            assert!(a.prefixes.contains(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn a_speaker_stands_before_a_statement_verb_in_any_form() {
        let a = builtin();
        for verb in [
            "said",
            "says",
            "saying",
            "stated",
            "announced",
            "announces",
            "reported",
            "told",
            "tells",
            "claimed",
            "notes",
            "added",
            "confirmed",
            "declared",
            "insisted",
            "stressed",
            "emphasized",
            "emphasised",
            "reiterated",
            "asserted",
            "alleged",
            "acknowledged",
            "disclosed",
            "revealed",
        ] {
            let sentence = format!("Hamas {verb} that talks failed");
            assert_eq!(find(&a, &sentence), before(1, 2), "{sentence}");
        }
    }

    #[test]
    fn the_first_cue_of_a_sentence_is_the_one() {
        let a = builtin();
        assert_eq!(find(&a, "Israel said Hamas reported it"), before(1, 2));
        assert_eq!(find(&a, "officials in Gaza , Hamas said"), before(5, 6));
    }

    #[test]
    fn a_capitalised_word_is_no_cue() {
        let a = builtin();
        // "States" would be "state".
        assert_eq!(find(&a, "the United States agreed"), None);
        assert_eq!(find(&a, "the United States said"), before(3, 4));
        assert_eq!(find(&a, "Said Hamas"), None);
    }

    #[test]
    fn other_words_are_no_cues() {
        let a = builtin();
        assert_eq!(find(&a, "Israel attacked Hamas in Gaza"), None);
        assert_eq!(find(&a, "a to of"), None);
        assert_eq!(a.find(&[]), None);
        assert_eq!(a.find(&["", "s"]), None);
    }

    fn after(start: usize, end: usize) -> Option<Cue> {
        Some(Cue {
            start,
            end,
            side: SpeakerSide::After,
        })
    }

    #[test]
    fn according_to_puts_the_speaker_after_the_cue() {
        // The table writes "according to"; `find` looks words up by lemma ("accord").
        let a = builtin();
        assert_eq!(lemma("according"), "accord");
        assert_eq!(find(&a, "the strike , according to officials"), after(3, 5));
        assert_eq!(
            find(&a, "Israel struck , according TO officials"),
            after(3, 5)
        );
        assert_eq!(find(&a, "the strike was according plan"), None);
    }

    #[test]
    fn a_sentence_may_open_with_according_to() {
        let a = builtin();
        assert_eq!(
            find(&a, "According to officials , Israel struck"),
            after(0, 2)
        );
        assert_eq!(
            find(&a, "“ According to officials , Israel struck"),
            after(1, 3)
        );
        // Before the first word there is no speaker: a capitalised "before" cue is no cue
        // anywhere, and "According" inside a sentence is a name or a title.
        assert_eq!(find(&a, "Stated plans , Hamas said"), before(4, 5));
        assert_eq!(find(&a, "the According To Plan tour"), None);
    }

    #[test]
    fn noted_is_a_cue_like_notes() {
        // "noted" is "note", not the negation cue "not".
        let a = builtin();
        assert_eq!(find(&a, "Hamas notes that"), before(1, 2));
        assert_eq!(find(&a, "Hamas noted that"), before(1, 2));
        assert_eq!(find(&a, "Hamas , noting that"), before(2, 3));
    }

    /// A table whose cues are keyed by lemma, as `find` looks them up.
    fn by_lemma() -> Attributions {
        let mut cues: HashMap<String, Vec<(Vec<String>, SpeakerSide)>, FxBuild> =
            HashMap::default();
        cues.insert("say".into(), vec![(vec![], SpeakerSide::Before)]);
        cues.insert(
            "accord".into(),
            vec![(vec!["to".into()], SpeakerSide::After)],
        );
        let prefixes = [*b"say", *b"sai", *b"acc"].into_iter().collect();
        Attributions { cues, prefixes }
    }

    #[test]
    fn a_cue_of_several_words_needs_them_all_and_gives_its_side() {
        let a = by_lemma();
        assert_eq!(
            find(&a, "the strike , according to officials"),
            Some(Cue {
                start: 3,
                end: 5,
                side: SpeakerSide::After,
            })
        );
        assert_eq!(
            find(&a, "according TO officials").map(|c| c.end),
            Some(2),
            "the later words match in any case"
        );
        assert_eq!(find(&a, "according officials"), None);
        assert_eq!(
            find(&a, "officials according"),
            None,
            "the sentence ends first"
        );
        assert_eq!(find(&a, "according , Hamas said"), before(3, 4));
    }
}
