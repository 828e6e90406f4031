//! The hashers of the extraction core's lookup tables, shared by every stage.
//!
//! Written here rather than taken from a crate: the tables are built from our own data (so
//! SipHash's flood resistance buys nothing), their keys are short words or hashes we already
//! computed, and the word hasher reads a short tail in one step, which is what the hot paths
//! of the tagger, the trigger lexicon and the time rules spend their lookups on.

use std::collections::{HashMap, HashSet};

/// FxHash (the rustc hasher's mixing step; short tails are read in one step): every token costs
/// several lookups of short strings here, and SipHash's flood resistance buys nothing for
/// tables built from our own data. No map hashed with it is iterated where order could show in
/// the output, so the hash values themselves are free to change.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        // The tail (most words are all tail) in one step rather than a step per byte: two
        // overlapping loads for 4 to 7 bytes, three single bytes below that. Equal lengths
        // read the same positions, so distinct tails of one length give distinct words.
        let rest = chunks.remainder();
        let n = rest.len();
        let w = match rest {
            [] => return,
            [a, b, c, d, ..] => {
                let lo = u32::from_le_bytes([*a, *b, *c, *d]);
                let hi = match rest.get(n - 4..) {
                    Some(&[e, f, g, h]) => u32::from_le_bytes([e, f, g, h]),
                    _ => 0,
                };
                u64::from(lo) | (u64::from(hi) << 32)
            }
            [a, ..] => {
                u64::from(*a) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16)
            }
        };
        self.0 = (self.0.rotate_left(5) ^ w ^ ((n as u64) << 56)).wrapping_mul(K);
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub type FxSet<K> = HashSet<K, FxBuild>;

/// For keys that are already well-mixed 64-bit hashes: hashing them again would only cost time.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = u64::from(v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by hashes (phrase and word hashes of the tagger).
pub type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdentityHasher>>;
