//! Actor resolution: from tagger spans and gazetteer matches to actors with a kind, a canonical
//! name, a country and a title, and the same canonical actor for every mention in the article.
//!
//! News names an actor as a phrase: `Turkish National Intelligence Organization (MİT) Director
//! İbrahim Kalın`, `Qatar’s Prime Minister and Foreign Minister`, `Israeli forces`,
//! `U.S. President Donald Trump`. We first find atoms (names from the tagger, entries from the
//! gazetteer, title and group words), then join adjacent atoms into phrases whose last atom is
//! the head: the head says who the actor is, the atoms before it say where they belong.

use std::collections::HashMap;
use std::ops::Range;

use crate::extract::hash::FxBuild;

/// Maps keyed by short names, probed for every mention: FxHash rather than SipHash (the keys
/// come from our own matching; only lookups are made, never iteration, so order is moot).
type NameMap<V> = HashMap<String, V, FxBuild>;

use super::gazetteer::{EntryKind, GazMatch, Gazetteer, MatchForm};
use super::ner::{EntitySpan, NO_WORD, NerLabel, NerTagger};
use crate::extract::text::segment::Segmented;
use crate::extract::text::tokens::Token;

pub use crate::record::ActorKind;

/// A canonical actor of one article.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub name: String,
    pub kind: ActorKind,
    pub country: Option<String>,
    pub title: Option<String>,
    pub sector: Option<String>,
}

/// One mention of an actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Byte range of the whole phrase in the cleaned text.
    pub start: usize,
    pub end: usize,
    /// Token range (indices into [`Segmented::tokens`]).
    pub tok_start: usize,
    pub tok_end: usize,
    /// Sentence index.
    pub sentence: usize,
    /// Index into the article's actors.
    pub actor: usize,
    /// An adjective standing for a country ("Israeli violations"): weaker as a participant.
    pub adjectival: bool,
    /// Follows "in/at/near/from": a place where something happened.
    pub locative: bool,
    /// Only part of a word ("US" in "US-backed"): a modifier, never a participant.
    pub partial: bool,
}

/// The actors of one text and their mentions, in text order.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub actors: Vec<Actor>,
    pub mentions: Vec<Mention>,
    /// Per token of the text: its id in the tagger's vocabulary ([`NerTagger::tag_with_ids`]),
    /// [`NO_WORD`] for other words and for tokens of sentences left out. The events stage
    /// reads per-word facts through it instead of hashing each token again.
    pub word_ids: Vec<u32>,
}

/// What an atom is.
#[derive(Debug, Clone, PartialEq)]
enum AtomKind {
    Person {
        gaz_country: Option<String>,
        gaz_title: Option<String>,
        canonical: Option<String>,
    },
    Org {
        country: Option<String>,
        canonical: Option<String>,
        sector: Option<String>,
        group: bool,
    },
    Country {
        code: String,
        name: String,
        demonym: bool,
    },
    Place {
        country: Option<String>,
        canonical: String,
    },
    Title {
        title: String,
    },
    Agent {
        sector: String,
        noun: String,
    },
    Misc,
}

#[derive(Debug, Clone)]
struct Atom {
    tok_start: usize,
    tok_end: usize,
    kind: AtomKind,
    /// Matched only part of a token ("US" in "US-backed"): a modifier, not a participant.
    partial: bool,
}

/// Words that link atoms inside one actor phrase.
fn is_connector(w: &str) -> bool {
    matches!(
        w,
        "’s" | "'s" | "(" | ")" | "of" | "the" | "and" | "-" | "," | "'" | "’"
    )
}

/// Words after which a place names where something happened.
fn is_locative(w: &str) -> bool {
    // Every locative word is short: longer words need no lower-cased copy to be told apart.
    let mut buf = [0u8; 10];
    let Some(lower) = buf.get_mut(..w.len()) else {
        return false;
    };
    lower.copy_from_slice(w.as_bytes());
    lower.make_ascii_lowercase();
    matches!(
        &*lower,
        b"in"
            | b"at"
            | b"near"
            | b"from"
            | b"into"
            | b"inside"
            | b"outside"
            | b"across"
            | b"to"
            | b"toward"
            | b"towards"
            | b"around"
            | b"throughout"
    )
}

/// Resolves the actors of a segmented text.
///
/// Sentence by sentence (boilerplate left out), three phases: find the sentence's atoms
/// (`gazetteer_atoms`, then `add_tagger_atoms`), join adjacent atoms into phrases
/// (`join_phrases`), and name the actor of each phrase and link it to the article's
/// canonical actor (`Linker::link`), which makes one mention per phrase. The tagger also
/// gives each token's word id ([`Resolved::word_ids`]).
pub fn resolve(
    text: &str,
    seg: &Segmented,
    ner: &NerTagger,
    gaz: &Gazetteer,
    day: Option<chrono::NaiveDate>,
) -> Resolved {
    let mut out = Resolved {
        word_ids: vec![NO_WORD; seg.tokens.len()],
        ..Resolved::default()
    };
    let mut ids: Vec<u32> = Vec::with_capacity(64);
    let mut words: Vec<&str> = Vec::with_capacity(64);
    let mut linker = Linker::default();
    let gaz_matches = gaz.find(text);
    let mut next_match = 0usize;
    for (si, sentence) in seg.sentences.iter().enumerate() {
        if seg.is_all_excluded(sentence.range.start, sentence.range.end) {
            continue;
        }
        let toks = &seg.tokens[sentence.tokens.clone()];
        words.clear();
        words.extend(toks.iter().map(|t| t.text(text)));
        let s = SentenceWords {
            text,
            toks,
            words: &words,
            range: sentence.range.clone(),
            base: sentence.tokens.start,
            index: si,
        };
        let mut atoms = gazetteer_atoms(&s, seg, gaz, &gaz_matches, &mut next_match, day);
        let spans = ner.tag_with_ids(&words, &mut ids);
        if let Some(slot) = out.word_ids.get_mut(s.base..s.base + ids.len()) {
            slot.copy_from_slice(&ids);
        }
        add_tagger_atoms(&mut atoms, &spans, &s);
        for phrase in join_phrases(&atoms, &words) {
            if let Some(mention) = linker.link(&atoms[phrase], &s, &mut out.actors) {
                out.mentions.push(mention);
            }
        }
    }
    out
}

/// One sentence as the phases of [`resolve`] read it.
struct SentenceWords<'a> {
    /// The whole text (token offsets are into it).
    text: &'a str,
    /// The sentence's tokens; atoms' token indices are relative to this slice.
    toks: &'a [Token],
    /// The tokens' text, one per token.
    words: &'a [&'a str],
    /// Byte range of the sentence in the text.
    range: Range<usize>,
    /// Index of the sentence's first token in [`Segmented::tokens`].
    base: usize,
    /// Index of the sentence in [`Segmented::sentences`].
    index: usize,
}

