//! Time expressions (TIMEX3): a HeidelTime-style rule-based tagger for English news.
//!
//! Everything language-specific lives in `data/time/` and is embedded at compile time:
//!
//! * `vocabulary.tsv`: phrase classes with their values (month names, weekdays, numbers in
//!   words, units, parts of day, modifiers...), HeidelTime's "repattern" + "normalization".
//! * `patterns.tsv`: the named patterns rules use (`%MONTH`, `%DAY`, `%YEAR`...), each a regex
//!   over the vocabulary plus how to normalize what it captured.
//! * `rules.tsv`: extraction rules: pattern, TIMEX3 type, value template, mod template.
//! * `cues.tsv`: tense cue words, to choose between the past and the coming "Tuesday".
//!
//! The code only interprets the tables. Tagging is two-phase, like HeidelTime: all rules are
//! matched, overlaps are resolved in favour of the longest match (then the earlier rule), then
//! the survivors are normalized in text order so that "a year earlier" can anchor on the date
//! mentioned before it.
//!
//! Speed: running ~150 regexes over every sentence would cost ~150 scans per byte. Instead each
//! rule is reduced, when the tables are compiled, to its *requirements*: the words and word
//! classes it cannot match without ("%NUM %UNIT ago" needs a unit word and "ago"). One
//! Aho-Corasick pass over the whole text finds the requirement words, a small `RegexSet` the
//! few numeric requirements per sentence (only on a sentence with a digit or a word such a
//! requirement starts with, see `pattern::gate_of`), and only rules whose requirements are
//! all present in a sentence are run on it. Text is cut into sentence-sized pieces of bounded
//! length, so the cost is linear in the text whatever it contains.
//!
//! A rule whose matches can only start with known words ("%MONTH %DAY", "every %UNIT") is not
//! scanned over the sentence but run anchored where one of those words starts (the same
//! Aho-Corasick pass finds them): a few short searches instead of a scan, and far fewer lazy
//! DFA states to build and keep in cache. The rules are compiled with ASCII classes (no
//! Unicode `\s` or case folding, which multiply the states) over a copy of the text whose
//! Unicode spaces are ASCII ones of the same byte length.

mod pattern;
mod pieces;
mod tables;
mod template;
mod tense;
mod value;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::AhoCorasick;
use chrono::{Datelike, NaiveDate};
use regex::{RegexSet, RegexSetBuilder};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, PatternID, meta};

use crate::article::ReferenceTime;
use pattern::{
    Lexicon, Normalizer, Requirement, expand_rule_pattern, is_word_char, leading_words,
    requirements_of,
};
use template::{Context, Flags, Template};
use tense::Cues;
pub use tense::Tense;
pub use value::{Bounds, Granularity, bounds};

pub use crate::record::TimexKind;

/// One time expression found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timex {
    /// Byte range of the expression in the tagged text (TimeML span conventions: a leading
    /// "on", "in" or "since" is outside).
    pub start: usize,
    pub end: usize,
    pub kind: TimexKind,
    /// The TIMEX3 `value` (`2025-11-25`, `2025-W48`, `P3D`, `PRESENT_REF`, `XXXX-11`...).
    pub value: String,
    /// The TIMEX3 `mod` (`START`, `END`, `MID`, `APPROX`...).
    pub modifier: Option<String>,
    /// True when the value came from anchoring on the reference time or an earlier date.
    pub relative: bool,
    /// False when a relative expression had nothing to anchor on; the value is then
    /// underspecified (`XXXX-XX-XX`).
    pub resolved: bool,
}

/// Why the rule tables could not be loaded. Only a broken edit of `data/time/` causes this;
/// the message names the file and line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRulesError {
    #[error("data/time/{file} line {line}: {reason}")]
    Table {
        file: &'static str,
        line: usize,
        reason: String,
    },
    #[error("data/time/rules.tsv rule `{rule}` (line {line}): {reason}")]
    Rule {
        rule: String,
        line: usize,
        reason: String,
    },
    #[error("the time rules do not compile together ({reason}); simplify the largest patterns")]
    RuleSet { reason: String },
}

/// What a rule yields: a TIMEX3 type, or nothing (a negative rule that claims its span so
/// that no other rule tags it, like "May" the verb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Yield {
    Timex(TimexKind),
    Nothing,
}

#[derive(Debug)]
struct Rule {
    name: String,
    yields: Yield,
    /// `regex_automata`'s engine rather than the `regex` crate's wrapper of it: only it can
    /// run a search anchored at a position with the text around it still visible to `\b`.
    regex: meta::Regex,
    /// The anchor set (the words every match starts with, see [`pattern::leading_words`])
    /// when the rule has one: an index into `TimeTagger::anchor_word_start`.
    anchor: Option<usize>,
    /// Capture groups with their normalizers, by name.
    groups: Vec<(String, Normalizer)>,
    /// The capture slot of each of `groups`, and of the expression's span (`T`, else the match).
    group_slots: Vec<usize>,
    span_slot: usize,
    value: Template,
    modifier: Template,
    needs_tense: bool,
}

