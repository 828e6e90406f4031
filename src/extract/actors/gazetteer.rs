//! Built-in actor gazetteer: countries, places, organizations, armed groups, people with dated
//! roles, and agent words ("forces", "minister"), found in text through an index of their names
//! (`name_index`, one probe per word start).
//!
//! The lists live in `data/gazetteer/*.tsv` (converted from PETRARCH 2's dictionaries plus
//! curated tables, see `tools/gazetteer/`) and are embedded at compile time, so the library
//! needs no files at run time. Users add their own entries as TSV text in the people or
//! organizations format ([`Gazetteer::builtin_with`]).
//!
//! Matching works on a *folded* copy of the text: diacritics stripped (`Erdoğan` → `Erdogan`,
//! `Kalın` → `Kalin`), curly apostrophes and dashes straightened, case kept. The search is
//! ASCII-case-insensitive; each hit is then checked against the case policy of the name it
//! hit, because case is what separates `US` (the country) from `us`:
//!
//! * acronyms and names of one or two letters (`US`, `IS`, `U.N.`, `Xi`) match exactly;
//! * other names need their capitals where the name has them (`Turkey`, `TURKEY`, not
//!   `turkey`; `Islamic State`, not `Islamic state`);
//! * agent words are common nouns and match in any case (`forces`, `Prime Minister`).
//!
//! Hits must sit on token boundaries: no letter or digit may touch either end.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use super::name_index::NameIndex;
use chrono::NaiveDate;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

const COUNTRIES_TSV: &str = include_str!("../../../data/gazetteer/countries.tsv");
const PLACES_TSV: &str = include_str!("../../../data/gazetteer/places.tsv");
const ORGANIZATIONS_TSV: &str = include_str!("../../../data/gazetteer/organizations.tsv");
const PEOPLE_TSV: &str = include_str!("../../../data/gazetteer/people.tsv");
const AGENTS_TSV: &str = include_str!("../../../data/gazetteer/agents.tsv");
const CAPS_WORDS_TSV: &str = include_str!("../../../data/gazetteer/caps_words.tsv");

/// Index of an [`Entry`] in its [`Gazetteer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub u32);

/// What an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Country,
    Place,
    Organization,
    /// An armed non-state group (rebels, insurgents, militias).
    Group,
    Person,
    /// A common noun naming a sector of actors ("forces", "minister").
    Agent,
}

/// Cities and regions are both [`EntryKind::Place`]; this tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaceKind {
    City,
    Region,
}

/// Which of an entry's names matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchForm {
    Name,
    Alias,
    Acronym,
    Demonym,
    Capital,
}

/// One gazetteer entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub canonical: String,
    pub kind: EntryKind,
    /// ISO 3166-1 alpha-3 (`XKX` Kosovo; `SUN`, `YUG`, `CSK`, `DDR` for former states).
    pub country: Option<String>,
    /// CAMEO-style sector code: `GOV`, `MIL`, `COP`, `REB`, `IGO`, ...
    pub sector: Option<String>,
    /// For people: the role, e.g. `President` (empty in the source for many PETRARCH rows).
    pub title: Option<String>,
    /// For agents: the word heads a person's title ("Foreign Minister X").
    pub is_person_title: bool,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// For places: city or region.
    pub place_kind: Option<PlaceKind>,
}

impl Entry {
    /// True when the entry has no dates or `date` falls in `[valid_from, valid_to]`.
    pub fn valid_at(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }
}

/// A name found in text: byte offsets into the text given to [`Gazetteer::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GazMatch {
    pub start: usize,
    pub end: usize,
    pub entry: EntryId,
    pub how: MatchForm,
}

/// The answer of [`Gazetteer::lookup`]: which entry, through which of its names.
pub type GazMatchKind = (EntryId, MatchForm);

/// Errors building a gazetteer; they name the dictionary and line to fix.
#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("{origin}:{line}: {message}")]
    Parse {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Header { origin: String, message: String },
}

/// How strictly a name's letter case must agree with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseMode {
    /// Byte-for-byte after folding: acronyms, very short names.
    Exact,
    /// Letters that start a word and are capitals in the name must be capitals in the text.
    Capitalized,
    /// Any case: common nouns.
    Insensitive,
}

/// One entry reachable through one surface form.
#[derive(Debug, Clone)]
struct Candidate {
    entry: EntryId,
    how: MatchForm,
    case: CaseMode,
    /// The folded surface form with its case, checked against the text.
    form: String,
    /// Acronym that is also an English word (`IS`, `WHO`): skipped in all-capital text.
    caps_word: bool,
}

/// The gazetteer: entries plus the index of all their names. Build once, share freely.
pub struct Gazetteer {
    entries: Vec<Entry>,
    /// Candidates per name (the index's values), best first.
    patterns: Vec<Vec<Candidate>>,
    /// All names (lower-cased folded forms), valued by pattern index: found in text on
    /// word edges, and looked up exactly.
    names: NameIndex,
}