/// Phase 1a of [`resolve`]: the gazetteer's atoms of one sentence.
///
/// Takes the article's gazetteer matches (`matches`, in text order, from [`Gazetteer::find`])
/// with a cursor into them (`next`) that only moves forward, sentence after sentence, so that
/// the matches are walked once per article. Gives, in match order, an atom for each match that
/// lies in the sentence outside boilerplate, aligned to the sentence's tokens and of the kind
/// its entry says: for a name several entries share (office holders over time), the entry in
/// office on `day`. An entry not valid on `day` is dropped unless it is a person, who is still
/// the person, only without the title. A match that covers part of a token ("US" in
/// "US-backed"), or a whole compound ending in a lower-case part, is marked `partial`.
fn gazetteer_atoms(
    s: &SentenceWords,
    seg: &Segmented,
    gaz: &Gazetteer,
    matches: &[GazMatch],
    next: &mut usize,
    day: Option<chrono::NaiveDate>,
) -> Vec<Atom> {
    let (text, toks) = (s.text, s.toks);
    let mut atoms: Vec<Atom> = Vec::new();
    while *next < matches.len() && matches[*next].end <= s.range.start {
        *next += 1;
    }
    let mut k = *next;
    while k < matches.len() && matches[k].start < s.range.end {
        let m = &matches[k];
        k += 1;
        if seg.is_excluded(m.start, m.end) {
            continue;
        }
        // "US$14 billion", "HK$", "A$": a currency, not the state.
        if text[m.end..].starts_with('$') {
            continue;
        }
        let Some((ts, te)) = token_range(toks, m.start, m.end) else {
            continue;
        };
        // "US" in "US-backed", or the whole of "US-backed" when the gazetteer takes the
        // compound: a modifier either way.
        let last = toks[te - 1].text(text);
        let compound = last
            .rsplit_once('-')
            .is_some_and(|(_, tail)| tail.chars().next().is_some_and(char::is_lowercase));
        let partial = toks[ts].start < m.start || toks[te - 1].end > m.end || compound;
        // Several entries may share a name (office holders over time): take the one in
        // office on the publication day.
        let id = match day {
            Some(d) => gaz.resolve_at(text, m, d),
            None => m.entry,
        };
        let entry = gaz.entry(id);
        let valid = valid_on(entry.valid_from, entry.valid_to, day);
        if !valid && entry.kind != EntryKind::Person {
            continue;
        }
        let kind = match entry.kind {
            EntryKind::Country => AtomKind::Country {
                code: entry.country.clone().unwrap_or_default(),
                name: entry.canonical.clone(),
                demonym: m.how == MatchForm::Demonym,
            },
            EntryKind::Place => AtomKind::Place {
                country: entry.country.clone(),
                canonical: entry.canonical.clone(),
            },
            EntryKind::Organization | EntryKind::Group => AtomKind::Org {
                country: entry.country.clone(),
                canonical: Some(entry.canonical.clone()),
                sector: entry.sector.as_deref().map(|s| sector_name(s).to_string()),
                group: entry.kind == EntryKind::Group,
            },
            EntryKind::Person => AtomKind::Person {
                gaz_country: entry.country.clone(),
                // An office held at another time is no title today.
                gaz_title: if valid { entry.title.clone() } else { None },
                canonical: Some(entry.canonical.clone()),
            },
            EntryKind::Agent => {
                if entry.is_person_title {
                    AtomKind::Title {
                        title: title_case(&text[m.start..m.end]),
                    }
                } else {
                    AtomKind::Agent {
                        sector: entry
                            .sector
                            .as_deref()
                            .map(sector_name)
                            .unwrap_or("other")
                            .to_string(),
                        noun: text[m.start..m.end].to_lowercase(),
                    }
                }
            }
        };
        atoms.push(Atom {
            tok_start: ts,
            tok_end: te,
            kind,
            partial,
        });
    }
    atoms
}

/// Phase 1b of [`resolve`]: the tagger's spans added to the gazetteer's atoms of a sentence.
///
/// Takes the sentence's gazetteer atoms and its tagger spans (sentence-relative tokens, from
/// [`NerTagger::tag_with_ids`]). The tagger brings names the gazetteer does not know and the
/// full span of names it knows only in part: a span is trimmed of determiners and possessives
/// ([`trim_span`]) and then skipped where a gazetteer atom covers all of it (the gazetteer
/// knows the country); a person span keeps the titles it swallowed ("President Donald
/// Trump") and is skipped over a known person; an organization takes the country of a country
/// atom inside it ("Turkish National Intelligence Organization"); a place or other name only
/// goes where there is no atom. A span taken replaces the atoms it overlaps. Leaves the atoms
/// sorted by position, overlaps dropped (the first kept): what [`join_phrases`] reads.
fn add_tagger_atoms(atoms: &mut Vec<Atom>, spans: &[EntitySpan], sentence: &SentenceWords) {
    let (text, toks, words) = (sentence.text, sentence.toks, sentence.words);
    for span in spans {
        let (s, e) = trim_span(words, span.start, span.end);
        if s >= e {
            continue;
        }
        let covered: Vec<usize> = atoms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.tok_start < e && s < a.tok_end)
            .map(|(i, _)| i)
            .collect();
        // A gazetteer entry covering the whole span wins (it knows the country).
        if covered
            .iter()
            .any(|&i| atoms[i].tok_start <= s && atoms[i].tok_end >= e)
        {
            continue;
        }
        let kind = match span.label {
            NerLabel::Per => {
                // Titles the tagger swallowed ("President Donald Trump") stay titles.
                if covered
                    .iter()
                    .any(|&i| matches!(atoms[i].kind, AtomKind::Person { .. }))
                {
                    continue;
                }
                let first_name = covered
                    .iter()
                    .filter(|&&i| matches!(atoms[i].kind, AtomKind::Title { .. }))
                    .map(|&i| atoms[i].tok_end)
                    .max()
                    .unwrap_or(s);
                if first_name >= e {
                    continue;
                }
                atoms.retain(|a| !(a.tok_start < e && first_name < a.tok_end));
                atoms.push(Atom {
                    tok_start: first_name,
                    tok_end: e,
                    kind: AtomKind::Person {
                        gaz_country: None,
                        gaz_title: None,
                        canonical: None,
                    },
                    partial: false,
                });
                continue;
            }
            NerLabel::Org => {
                // The country of "Turkish National Intelligence Organization".
                let country = covered.iter().find_map(|&i| match &atoms[i].kind {
                    AtomKind::Country { code, .. } => Some(code.clone()),
                    _ => None,
                });
                AtomKind::Org {
                    country,
                    canonical: None,
                    sector: None,
                    group: false,
                }
            }
            NerLabel::Loc => {
                if !covered.is_empty() {
                    continue;
                }
                AtomKind::Place {
                    country: None,
                    canonical: join_words(text, toks, s, e),
                }
            }
            NerLabel::Misc => {
                if !covered.is_empty() {
                    continue;
                }
                AtomKind::Misc
            }
        };
        atoms.retain(|a| !(a.tok_start < e && s < a.tok_end));
        atoms.push(Atom {
            tok_start: s,
            tok_end: e,
            kind,
            partial: false,
        });
    }
    atoms.sort_by_key(|a| (a.tok_start, a.tok_end));
    atoms.dedup_by(|b, a| b.tok_start < a.tok_end); // drop overlaps, keep the first
}

/// Phase 2 of [`resolve`]: the sentence's atoms joined into phrases.
///
/// Takes the atoms of a sentence, sorted and without overlaps ([`add_tagger_atoms`]), and the
/// sentence's words. Gives the phrases as ranges of `atoms`, in order, every atom in exactly
/// one: an atom joins the one before it when at most two connector words stand between them
/// ([`is_connector`]: "Qatar’s Prime Minister", "Prime Minister and Foreign Minister") and the
/// pair may form one actor ([`joinable`]). The last atom of a phrase is its head. News names
/// an actor as a phrase, so the phrase, not each atom, is what names an actor: "Qatar’s Prime
/// Minister" is one person, not a country and a title.
fn join_phrases(atoms: &[Atom], words: &[&str]) -> Vec<Range<usize>> {
    let mut phrases = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        let mut j = i;
        while j + 1 < atoms.len()
            && atoms[j + 1].tok_start >= atoms[j].tok_end
            && (atoms[j].tok_end..atoms[j + 1].tok_start).all(|t| is_connector(words[t]))
            && atoms[j + 1].tok_start - atoms[j].tok_end <= 2
            && joinable(&atoms[j], &atoms[j + 1], words)
        {
            j += 1;
        }
        phrases.push(i..j + 1);
        i = j + 1;
    }
    phrases
}

/// Phase 3 of [`resolve`]: the article's canonical actors, and how a phrase finds its own.
#[derive(Debug, Default)]
struct Linker {
    /// Actor key ([`actor_key`], [`person_key`]) -> index into the article's actors, and the
    /// acronyms of organizations ("CMCC") -> the organization's index.
    index: NameMap<usize>,
    /// Folded surname -> key of the person it last completed, for "Kalın" after "İbrahim Kalın".
    surnames: NameMap<String>,
}