/// The time-expression tagger. Build once with [`TimeTagger::builtin`] and share it:
/// it is `Send + Sync` and tagging does not mutate it.
#[derive(Debug)]
pub struct TimeTagger {
    lexicon: Lexicon,
    rules: Vec<Rule>,
    /// The word-list requirements (see [`pattern::requirements_of`]): one Aho-Corasick pass
    /// over the whole text finds them all, far cheaper than a regex set of word lists.
    words: AhoCorasick,
    /// For each word of `words`, the requirements it satisfies.
    word_requirements: Vec<Vec<usize>>,
    /// For each word of `words`, the anchor sets (leading words of rules) it belongs to.
    word_anchors: Vec<Vec<usize>>,
    /// Per anchor set, whether its words count only at word starts.
    anchor_word_start: Vec<bool>,
    /// The other requirements, run as a (small) regex set per sentence, but only on a
    /// sentence where one of them can match (see `regex_gate_words`).
    regex_requirements: RegexSet,
    /// For each pattern of `regex_requirements`, its requirement.
    regex_requirement_ids: Vec<usize>,
    /// Whether every regex requirement has a gate ([`pattern::gate_of`]); if not, the set
    /// runs on every sentence.
    regex_gated: bool,
    /// Whether some regex requirement can start with a digit: a sentence with one opens the
    /// gate.
    regex_gate_digit: bool,
    /// For each word of `words`, whether a regex requirement can start with it (found
    /// anywhere, it opens the gate).
    word_gates: Vec<bool>,
    /// For each requirement, the rule groups that need it.
    needed_by: Vec<Vec<usize>>,
    /// Rules grouped by identical requirements.
    groups: Vec<RuleGroup>,
    cues: Cues,
    /// Tells this tagger's per-thread buffers from another tagger's: capture slots are made
    /// for one tagger's rules and fit no other's.
    id: u64,
}

/// Hands out [`TimeTagger`] ids (0 is no tagger's).
static NEXT_TAGGER_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The buffers of the last tagger that ran on this thread, with its id: the capture slots
    /// of its rules are made once per thread rather than once per text.
    static SCRATCH: RefCell<(u64, Scratch)> = RefCell::new((0, Scratch::default()));
}

/// Rules with the same requirements: they become candidates together.
#[derive(Debug)]
struct RuleGroup {
    /// How many prefilter requirements the group has; it runs when all of them matched.
    required: usize,
    rules: Vec<usize>,
}

/// Buffers reused from sentence to sentence and, per thread, from text to text, so that a
/// sentence costs no allocation unless it has candidates.
#[derive(Default)]
struct Scratch {
    set: Vec<bool>,
    met: Vec<usize>,
    group_ids: Vec<usize>,
    rule_ids: Vec<usize>,
    /// Per rule, its capture slots (made at its first search on this thread).
    captures: Vec<Option<Captures>>,
    /// Per anchor set, where its words start in the sentence (sentence offsets, ascending).
    anchors: Vec<Vec<usize>>,
    /// Take no shortcut: scan every rule over the whole sentence (never anchored) and run the
    /// requirement regexes on every sentence. Tests check that the shortcuts find the same.
    plain: bool,
}

/// A word of the tagger's Aho-Corasick pass found in the text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    /// The index of the word.
    word: usize,
    /// Whether it stands at word edges: only then does it meet a requirement.
    whole: bool,
    /// Whether it starts after no ASCII letter, digit or `_`: some anchors count only there.
    word_start: bool,
    /// Whether a regex requirement can start with it.
    gate: bool,
}

/// Above this many places to try, an anchored rule scans the sentence instead: a scan costs
/// about as much as this many anchored searches.
const MAX_ANCHORED: usize = 8;

/// Words of three letters or more too frequent to anchor a rule on.
const FREQUENT_WORDS: &[&str] = &["the", "and", "for"];

/// A rule match before overlap resolution.
#[derive(Debug, Clone)]
struct Candidate {
    start: usize,
    end: usize,
    rule: usize,
    sentence: (usize, usize),
    /// Capture spans (absolute byte offsets) in the order of the rule's groups.
    captures: Vec<Option<(usize, usize)>>,
}

