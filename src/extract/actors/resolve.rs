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
/// ([`gazetteer_atoms`], then [`add_tagger_atoms`]), join adjacent atoms into phrases
/// ([`join_phrases`]), and name the actor of each phrase and link it to the article's
/// canonical actor ([`Linker::link`]), which makes one mention per phrase. The tagger also
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
    /// is appended to `actors` (and a person of two words or more is remembered by surname).
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
        let key = match actor.kind {
            ActorKind::Person => person_key(&actor.name, &self.index, &self.surnames),
            _ => actor_key(actor.kind.as_str(), &actor.name.to_lowercase()),
        };
        let id = match self.index.get(&key) {
            Some(&id) => {
                merge_into(&mut actors[id], &actor);
                id
            }
            None => {
                let words: Vec<&str> = actor.name.split_whitespace().collect();
                if actor.kind == ActorKind::Person
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

/// Lower-cased, without diacritics, for comparing spellings of one name.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if s.is_ascii() {
        // NFD leaves ASCII alone and it has no combining marks: the same result, no tables.
        return s.to_ascii_lowercase();
    }
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(|c| match c {
            'ı' => Some('i'),
            'İ' => Some('i'),
            c => Some(c),
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
}