impl Linker {
    /// Phase 3 of [`resolve`]: names the actor of one phrase and links it to the article's
    /// canonical actor.
    ///
    /// Takes a phrase of atoms ([`join_phrases`]) of sentence `s`, and the article's actors
    /// so far. The phrase's actor ([`phrase_actor`]) is looked up by key: a person by folded
    /// name, or by surname after a full name ([`person_key`]); anything else by kind and
    /// lower-cased name. A known actor gains what the phrase adds ([`merge_into`]); a new one
    /// is appended to `actors` (and a named person of two words or more is remembered by
    /// surname; an unnamed office holder, "Prime Minister of Israel", is not).
    /// An organization followed by its acronym ("Civil-Military Coordination Center (CMCC)")
    /// makes a later "CMCC" the same actor. Gives the phrase's mention (global token indices,
    /// byte range, whether it follows a locative preposition), or `None` when the phrase
    /// names no actor (a lone title, a miscellaneous name). Keys rather than names meet, so
    /// that every mention of one actor in the article, however written, is the same actor.
    fn link(
        &mut self,
        phrase: &[Atom],
        s: &SentenceWords,
        actors: &mut Vec<Actor>,
    ) -> Option<Mention> {
        let (text, toks, words) = (s.text, s.toks, s.words);
        let (actor, adjectival) = phrase_actor(phrase, text, toks)?;
        let partial = phrase.last().is_some_and(|a| a.partial);
        // An unnamed office holder ("Prime Minister of Israel") has no surname: the last word
        // of its name says whose office it is. It is found by its whole name only, and no
        // shorter name ("President of Israel", another person) is found through it.
        let named = phrase
            .last()
            .is_some_and(|a| matches!(a.kind, AtomKind::Person { .. }));
        let key = match actor.kind {
            ActorKind::Person if named => person_key(&actor.name, &self.index, &self.surnames),
            ActorKind::Person => actor_key("person", &fold(&actor.name)),
            _ => actor_key(actor.kind.as_str(), &actor.name.to_lowercase()),
        };
        let id = match self.index.get(&key) {
            Some(&id) => {
                merge_into(&mut actors[id], &actor);
                id
            }
            None => {
                let words: Vec<&str> = actor.name.split_whitespace().collect();
                if named
                    && words.len() >= 2
                    && let Some(last) = words.last()
                {
                    self.surnames.insert(fold(last), key.clone());
                }
                actors.push(actor);
                let id = actors.len() - 1;
                self.index.insert(key, id);
                id
            }
        };
        // "Civil-Military Coordination Center (CMCC)": a later "CMCC" is the same actor.
        if phrase.len() >= 2
            && let (Some(a), Some(b)) = (phrase.get(phrase.len() - 2), phrase.last())
            && matches!(a.kind, AtomKind::Org { .. })
            && matches!(b.kind, AtomKind::Org { .. })
        {
            let acronym = join_words(text, toks, b.tok_start, b.tok_end);
            self.index
                .entry(actor_key("organization", &acronym.to_lowercase()))
                .or_insert(id);
        }
        let ts = phrase[0].tok_start;
        let te = phrase[phrase.len() - 1].tok_end;
        let locative = ts > 0 && is_locative(words[ts - 1])
            || (ts > 1 && words[ts - 1] == "the" && is_locative(words[ts - 2]));
        Some(Mention {
            start: toks[ts].start,
            end: toks[te - 1].end,
            tok_start: s.base + ts,
            tok_end: s.base + te,
            sentence: s.index,
            actor: id,
            adjectival,
            locative,
            partial,
        })
    }
}

/// Readable names for CAMEO sector codes, as written in records (`"sector": "military"`).
pub fn sector_name(code: &str) -> &str {
    match code {
        "MIL" => "military",
        "GOV" => "government",
        "COP" => "police",
        "SPY" => "intelligence",
        "JUD" => "judiciary",
        "LEG" => "legislature",
        "REB" => "rebels",
        "INS" => "insurgents",
        "UAF" => "armed group",
        "OPP" => "opposition",
        "PTY" => "party",
        "IGO" => "intergovernmental",
        "NGO" => "non-governmental",
        "BUS" => "business",
        "MED" => "media",
        "CVL" => "civilians",
        "ELI" => "elite",
        "EDU" => "education",
        "REL" => "religious",
        "HLH" => "health",
        "LAB" => "labor",
        "REF" => "refugees",
        "CRM" => "criminal",
        "AGR" => "agriculture",
        "ENV" => "environment",
        "HRI" => "human rights",
        "DIP" => "diplomatic",
        other => other,
    }
}

fn valid_on(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    day: Option<chrono::NaiveDate>,
) -> bool {
    let Some(day) = day else { return true };
    from.is_none_or(|f| f <= day) && to.is_none_or(|t| day <= t)
}

/// Token range `[ts, te)` (sentence-relative) exactly covering bytes `[start, end)`.
fn token_range(
    toks: &[crate::extract::text::tokens::Token],
    start: usize,
    end: usize,
) -> Option<(usize, usize)> {
    let ts = toks.partition_point(|t| t.end <= start);
    let te = toks.partition_point(|t| t.start < end);
    (ts < te).then_some((ts, te))
}

/// Drops leading determiners and trailing possessives from a tagger span.
fn trim_span(words: &[&str], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(words[s], "the" | "The" | "a" | "an" | "“" | "\"" | "(") {
        s += 1;
    }
    while e > s
        && matches!(
            words[e - 1],
            "’s" | "'s" | "’" | "'" | "”" | "\"" | ")" | "," | "."
        )
    {
        e -= 1;
    }
    (s, e)
}

