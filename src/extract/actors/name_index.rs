//! The index of the gazetteer's names: finds every name that stands on word edges in a text.
//!
//! A name counts only where no word character touches either end of it, so a match can start
//! only at a word start and end only where a word ends (or at punctuation inside the text,
//! `U.S.`). The index therefore keeps, for every name, the prefixes of it that end at such an
//! edge ("al", "al-qaeda"; "u", "u.s", "u.s."), and walks from each word start of the text
//! through the edges that follow it, probing one prefix per edge and stopping at the first
//! one no name has. More than half the words of news text start no name, and for them a bit
//! test ends the walk.
//!
//! Written here rather than taken from a crate because it is the gazetteer's hot path and
//! its shape is ours. An Aho-Corasick automaton finds every name anywhere: one random probe
//! of a large array per byte of text, over ~35k names, and then the hits inside longer words
//! are thrown away. Probing per word start instead finds the same matches with far fewer
//! probes, and the index builds faster than the automaton (docs/performance.md has both).

use std::collections::HashMap;

use crate::extract::hash::FxBuild;

/// True for characters that make up words: a name must not touch one at either end.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// One prefix of a name that ends at a word edge (or a whole name).
#[derive(Debug)]
struct Node {
    text: Box<str>,
    /// The value of the name that is exactly this prefix, if one is.
    value: Option<u32>,
    /// Whether a longer name starts with this prefix.
    longer: bool,
    /// The next node whose text has the same hash (rare: 64-bit hashes).
    next: Option<u32>,
}

/// Bits of the first-word filter's index: 2^18 bits (32 KiB) for the ~15k words names start
/// with, so that a word that starts none (most words) costs one cache-resident bit test.
const FILTER_BITS: u32 = 18;

/// Names (keys, matched byte for byte) with a value each; see the module documentation.
#[derive(Debug)]
pub(crate) struct NameIndex {
    /// Hash of a node's text (see [`step`]) -> the first node with that hash.
    by_hash: HashMap<u64, u32, FxBuild>,
    nodes: Vec<Node>,
    /// One bit per hash of a name's first word (its prefix up to the first word edge).
    first_words: Vec<u64>,
}

/// Extends the hash of a text by one byte. The walk hashes the text as it scans it, so a
/// probe costs no second pass over the prefix.
#[inline]
fn step(h: u64, b: u8) -> u64 {
    (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Extends the hash `h` by `bytes`.
#[inline]
fn step_all(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| step(h, b))
}

fn hash(text: &str) -> u64 {
    step_all(0, text.as_bytes())
}

/// The first-word filter's bit of a hash: its top bits, the best mixed by the multiply.
#[inline]
fn filter_bit(h: u64) -> (usize, u64) {
    let bit = (h >> (64 - FILTER_BITS)) as usize;
    (bit / 64, 1 << (bit % 64))
}

impl NameIndex {
    /// The index of `names` (name, value); a name given twice keeps its last value. Empty
    /// names are left out: they cannot stand between word edges.
    pub fn new<'a>(names: impl IntoIterator<Item = (&'a str, u32)>) -> NameIndex {
        let mut index = NameIndex {
            by_hash: HashMap::default(),
            nodes: Vec::new(),
            first_words: vec![0; 1 << (FILTER_BITS - 6)],
        };
        for (name, value) in names {
            let mut edges = name
                .char_indices()
                .skip(1)
                .filter(|(_, c)| !is_word_char(*c))
                .map(|(end, _)| end)
                .peekable();
            let first_word = edges.peek().map_or(name, |&end| &name[..end]);
            if first_word.is_empty() {
                continue;
            }
            let (word, bit) = filter_bit(hash(first_word));
            index.first_words[word] |= bit;
            for end in edges {
                index.node_mut(&name[..end]).longer = true;
            }
            index.node_mut(name).value = Some(value);
        }
        index
    }

    /// The node of `text`, added if new.
    fn node_mut(&mut self, text: &str) -> &mut Node {
        let h = hash(text);
        let mut at = self.by_hash.get(&h).copied();
        let mut last = None;
        while let Some(k) = at {
            if &*self.nodes[k as usize].text == text {
                return &mut self.nodes[k as usize];
            }
            last = Some(k);
            at = self.nodes[k as usize].next;
        }
        let k = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node {
            text: text.into(),
            value: None,
            longer: false,
            next: None,
        });
        match last {
            Some(prev) => self.nodes[prev as usize].next = Some(k),
            None => {
                self.by_hash.insert(h, k);
            }
        }
        let end = self.nodes.len() - 1;
        &mut self.nodes[end]
    }

    /// The node of `text`, whose hash is `h`.
    #[inline]
    fn node(&self, text: &str, h: u64) -> Option<&Node> {
        let mut at = *self.by_hash.get(&h)?;
        loop {
            let node = self.nodes.get(at as usize)?;
            if &*node.text == text {
                return Some(node);
            }
            at = node.next?;
        }
    }

    /// The value of exactly `name`.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.node(name, hash(name)).and_then(|n| n.value)
    }

    /// Calls `found(start, end, value)` for every name in `text` with no word character
    /// touching it on either side, overlapping ones included, by start and then by end.
    pub fn find_at_word_edges(&self, text: &str, mut found: impl FnMut(usize, usize, u32)) {
        let mut i = 0;
        // `i` is a word start: the text's start, or just after a character that is not a
        // word character.
        while i < text.len() {
            let (word, len) = char_class_at(text, i);
            let (edge, edge_len) = self.walk(text, i, len, &mut found);
            // No word starts inside a word: go on past the edge character after it.
            i = if word { edge + edge_len } else { i + len };
        }
    }

    /// Reports the names starting at word start `start`, whose first character is `len`
    /// bytes long. Returns the first word edge after that character (where a character that
    /// is not a word character comes, or the text ends) and that character's length.
    fn walk(
        &self,
        text: &str,
        start: usize,
        len: usize,
        found: &mut impl FnMut(usize, usize, u32),
    ) -> (usize, usize) {
        let bytes = text.as_bytes();
        // The first character is part of every name here, word character or not.
        let mut h = step_all(0, bytes.get(start..start + len).unwrap_or_default());
        let (first_edge, first_len) = scan_word(text, start + len, &mut h);
        let (word, bit) = filter_bit(h);
        if self.first_words[word] & bit == 0 {
            return (first_edge, first_len);
        }
        let (mut end, mut edge_len) = (first_edge, first_len);
        while let Some(node) = text.get(start..end).and_then(|p| self.node(p, h)) {
            if let Some(value) = node.value {
                found(start, end, value);
            }
            if !node.longer || edge_len == 0 {
                break;
            }
            h = step_all(h, bytes.get(end..end + edge_len).unwrap_or_default());
            (end, edge_len) = scan_word(text, end + edge_len, &mut h);
        }
        (first_edge, first_len)
    }
}

