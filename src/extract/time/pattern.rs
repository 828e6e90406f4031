//! The vocabulary (`vocabulary.tsv`) and the named patterns (`patterns.tsv`) that rules refer
//! to as `%NAME`, and the normalizers that turn a captured phrase into a value piece.
//!
//! A vocabulary class is both a pattern (the alternation of its phrases) and a normalization
//! (phrase -> value), like HeidelTime's `repattern` and `normalization` resources in one file.

use std::collections::HashMap;

use crate::extract::hash::FxBuild;

/// The tables' maps, keyed by our own names and phrases and probed while tagging: FxHash.
type Map<V> = HashMap<String, V, FxBuild>;

use super::TimeRulesError;
use super::tables::{PATTERNS, Row, VOCABULARY, rows};

/// One vocabulary class: phrases, their values, and which phrases match case-sensitively.
#[derive(Debug, Default)]
pub(crate) struct Class {
    entries: Vec<(String, String, bool)>,
    /// Looked up for every captured phrase: FxHash (keys are our own table's).
    map: Map<String>,
}

/// How a captured phrase becomes the text a value template inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Normalizer {
    /// Look the phrase up in a vocabulary class.
    Vocab(String),
    /// A number from 0 to 99, zero-padded to two digits (`5th` -> `05`).
    Int2,
    /// A year: four digits kept, two digits (`'98`) completed around the reference year.
    Year,
    /// A number written in digits (`48`, `5 1/2`) or words (`twenty-five`, `a`, `several` -> `X`),
    /// word values from the named classes (`num:number_word+number_vague`).
    Num(Vec<String>),
    /// A decade (`1990s`, `'90s`) as its first three digits (`199`).
    Decade,
    /// An ordinal century (`20th`, `twentieth` via the named class) as TIMEX3 digits (`19`).
    Century(String),
    /// A year in words (`nineteen ninety-six` -> `1996`, `two thousand and five` -> `2005`),
    /// word values from the named class.
    YearWords(String),
    /// A clock time (`3:30 p.m.`, `15:30`, or a word of the named class such as `noon`) as
    /// 24-hour `HH:MM`.
    Clock(String),
    /// The phrase as written.
    Text,
}

/// A named pattern: its regex source (vocabulary references expanded) and its normalizer.
#[derive(Debug)]
pub(crate) struct PatternDef {
    pub regex: String,
    pub normalizer: Normalizer,
    /// When the pattern is only vocabulary classes (`@month`, `@a|@b`): the longest word of
    /// each phrase, lower-cased ("least" for "at least": a phrase cannot occur without it, and
    /// the longest word is the rarest), which the prefilter looks for with Aho-Corasick.
    pub first_words: Option<Vec<String>>,
    /// When the pattern is only vocabulary classes: the word each phrase starts with, lower
    /// case ("at" for "at least"), so that a rule starting with this pattern can be searched
    /// only where such a word starts (see [`leading_words`]).
    pub lead_words: Option<Vec<String>>,
}

/// Something a rule cannot match without, as the prefilter checks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Requirement {
    /// One of these words (lower case, matched case-insensitively at word edges).
    Words(Vec<String>),
    /// A match of this regex.
    Regex(String),
}

/// All vocabulary classes and named patterns.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub classes: Map<Class>,
    pub patterns: Map<PatternDef>,
}