impl fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gazetteer")
            .field("entries", &self.entries.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Gazetteer {
    /// The built-in lists only.
    pub fn builtin() -> Result<Gazetteer, GazetteerError> {
        Self::builtin_with(&[])
    }

    /// The built-in lists plus user dictionaries: `(origin, tsv_text)` pairs, where `origin`
    /// (a file name, a config key) is used in error messages. Each text has comment lines
    /// (`#`), a header line naming its columns, then rows. Columns: `name` (required),
    /// `aliases` (`|`-separated), `kind` (`person`, `organization`, `group`, `city`, `region`,
    /// `country`, `agent`; may be left out when a `role` column marks a people list),
    /// `country` (ISO3), `sector`, `role`, `valid_from`, `valid_to` (`YYYY-MM-DD`),
    /// `person_title` (`yes`/`no`). User entries win over built-in ones with the same name.
    pub fn builtin_with(extra: &[(String, String)]) -> Result<Gazetteer, GazetteerError> {
        let mut b = Builder {
            caps_words: CAPS_WORDS_TSV
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
            ..Builder::default()
        };
        for (origin, text) in extra {
            b.load_generic(origin, text, None, 0)?;
        }
        b.load_places("data/gazetteer/places.tsv", PLACES_TSV)?;
        b.load_countries("data/gazetteer/countries.tsv", COUNTRIES_TSV)?;
        b.load_generic(
            "data/gazetteer/organizations.tsv",
            ORGANIZATIONS_TSV,
            Some(EntryKind::Organization),
            1,
        )?;
        b.load_generic(
            "data/gazetteer/people.tsv",
            PEOPLE_TSV,
            Some(EntryKind::Person),
            1,
        )?;
        b.load_generic(
            "data/gazetteer/agents.tsv",
            AGENTS_TSV,
            Some(EntryKind::Agent),
            1,
        )?;
        b.build()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries (never for the built-in lists).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry behind an id from this gazetteer.
    ///
    /// # Panics
    /// On an id from another gazetteer that is out of range (ids are not input-driven).
    pub fn entry(&self, id: EntryId) -> &Entry {
        &self.entries[id.0 as usize]
    }

    /// Non-overlapping matches in `text` (byte offsets), leftmost-longest, on token boundaries.
    pub fn find(&self, text: &str) -> Vec<GazMatch> {
        let folded = Folded::new(text);
        let hay = folded.text.as_ref();
        let bytes = hay.as_bytes();
        // All names on word edges, overlapping ones too, so that a name rejected for its case
        // does not hide a shorter valid one at the same place. Keys are ASCII-lower-cased, so
        // the index runs on an ASCII-lower-cased copy: the same names as an ASCII
        // case-insensitive search, at the same offsets (lower-casing ASCII leaves which
        // characters are word characters as they were).
        let lower = hay.to_ascii_lowercase();
        let mut hits: Vec<(usize, usize, &Candidate)> = Vec::new();
        self.names.find_at_word_edges(&lower, |s, e, p| {
            let Some(cands) = self.patterns.get(p as usize) else {
                return;
            };
            let span = &bytes[s..e];
            if let Some(c) = cands
                .iter()
                .find(|c| case_ok(c, span) && !(c.caps_word && caps_context(hay, s, e)))
            {
                hits.push((s, e, c));
            }
        });
        hits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = Vec::new();
        let mut next_free = 0;
        for (s, e, c) in hits {
            if s < next_free {
                continue;
            }
            next_free = e;
            out.push(GazMatch {
                start: folded.original(s),
                end: folded.original(e),
                entry: c.entry,
                how: c.how,
            });
        }
        out
    }

    /// Look up a name or alias exactly (e.g. "Qatar" inside a tagger's span), with the same
    /// case policy as [`find`](Self::find); surrounding spaces and a possessive `'s` are ignored.
    pub fn lookup(&self, name: &str) -> Option<GazMatchKind> {
        self.with_candidates(name, |cands| cands.next().map(|c| (c.entry, c.how)))
            .flatten()
    }

    /// Every entry a name can stand for, best first (e.g. each office period of a person,
    /// or the country before the US state for "Georgia").
    pub fn lookup_all(&self, name: &str) -> Vec<GazMatchKind> {
        self.with_candidates(name, |cands| cands.map(|c| (c.entry, c.how)).collect())
            .unwrap_or_default()
    }

    /// Runs `f` on the candidates of a name (trimmed, a possessive `'s` dropped) whose case
    /// policy the name meets, best first; `None` when the name is not in the gazetteer.
    /// Resolution looks up every gazetteer match again; this spares the copies (the common
    /// ASCII name is neither folded nor lower-cased into a new string, and no list is
    /// collected).
    fn with_candidates<R>(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn Iterator<Item = &Candidate>) -> R,
    ) -> Option<R> {
        let name = name.trim();
        let name = name
            .strip_suffix("'s")
            .or_else(|| name.strip_suffix("’s"))
            .unwrap_or(name);
        // Folding an ASCII name without line breaks or double spaces changes nothing.
        let folded: Cow<'_, str> = if name.is_ascii() && !needs_space_fold(name.as_bytes()) {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(fold_keep_case(name))
        };
        let mut buf = [0u8; 64];
        let key: Cow<'_, str> = match buf.get_mut(..folded.len()) {
            Some(b) if folded.is_ascii() => {
                b.copy_from_slice(folded.as_bytes());
                b.make_ascii_lowercase();
                match std::str::from_utf8(b) {
                    Ok(k) => Cow::Borrowed(k),
                    Err(_) => Cow::Owned(folded.to_ascii_lowercase()),
                }
            }
            _ => Cow::Owned(folded.to_ascii_lowercase()),
        };
        let p = self.names.get(key.as_ref())?;
        let cands = self.patterns.get(p as usize)?;
        let folded = folded.as_bytes();
        Some(f(&mut cands.iter().filter(|c| case_ok(c, folded))))
    }

    /// The entry a matched name stands for on `date`: the best candidate valid then, else the
    /// best candidate. Use it for people whose roles changed (an article from 1998 about
    /// "Netanyahu" gets his first term as Prime Minister).
    pub fn resolve_at(&self, text: &str, m: &GazMatch, date: NaiveDate) -> EntryId {
        let span = text.get(m.start..m.end).unwrap_or("");
        let kind = self.entry(m.entry).kind;
        self.with_candidates(span, |cands| {
            cands
                .map(|c| c.entry)
                .filter(|&id| self.entry(id).kind == kind)
                .find(|&id| self.entry(id).valid_at(date))
        })
        .flatten()
        .unwrap_or(m.entry)
    }
}

