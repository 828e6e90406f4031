//! The weight file: format, loading, and the lookup table the tagger scores with.
//!
//! Format (little endian), written by the trainer and embedded with `include_bytes!`:
//!
//! ```text
//! magic     b"TLNER\0\0\x01"
//! u32       feature-set version (must equal features::FEATURE_SET_VERSION)
//! u32       number of tags (must equal NUM_TAGS)
//! f32       scale: real weight = stored i16 / scale
//! i16 x (NUM_TAGS+1) x NUM_TAGS   transitions (last row: from sentence start)
//! u32       number of features, then per feature (sorted by key, delta-coded):
//!           varint key delta, u16 mask of non-zero tags, then that many i8/i16 values:
//!           each value is a zig-zag varint
//! u32       number of case-lexicon words, then per word: u32 lower hash, u8 bucket
//! u32       number of frequent words, then per word: u8 length, UTF-8 bytes (the tagger
//!           pre-sums their word-only feature weights at load time)
//! ```
//!
//! Weights are quantised to integers and tiny ones pruned by the trainer, which keeps the file
//! to a few MB. At load time each row is re-quantised to `i8` with a per-row shift and stored
//! inline with its key in a 16-byte slot of an open-addressing table: scoring is memory-bound,
//! and this way one probe costs at most one cache miss (four slots per cache line).

use super::NerError;
use super::case_profile::{BUCKETS, CaseProfile};
use super::features::FEATURE_SET_VERSION;

/// O, then B/I for PER, ORG, LOC, MISC.
pub const NUM_TAGS: usize = 9;
const MAGIC: &[u8; 8] = b"TLNER\0\0\x01";

/// One feature: key and weights `w[t] << shift` (in the file's fixed-point units).
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Slot {
    key: u32,
    shift: u8,
    w: [i8; NUM_TAGS],
}

impl Slot {
    /// Re-quantises an `i16` row to `i8` with the smallest shift that fits its largest weight.
    fn new(key: u32, row: &[i16; NUM_TAGS]) -> Slot {
        let max = row.iter().map(|v| i32::from(*v).abs()).max().unwrap_or(0);
        let mut shift = 0u8;
        while (max + (1 << shift >> 1)) >> shift > 127 {
            shift += 1;
        }
        let mut w = [0i8; NUM_TAGS];
        for (q, v) in w.iter_mut().zip(row.iter()) {
            let half = (1 << shift) >> 1;
            let x = (i32::from(*v) + if *v >= 0 { half } else { -half }) / (1 << shift);
            *q = x.clamp(-127, 127) as i8;
        }
        Slot { key, shift, w }
    }
}

/// Integer weights ready for scoring.
pub struct Model {
    pub scale: f32,
    pub transitions: [[i32; NUM_TAGS]; NUM_TAGS + 1],
    /// Open-addressing table with linear probing; a slot with key 0 is empty.
    slots: Vec<Slot>,
    mask: usize,
    /// One bit per [`filter_bit`] of the keys in `slots`: a key whose bit is clear is not in
    /// the table. The table (4 MiB) does not fit in a core's cache and many of the probes
    /// (unseen word pairs) are for keys it lacks; this filter (128 KiB) does, and answers
    /// most of those without touching the table.
    present: Vec<u64>,
    pub case_profile: CaseProfile,
    /// Frequent word forms, for the tagger's cache of word-only feature sums.
    pub vocab: Vec<String>,
    n_features: usize,
}

/// Weights as the trainer hands them over, before quantisation.
pub struct RawModel {
    pub transitions: [[f32; NUM_TAGS]; NUM_TAGS + 1],
    /// (feature key, weight row), any order.
    pub features: Vec<(u32, [f32; NUM_TAGS])>,
    pub case_profile: Vec<(u32, u8)>,
    /// Frequent word forms, most frequent first (at most 255 bytes each).
    pub vocab: Vec<String>,
}

impl Model {
    /// Number of features with at least one non-zero weight.
    pub fn num_features(&self) -> usize {
        self.n_features
    }

    /// Starts loading the slot [`add_feature`](Self::add_feature) will read for `key`, if the
    /// filter says the key may be there, so that the read a little later does not wait on
    /// memory (the slots take megabytes; most lookups miss the cache).
    #[inline]
    pub fn prefetch(&self, key: u32) {
        let (word, bit) = filter_bit(key);
        if self.present.get(word).is_some_and(|w| w & bit != 0)
            && let Some(slot) = self.slots.get(slot_of(key, self.mask))
        {
            crate::extract::prefetch(slot);
        }
    }