fn join_words(
    text: &str,
    toks: &[crate::extract::text::tokens::Token],
    s: usize,
    e: usize,
) -> String {
    text[toks[s].start..toks[e - 1].end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn title_case(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// May `b` continue the phrase that `a` is in?
fn joinable(a: &Atom, b: &Atom, words: &[&str]) -> bool {
    let between: Vec<&str> = (a.tok_end..b.tok_start).map(|t| words[t]).collect();
    let has_and = between.contains(&"and");
    let has_comma = between.contains(&",");
    use AtomKind::*;
    match (&a.kind, &b.kind) {
        // "Prime Minister and Foreign Minister": one person with two titles.
        (Title { .. }, Title { .. }) => !has_comma,
        _ if has_and || has_comma => false,
        // "(MİT)" after the organization.
        (Org { .. }, Org { .. }) => between.first() == Some(&"("),
        (
            Country { .. } | Org { .. } | Place { .. },
            Title { .. } | Person { .. } | Agent { .. } | Org { .. },
        ) => true,
        (Title { .. }, Person { .. }) => true,
        (Country { .. }, Country { .. }) => false,
        (Title { .. }, Org { .. } | Country { .. }) => between.contains(&"of"),
        _ => false,
    }
}

/// The actor a phrase names, and whether it is only an adjective for a country.
fn phrase_actor(
    phrase: &[Atom],
    text: &str,
    toks: &[crate::extract::text::tokens::Token],
) -> Option<(Actor, bool)> {
    let mut country: Option<String> = None;
    let mut country_name: Option<String> = None;
    let mut titles: Vec<String> = Vec::new();
    let mut org: Option<String> = None;
    for a in phrase {
        match &a.kind {
            AtomKind::Country { code, name, .. } => {
                country.get_or_insert_with(|| code.clone());
                country_name.get_or_insert_with(|| name.clone());
            }
            AtomKind::Org {
                country: c,
                canonical,
                ..
            } => {
                if let Some(c) = c {
                    country.get_or_insert_with(|| c.clone());
                }
                org.get_or_insert_with(|| {
                    canonical
                        .clone()
                        .unwrap_or_else(|| join_words(text, toks, a.tok_start, a.tok_end))
                });
            }
            AtomKind::Place {
                country: Some(c), ..
            } => {
                country.get_or_insert_with(|| c.clone());
            }
            AtomKind::Title { title } => titles.push(title.clone()),
            _ => {}
        }
    }
    // The head: the last atom, except a trailing "(ACRONYM)" org after an org.
    let mut head = phrase.last()?;
    if phrase.len() >= 2
        && matches!(head.kind, AtomKind::Org { .. })
        && matches!(phrase[phrase.len() - 2].kind, AtomKind::Org { .. })
    {
        head = &phrase[phrase.len() - 2];
    }
    let title = (!titles.is_empty()).then(|| titles.join(" and "));
    let actor = match &head.kind {
        AtomKind::Person {
            gaz_country,
            gaz_title,
            canonical,
        } => Actor {
            name: {
                // Keep the article's spelling ("İbrahim Kalın") when the entry is the same name
                // without diacritics ("Ibrahim Kalin").
                let written = join_words(text, toks, head.tok_start, head.tok_end);
                match canonical {
                    Some(c) if fold(c) != fold(&written) => c.clone(),
                    _ => written,
                }
            },
            kind: ActorKind::Person,
            country: gaz_country.clone().or(country),
            title: title.or_else(|| gaz_title.clone()),
            sector: None,
        },
        AtomKind::Title { .. } => {
            // An unnamed office holder: only an actor when we know whose office it is.
            let owner = org.clone().or(country_name.clone())?;
            let title = title?;
            Actor {
                name: format!("{title} of {owner}"),
                kind: ActorKind::Person,
                country,
                title: Some(title),
                sector: Some("government".into()),
            }
        }
        AtomKind::Agent { sector, .. } => {
            // "Israeli forces" stands for Israel, military.
            let name = country_name.clone().or(org.clone())?;
            Actor {
                name,
                kind: if country_name.is_some() {
                    ActorKind::Country
                } else {
                    ActorKind::Organization
                },
                country,
                title: None,
                sector: Some(sector.clone()),
            }
        }
        AtomKind::Org {
            canonical,
            sector,
            group,
            ..
        } => Actor {
            name: canonical
                .clone()
                .unwrap_or_else(|| join_words(text, toks, head.tok_start, head.tok_end)),
            kind: if *group {
                ActorKind::Group
            } else {
                ActorKind::Organization
            },
            country,
            title: None,
            sector: sector.clone(),
        },
        AtomKind::Country {
            code,
            name,
            demonym,
        } => {
            return Some((
                Actor {
                    name: name.clone(),
                    kind: ActorKind::Country,
                    country: Some(code.clone()),
                    title: None,
                    sector: None,
                },
                *demonym && phrase.len() == 1,
            ));
        }
        AtomKind::Place {
            canonical,
            country: c,
        } => Actor {
            name: canonical.clone(),
            kind: ActorKind::Location,
            country: c.clone().or(country),
            title: None,
            sector: None,
        },
        AtomKind::Misc => return None,
    };
    Some((actor, false))
}

/// Reads a headline's actors with what the body knows of them. A headline names people and
/// bodies by their short names ("Bush, al-Maliki to meet Thursday"), and resolved alone it
/// cannot tell their state or full name; the body usually introduces them in full ("U.S.
/// President George W. Bush", "Iraqi Prime Minister Nuri al-Maliki"). Each headline actor that
/// is the short form of exactly one body actor (`full_forms`) takes that actor's name, state,
/// title and sector.
pub fn read_with_body(headline: &mut Resolved, body: &[Actor]) {
    for (short, full) in full_forms(&headline.actors, body) {
        take_full_form(&mut headline.actors[short], &body[full]);
    }
}

/// The body read with itself the same way as a headline ([`read_with_body`]): a short form
/// its resolution left apart ("al-Maliki" after "Nuri al-Maliki") joins its full name. The
/// pairs are found on the actors as resolved, before any of them changes.
pub fn link_short_forms(resolved: &mut Resolved) {
    for (short, full) in full_forms(&resolved.actors, &resolved.actors) {
        let full = resolved.actors[full].clone();
        take_full_form(&mut resolved.actors[short], &full);
    }
}

/// `(short, full)` index pairs: an actor of `shorts` with no state, of a kind the gazetteer
/// does not already pin down (a person, organization or group), whose words end the words of
/// exactly one longer-named actor of the same kind in `fulls`.
fn full_forms(shorts: &[Actor], fulls: &[Actor]) -> Vec<(usize, usize)> {
    let pinned = |a: &Actor| matches!(a.kind, ActorKind::Country | ActorKind::Location);
    let unknown = |a: &Actor| a.country.is_none() && !pinned(a);
    // Most articles have nothing to do here, and return at once.
    if !shorts.iter().any(unknown) {
        return Vec::new();
    }
    let words = |name: &str| -> Vec<String> {
        fold(name)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // Countries and places can never be a full form (no short form is of their kind).
    let full_words: Vec<Option<Vec<String>>> = fulls
        .iter()
        .map(|a| (!pinned(a)).then(|| words(&a.name)))
        .collect();
    let mut pairs = Vec::new();
    for (i, actor) in shorts.iter().enumerate() {
        if !unknown(actor) {
            continue;
        }
        let short = words(&actor.name);
        if short.is_empty() || short.concat().chars().count() < 3 {
            continue;
        }
        // Fuller names only: an actor spelled just like the short one ("al-Maliki" in both)
        // is the same short form, not another candidate.
        let mut found = fulls
            .iter()
            .zip(&full_words)
            .enumerate()
            .filter(|(_, (f, w))| {
                f.kind == actor.kind
                    && w.as_ref()
                        .is_some_and(|w| w.len() > short.len() && w.ends_with(&short))
            });
        if let (Some((j, _)), None) = (found.next(), found.next()) {
            pairs.push((i, j));
        }
    }
    pairs
}

/// `short` becomes `full`: its name, and its state, title and sector where `full` has them.
/// The full introduction's facts win over the short form's, unlike [`merge_into`], which
/// keeps what is there.
fn take_full_form(short: &mut Actor, full: &Actor) {
    short.name.clone_from(&full.name);
    short.country = full.country.clone().or(short.country.take());
    short.title = full.title.clone().or(short.title.take());
    short.sector = full.sector.clone().or(short.sector.take());
}

/// Lower-cased, without diacritics, hyphens read as spaces, for comparing spellings of one
/// name: "Kim Moon-soo" and "Kim Moon Soo", "Al-Shabaab" and "al Shabaab" are one name.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let hyphen_as_space = |c: char| match c {
        '-' | '\u{2010}' | '\u{2011}' => ' ',
        c => c,
    };
    if s.is_ascii() {
        // NFD leaves ASCII alone and it has no combining marks: the same result, no tables.
        return s
            .chars()
            .map(|c| hyphen_as_space(c.to_ascii_lowercase()))
            .collect();
    }
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'ı' | 'İ' => 'i',
            c => hyphen_as_space(c),
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key under which an article's mentions of one actor meet: `kind|normalized name`.
/// Built without `format!`: resolution makes one per mention.
fn actor_key(kind: &str, name: &str) -> String {
    let mut key = String::with_capacity(kind.len() + 1 + name.len());
    key.push_str(kind);
    key.push('|');
    key.push_str(name);
    key
}

/// The key of a person: a later "Kalın" joins an earlier "İbrahim Kalın".
fn person_key(name: &str, index: &NameMap<usize>, surnames: &NameMap<String>) -> String {
    let exact = actor_key("person", &fold(name));
    if index.contains_key(&exact) {
        return exact;
    }
    // A surname alone ("Kalın" after "İbrahim Kalın"): the latest full name ending with it.
    let words: Vec<&str> = name.split_whitespace().collect();
    if let Some(last) = words.last()
        && let Some(full) = surnames.get(&fold(last))
        && full.split_whitespace().count() > words.len()
    {
        return full.clone();
    }
    exact
}

/// Fills what a later mention knows and the first did not.
fn merge_into(a: &mut Actor, b: &Actor) {
    if a.country.is_none() {
        a.country.clone_from(&b.country);
    }
    if a.title.is_none() {
        a.title.clone_from(&b.title);
    }
    if a.sector.is_none() {
        a.sector.clone_from(&b.sector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(name: &str, kind: ActorKind, country: Option<&str>) -> Actor {
        Actor {
            name: name.into(),
            kind,
            country: country.map(str::to_owned),
            title: None,
            sector: None,
        }
    }

    fn resolved(actors: Vec<Actor>) -> Resolved {
        Resolved {
            actors,
            ..Resolved::default()
        }
    }

    #[test]
    fn a_headline_reads_short_names_with_the_body() {
        let mut head = resolved(vec![
            actor("Bush", ActorKind::Person, None),
            actor("al-Maliki", ActorKind::Person, None),
            actor("Iraq", ActorKind::Country, Some("IRQ")),
        ]);
        let body = resolved(vec![
            actor("George W. Bush", ActorKind::Person, Some("USA")),
            actor("Nuri al Maliki", ActorKind::Person, Some("IRQ")),
            // The body's own short form does not make the full name ambiguous.
            actor("al-Maliki", ActorKind::Person, None),
            actor("Iraq", ActorKind::Country, Some("IRQ")),
        ]);
        read_with_body(&mut head, &body.actors);
        assert_eq!(head.actors[0].name, "George W. Bush");
        assert_eq!(head.actors[0].country.as_deref(), Some("USA"));
        assert_eq!(head.actors[1].name, "Nuri al Maliki");
        assert_eq!(head.actors[1].country.as_deref(), Some("IRQ"));
    }

    #[test]
    fn an_ambiguous_or_other_kind_name_is_left_alone() {
        let mut head = resolved(vec![
            actor("Smith", ActorKind::Person, None),
            actor("Bush", ActorKind::Organization, None),
            actor("Li", ActorKind::Person, None),
        ]);
        let body = resolved(vec![
            actor("John Smith", ActorKind::Person, Some("GBR")),
            actor("Jane Smith", ActorKind::Person, Some("USA")),
            actor("George W. Bush", ActorKind::Person, Some("USA")),
            actor("Wen Li", ActorKind::Person, Some("CHN")),
        ]);
        read_with_body(&mut head, &body.actors);
        assert_eq!(head.actors[0].name, "Smith", "two body actors end in Smith");
        assert_eq!(
            head.actors[1].name, "Bush",
            "an organization is not the person"
        );
        assert_eq!(head.actors[2].name, "Li", "too short to trust");
    }

    // ---------------------------------------------------------------- the phases of `resolve`

    use super::super::ner::NerLabel;
    use crate::extract::text::segment::Segmenter;
    use chrono::NaiveDate;
    use once_cell::sync::Lazy;

    struct Tables {
        seg: Segmenter,
        ner: NerTagger,
        gaz: Gazetteer,
    }

    static TABLES: Lazy<Tables> = Lazy::new(|| Tables {
        seg: Segmenter::builtin().expect("builtin segmentation rules"),
        ner: NerTagger::builtin().expect("builtin tagger weights"),
        gaz: Gazetteer::builtin().expect("builtin gazetteer"),
    });

    fn june_2025() -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2025, 6, 3)
    }

    /// Runs `f` on the only sentence of `text`, as `resolve` reads it.
    fn in_sentence<R>(text: &str, f: impl FnOnce(&SentenceWords) -> R) -> R {
        let seg = TABLES.seg.segment(text);
        assert_eq!(seg.sentences.len(), 1, "one sentence: {text:?}");
        let sentence = &seg.sentences[0];
        let toks = &seg.tokens[sentence.tokens.clone()];
        let words: Vec<&str> = toks.iter().map(|t| t.text(text)).collect();
        f(&SentenceWords {
            text,
            toks,
            words: &words,
            range: sentence.range.clone(),
            base: sentence.tokens.start,
            index: 0,
        })
    }

    /// Phase 1a over every sentence of `text` with one cursor: per sentence, its words and its
    /// atoms as (words of the atom, kind, partial); and the cursor after each sentence.
    #[allow(clippy::type_complexity)]
    fn gazetteer_phase(
        text: &str,
        gaz: &Gazetteer,
        day: Option<NaiveDate>,
    ) -> (Vec<Vec<(String, AtomKind, bool)>>, Vec<usize>) {
        let seg = TABLES.seg.segment(text);
        let matches = gaz.find(text);
        let mut next = 0;
        let mut atoms = Vec::new();
        let mut cursors = Vec::new();
        for (si, sentence) in seg.sentences.iter().enumerate() {
            let toks = &seg.tokens[sentence.tokens.clone()];
            let words: Vec<&str> = toks.iter().map(|t| t.text(text)).collect();
            let s = SentenceWords {
                text,
                toks,
                words: &words,
                range: sentence.range.clone(),
                base: sentence.tokens.start,
                index: si,
            };
            let found = gazetteer_atoms(&s, &seg, gaz, &matches, &mut next, day);
            cursors.push(next);
            atoms.push(
                found
                    .into_iter()
                    .map(|a| (words[a.tok_start..a.tok_end].join(" "), a.kind, a.partial))
                    .collect(),
            );
        }
        (atoms, cursors)
    }

    fn atom(tok_start: usize, tok_end: usize, kind: AtomKind) -> Atom {
        Atom {
            tok_start,
            tok_end,
            kind,
            partial: false,
        }
    }

    fn country(code: &str, name: &str, demonym: bool) -> AtomKind {
        AtomKind::Country {
            code: code.into(),
            name: name.into(),
            demonym,
        }
    }

    fn title(t: &str) -> AtomKind {
        AtomKind::Title { title: t.into() }
    }

    fn named_person() -> AtomKind {
        AtomKind::Person {
            gaz_country: None,
            gaz_title: None,
            canonical: None,
        }
    }

    fn tagged_org(country: Option<&str>) -> AtomKind {
        AtomKind::Org {
            country: country.map(str::to_owned),
            canonical: None,
            sector: None,
            group: false,
        }
    }

    fn place(name: &str, country: Option<&str>) -> AtomKind {
        AtomKind::Place {
            country: country.map(str::to_owned),
            canonical: name.into(),
        }
    }

    fn span(start: usize, end: usize, label: NerLabel) -> EntitySpan {
        EntitySpan {
            start,
            end,
            label,
            score: 1.0,
        }
    }

    /// (tok_start, tok_end, kind) of each atom.
    fn shapes(atoms: &[Atom]) -> Vec<(usize, usize, AtomKind)> {
        atoms
            .iter()
            .map(|a| (a.tok_start, a.tok_end, a.kind.clone()))
            .collect()
    }

    #[test]
    fn gazetteer_atoms_are_token_aligned_and_typed() {
        let (atoms, _) = gazetteer_phase(
            "U.S. President Donald Trump met Israeli forces in Gaza.",
            &TABLES.gaz,
            june_2025(),
        );
        assert_eq!(
            atoms,
            vec![vec![
                ("U.S.".into(), country("USA", "United States", false), false),
                ("President".into(), title("President"), false),
                (
                    "Donald Trump".into(),
                    AtomKind::Person {
                        gaz_country: Some("USA".into()),
                        gaz_title: Some("President".into()),
                        canonical: Some("Donald Trump".into()),
                    },
                    false
                ),
                ("Israeli".into(), country("ISR", "Israel", true), false),
                (
                    "forces".into(),
                    AtomKind::Agent {
                        sector: "military".into(),
                        noun: "forces".into(),
                    },
                    false
                ),
                ("Gaza".into(), place("Gaza", Some("PSE")), false),
            ]]
        );
    }

    #[test]
    fn a_gazetteer_name_inside_a_compound_is_partial() {
        let (atoms, _) = gazetteer_phase(
            "US-backed fighters attacked Hamas.",
            &TABLES.gaz,
            june_2025(),
        );
        let atoms = &atoms[0];
        assert_eq!(atoms[0].0, "US-backed");
        assert_eq!(atoms[0].1, country("USA", "United States", false));
        assert!(atoms[0].2, "US in US-backed is a modifier");
        assert_eq!(atoms[1].0, "fighters");
        assert!(!atoms[1].2);
    }

    #[test]
    fn gazetteer_atoms_are_per_sentence_with_one_forward_cursor() {
        let (atoms, cursors) = gazetteer_phase(
            "Israel struck Gaza. Egypt condemned it. Nothing known here.",
            &TABLES.gaz,
            june_2025(),
        );
        let names: Vec<Vec<&str>> = atoms
            .iter()
            .map(|s| s.iter().map(|(w, _, _)| w.as_str()).collect())
            .collect();
        assert_eq!(names, vec![vec!["Israel", "Gaza"], vec!["Egypt"], vec![]]);
        // Sentence-relative tokens: "Egypt" starts the second sentence.
        assert_eq!(atoms[1][0].1, country("EGY", "Egypt", false));
        // The cursor skips the matches of the sentences before, and never moves back.
        assert_eq!(cursors, vec![0, 2, 3]);
    }

    #[test]
    fn an_office_held_at_another_time_is_no_title() {
        let person = |day| {
            let (atoms, _) = gazetteer_phase("Donald Trump spoke.", &TABLES.gaz, day);
            match &atoms[0][0].1 {
                AtomKind::Person { gaz_title, .. } => gaz_title.clone(),
                other => panic!("not a person: {other:?}"),
            }
        };
        assert_eq!(person(june_2025()).as_deref(), Some("President"));
        assert_eq!(person(NaiveDate::from_ymd_opt(2010, 1, 1)), None);
        // No publication day: every entry counts as valid.
        assert_eq!(person(None).as_deref(), Some("President"));
    }

    #[test]
    fn an_organization_out_of_its_dates_is_no_atom() {
        let dictionary = "name\tkind\tcountry\tvalid_from\tvalid_to\n\
                          Zorblat Council\torganization\tUSA\t2001-01-01\t2002-01-01\n";
        let gaz = Gazetteer::builtin_with(&[("test.tsv".into(), dictionary.into())])
            .expect("test dictionary");
        let text = "The Zorblat Council met.";
        let (atoms, _) = gazetteer_phase(text, &gaz, NaiveDate::from_ymd_opt(2001, 6, 1));
        assert_eq!(atoms[0].len(), 1);
        assert_eq!(atoms[0][0].0, "Zorblat Council");
        let (atoms, _) = gazetteer_phase(text, &gaz, june_2025());
        assert!(atoms[0].is_empty(), "{atoms:?}");
    }

    #[test]
    fn a_gazetteer_atom_covering_a_tagger_span_wins() {
        in_sentence("Israel struck Gaza.", |s| {
            let mut atoms = vec![
                atom(0, 1, country("ISR", "Israel", false)),
                atom(2, 3, place("Gaza", Some("PSE"))),
            ];
            let before = shapes(&atoms);
            add_tagger_atoms(
                &mut atoms,
                &[span(0, 1, NerLabel::Org), span(2, 3, NerLabel::Loc)],
                s,
            );
            assert_eq!(shapes(&atoms), before);
        });
    }

    #[test]
    fn a_person_span_keeps_the_titles_it_swallowed() {
        in_sentence("President Joe Smith spoke.", |s| {
            let mut atoms = vec![atom(0, 1, title("President"))];
            add_tagger_atoms(&mut atoms, &[span(0, 3, NerLabel::Per)], s);
            assert_eq!(
                shapes(&atoms),
                vec![(0, 1, title("President")), (1, 3, named_person())]
            );
            // A span that is all title names nobody.
            let mut atoms = vec![atom(0, 1, title("President"))];
            add_tagger_atoms(&mut atoms, &[span(0, 1, NerLabel::Per)], s);
            assert_eq!(shapes(&atoms), vec![(0, 1, title("President"))]);
        });
    }

    #[test]
    fn a_person_span_over_a_known_person_is_dropped() {
        // The gazetteer knows "Netanyahu" (as Benjamin Netanyahu): the tagger's "Yair
        // Netanyahu" is dropped and the known person stays.
        in_sentence("Yair Netanyahu replied.", |s| {
            let known = AtomKind::Person {
                gaz_country: Some("ISR".into()),
                gaz_title: None,
                canonical: Some("Benjamin Netanyahu".into()),
            };
            let mut atoms = vec![atom(1, 2, known.clone())];
            add_tagger_atoms(&mut atoms, &[span(0, 2, NerLabel::Per)], s);
            assert_eq!(shapes(&atoms), vec![(1, 2, known)]);
        });
    }

    #[test]
    fn an_organization_span_takes_the_country_inside_it() {
        in_sentence("Turkish Space Agency officials met.", |s| {
            let mut atoms = vec![
                atom(0, 1, country("TUR", "Türkiye", true)),
                atom(3, 4, title("Officials")),
            ];
            add_tagger_atoms(&mut atoms, &[span(0, 3, NerLabel::Org)], s);
            assert_eq!(
                shapes(&atoms),
                vec![(0, 3, tagged_org(Some("TUR"))), (3, 4, title("Officials"))]
            );
        });
    }

    #[test]
    fn tagger_spans_lose_determiners_and_possessives() {
        in_sentence(
            "The Zorblat Council’s envoy met “Vexland” officials.",
            |s| {
                let words = s.words;
                let mut atoms = Vec::new();
                add_tagger_atoms(
                    &mut atoms,
                    &[span(0, 4, NerLabel::Org), span(6, 9, NerLabel::Loc)],
                    s,
                );
                let found: Vec<(String, AtomKind)> = atoms
                    .iter()
                    .map(|a| (words[a.tok_start..a.tok_end].join(" "), a.kind.clone()))
                    .collect();
                assert_eq!(
                    found,
                    vec![
                        ("Zorblat Council".to_string(), tagged_org(None)),
                        ("Vexland".to_string(), place("Vexland", None)),
                    ]
                );
            },
        );
    }

    #[test]
    fn a_place_or_misc_span_goes_only_where_no_atom_is() {
        in_sentence("Forces near Kiryat Gat fired.", |s| {
            let forces = AtomKind::Agent {
                sector: "military".into(),
                noun: "forces".into(),
            };
            // Overlapping an atom: skipped, whatever its label.
            let mut atoms = vec![atom(0, 1, forces.clone())];
            add_tagger_atoms(
                &mut atoms,
                &[span(0, 2, NerLabel::Loc), span(0, 2, NerLabel::Misc)],
                s,
            );
            assert_eq!(shapes(&atoms), vec![(0, 1, forces.clone())]);
            // Free: a place named as written, or a name of no kind.
            add_tagger_atoms(&mut atoms, &[span(2, 4, NerLabel::Loc)], s);
            assert_eq!(
                shapes(&atoms),
                vec![(0, 1, forces.clone()), (2, 4, place("Kiryat Gat", None))]
            );
            let mut atoms = Vec::new();
            add_tagger_atoms(&mut atoms, &[span(2, 4, NerLabel::Misc)], s);
            assert_eq!(shapes(&atoms), vec![(2, 4, AtomKind::Misc)]);
        });
    }

    #[test]
    fn atoms_leave_phase_one_sorted_without_overlaps() {
        in_sentence("Israel and Egypt and Jordan met.", |s| {
            let mut atoms = vec![
                atom(4, 5, country("JOR", "Jordan", false)),
                atom(0, 3, tagged_org(None)),
                atom(2, 3, country("EGY", "Egypt", false)),
                atom(0, 1, country("ISR", "Israel", false)),
            ];
            add_tagger_atoms(&mut atoms, &[], s);
            // Sorted by (start, end); of overlapping atoms the first in that order stays.
            assert_eq!(
                shapes(&atoms),
                vec![
                    (0, 1, country("ISR", "Israel", false)),
                    (2, 3, country("EGY", "Egypt", false)),
                    (4, 5, country("JOR", "Jordan", false)),
                ]
            );
        });
    }

    #[test]
    fn connected_atoms_join_into_one_phrase_with_the_head_last() {
        let words = [
            "Qatar", "’s", "Prime", "Minister", "and", "Foreign", "Minister", "met", "Israeli",
            "forces",
        ];
        let atoms = vec![
            atom(0, 1, country("QAT", "Qatar", false)),
            atom(2, 4, title("Prime Minister")),
            atom(5, 7, title("Foreign Minister")),
            atom(8, 9, country("ISR", "Israel", true)),
            atom(
                9,
                10,
                AtomKind::Agent {
                    sector: "military".into(),
                    noun: "forces".into(),
                },
            ),
        ];
        assert_eq!(join_phrases(&atoms, &words), vec![0..3, 3..5]);
        assert!(join_phrases(&[], &words).is_empty());
    }

    #[test]
    fn and_commas_and_other_words_keep_actors_apart() {
        let words = ["Hamas", "and", "Smith", ",", "Smith", "said", "Smith"];
        let atoms = vec![
            atom(0, 1, tagged_org(None)),
            atom(2, 3, named_person()),
            atom(4, 5, named_person()),
            atom(6, 7, named_person()),
        ];
        // "Hamas and Smith": two actors, though "Hamas Smith" would be one.
        assert_eq!(join_phrases(&atoms, &words), vec![0..1, 1..2, 2..3, 3..4]);
        let joined = [atom(0, 1, tagged_org(None)), atom(1, 2, named_person())];
        assert_eq!(join_phrases(&joined, &["Hamas", "Smith"]), vec![0..2]);
        // Two titles with "and" are one person's, with a comma two people's.
        let titles = [atom(0, 1, title("President")), atom(2, 3, title("Premier"))];
        assert_eq!(
            join_phrases(&titles, &["President", "and", "Premier"]),
            vec![0..2]
        );
        assert_eq!(
            join_phrases(&titles, &["President", ",", "Premier"]),
            vec![0..1, 1..2]
        );
        // More than two connectors between atoms break the phrase.
        let far = [
            atom(0, 1, country("EGY", "Egypt", false)),
            atom(4, 5, title("President")),
        ];
        assert_eq!(
            join_phrases(&far, &["Egypt", "’s", "(", "the", "President"]),
            vec![0..1, 1..2]
        );
    }

    #[test]
    fn an_acronym_in_parentheses_joins_its_organization() {
        let words = [
            "Coordination",
            "Center",
            "(",
            "CMCC",
            ")",
            "Council",
            "Board",
        ];
        let atoms = [
            atom(0, 2, tagged_org(None)),
            atom(3, 4, tagged_org(None)),
            atom(5, 6, tagged_org(None)),
            atom(6, 7, tagged_org(None)),
        ];
        // "Council Board": two organizations side by side without "(" stay apart.
        assert_eq!(join_phrases(&atoms, &words), vec![0..2, 2..3, 3..4]);
    }

    /// Phase 3 over hand-made phrases of one sentence: the mentions and the actors.
    fn link_all(
        text: &str,
        phrases: &[Vec<Atom>],
        linker: &mut Linker,
        actors: &mut Vec<Actor>,
    ) -> Vec<Option<Mention>> {
        in_sentence(text, |s| {
            phrases.iter().map(|p| linker.link(p, s, actors)).collect()
        })
    }

    #[test]
    fn an_office_holder_is_named_by_title_and_owner() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let text = "Qatar’s Prime Minister and Foreign Minister met.";
        let phrase = vec![
            atom(0, 1, country("QAT", "Qatar", false)),
            atom(2, 4, title("Prime Minister")),
            atom(5, 7, title("Foreign Minister")),
        ];
        let mentions = link_all(text, &[phrase], &mut linker, &mut actors);
        assert_eq!(
            actors,
            vec![Actor {
                name: "Prime Minister and Foreign Minister of Qatar".into(),
                kind: ActorKind::Person,
                country: Some("QAT".into()),
                title: Some("Prime Minister and Foreign Minister".into()),
                sector: Some("government".into()),
            }]
        );
        let m = mentions[0].as_ref().expect("a mention");
        assert_eq!((m.tok_start, m.tok_end, m.actor), (0, 7, 0));
        assert_eq!(
            &text[m.start..m.end],
            "Qatar’s Prime Minister and Foreign Minister"
        );
        assert!(!m.adjectival && !m.locative && !m.partial);
    }

    #[test]
    fn a_phrase_naming_nobody_makes_no_mention() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let mentions = link_all(
            "The President met Eurovision fans.",
            &[
                vec![atom(1, 2, title("President"))],
                vec![atom(3, 4, AtomKind::Misc)],
            ],
            &mut linker,
            &mut actors,
        );
        assert_eq!(mentions, vec![None, None]);
        assert!(actors.is_empty());
        assert!(linker.index.is_empty());
    }

    #[test]
    fn a_surname_and_a_folded_spelling_link_to_the_full_name() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let text = "İbrahim Kalın met Kalın and Ibrahim Kalin.";
        let mentions = link_all(
            text,
            &[
                vec![atom(0, 2, named_person())],
                vec![atom(3, 4, named_person())],
                vec![atom(5, 7, named_person())],
            ],
            &mut linker,
            &mut actors,
        );
        assert_eq!(actors.len(), 1, "{actors:?}");
        assert_eq!(actors[0].name, "İbrahim Kalın", "the first spelling stays");
        let ids: Vec<usize> = mentions.iter().flatten().map(|m| m.actor).collect();
        assert_eq!(ids, vec![0, 0, 0]);
        assert_eq!(
            linker.surnames.get("kalin").map(String::as_str),
            Some("person|ibrahim kalin")
        );
    }

    #[test]
    fn a_later_mention_fills_what_the_first_lacked() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let text = "Joe Smith said Vexland President Joe Smith agreed.";
        link_all(
            text,
            &[
                vec![atom(0, 2, named_person())],
                vec![
                    atom(3, 4, country("VEX", "Vexland", false)),
                    atom(4, 5, title("President")),
                    atom(5, 7, named_person()),
                ],
            ],
            &mut linker,
            &mut actors,
        );
        assert_eq!(actors.len(), 1, "{actors:?}");
        assert_eq!(actors[0].country.as_deref(), Some("VEX"));
        assert_eq!(actors[0].title.as_deref(), Some("President"));
    }

    #[test]
    fn an_acronym_after_an_organization_is_the_same_actor_later() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let text = "The Coordination Center (CMCC) opened and the CMCC said so.";
        let mentions = link_all(
            text,
            &[
                vec![atom(1, 3, tagged_org(None)), atom(4, 5, tagged_org(None))],
                vec![atom(9, 10, tagged_org(None))],
            ],
            &mut linker,
            &mut actors,
        );
        assert_eq!(actors.len(), 1, "{actors:?}");
        assert_eq!(actors[0].name, "Coordination Center");
        assert_eq!(actors[0].kind, ActorKind::Organization);
        let ids: Vec<usize> = mentions.iter().flatten().map(|m| m.actor).collect();
        assert_eq!(ids, vec![0, 0]);
    }

    #[test]
    fn mentions_say_locative_adjectival_and_partial() {
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let text = "Israeli US-backed envoys in Cairo and at the Gaza talks";
        let mut us = atom(1, 2, country("USA", "United States", false));
        us.partial = true;
        let mentions = link_all(
            text,
            &[
                vec![atom(0, 1, country("ISR", "Israel", true))],
                vec![us],
                vec![atom(4, 5, place("Cairo", Some("EGY")))],
                vec![atom(8, 9, place("Gaza", Some("PSE")))],
            ],
            &mut linker,
            &mut actors,
        );
        let flags: Vec<(bool, bool, bool)> = mentions
            .iter()
            .flatten()
            .map(|m| (m.adjectival, m.locative, m.partial))
            .collect();
        assert_eq!(
            flags,
            vec![
                (true, false, false),
                (false, false, true),
                (false, true, false),
                (false, true, false),
            ]
        );
        // A demonym with the noun it qualifies is no mere adjective: "Israeli forces".
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let mentions = link_all(
            "Israeli forces withdrew.",
            &[vec![
                atom(0, 1, country("ISR", "Israel", true)),
                atom(
                    1,
                    2,
                    AtomKind::Agent {
                        sector: "military".into(),
                        noun: "forces".into(),
                    },
                ),
            ]],
            &mut linker,
            &mut actors,
        );
        assert!(!mentions[0].as_ref().expect("a mention").adjectival);
        assert_eq!(actors[0].name, "Israel");
        assert_eq!(actors[0].kind, ActorKind::Country);
        assert_eq!(actors[0].sector.as_deref(), Some("military"));
    }

    #[test]
    fn office_holders_of_one_owner_are_different_people() {
        // "Prime Minister of Israel" has no surname "israel": a later "President of Israel"
        // is an actor of its own, and a repeated "Prime Minister of Israel" is the first.
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let mentions = link_all(
            "Israel’s Prime Minister and Israel’s President and Israel’s Prime Minister",
            &[
                vec![
                    atom(0, 1, country("ISR", "Israel", false)),
                    atom(2, 4, title("Prime Minister")),
                ],
                vec![
                    atom(5, 6, country("ISR", "Israel", false)),
                    atom(7, 8, title("President")),
                ],
                vec![
                    atom(9, 10, country("ISR", "Israel", false)),
                    atom(11, 13, title("Prime Minister")),
                ],
            ],
            &mut linker,
            &mut actors,
        );
        let names: Vec<&str> = actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["Prime Minister of Israel", "President of Israel"]
        );
        let ids: Vec<usize> = mentions.iter().flatten().map(|m| m.actor).collect();
        assert_eq!(ids, vec![0, 1, 0]);
        assert!(linker.surnames.is_empty(), "{:?}", linker.surnames);
    }

    #[test]
    fn an_office_holder_is_not_found_by_a_named_persons_surname() {
        // A person whose surname is a country's name is no office holder of that country,
        // though the office's name has fewer words than the person's.
        let mut linker = Linker::default();
        let mut actors = Vec::new();
        let mentions = link_all(
            "Daniel Ben Ami Israel met Israel’s President",
            &[
                vec![atom(0, 4, named_person())],
                vec![
                    atom(5, 6, country("ISR", "Israel", false)),
                    atom(7, 8, title("President")),
                ],
            ],
            &mut linker,
            &mut actors,
        );
        let names: Vec<&str> = actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["Daniel Ben Ami Israel", "President of Israel"]);
        let ids: Vec<usize> = mentions.iter().flatten().map(|m| m.actor).collect();
        assert_eq!(ids, vec![0, 1]);
    }

    #[test]
    fn resolve_runs_the_phases_over_every_sentence() {
        let text =
            "İbrahim Kalın met Qatar’s Prime Minister in Cairo. Kalın said the talks went well.";
        let seg = TABLES.seg.segment(text);
        let r = resolve(text, &seg, &TABLES.ner, &TABLES.gaz, june_2025());
        let names: Vec<&str> = r.actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["İbrahim Kalın", "Prime Minister of Qatar", "Cairo"]
        );
        assert_eq!(r.actors[0].country.as_deref(), Some("TUR"));
        let mentions: Vec<(&str, usize, usize)> = r
            .mentions
            .iter()
            .map(|m| (&text[m.start..m.end], m.sentence, m.actor))
            .collect();
        assert_eq!(
            mentions,
            vec![
                ("İbrahim Kalın", 0, 0),
                ("Qatar’s Prime Minister", 0, 1),
                ("Cairo", 0, 2),
                ("Kalın", 1, 0),
            ]
        );
        assert!(r.mentions[2].locative);
        assert_eq!(r.word_ids.len(), seg.tokens.len());
        assert!(
            r.word_ids.iter().any(|&id| id != NO_WORD),
            "the tagger's ids"
        );
    }

    #[test]
    fn resolve_of_nothing_is_nothing() {
        let seg = TABLES.seg.segment("");
        let r = resolve("", &seg, &TABLES.ner, &TABLES.gaz, june_2025());
        assert!(r.actors.is_empty() && r.mentions.is_empty() && r.word_ids.is_empty());
    }

    // ------------------------------------------------------------ keys, folding, short forms

    #[test]
    fn fold_lowercases_and_drops_diacritics() {
        assert_eq!(fold("İbrahim Kalın"), "ibrahim kalin");
        assert_eq!(fold("Recep Tayyip Erdoğan"), "recep tayyip erdogan");
        assert_eq!(fold("ASCII Only"), "ascii only");
        // Hyphens read as spaces: two spellings of one Korean name are one name.
        assert_eq!(fold("Kim Moon-soo"), "kim moon soo");
        assert_eq!(fold("Kim Moon-soo"), fold("Kim Moon Soo"));
        assert_eq!(fold("Al\u{2011}Shabaab"), fold("al Shabaab"));
        assert_eq!(fold("Kalın’s"), "kalin’s");
    }

    #[test]
    fn person_key_is_the_folded_name_or_the_full_name_of_a_surname() {
        let mut index: NameMap<usize> = NameMap::default();
        let mut surnames: NameMap<String> = NameMap::default();
        assert_eq!(
            person_key("İbrahim Kalın", &index, &surnames),
            "person|ibrahim kalin"
        );
        index.insert("person|ibrahim kalin".into(), 0);
        surnames.insert("kalin".into(), "person|ibrahim kalin".into());
        // A surname alone, however spelled, is the full name.
        assert_eq!(
            person_key("Kalın", &index, &surnames),
            "person|ibrahim kalin"
        );
        assert_eq!(
            person_key("KALIN", &index, &surnames),
            "person|ibrahim kalin"
        );
        // As many words as the full name: another person of that surname.
        assert_eq!(
            person_key("Hakan Kalın", &index, &surnames),
            "person|hakan kalin"
        );
        // A title kept in the name counts as a word.
        assert_eq!(
            person_key("Mr. Kalın", &index, &surnames),
            "person|mr. kalin"
        );
        // A possessive left on the name is another word altogether.
        assert_eq!(person_key("Kalın’s", &index, &surnames), "person|kalin’s");
        // An exact key that exists wins over the surname.
        index.insert("person|kalin".into(), 1);
        assert_eq!(person_key("Kalın", &index, &surnames), "person|kalin");
    }

    #[test]
    fn person_key_joins_hyphenated_and_spaced_spellings() {
        // What linking "Kim Moon-soo" stores: its folded name, and its last word as surname.
        let mut index: NameMap<usize> = NameMap::default();
        let mut surnames: NameMap<String> = NameMap::default();
        index.insert(actor_key("person", &fold("Kim Moon-soo")), 0);
        surnames.insert(fold("Moon-soo"), actor_key("person", &fold("Kim Moon-soo")));
        assert_eq!(
            person_key("Kim Moon Soo", &index, &surnames),
            "person|kim moon soo"
        );
        assert_eq!(
            person_key("Moon-soo", &index, &surnames),
            "person|kim moon soo"
        );
        assert_eq!(person_key("Soo", &index, &surnames), "person|soo");
    }

    #[test]
    fn full_forms_pair_unknown_short_names_with_one_fuller_name() {
        let fulls = vec![
            actor("Nuri al Maliki", ActorKind::Person, Some("IRQ")),
            actor("İbrahim Kalın", ActorKind::Person, Some("TUR")),
            actor("Kim Moon Soo", ActorKind::Person, Some("KOR")),
            actor("United States", ActorKind::Country, Some("USA")),
            actor("Vexland Space Agency", ActorKind::Organization, None),
        ];
        let shorts = vec![
            actor("al-Maliki", ActorKind::Person, None),
            actor("Kalin", ActorKind::Person, None),
            actor("Moon-soo", ActorKind::Person, None),
            actor("Kim Moon-soo", ActorKind::Person, None),
            actor("States", ActorKind::Country, None),
            actor("Space Agency", ActorKind::Organization, None),
            actor("Kalın", ActorKind::Person, Some("TUR")),
        ];
        assert_eq!(
            full_forms(&shorts, &fulls),
            vec![(0, 0), (1, 1), (2, 2), (5, 4)],
            "same words as the full name are no short form; a country is pinned; \
             a short form with a state is known"
        );
        // Nothing unknown: nothing to do.
        assert!(full_forms(&fulls[..2], &fulls).is_empty());
    }

    #[test]
    fn full_forms_skip_ambiguous_and_too_short_names() {
        let fulls = vec![
            actor("Nuri al-Maliki", ActorKind::Person, Some("IRQ")),
            actor("al-Maliki", ActorKind::Person, None),
            actor("Wen Li", ActorKind::Person, Some("CHN")),
        ];
        let shorts = vec![
            // Ends both "Nuri al-Maliki" and "al-Maliki".
            actor("Maliki", ActorKind::Person, None),
            actor("Li", ActorKind::Person, None),
            actor("al-Maliki", ActorKind::Person, None),
        ];
        assert_eq!(full_forms(&shorts, &fulls), vec![(2, 0)]);
    }

    #[test]
    fn link_short_forms_renames_in_place_from_the_pairs_as_resolved() {
        let mut full = actor("Nuri al-Maliki", ActorKind::Person, Some("IRQ"));
        full.title = Some("Prime Minister".into());
        let mut short = actor("al-Maliki", ActorKind::Person, None);
        short.sector = Some("government".into());
        let mut r = resolved(vec![
            full.clone(),
            short,
            actor("Maliki", ActorKind::Person, None),
        ]);
        link_short_forms(&mut r);
        assert_eq!(r.actors[0], full, "the full form is unchanged");
        assert_eq!(r.actors[1].name, "Nuri al-Maliki");
        assert_eq!(r.actors[1].country.as_deref(), Some("IRQ"));
        assert_eq!(r.actors[1].title.as_deref(), Some("Prime Minister"));
        assert_eq!(
            r.actors[1].sector.as_deref(),
            Some("government"),
            "kept where the full form has none"
        );
        // "Maliki" ended two names when the pairs were found, and stays as it was.
        assert_eq!(r.actors[2].name, "Maliki");
        assert_eq!(r.actors[2].country, None);
    }

    #[test]
    fn read_with_body_prefers_the_body_s_facts_and_leaves_known_actors() {
        let mut head = resolved(vec![
            {
                let mut a = actor("Kalın", ActorKind::Person, None);
                a.title = Some("Spy Chief".into());
                a
            },
            actor("Hamas", ActorKind::Group, Some("PSE")),
        ]);
        let mut body_kalin = actor("İbrahim Kalın", ActorKind::Person, Some("TUR"));
        body_kalin.title = Some("Director".into());
        let body = vec![
            body_kalin,
            actor("Hamas Political Bureau", ActorKind::Group, None),
        ];
        read_with_body(&mut head, &body);
        assert_eq!(head.actors[0].name, "İbrahim Kalın");
        assert_eq!(head.actors[0].country.as_deref(), Some("TUR"));
        assert_eq!(
            head.actors[0].title.as_deref(),
            Some("Director"),
            "the body wins"
        );
        assert_eq!(
            head.actors[1].name, "Hamas",
            "a state already known: left alone"
        );
    }

    #[test]
    fn a_currency_is_not_its_state() {
        let (atoms, _) = gazetteer_phase(
            "The US$14 billion deal and a HK$2 fee were signed in the US.",
            &TABLES.gaz,
            june_2025(),
        );
        let texts: Vec<&str> = atoms.iter().flatten().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(texts, ["US"], "only the last US is the state: {atoms:?}");
    }
}