// ---------------------------------------------------------------------------------------------
// Case and boundary checks

fn case_ok(c: &Candidate, span: &[u8]) -> bool {
    let form = c.form.as_bytes();
    if form.len() != span.len() {
        return false;
    }
    match c.case {
        CaseMode::Insensitive => true,
        CaseMode::Exact => form == span,
        CaseMode::Capitalized => {
            let mut word_start = true;
            for (&f, &t) in form.iter().zip(span) {
                if word_start && f.is_ascii_uppercase() && !t.is_ascii_uppercase() {
                    return false;
                }
                word_start = matches!(f, b' ' | b'-' | b'/' | b'(' | b'.');
            }
            true
        }
    }
}

/// True when the words around `[s, e)` are written in capitals (a headline), where an
/// acronym like `IS` or `WHO` is more likely the English word.
fn caps_context(hay: &str, s: usize, e: usize) -> bool {
    let word_is_caps = |w: &str| {
        let mut letters = w.chars().filter(|c| c.is_alphabetic()).peekable();
        letters.peek().is_some() && letters.all(|c| c.is_uppercase())
    };
    let prev = hay.get(..s).and_then(|h| h.split_whitespace().next_back());
    let next = hay.get(e..).and_then(|h| h.split_whitespace().next());
    prev.is_some_and(word_is_caps) || next.is_some_and(word_is_caps)
}

// ---------------------------------------------------------------------------------------------
// Folding

/// Folds one character into `out`: diacritics off, apostrophes and dashes straight, case kept.
fn fold_char(c: char, out: &mut String) {
    let special = match c {
        'ı' => Some("i"),
        'İ' => Some("I"),
        'ł' => Some("l"),
        'Ł' => Some("L"),
        'ø' => Some("o"),
        'Ø' => Some("O"),
        'đ' | 'ð' => Some("d"),
        'Đ' => Some("D"),
        'ß' => Some("ss"),
        'æ' => Some("ae"),
        'Æ' => Some("AE"),
        'œ' => Some("oe"),
        'Œ' => Some("OE"),
        '’' | '‘' | 'ʼ' | 'ʻ' | 'ʿ' | 'ʾ' | '`' | '´' => Some("'"),
        '–' | '—' | '‐' | '‑' => Some("-"),
        '\u{a0}' => Some(" "),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return;
    }
    let before = out.len();
    decompose_canonical(c, |d| {
        if !is_combining_mark(d) {
            out.push(d);
        }
    });
    if out.len() == before {
        out.push(c);
    }
}

fn fold_keep_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_folded(c, &mut out);
    }
    out
}

/// Appends the folded form of `c`; any run of white space becomes one space, so that a name
/// broken across lines ("World Trade\nOrganization") still matches.
#[inline]
fn push_folded(c: char, out: &mut String) {
    if c.is_whitespace() {
        if !out.ends_with(' ') {
            out.push(' ');
        }
    } else if c.is_ascii() {
        out.push(c);
    } else {
        fold_char(c, out);
    }
}

/// True when folding would change an ASCII text: line breaks, tabs or double spaces.
fn needs_space_fold(b: &[u8]) -> bool {
    let mut prev_space = false;
    for &x in b {
        match x {
            b' ' if prev_space => return true,
            b' ' => prev_space = true,
            b'\n' | b'\r' | b'\t' | 0x0b | 0x0c => return true,
            _ => prev_space = false,
        }
    }
    false
}

/// The text the name index runs on, with a map back to the original byte offsets.
struct Folded<'a> {
    text: Cow<'a, str>,
    /// Pieces of the folded text in order: `(folded start, original start, verbatim)`. A
    /// verbatim piece was copied unchanged (offsets move in step); any other piece is one
    /// folded character, all of whose bytes map to that character's start. Sparse because the
    /// map is read only at match ends, a few per sentence, while a dense map would cost a write per
    /// byte of text. `None` when the text was ASCII and folding changed nothing.
    map: Option<Vec<(usize, usize, bool)>>,
    len: usize,
}