impl TimeTagger {
    /// The tagger built from the tables embedded in the binary.
    pub fn builtin() -> Result<TimeTagger, TimeRulesError> {
        let lexicon = Lexicon::builtin()?;
        let cues = Cues::builtin()?;
        TimeTagger::build(lexicon, tables::RULES, cues)
    }

    /// The tagger from its tables: the vocabulary and named patterns (`lexicon`), the text of
    /// `rules.tsv` and the tense cues. Three phases: compile the rules and their requirements
    /// ([`compile_rules`](Self::compile_rules)), build the prefilter that finds the
    /// requirements in a text ([`Prefilter::build`]), and index which rule groups each
    /// requirement lets run ([`index_groups`]).
    fn build(
        lexicon: Lexicon,
        rules_table: &str,
        cues: Cues,
    ) -> Result<TimeTagger, TimeRulesError> {
        let rows = tables::rows("rules.tsv", rules_table, 4)?;
        let CompiledRules {
            rules,
            requirements,
            group_keys,
            anchor_sets,
        } = TimeTagger::compile_rules(&rows, &lexicon)?;
        let Prefilter {
            words,
            word_requirements,
            word_anchors,
            regex_requirements,
            regex_requirement_ids,
            regex_gated,
            regex_gate_digit,
            word_gates,
        } = Prefilter::build(&requirements, &anchor_sets)?;
        let (needed_by, groups) = index_groups(group_keys, requirements.len());
        Ok(TimeTagger {
            id: NEXT_TAGGER_ID.fetch_add(1, Ordering::Relaxed),
            lexicon,
            rules,
            words,
            word_requirements,
            word_anchors,
            anchor_word_start: anchor_sets.iter().map(|a| a.word_start).collect(),
            regex_requirements,
            regex_requirement_ids,
            regex_gated,
            regex_gate_digit,
            word_gates,
            needed_by,
            groups,
            cues,
        })
    }

