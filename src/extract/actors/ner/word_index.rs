//! Exact word form -> index, for the tagger's frequent words.
//!
//! Every token of every sentence is looked up here, and most miss the cache: in a general
//! hash map a lookup reads the control bytes, then the entry, then the key's bytes elsewhere on
//! the heap (and calls `memcmp` on them). Here a word of up to [`INLINE`] bytes (nearly every
//! word) sits inside its 32-byte slot, padded with zeros, and is compared as three 64-bit
//! words: one cache line per probe. Longer words go to an ordinary map.

use std::collections::HashMap;

use crate::extract::hash::FxBuild;

/// Longest word kept inside a slot.
const INLINE: usize = 24;

/// One slot: the word padded with zeros, its length (0 = empty slot) and its index.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: [u64; 3],
    len: u32,
    index: u32,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 32);

const EMPTY: Slot = Slot {
    key: [0; 3],
    len: 0,
    index: 0,
};

/// Word form -> index, built once.
pub(crate) struct WordIndex {
    /// Open addressing with linear probing; capacity a power of two, at most half full.
    slots: Vec<Slot>,
    mask: usize,
    /// Words longer than [`INLINE`] bytes, and the empty word.
    other: HashMap<Box<str>, u32, FxBuild>,
}

/// The word as three little-endian 64-bit words, zero-padded; `None` if it is too long.
#[inline]
fn packed(word: &str) -> Option<[u64; 3]> {
    let b = word.as_bytes();
    if b.len() > INLINE {
        return None;
    }
    let mut buf = [0u8; INLINE];
    buf[..b.len()].copy_from_slice(b);
    let mut key = [0u64; 3];
    for (k, chunk) in key.iter_mut().zip(buf.chunks_exact(8)) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        *k = u64::from_le_bytes(w);
    }
    Some(key)
}

/// Home slot of a packed word of length `len`.
#[inline]
fn home(key: &[u64; 3], len: usize, mask: usize) -> usize {
    let h = (key[0] ^ (len as u64).rotate_left(59))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(23)
        ^ key[1].wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
        ^ key[2].wrapping_mul(0x1656_67b1_9e37_79f9);
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & mask
}

impl WordIndex {
    /// An index of `words`, each with its index; a word given twice keeps its first index.
    pub(crate) fn new<'a>(words: impl IntoIterator<Item = (&'a str, u32)>) -> WordIndex {
        let words: Vec<(&str, u32)> = words.into_iter().collect();
        let cap = (words.len() * 2).next_power_of_two().max(16);
        let mut index = WordIndex {
            slots: vec![EMPTY; cap],
            mask: cap - 1,
            other: HashMap::default(),
        };
        for (w, ix) in words {
            index.insert(w, ix);
        }
        index
    }

    fn insert(&mut self, word: &str, ix: u32) {
        let key = match packed(word) {
            Some(key) if !word.is_empty() => key,
            _ => {
                self.other.entry(word.into()).or_insert(ix);
                return;
            }
        };
        let len = word.len() as u32;
        let mut i = home(&key, word.len(), self.mask);
        loop {
            let Some(slot) = self.slots.get_mut(i) else {
                return;
            };
            if slot.len == 0 {
                *slot = Slot {
                    key,
                    len,
                    index: ix,
                };
                return;
            }
            if slot.len == len && slot.key == key {
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Starts loading the slot where [`get`](Self::get) will first look for `word`, so that
    /// the lookups of a sentence's words wait on memory together rather than one by one.
    #[inline]
    pub(crate) fn prefetch(&self, word: &str) {
        if let Some(key) = packed(word)
            && let Some(slot) = self.slots.get(home(&key, word.len(), self.mask))
        {
            crate::extract::prefetch(slot);
        }
    }

    /// The index of exactly `word`.
    #[inline]
    pub(crate) fn get(&self, word: &str) -> Option<u32> {
        let key = match packed(word) {
            Some(key) if !word.is_empty() => key,
            _ => return self.other.get(word).copied(),
        };
        let len = word.len() as u32;
        let mut i = home(&key, word.len(), self.mask);
        loop {
            let slot = self.slots.get(i)?;
            if slot.len == len && slot.key == key {
                return Some(slot.index);
            }
            if slot.len == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The index answers as a hash map of the same words does, for words of every length
        /// (inline, at the limit, longer, empty, non-ASCII) and for words it lacks.
        #[test]
        fn answers_as_a_map(
            words in proptest::collection::vec("\\PC{0,30}", 0..200),
            probes in proptest::collection::vec("\\PC{0,30}", 0..50),
        ) {
            let mut want: HashMap<&str, u32> = HashMap::new();
            for (i, w) in words.iter().enumerate() {
                want.entry(w.as_str()).or_insert(i as u32);
            }
            let index = WordIndex::new(words.iter().enumerate().map(|(i, w)| (w.as_str(), i as u32)));
            for w in words.iter().chain(&probes) {
                // A prefetch is a hint: whatever the word, it must neither fail nor change
                // the answer.
                index.prefetch(w);
                prop_assert_eq!(index.get(w), want.get(w.as_str()).copied(), "{:?}", w);
            }
        }
    }

    #[test]
    fn lengths_around_the_slot_size() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefgh",
            &"x".repeat(24),
            &"x".repeat(25),
            "é",
        ];
        let index = WordIndex::new(words.iter().enumerate().map(|(i, w)| (*w, i as u32)));
        for (i, w) in words.iter().enumerate() {
            assert_eq!(index.get(w), Some(i as u32), "{w:?}");
        }
        // A word and the same bytes followed by a NUL differ (the length tells them apart).
        assert_eq!(index.get("a\0"), None);
        assert_eq!(index.get(&"x".repeat(23)), None);
        assert_eq!(index.get("b"), None);
    }
}