impl<'a> Folded<'a> {
    fn new(text: &'a str) -> Self {
        if text.is_ascii() && !needs_space_fold(text.as_bytes()) {
            return Folded {
                text: Cow::Borrowed(text),
                map: None,
                len: text.len(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut map = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Runs of ASCII that folding keeps as they are are copied whole: the same result
            // as folding them char by char, at a fraction of the cost. A single space is kept
            // as it is too (only a space after a space, or other white space, changes).
            let mut prev_space = out.ends_with(' ');
            let mut run = i;
            while let Some(&b) = bytes.get(run) {
                if !b.is_ascii() || matches!(b, 9..=13) || (b == b' ' && prev_space) {
                    break;
                }
                prev_space = b == b' ';
                run += 1;
            }
            if run > i {
                map.push((out.len(), i, true));
                out.push_str(&text[i..run]);
                i = run;
                continue;
            }
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let before = out.len();
            push_folded(c, &mut out);
            if out.len() > before {
                map.push((before, i, false));
            }
            i += c.len_utf8();
        }
        Folded {
            text: Cow::Owned(out),
            map: Some(map),
            len: text.len(),
        }
    }

    fn original(&self, folded: usize) -> usize {
        let Some(map) = &self.map else {
            return folded;
        };
        if folded >= self.text.len() {
            return self.len;
        }
        let k = map.partition_point(|&(f, _, _)| f <= folded);
        match k.checked_sub(1).and_then(|k| map.get(k)) {
            Some(&(f, o, true)) => o + (folded - f),
            Some(&(_, o, false)) => o,
            None => self.len,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

/// Column indexes of a TSV header.
#[derive(Debug, Default)]
struct Columns {
    name: Option<usize>,
    iso3: Option<usize>,
    aliases: Option<usize>,
    demonyms: Option<usize>,
    capitals: Option<usize>,
    kind: Option<usize>,
    country: Option<usize>,
    sector: Option<usize>,
    role: Option<usize>,
    valid_from: Option<usize>,
    valid_to: Option<usize>,
    person_title: Option<usize>,
}

impl Columns {
    fn parse(origin: &str, header: &str) -> Result<Columns, GazetteerError> {
        let mut c = Columns::default();
        for (i, col) in header.split('\t').enumerate() {
            let slot = match col.trim() {
                "name" => &mut c.name,
                "iso3" => &mut c.iso3,
                "aliases" => &mut c.aliases,
                "demonyms" => &mut c.demonyms,
                "capitals" => &mut c.capitals,
                "kind" => &mut c.kind,
                "country" => &mut c.country,
                "sector" => &mut c.sector,
                "role" => &mut c.role,
                "valid_from" => &mut c.valid_from,
                "valid_to" => &mut c.valid_to,
                "person_title" => &mut c.person_title,
                other => {
                    return Err(GazetteerError::Header {
                        origin: origin.to_string(),
                        message: format!(
                            "unknown column `{other}` in the header line; use name, aliases, \
                             kind, country, sector, role, valid_from, valid_to, person_title"
                        ),
                    });
                }
            };
            *slot = Some(i);
        }
        if c.name.is_none() && c.iso3.is_none() {
            return Err(GazetteerError::Header {
                origin: origin.to_string(),
                message: "the header line needs a `name` column (columns are tab-separated)"
                    .to_string(),
            });
        }
        Ok(c)
    }
}

/// Data lines of a TSV: `(line number, cells)`, after the header. Comment lines start with `#`.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

fn cell<'a>(cells: &[&'a str], col: Option<usize>) -> &'a str {
    col.and_then(|i| cells.get(i))
        .map(|s| s.trim())
        .unwrap_or("")
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').map(str::trim).filter(|x| !x.is_empty())
}

#[derive(Default)]
struct Builder {
    entries: Vec<Entry>,
    /// (priority rank, candidate) per lower-cased folded form.
    forms: HashMap<String, Vec<(Rank, Candidate)>>,
    /// (folded lower-case name, country) -> city entry, so capitals reuse the city.
    cities: HashMap<(String, String), EntryId>,
    caps_words: Vec<String>,
}

/// Sort key among entries that share a surface form: smaller is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    origin: u8,
    kind: u8,
    form: u8,
    /// Later start dates first (people: the most recent office).
    recency: std::cmp::Reverse<Option<NaiveDate>>,
    untitled: bool,
    id: EntryId,
}

struct ParseCtx<'a> {
    origin: &'a str,
    line: usize,
}

impl ParseCtx<'_> {
    fn err(&self, message: impl Into<String>) -> GazetteerError {
        GazetteerError::Parse {
            origin: self.origin.to_string(),
            line: self.line,
            message: message.into(),
        }
    }

    fn date(&self, s: &str, col: &str) -> Result<Option<NaiveDate>, GazetteerError> {
        if s.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| self.err(format!("`{s}` in {col} is not a date; write YYYY-MM-DD")))
    }
}

impl Builder {
    fn push_entry(&mut self, e: Entry) -> EntryId {
        let id = EntryId(self.entries.len() as u32);
        self.entries.push(e);
        id
    }