    /// Adds the weight row of `key` (if known) to `scores`.
    #[inline]
    pub fn add_feature(&self, key: u32, scores: &mut [i32; NUM_TAGS]) {
        let (word, bit) = filter_bit(key);
        if self.present.get(word).is_none_or(|w| w & bit == 0) {
            return;
        }
        let mut i = slot_of(key, self.mask);
        loop {
            let Some(s) = self.slots.get(i) else { return };
            if s.key == key {
                for (acc, w) in scores.iter_mut().zip(s.w.iter()) {
                    *acc += i32::from(*w) << s.shift;
                }
                return;
            }
            if s.key == 0 {
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Parses a weight file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, NerError> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err(NerError::Format(
                "bad magic: not a timeline NER weight file".into(),
            ));
        }
        let version = r.u32()?;
        if version != FEATURE_SET_VERSION {
            return Err(NerError::Format(format!(
                "weights were built for feature set {version}, this code uses {FEATURE_SET_VERSION}: \
                 retrain with `cargo run --release --example train_ner`"
            )));
        }
        let tags = r.u32()? as usize;
        if tags != NUM_TAGS {
            return Err(NerError::Format(format!(
                "expected {NUM_TAGS} tags, file has {tags}"
            )));
        }
        let scale = f32::from_bits(r.u32()?);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(NerError::Format("scale must be a positive number".into()));
        }
        let mut transitions = [[0i32; NUM_TAGS]; NUM_TAGS + 1];
        for row in transitions.iter_mut() {
            for v in row.iter_mut() {
                *v = i32::from(r.u16()? as i16);
            }
        }
        let n = r.u32()? as usize;
        if n > bytes.len() {
            return Err(NerError::Format(
                "feature count larger than the file".into(),
            ));
        }
        // Load factor between 0.4 and 0.8: linear probing stays short, the key array small.
        let cap = (n + n / 4).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![Slot::default(); cap];
        let mut present = vec![0u64; 1 << (FILTER_BITS - 6)];
        let mut key: u32 = 0;
        for _ in 0..n {
            let delta = r.varint()?;
            key = key.wrapping_add(delta as u32);
            let m = r.u16()?;
            let mut w = [0i16; NUM_TAGS];
            for (t, v) in w.iter_mut().enumerate() {
                if m & (1 << t) != 0 {
                    let z = r.varint()?;
                    let q = ((z >> 1) as i64) ^ -((z & 1) as i64);
                    *v = q.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16;
                }
            }
            if key == 0 {
                continue;
            }
            let mut i = slot_of(key, mask);
            while slots[i].key != 0 && slots[i].key != key {
                i = (i + 1) & mask;
            }
            slots[i] = Slot::new(key, &w);
            let (word, bit) = filter_bit(key);
            present[word] |= bit;
        }
        let n_lex = r.u32()? as usize;
        if n_lex > bytes.len() {
            return Err(NerError::Format(
                "lexicon count larger than the file".into(),
            ));
        }
        let mut case_profile = CaseProfile::default();
        case_profile.map.reserve(n_lex);
        for _ in 0..n_lex {
            let k = r.u32()?;
            let b = r.take(1)?[0];
            if b < BUCKETS {
                case_profile.map.insert(k, b);
            }
        }
        let n_vocab = r.u32()? as usize;
        if n_vocab > bytes.len() {
            return Err(NerError::Format(
                "vocabulary count larger than the file".into(),
            ));
        }
        let mut vocab = Vec::with_capacity(n_vocab);
        for _ in 0..n_vocab {
            let len = usize::from(r.take(1)?[0]);
            let w = std::str::from_utf8(r.take(len)?)
                .map_err(|_| NerError::Format("vocabulary word is not UTF-8".into()))?;
            vocab.push(w.to_string());
        }
        Ok(Model {
            vocab,
            scale,
            transitions,
            slots,
            mask,
            present,
            case_profile,
            n_features: n,
        })
    }
}

/// Bits of the presence filter's index: 2^20 bits for ~130k keys, one false "maybe" in nine.
const FILTER_BITS: u32 = 20;

/// The presence filter's word and bit of a key: the top bits of another multiply than
/// [`slot_of`]'s, so that keys crowding one part of the table do not crowd the filter.
#[inline]
fn filter_bit(key: u32) -> (usize, u64) {
    let b = (key.wrapping_mul(0x2c1b_3c6d) >> (32 - FILTER_BITS)) as usize;
    (b / 64, 1 << (b % 64))
}

/// Home slot of a key (keys are already hashes; the multiply spreads sequential test keys).
#[inline]
fn slot_of(key: u32, mask: usize) -> usize {
    (key.wrapping_mul(0x9e37_79b9) as usize) & mask
}