/// Hashes the word characters from byte `from` on into `h`; returns where they stop (a
/// character that is not a word character, or the text's end) and the length of the
/// character there (0 at the end).
#[inline]
fn scan_word(text: &str, from: usize, h: &mut u64) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut end = from;
    while let Some(&b) = bytes.get(end) {
        // ASCII, nearly every byte, without `char_class_at`'s slicing: this loop hashes every
        // byte of every word start's first word.
        if b.is_ascii() {
            if !b.is_ascii_alphanumeric() {
                return (end, 1);
            }
            *h = step(*h, b);
            end += 1;
            continue;
        }
        let (word, len) = char_class_at(text, end);
        if !word {
            return (end, len);
        }
        *h = step_all(*h, bytes.get(end..end + len).unwrap_or_default());
        end += len;
    }
    (end, 0)
}

/// Whether the character at byte `i` of `text` is a word character, and its length in bytes.
/// `i` must be a character boundary inside the text.
#[inline]
fn char_class_at(text: &str, i: usize) -> (bool, usize) {
    match text.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => (b.is_ascii_alphanumeric(), 1),
        _ => match text.get(i..).and_then(|rest| rest.chars().next()) {
            Some(c) => (is_word_char(c), c.len_utf8()),
            // Not a boundary (never, from the callers): step one byte as a non-word.
            None => (false, 1),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every occurrence of every name with word edges on both sides, by brute force.
    fn brute_force(names: &[(&str, u32)], text: &str) -> Vec<(usize, usize, u32)> {
        let edge_before = |s: usize| {
            !text
                .get(..s)
                .and_then(|h| h.chars().next_back())
                .is_some_and(is_word_char)
        };
        let edge_after = |e: usize| {
            !text
                .get(e..)
                .and_then(|h| h.chars().next())
                .is_some_and(is_word_char)
        };
        // The last value of a name given twice, as the index keeps.
        let mut last: HashMap<&str, u32> = HashMap::new();
        for &(n, v) in names {
            if !n.is_empty() {
                last.insert(n, v);
            }
        }
        let mut out = Vec::new();
        for (s, _) in text.char_indices() {
            for (&n, &v) in &last {
                if text[s..].starts_with(n) && edge_before(s) && edge_after(s + n.len()) {
                    out.push((s, s + n.len(), v));
                }
            }
        }
        out.sort();
        out
    }

    fn index_find(names: &[(&str, u32)], text: &str) -> Vec<(usize, usize, u32)> {
        let index = NameIndex::new(names.iter().copied());
        let mut out = Vec::new();
        index.find_at_word_edges(text, |s, e, v| out.push((s, e, v)));
        out
    }

    #[test]
    fn finds_names_on_word_edges_only() {
        let names = [
            ("us", 0),
            ("u.s.", 1),
            ("u.s. army", 2),
            ("al-qaeda", 3),
            ("al", 4),
            ("new york", 5),
            ("new york city", 6),
        ];
        let text = "the u.s. army and al-qaeda met in new york city; thus business.";
        let found = index_find(&names, text);
        assert_eq!(found, brute_force(&names, text));
        let texts: Vec<&str> = found.iter().map(|&(s, e, _)| &text[s..e]).collect();
        assert_eq!(
            texts,
            [
                "u.s.",
                "u.s. army",
                "al",
                "al-qaeda",
                "new york",
                "new york city"
            ]
        );
        // Found by start, then by end.
        let starts: Vec<(usize, usize)> = found.iter().map(|&(s, e, _)| (s, e)).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(starts, sorted);
        assert_eq!(NameIndex::new(names).get("u.s."), Some(1));
        assert_eq!(NameIndex::new(names).get("u.s"), None);
    }

    #[test]
    fn non_ascii_words_are_words() {
        let names = [("kalin", 0), ("ankara", 1)];
        // "é" and "ı" are letters: no name touches them.
        let text = "ékalin ankaraı kalin, ankara";
        assert_eq!(index_find(&names, text), brute_force(&names, text));
        assert_eq!(index_find(&names, text).len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// The walk finds what a brute-force search over every position finds.
        #[test]
        fn index_matches_brute_force(
            names in proptest::collection::vec("[ab.é -]{0,6}", 1..12),
            text in "[ab.éı -]{0,40}",
        ) {
            let names: Vec<(&str, u32)> =
                names.iter().enumerate().map(|(k, n)| (n.as_str(), k as u32)).collect();
            prop_assert_eq!(index_find(&names, &text), brute_force(&names, &text));
        }
    }
}