    /// Registers `form` as a name of `id`.
    fn add_form(&mut self, id: EntryId, form: &str, how: MatchForm, origin_rank: u8) {
        let folded = fold_keep_case(form.trim());
        let letters = folded.chars().filter(|c| c.is_alphabetic()).count();
        if letters == 0 {
            return;
        }
        let Some(entry) = self.entries.get(id.0 as usize) else {
            return;
        };
        let has_lower = folded.chars().any(|c| c.is_lowercase());
        let (how, case) = if !has_lower && letters >= 2 {
            let how = if how == MatchForm::Alias {
                MatchForm::Acronym
            } else {
                how
            };
            (how, CaseMode::Exact)
        } else if entry.kind == EntryKind::Agent {
            (how, CaseMode::Insensitive)
        } else if letters <= 2 {
            (how, CaseMode::Exact)
        } else {
            (how, CaseMode::Capitalized)
        };
        let kind_rank = match entry.kind {
            EntryKind::Country => 0,
            EntryKind::Organization | EntryKind::Group => 1,
            EntryKind::Place if how == MatchForm::Capital => 2,
            EntryKind::Place if entry.place_kind == Some(PlaceKind::City) => 3,
            EntryKind::Place => 4,
            EntryKind::Person => 5,
            EntryKind::Agent => 6,
        };
        let form_rank = match how {
            MatchForm::Name | MatchForm::Capital => 0,
            MatchForm::Acronym => 1,
            MatchForm::Alias => 2,
            MatchForm::Demonym => 3,
        };
        let rank = Rank {
            origin: origin_rank,
            kind: kind_rank,
            form: form_rank,
            recency: std::cmp::Reverse(entry.valid_from),
            untitled: entry.title.is_none(),
            id,
        };
        let caps_word = case == CaseMode::Exact && self.caps_words.contains(&folded);
        let key = folded.to_ascii_lowercase();
        let slot = self.forms.entry(key).or_default();
        if let Some((r, c)) = slot
            .iter_mut()
            .find(|(_, c)| c.entry == id && c.form == folded)
        {
            // A city listed again as a capital: keep one candidate, say it is the capital.
            if how == MatchForm::Capital {
                c.how = MatchForm::Capital;
                r.kind = rank.kind;
                r.form = rank.form;
            }
            return;
        }
        slot.push((
            rank,
            Candidate {
                entry: id,
                how,
                case,
                form: folded,
                caps_word,
            },
        ));
    }

    fn load_places(&mut self, origin: &str, text: &str) -> Result<(), GazetteerError> {
        let mut lines = data_lines(text);
        let Some((_, header)) = lines.next() else {
            return Ok(());
        };
        let cols = Columns::parse(origin, header)?;
        for (line, row) in lines {
            let ctx = ParseCtx { origin, line };
            let cells: Vec<&str> = row.split('\t').collect();
            let name = cell(&cells, cols.name);
            if name.is_empty() {
                return Err(ctx.err("empty name"));
            }
            let place_kind = match cell(&cells, cols.kind) {
                "city" => PlaceKind::City,
                "region" | "" => PlaceKind::Region,
                other => return Err(ctx.err(format!("kind `{other}`: use city or region"))),
            };
            let country = opt(cell(&cells, cols.country));
            let id = self.push_entry(Entry {
                canonical: name.to_string(),
                kind: EntryKind::Place,
                country: country.clone(),
                sector: None,
                title: None,
                is_person_title: false,
                valid_from: None,
                valid_to: None,
                place_kind: Some(place_kind),
            });
            if place_kind == PlaceKind::City {
                self.cities.insert(
                    (
                        fold_keep_case(name).to_ascii_lowercase(),
                        country.unwrap_or_default(),
                    ),
                    id,
                );
            }
            self.add_form(id, name, MatchForm::Name, 1);
            for a in list(cell(&cells, cols.aliases)) {
                self.add_form(id, a, MatchForm::Alias, 1);
            }
        }
        Ok(())
    }

    fn load_countries(&mut self, origin: &str, text: &str) -> Result<(), GazetteerError> {
        let mut lines = data_lines(text);
        let Some((_, header)) = lines.next() else {
            return Ok(());
        };
        let cols = Columns::parse(origin, header)?;
        for (line, row) in lines {
            let ctx = ParseCtx { origin, line };
            let cells: Vec<&str> = row.split('\t').collect();
            let iso = cell(&cells, cols.iso3);
            let name = cell(&cells, cols.name);
            if iso.len() != 3 || name.is_empty() {
                return Err(ctx.err("a country row needs a three-letter iso3 code and a name"));
            }
            let id = self.push_entry(Entry {
                canonical: name.to_string(),
                kind: EntryKind::Country,
                country: Some(iso.to_string()),
                sector: None,
                title: None,
                is_person_title: false,
                valid_from: None,
                valid_to: None,
                place_kind: None,
            });
            self.add_form(id, name, MatchForm::Name, 1);
            for a in list(cell(&cells, cols.aliases)) {
                self.add_form(id, a, MatchForm::Alias, 1);
            }
            for d in list(cell(&cells, cols.demonyms)) {
                self.add_form(id, d, MatchForm::Demonym, 1);
            }
            for cap in list(cell(&cells, cols.capitals)) {
                let key = (fold_keep_case(cap).to_ascii_lowercase(), iso.to_string());
                let city = match self.cities.get(&key) {
                    Some(&c) => c,
                    None => self.push_entry(Entry {
                        canonical: cap.to_string(),
                        kind: EntryKind::Place,
                        country: Some(iso.to_string()),
                        sector: None,
                        title: None,
                        is_person_title: false,
                        valid_from: None,
                        valid_to: None,
                        place_kind: Some(PlaceKind::City),
                    }),
                };
                self.add_form(city, cap, MatchForm::Capital, 1);
            }
        }
        Ok(())
    }

