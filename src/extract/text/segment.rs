//! Segmentation of a cleaned body into paragraphs, boilerplate, stories and sentences.
//!
//! Boilerplate rules are data (`data/text/boilerplate.tsv`). Story splitting follows what
//! bulletins actually do: a sign-off (`(ILKHA)`) or a legal notice closes a story, a dateline
//! (`CAIRO (AP) —`) opens one, and after a close, each paragraph that shares no names with the
//! story before it is a story of its own (several short items glued together).

use std::collections::HashSet;
use std::ops::Range;

use regex::Regex;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::{Anchored, Input};
use regex_syntax::hir::Look;

use super::tokens::{Token, is_abbreviation, tokenize_into};

const BOILERPLATE_TSV: &str = include_str!("../../../data/text/boilerplate.tsv");

/// What a boilerplate rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Drop,
    EndStory,
    StartStory,
}

#[derive(Debug)]
struct Rule {
    paragraph: bool,
    action: Action,
    regex: Regex,
    /// For a paragraph rule anchored at the paragraph's start (`^...`): the same pattern as
    /// a fully built DFA searched anchored there. Every paragraph is tested against every
    /// paragraph rule and nearly all fail within a few bytes, so the regex's per-search set-up
    /// would be most of the cost; this walk has none.
    start_dfa: Option<dense::DFA<Vec<u32>>>,
}

impl Rule {
    fn is_match(&self, text: &str) -> bool {
        if let Some(dfa) = &self.start_dfa {
            let input = Input::new(text).anchored(Anchored::Yes).earliest(true);
            // An error is the DFA giving up (a Unicode `\b` next to a non-ASCII character):
            // the regex decides then.
            if let Ok(found) = dfa.try_search_fwd(&input) {
                return found.is_some();
            }
        }
        self.regex.is_match(text)
    }
}

/// The DFA of a pattern that can match only at the start of the text (see [`Rule::start_dfa`]),
/// if it has a small one.
fn start_dfa(pattern: &str) -> Option<dense::DFA<Vec<u32>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    if !hir.properties().look_set_prefix().contains(Look::Start) {
        return None;
    }
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .unicode_word_boundary(true)
                .dfa_size_limit(Some(4 << 20))
                .determinize_size_limit(Some(4 << 20)),
        )
        .build(pattern)
        .ok()
}

/// The compiled boilerplate rules.
#[derive(Debug)]
pub struct Segmenter {
    rules: Vec<Rule>,
    /// The paragraph rules, in table order; the first that matches decides. Tried one by one:
    /// all but one are anchored at the paragraph start and fail within a few bytes, which is
    /// far cheaper than running them as one overlapping `RegexSet` over the whole paragraph.
    paragraph_rules: Vec<Rule>,
}

/// Why the built-in segmentation rules could not be compiled.
#[derive(Debug, thiserror::Error)]
#[error("data/text/boilerplate.tsv line {line}: {message}")]
pub struct SegmentRulesError {
    line: usize,
    message: String,
}

/// One sentence of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Byte range in the cleaned text.
    pub range: Range<usize>,
    /// Range into [`Segmented::tokens`].
    pub tokens: Range<usize>,
    /// Index of the story the sentence belongs to.
    pub story: usize,
    /// A headline or sub-heading (no final punctuation, short, title-cased).
    pub headline: bool,
}

/// The segmentation of one cleaned text.
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
    /// Byte ranges excluded from extraction (boilerplate).
    pub excluded: Vec<Range<usize>>,
    /// Number of stories.
    pub stories: usize,
}

impl Segmented {
    /// True when `[start, end)` overlaps boilerplate.
    /// `excluded` is sorted and non-overlapping, so this is a binary search.
    pub fn is_excluded(&self, start: usize, end: usize) -> bool {
        let i = self.excluded.partition_point(|r| r.end <= start);
        self.excluded.get(i).is_some_and(|r| r.start < end)
    }

    /// True when `[start, end)` lies entirely inside boilerplate.
    pub fn is_all_excluded(&self, start: usize, end: usize) -> bool {
        let i = self.excluded.partition_point(|r| r.end <= start);
        self.excluded
            .get(i)
            .is_some_and(|r| r.start <= start && end <= r.end)
    }
}