    /// Phase 1 of [`build`](Self::build): every row of `rules.tsv` compiled, with what the
    /// prefilter must find before the rule runs.
    ///
    /// Takes the table's rows and the lexicon their patterns use. Each rule's requirements
    /// ([`pattern::requirements_of`]) are the words or regexes it cannot match without; a rule
    /// with none requires its own regex. The number regexes that some rule requires anyway are
    /// added to the requirements of every rule that has them as mandatory numbers
    /// ([`pattern::number_requirements`]): the prefilter runs them in any case, so they cost
    /// nothing and rule out more rules. Gives the rules in table order, the distinct
    /// requirements, the groups of rules with the same requirements (as requirement indexes,
    /// sorted, and rule indexes), and the distinct anchor sets the rules use.
    fn compile_rules(
        rows: &[tables::Row],
        lexicon: &Lexicon,
    ) -> Result<CompiledRules, TimeRulesError> {
        let mut rules = Vec::new();
        let mut requirements: Vec<Requirement> = Vec::new();
        let mut group_keys: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        let mut anchor_sets: Vec<pattern::Leading> = Vec::new();
        // Each rule's requirements and mandatory numbers, and the regexes some rule requires
        // anyway: the prefilter's regex set runs those, so any rule may require them too at
        // no cost (see `pattern::number_requirements`).
        let rule_needs: Vec<(Vec<Requirement>, Vec<Requirement>)> = rows
            .iter()
            .map(|row| {
                (
                    requirements_of(row.get(2), lexicon),
                    pattern::number_requirements(row.get(2), lexicon),
                )
            })
            .collect();
        let mut regex_required: Vec<&Requirement> = Vec::new();
        for need in rule_needs.iter().flat_map(|(needs, _)| needs) {
            if matches!(need, Requirement::Regex(_)) && !regex_required.contains(&need) {
                regex_required.push(need);
            }
        }
        for (row, (needs, numbers)) in rows.iter().zip(&rule_needs) {
            let (rule, source) = compile_rule(row, lexicon, &mut anchor_sets)?;
            let mut needs = needs.clone();
            if needs.is_empty() {
                needs.push(Requirement::Regex(source));
            } else {
                needs.extend(
                    numbers
                        .iter()
                        .filter(|n| regex_required.contains(n))
                        .cloned(),
                );
            }
            let mut key = Vec::with_capacity(needs.len());
            for need in needs {
                let k = match requirements.iter().position(|t| *t == need) {
                    Some(k) => k,
                    None => {
                        requirements.push(need);
                        requirements.len() - 1
                    }
                };
                key.push(k);
            }
            key.sort_unstable();
            key.dedup();
            match group_keys.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(rules.len()),
                None => group_keys.push((key, vec![rules.len()])),
            }
            rules.push(rule);
        }
        Ok(CompiledRules {
            rules,
            requirements,
            group_keys,
            anchor_sets,
        })
    }

    /// Number of rules loaded (for diagnostics).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// All time expressions in `text`, sorted by start, non-overlapping. Byte offsets.
    ///
    /// Relative expressions are anchored on `reference` in its own UTC offset; without one
    /// they keep an underspecified value and `resolved == false`.
    pub fn tag(&self, text: &str, reference: Option<&ReferenceTime>) -> Vec<Timex> {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut kept) => {
                let (owner, scratch) = &mut *kept;
                if *owner != self.id {
                    *owner = self.id;
                    *scratch = Scratch::default();
                }
                self.tag_with(text, reference, scratch)
            }
            // Only reachable if tagging re-entered itself on this thread.
            Err(_) => self.tag_with(text, reference, &mut Scratch::default()),
        })
    }

    /// [`tag`](Self::tag) with this thread's buffers.
    fn tag_with(
        &self,
        text: &str,
        reference: Option<&ReferenceTime>,
        scratch: &mut Scratch,
    ) -> Vec<Timex> {
        let reference_day: Option<NaiveDate> = reference.map(|r| r.instant.date_naive());
        let mut out = Vec::new();
        let mut anchor: Option<value::Point> = None;
        let mut period: Option<value::Point> = None;
        let searched = ascii_spaces(text);
        let hits = self.word_hits(&searched);
        for sentence in pieces::sentences(text) {
            // The sentence's words, for the tense of its expressions; read at the first need.
            let mut words: Option<Vec<(usize, usize)>> = None;
            let found = hits_in(&hits, sentence);
            let chosen = self.candidates_in(&searched, sentence, found, scratch);
            for cand in chosen {
                let rule = &self.rules[cand.rule];
                let Yield::Timex(kind) = rule.yields else {
                    continue;
                };
                let Some((timex, from_mention)) = self.normalize(
                    text,
                    &cand,
                    kind,
                    reference_day,
                    (anchor, period),
                    &mut words,
                ) else {
                    continue;
                };
                if !from_mention
                    && matches!(kind, TimexKind::Date | TimexKind::Time)
                    && let Some(p) = value::parse_point(&timex.value)
                    && p.granularity >= Granularity::Year
                {
                    anchor = Some(p);
                    if matches!(p.granularity, Granularity::Quarter | Granularity::Half) {
                        period = Some(p);
                    }
                }
                out.push(timex);
            }
        }
        out
    }

    /// The requirement words found in `text` at word edges and the leading words found where
    /// they count (anywhere, or at word starts), sorted by start.
    fn word_hits(&self, text: &str) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .words
            .find_overlapping_iter(text)
            .filter_map(|m| {
                let word = m.pattern().as_usize();
                let whole = at_word_edges(text, m.start(), m.end());
                let word_start = m.start() == 0
                    || text
                        .as_bytes()
                        .get(m.start() - 1)
                        .is_some_and(|&b| !b.is_ascii_alphanumeric() && b != b'_');
                let anchors = self.word_anchors.get(word).is_some_and(|sets| {
                    sets.iter()
                        .any(|&a| word_start || !self.anchor_word_start[a])
                });
                let gate = self.word_gates.get(word).copied().unwrap_or(false);
                (whole || anchors || gate).then_some(Hit {
                    start: m.start(),
                    word,
                    whole,
                    word_start,
                    gate,
                })
            })
            .collect();
        hits.sort_unstable_by_key(|h| (h.start, h.word));
        hits
    }

    /// The rule matches of one sentence that survive overlap resolution, in text order.
    /// `hits` are the requirement words found in the sentence.
    fn candidates_in(
        &self,
        text: &str,
        (s_start, s_end): (usize, usize),
        hits: &[Hit],
        scratch: &mut Scratch,
    ) -> Vec<Candidate> {
        let Some(hay) = text.get(s_start..s_end) else {
            return Vec::new();
        };
        let Scratch {
            set,
            met,
            group_ids,
            rule_ids,
            captures,
            anchors,
            plain,
        } = scratch;
        met.clear();
        met.extend(
            hits.iter()
                .filter(|h| h.whole)
                .flat_map(|h| self.word_requirements[h.word].iter().copied()),
        );
        // The regex requirements can match only where one of them can start.
        let gate_open = *plain
            || !self.regex_gated
            || hits.iter().any(|h| h.gate)
            || (self.regex_gate_digit && hay.bytes().any(|b| b.is_ascii_digit()));
        set.clear();
        set.resize(self.regex_requirements.len(), false);
        if gate_open && self.regex_requirements.matches_read_at(set, hay, 0) {
            met.extend(
                set.iter()
                    .enumerate()
                    .filter(|(_, hit)| **hit)
                    .map(|(k, _)| self.regex_requirement_ids[k]),
            );
        }
        if met.is_empty() {
            return Vec::new();
        }
        met.sort_unstable();
        met.dedup();
        group_ids.clear();
        group_ids.extend(met.iter().flat_map(|&k| self.needed_by[k].iter().copied()));
        group_ids.sort_unstable();
        // The groups all of whose requirements matched (a group id appears once per matched
        // requirement).
        rule_ids.clear();
        for run in group_ids.chunk_by(|a, b| a == b) {
            let Some(group) = run.first().and_then(|&g| self.groups.get(g)) else {
                continue;
            };
            if run.len() == group.required {
                rule_ids.extend_from_slice(&group.rules);
            }
        }
        rule_ids.sort_unstable();
        if captures.len() < self.rules.len() {
            captures.resize_with(self.rules.len(), || None);
        }
        anchors.resize_with(self.anchor_word_start.len(), Vec::new);
        for places in anchors.iter_mut() {
            places.clear();
        }
        for h in hits {
            for &a in &self.word_anchors[h.word] {
                if self.anchor_word_start[a] && !h.word_start {
                    continue;
                }
                let at = h.start - s_start;
                if anchors[a].last() != Some(&at) {
                    anchors[a].push(at);
                }
            }
        }
        let mut cands = Vec::new();
        for &idx in rule_ids.iter() {
            let rule = &self.rules[idx];
            // Capture slots are reused across sentences: most triggered rules do not match,
            // and a miss then costs one DFA search and no allocation.
            let Some(caps) = captures.get_mut(idx) else {
                continue;
            };
            let caps = caps.get_or_insert_with(|| rule.regex.create_captures());
            let mut found = |caps: &Captures| {
                let Some(span) = caps.get_group(rule.span_slot) else {
                    return;
                };
                let (ms, me) = (span.start, span.end);
                if ms == me || !at_word_edges(hay, ms, me) {
                    return;
                }
                let captures = rule
                    .group_slots
                    .iter()
                    .map(|&k| {
                        caps.get_group(k)
                            .map(|g| (s_start + g.start, s_start + g.end))
                    })
                    .collect();
                cands.push(Candidate {
                    start: s_start + ms,
                    end: s_start + me,
                    rule: idx,
                    sentence: (s_start, s_end),
                    captures,
                });
            };
            // Where the next search starts after a match: its end, or one character further
            // for an empty match (as an iterator over matches would).
            let after = |m: regex_automata::Match| {
                if m.end() > m.start() {
                    m.end()
                } else {
                    hay.get(m.end()..)
                        .and_then(|rest| rest.chars().next())
                        .map_or(hay.len() + 1, |c| m.end() + c.len_utf8())
                }
            };
            match rule.anchor.and_then(|a| anchors.get(a)) {
                // Every match starts at one of `places`: the leftmost match from `at` is the
                // first anchored match at a place from `at` on.
                Some(places) if places.len() <= MAX_ANCHORED && !*plain => {
                    let mut at = 0;
                    for &p in places {
                        if p < at {
                            continue;
                        }
                        let input = Input::new(hay).range(p..).anchored(Anchored::Yes);
                        rule.regex.search_captures(&input, caps);
                        if let Some(m) = caps.get_match() {
                            at = after(m);
                            found(caps);
                        }
                    }
                }
                _ => {
                    let mut at = 0;
                    while at <= hay.len() {
                        rule.regex
                            .search_captures(&Input::new(hay).range(at..), caps);
                        let Some(m) = caps.get_match() else {
                            break;
                        };
                        at = after(m);
                        found(caps);
                    }
                }
            }
        }
        // Longest match wins; among equals, the earlier rule in the table.
        cands.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(a.rule.cmp(&b.rule))
                .then(a.start.cmp(&b.start))
        });
        let mut taken: BTreeMap<usize, Candidate> = BTreeMap::new();
        for c in cands {
            let before_overlaps = taken
                .range(..c.end)
                .next_back()
                .is_some_and(|(_, prev)| prev.end > c.start);
            if !before_overlaps {
                taken.insert(c.start, c);
            }
        }
        taken.into_values().collect()
    }

    fn normalize(
        &self,
        text: &str,
        cand: &Candidate,
        kind: TimexKind,
        reference: Option<NaiveDate>,
        (anchor, period): (Option<value::Point>, Option<value::Point>),
        words: &mut Option<Vec<(usize, usize)>>,
    ) -> Option<(Timex, bool)> {
        let rule = &self.rules[cand.rule];
        let ref_year = reference.map(|d| d.year());
        let group = |name: &str| -> Option<String> {
            let k = rule.groups.iter().position(|(g, _)| g == name)?;
            let (s, e) = (*cand.captures.get(k)?)?;
            let (_, normalizer) = &rule.groups[k];
            self.lexicon
                .normalize(normalizer, text.get(s..e)?, ref_year)
        };
        let tense = if rule.needs_tense {
            let (ss, se) = cand.sentence;
            let sentence = text.get(ss..se)?;
            let words = words.get_or_insert_with(|| tense::words_of(sentence));
            self.cues
                .tense_at(sentence, words, cand.start - ss, cand.end - ss)
        } else {
            Tense::Unknown
        };
        let ctx = Context {
            group: &group,
            reference,
            tense,
            anchor,
            period,
        };
        let mut flags = Flags::default();
        let value = rule.value.eval(&ctx, &mut flags)?;
        if value.is_empty() {
            return None;
        }
        let modifier = rule
            .modifier
            .eval(&ctx, &mut flags)
            .filter(|m| !m.is_empty());
        let timex = Timex {
            start: cand.start,
            end: cand.end,
            kind,
            value,
            modifier,
            relative: flags.relative,
            resolved: !flags.unresolved,
        };
        Some((timex, flags.from_mention))
    }

    /// The name of the rule that produced the timex at `[start, end)` of `text` (development aid).
    pub fn explain(&self, text: &str, start: usize, end: usize) -> Option<&str> {
        let sentence = pieces::sentences(text)
            .into_iter()
            .find(|&(s, e)| s <= start && end <= e)?;
        let searched = ascii_spaces(text);
        let hits = self.word_hits(&searched);
        let found = hits_in(&hits, sentence);
        self.candidates_in(&searched, sentence, found, &mut Scratch::default())
            .into_iter()
            .find(|c| c.start == start && c.end == end)
            .map(|c| self.rules[c.rule].name.as_str())
    }
}