/// Lower-cases and collapses runs of whitespace and hyphens to one space: the lookup key of a
/// phrase, so "Twenty-five", "twenty five" and "twenty\nfive" meet.
pub(crate) fn key(phrase: &str) -> String {
    let mut out = String::with_capacity(phrase.len());
    let mut gap = false;
    for c in phrase.chars() {
        if c.is_whitespace() || c == '-' {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// True for characters that make up words (letters and digits of any script).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Class {
    /// The regex alternation of this class's phrases, longest first so that leftmost-first
    /// matching prefers "September" over "Sept" over "Sep". Word ends get ASCII `\b`, which the
    /// DFA engines support on any haystack (Unicode `\b` would force the slow engine).
    fn alternation(&self) -> String {
        let mut phrases: Vec<&(String, String, bool)> = self.entries.iter().collect();
        phrases.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let mut alts = Vec::with_capacity(phrases.len());
        for (phrase, _, case_sensitive) in phrases {
            let mut re = String::new();
            if phrase.chars().next().is_some_and(is_word_char) {
                re.push_str(r"(?-u:\b)");
            }
            for (i, part) in phrase.split([' ', '-']).enumerate() {
                if i > 0 {
                    re.push_str(r"[\s\-]+");
                }
                re.push_str(&regex::escape(part));
            }
            if phrase.chars().last().is_some_and(is_word_char) {
                re.push_str(r"(?-u:\b)");
            }
            if *case_sensitive {
                alts.push(format!("(?-i:{re})"));
            } else {
                alts.push(re);
            }
        }
        format!("(?:{})", alts.join("|"))
    }

    /// The value of a phrase, if the class has it.
    pub fn get(&self, phrase: &str) -> Option<&str> {
        self.map.get(&key(phrase)).map(String::as_str)
    }
}

impl Lexicon {
    /// Loads the embedded vocabulary and pattern tables.
    pub fn builtin() -> Result<Lexicon, TimeRulesError> {
        Lexicon::from_tables(VOCABULARY, PATTERNS)
    }

    pub fn from_tables(vocabulary: &str, patterns: &str) -> Result<Lexicon, TimeRulesError> {
        let mut classes: Map<Class> = Map::default();
        for row in rows("vocabulary.tsv", vocabulary, 3)? {
            let class = classes.entry(row.get(0).to_string()).or_default();
            let phrase = row.get(1).to_string();
            let case_sensitive = match row.get(3) {
                "" => false,
                "cs" => true,
                other => {
                    return Err(table_error(
                        "vocabulary.tsv",
                        &row,
                        format!("unknown flag `{other}`; use `cs` (case-sensitive) or `-`"),
                    ));
                }
            };
            class.map.insert(key(&phrase), row.get(2).to_string());
            class
                .entries
                .push((phrase, row.get(2).to_string(), case_sensitive));
        }
        let mut defs = Map::default();
        for row in rows("patterns.tsv", patterns, 3)? {
            let regex = expand_vocab_refs(row.get(1), &classes)
                .map_err(|reason| table_error("patterns.tsv", &row, reason))?;
            let normalizer = parse_normalizer(row.get(2), &classes)
                .map_err(|reason| table_error("patterns.tsv", &row, reason))?;
            let first_words = vocab_only(row.get(1)).map(|names| {
                let mut words: Vec<String> = names
                    .iter()
                    .filter_map(|n| classes.get(*n))
                    .flat_map(|c| c.entries.iter())
                    .filter_map(|(phrase, _, _)| phrase.split([' ', '-']).max_by_key(|w| w.len()))
                    .map(str::to_lowercase)
                    .collect();
                words.sort();
                words.dedup();
                words
            });
            let lead_words = vocab_only(row.get(1)).and_then(|names| {
                let mut words = names
                    .iter()
                    .filter_map(|n| classes.get(*n))
                    .flat_map(|c| c.entries.iter())
                    .map(|(phrase, _, _)| leading_word(phrase))
                    .collect::<Option<Vec<String>>>()?;
                words.sort();
                words.dedup();
                Some(words)
            });
            defs.insert(
                row.get(0).to_string(),
                PatternDef {
                    regex,
                    normalizer,
                    first_words,
                    lead_words,
                },
            );
        }
        Ok(Lexicon {
            classes,
            patterns: defs,
        })
    }

    /// Normalizes a captured phrase. `None` when the phrase has no value (then the rule's
    /// match is dropped rather than given a wrong value).
    pub fn normalize(
        &self,
        normalizer: &Normalizer,
        phrase: &str,
        ref_year: Option<i32>,
    ) -> Option<String> {
        match normalizer {
            Normalizer::Text => Some(phrase.to_string()),
            Normalizer::Vocab(class) => self.classes.get(class)?.get(phrase).map(str::to_string),
            Normalizer::Int2 => {
                let digits: String = phrase.chars().take_while(char::is_ascii_digit).collect();
                let n: u32 = digits.parse().ok()?;
                (n <= 99).then(|| format!("{n:02}"))
            }
            Normalizer::Year => {
                let digits: String = phrase.chars().filter(char::is_ascii_digit).collect();
                match digits.len() {
                    4 => Some(digits),
                    2 => {
                        let yy: i32 = digits.parse().ok()?;
                        Some(format!("{:04}", complete_two_digit_year(yy, ref_year)))
                    }
                    _ => None,
                }
            }
            Normalizer::Decade => {
                let digits: String = phrase.chars().filter(char::is_ascii_digit).collect();
                match digits.len() {
                    4 => Some(digits[..3].to_string()),
                    2 => {
                        let yy: i32 = digits.parse().ok()?;
                        let year = complete_two_digit_year(yy, ref_year);
                        Some(format!("{:03}", year / 10))
                    }
                    _ => None,
                }
            }
            Normalizer::Century(class) => {
                let digits: String = phrase.chars().take_while(char::is_ascii_digit).collect();
                let n: u32 = if digits.is_empty() {
                    self.classes.get(class)?.get(phrase)?.parse().ok()?
                } else {
                    digits.parse().ok()?
                };
                (1..=99).contains(&n).then(|| format!("{:02}", n - 1))
            }
            Normalizer::Num(classes) => self.number(phrase, classes),
            Normalizer::YearWords(class) => {
                let k = key(phrase);
                let classes = std::slice::from_ref(class);
                let year = if k.starts_with("two thousand") {
                    self.number(&k, classes)?.parse::<u32>().ok()?
                } else {
                    let (head, rest) = k.split_once(' ')?;
                    let hundreds: u32 = self.classes.get(class)?.get(head)?.parse().ok()?;
                    let tail: u32 = self.number(rest, classes)?.parse().ok()?;
                    (tail < 100).then_some(hundreds * 100 + tail)?
                };
                (1000..=2999).contains(&year).then(|| year.to_string())
            }
            Normalizer::Clock(class) => {
                if let Some(v) = self.classes.get(class).and_then(|c| c.get(phrase)) {
                    return Some(v.to_string());
                }
                clock(phrase)
            }
        }
    }

    /// A number in digits or words; `X` for vague quantities ("several", "a few").
    fn number(&self, phrase: &str, classes: &[String]) -> Option<String> {
        let phrase = phrase.trim();
        if phrase.starts_with(|c: char| c.is_ascii_digit()) {
            // "48", "1,000", "2.5", "5 1/2"
            let mut parts = phrase.split_whitespace();
            let whole: String = parts.next()?.chars().filter(|c| *c != ',').collect();
            let mut n: f64 = whole.parse().ok()?;
            if let Some(frac) = parts.next()
                && let Some((a, b)) = frac.split_once('/')
            {
                let (a, b): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
                if b != 0.0 {
                    n += a / b;
                }
            }
            return Some(format_number(n));
        }
        let word = |w: &str| -> Option<&str> {
            classes
                .iter()
                .find_map(|c| self.classes.get(c).and_then(|class| class.get(w)))
        };
        if let Some(v) = word(phrase) {
            return Some(v.to_string());
        }
        // Compound number words: "twenty five", "two hundred", "one and a half".
        let mut total = 0.0;
        let mut current = 0.0;
        for w in key(phrase).split(' ') {
            if w == "and" {
                continue;
            }
            let v = word(w)?;
            if v == "X" {
                return Some("X".to_string());
            }
            let v: f64 = v.parse().ok()?;
            if v >= 100.0 {
                current = if current == 0.0 { v } else { current * v };
                if v >= 1000.0 {
                    total += current;
                    current = 0.0;
                }
            } else {
                current += v;
            }
        }
        Some(format_number(total + current))
    }
}

/// Two-digit years: the century that puts the year at most ten years after the reference
/// year ('98 in 2025 is 1998; '30 in 2025 is 2030); without a reference, 00-29 are 20xx.
fn complete_two_digit_year(yy: i32, ref_year: Option<i32>) -> i32 {
    match ref_year {
        Some(r) => {
            let century = r.div_euclid(100) * 100;
            let candidate = century + yy;
            if candidate > r + 10 {
                candidate - 100
            } else {
                candidate
            }
        }
        None if yy < 30 => 2000 + yy,
        None => 1900 + yy,
    }
}

/// `3:30 p.m.` -> `15:30`, `12 a.m.` -> `00:00`, `10.35am` -> `10:35`, `15:30` -> `15:30`.
fn clock(phrase: &str) -> Option<String> {
    let lower = phrase.to_lowercase();
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(lower.len());
    let (num, rest) = lower.split_at(digits_end);
    let num = num.trim_end_matches('.');
    let (h, m) = match num.split_once([':', '.']) {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (num.parse::<u32>().ok()?, 0),
    };
    let rest = rest.trim();
    let h = if rest.starts_with('p') {
        if h == 12 { 12 } else { h + 12 }
    } else if rest.starts_with('a') && h == 12 {
        0
    } else {
        h
    };
    (h <= 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn table_error(file: &'static str, row: &Row<'_>, reason: String) -> TimeRulesError {
    TimeRulesError::Table {
        file,
        line: row.line,
        reason,
    }
}

fn parse_normalizer(spec: &str, classes: &Map<Class>) -> Result<Normalizer, String> {
    let (kind, arg) = match spec.split_once(':') {
        Some((k, a)) => (k, Some(a)),
        None => (spec, None),
    };
    let class_arg = |arg: Option<&str>| -> Result<String, String> {
        let a = arg.ok_or_else(|| format!("normalizer `{kind}` needs a class: `{kind}:CLASS`"))?;
        if classes.contains_key(a) {
            Ok(a.to_string())
        } else {
            Err(format!("vocabulary class `{a}` is not in vocabulary.tsv"))
        }
    };
    Ok(match kind {
        "vocab" => Normalizer::Vocab(class_arg(arg)?),
        "num" => Normalizer::Num(
            arg.unwrap_or("")
                .split('+')
                .map(|c| class_arg(Some(c)))
                .collect::<Result<_, _>>()?,
        ),
        "century" => Normalizer::Century(class_arg(arg)?),
        "clock" => Normalizer::Clock(class_arg(arg)?),
        "yearwords" => Normalizer::YearWords(class_arg(arg)?),
        "int2" => Normalizer::Int2,
        "year" => Normalizer::Year,
        "decade" => Normalizer::Decade,
        "text" => Normalizer::Text,
        other => {
            return Err(format!(
                "unknown normalizer `{other}`; use vocab:CLASS, num:CLASS, century:CLASS, clock:CLASS, yearwords:CLASS, int2, year, decade or text"
            ));
        }
    })
}

/// The class names of a pattern made of vocabulary references only (`@a` or `@a|@b`).
fn vocab_only(src: &str) -> Option<Vec<&str>> {
    src.split('|')
        .map(|part| {
            let name = part.trim().strip_prefix('@')?;
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then_some(name)
        })
        .collect()
}

/// Replaces `@class` references in a pattern regex by the class alternation, and `\b` by the
/// ASCII word boundary: a Unicode `\b` makes the lazy DFA give up at the first non-ASCII byte
/// of a sentence (a curly quote, a dash) and the search fall back to a far slower engine.
fn expand_vocab_refs(src: &str, classes: &Map<Class>) -> Result<String, String> {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'b')) => out.push_str(r"(?-u:\b)"),
                Some((_, n)) => {
                    out.push(c);
                    out.push(n);
                }
                None => out.push(c),
            },
            '@' => {
                let mut name = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let class = classes
                    .get(&name)
                    .ok_or_else(|| format!("`@{name}` names no class of vocabulary.tsv"))?;
                out.push_str(&class.alternation());
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Expands a rule pattern into a regex: `<`..`>` mark the expression's span inside context
/// words (group `T`), `%NAME` (or `%NAME_2` for a second use) inserts a named pattern as a
/// capture group, a space matches any run of whitespace, and `\b` is the ASCII word boundary.
/// Returns the regex and the capture groups with their normalizers.
pub(crate) fn expand_rule_pattern(
    src: &str,
    lexicon: &Lexicon,
) -> Result<(String, Vec<(String, Normalizer)>), String> {
    let mut out = String::from("(?i)");
    let mut groups: Vec<(String, Normalizer)> = Vec::new();
    let mut chars = src.chars().peekable();
    let mut span_open = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => out.push_str(r"(?-u:\b)"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => return Err("pattern ends with a lone `\\`".to_string()),
            },
            '<' if !span_open => {
                out.push_str("(?P<T>");
                span_open = true;
            }
            '>' if span_open => {
                out.push(')');
                span_open = false;
            }
            ' ' => {
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                // "a ?b" means an optional space, not a lazy run of them.
                if matches!(chars.peek(), Some('?' | '*')) {
                    chars.next();
                    out.push_str(r"\s*");
                } else {
                    out.push_str(r"\s+");
                }
            }
            '%' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if name.is_empty() {
                    out.push('%'); // a literal percent sign ("5%")
                    continue;
                }
                let base = base_name(&name);
                let def = lexicon
                    .patterns
                    .get(base)
                    .ok_or_else(|| format!("`%{base}` names no pattern of patterns.tsv"))?;
                if groups.iter().any(|(g, _)| *g == name) {
                    return Err(format!(
                        "`%{name}` is used twice; write `%{name}_2` for the second"
                    ));
                }
                out.push_str(&format!("(?P<{name}>{})", def.regex));
                groups.push((name, def.normalizer.clone()));
            }
            _ => out.push(c),
        }
    }
    if span_open {
        return Err("`<` opens the expression span but no `>` closes it".to_string());
    }
    Ok((out, groups))
}