impl Segmenter {
    /// Compiles the built-in rules.
    pub fn builtin() -> Result<Segmenter, SegmentRulesError> {
        let mut rules: Vec<Rule> = Vec::new();
        for (n, line) in BOILERPLATE_TSV.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() || line.starts_with("scope\t") {
                continue;
            }
            let err = |message: String| SegmentRulesError {
                line: n + 1,
                message,
            };
            let mut cols = line.splitn(3, '\t');
            let (Some(scope), Some(action), Some(regex)) = (cols.next(), cols.next(), cols.next())
            else {
                return Err(err("expected 3 tab-separated columns".into()));
            };
            let action = match action {
                "drop" => Action::Drop,
                "end_story" => Action::EndStory,
                "start_story" => Action::StartStory,
                other => return Err(err(format!("unknown action {other:?}"))),
            };
            let paragraph = match scope {
                "paragraph" => true,
                "inline" => false,
                other => return Err(err(format!("unknown scope {other:?}"))),
            };
            let start_dfa = if paragraph { start_dfa(regex) } else { None };
            let regex = Regex::new(regex).map_err(|e| err(e.to_string()))?;
            rules.push(Rule {
                paragraph,
                action,
                regex,
                start_dfa,
            });
        }
        let (paragraph_rules, rules) = rules.into_iter().partition(|r| r.paragraph);
        Ok(Segmenter {
            rules,
            paragraph_rules,
        })
    }

    /// Segments a cleaned text.
    pub fn segment(&self, text: &str) -> Segmented {
        let mut seg = Segmented {
            tokens: Vec::with_capacity(text.len() / 5),
            ..Segmented::default()
        };
        let mut story = 0usize;
        let mut story_has_content = false;
        // After a story was closed by a sign-off we are reading a digest of short items.
        let mut digest = false;
        // The story was just closed by a sign-off: the next paragraph opens a new one.
        let mut closed = false;
        let mut story_names: HashSet<String> = HashSet::new();

        for para in paragraphs(text) {
            let ptext = &text[para.clone()];
            // Paragraph-level rules: the first rule that matches.
            let action = self
                .paragraph_rules
                .iter()
                .find(|r| r.is_match(ptext))
                .map(|r| r.action);
            match action {
                Some(Action::Drop) => {
                    seg.excluded.push(para.clone());
                    continue;
                }
                Some(Action::EndStory) => {
                    seg.excluded.push(para.clone());
                    if story_has_content {
                        digest = true;
                        closed = true;
                    }
                    continue;
                }
                _ => {}
            }
            // Inline rules: agency tags and sign-offs.
            let mut ends_story = false;
            for rule in &self.rules {
                for m in rule.regex.find_iter(ptext) {
                    seg.excluded
                        .push(para.start + m.start()..para.start + m.end());
                    if rule.action == Action::EndStory {
                        ends_story = true;
                    }
                }
            }
            let headline = is_headline(ptext);
            // Names matter only in a digest (after a sign-off), where they tell items apart.
            let names = if digest && !headline {
                capitalized_names(ptext)
            } else {
                Vec::new()
            };
            let new_story = story_has_content
                && (action == Some(Action::StartStory)
                    || (digest && !headline && (closed || !shares_names(&names, &story_names))));
            if new_story {
                story += 1;
                story_names.clear();
                closed = false;
            }
            story_names.extend(names);

            let first = seg.tokens.len();
            tokenize_into(text, para.start, para.end, &mut seg.tokens);
            split_sentences(text, first, &mut seg, story, headline);
            if !headline {
                story_has_content = true;
            }
            if ends_story {
                digest = true;
                closed = true;
            }
        }
        seg.stories = story + 1;
        // Sorted and merged, for binary search in `is_excluded`.
        seg.excluded.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(seg.excluded.len());
        for r in seg.excluded.drain(..) {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        seg.excluded = merged;
        seg
    }
}

/// Paragraphs: non-empty lines (news bodies use one line per paragraph).
fn paragraphs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    text.split_inclusive('\n')
        .scan(0usize, |pos, line| {
            let start = *pos;
            *pos += line.len();
            let trimmed_end = start + line.trim_end().len();
            let lead = line.len() - line.trim_start().len();
            Some(start + lead.min(trimmed_end - start)..trimmed_end)
        })
        .filter(|r| r.start < r.end)
}

