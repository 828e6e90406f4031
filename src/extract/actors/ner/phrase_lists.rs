//! Phrase lists (countries, cities, office holders, organisations) used as tagger features.
//!
//! The lists live in `data/ner/gazetteer.tsv` (derived from the MIT-licensed PETRARCH2
//! dictionaries by `tools/ner/build_gazetteer.py`) and are matched case-insensitively over the
//! token sequence. Membership is only a *feature*: the perceptron learns how far to trust it,
//! so ambiguous entries ("turkey", "chase") do no harm in lower-case text.

use crate::extract::hash::IdMap;

use super::features::{PHRASE_SEED, TokenFacts, lower_hash, phrase_extend};

/// The list names, in bit order.
pub const LISTS: &[&str] = &["loc", "per", "surname", "given", "org", "country"];

/// Longest phrase matched, in tokens.
pub const MAX_PHRASE: usize = 5;

/// Bit set on a phrase-hash entry that is a proper prefix of a longer phrase.
const PREFIX: u8 = 0x80;

/// Bits of the presence filter: 128 KiB, for ~10^5 phrase hashes (a few percent of absent
/// hashes pass), small enough to stay in the L2 cache.
const FILTER_BITS: u32 = 20;

/// Case-insensitive multi-word phrase matcher over token hashes.
#[derive(Default)]
pub struct PhraseLists {
    /// phrase hash -> bit set of lists (bit i = `LISTS[i]`), plus [`PREFIX`].
    phrases: IdMap<u64, u8>,
    /// A bit per key of `phrases` (top bits of the hash): most tokens start no phrase and
    /// most phrase starts extend no further, and one bit test in a table that stays cached
    /// turns those hashes away before a probe of the phrase map, which is too large for the
    /// cache. Empty when no phrase is loaded.
    present: Vec<u64>,
}

/// The phrases of `phrase<TAB>list` lines, as tokens, with their list's bit (see
/// [`PhraseLists::from_tsv`] for what is skipped).
fn phrase_rows(tsv: &str) -> impl Iterator<Item = (Vec<&str>, usize)> {
    tsv.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (phrase, list) = line.split_once('\t')?;
            let bit = LISTS.iter().position(|l| *l == list.trim())?;
            let toks: Vec<&str> = phrase.split_whitespace().collect();
            (!toks.is_empty() && toks.len() <= MAX_PHRASE).then_some((toks, bit))
        })
}

/// The word and bit of a phrase hash in [`PhraseLists::present`].
#[inline]
fn filter_bit(phrase_hash: u64) -> (usize, u64) {
    let b = (phrase_hash >> (64 - FILTER_BITS)) as usize;
    (b / 64, 1 << (b % 64))
}

impl PhraseLists {
    /// The lists shipped with the crate.
    pub fn builtin() -> PhraseLists {
        PhraseLists::from_tsv(include_str!("../../../../data/ner/gazetteer.tsv"))
    }

    /// Parses `phrase<TAB>list` lines; `#` comments, blank lines and unknown lists are skipped.
    pub fn from_tsv(tsv: &str) -> PhraseLists {
        let mut phrases: IdMap<u64, u8> = IdMap::default();
        for (toks, bit) in phrase_rows(tsv) {
            let mut h = PHRASE_SEED;
            for (k, t) in toks.iter().enumerate() {
                h = phrase_extend(h, lower_hash(t));
                let e = phrases.entry(h).or_insert(0);
                if k + 1 < toks.len() {
                    *e |= PREFIX;
                } else {
                    *e |= 1 << bit;
                }
            }
        }
        let mut present = Vec::new();
        if !phrases.is_empty() {
            present = vec![0u64; 1 << (FILTER_BITS - 6)];
            for &h in phrases.keys() {
                let (word, bit) = filter_bit(h);
                present[word] |= bit;
            }
        }
        PhraseLists { phrases, present }
    }

    /// Number of distinct phrase-hash entries (full phrases and prefixes).
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// True when no phrase is loaded.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The entry of the one-word phrase of a token whose lower-case hash is `lower`: its lists
    /// and `PREFIX` bits, 0 when no phrase starts with the word. The tagger works this out
    /// once per frequent word ([`TokenCodes::gaz_head`](super::features::TokenCodes::gaz_head)): most tokens are such words, and the
    /// probe of the presence filter and the phrase map then leaves the path of each token.
    pub fn head(&self, lower: u64) -> u8 {
        self.entry(phrase_extend(PHRASE_SEED, lower)).unwrap_or(0)
    }

    /// The entry of a phrase hash, if the lists have it.
    #[inline]
    fn entry(&self, h: u64) -> Option<u8> {
        let (word, bit) = filter_bit(h);
        if self.present.get(word).is_none_or(|w| w & bit == 0) {
            return None;
        }
        self.phrases.get(&h).copied()
    }

