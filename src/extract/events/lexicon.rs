//! The event-trigger lexicon: which words and phrases of a sentence name a PLOVER event.
//!
//! The table is `data/events/triggers.tsv` (derived from PETRARCH2's CAMEO verb dictionary,
//! mapped to PLOVER and curated; see `data/events/README.md` for the pattern notation). It is
//! embedded at compile time and parsed once by [`TriggerLexicon::builtin`].
//!
//! Matching is hand-written rather than built on `regex`/`aho-corasick`: patterns are sequences
//! of *lemmas* with small gaps ("held high-level talks" for `hold ~3 talk`), so every token
//! must be lemmatized first, and after that a hash lookup from the first lemma to its few
//! candidate patterns plus a short backtracking walk is both simpler and faster than
//! compiling thousands of inflection-aware regexes. The same engine reads the modality cues
//! (`modality.rs`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use once_cell::sync::Lazy;

use crate::extract::hash::{FxMap, FxSet};
use crate::extract::text::tokens::NO_WORD;

/// The embedded trigger table.
const TRIGGERS_TSV: &str = include_str!("../../../data/events/triggers.tsv");
/// The embedded irregular word forms (`met -> meet`).
const IRREGULAR_TSV: &str = include_str!("../../../data/events/irregular_verbs.tsv");
/// The embedded modality cues; their words are lemmas the lemmatizer must know too.
pub(crate) const MODALITY_TSV: &str = include_str!("../../../data/events/modality.tsv");
/// The embedded attribution cues ("said", "according to"); their words are lemmas the
/// lemmatizer must know too.
pub(crate) const ATTRIBUTION_TSV: &str = include_str!("../../../data/events/attribution.tsv");

/// Longest gap a pattern may ask for; longer gaps would let a pattern reach across clauses.
const MAX_GAP: u8 = 8;

/// Errors reading a trigger or cue table. Only the embedded tables are read, so an error is a
/// bug in the data files, reported with the line to fix.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error(
        "{file} line {line}: {message}; fix the source row (tools/events/*.tsv for triggers) and rebuild the table with tools/events/build_triggers.py"
    )]
    Parse {
        file: &'static str,
        line: usize,
        message: String,
    },
}

/// The 16 PLOVER event types (PLOVER manual, chapter "Event Categories").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PloverType {
    Agree,
    Consult,
    Support,
    Concede,
    Cooperate,
    Aid,
    Retreat,
    Request,
    Accuse,
    Reject,
    Threaten,
    Protest,
    Sanction,
    Mobilize,
    Coerce,
    Assault,
}

impl PloverType {
    /// All types, in the manual's order.
    pub const ALL: [PloverType; 16] = [
        PloverType::Agree,
        PloverType::Consult,
        PloverType::Support,
        PloverType::Concede,
        PloverType::Cooperate,
        PloverType::Aid,
        PloverType::Retreat,
        PloverType::Request,
        PloverType::Accuse,
        PloverType::Reject,
        PloverType::Threaten,
        PloverType::Protest,
        PloverType::Sanction,
        PloverType::Mobilize,
        PloverType::Coerce,
        PloverType::Assault,
    ];

    /// The type's name as PLOVER writes it ("CONSULT").
    pub fn as_str(self) -> &'static str {
        match self {
            PloverType::Agree => "AGREE",
            PloverType::Consult => "CONSULT",
            PloverType::Support => "SUPPORT",
            PloverType::Concede => "CONCEDE",
            PloverType::Cooperate => "COOPERATE",
            PloverType::Aid => "AID",
            PloverType::Retreat => "RETREAT",
            PloverType::Request => "REQUEST",
            PloverType::Accuse => "ACCUSE",
            PloverType::Reject => "REJECT",
            PloverType::Threaten => "THREATEN",
            PloverType::Protest => "PROTEST",
            PloverType::Sanction => "SANCTION",
            PloverType::Mobilize => "MOBILIZE",
            PloverType::Coerce => "COERCE",
            PloverType::Assault => "ASSAULT",
        }
    }

    /// Parses a PLOVER type name (upper case, as in the table).
    pub fn parse(s: &str) -> Option<PloverType> {
        PloverType::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// The modes the PLOVER manual defines for this type (empty for types without modes).
    pub fn modes(self) -> &'static [&'static str] {
        match self {
            PloverType::Consult => &["visit", "third-party", "multilateral", "phone"],
            PloverType::Retreat => &[
                "withdraw",
                "release",
                "disarm",
                "ceasefire",
                "access",
                "resign",
            ],
            PloverType::Request | PloverType::Reject => &["assist", "change", "yield", "meet"],
            PloverType::Accuse => &["disapprove", "investigate", "allege"],
            PloverType::Threaten => &[
                "restrict",
                "arrest",
                "relations",
                "expel",
                "territory",
                "violence",
            ],
            PloverType::Protest => &[
                "demo",
                "riot",
                "strike",
                "hunger",
                "boycott",
                "obstruct",
                "vandalize",
            ],
            PloverType::Sanction => &["convict", "expel", "withdraw", "discontinue"],
            PloverType::Mobilize => &["troops", "weapons", "police", "militia"],
            PloverType::Coerce => &[
                "seize",
                "restrict",
                "censor",
                "curfew",
                "martial-law",
                "arrest",
                "deport",
                "withhold",
                "misinformation",
                "cyber",
            ],
            PloverType::Assault => &[
                "abduct",
                "beat",
                "torture",
                "sexual",
                "targeted",
                "destroy",
                "primitive",
                "firearms",
                "explosives",
                "suicide-attack",
                "aerial",
                "drone",
                "heavy-weapons",
                "crowd-control",
                "unconventional",
            ],
            _ => &[],
        }
    }
}

impl std::fmt::Display for PloverType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a trigger is a verb ("attacked") or a noun ("the attack").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerPos {
    Verb,
    Noun,
}

/// One trigger found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerMatch {
    /// First token of the match.
    pub start: usize,
    /// One past the last matched token (for a gapped pattern, the last matched word).
    pub end: usize,
    /// The main word: the verb, or the head noun ("toll" in "death toll").
    pub head: usize,
    pub event_type: PloverType,
    /// A PLOVER mode of `event_type`, when the pattern says how ("visit", "withdraw").
    pub mode: Option<&'static str>,
    /// The CAMEO code the row was derived from, when there is one.
    pub cameo: Option<String>,
    pub pos: TriggerPos,
    /// The grammatical subject is the recipient, not the actor ("was attacked by",
    /// "came under fire").
    pub passive: bool,
    /// The row's weight in 0..=1: how sure the lexicon is that the words name this event.
    pub weight: f32,
}

// ------------------------------------------------------------------ lemmatizer

/// How a word form relates to its lemma; used to tell noun from verb readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The lemma itself ("attack").
    Base,
    /// A plural or third person -s ("attacks").
    S,
    /// A past tense or participle ("attacked", "held").
    Ed,
    /// An -ing form ("attacking").
    Ing,
}