/// The hits (sorted by start) that start in `[start, end)`.
fn hits_in(hits: &[Hit], (start, end): (usize, usize)) -> &[Hit] {
    let lo = hits.partition_point(|h| h.start < start);
    let hi = hits.partition_point(|h| h.start < end);
    hits.get(lo..hi).unwrap_or(&[])
}

/// `text` with each non-ASCII whitespace character (a no-break space, a thin space...) replaced
/// by as many ASCII spaces as it has bytes: the offsets stay the same, and the rules can then
/// be compiled with ASCII classes. Unicode `\s` and case folding multiply the states of every
/// rule's automaton (there are about a thousand `\s` in the rules), and building those states
/// lazily would be the largest single cost of tagging a fresh text.
fn ascii_spaces(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| !c.is_ascii() && c.is_whitespace()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_ascii() && c.is_whitespace() {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What [`TimeTagger::compile_rules`] gives [`TimeTagger::build`].
struct CompiledRules {
    /// The rules, in table order.
    rules: Vec<Rule>,
    /// The distinct requirements of all rules.
    requirements: Vec<Requirement>,
    /// Per group of rules with the same requirements: the requirements' indexes (sorted) and
    /// the rules' indexes.
    group_keys: Vec<(Vec<usize>, Vec<usize>)>,
    /// The distinct anchor sets ([`Rule::anchor`] indexes them).
    anchor_sets: Vec<pattern::Leading>,
}

/// One row of `rules.tsv` compiled: its type, its pattern expanded over the lexicon and
/// compiled ([`compile`]), its anchor set, its value and mod templates, and the capture slots
/// of its groups.
///
/// Takes the row, the lexicon, and the anchor sets of the rules before it: the rule's leading
/// words ([`pattern::leading_words`]) become its anchor set, reused when an earlier rule has
/// the same one and appended otherwise, unless they are too frequent to anchor on. Gives the
/// rule and its expanded regex source (the requirement of a rule that has no other), or the
/// first thing wrong with the row, named by rule and line.
fn compile_rule(
    row: &tables::Row,
    lexicon: &Lexicon,
    anchor_sets: &mut Vec<pattern::Leading>,
) -> Result<(Rule, String), TimeRulesError> {
    let name = row.get(0).to_string();
    let err = |reason: String| TimeRulesError::Rule {
        rule: name.clone(),
        line: row.line,
        reason,
    };
    let yields = match row.get(1) {
        "DATE" => Yield::Timex(TimexKind::Date),
        "TIME" => Yield::Timex(TimexKind::Time),
        "DURATION" => Yield::Timex(TimexKind::Duration),
        "SET" => Yield::Timex(TimexKind::Set),
        "NONE" => Yield::Nothing,
        other => {
            return Err(err(format!(
                "unknown type `{other}`; use DATE, TIME, DURATION, SET or NONE"
            )));
        }
    };
    let (source, groups) = expand_rule_pattern(row.get(2), lexicon).map_err(&err)?;
    let regex =
        compile(&source, 1 << 24).map_err(|e| err(format!("pattern does not compile: {e}")))?;
    // Anchoring pays only when the leading words are rare: "the", "in" or "a" would
    // put a place at every few words, and their hits would slow the word pass down.
    // At word starts only, frequent words are fine: their hits are few.
    let anchor = leading_words(row.get(2), lexicon)
        .filter(|lead| {
            lead.word_start
                || lead
                    .words
                    .iter()
                    .all(|w| w.len() >= 3 && !FREQUENT_WORDS.contains(&w.as_str()))
        })
        .map(|lead| match anchor_sets.iter().position(|a| *a == lead) {
            Some(k) => k,
            None => {
                anchor_sets.push(lead);
                anchor_sets.len() - 1
            }
        });
    let value = Template::parse(row.get(3)).map_err(|e| err(format!("value: {e}")))?;
    let modifier = Template::parse(row.get(4)).map_err(|e| err(format!("mod: {e}")))?;
    for g in value.groups().into_iter().chain(modifier.groups()) {
        if !groups.iter().any(|(n, _)| *n == g) {
            return Err(err(format!(
                "template uses `{{{g}}}` but the pattern has no `%{g}`"
            )));
        }
    }
    let needs_tense = value.needs_tense() || modifier.needs_tense();
    let slot = |name: &str| regex.group_info().to_index(PatternID::ZERO, name);
    let group_slots = groups
        .iter()
        .map(|(g, _)| slot(g).ok_or_else(|| err(format!("group `{g}` is not in the regex"))))
        .collect::<Result<Vec<_>, _>>()?;
    let span_slot = slot("T").unwrap_or(0);
    let rule = Rule {
        anchor,
        group_slots,
        span_slot,
        name,
        yields,
        regex,
        groups,
        value,
        modifier,
        needs_tense,
    };
    Ok((rule, source))
}

/// The tagger's prefilter: what finds the rules' requirements in a text (the fields of
/// [`TimeTagger`] of the same names).
struct Prefilter {
    words: AhoCorasick,
    word_requirements: Vec<Vec<usize>>,
    word_anchors: Vec<Vec<usize>>,
    regex_requirements: RegexSet,
    regex_requirement_ids: Vec<usize>,
    regex_gated: bool,
    regex_gate_digit: bool,
    word_gates: Vec<bool>,
}

impl Prefilter {
    /// Phase 2 of [`TimeTagger::build`]: the prefilter of the compiled rules.
    ///
    /// Takes the distinct requirements and anchor sets ([`TimeTagger::compile_rules`]). The
    /// word requirements' words, then the anchor sets' words, then the words that open the
    /// regex requirements' gate ([`pattern::gate_of`], only when every regex requirement has
    /// one) go into one word list, each word once, searched by one ASCII case-insensitive
    /// Aho-Corasick DFA; per word, which requirements it meets, which anchor sets it is in and
    /// whether it opens the gate. The regex requirements make one `RegexSet`, with ASCII
    /// classes unless a requirement needs Unicode. Gives an error only when the set or the
    /// automaton is too large to build.
    fn build(
        requirements: &[Requirement],
        anchor_sets: &[pattern::Leading],
    ) -> Result<Prefilter, TimeRulesError> {
        let mut word_list: Vec<String> = Vec::new();
        let mut word_requirements: Vec<Vec<usize>> = Vec::new();
        let mut word_anchors: Vec<Vec<usize>> = Vec::new();
        let word_index = |w: &str, list: &mut Vec<String>| match list.iter().position(|x| x == w) {
            Some(k) => k,
            None => {
                list.push(w.to_string());
                list.len() - 1
            }
        };
        let mut regex_sources: Vec<&str> = Vec::new();
        let mut regex_requirement_ids = Vec::new();
        for (id, req) in requirements.iter().enumerate() {
            match req {
                Requirement::Words(ws) => {
                    for w in ws {
                        let k = word_index(w, &mut word_list);
                        word_requirements.resize(word_list.len(), Vec::new());
                        word_requirements[k].push(id);
                    }
                }
                Requirement::Regex(src) => {
                    regex_sources.push(src);
                    regex_requirement_ids.push(id);
                }
            }
        }
        for (a, lead) in anchor_sets.iter().enumerate() {
            for w in &lead.words {
                let k = word_index(w, &mut word_list);
                word_anchors.resize(word_list.len(), Vec::new());
                word_anchors[k].push(a);
            }
        }
        // ASCII classes as for the rules (see `compile`), unless a requirement needs Unicode.
        let set = |unicode: bool| {
            RegexSetBuilder::new(&regex_sources)
                .size_limit(1 << 26)
                .unicode(unicode)
                .build()
                .map(|set| (set, unicode))
        };
        let (regex_requirements, unicode) =
            set(false)
                .or_else(|_| set(true))
                .map_err(|e| TimeRulesError::RuleSet {
                    reason: e.to_string(),
                })?;
        let gates: Vec<Option<pattern::Gate>> = regex_sources
            .iter()
            .map(|src| pattern::gate_of(src, unicode))
            .collect();
        let regex_gated = gates.iter().all(Option::is_some);
        let regex_gate_digit = gates.iter().flatten().any(|g| g.digit);
        let mut word_gates: Vec<bool> = Vec::new();
        if regex_gated {
            for w in gates.iter().flatten().flat_map(|g| &g.words) {
                let k = word_index(w, &mut word_list);
                word_gates.resize(word_list.len(), false);
                word_gates[k] = true;
            }
        }
        word_requirements.resize(word_list.len(), Vec::new());
        word_anchors.resize(word_list.len(), Vec::new());
        word_gates.resize(word_list.len(), false);
        let words = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&word_list)
            .map_err(|e| TimeRulesError::RuleSet {
                reason: e.to_string(),
            })?;
        Ok(Prefilter {
            words,
            word_requirements,
            word_anchors,
            regex_requirements,
            regex_requirement_ids,
            regex_gated,
            regex_gate_digit,
            word_gates,
        })
    }
}

/// Phase 3 of [`TimeTagger::build`]: the rule groups, and for each requirement the groups that
/// need it.
///
/// Takes the groups of [`TimeTagger::compile_rules`] (requirement indexes, rule indexes) and
/// how many requirements there are. Gives `needed_by` (per requirement, the groups in order)
/// and the groups with their count of requirements: tagging counts, per sentence, the
/// requirements met of each group and runs a group's rules when all are met.
fn index_groups(
    group_keys: Vec<(Vec<usize>, Vec<usize>)>,
    requirement_count: usize,
) -> (Vec<Vec<usize>>, Vec<RuleGroup>) {
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); requirement_count];
    let mut groups = Vec::with_capacity(group_keys.len());
    for (g, (key, members)) in group_keys.into_iter().enumerate() {
        for &k in &key {
            needed_by[k].push(g);
        }
        groups.push(RuleGroup {
            required: key.len(),
            rules: members,
        });
    }
    (needed_by, groups)
}