    /// People, organizations, agents and user dictionaries: columns named by the header.
    fn load_generic(
        &mut self,
        origin: &str,
        text: &str,
        default_kind: Option<EntryKind>,
        origin_rank: u8,
    ) -> Result<(), GazetteerError> {
        let mut lines = data_lines(text);
        let Some((_, header)) = lines.next() else {
            return Ok(());
        };
        let cols = Columns::parse(origin, header)?;
        let default_kind = default_kind.or_else(|| cols.role.map(|_| EntryKind::Person));
        for (line, row) in lines {
            let ctx = ParseCtx { origin, line };
            let cells: Vec<&str> = row.split('\t').collect();
            let name = cell(&cells, cols.name);
            if name.is_empty() {
                return Err(ctx.err("empty name"));
            }
            let (kind, place_kind) = match cell(&cells, cols.kind) {
                "" => match default_kind {
                    Some(k) => (k, None),
                    None => {
                        return Err(ctx.err(
                            "no kind: add a `kind` column (person, organization, group, city, \
                             region, country, agent) or a `role` column for a list of people",
                        ));
                    }
                },
                "person" => (EntryKind::Person, None),
                "organization" | "org" => (EntryKind::Organization, None),
                "group" => (EntryKind::Group, None),
                "city" => (EntryKind::Place, Some(PlaceKind::City)),
                "region" | "place" => (EntryKind::Place, Some(PlaceKind::Region)),
                "country" => (EntryKind::Country, None),
                "agent" => (EntryKind::Agent, None),
                other => {
                    return Err(ctx.err(format!(
                        "kind `{other}`: use person, organization, group, city, region, \
                         country or agent"
                    )));
                }
            };
            let country = cell(&cells, cols.country);
            if !country.is_empty()
                && (country.len() != 3 || !country.chars().all(|c| c.is_ascii_uppercase()))
            {
                return Err(ctx.err(format!(
                    "country `{country}`: write an ISO 3166-1 alpha-3 code such as TUR"
                )));
            }
            let person_title = match cell(&cells, cols.person_title) {
                "yes" | "true" => true,
                "no" | "false" | "" => false,
                other => return Err(ctx.err(format!("person_title `{other}`: write yes or no"))),
            };
            let valid_from = ctx.date(cell(&cells, cols.valid_from), "valid_from")?;
            let valid_to = ctx.date(cell(&cells, cols.valid_to), "valid_to")?;
            if let (Some(f), Some(t)) = (valid_from, valid_to)
                && t < f
            {
                return Err(ctx.err("valid_to is before valid_from"));
            }
            let id = self.push_entry(Entry {
                canonical: name.to_string(),
                kind,
                country: opt(country),
                sector: opt(cell(&cells, cols.sector)),
                title: opt(cell(&cells, cols.role)),
                is_person_title: person_title,
                valid_from,
                valid_to,
                place_kind,
            });
            self.add_form(id, name, MatchForm::Name, origin_rank);
            for a in list(cell(&cells, cols.aliases)) {
                self.add_form(id, a, MatchForm::Alias, origin_rank);
            }
        }
        Ok(())
    }

