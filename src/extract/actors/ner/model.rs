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
//! ```
//!
//! Weights are quantised to integers and tiny ones pruned by the trainer, which keeps the file
//! to a few MB; at load time the rows are expanded into an open-addressing table of dense
//! `i16` rows so scoring a feature is one probe into a flat array.

use super::NerError;
use super::features::FEATURE_SET_VERSION;
use super::lexicon::{BUCKETS, CaseLexicon};

/// O, then B/I for PER, ORG, LOC, MISC.
pub const NUM_TAGS: usize = 9;
const MAGIC: &[u8; 8] = b"TLNER\0\0\x01";

/// One slot of the feature table: a key (0 = empty) and its weight row.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Slot {
    key: u32,
    w: [i16; NUM_TAGS],
}

/// Integer weights ready for scoring.
pub struct Model {
    pub scale: f32,
    pub transitions: [[i32; NUM_TAGS]; NUM_TAGS + 1],
    slots: Vec<Slot>,
    mask: usize,
    pub lexicon: CaseLexicon,
    n_features: usize,
}

/// Weights as the trainer hands them over, before quantisation.
pub struct RawModel {
    pub transitions: [[f32; NUM_TAGS]; NUM_TAGS + 1],
    /// (feature key, weight row), any order.
    pub features: Vec<(u32, [f32; NUM_TAGS])>,
    pub lexicon: Vec<(u32, u8)>,
}

impl Model {
    /// Number of features with at least one non-zero weight.
    pub fn num_features(&self) -> usize {
        self.n_features
    }

    /// Adds the weight row of `key` (if known) to `scores`.
    #[inline]
    pub fn add_feature(&self, key: u32, scores: &mut [i32; NUM_TAGS]) {
        let mut i = (key as usize).wrapping_mul(0x9e37_79b9) >> 7 & self.mask;
        loop {
            let Some(s) = self.slots.get(i) else { return };
            if s.key == key {
                for (acc, w) in scores.iter_mut().zip(s.w.iter()) {
                    *acc += i32::from(*w);
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
            return Err(NerError::Format("bad magic: not a timeline NER weight file".into()));
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
            return Err(NerError::Format(format!("expected {NUM_TAGS} tags, file has {tags}")));
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
            return Err(NerError::Format("feature count larger than the file".into()));
        }
        let cap = (n * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![Slot::default(); cap];
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
            let mut i = (key as usize).wrapping_mul(0x9e37_79b9) >> 7 & mask;
            while slots[i].key != 0 && slots[i].key != key {
                i = (i + 1) & mask;
            }
            slots[i] = Slot { key, w };
        }
        let n_lex = r.u32()? as usize;
        if n_lex > bytes.len() {
            return Err(NerError::Format("lexicon count larger than the file".into()));
        }
        let mut lexicon = CaseLexicon::default();
        lexicon.map.reserve(n_lex);
        for _ in 0..n_lex {
            let k = r.u32()?;
            let b = r.take(1)?[0];
            if b < BUCKETS {
                lexicon.map.insert(k, b);
            }
        }
        Ok(Model { scale, transitions, slots, mask, lexicon, n_features: n })
    }
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
            for t in 0..NUM_TAGS {
                if m & (1 << t) != 0 {
                    let v = i64::from(q[t]);
                    put_varint(&mut out, ((v << 1) ^ (v >> 63)) as u64);
                }
            }
        }
        let mut lex = self.lexicon.clone();
        lex.sort_unstable();
        out.extend_from_slice(&(lex.len() as u32).to_le_bytes());
        for (k, b) in lex {
            out.extend_from_slice(&k.to_le_bytes());
            out.push(b);
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
            features: vec![(7, [1.0, -4.0, 0.0, 0.0, 0.001, 0.0, 0.0, 0.0, 0.0]), (3, [0.0; NUM_TAGS])],
            lexicon: vec![(42, 3)],
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
        assert_eq!(m.lexicon.bucket(42), 3);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Model::from_bytes(b"").is_err());
        assert!(Model::from_bytes(b"TLNER\0\0\x01\x03").is_err());
        let raw = RawModel { transitions: [[0.0; NUM_TAGS]; NUM_TAGS + 1], features: vec![], lexicon: vec![] };
        let (bytes, _) = raw.to_bytes(0.0);
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