/// Literal words too frequent to be worth a trigger.
const COMMON_WORDS: &[&str] = &[
    "the", "and", "for", "per", "one", "this", "that", "with", "from",
];

/// What a rule cannot match without, as regexes: the literal words and named word patterns
/// (not numbers) that stand at the top level of the rule (not inside a group, not optional). Empty when the rule
/// has a top-level alternation or no such part; then the whole rule is its own requirement.
///
/// The prefilter runs one `RegexSet` of all requirements over a sentence and runs a rule only
/// when all of its requirements occur there ("%NUM %UNIT ago" needs a number, a unit and
/// "ago"). A set of the full rules would do in one pass, but its lazy DFA states are products
/// of many partial matches ("%NUM %UNIT", "%MODP %MONTH"...) and are slow to build; the
/// requirements are mostly word lists.
pub(crate) fn requirements_of(src: &str, lexicon: &Lexicon) -> Vec<Requirement> {
    let (mut out, numbers) = scan_requirements(src, lexicon);
    if out.is_empty()
        && let Some(n) = numbers.iter().max_by_key(|r| r.len())
    {
        out.push(Requirement::Regex(format!("(?i){n}")));
    }
    out.sort();
    out.dedup();
    out
}

/// Every number pattern a rule cannot match without (top level, not optional; numbers
/// joined by separators as one), as regex requirements. [`requirements_of`] leaves them out of
/// a rule that has words to require: each new regex would make the prefilter's regex set
/// slower. But a number another rule already requires costs nothing more there, and adding it
/// keeps a rule like "%MONTH %YEAR" off the many sentences that name a month and no year.
pub(crate) fn number_requirements(src: &str, lexicon: &Lexicon) -> Vec<Requirement> {
    let (_, numbers) = scan_requirements(src, lexicon);
    let mut out: Vec<Requirement> = numbers
        .iter()
        .map(|n| Requirement::Regex(format!("(?i){n}")))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The word requirements of a rule and the regexes of its number patterns (see
/// [`requirements_of`]).
fn scan_requirements(src: &str, lexicon: &Lexicon) -> (Vec<Requirement>, Vec<String>) {
    let chars: Vec<char> = src.chars().collect();
    let mut depth = 0usize;
    let mut out: Vec<Requirement> = Vec::new();
    // Number patterns: the stand-in of a rule with no word to require (the most specific
    // one, by the length of its regex, see `requirements_of`) and the rule's mandatory numbers
    // (`number_requirements`). Numbers joined by a slash, hyphen or colon ("%YEAR-%MM-%DD",
    // "%MM/%DD/%YY") also count together: any number is common in news, a run of them with
    // separators is not.
    let mut numbers: Vec<String> = Vec::new();
    // The run of joined numbers being read, and the index after its last number.
    let mut run: Vec<String> = Vec::new();
    let mut run_end: Option<usize> = None;
    let close_run = |run: &mut Vec<String>, numbers: &mut Vec<String>| {
        if run.len() >= 2 {
            numbers.push(run.concat());
        }
        run.clear();
    };
    let optional_at = |j: usize| matches!(chars.get(j), Some('?' | '*' | '{'));
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '(' if depth == 0 => {
                if let Some((words, end)) = word_group(&chars, i)
                    && !optional_at(end)
                {
                    out.push(Requirement::Words(words));
                    i = end;
                    continue;
                }
                depth += 1;
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return (Vec::new(), Vec::new()),
            '%' if depth == 0 => {
                let (base, j) = pattern_ref(&chars, i);
                if !optional_at(j)
                    && let Some(def) = lexicon.patterns.get(base.as_str())
                {
                    match (&def.first_words, &def.normalizer) {
                        (Some(words), _) => out.push(Requirement::Words(words.clone())),
                        (
                            None,
                            Normalizer::Clock(_) | Normalizer::Century(_) | Normalizer::Decade,
                        ) => {
                            out.push(Requirement::Regex(format!("(?i){}", def.regex)));
                        }
                        (None, _) => {
                            let piece = format!("(?:{})", def.regex);
                            let joined =
                                run_end.and_then(|e| chars.get(e..i)).and_then(|between| {
                                    match between {
                                        [c @ ('/' | '-' | ':')] => Some(*c),
                                        _ => None,
                                    }
                                });
                            match joined {
                                Some(sep) if !run.is_empty() => run.push(format!("{sep}{piece}")),
                                _ => {
                                    close_run(&mut run, &mut numbers);
                                    run.push(piece);
                                }
                            }
                            run_end = Some(j);
                            numbers.push(def.regex.clone());
                        }
                    }
                }
                i = j;
                continue;
            }
            c if depth == 0 && c.is_ascii_alphabetic() && (i == 0 || chars[i - 1] != '\\') => {
                let mut j = i;
                while j < chars.len() && chars[j].is_ascii_alphabetic() {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect::<String>().to_lowercase();
                let bounded = j >= chars.len() || !chars[j].is_ascii_alphanumeric();
                if bounded
                    && !optional_at(j)
                    && word.len() >= 3
                    && !COMMON_WORDS.contains(&word.as_str())
                {
                    out.push(Requirement::Words(vec![word]));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    close_run(&mut run, &mut numbers);
    (out, numbers)
}

/// The pattern a `%NAME` reference names: `NAME_2` is a second use of `NAME`.
fn base_name(name: &str) -> &str {
    match name.rsplit_once('_') {
        Some((b, n)) if !n.is_empty() && n.bytes().all(|d| d.is_ascii_digit()) => b,
        _ => name,
    }
}

/// The base name of the `%NAME` reference at `chars[at]` and the index after it.
fn pattern_ref(chars: &[char], at: usize) -> (String, usize) {
    let end = at
        + 1
        + chars
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .count();
    let name: String = chars.get(at + 1..end).unwrap_or_default().iter().collect();
    (base_name(&name).to_string(), end)
}

/// The ASCII letters and digits a phrase starts with, lower case; `None` when it starts
/// with anything else.
fn leading_word(phrase: &str) -> Option<String> {
    let end = phrase
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(phrase.len());
    (end > 0).then(|| phrase[..end].to_ascii_lowercase())
}

/// The words every match of a rule starts with, lower case: the phrases' first words for a
/// rule that starts with a vocabulary pattern ("%MONTH %DAY"), the word itself for one that
/// starts with a literal word ("the past %UNIT"), the first word of each alternative for one
/// that starts with a group of them ("(?:every|each) %UNIT"). `None` when a match may start
/// otherwise: with a number, an optional part, a character class, or when the rule has a
/// top-level alternation.
///
/// The tagger then runs such a rule anchored at the places one of these words starts instead
/// of scanning the whole sentence: a few short anchored searches touch a handful of DFA states
/// where a scan walks (and first builds) the states of every partial match in the sentence.
/// The places must be a superset of where a match can start, so that the matches are the
/// scan's: the words are found case-insensitively, and anywhere unless
/// [`Leading::word_start`] says every match starts at a word start.
pub(crate) fn leading_words(src: &str, lexicon: &Lexicon) -> Option<Leading> {
    let chars: Vec<char> = src.chars().collect();
    if has_top_level_alternation(&chars) {
        return None;
    }
    let optional_at = |j: usize| matches!(chars.get(j), Some('?' | '*' | '{'));
    let mut i = 0;
    // The span mark and a word boundary match no text.
    loop {
        match chars.get(i..) {
            Some(['<', ..]) => i += 1,
            Some(['\\', 'b', ..]) => i += 2,
            _ => break,
        }
    }
    // The letters of a literal word starting at `j` that a match must contain (the last one
    // is dropped when optional: "years?"), and the index after them.
    let literal = |j: usize| -> Option<(String, usize)> {
        let end = j + chars
            .get(j..)?
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let keep = if optional_at(end) { end - 1 } else { end };
        (keep > j).then(|| {
            (
                chars[j..keep].iter().collect::<String>().to_lowercase(),
                end,
            )
        })
    };
    // Vocabulary phrases start with an ASCII `\b` (see `Class::alternation`); a literal in a
    // rule has none: "the past" also matches in "bathe past".
    let word_start = chars.get(i) == Some(&'%');
    let mut words = match chars.get(i)? {
        '%' => {
            let (base, j) = pattern_ref(&chars, i);
            if optional_at(j) {
                return None;
            }
            lexicon.patterns.get(base.as_str())?.lead_words.clone()?
        }
        c if c.is_ascii_alphabetic() => vec![literal(i)?.0],
        '(' => {
            let inner_start = match chars.get(i + 1..)? {
                ['?', ':', ..] => i + 3,
                ['?', '-', 'i', ':', ..] | ['?', 'i', '-', ':', ..] => i + 5,
                ['?', 'i', ':', ..] => i + 4,
                _ => return None,
            };
            let close = closing_paren(&chars, i)?;
            if optional_at(close + 1) {
                return None;
            }
            let mut words = Vec::new();
            for (a, _) in top_level_alternatives(&chars, inner_start, close) {
                words.push(literal(a)?.0);
            }
            words
        }
        _ => return None,
    };
    words.sort();
    words.dedup();
    Some(Leading { words, word_start })
}

/// What a sentence must contain for a regex to match in it: one of `words` (ASCII letters,
/// lower case, found ASCII case-insensitively; every match starts with one) or, when `digit`,
/// an ASCII digit. The tagger runs the regex requirements only on a sentence that has one of
/// these: most sentences have no digit and no clock, century or year word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Gate {
    pub words: Vec<String>,
    pub digit: bool,
}

/// The [`Gate`] of the regex `src` (parsed with Unicode classes or not, as it was compiled):
/// the words or digit every match starts with, else a digit when every match contains one.
/// `None` when neither is certain (a match may start with punctuation or a one-letter word,
/// may be empty), or `src` does not parse.
pub(crate) fn gate_of(src: &str, unicode: bool) -> Option<Gate> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(unicode)
        .build()
        .parse(src)
        .ok()?;
    start_gate(&hir).or_else(|| {
        needs_digit(&hir).then(|| Gate {
            words: Vec::new(),
            digit: true,
        })
    })
}

/// The code points a class matches, as ranges (bytes for a byte class).
fn class_ranges(c: &regex_syntax::hir::Class) -> Vec<(u32, u32)> {
    use regex_syntax::hir::Class;
    match c {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    }
}

/// True when a class matches ASCII digits only.
fn only_digits(c: &regex_syntax::hir::Class) -> bool {
    let ranges = class_ranges(c);
    !ranges.is_empty()
        && ranges
            .iter()
            .all(|&(lo, hi)| lo >= u32::from(b'0') && hi <= u32::from(b'9'))
}

/// True when every match of `h` contains an ASCII digit.
fn needs_digit(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.iter().any(u8::is_ascii_digit),
        HirKind::Class(c) => only_digits(c),
        HirKind::Repetition(r) => r.min >= 1 && needs_digit(&r.sub),
        HirKind::Capture(c) => needs_digit(&c.sub),
        HirKind::Concat(hs) => hs.iter().any(needs_digit),
        HirKind::Alternation(hs) => hs.iter().all(needs_digit),
    }
}

/// The words or digit every match of `hir` starts with (see [`gate_of`]).
fn start_gate(hir: &regex_syntax::hir::Hir) -> Option<Gate> {
    use regex_syntax::hir::{Hir, HirKind};
    /// The ASCII letter (lower case) a one-character node matches, case-insensitively or
    /// not: a literal letter, or a class of just its two cases.
    fn letter(h: &Hir) -> Option<u8> {
        match h.kind() {
            HirKind::Literal(lit) if lit.0.len() == 1 && lit.0[0].is_ascii_alphabetic() => {
                Some(lit.0[0].to_ascii_lowercase())
            }
            HirKind::Class(c) => match class_ranges(c)[..] {
                // Two one-character ranges: `[Mm]`.
                [(a, a2), (b, b2)] if a == a2 && b == b2 => {
                    let (a, b) = (u8::try_from(a).ok()?, u8::try_from(b).ok()?);
                    (a.is_ascii_alphabetic() && a != b && a.eq_ignore_ascii_case(&b))
                        .then(|| a.to_ascii_lowercase())
                }
                _ => None,
            },
            _ => None,
        }
    }
    fn is_digit_class(h: &Hir) -> bool {
        match h.kind() {
            HirKind::Literal(lit) => lit.0.first().is_some_and(u8::is_ascii_digit),
            HirKind::Class(c) => only_digits(c),
            _ => false,
        }
    }
    /// The gate of the sequence `hs` (a concatenation, read from its start).
    fn seq(hs: &[Hir]) -> Option<Gate> {
        let mut i = 0;
        // Zero-width assertions (`\b`, `^`) match no text.
        while hs
            .get(i)
            .is_some_and(|h| matches!(h.kind(), HirKind::Look(_)))
        {
            i += 1;
        }
        let first = hs.get(i)?;
        if is_digit_class(first) {
            return Some(Gate {
                words: Vec::new(),
                digit: true,
            });
        }
        if let HirKind::Literal(lit) = first.kind() {
            // A literal of several characters: its leading letters.
            let word: String = lit
                .0
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .map(|b| char::from(b.to_ascii_lowercase()))
                .collect();
            if lit.0.len() > 1 {
                return (word.len() >= 2).then(|| Gate {
                    words: vec![word],
                    digit: false,
                });
            }
        }
        if letter(first).is_some() {
            let word: String = hs[i..].iter().map_while(letter).map(char::from).collect();
            return (word.len() >= 2).then(|| Gate {
                words: vec![word],
                digit: false,
            });
        }
        match first.kind() {
            // An optional start ("0?[1-9]"): either it or what follows it starts the match.
            HirKind::Repetition(r) if r.min == 0 => union([one(&r.sub), seq(&hs[i + 1..])]),
            HirKind::Literal(_) | HirKind::Class(_) => None,
            _ => one(first),
        }
    }
    fn union(gates: impl IntoIterator<Item = Option<Gate>>) -> Option<Gate> {
        let mut gate = Gate::default();
        for g in gates {
            let g = g?;
            gate.words.extend(g.words);
            gate.digit |= g.digit;
        }
        gate.words.sort();
        gate.words.dedup();
        Some(gate)
    }
    fn one(h: &Hir) -> Option<Gate> {
        match h.kind() {
            HirKind::Concat(hs) => seq(hs),
            HirKind::Capture(c) => one(&c.sub),
            HirKind::Repetition(r) if r.min >= 1 => one(&r.sub),
            HirKind::Alternation(hs) => union(hs.iter().map(one)),
            HirKind::Literal(_) | HirKind::Class(_) => seq(std::slice::from_ref(h)),
            _ => None,
        }
    }
    one(hir)
}

/// What every match of a rule starts with (see [`leading_words`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leading {
    /// One of these words, lower case.
    pub words: Vec<String>,
    /// Always at an ASCII word start (no ASCII letter, digit or `_` before it).
    pub word_start: bool,
}

/// Whether a pattern has a `|` outside every group and character class.
fn has_top_level_alternation(chars: &[char]) -> bool {
    top_level_alternatives(chars, 0, chars.len()).len() > 1
}

/// The alternatives of `chars[from..to]` split at the `|` of its own level, as `(start, end)`.
fn top_level_alternatives(chars: &[char], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut depth, mut in_class, mut start, mut i) = (0usize, false, from, from);
    while i < to {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                out.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push((start, to));
    out
}

/// The index of the `)` closing the group opened at `chars[open]`.
fn closing_paren(chars: &[char], open: usize) -> Option<usize> {
    let (mut depth, mut in_class, mut i) = (0usize, false, open);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A group `(?:a|b c|d)` of plain words starting at `chars[open]`: the longest word of each
/// alternative, and the index after the closing parenthesis. `None` when the group holds
/// anything else, or a word too short or common to be worth looking for.
fn word_group(chars: &[char], open: usize) -> Option<(Vec<String>, usize)> {
    if chars.get(open + 1..open + 3)? != ['?', ':'] {
        return None;
    }
    let close = open + 3 + chars.get(open + 3..)?.iter().position(|&c| c == ')')?;
    let inner: String = chars.get(open + 3..close)?.iter().collect();
    let mut words = Vec::new();
    for alt in inner.split('|') {
        if alt.is_empty() || !alt.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') {
            return None;
        }
        let longest = alt.split(' ').max_by_key(|w| w.len())?.to_lowercase();
        if longest.len() < 3 || COMMON_WORDS.contains(&longest.as_str()) {
            return None;
        }
        words.push(longest);
    }
    words.sort();
    words.dedup();
    Some((words, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_say_what_a_match_needs() {
        let gate = |src: &str| gate_of(src, false);
        let words = |ws: &[&str], digit: bool| {
            Some(Gate {
                words: ws.iter().map(|w| w.to_string()).collect(),
                digit,
            })
        };
        assert_eq!(gate(r"(?i)(?:1[89]|20)[0-9]{2}\b"), words(&[], true));
        assert_eq!(
            gate(r"(?i)\b(?:midnight|noon)\b|(?:0?[1-9]):[0-5][0-9]"),
            words(&["midnight", "noon"], true)
        );
        assert_eq!(gate(r"(?-i:March (?:for|of))"), words(&["march"], false));
        // Not at the start, but every match has a digit somewhere.
        assert_eq!(gate(r"(?:\$|€) ?[0-9]+"), words(&[], true));
        assert_eq!(gate(r"'[0-9]{2}"), words(&[], true));
        // A match may start with anything, or be empty.
        assert_eq!(gate(r"[a-z]+ ago"), None);
        assert_eq!(gate(r"(?i)a (?:year|month)"), None);
        assert_eq!(gate(r"x*"), None);
        assert_eq!(gate("("), None);
        // In Unicode mode "s" also folds to the long s, which a search for "second" misses.
        assert_eq!(gate_of(r"(?i)second|third", true), None);
        assert_eq!(
            gate_of(r"(?i)second|third", false),
            words(&["second", "third"], false)
        );
    }

    fn lex() -> Lexicon {
        Lexicon::from_tables(
            "month\tjanuary\t01\nmonth\tjan.\t01\nmonth\tMay\t05\tcs\nnumber\tone\t1\nnumber\ttwenty\t20\nnumber\tfive\t5\nnumber\tseveral\tX\nnumber\thundred\t100\n",
            "MONTH\t@month\tvocab:month\nNUM\t[0-9]+|@number\tnum:number\nYEAR\t[0-9]{4}\tyear\n",
        )
        .unwrap()
    }

    #[test]
    fn keys_collapse_case_space_hyphen() {
        assert_eq!(key("Twenty-Five"), "twenty five");
        assert_eq!(key(" a\n  b "), "a b");
    }

    #[test]
    fn numbers_in_words_and_digits() {
        let l = lex();
        let n = Normalizer::Num(vec!["number".into()]);
        assert_eq!(l.normalize(&n, "twenty-five", None).as_deref(), Some("25"));
        assert_eq!(l.normalize(&n, "twenty five", None).as_deref(), Some("25"));
        assert_eq!(
            l.normalize(&n, "five hundred", None).as_deref(),
            Some("500")
        );
        assert_eq!(l.normalize(&n, "several", None).as_deref(), Some("X"));
        assert_eq!(l.normalize(&n, "5 1/2", None).as_deref(), Some("5.5"));
        assert_eq!(l.normalize(&n, "1,000", None).as_deref(), Some("1000"));
    }

    #[test]
    fn years_in_words() {
        let l = lex();
        let n = Normalizer::YearWords("number".into());
        assert_eq!(l.normalize(&n, "nineteen ninety-six", None), None); // "nineteen" unknown here
        let l2 = Lexicon::from_tables(
            "w\tnineteen\t19\nw\tninety\t90\nw\tsix\t6\nw\ttwo\t2\nw\tthousand\t1000\nw\tfive\t5\n",
            "",
        )
        .unwrap();
        let n = Normalizer::YearWords("w".into());
        assert_eq!(
            l2.normalize(&n, "nineteen ninety-six", None).as_deref(),
            Some("1996")
        );
        assert_eq!(
            l2.normalize(&n, "Two thousand and five", None).as_deref(),
            Some("2005")
        );
        assert_eq!(l2.normalize(&n, "nineteen", None), None);
    }

    #[test]
    fn clock_times() {
        assert_eq!(clock("3:30 p.m.").as_deref(), Some("15:30"));
        assert_eq!(clock("12 a.m.").as_deref(), Some("00:00"));
        assert_eq!(clock("10.35am").as_deref(), Some("10:35"));
        assert_eq!(clock("15:30").as_deref(), Some("15:30"));
        assert_eq!(clock("99:99"), None);
    }

    #[test]
    fn years_and_decades() {
        let l = lex();
        assert_eq!(
            l.normalize(&Normalizer::Year, "'98", Some(2025)).as_deref(),
            Some("1998")
        );
        assert_eq!(
            l.normalize(&Normalizer::Year, "'30", Some(2025)).as_deref(),
            Some("2030")
        );
        assert_eq!(
            l.normalize(&Normalizer::Decade, "1990s", None).as_deref(),
            Some("199")
        );
        assert_eq!(
            l.normalize(&Normalizer::Int2, "5th", None).as_deref(),
            Some("05")
        );
    }

    #[test]
    fn requirements_are_mandatory_words_and_classes() {
        let l = lex();
        let month = Requirement::Words(vec!["jan.".into(), "january".into(), "may".into()]);
        assert_eq!(requirements_of("in <%MONTH_2>", &l), vec![month.clone()]);
        assert_eq!(requirements_of("%NUM %MONTH", &l), vec![month.clone()]);
        let year = Requirement::Regex(format!("(?i){}", l.patterns["YEAR"].regex));
        assert_eq!(requirements_of("(?:%MONTH )?%YEAR", &l), vec![year]);
        assert_eq!(
            requirements_of("the (?:latest|most recent) (?:quarter|period)s?", &l),
            vec![
                Requirement::Words(vec!["latest".into(), "recent".into()]),
                Requirement::Words(vec!["period".into(), "quarter".into()]),
            ]
        );
        assert!(requirements_of("(?:in|since) <%YEAR>", &l).len() == 1);
        assert!(requirements_of("today|%MONTH", &l).is_empty());
        let ago = requirements_of("%MONTH ago(?:ne)? the", &l);
        assert_eq!(
            ago,
            vec![Requirement::Words(vec!["ago".into()]), month.clone()]
        );
        assert_eq!(requirements_of("%MONTH agos?", &l), vec![month]);
    }

    #[test]
    fn number_requirements_are_every_mandatory_number() {
        let l = Lexicon::builtin().expect("builtin tables");
        let re = |name: &str| Requirement::Regex(format!("(?i){}", l.patterns[name].regex));
        let mut want = vec![re("DAY"), re("YEAR")];
        want.sort();
        assert_eq!(number_requirements("%MONTH %DAY,? %YEAR", &l), want);
        // Optional, inside a group, or in a top-level alternation: not required.
        assert_eq!(
            number_requirements("%MONTH(?: %DAY)?,? %YEAR", &l),
            vec![re("YEAR")]
        );
        assert_eq!(number_requirements("%MONTH (?:%DAY|%YEAR)", &l), vec![]);
        assert_eq!(number_requirements("%MONTH %DAY|%YEAR", &l), vec![]);
        // Words are not numbers.
        assert_eq!(number_requirements("%MONTH ago", &l), vec![]);
    }

    #[test]
    fn joined_numbers_stand_in_together() {
        let l = Lexicon::builtin().expect("builtin tables");
        let re = |name: &str| format!("(?:{})", l.patterns[name].regex);
        let joined = |parts: &[&str]| Requirement::Regex(format!("(?i){}", parts.concat()));
        assert_eq!(
            requirements_of(r"\b%YEAR-%MM-%DD\b", &l),
            vec![joined(&[&re("YEAR"), "-", &re("MM"), "-", &re("DD")])]
        );
        assert_eq!(
            requirements_of(r"\b%MM/%DD/%YY", &l),
            vec![joined(&[&re("MM"), "/", &re("DD"), "/", &re("YY")])]
        );
        // A separator that is optional, or more than one character, ends the run: the most
        // specific single number stands in.
        let year = Requirement::Regex(format!("(?i){}", l.patterns["YEAR"].regex));
        assert_eq!(requirements_of(r"%MM-?%YEAR", &l), vec![year.clone()]);
        assert_eq!(requirements_of(r"%MM, %YEAR", &l), vec![year]);
        // Every match of the rule contains a match of its stand-in.
        for (rule, text) in [
            (r"\b%YEAR-%MM-%DD\b", "on 2025-11-25."),
            (r"\b%MM/%DD/%YY", "on 11/25/25,"),
            (r"\b%MM/%DD/%YEAR", "(11/25/2025)"),
        ] {
            let (src, _) = expand_rule_pattern(rule, &l).expect("rule");
            assert!(regex::Regex::new(&src).expect("regex").is_match(text));
            for need in requirements_of(rule, &l) {
                let Requirement::Regex(r) = need else {
                    panic!("{rule}: a number rule needs a regex")
                };
                assert!(regex::Regex::new(&r).expect("regex").is_match(text), "{r}");
            }
        }
    }

    #[test]
    fn leading_words_are_where_every_match_starts() {
        let l = lex();
        let words = |v: &[&str]| {
            Some(Leading {
                words: v.iter().map(|w| w.to_string()).collect(),
                word_start: false,
            })
        };
        let month = Some(Leading {
            words: vec!["jan".into(), "january".into(), "may".into()],
            word_start: true,
        });
        assert_eq!(leading_words("%MONTH %YEAR", &l), month);
        assert_eq!(leading_words("<%MONTH_2> %YEAR", &l), month);
        assert_eq!(leading_words("\\b%MONTH", &l), month);
        assert_eq!(leading_words("\\bthe", &l), words(&["the"]));
        assert_eq!(leading_words("the (?:past|last) %NUM", &l), words(&["the"]));
        assert_eq!(leading_words("years? ago", &l), words(&["year"]));
        assert_eq!(
            leading_words("(?:every|each|per) %MONTH", &l),
            words(&["each", "every", "per"])
        );
        assert_eq!(
            leading_words("(?-i:March (?:for|of))", &l),
            words(&["march"])
        );
        // A number, an optional part, a class or an alternation can start a match.
        assert_eq!(leading_words("%NUM %MONTH", &l), None);
        assert_eq!(leading_words("%MONTH? %YEAR", &l), None);
        assert_eq!(leading_words("(?:the )?%MONTH", &l), None);
        assert_eq!(leading_words("(?:once|[a-z]+ times) a", &l), None);
        assert_eq!(leading_words("today|%MONTH", &l), None);
        assert_eq!(leading_words("[0-9]+ %MONTH", &l), None);
    }

    #[test]
    fn pattern_word_boundaries_are_ascii() {
        let l = Lexicon::from_tables("", "Y\t[0-9]{4}\\b\tyear\n").unwrap();
        assert_eq!(l.patterns["Y"].regex, r"[0-9]{4}(?-u:\b)");
    }

    #[test]
    fn rule_patterns_expand() {
        let l = lex();
        let (re, groups) = expand_rule_pattern("in <%MONTH %YEAR>", &l).unwrap();
        let re = regex::Regex::new(&re).unwrap();
        let c = re.captures("held in Jan. 1998 and").unwrap();
        assert_eq!(&c["T"], "Jan. 1998");
        assert_eq!(groups.len(), 2);
        assert!(
            re.captures("in may 1998").is_none(),
            "May is case-sensitive"
        );
        let (re, _) = expand_rule_pattern("a ?b", &l).unwrap();
        let re = regex::Regex::new(&re).unwrap();
        assert!(re.is_match("ab") && re.is_match("a  b"));
        assert!(expand_rule_pattern("%NOPE", &l).is_err());
        assert!(expand_rule_pattern("<%MONTH", &l).is_err());
        assert!(expand_rule_pattern("%MONTH %MONTH", &l).is_err());
    }
}