/// Irregular forms: form -> (lemma, is_verb).
static IRREGULAR: Lazy<FxMap<&'static str, (&'static str, bool)>> = Lazy::new(|| {
    let mut m = FxMap::default();
    for line in IRREGULAR_TSV.lines() {
        if line.starts_with('#') || line.starts_with("form\t") {
            continue;
        }
        let mut cols = line.split('\t');
        if let (Some(form), Some(lemma), kind) = (cols.next(), cols.next(), cols.next())
            && !form.is_empty()
            && !lemma.is_empty()
        {
            m.insert(form, (lemma, kind != Some("noun")));
        }
    }
    m
});

/// Lemmas the lemmatizer should prefer when suffix rules allow several ("agreed" could be
/// "agre" or "agree"): every word of the trigger, modality and attribution tables, and the
/// irregular lemmas. Rules alone cannot settle such cases without a dictionary; the words
/// that matter for matching are exactly these.
static KNOWN: Lazy<FxSet<&'static str>> = Lazy::new(|| {
    let mut set = FxSet::default();
    for text in [TRIGGERS_TSV, MODALITY_TSV, ATTRIBUTION_TSV] {
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let pattern = line.split('\t').next().unwrap_or("");
            for elem in pattern.split(' ') {
                for alt in elem.trim_start_matches('*').split('|') {
                    if !alt.starts_with('~') && !alt.starts_with('=') && !alt.is_empty() {
                        set.insert(alt);
                    }
                }
            }
        }
    }
    for &(lemma, _) in IRREGULAR.values() {
        set.insert(lemma);
    }
    set
});

/// Words ending in -s that are not plurals or third persons.
const NOT_PLURAL: &[&str] = &[
    "news",
    "series",
    "species",
    "always",
    "perhaps",
    "whereas",
    "across",
    "besides",
    "various",
    "previous",
    "serious",
    "famous",
    "politics",
    "economics",
    "thus",
    "chaos",
    "arms",
    "mass",
    "bus",
    "gas",
    "its",
    "this",
    "his",
    "hers",
    "ours",
    "yours",
    "theirs",
];

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// A stem from which "-ed"/"-ing" was cut: which lemma did it come from? A known lemma wins;
/// otherwise, or when the stem is known both with and without a silent e ("noted": "not" of
/// the negation cues, "note" of the statement verbs), the spelling rules decide
/// ([`spelled_stem`]).
fn restore_stem(stem: &str) -> String {
    let with_e = format!("{stem}e");
    match (KNOWN.contains(stem), KNOWN.contains(with_e.as_str())) {
        (true, false) => stem.to_string(),
        (false, true) => with_e,
        // The tables cannot choose; the spelling can: a short stem that did not double its
        // last consonant lost a silent e ("noted" is "note"; "not" would make "notted").
        (true, true) => {
            let spelled = spelled_stem(stem, with_e);
            if spelled.len() > stem.len() {
                spelled
            } else {
                stem.to_string()
            }
        }
        (false, false) => spelled_stem(stem, with_e),
    }
}

/// The lemma of a stem from which "-ed"/"-ing" was cut, by the usual spelling rules: undo
/// consonant doubling ("stopp" -> "stop") or restore a silent e ("vot" -> "vote", given as
/// `with_e`).
fn spelled_stem(stem: &str, with_e: String) -> String {
    let b = stem.as_bytes();
    let n = b.len();
    if n >= 3 && b[n - 1] == b[n - 2] && !is_vowel(b[n - 1]) {
        let undoubled = &stem[..n - 1];
        if KNOWN.contains(undoubled) || !matches!(b[n - 1], b'l' | b's' | b'z' | b'f') {
            return undoubled.to_string();
        }
        return stem.to_string();
    }
    // Silent e: "-at(e)", "-iz(e)", "-v(e)", "-c(e)", "-g(e)", "-ur(e)", "-os(e)" ...
    let needs_e = [
        "at", "it", "iz", "is", "us", "os", "as", "v", "c", "g", "ur", "ir", "id", "ud", "od",
        "ok", "ar", "in", "om", "ot", "ut", "ol", "ul", "ib",
    ];
    if n >= 2 && needs_e.iter().any(|s| stem.ends_with(s)) {
        let last = b[n - 1];
        let prev = b[n - 2];
        // "visit", "edit", "limit": a two-syllable -it keeps no e; short stems ("vot",
        // "unit") and -ate/-ize/-ise endings do.
        let short = n <= 4;
        let is_ate = stem.ends_with("at") && n >= 4;
        let is_ize = stem.ends_with("iz") || (stem.ends_with("is") && n >= 5);
        if short || is_ate || is_ize || !is_vowel(prev) || matches!(last, b'v' | b'c' | b'g') {
            // "-ing" after consonant+vowel+consonant in longer stems is ambiguous
            // ("visit"/"edit" vs "compete"); leave those unchanged unless short.
            let long_it_in = n > 4 && (stem.ends_with("it") || stem.ends_with("in"));
            if !long_it_in {
                return with_e;
            }
        }
    }
    stem.to_string()
}

/// Lemma and form of an already lower-cased word.
pub(crate) fn analyze(lower: &str) -> (Cow<'_, str>, Form) {
    if let Some(&(lemma, is_verb)) = IRREGULAR.get(lower) {
        return (
            Cow::Borrowed(lemma),
            if is_verb { Form::Ed } else { Form::S },
        );
    }
    let n = lower.len();
    if n <= 3 || !lower.is_ascii() || lower.contains(['\'', '’']) {
        return (Cow::Borrowed(lower), Form::Base);
    }
    if lower.ends_with("ing") && n > 5 {
        let stem = &lower[..n - 3];
        if KNOWN.contains(lower) && !KNOWN.contains(stem) {
            return (Cow::Borrowed(lower), Form::Base);
        }
        return (Cow::Owned(restore_stem(stem)), Form::Ing);
    }
    if lower.ends_with("ied") && n > 4 {
        return (Cow::Owned(format!("{}y", &lower[..n - 3])), Form::Ed);
    }
    if lower.ends_with("ed") && n > 4 {
        let stem = &lower[..n - 2];
        if lower.ends_with("eed") && !KNOWN.contains(stem) {
            // "agreed" -> "agree", "freed" -> "free"; but "needed" goes through the rules.
            return (Cow::Borrowed(&lower[..n - 1]), Form::Ed);
        }
        return (Cow::Owned(restore_stem(stem)), Form::Ed);
    }
    if lower.ends_with('s') && !lower.ends_with("ss") && !NOT_PLURAL.contains(&lower) {
        if lower.ends_with("ies") && n > 4 {
            return (Cow::Owned(format!("{}y", &lower[..n - 3])), Form::S);
        }
        if lower.ends_with("es") {
            let minus_s = &lower[..n - 1];
            let minus_es = &lower[..n - 2];
            if KNOWN.contains(minus_s) {
                return (Cow::Borrowed(minus_s), Form::S);
            }
            if KNOWN.contains(minus_es)
                || ["sses", "shes", "ches", "xes", "zzes", "oes"]
                    .iter()
                    .any(|s| lower.ends_with(s))
            {
                return (Cow::Borrowed(minus_es), Form::S);
            }
            return (Cow::Borrowed(minus_s), Form::S);
        }
        if lower.ends_with("us") || lower.ends_with("is") {
            return (Cow::Borrowed(lower), Form::Base);
        }
        return (Cow::Borrowed(&lower[..n - 1]), Form::S);
    }
    (Cow::Borrowed(lower), Form::Base)
}