/// Compiles a rule or requirement regex with ASCII classes and case folding (see
/// [`ascii_spaces`]), or with Unicode ones when it needs them (a negated class such as
/// `[^;]` must not match half of a character).
fn compile(source: &str, nfa_size_limit: usize) -> Result<meta::Regex, String> {
    let build = |unicode: bool| {
        meta::Regex::builder()
            .syntax(regex_automata::util::syntax::Config::new().unicode(unicode))
            .configure(meta::Config::new().nfa_size_limit(Some(nfa_size_limit)))
            .build(source)
            .map_err(|e| e.to_string())
    };
    build(false).or_else(|_| build(true))
}

/// True when `[start, end)` neither begins nor ends inside a word (checked on Unicode
/// characters, which the ASCII `\b` of the patterns does not see).
fn at_word_edges(hay: &str, start: usize, end: usize) -> bool {
    // The word pass asks this of every word it finds: when the characters at both edges are
    // ASCII (nearly always), the bytes answer without decoding characters.
    let bytes = hay.as_bytes();
    let at = |i: Option<usize>| i.and_then(|i| bytes.get(i).copied());
    let edges = [
        at(start.checked_sub(1)),
        at(Some(start)),
        at(end.checked_sub(1)),
        at(Some(end)),
    ];
    if edges.iter().flatten().all(u8::is_ascii) {
        let word = |x: Option<u8>| x.is_some_and(|x| x.is_ascii_alphanumeric() || x == b'_');
        let [before, first, last, after] = edges;
        let joined_before = word(before) && word(first);
        let joined_after = word(last) && word(after);
        return !joined_before && !joined_after;
    }
    at_word_edges_in_chars(hay, start, end)
}

/// [`at_word_edges`] on the Unicode characters around the edges.
fn at_word_edges_in_chars(hay: &str, start: usize, end: usize) -> bool {
    let first = hay.get(start..).and_then(|s| s.chars().next());
    let before = hay.get(..start).and_then(|s| s.chars().next_back());
    let last = hay.get(..end).and_then(|s| s.chars().next_back());
    let after = hay.get(end..).and_then(|s| s.chars().next());
    let joined = |a: Option<char>, b: Option<char>| matches!((a, b), (Some(a), Some(b)) if is_word_char(a) && is_word_char(b));
    !joined(before, first) && !joined(last, after)
}

#[cfg(test)]
mod tests;
