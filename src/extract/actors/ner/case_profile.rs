//! Case profile of words: how a word is usually written in running text.
//!
//! Learnt by the trainer from the silver corpus and stored in the model file. It is what lets
//! the tagger read an all-caps headline ("RUSSIA SAYS ...") or a sentence-initial word: the
//! shape is gone, but "says" is nearly always lower-case in running text and "russia" nearly
//! always capitalised.

use crate::extract::hash::IdMap;

/// No information about the word.
pub const UNKNOWN: u8 = 0;
/// Number of buckets (values are `0..BUCKETS`).
pub const BUCKETS: u8 = 6;

/// Lower-cased word (32-bit hash) -> case bucket.
#[derive(Default, Clone)]
pub struct CaseProfile {
    pub(crate) map: IdMap<u32, u8>,
}

/// Counts of how a word was written, away from sentence starts and all-caps lines.
#[derive(Default, Clone, Copy, Debug)]
pub struct CaseCounts {
    pub lower: u32,
    pub title: u32,
    pub upper: u32,
}

impl CaseCounts {
    /// The bucket: 1 nearly always lower, 2 mostly lower, 3 mixed, 4 nearly always
    /// capitalised, 5 mostly all-caps (acronyms); 0 when seen too rarely to tell.
    pub fn bucket(&self) -> u8 {
        let total = self.lower + self.title + self.upper;
        if total < 2 {
            return UNKNOWN;
        }
        let lower = f64::from(self.lower) / f64::from(total);
        if f64::from(self.upper) / f64::from(total) > 0.5 {
            5
        } else if lower >= 0.95 {
            1
        } else if lower >= 0.6 {
            2
        } else if lower >= 0.1 {
            3
        } else {
            4
        }
    }
}

impl CaseProfile {
    /// The bucket of a word given its lower-case hash.
    #[inline]
    pub fn bucket(&self, lower_hash: u64) -> u8 {
        self.map
            .get(&(lower_hash as u32))
            .copied()
            .unwrap_or(UNKNOWN)
    }

    /// Number of words known.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no word is known.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Inserts (or replaces) the bucket of a word.
    pub fn insert(&mut self, lower_hash: u64, bucket: u8) {
        if bucket != UNKNOWN && bucket < BUCKETS {
            self.map.insert(lower_hash as u32, bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        let c = |lower, title, upper| {
            CaseCounts {
                lower,
                title,
                upper,
            }
            .bucket()
        };
        assert_eq!(c(1, 0, 0), UNKNOWN);
        assert_eq!(c(100, 1, 0), 1);
        assert_eq!(c(0, 50, 0), 4);
        assert_eq!(c(0, 2, 30), 5);
        assert_eq!(c(10, 10, 0), 3);
    }
}
