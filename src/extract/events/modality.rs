//! Modality of an event trigger in its sentence: did it happen (asserted), is it only
//! attributed to a source (reported), announced for later (planned), denied (negated), or
//! conditional (hypothetical)? These are PLOVER's auxiliary modes (manual, "Auxiliary modes")
//! plus `reported`, which a timeline needs to tell facts from claims.
//!
//! Cues are data (`data/events/modality.tsv`): patterns in the trigger notation with the side
//! of the trigger they stand on, how far they reach, and what may stand between. The cues are
//! matched with the trigger engine (longest match wins), so "according to" and "began to"
//! take their "to" away from the bare infinitive cue.

use once_cell::sync::Lazy;

use super::lexicon::{
    LexiconError, MODALITY_TSV, Pattern, PatternIndex, Tok, TriggerMatch, TriggerPos, prepare,
};

pub use crate::record::Modality;

impl Modality {
    /// Which class wins when several cues apply: a denial outweighs a condition, which
    /// outweighs a plan, which outweighs attribution ("officials said troops would not
    /// attack" is negated).
    fn rank(self) -> u8 {
        match self {
            Modality::Asserted => 0,
            Modality::Reported => 1,
            Modality::Planned => 2,
            Modality::Hypothetical => 3,
            Modality::Negated => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// What may stand between a cue and its trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Only auxiliaries, adverbs and particles (and, before nouns, modifiers).
    Adjacent,
    /// No clause punctuation or subordinating conjunction.
    Clause,
    /// No semicolon or contrastive conjunction.
    Sentence,
    /// (after the trigger) a comma or closing quote must separate: ", officials said".
    Quoted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    Any,
    Verb,
    Noun,
}

#[derive(Debug)]
struct Cue {
    pattern: Pattern,
    /// `Asserted` cues only take their words away from shorter cues.
    class: Modality,
    side: Side,
    window: usize,
    scope: Scope,
    applies: Applies,
}

/// The cue table, parsed once.
#[derive(Debug)]
struct CueTable {
    cues: Vec<Cue>,
    index: PatternIndex,
}

static BUILTIN: Lazy<Result<CueTable, LexiconError>> =
    Lazy::new(|| CueTable::from_tsv(MODALITY_TSV));

/// Checks that the embedded cue table parses (call at start-up to fail early).
pub fn check_builtin() -> Result<(), LexiconError> {
    match &*BUILTIN {
        Ok(_) => Ok(()),
        Err(LexiconError::Parse {
            file,
            line,
            message,
        }) => Err(LexiconError::Parse {
            file,
            line: *line,
            message: message.clone(),
        }),
    }
}

impl CueTable {
    fn from_tsv(text: &str) -> Result<CueTable, LexiconError> {
        let err = |line: usize, message: String| LexiconError::Parse {
            file: "data/events/modality.tsv",
            line,
            message,
        };
        let mut cues = Vec::new();
        let mut index = PatternIndex::default();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with("cue\t") {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [pattern, class, side, window, scope, applies, ..] = cols.as_slice() else {
                return Err(err(
                    line_no,
                    format!("expected 6 tab-separated columns, found {}", cols.len()),
                ));
            };
            let class = match *class {
                "negated" => Modality::Negated,
                "hypothetical" => Modality::Hypothetical,
                "planned" => Modality::Planned,
                "reported" => Modality::Reported,
                "asserted" => Modality::Asserted,
                c => return Err(err(line_no, format!("unknown class '{c}'"))),
            };
            let side = match *side {
                "before" => Side::Before,
                "after" => Side::After,
                s => return Err(err(line_no, format!("side '{s}' is not before|after"))),
            };
            let window: usize = window
                .parse()
                .map_err(|_| err(line_no, format!("window '{window}' is not a number")))?;
            let scope = match *scope {
                "adjacent" => Scope::Adjacent,
                "clause" => Scope::Clause,
                "sentence" => Scope::Sentence,
                "quoted" => Scope::Quoted,
                s => return Err(err(line_no, format!("unknown scope '{s}'"))),
            };
            let applies = match *applies {
                "any" => Applies::Any,
                "verb" => Applies::Verb,
                "noun" => Applies::Noun,
                a => return Err(err(line_no, format!("applies '{a}' is not any|verb|noun"))),
            };
            let pattern = Pattern::parse(pattern, false).map_err(|m| err(line_no, m))?;
            let id =
                u32::try_from(cues.len()).map_err(|_| err(line_no, "too many rows".to_string()))?;
            index.insert(&pattern, id);
            cues.push(Cue {
                pattern,
                class,
                side,
                window,
                scope,
                applies,
            });
        }
        Ok(CueTable { cues, index })
    }

    /// Non-overlapping cue matches of a sentence: (cue id, start, end).
    fn matches(&self, toks: &[Tok]) -> Vec<(u32, usize, usize)> {
        let mut cands = Vec::new();
        let mut ids = Vec::new();
        let mut positions = Vec::new();
        for (i, tok) in toks.iter().enumerate() {
            if tok.boundary && tok.lower != "," {
                continue;
            }
            self.index.candidates(tok, &mut ids);
            for &id in &ids {
                let Some(cue) = self.cues.get(id as usize) else {
                    continue;
                };
                if cue.pattern.match_at(toks, i, &mut positions)
                    && let (Some(&s), Some(&e)) = (positions.first(), positions.last())
                {
                    cands.push((id, s, e + 1, cue.pattern.words));
                }
            }
        }
        cands.sort_by(|a, b| b.3.cmp(&a.3).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
        let mut taken = vec![false; toks.len()];
        let mut out = Vec::new();
        for (id, s, e, _) in cands {
            // Rows with the same words (a cue listed for both sides) share their span.
            let same_span = out.iter().any(|&(_, s2, e2)| s2 == s && e2 == e);
            if !same_span && taken.get(s..e).is_none_or(|t| t.iter().any(|&x| x)) {
                continue;
            }
            if let Some(t) = taken.get_mut(s..e) {
                t.fill(true);
            }
            out.push((id, s, e));
        }
        out
    }
}

/// Words that may stand between an adjacent cue and its trigger.
const TRANSPARENT: &[&str] = &[
    "be",
    "is",
    "are",
    "was",
    "were",
    "been",
    "being",
    "am",
    "'s",
    "’s",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "not",
    "n't",
    "n’t",
    "never",
    "yet",
    "also",
    "already",
    "still",
    "just",
    "even",
    "ever",
    "soon",
    "then",
    "now",
    "again",
    "once",
    "to",
    "all",
    "both",
    "further",
    "later",
    "only",
    "finally",
    "first",
    "jointly",
    "formally",
    "officially",
    "reportedly",
    "allegedly",
    "immediately",
    "eventually",
    "probably",
    "possibly",
    "likely",
    "actually",
    "really",
    "directly",
    "fully",
    "personally",
];

/// Words that end a clause for `clause` scope.
const CLAUSE_BREAKS: &[&str] = &[
    ",",
    ";",
    ":",
    "but",
    "while",
    "whereas",
    "although",
    "though",
    "because",
    "after",
    "before",
    "when",
    "since",
    "and",
    "meanwhile",
    "however",
    "(",
    ")",
];

/// Words that end the reach of a `sentence` cue.
const SENTENCE_BREAKS: &[&str] = &[
    ";",
    "but",
    "while",
    "whereas",
    "although",
    "though",
    "however",
    "meanwhile",
];

const CLOSING: &[&str] = &[",", "”", "\"", "''", "’", "—"];

fn scope_ok(scope: Scope, between: &[Tok], trigger_is_noun: bool) -> bool {
    match scope {
        Scope::Adjacent => between.iter().all(|t| {
            TRANSPARENT.contains(&t.lower.as_ref())
                || (t.lower.ends_with("ly") && !t.boundary)
                || (trigger_is_noun
                    && !t.boundary
                    && t.lower.chars().next().is_some_and(char::is_alphanumeric))
        }),
        Scope::Clause => between
            .iter()
            .all(|t| !CLAUSE_BREAKS.contains(&t.lower.as_ref())),
        Scope::Sentence => between
            .iter()
            .all(|t| !SENTENCE_BREAKS.contains(&t.lower.as_ref())),
        Scope::Quoted => {
            between.iter().any(|t| CLOSING.contains(&t.lower.as_ref()))
                && between
                    .iter()
                    .all(|t| !SENTENCE_BREAKS.contains(&t.lower.as_ref()))
        }
    }
}

fn modality_with(
    table: &CueTable,
    toks: &[Tok],
    cues: &[(u32, usize, usize)],
    trigger: &TriggerMatch,
) -> Modality {
    let is_noun = trigger.pos == TriggerPos::Noun;
    let mut best = Modality::Asserted;
    for &(id, start, end) in cues {
        let Some(cue) = table.cues.get(id as usize) else {
            continue;
        };
        if cue.class == Modality::Asserted || cue.class.rank() <= best.rank() {
            continue;
        }
        match (cue.applies, trigger.pos) {
            (Applies::Verb, TriggerPos::Noun) | (Applies::Noun, TriggerPos::Verb) => continue,
            _ => {}
        }
        let between = match cue.side {
            Side::Before if end <= trigger.start => toks.get(end..trigger.start),
            Side::After if start >= trigger.end => toks.get(trigger.end..start),
            _ => None,
        };
        let Some(between) = between else { continue };
        if between.len() > cue.window || !scope_ok(cue.scope, between, is_noun) {
            continue;
        }
        best = cue.class;
    }
    best
}

/// The modality of a trigger in its sentence (the same tokens `find` was given).
pub fn modality(words: &[&str], trigger: &TriggerMatch) -> Modality {
    modalities_prepared(&prepare(words), std::slice::from_ref(trigger).iter())[0]
}

/// The modalities of several triggers of one sentence, reading the cues once.
pub fn modalities(words: &[&str], triggers: &[TriggerMatch]) -> Vec<Modality> {
    modalities_prepared(&prepare(words), triggers.iter())
}

/// [`modalities`] over a sentence already prepared for matching (the pipeline prepares it once
/// for triggers and cues). No triggers, no cue search.
pub(crate) fn modalities_prepared<'a>(
    toks: &[Tok],
    triggers: impl ExactSizeIterator<Item = &'a TriggerMatch>,
) -> Vec<Modality> {
    let Ok(table) = &*BUILTIN else {
        return vec![Modality::Asserted; triggers.len()]; // unreachable with the tested table
    };
    if triggers.len() == 0 {
        return Vec::new();
    }
    let cues = table.matches(toks);
    triggers
        .map(|t| modality_with(table, toks, &cues, t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::events::lexicon::TriggerLexicon;
    use crate::extract::text::tokens::tokenize;

    /// Modality of the trigger whose head is `head` in `s`.
    fn modality_of(s: &str, head: &str) -> Modality {
        let w: Vec<&str> = tokenize(s).iter().map(|t| t.text(s)).collect();
        let lex = match TriggerLexicon::builtin() {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        let found = lex.find(&w);
        let Some(t) = found.iter().find(|m| w[m.head] == head) else {
            panic!("no trigger '{head}' in {s:?}: {found:?}");
        };
        let m = modality(&w, t);
        assert_eq!(modalities(&w, std::slice::from_ref(t)), vec![m]);
        m
    }

    #[test]
    fn builtin_cues_parse() {
        assert!(check_builtin().is_ok(), "{:?}", check_builtin().err());
    }

    #[test]
    fn seed_modalities() {
        use Modality::*;
        let cases = [
            (
                "Israeli forces have reportedly withdrawn behind the so-called “Yellow Line”.",
                "withdrawn",
                Reported,
            ),
            (
                "Israeli forces claimed to have retrieved the remains of a captive from Gaza.",
                "retrieved",
                Reported,
            ),
            (
                "Kalın met on Tuesday with Qatar’s Prime Minister in Cairo.",
                "met",
                Asserted,
            ),
            (
                "According to diplomatic sources, the sides agreed to intensify joint coordination.",
                "agreed",
                Reported,
            ),
            (
                "Ukraine is preparing for President Volodymyr Zelensky’s visit to the United States in November.",
                "visit",
                Planned,
            ),
            (
                "Zelensky will visit the United States in November to meet Trump.",
                "meet",
                Planned,
            ),
            (
                "Zelensky will visit the United States in November.",
                "visit",
                Planned,
            ),
            ("The army did not attack the village.", "attack", Negated),
            ("The army didn't attack the village.", "attack", Negated),
            (
                "Officials said the army would not attack the village.",
                "attack",
                Negated,
            ),
            ("The rebels never attacked the town.", "attacked", Negated),
            ("There were no talks on Tuesday.", "talks", Negated),
            (
                "The minister refused to meet the delegation.",
                "meet",
                Negated,
            ),
            (
                "The ministry denied that its forces attacked the convoy.",
                "attacked",
                Negated,
            ),
            (
                "If Russian forces attack, the alliance will respond.",
                "attack",
                Hypothetical,
            ),
            (
                "The rebels could attack the capital.",
                "attack",
                Hypothetical,
            ),
            (
                "The group threatened to storm the embassy.",
                "storm",
                Hypothetical,
            ),
            ("The group began to attack the embassy.", "attack", Asserted),
            (
                "Rebels attacked the town on Monday, police said.",
                "attacked",
                Reported,
            ),
            (
                "Rebels attacked the town on Monday and police said nothing.",
                "attacked",
                Asserted,
            ),
            (
                "Police said rebels attacked the town on Monday.",
                "attacked",
                Reported,
            ),
            (
                "The foreign minister is expected to visit Paris.",
                "visit",
                Planned,
            ),
            ("The two leaders plan to meet next week.", "meet", Planned),
            ("Talks are scheduled for next week.", "Talks", Planned),
            (
                "The upcoming talks will be held in Geneva.",
                "talks",
                Planned,
            ),
            (
                "The UN urged Israel to withdraw from the territory.",
                "withdraw",
                Hypothetical,
            ),
            (
                "Medical authorities in Gaza reported Tuesday that the Palestinian death toll has climbed to 69,775.",
                "toll",
                Reported,
            ),
            (
                "The group claimed responsibility for the attack.",
                "attack",
                Asserted,
            ),
            // "noted" is "note", a statement verb, not the negation "not".
            (
                "The ministry noted attacks on the town.",
                "attacks",
                Reported,
            ),
        ];
        for (s, head, want) in cases {
            assert_eq!(modality_of(s, head), want, "{s}");
        }
    }

    #[test]
    fn odd_triggers_do_not_panic() {
        let w = ["not", "attack"];
        let t = TriggerMatch {
            start: 5,
            end: 9,
            head: 7,
            event_type: crate::extract::events::lexicon::PloverType::Assault,
            mode: None,
            cameo: None,
            pos: TriggerPos::Verb,
            passive: false,
            weight: 1.0,
        };
        assert_eq!(modality(&w, &t), Modality::Asserted);
        assert_eq!(modality(&[], &t), Modality::Asserted);
    }

    #[test]
    fn names_are_lower_case() {
        assert_eq!(Modality::Hypothetical.as_str(), "hypothetical");
        assert_eq!(Modality::Negated.to_string(), "negated");
    }
}