    /// Sets the `gaz` bits of every token covered by a listed phrase.
    pub fn mark<T: TokenFacts>(&self, infos: &mut [T]) {
        if self.phrases.is_empty() {
            return;
        }
        for start in 0..infos.len() {
            let mut h = PHRASE_SEED;
            for end in start..infos.len().min(start + MAX_PHRASE) {
                h = phrase_extend(h, infos[end].lower());
                // An entry is never 0 (it has a list bit or `PREFIX`): a known head of 0 is
                // a word that starts no phrase.
                let known = if end == start {
                    infos[start].gaz_head()
                } else {
                    None
                };
                let Some(e) = known.or_else(|| self.entry(h)).filter(|&e| e != 0) else {
                    break;
                };
                let lists = e & !PREFIX;
                if lists != 0 {
                    for bit in 0..LISTS.len() {
                        if lists & (1 << bit) != 0 {
                            *infos[start].gaz_mut() |= 1 << (2 * bit);
                            for t in &mut infos[start + 1..=end] {
                                *t.gaz_mut() |= 1 << (2 * bit + 1);
                            }
                        }
                    }
                }
                if e & PREFIX == 0 {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::case_profile::CaseProfile;
    use super::super::features::{TokenInfo, token_info};
    use super::*;

    #[test]
    fn marks_multiword_phrases_case_insensitively() {
        let g = PhraseLists::from_tsv("# c\nnew york\tloc\nyork\tsurname\nbad line\n");
        let lex = CaseProfile::default();
        let mut infos: Vec<TokenInfo> = ["in", "NEW", "York", "today"]
            .iter()
            .map(|w| token_info(w, &lex))
            .collect();
        g.mark(&mut infos);
        assert_eq!(infos[0].gaz, 0);
        assert_eq!(infos[1].gaz, 1); // begins a loc phrase
        assert_eq!(infos[2].gaz, 2 | 1 << 4); // inside loc, begins surname
        assert_eq!(infos[3].gaz, 0);
    }

    /// The presence filter must never turn a phrase away: every listed phrase, on its own,
    /// is marked as beginning a phrase of its list.
    #[test]
    fn presence_filter_keeps_every_phrase() {
        let tsv = include_str!("../../../../data/ner/gazetteer.tsv");
        let g = PhraseLists::from_tsv(tsv);
        let lex = CaseProfile::default();
        let mut checked = 0;
        for (toks, bit) in phrase_rows(tsv) {
            let mut infos: Vec<TokenInfo> = toks.iter().map(|w| token_info(w, &lex)).collect();
            g.mark(&mut infos);
            assert_ne!(
                infos[0].gaz & 1 << (2 * bit),
                0,
                "{toks:?} ({})",
                LISTS[bit]
            );
            checked += 1;
        }
        assert!(checked > 10_000);
    }

    /// Heads worked out in advance (as the tagger does for its frequent words) give the same
    /// marks as looking them up, including for words that start no phrase.
    #[test]
    fn known_heads_mark_the_same() {
        let g = PhraseLists::from_tsv("new york\tloc\nyork\tsurname\nnew\tgiven\n");
        let lex = CaseProfile::default();
        assert_eq!(g.head(lower_hash("today")), 0);
        assert_eq!(g.head(lower_hash("York")), 1 << 2);
        assert_eq!(g.head(lower_hash("NEW")), PREFIX | 1 << 3);
        let words = ["in", "New", "York", "new", "york", "new", "today"];
        let mut looked_up: Vec<TokenInfo> = words.iter().map(|w| token_info(w, &lex)).collect();
        let mut known = looked_up.clone();
        for t in known.iter_mut() {
            t.gaz_head = Some(g.head(t.lower));
        }
        g.mark(&mut looked_up);
        g.mark(&mut known);
        let gaz = |infos: &[TokenInfo]| infos.iter().map(|t| t.gaz).collect::<Vec<_>>();
        assert_eq!(gaz(&known), gaz(&looked_up));
        assert_eq!(gaz(&known)[1], 1 | 1 << 6); // begins loc and given
    }

    #[test]
    fn builtin_lists_load() {
        let g = PhraseLists::builtin();
        assert!(g.len() > 10_000);
        // The presence filter turns away most hashes that are not phrases.
        let set: u32 = g.present.iter().map(|w| w.count_ones()).sum();
        let bits = 1u32 << FILTER_BITS;
        eprintln!("{} phrase hashes, {set} of {bits} filter bits set", g.len());
        assert!(set < bits / 8, "{set} of {bits} bits set");
    }
}