/// Names in a paragraph: runs of capitalized words not at a sentence start ("United States",
/// "Volodymyr Zelensky"), a cheap stand-in for the actors a paragraph is about.
fn capitalized_names(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut sentence_start = true;
    for raw in p.split_whitespace() {
        let ends = raw.ends_with(['.', '!', '?']) && !raw.ends_with("U.S.");
        let breaks = ends || raw.ends_with([',', ';', ':', ')', '”', '"']);
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let w = w
            .strip_suffix("’s")
            .or_else(|| w.strip_suffix("'s"))
            .unwrap_or(w);
        let cap = w.chars().next().is_some_and(|c| c.is_uppercase());
        if cap && !sentence_start && !STOP_CAPS.contains(&w) {
            current.push(w);
        } else if !current.is_empty() {
            out.push(current.join(" "));
            current.clear();
        }
        if breaks && !current.is_empty() {
            out.push(current.join(" "));
            current.clear();
        }
        sentence_start = ends;
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

const STOP_CAPS: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "They",
    "Tuesday",
    "Monday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "President",
    "Minister",
    "Prime",
    "Foreign",
    "Secretary",
    "General",
    "Director",
    "National",
    "International",
];

/// Does a paragraph continue the story whose names are `story`? In a digest one shared name
/// ("United States") is coincidence; two, making up a third of the paragraph's names, is not.
fn shares_names(names: &[String], story: &HashSet<String>) -> bool {
    if names.is_empty() {
        return true;
    }
    let shared = names.iter().filter(|n| story.contains(*n)).count();
    shared >= 2 && shared * 3 >= names.len()
}

/// A heading: short, no sentence-final punctuation, most words capitalized.
fn is_headline(p: &str) -> bool {
    let t = p.trim();
    if t.ends_with(['.', '!', '?', '"', '”', ':', ';', ',']) {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.is_empty() || words.len() > 18 {
        return false;
    }
    let caps = words
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        })
        .count();
    caps * 2 >= words.len()
}