    fn build(self) -> Result<Gazetteer, GazetteerError> {
        let mut keys: Vec<(String, Vec<(Rank, Candidate)>)> = self.forms.into_iter().collect();
        // Deterministic pattern order, whatever the hash map did.
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut patterns = Vec::with_capacity(keys.len());
        let mut strings = Vec::with_capacity(keys.len());
        for (key, mut cands) in keys {
            cands.sort_by_key(|a| a.0);
            strings.push(key);
            patterns.push(cands.into_iter().map(|(_, c)| c).collect());
        }
        let names = NameIndex::new(
            strings
                .iter()
                .enumerate()
                .map(|(k, key)| (key.as_str(), k as u32)),
        );
        Ok(Gazetteer {
            entries: self.entries,
            patterns,
            names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use once_cell::sync::Lazy;

    static GAZ: Lazy<Gazetteer> = Lazy::new(|| match Gazetteer::builtin() {
        Ok(g) => g,
        Err(e) => panic!("built-in gazetteer: {e}"),
    });

    /// (matched text, canonical, kind, country, how) for each match.
    fn found(text: &str) -> Vec<(String, String, EntryKind, Option<String>, MatchForm)> {
        GAZ.find(text)
            .into_iter()
            .map(|m| {
                let e = GAZ.entry(m.entry);
                (
                    text[m.start..m.end].to_string(),
                    e.canonical.clone(),
                    e.kind,
                    e.country.clone(),
                    m.how,
                )
            })
            .collect()
    }

    fn has(
        v: &[(String, String, EntryKind, Option<String>, MatchForm)],
        span: &str,
        kind: EntryKind,
        country: Option<&str>,
    ) -> bool {
        v.iter()
            .any(|(s, _, k, c, _)| s == span && *k == kind && c.as_deref() == country)
    }

    #[test]
    fn builtin_is_send_sync_and_nonempty() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Gazetteer>();
        assert!(GAZ.len() > 10_000, "{:?}", *GAZ);
    }

    #[test]
    fn seed_sentence() {
        let text = "Turkish National Intelligence Organization (MİT) Director İbrahim Kalın met \
                    on Monday with Qatar’s Prime Minister Sheikh Mohammed bin Abdulrahman Al \
                    Thani in Cairo.";
        let v = found(text);
        let turkish = v.iter().find(|x| x.0 == "Turkish").expect("Turkish");
        assert_eq!(
            (turkish.3.as_deref(), turkish.4),
            (Some("TUR"), MatchForm::Demonym)
        );
        assert!(has(&v, "Qatar", EntryKind::Country, Some("QAT")), "{v:#?}");
        let pm = v
            .iter()
            .find(|x| x.0 == "Prime Minister")
            .expect("Prime Minister");
        assert_eq!(pm.2, EntryKind::Agent);
        let pm_entry = GAZ
            .lookup("Prime Minister")
            .map(|(id, _)| GAZ.entry(id).clone());
        assert!(pm_entry.is_some_and(|e| e.is_person_title && e.sector.as_deref() == Some("GOV")));
        let cairo = v.iter().find(|x| x.0 == "Cairo").expect("Cairo");
        assert_eq!(
            (cairo.2, cairo.3.as_deref()),
            (EntryKind::Place, Some("EGY"))
        );
        assert!(
            has(&v, "İbrahim Kalın", EntryKind::Person, Some("TUR")),
            "{v:#?}"
        );
        assert!(has(&v, "Director", EntryKind::Agent, None), "{v:#?}");
    }

    #[test]
    fn demonym_and_agent() {
        let v = found("Israeli forces struck the area.");
        assert!(v.iter().any(|x| x.0 == "Israeli"
            && x.3.as_deref() == Some("ISR")
            && x.4 == MatchForm::Demonym));
        let forces = GAZ.find("Israeli forces struck the area.");
        let f = forces.iter().find(|m| m.start == 8).expect("forces");
        let e = GAZ.entry(f.entry);
        assert_eq!(
            (e.kind, e.sector.as_deref(), e.is_person_title),
            (EntryKind::Agent, Some("MIL"), false)
        );
    }

    #[test]
    fn us_president_trump() {
        let text = "U.S. President Donald Trump said";
        let v = found(text);
        assert!(has(&v, "U.S.", EntryKind::Country, Some("USA")), "{v:#?}");
        assert!(
            v.iter()
                .any(|x| x.0 == "President" && x.2 == EntryKind::Agent)
        );
        let trump = GAZ
            .find(text)
            .into_iter()
            .find(|m| &text[m.start..m.end] == "Donald Trump");
        let trump = trump
            .map(|m| GAZ.entry(m.entry).clone())
            .expect("Donald Trump");
        assert_eq!(trump.kind, EntryKind::Person);
        assert_eq!(trump.country.as_deref(), Some("USA"));
        assert_eq!(trump.title.as_deref(), Some("President"));
        assert_eq!(trump.valid_from, NaiveDate::from_ymd_opt(2025, 1, 20));
    }

    #[test]
    fn hyphenated_pair_and_lowercase_us() {
        let v = found("US-Venezuela talks");
        assert!(has(&v, "US", EntryKind::Country, Some("USA")), "{v:#?}");
        assert!(
            has(&v, "Venezuela", EntryKind::Country, Some("VEN")),
            "{v:#?}"
        );
        assert!(found("Please join us today.").iter().all(|x| x.0 != "us"));
        assert!(
            found("the turkey was roasted")
                .iter()
                .all(|x| x.0 != "turkey")
        );
    }

    #[test]
    fn no_match_inside_words() {
        let v = found("Omanis and Romania; Iranian and Irania");
        assert!(v.iter().all(|x| x.0 != "Oman" && x.0 != "Iran"), "{v:#?}");
        assert!(v.iter().any(|x| x.0 == "Romania"));
        assert!(
            v.iter()
                .any(|x| x.0 == "Iranian" && x.4 == MatchForm::Demonym)
        );
    }

    #[test]
    fn caps_and_diacritics() {
        let v = found("TURKEY AND ERDOGAN: Erdoğan spoke");
        assert!(has(&v, "TURKEY", EntryKind::Country, Some("TUR")), "{v:#?}");
        assert!(has(&v, "Erdoğan", EntryKind::Person, Some("TUR")), "{v:#?}");
        // Offsets point into the original text, past multi-byte characters.
        let text = "Kalın and Türkiye";
        let ms = GAZ.find(text);
        let spans: Vec<&str> = ms.iter().map(|m| &text[m.start..m.end]).collect();
        assert_eq!(spans, ["Kalın", "Türkiye"]);
        // "IS" the acronym, but not the verb in a capital headline.
        assert!(has(
            &found("fighters loyal to IS attacked"),
            "IS",
            EntryKind::Group,
            None
        ));
        assert!(found("WHAT IS NEXT").iter().all(|x| x.0 != "IS"));
    }

    #[test]
    fn names_across_line_breaks() {
        let text = "the World Trade\n  Organization and the\tUN Security  Council";
        let ms = GAZ.find(text);
        let spans: Vec<&str> = ms.iter().map(|m| &text[m.start..m.end]).collect();
        assert_eq!(
            spans,
            ["World Trade\n  Organization", "UN Security  Council"]
        );
    }

    #[test]
    fn lookup_and_resolution() {
        let (id, how) = GAZ.lookup("Qatar").expect("Qatar");
        assert_eq!(
            (GAZ.entry(id).country.as_deref(), how),
            (Some("QAT"), MatchForm::Name)
        );
        assert!(GAZ.lookup("qatar").is_none());
        assert!(GAZ.lookup("us").is_none());
        assert_eq!(GAZ.lookup("Qatar’s").map(|x| x.0), Some(id));
        let text = "Netanyahu said";
        let m = GAZ.find(text)[0];
        let d1998 = NaiveDate::from_ymd_opt(1998, 6, 1).expect("date");
        let e = GAZ.entry(GAZ.resolve_at(text, &m, d1998));
        assert!(e.valid_at(d1998), "{e:?}");
    }

    #[test]
    fn extra_dictionaries() {
        let people = "# my people\nname\taliases\tcountry\trole\tvalid_from\tvalid_to\n\
                      Jane Example\tJ. Example\tFRA\tMayor\t2020-01-01\t\n";
        let orgs = "name\taliases\tkind\tcountry\tsector\nAcme Relief\tACR\torganization\t\tNGO\n";
        let g = Gazetteer::builtin_with(&[
            ("people.tsv".to_string(), people.to_string()),
            ("orgs.tsv".to_string(), orgs.to_string()),
        ])
        .expect("extra dictionaries");
        let text = "Jane Example of ACR visited Paris";
        let ms = g.find(text);
        let kinds: Vec<(&str, EntryKind)> = ms
            .iter()
            .map(|m| (&text[m.start..m.end], g.entry(m.entry).kind))
            .collect();
        assert!(
            kinds.contains(&("Jane Example", EntryKind::Person)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("ACR", EntryKind::Organization)),
            "{kinds:?}"
        );
        let bad = "name\trole\tvalid_from\nX Y\tMayor\t2020-13-01\n";
        let err = Gazetteer::builtin_with(&[("mine.tsv".into(), bad.into())]).unwrap_err();
        assert!(err.to_string().starts_with("mine.tsv:2:"), "{err}");
        let no_kind = "name\taliases\nSomething\t\n";
        let err = Gazetteer::builtin_with(&[("k.tsv".into(), no_kind.into())]).unwrap_err();
        assert!(err.to_string().contains("k.tsv:2"), "{err}");
        let bad_col = "name\tcolour\n";
        assert!(Gazetteer::builtin_with(&[("c.tsv".into(), bad_col.into())]).is_err());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for t in [
            "",
            "’",
            "İ",
            "ß",
            "ﬁ U.S.",
            "\u{301}US",
            "US\u{301}",
            "Ǆ Qatar ǅ",
        ] {
            for m in GAZ.find(t) {
                assert!(
                    t.is_char_boundary(m.start) && t.is_char_boundary(m.end),
                    "{t:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn offsets_are_valid_spans(s in "(Qatar|US|us|Erdoğan|İbrahim Kalın|ß|İ|ﬁ| |\n|’s|-|\\PC){0,24}") {
            let ms = GAZ.find(&s);
            let mut last = 0;
            for m in ms {
                proptest::prop_assert!(m.start < m.end && m.start >= last, "{s:?}");
                proptest::prop_assert!(s.is_char_boundary(m.start) && s.is_char_boundary(m.end));
                last = m.end;
            }
        }
    }

    /// Prints the matches in `$GAZ_TEXT`: `GAZ_TEXT="..." cargo test --lib gazetteer::tests::dump
    /// -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn dump() {
        let text = std::env::var("GAZ_TEXT").unwrap_or_default();
        for m in GAZ.find(&text) {
            let e = GAZ.entry(m.entry);
            eprintln!("{:?} {:?} -> {:?}", &text[m.start..m.end], m.how, e);
        }
    }

    /// Throughput on the newswire corpus: `cargo test --release --lib gazetteer -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn bench_find_newswire() {
        use std::time::Instant;
        let Some(articles) = crate::test_corpus::articles() else {
            return;
        };
        let texts: Vec<String> = articles.into_iter().map(|a| a.text).collect();
        let t0 = Instant::now();
        let g = Gazetteer::builtin().expect("builtin");
        let build = t0.elapsed();
        let bytes: usize = texts.iter().map(String::len).sum();
        let t1 = Instant::now();
        let mut n = 0;
        let mut by_kind: HashMap<(String, EntryKind), usize> = HashMap::new();
        for t in &texts {
            let ms = g.find(t);
            n += ms.len();
            if std::env::var_os("GAZ_TOP").is_some() {
                for m in ms {
                    let key = (t[m.start..m.end].to_string(), g.entry(m.entry).kind);
                    *by_kind.entry(key).or_default() += 1;
                }
            }
        }
        let secs = t1.elapsed().as_secs_f64();
        let mut top: Vec<_> = by_kind.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.0.cmp(&b.0.0)));
        for ((s, k), c) in top.iter().take(600) {
            eprintln!("{c:6} {k:?} {s}");
        }
        eprintln!(
            "gazetteer: build {build:?}, {} entries; find: {} docs, {:.1} MB, {n} matches, \
             {secs:.2}s, {:.1} MB/s",
            g.len(),
            texts.len(),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        );
    }
}