/// The lower-cased lemma of an English verb or noun form: `met` -> `meet`, `talks` -> `talk`,
/// `struck` -> `strike`, `agreed` -> `agree`.
///
/// Rules plus the irregular table in `data/events/irregular_verbs.tsv`; where the spelling
/// rules leave a choice, the lemmas of the trigger and cue tables are preferred. Without a
/// part-of-speech tag one lemma is returned for both readings ("meeting" -> "meet").
pub fn lemma(word: &str) -> Cow<'_, str> {
    if word.chars().any(|c| c.is_uppercase()) {
        let lower = word.to_lowercase();
        let (l, _) = analyze(&lower);
        return Cow::Owned(l.into_owned());
    }
    analyze(word).0
}

// ------------------------------------------------------------------ tokens

/// Where a token's lemma lives, so that most tokens need no lemma allocation.
#[derive(Debug, Clone)]
enum LemmaRef {
    /// The first `n` bytes of the lower-cased form ("attacks" -> "attack").
    Prefix(usize),
    /// From the irregular table ("met" -> "meet").
    Static(&'static str),
    /// Built by the rules ("voting" -> "vote"); shared with the per-thread word cache.
    Owned(Rc<str>),
}

/// A token's lower-cased form: the word itself when it has no capitals, else a string shared
/// with the per-thread word cache (so a repeated "Israel" is lower-cased once).
#[derive(Debug, Clone)]
pub(crate) enum Lower<'a> {
    Borrowed(&'a str),
    Shared(Rc<str>),
}

impl std::ops::Deref for Lower<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Lower::Borrowed(s) => s,
            Lower::Shared(s) => s,
        }
    }
}

impl AsRef<str> for Lower<'_> {
    #[inline]
    fn as_ref(&self) -> &str {
        self
    }
}

impl PartialEq<&str> for Lower<'_> {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

/// A token prepared for matching: lower-cased form, lemma and shape.
#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub lower: Lower<'a>,
    lemma: LemmaRef,
    pub form: Form,
    /// Punctuation that a gap may not cross.
    pub boundary: bool,
    /// Starts with an upper-case letter.
    pub capital: bool,
    /// The trigger patterns the token may head ([`PatternIndex::candidates`]), when
    /// preparation already knew them (see [`TriggerLexicon::prepare_with_ids`]).
    triggers: Option<Rc<[u32]>>,
}

impl Tok<'_> {
    /// The token's lemma.
    #[inline]
    pub(crate) fn lemma(&self) -> &str {
        match &self.lemma {
            LemmaRef::Prefix(n) => self.lower.get(..*n).unwrap_or(&self.lower),
            LemmaRef::Static(s) => s,
            LemmaRef::Owned(s) => s,
        }
    }
}

/// What [`prepare`] learns about one word form, independent of where the word stands.
#[derive(Debug, Clone)]
struct WordInfo {
    /// `None` when the word is its own lower-cased form.
    lower: Option<Rc<str>>,
    lemma: LemmaRef,
    form: Form,
    boundary: bool,
    capital: bool,
}

impl WordInfo {
    fn of(w: &str) -> WordInfo {
        let capital = w.chars().next().is_some_and(|c| c.is_uppercase());
        let lowered = (w.bytes().any(|b| b.is_ascii_uppercase()) || !w.is_ascii())
            .then(|| Rc::<str>::from(w.to_lowercase()));
        let lower: &str = lowered.as_deref().unwrap_or(w);
        let (l, form) = analyze(lower);
        let lemma = match l {
            Cow::Borrowed(b) if b.as_ptr() == lower.as_ptr() => LemmaRef::Prefix(b.len()),
            Cow::Borrowed(b) => match IRREGULAR.get(lower) {
                Some(&(stat, _)) if stat == b => LemmaRef::Static(stat),
                _ => LemmaRef::Owned(b.into()),
            },
            Cow::Owned(o) => LemmaRef::Owned(o.into()),
        };
        let boundary = is_boundary(lower);
        WordInfo {
            lower: lowered,
            lemma,
            form,
            boundary,
            capital,
        }
    }

    /// The token of word `w` (the word this information was made from).
    #[inline]
    fn tok<'a>(&self, w: &'a str) -> Tok<'a> {
        Tok {
            lower: match &self.lower {
                Some(l) => Lower::Shared(Rc::clone(l)),
                None => Lower::Borrowed(w),
            },
            lemma: self.lemma.clone(),
            form: self.form,
            boundary: self.boundary,
            capital: self.capital,
            triggers: None,
        }
    }
}

/// Word forms the per-thread cache holds before it starts over: a news corpus has some tens of
/// thousands of forms; the bound only keeps odd input (random strings) from growing it forever.
const WORD_CACHE_MAX: usize = 100_000;

thread_local! {
    /// Lower-cased form, lemma and shape per word form. Every sentence is prepared once, and
    /// most of its words ("the", "said", "Israel") were seen in earlier sentences; a lookup
    /// costs a fraction of lower-casing and lemmatizing again. The answer depends on the word
    /// alone, so the cache cannot change results. Per thread: no locks on the hot path.
    static WORD_CACHE: RefCell<FxMap<Box<str>, WordInfo>> = RefCell::new(FxMap::default());
}

/// Tokens prepared for matching (see [`Tok`]), through the per-thread word cache.
pub(crate) fn prepare<'a>(words: &[&'a str]) -> Vec<Tok<'a>> {
    WORD_CACHE.with_borrow_mut(|cache| words.iter().map(|&w| cached_tok(cache, w)).collect())
}

/// One token through the per-thread word cache.
fn cached_tok<'a>(cache: &mut FxMap<Box<str>, WordInfo>, w: &'a str) -> Tok<'a> {
    if let Some(info) = cache.get(w) {
        return info.tok(w);
    }
    if cache.len() > WORD_CACHE_MAX {
        cache.clear();
    }
    let info = WordInfo::of(w);
    let tok = info.tok(w);
    cache.insert(w.into(), info);
    tok
}