/// Splits the tokens `seg.tokens[first..]` of one paragraph into sentences.
fn split_sentences(text: &str, first: usize, seg: &mut Segmented, story: usize, headline: bool) {
    let n = seg.tokens.len();
    let mut start = first;
    let mut i = first;
    while i < n {
        let toks = &seg.tokens;
        let t = toks[i].text(text);
        let mut end_here = false;
        if matches!(t, "." | "!" | "?" | "..." | "…") {
            end_here = true;
        } else if t.ends_with('.') && t.len() > 1 && is_abbreviation(&t[..t.len() - 1]) {
            // "U.S." at the end of a sentence: ends only if a typical sentence opener follows.
            if let Some(next) = toks.get(i + 1) {
                let nt = next.text(text);
                end_here = SENTENCE_OPENERS.contains(&nt) && !TITLE_ABBREVIATIONS.contains(&t);
            }
        }
        if end_here {
            // Swallow closing quotes and brackets.
            let mut j = i + 1;
            while j < n && matches!(toks[j].text(text), "”" | "\"" | "’" | "'" | ")" | "]") {
                j += 1;
            }
            // Ends only if what follows starts like a sentence (capital, digit, quote).
            let next_ok = toks.get(j).is_none_or(|nt| {
                nt.text(text)
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_numeric() || "“\"‘'(".contains(c))
            });
            if next_ok {
                push_sentence(seg, start, j, story, headline);
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if start < n {
        push_sentence(seg, start, n, story, headline);
    }
}

/// The longest sentence we analyse, in tokens. Real sentences are far shorter; a run-on
/// "sentence" (a table, a list of names with no full stops) is cut into pieces of this size so
/// that per-sentence work (tagging, role assignment) stays linear in the length of the text.
pub const MAX_SENTENCE_TOKENS: usize = 200;

fn push_sentence(seg: &mut Segmented, from: usize, to: usize, story: usize, headline: bool) {
    let mut from = from;
    while from < to {
        let end = to.min(from + MAX_SENTENCE_TOKENS);
        let range = seg.tokens[from].start..seg.tokens[end - 1].end;
        seg.sentences.push(Sentence {
            range,
            tokens: from..end,
            story,
            headline,
        });
        from = end;
    }
}

const TITLE_ABBREVIATIONS: &[&str] = &[
    "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Gen.", "Col.", "Lt.", "Sgt.", "Capt.", "Gov.", "Sen.",
    "Rep.", "St.", "Adm.", "Maj.", "Hon.", "Rev.", "No.",
];
const SENTENCE_OPENERS: &[&str] = &[
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "In",
    "But",
    "And",
    "This",
    "That",
    "There",
    "On",
    "At",
    "As",
    "His",
    "Her",
    "Their",
    "Its",
    "Officials",
    "However",
    "Meanwhile",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A paragraph rule's start DFA says what its regex says.
    fn rules_agree(seg: &Segmenter, text: &str) -> Result<(), String> {
        for r in &seg.paragraph_rules {
            if r.is_match(text) != r.regex.is_match(text) {
                return Err(format!("{:?} on {text:?}", r.regex.as_str()));
            }
        }
        Ok(())
    }

    #[test]
    fn start_dfas_agree_with_their_regexes() {
        let seg = Segmenter::builtin().expect("builtin rules");
        assert!(
            seg.paragraph_rules.iter().any(|r| r.start_dfa.is_some()),
            "the anchored rules have DFAs"
        );
        for text in [
            "LEGAL WARNING: All rights reserved.",
            "Read more: the talks",
            "— Read also »",
            "Share Tweet Email",
            "(Reporting by Jane Doe; Editing by Ed)",
            "Reporting by Jane Doe",
            "---",
            "CAIRO (AP) — The talks",
            "ANKARA - The ministry said",
            "Reading more books",
            "Ελληνικά (AP) — read more",
            "«Read more» é",
            "Share é",
            "",
        ] {
            assert_eq!(rules_agree(&seg, text), Ok(()));
        }
        if let Some(articles) = crate::test_corpus::articles() {
            for a in &articles {
                for p in paragraphs(&a.text) {
                    assert_eq!(rules_agree(&seg, &a.text[p]), Ok(()));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn start_dfas_agree_on_any_paragraph(text in "[ -~é—»«]{0,30}") {
            static SEG: std::sync::LazyLock<Segmenter> =
                std::sync::LazyLock::new(|| Segmenter::builtin().expect("builtin rules"));
            prop_assert_eq!(rules_agree(&SEG, &text), Ok(()));
        }
    }

    fn sentences(text: &str) -> Vec<String> {
        let s = Segmenter::builtin().unwrap().segment(text);
        s.sentences
            .iter()
            .map(|x| text[x.range.clone()].to_string())
            .collect()
    }

    #[test]
    fn splits_around_abbreviations() {
        assert_eq!(
            sentences(
                "U.S. President Donald Trump met Dr. Smith on Nov. 25. He left. The U.S. The end."
            ),
            vec![
                "U.S. President Donald Trump met Dr. Smith on Nov. 25.",
                "He left.",
                "The U.S.",
                "The end."
            ]
        );
        assert_eq!(
            sentences("“We agree,” he said. J. R. Smith paid $3.5 million."),
            vec!["“We agree,” he said.", "J. R. Smith paid $3.5 million."]
        );
    }

    #[test]
    fn boilerplate_and_stories() {
        let text = "Kalın met Qatar's leaders in Cairo on Tuesday. (ILKHA)\n\
LEGAL WARNING: All rights of the published news are reserved by Agency A.Ş.\n\
The United Nations voiced concern over tensions between the United States and Venezuela.\n\
Ukraine is preparing for President Zelensky's visit to the United States in November.\n\
Read more: other things\n";
        let seg = Segmenter::builtin().unwrap().segment(text);
        let legal = text.find("LEGAL").unwrap();
        assert!(seg.is_excluded(legal, legal + 5));
        let tag = text.find("(ILKHA)").unwrap();
        assert!(seg.is_excluded(tag, tag + 7));
        let read = text.find("Read more").unwrap();
        assert!(seg.is_excluded(read, read + 4));
        let stories: Vec<usize> = seg
            .sentences
            .iter()
            .filter(|s| !seg.is_excluded(s.range.start, s.range.end))
            .map(|s| s.story)
            .collect();
        assert_eq!(stories, vec![0, 1, 2]);
    }

    #[test]
    fn plain_article_is_one_story() {
        let text = "Talks began in Cairo.\nThe United States said it would help.\nThe talks ended.";
        let seg = Segmenter::builtin().unwrap().segment(text);
        assert_eq!(seg.stories, 1);
        assert_eq!(seg.sentences.len(), 3);
    }
}