impl RawModel {
    /// Quantises, prunes weights whose magnitude is below `prune` (in real units), and
    /// serialises. Returns the bytes and the number of features kept.
    pub fn to_bytes(&self, prune: f32) -> (Vec<u8>, usize) {
        // Scale so the largest weight fits an i16 with headroom for sums.
        let max = self
            .features
            .iter()
            .flat_map(|(_, w)| w.iter())
            .chain(self.transitions.iter().flatten())
            .fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { 8000.0 / max } else { 1.0 };
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FEATURE_SET_VERSION.to_le_bytes());
        out.extend_from_slice(&(NUM_TAGS as u32).to_le_bytes());
        out.extend_from_slice(&scale.to_bits().to_le_bytes());
        for row in &self.transitions {
            for v in row {
                let q = (v * scale).round() as i16;
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        let mut feats: Vec<(u32, u16, [i16; NUM_TAGS])> = Vec::new();
        for (k, w) in &self.features {
            let mut q = [0i16; NUM_TAGS];
            let mut m = 0u16;
            for t in 0..NUM_TAGS {
                if w[t].abs() >= prune {
                    q[t] = (w[t] * scale).round() as i16;
                    if q[t] != 0 {
                        m |= 1 << t;
                    }
                }
            }
            if m != 0 && *k != 0 {
                feats.push((*k, m, q));
            }
        }
        feats.sort_unstable_by_key(|f| f.0);
        feats.dedup_by_key(|f| f.0);
        out.extend_from_slice(&(feats.len() as u32).to_le_bytes());
        let mut prev = 0u32;
        for (k, m, q) in &feats {
            put_varint(&mut out, u64::from(k - prev));
            prev = *k;
            out.extend_from_slice(&m.to_le_bytes());
            for (t, &w) in q.iter().enumerate() {
                if m & (1 << t) != 0 {
                    let v = i64::from(w);
                    put_varint(&mut out, ((v << 1) ^ (v >> 63)) as u64);
                }
            }
        }
        let mut lex = self.case_profile.clone();
        lex.sort_unstable();
        out.extend_from_slice(&(lex.len() as u32).to_le_bytes());
        for (k, b) in lex {
            out.extend_from_slice(&k.to_le_bytes());
            out.push(b);
        }
        let vocab: Vec<&String> = self.vocab.iter().filter(|w| w.len() <= 255).collect();
        out.extend_from_slice(&(vocab.len() as u32).to_le_bytes());
        for w in vocab {
            out.push(w.len() as u8);
            out.extend_from_slice(w.as_bytes());
        }
        (out, feats.len())
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NerError> {
        let s = self
            .b
            .get(self.pos..self.pos + n)
            .ok_or_else(|| NerError::Format("weight file is truncated".into()))?;
        self.pos += n;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, NerError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, NerError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn varint(&mut self) -> Result<u64, NerError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(NerError::Format("malformed varint in weight file".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_pruning() {
        let mut transitions = [[0f32; NUM_TAGS]; NUM_TAGS + 1];
        transitions[0][1] = -2.0;
        let raw = RawModel {
            transitions,
            features: vec![
                (7, [1.0, -4.0, 0.0, 0.0, 0.001, 0.0, 0.0, 0.0, 0.0]),
                (3, [0.0; NUM_TAGS]),
            ],
            case_profile: vec![(42, 3)],
            vocab: vec!["the".into()],
        };
        let (bytes, kept) = raw.to_bytes(0.01);
        assert_eq!(kept, 1);
        let m = Model::from_bytes(&bytes).expect("round trip");
        let mut s = [0i32; NUM_TAGS];
        m.add_feature(7, &mut s);
        assert!(s[0] > 0 && s[1] < 0 && s[4] == 0);
        assert!(((s[1] as f32 / m.scale) + 4.0).abs() < 0.01);
        let mut z = [0i32; NUM_TAGS];
        m.add_feature(3, &mut z);
        m.add_feature(99, &mut z);
        assert_eq!(z, [0; NUM_TAGS]);
        assert!(m.transitions[0][1] < 0);
        assert_eq!(m.case_profile.bucket(42), 3);
        assert_eq!(m.vocab, vec!["the".to_string()]);
    }

    #[test]
    fn presence_filter_has_every_key() {
        let m = Model::from_bytes(include_bytes!("../../../../data/ner/weights.bin"))
            .expect("builtin weights");
        let keys: Vec<u32> = m.slots.iter().map(|s| s.key).filter(|&k| k != 0).collect();
        assert!(keys.len() > 100_000);
        for &k in &keys {
            let (word, bit) = filter_bit(k);
            assert_ne!(m.present[word] & bit, 0, "key {k} filtered out");
            let mut row = [0i32; NUM_TAGS];
            m.add_feature(k, &mut row);
        }
        // The filter turns most absent keys away.
        let absent = (1..200_000u32)
            .map(|k| k.wrapping_mul(2_654_435_761))
            .filter(|k| !keys.contains(k))
            .take(2000);
        let passed = absent
            .filter(|&k| {
                let (word, bit) = filter_bit(k);
                m.present[word] & bit != 0
            })
            .count();
        assert!(passed < 400, "{passed} of 2000 absent keys passed");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Model::from_bytes(b"").is_err());
        assert!(Model::from_bytes(b"TLNER\0\0\x01\x03").is_err());
        let raw = RawModel {
            transitions: [[0.0; NUM_TAGS]; NUM_TAGS + 1],
            features: vec![],
            case_profile: vec![],
            vocab: vec![],
        };
        let (bytes, _) = raw.to_bytes(0.0);
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