/// Word ids beyond this are not tabled (the built-in vocabulary has 20k words): a table
/// sized by a stray id must not take memory without bound.
const MAX_WORD_ID: usize = 1 << 20;

thread_local! {
    /// Word facts by the actor tagger's word ids: the tagger's vocabulary (the ~20k most
    /// frequent words, most frequent first) covers nearly all news tokens, and it has already
    /// looked each token up. Indexing this dense table then replaces a probe of
    /// [`WORD_CACHE`], whose entries are scattered over megabytes and miss the cache on
    /// every rare word. Keyed by the tagger's `vocab_id`: another tagger's ids start it over.
    /// Each entry keeps its word, and a token whose text differs goes through the word cache,
    /// so a wrong id can cost time but never change a result.
    static BY_WORD_ID: RefCell<(u64, Vec<Option<WordEntry>>)> =
        const { RefCell::new((0, Vec::new())) };
}

/// What [`BY_WORD_ID`] keeps of a word, once seen.
struct WordEntry {
    word: Box<str>,
    info: WordInfo,
    /// The trigger patterns the word may head in one lexicon (by its `id`), once asked: a
    /// sentence's every token is looked up in the pattern index, by lemma and by form.
    triggers: Option<(u64, Rc<[u32]>)>,
}

/// Hands out [`TriggerLexicon::id`]s.
static NEXT_LEXICON_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn is_boundary(w: &str) -> bool {
    matches!(
        w,
        "." | ","
            | ";"
            | ":"
            | "!"
            | "?"
            | "("
            | ")"
            | "["
            | "]"
            | "\""
            | "“"
            | "”"
            | "—"
            | "–"
            | "--"
            | "..."
            | "…"
            | "''"
            | "``"
    )
}

// ------------------------------------------------------------------ patterns

/// One alternative of a pattern word.
#[derive(Debug, Clone)]
pub(crate) struct Alt {
    text: Box<str>,
    /// `=form`: match the lower-cased surface form only.
    exact: bool,
}

/// One element of a pattern.
#[derive(Debug, Clone)]
pub(crate) enum Elem {
    Word(Vec<Alt>),
    /// Up to this many words may be skipped.
    Gap(u8),
}

/// A parsed pattern: words and gaps, and which word is the head.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub elems: Vec<Elem>,
    /// Index of the head among the word elements.
    pub head: usize,
    /// Number of word elements (the pattern's specificity).
    pub words: usize,
}

/// Function words that are never the head of a noun pattern ("visit to", "call for").
const FUNCTION_WORDS: &[&str] = &[
    "to", "for", "of", "on", "with", "in", "by", "from", "at", "against", "the", "a",
];

impl Pattern {
    /// Parses the notation of `data/events/README.md`. `noun` picks the default head: the
    /// first word for verbs, the last content word for nouns ("air strike" -> "strike").
    pub(crate) fn parse(text: &str, noun: bool) -> Result<Pattern, String> {
        let mut elems = Vec::new();
        let mut head = None;
        let mut words = 0;
        for raw in text.split(' ').filter(|s| !s.is_empty()) {
            if let Some(n) = raw.strip_prefix('~') {
                let gap = if n.is_empty() {
                    3
                } else {
                    n.parse::<u8>()
                        .map_err(|_| format!("bad gap '{raw}' in pattern '{text}'"))?
                };
                if gap == 0 || gap > MAX_GAP {
                    return Err(format!("gap '{raw}' must be ~1 to ~{MAX_GAP}"));
                }
                if !matches!(elems.last(), Some(Elem::Word(_))) {
                    return Err(format!(
                        "pattern '{text}' has a gap at the start or two gaps in a row"
                    ));
                }
                elems.push(Elem::Gap(gap));
                continue;
            }
            let body = match raw.strip_prefix('*') {
                Some(rest) => {
                    if head.is_some() {
                        return Err(format!("pattern '{text}' marks two heads"));
                    }
                    head = Some(words);
                    rest
                }
                None => raw,
            };
            let mut alts = Vec::new();
            for a in body.split('|') {
                let (exact, t) = match a.strip_prefix('=') {
                    Some(t) => (true, t),
                    None => (false, a),
                };
                if t.is_empty() || t.chars().any(|c| c.is_uppercase() || c.is_whitespace()) {
                    return Err(format!(
                        "bad word '{a}' in pattern '{text}' (lower-case lemmas only)"
                    ));
                }
                alts.push(Alt {
                    text: t.into(),
                    exact,
                });
            }
            elems.push(Elem::Word(alts));
            words += 1;
        }
        if words == 0 {
            return Err("empty pattern".into());
        }
        if matches!(elems.last(), Some(Elem::Gap(_))) {
            return Err(format!("pattern '{text}' ends with a gap"));
        }
        let head = match head {
            Some(h) => h,
            None if noun => {
                let word_elems: Vec<&Vec<Alt>> = elems
                    .iter()
                    .filter_map(|e| match e {
                        Elem::Word(a) => Some(a),
                        Elem::Gap(_) => None,
                    })
                    .collect();
                word_elems
                    .iter()
                    .rposition(|alts| {
                        !alts
                            .iter()
                            .all(|a| FUNCTION_WORDS.contains(&a.text.as_ref()))
                    })
                    .unwrap_or(0)
            }
            None => 0,
        };
        Ok(Pattern { elems, head, words })
    }

    /// The alternatives of the first word (the index keys).
    pub(crate) fn first_alts(&self) -> &[Alt] {
        match self.elems.first() {
            Some(Elem::Word(a)) => a,
            _ => &[],
        }
    }

    /// Matches at token `start`; returns the positions of the matched words (shortest gaps
    /// first). `positions` is scratch space, left holding the match on success.
    pub(crate) fn match_at(&self, toks: &[Tok], start: usize, positions: &mut Vec<usize>) -> bool {
        positions.clear();
        self.walk(toks, 0, start, positions)
    }

    fn walk(&self, toks: &[Tok], ei: usize, ti: usize, pos: &mut Vec<usize>) -> bool {
        let Some(elem) = self.elems.get(ei) else {
            return true;
        };
        match elem {
            Elem::Word(alts) => {
                let Some(tok) = toks.get(ti) else {
                    return false;
                };
                if !alts.iter().any(|a| alt_matches(a, tok)) {
                    return false;
                }
                pos.push(ti);
                if self.walk(toks, ei + 1, ti + 1, pos) {
                    return true;
                }
                pos.pop();
                false
            }
            Elem::Gap(n) => {
                for skip in 0..=*n as usize {
                    if skip > 0 {
                        match toks.get(ti + skip - 1) {
                            Some(t) if !t.boundary => {}
                            _ => return false,
                        }
                    }
                    if self.walk(toks, ei + 1, ti + skip, pos) {
                        return true;
                    }
                }
                false
            }
        }
    }
}

#[inline]
fn alt_matches(a: &Alt, tok: &Tok) -> bool {
    if a.exact {
        *a.text == *tok.lower
    } else {
        *a.text == *tok.lemma() || *a.text == *tok.lower
    }
}

/// Patterns indexed by the alternatives of their first word.
#[derive(Debug, Default)]
pub(crate) struct PatternIndex {
    map: FxMap<Box<str>, Vec<u32>>,
}

impl PatternIndex {
    pub(crate) fn insert(&mut self, pattern: &Pattern, id: u32) {
        for alt in pattern.first_alts() {
            self.map.entry(alt.text.clone()).or_default().push(id);
        }
    }

    /// Candidate pattern ids for a token (by lemma and by surface form), deduplicated.
    pub(crate) fn candidates(&self, tok: &Tok, out: &mut Vec<u32>) {
        out.clear();
        let lemma = tok.lemma();
        if let Some(ids) = self.map.get(lemma) {
            out.extend_from_slice(ids);
        }
        if *tok.lower != *lemma
            && let Some(ids) = self.map.get(tok.lower.as_ref())
        {
            for &id in ids {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
}

// ------------------------------------------------------------------ the lexicon

/// One row of the trigger table.
#[derive(Debug)]
struct Entry {
    pattern: Pattern,
    pos: TriggerPos,
    /// `None` for blocking rows (type `NONE`): they win a span and yield nothing.
    event_type: Option<PloverType>,
    mode: Option<&'static str>,
    cameo: Option<Box<str>>,
    weight: f32,
    passive: bool,
}

/// The trigger lexicon. Build once (`builtin`) and share: it is immutable, `Send + Sync`.
#[derive(Debug)]
pub struct TriggerLexicon {
    entries: Vec<Entry>,
    index: PatternIndex,
    /// Tells this lexicon's pattern ids from another lexicon's in per-thread caches.
    id: u64,
}

/// Words before a head that make a verb reading unlikely ("the attack", "their visit").
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "these", "those", "its", "their", "his", "her", "our", "my", "your",
    "any", "no", "each", "every", "another", "such", "'s", "’s", "of",
];

/// Words before a head that make a noun reading unlikely ("to attack", "they attack").
const VERB_CONTEXT: &[&str] = &[
    "to", "will", "would", "could", "can", "may", "might", "must", "shall", "should", "they", "we",
    "he", "she", "i", "you", "did", "does", "do", "not", "n't",
];

/// Forms of "be"/"get" that make a past participle passive.
const PASSIVE_AUX: &[&str] = &[
    "be", "is", "are", "was", "were", "been", "being", "get", "got", "gets", "gotten", "getting",
    "'s", "’s",
];

/// Words that may stand between a passive auxiliary and the participle.
const ADVERBS: &[&str] = &[
    "not",
    "n't",
    "also",
    "reportedly",
    "allegedly",
    "already",
    "later",
    "then",
    "still",
    "never",
    "being",
    "been",
    "all",
    "both",
    "repeatedly",
    "again",
    "fatally",
    "seriously",
    "badly",
];

impl TriggerLexicon {
    /// The lexicon built from the embedded `data/events/triggers.tsv`.
    pub fn builtin() -> Result<TriggerLexicon, LexiconError> {
        TriggerLexicon::from_tsv(TRIGGERS_TSV)
    }

    /// Parses a trigger table in the format of `data/events/triggers.tsv`.
    fn from_tsv(text: &str) -> Result<TriggerLexicon, LexiconError> {
        let err = |line: usize, message: String| LexiconError::Parse {
            file: "data/events/triggers.tsv",
            line,
            message,
        };
        let mut entries = Vec::new();
        let mut index = PatternIndex::default();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with("pattern\t") {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [pattern, pos, typ, mode, cameo, weight, voice, ..] = cols.as_slice() else {
                return Err(err(
                    line_no,
                    format!(
                        "expected at least 7 tab-separated columns, found {}",
                        cols.len()
                    ),
                ));
            };
            let pos = match *pos {
                "verb" => TriggerPos::Verb,
                "noun" => TriggerPos::Noun,
                other => return Err(err(line_no, format!("pos '{other}' is not verb|noun"))),
            };
            let event_type =
                match *typ {
                    "NONE" => None,
                    t => Some(PloverType::parse(t).ok_or_else(|| {
                        err(line_no, format!("'{t}' is not a PLOVER type or NONE"))
                    })?),
                };
            let mode = match (mode.trim(), event_type) {
                ("", _) => None,
                (m, Some(t)) => Some(
                    t.modes()
                        .iter()
                        .copied()
                        .find(|&known| known == m)
                        .ok_or_else(|| {
                            err(line_no, format!("'{m}' is not a PLOVER mode of {t}"))
                        })?,
                ),
                (m, None) => return Err(err(line_no, format!("NONE row has a mode '{m}'"))),
            };
            let weight: f32 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f32| (0.0..=1.0).contains(w))
                .ok_or_else(|| err(line_no, format!("weight '{weight}' is not in 0..1")))?;
            let passive = match voice.trim() {
                "" | "active" => false,
                "passive" => true,
                v => return Err(err(line_no, format!("voice '{v}' is not active|passive"))),
            };
            let pattern =
                Pattern::parse(pattern, pos == TriggerPos::Noun).map_err(|m| err(line_no, m))?;
            let cameo = Some(cameo.trim()).filter(|c| !c.is_empty()).map(Into::into);
            let id = u32::try_from(entries.len())
                .map_err(|_| err(line_no, "too many rows".to_string()))?;
            index.insert(&pattern, id);
            entries.push(Entry {
                pattern,
                pos,
                event_type,
                mode,
                cameo,
                weight,
                passive,
            });
        }
        Ok(TriggerLexicon {
            entries,
            index,
            id: NEXT_LEXICON_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Number of rows (patterns) in the lexicon.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the lexicon has no rows.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Triggers in a sentence given as tokens; token indices [start, end) cover the matched
    /// words (for a gapped pattern, the first to the last matched word); `head` is the index
    /// of the main word (the verb or noun).
    ///
    /// Overlapping candidates are resolved greedily: more pattern words first (the more
    /// specific reading), then the higher weight, then the earlier start.
    pub fn find(&self, words: &[&str]) -> Vec<TriggerMatch> {
        let toks = prepare(words);
        self.find_prepared(&toks)
    }

    /// [`prepare`] for tokens the actor tagger has given word ids (`ids[i]` for `words[i]`,
    /// from the tagger whose `vocab_id` is `vocab`), with the trigger patterns each word of
    /// the tagger's vocabulary may head in this lexicon. Gives the tokens of [`prepare`], and
    /// [`find_prepared`](Self::find_prepared) finds the same triggers in them.
    pub(crate) fn prepare_with_ids<'a>(
        &self,
        words: &[&'a str],
        ids: &[u32],
        vocab: u64,
    ) -> Vec<Tok<'a>> {
        if ids.len() != words.len() {
            return prepare(words);
        }
        BY_WORD_ID.with_borrow_mut(|(owner, table)| {
            if *owner != vocab {
                *owner = vocab;
                table.clear();
            }
            WORD_CACHE.with_borrow_mut(|cache| {
                words
                    .iter()
                    .zip(ids)
                    .map(|(&w, &id)| {
                        let i = id as usize;
                        if id == NO_WORD || i >= MAX_WORD_ID {
                            return cached_tok(cache, w);
                        }
                        if i >= table.len() {
                            table.resize_with(i + 1, || None);
                        }
                        let entry = match &mut table[i] {
                            Some(e) if *e.word == *w => e,
                            Some(_) => return cached_tok(cache, w),
                            slot @ None => slot.insert(WordEntry {
                                word: w.into(),
                                info: WordInfo::of(w),
                                triggers: None,
                            }),
                        };
                        let mut tok = entry.info.tok(w);
                        let triggers = match &entry.triggers {
                            Some((lexicon, t)) if *lexicon == self.id => Rc::clone(t),
                            _ => {
                                let mut found = Vec::new();
                                self.index.candidates(&tok, &mut found);
                                let t: Rc<[u32]> = found.into();
                                entry.triggers = Some((self.id, Rc::clone(&t)));
                                t
                            }
                        };
                        tok.triggers = Some(triggers);
                        tok
                    })
                    .collect()
            })
        })
    }

    pub(crate) fn find_prepared(&self, toks: &[Tok]) -> Vec<TriggerMatch> {
        let title_case = is_title_case(toks);
        let mut cands: Vec<Candidate> = Vec::new();
        let mut ids = Vec::new();
        let mut positions = Vec::new();
        for i in 0..toks.len() {
            let Some(tok) = toks.get(i) else { break };
            if tok.boundary {
                continue;
            }
            match &tok.triggers {
                Some(known) => {
                    ids.clear();
                    ids.extend_from_slice(known);
                }
                None => self.index.candidates(tok, &mut ids),
            }
            for &id in &ids {
                let Some(entry) = self.entries.get(id as usize) else {
                    continue;
                };
                if !entry.pattern.match_at(toks, i, &mut positions) {
                    continue;
                }
                let (Some(&first), Some(&last)) = (positions.first(), positions.last()) else {
                    continue;
                };
                let head = positions.get(entry.pattern.head).copied().unwrap_or(first);
                if !pos_plausible(entry, toks, head, title_case) {
                    continue;
                }
                cands.push(Candidate {
                    id,
                    start: first,
                    end: last + 1,
                    head,
                });
            }
        }
        // Most specific first, then weight, then position.
        cands.sort_by(|a, b| {
            let (ea, eb) = (&self.entries[a.id as usize], &self.entries[b.id as usize]);
            eb.pattern
                .words
                .cmp(&ea.pattern.words)
                .then(eb.weight.total_cmp(&ea.weight))
                .then(a.start.cmp(&b.start))
                .then((a.end - a.start).cmp(&(b.end - b.start)))
                .then(a.id.cmp(&b.id))
        });
        let mut taken = vec![false; toks.len()];
        let mut out = Vec::new();
        for c in cands {
            if taken
                .get(c.start..c.end)
                .is_none_or(|s| s.iter().any(|&t| t))
            {
                continue;
            }
            if let Some(s) = taken.get_mut(c.start..c.end) {
                s.fill(true);
            }
            let Some(entry) = self.entries.get(c.id as usize) else {
                continue;
            };
            let Some(event_type) = entry.event_type else {
                continue; // a blocking row: the span is taken, no event
            };
            let passive =
                entry.passive || (entry.pos == TriggerPos::Verb && is_passive(toks, c.head, c.end));
            out.push(TriggerMatch {
                start: c.start,
                end: c.end,
                head: c.head,
                event_type,
                mode: entry.mode,
                cameo: entry.cameo.as_deref().map(str::to_string),
                pos: entry.pos,
                passive,
                weight: entry.weight,
            });
        }
        out.sort_by_key(|m| m.start);
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    id: u32,
    start: usize,
    end: usize,
    head: usize,
}

/// Headlines capitalize every word, so capitals say nothing about proper names there.
fn is_title_case(toks: &[Tok]) -> bool {
    let mut words = 0;
    let mut caps = 0;
    for t in toks.iter().skip(1) {
        if t.lower.chars().next().is_some_and(char::is_alphabetic) && t.lower.len() > 3 {
            words += 1;
            if t.capital {
                caps += 1;
            }
        }
    }
    words >= 3 && caps * 3 > words * 2
}

/// Cheap part-of-speech checks on the head word, standing in for a tagger.
fn pos_plausible(entry: &Entry, toks: &[Tok], head: usize, title_case: bool) -> bool {
    let Some(tok) = toks.get(head) else {
        return false;
    };
    let prev = head.checked_sub(1).and_then(|p| toks.get(p));
    match entry.pos {
        TriggerPos::Verb => {
            // "Strike Force", "Operation Attack": a capitalized verb inside a sentence is
            // part of a name.
            if tok.capital && head > 0 && !title_case {
                return false;
            }
            // "the attack", "their visit": a noun, unless a gerund ("the killing of").
            if matches!(tok.form, Form::Base | Form::S)
                && prev.is_some_and(|p| DETERMINERS.contains(&p.lower.as_ref()))
            {
                return false;
            }
            true
        }
        TriggerPos::Noun => {
            if !title_case && head > 0 && tok.capital && in_name(toks, head) {
                return false; // "Amnesty International", "Bureau of Investigation"
            }
            let literal = noun_literal(entry, tok);
            if !literal && matches!(tok.form, Form::Ed | Form::Ing) {
                return false;
            }
            if prev.is_some_and(|p| VERB_CONTEXT.contains(&p.lower.as_ref())) {
                return false;
            }
            true
        }
    }
}

/// A capitalized word inside a run of capitalized words is part of a name: "EU Humanitarian
/// Aid Commissioner", "Organization for Security and Cooperation in Europe".
fn in_name(toks: &[Tok], i: usize) -> bool {
    let cap = |j: Option<usize>| j.and_then(|j| toks.get(j)).is_some_and(|t| t.capital);
    let word = |j: Option<usize>, w: &[&str]| {
        j.and_then(|j| toks.get(j))
            .is_some_and(|t| w.contains(&t.lower.as_ref()))
    };
    let prev = i.checked_sub(1);
    let prev2 = i.checked_sub(2);
    cap(prev) || cap(Some(i + 1)) || (word(prev, &["of", "and", "for", "&"]) && cap(prev2))
}

/// True when the token is spelled exactly like the noun pattern's head ("killing").
fn noun_literal(entry: &Entry, tok: &Tok) -> bool {
    let head_alts = entry
        .pattern
        .elems
        .iter()
        .filter_map(|e| match e {
            Elem::Word(a) => Some(a),
            Elem::Gap(_) => None,
        })
        .nth(entry.pattern.head);
    head_alts.is_some_and(|alts| alts.iter().any(|a| *a.text == *tok.lower))
}

/// "was attacked", "were reportedly killed", "got arrested": a be/get auxiliary shortly
/// before a past participle; or a participle followed by an agent ("killed by").
fn is_passive(toks: &[Tok], head: usize, end: usize) -> bool {
    let Some(tok) = toks.get(head) else {
        return false;
    };
    if tok.form != Form::Ed {
        return false;
    }
    let mut i = head;
    for _ in 0..3 {
        let Some(p) = i.checked_sub(1) else { break };
        let Some(t) = toks.get(p) else { break };
        if PASSIVE_AUX.contains(&t.lower.as_ref()) || t.lemma() == "be" {
            // "has been" / "had" alone is active perfect, but "been" is a be-form.
            return true;
        }
        if !ADVERBS.contains(&t.lower.as_ref()) && !t.lower.ends_with("ly") {
            break;
        }
        i = p;
    }
    // Reduced relative with an agent: "a captive killed by troops".
    toks.get(end).is_some_and(|t| t.lower == "by") && head + 1 == end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::tokens::tokenize;

    fn words(s: &str) -> Vec<&str> {
        tokenize(s).iter().map(|t| t.text(s)).collect()
    }

    fn lex() -> TriggerLexicon {
        match TriggerLexicon::builtin() {
            Ok(l) => l,
            Err(e) => panic!("builtin lexicon: {e}"),
        }
    }

    /// (head word, type, mode) of every trigger.
    fn found(s: &str) -> Vec<(String, &'static str, Option<&'static str>)> {
        let w = words(s);
        lex()
            .find(&w)
            .into_iter()
            .map(|m| (w[m.head].to_string(), m.event_type.as_str(), m.mode))
            .collect()
    }

    fn has(s: &str, head: &str, typ: &str) -> bool {
        found(s).iter().any(|(h, t, _)| h == head && *t == typ)
    }

    #[test]
    fn builtin_table_parses_and_is_sized_for_precision() {
        let l = lex();
        assert!(l.len() > 300, "only {} rows", l.len());
        assert!(l.len() < 4000, "{} rows", l.len());
        // every type is reachable
        for t in PloverType::ALL {
            assert!(
                l.entries.iter().any(|e| e.event_type == Some(t)),
                "no trigger for {t}"
            );
        }
    }

    #[test]
    fn lemmatizer_handles_irregular_and_regular_forms() {
        for (w, l) in [
            ("met", "meet"),
            ("held", "hold"),
            ("struck", "strike"),
            ("agreed", "agree"),
            ("talks", "talk"),
            ("Talks", "talk"),
            ("withdrawn", "withdraw"),
            ("withdrew", "withdraw"),
            ("voiced", "voice"),
            ("called", "call"),
            ("stopped", "stop"),
            ("killed", "kill"),
            ("imposed", "impose"),
            ("denied", "deny"),
            ("allies", "ally"),
            ("forces", "force"),
            ("sanctions", "sanction"),
            ("negotiating", "negotiate"),
            ("visiting", "visit"),
            ("visited", "visit"),
            ("shelling", "shell"),
            ("found", "find"),
            ("news", "news"),
            ("crises", "crisis"),
            ("urged", "urge"),
            ("retrieved", "retrieve"),
            ("climbed", "climb"),
            ("announced", "announce"),
            ("is", "be"),
            // "not" (a negation cue) and "note" (a statement verb) are both known lemmas:
            // the spelling decides.
            ("noted", "note"),
            ("noting", "note"),
            ("notes", "note"),
        ] {
            assert_eq!(lemma(w), l, "lemma of {w}");
        }
    }

    #[test]
    fn the_words_of_every_table_are_known_lemmas() {
        for (name, text) in [
            ("triggers", TRIGGERS_TSV),
            ("modality", MODALITY_TSV),
            ("attribution", ATTRIBUTION_TSV),
        ] {
            for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
                let cue = line.split('\t').next().unwrap_or("");
                for word in cue
                    .split(' ')
                    .filter(|w| w.chars().all(char::is_alphabetic))
                {
                    assert!(KNOWN.contains(word), "{name}: {word}");
                }
            }
        }
    }

    #[test]
    fn lemma_never_panics_on_odd_input() {
        for w in [
            "", "'", "’s", "n't", "ß", "ÇED", "İ", "s", "es", "ies", "ing", "eed", "ed",
        ] {
            let _ = lemma(w);
        }
    }

    #[test]
    fn pattern_notation_errors_are_reported() {
        assert!(Pattern::parse("~ meet", false).is_err());
        assert!(Pattern::parse("meet ~", false).is_err());
        assert!(Pattern::parse("meet ~ ~ with", false).is_err());
        assert!(Pattern::parse("Meet", false).is_err());
        assert!(Pattern::parse("meet ~99 with", false).is_err());
        assert!(Pattern::parse("*a *b", false).is_err());
        let p = match Pattern::parse("air ~1 strike|raid", true) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!((p.head, p.words), (1, 2));
        let bad =
            "pattern\tpos\ttype\tmode\tcameo\tweight\tvoice\tsource\nx\tverb\tFOO\t\t\t1\t\tc\n";
        let e = TriggerLexicon::from_tsv(bad).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("line 2") && e.contains("FOO")));
        let bad_mode = "x\tverb\tASSAULT\tvisit\t\t1\t\tc\n";
        assert!(TriggerLexicon::from_tsv(bad_mode).is_err());
    }

    #[test]
    fn seed_sentences() {
        let s = "Turkish National Intelligence Organization (MİT) Director İbrahim Kalın met on Tuesday with Qatar’s Prime Minister and Foreign Minister in Cairo to discuss the transition";
        assert!(has(s, "met", "CONSULT"), "{:?}", found(s));
        assert!(has(s, "discuss", "CONSULT"));

        let s = "According to diplomatic sources, the sides agreed to intensify joint coordination";
        assert!(has(s, "agreed", "AGREE"), "{:?}", found(s));

        let s = "Israeli forces have reportedly withdrawn behind the so-called “Yellow Line” in the Gaza Strip.";
        let f = found(s);
        assert!(
            f.contains(&("withdrawn".into(), "RETREAT", Some("withdraw"))),
            "{f:?}"
        );
        assert!(!f.iter().any(|(h, _, _)| h == "forces"), "{f:?}");

        let s = "Israeli forces claimed to have retrieved the remains of a captive from Gaza.";
        assert!(has(s, "retrieved", "AID"), "{:?}", found(s));

        // A statement is not a PLOVER event (CAMEO 01 is dropped).
        let s = "Hamas stated that the remains belonged to a captive.";
        assert!(found(s).is_empty(), "{:?}", found(s));
        let s =
            "National Security and Defense Council Secretary Rustem Umerov announced on Tuesday.";
        assert!(found(s).is_empty(), "{:?}", found(s));

        let s = "The United Nations has voiced grave concern over escalating tensions between the United States and Venezuela in the southern Caribbean, calling on all parties to exercise restraint and adhere to international law.";
        assert!(has(s, "voiced", "ACCUSE"), "{:?}", found(s));
        assert!(has(s, "calling", "REQUEST"), "{:?}", found(s));

        let s = "Ukraine is preparing for President Volodymyr Zelensky’s visit to the United States in November to meet U.S. President Donald Trump";
        assert!(has(s, "visit", "CONSULT"), "{:?}", found(s));
        assert!(has(s, "meet", "CONSULT"), "{:?}", found(s));

        let s = "Medical authorities in Gaza reported Tuesday that the Palestinian death toll has climbed to 69,775 since the start of the Israeli aggression in October 2023.";
        assert!(has(s, "toll", "ASSAULT"), "{:?}", found(s));
    }

    #[test]
    fn gaps_and_longest_match() {
        let s = "Egypt and Qatar held high-level talks in Cairo.";
        let w = words(s);
        let m = lex().find(&w);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!((m[0].start, m[0].end, m[0].head), (3, 6, 3));
        assert_eq!(m[0].event_type, PloverType::Consult);

        // the specific blocking row beats the bare verb
        assert!(found("The company met its sales target.").is_empty());
        assert!(found("Two people were killed in a car accident.").is_empty());
        // a gap does not cross a comma
        let f = found("They held, as expected, talks.");
        assert!(f.iter().all(|(h, _, _)| h != "held"), "{f:?}");
        // agreeing to withdraw is a concession
        assert!(has(
            "Russia agreed to withdraw its troops.",
            "agreed",
            "CONCEDE"
        ));
    }

    #[test]
    fn noun_and_verb_readings() {
        assert!(has(
            "The attack killed three soldiers.",
            "attack",
            "ASSAULT"
        ));
        assert!(has("Rebels attacked the town.", "attacked", "ASSAULT"));
        // capitalized verb inside a sentence is a name
        assert!(!has("He joined Strike Force One.", "Strike", "ASSAULT"));
        assert!(has("Workers staged a general strike.", "staged", "PROTEST"));
        assert!(has("An air strike hit the camp.", "strike", "ASSAULT"));
        // headline title case still matches
        assert!(has(
            "Türkiye, Qatar and Egypt Hold High-Level Talks in Cairo",
            "Hold",
            "CONSULT"
        ));
    }

    #[test]
    fn passive_voice() {
        let w = words("Three soldiers were attacked by militants.");
        let m = lex().find(&w);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].passive);
        let w = words("Militants attacked three soldiers.");
        assert!(lex().find(&w).iter().all(|m| !m.passive));
        let w = words("The convoy came under fire near the border.");
        assert!(lex().find(&w).iter().any(|m| m.passive));
    }

    #[test]
    fn cached_preparation_matches_fresh() {
        let words = [
            "Israel",
            "attacked",
            "Gaza",
            ",",
            "attacked",
            "ISRAEL",
            "voting",
            "met",
            "İstanbul",
            "talks",
            "agreed",
        ];
        // Twice: the second pass reads every word from the per-thread cache.
        for toks in [prepare(&words), prepare(&words)] {
            for (t, w) in toks.iter().zip(words) {
                let fresh = WordInfo::of(w).tok(w);
                assert_eq!(
                    (&*t.lower, t.lemma(), t.form, t.boundary, t.capital),
                    (
                        &*fresh.lower,
                        fresh.lemma(),
                        fresh.form,
                        fresh.boundary,
                        fresh.capital
                    ),
                    "{w}"
                );
            }
        }
        let toks = prepare(&["ISRAEL", "met", "voting"]);
        assert_eq!(&*toks[0].lower, "israel");
        assert_eq!(toks[1].lemma(), "meet");
        assert_eq!(toks[2].lemma(), "vote");
    }

    /// Preparing through the actor tagger's word ids gives the tokens of plain preparation:
    /// with the tagger's own ids, with ids of another tagger (the table starts over), and with
    /// wrong ids (an entry whose word differs is not used).
    #[test]
    fn preparation_by_word_id_matches_plain() {
        use crate::extract::actors::ner::NerTagger;
        let tagger = NerTagger::builtin().expect("builtin tagger");
        let lexicon = lex();
        let sentence = "Israel attacked Gaza , and ISRAEL 's talks met voting Zzyzxville agreed .";
        let words: Vec<&str> = sentence.split(' ').collect();
        let mut ids = Vec::new();
        tagger.tag_with_ids(&words, &mut ids);
        assert_eq!(ids.len(), words.len());
        assert!(ids.iter().filter(|&&id| id != NO_WORD).count() > words.len() / 2);
        let key = |t: &Tok| {
            (
                t.lower.to_string(),
                t.lemma().to_string(),
                t.form,
                t.boundary,
                t.capital,
            )
        };
        let plain: Vec<_> = prepare(&words).iter().map(key).collect();
        assert!(lexicon.find_prepared(&prepare(&words)).len() >= 3);
        let mut shifted = ids.clone();
        shifted.rotate_left(1);
        for (ids, vocab) in [
            (&ids, tagger.vocab_id()),
            (&ids, tagger.vocab_id()),
            (&shifted, tagger.vocab_id()),
            (&ids, u64::MAX),
        ] {
            let prepared = lexicon.prepare_with_ids(&words, ids, vocab);
            let by_id: Vec<_> = prepared.iter().map(key).collect();
            assert_eq!(by_id, plain);
            assert_eq!(
                format!("{:?}", lexicon.find_prepared(&prepared)),
                format!("{:?}", lexicon.find_prepared(&prepare(&words)))
            );
            // Another lexicon's pattern ids are not taken for this one's.
            let other = lex();
            let prepared = other.prepare_with_ids(&words, ids, vocab);
            assert_eq!(
                format!("{:?}", other.find_prepared(&prepared)),
                format!("{:?}", other.find_prepared(&prepare(&words)))
            );
        }
        // Ids that do not fit the words: plain preparation.
        let by_id: Vec<_> = lexicon
            .prepare_with_ids(&words, &ids[1..], tagger.vocab_id())
            .iter()
            .map(key)
            .collect();
        assert_eq!(by_id, plain);
    }

    #[test]
    fn never_panics_and_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TriggerLexicon>();
        let l = lex();
        for s in [
            vec![],
            vec![""],
            vec!["~"],
            vec!["hold", "~"],
            vec!["meet", ",", "with"],
            vec!["agreed"; 50],
        ] {
            let _ = l.find(&s);
        }
    }
}
