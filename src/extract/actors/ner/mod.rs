//! Named-entity tagger: PER, ORG, LOC and MISC spans over PTB-style tokens.
//!
//! A first-order structured (averaged) perceptron over hashed sparse features, decoded with
//! Viterbi under BIO constraints. Written by hand rather than taken from a crate because it is
//! the hot path of the product (every token of every article passes through it) and must run
//! well above 5 MB/s per core with no per-token allocation; the features ([`features`]) are
//! shared verbatim by the trainer ([`train`]) so training and inference cannot disagree.
//!
//! The weights (`data/ner/weights.bin`) are distilled from spaCy's MIT-licensed small English
//! model run over newswire text (silver labels), with PETRARCH2-derived gazetteer features; see
//! `tools/ner/README.md` for how to regenerate them.

pub mod features;
pub mod gazetteer;
pub mod lexicon;
pub mod model;
pub mod train;

use std::ops::{Add, Sub};

use thiserror::Error;

use features::{MAX_FEATURES, SentenceInfo, TokenInfo, analyse_sentence, token_features};
use gazetteer::Gazetteer;
use model::{Model, NUM_TAGS};

/// Why a tagger could not be built.
#[derive(Debug, Error)]
pub enum NerError {
    /// The weight file is damaged or was built for other code.
    #[error("NER weight file is unusable: {0}")]
    Format(String),
}

/// Entity types, CoNLL-2003 style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NerLabel {
    Per,
    Org,
    Loc,
    Misc,
}

impl NerLabel {
    /// All labels, in tag order.
    pub const ALL: [NerLabel; 4] = [NerLabel::Per, NerLabel::Org, NerLabel::Loc, NerLabel::Misc];

    /// The CoNLL name: "PER", "ORG", "LOC", "MISC".
    pub fn as_str(self) -> &'static str {
        match self {
            NerLabel::Per => "PER",
            NerLabel::Org => "ORG",
            NerLabel::Loc => "LOC",
            NerLabel::Misc => "MISC",
        }
    }

    /// Parses a CoNLL name.
    pub fn parse(s: &str) -> Option<NerLabel> {
        NerLabel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for NerLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entity: tokens `[start, end)` of the sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntitySpan {
    pub start: usize,
    pub end: usize,
    pub label: NerLabel,
    /// Mean per-token probability of the chosen tags under a softmax of the local scores:
    /// a confidence-ish figure in `0..=1`, not a calibrated probability.
    pub score: f32,
}

/// Tag ids: 0 = O, `1 + 2k` = B-label k, `2 + 2k` = I-label k.
pub mod tags {
    use super::NerLabel;
    pub const O: u8 = 0;
    /// The B tag of a label.
    pub fn begin(l: NerLabel) -> u8 {
        1 + 2 * l.index() as u8
    }
    /// The I tag of a label.
    pub fn inside(l: NerLabel) -> u8 {
        2 + 2 * l.index() as u8
    }
    /// The label of a B or I tag.
    pub fn label(t: u8) -> Option<NerLabel> {
        if t == 0 {
            None
        } else {
            NerLabel::ALL.get(usize::from((t - 1) / 2)).copied()
        }
    }
    /// True for I tags.
    pub fn is_inside(t: u8) -> bool {
        t != 0 && t.is_multiple_of(2)
    }
    /// BIO constraint: may `to` follow `from` (`None` = sentence start)?
    pub fn allowed(from: Option<u8>, to: u8) -> bool {
        if !is_inside(to) {
            return true;
        }
        match from {
            None => false,
            Some(f) => f != 0 && (f - 1) / 2 == (to - 1) / 2,
        }
    }
}

/// Minus infinity for integer Viterbi: far below any real score, and `3 * NEG_INF` still fits
/// an `i32` (emission sums stay far below 2^28).
const NEG_INF: i32 = -(1 << 28);

/// The tagger. Built once, shared by threads (`Send + Sync`, immutable).
pub struct NerTagger {
    model: Model,
    gazetteer: Gazetteer,
    cache: WordCache,
}

/// Pre-summed weights of the word-only features ([`features::unigram_features`]) of the
/// model's frequent words: one probe instead of seven for most tokens. Scoring is
/// memory-bound, so this is the tagger's main speed-up.
struct WordCache {
    /// Open addressing; key = low 32 bits of the word hash (0 = empty).
    slots: Vec<(u32, [i32; NUM_TAGS])>,
    mask: usize,
}

impl WordCache {
    fn build(model: &Model) -> WordCache {
        let cap = (model.vocab.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![(0u32, [0i32; NUM_TAGS]); cap];
        let mut keys = [0u32; MAX_FEATURES];
        for w in &model.vocab {
            let t = features::token_info(w, &model.lexicon);
            let n = features::unigram_features(&t, true, &mut keys);
            let mut s = [0i32; NUM_TAGS];
            for &k in &keys[..n] {
                model.add_feature(k, &mut s);
            }
            let key = (t.word as u32).max(1);
            let mut i = key as usize & mask;
            while slots[i].0 != 0 && slots[i].0 != key {
                i = (i + 1) & mask;
            }
            slots[i] = (key, s);
        }
        WordCache { slots, mask }
    }

    #[inline]
    fn get(&self, word_hash: u64) -> Option<&[i32; NUM_TAGS]> {
        let key = (word_hash as u32).max(1);
        let mut i = key as usize & self.mask;
        loop {
            let (k, s) = self.slots.get(i)?;
            if *k == key {
                return Some(s);
            }
            if *k == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

static BUILTIN_WEIGHTS: &[u8] = include_bytes!("../../../../data/ner/weights.bin");

impl NerTagger {
    /// The tagger with the weights and lists embedded in the crate.
    pub fn builtin() -> Result<NerTagger, NerError> {
        NerTagger::from_parts(BUILTIN_WEIGHTS, Gazetteer::builtin())
    }

    /// A tagger from a weight file's bytes and a gazetteer (the trainer and tests use this).
    pub fn from_parts(weights: &[u8], gazetteer: Gazetteer) -> Result<NerTagger, NerError> {
        let model = Model::from_bytes(weights)?;
        let cache = WordCache::build(&model);
        Ok(NerTagger {
            model,
            gazetteer,
            cache,
        })
    }

    /// Number of features in the model.
    pub fn num_features(&self) -> usize {
        self.model.num_features()
    }

    /// Entity spans over a sentence given as token strings (already tokenized, PTB-style).
    pub fn tag(&self, words: &[&str]) -> Vec<EntitySpan> {
        if words.is_empty() {
            return Vec::new();
        }
        let (em, path) = self.decode(words);
        spans(&path, |i, t| softmax_prob(em.get(i), t, self.model.scale))
    }

    /// The tag sequence for a sentence (tag ids, see [`tags`]).
    pub fn tag_ids(&self, words: &[&str]) -> Vec<u8> {
        self.decode(words).1
    }

    /// Emission scores and the Viterbi path. Four allocations per sentence, none per token.
    fn decode(&self, words: &[&str]) -> (Vec<[i32; NUM_TAGS]>, Vec<u8>) {
        let mut infos: Vec<TokenInfo> = Vec::with_capacity(words.len());
        let sent = analyse_sentence(words, &self.model.lexicon, &self.gazetteer, &mut infos);
        let em = self.emissions(&infos, sent);
        let mut bp = Vec::with_capacity(words.len());
        let mut path = Vec::with_capacity(words.len());
        viterbi(&em, &self.model.transitions, NEG_INF, &mut bp, &mut path);
        (em, path)
    }

    /// Per-token tag scores. Scoring is memory-bound (one table probe per feature); frequent
    /// words take their word-only sum from the cache, so only context features are probed.
    fn emissions(&self, infos: &[TokenInfo], sent: SentenceInfo) -> Vec<[i32; NUM_TAGS]> {
        let mut em = Vec::with_capacity(infos.len());
        let mut keys = [0u32; MAX_FEATURES];
        for (i, t) in infos.iter().enumerate() {
            let cached = if sent.mode != 1 {
                self.cache.get(t.word)
            } else {
                None
            };
            let (mut s, n) = match cached {
                Some(s) => (*s, features::context_features(infos, sent, i, &mut keys, 0)),
                None => ([0i32; NUM_TAGS], token_features(infos, sent, i, &mut keys)),
            };
            for &k in &keys[..n] {
                self.model.add_feature(k, &mut s);
            }
            em.push(s);
        }
        em
    }
}

fn softmax_prob(scores: Option<&[i32; NUM_TAGS]>, tag: u8, scale: f32) -> f32 {
    let Some(s) = scores else { return 0.0 };
    let max = s.iter().copied().max().unwrap_or(0);
    let mut z = 0f32;
    let mut p = 0f32;
    for (t, &v) in s.iter().enumerate() {
        let e = ((v - max) as f32 / scale).exp();
        z += e;
        if t == usize::from(tag) {
            p = e;
        }
    }
    if z > 0.0 { p / z } else { 0.0 }
}

/// Decodes BIO tag ids into spans; `prob(i, tag)` gives each token's confidence.
pub fn spans(path: &[u8], prob: impl Fn(usize, u8) -> f32) -> Vec<EntitySpan> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < path.len() {
        let t = path[i];
        let Some(label) = tags::label(t) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut sum = prob(i, t);
        i += 1;
        while i < path.len() && path[i] == tags::inside(label) {
            sum += prob(i, path[i]);
            i += 1;
        }
        out.push(EntitySpan {
            start,
            end: i,
            label,
            score: sum / (i - start) as f32,
        });
    }
    out
}

/// First-order Viterbi under BIO constraints. `trans[NUM_TAGS]` is the start row.
/// Writes the best tag sequence to `path`; `bp` is scratch space. `neg_inf` must be small
/// enough that adding two of them to a score neither overflows nor wins.
pub fn viterbi<T>(
    em: &[[T; NUM_TAGS]],
    trans: &[[T; NUM_TAGS]; NUM_TAGS + 1],
    neg_inf: T,
    bp: &mut Vec<[u8; NUM_TAGS]>,
    path: &mut Vec<u8>,
) where
    T: Copy + PartialOrd + Add<Output = T> + Sub<Output = T>,
{
    path.clear();
    bp.clear();
    let Some(first) = em.first() else { return };
    // Fold the BIO constraints into the transition matrix once, so the inner loop is
    // branch-free.
    let mut tr = *trans;
    for (from, row) in tr.iter_mut().enumerate() {
        let from = if from == NUM_TAGS {
            None
        } else {
            Some(from as u8)
        };
        for (to, v) in row.iter_mut().enumerate() {
            if !tags::allowed(from, to as u8) {
                *v = neg_inf;
            }
        }
    }
    let mut delta = [neg_inf; NUM_TAGS];
    for t in 0..NUM_TAGS {
        delta[t] = tr[NUM_TAGS][t] + first[t];
    }
    bp.push([0; NUM_TAGS]);
    for e in &em[1..] {
        let mut next = delta;
        let mut back = [0u8; NUM_TAGS];
        for to in 0..NUM_TAGS {
            let mut best = delta[0] + tr[0][to];
            let mut arg = 0u8;
            for from in 1..NUM_TAGS {
                let v = delta[from] + tr[from][to];
                if v > best {
                    best = v;
                    arg = from as u8;
                }
            }
            next[to] = best + e[to];
            back[to] = arg;
        }
        // Keep the best score at zero so long sentences cannot overflow integer scores.
        let mut top = next[0];
        for &v in &next[1..] {
            if v > top {
                top = v;
            }
        }
        for v in next.iter_mut() {
            *v = *v - top;
        }
        delta = next;
        bp.push(back);
    }
    let mut best = 0usize;
    for t in 1..NUM_TAGS {
        if delta[t] > delta[best] {
            best = t;
        }
    }
    path.resize(em.len(), 0);
    let mut cur = best as u8;
    for i in (0..em.len()).rev() {
        path[i] = cur;
        cur = bp.get(i).map_or(0, |b| b[usize::from(cur)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ids_round_trip() {
        for l in NerLabel::ALL {
            assert_eq!(tags::label(tags::begin(l)), Some(l));
            assert_eq!(tags::label(tags::inside(l)), Some(l));
            assert!(tags::is_inside(tags::inside(l)));
            assert!(!tags::is_inside(tags::begin(l)));
            assert_eq!(NerLabel::parse(l.as_str()), Some(l));
        }
        assert!(!tags::allowed(None, tags::inside(NerLabel::Per)));
        assert!(!tags::allowed(
            Some(tags::begin(NerLabel::Org)),
            tags::inside(NerLabel::Per)
        ));
        assert!(tags::allowed(
            Some(tags::begin(NerLabel::Per)),
            tags::inside(NerLabel::Per)
        ));
    }

    #[test]
    fn viterbi_respects_bio() {
        // Emissions prefer I-PER at the start: the constraint must forbid it.
        let mut em = [[0f32; NUM_TAGS]; 2];
        em[0][tags::inside(NerLabel::Per) as usize] = 10.0;
        let neg = -1e9f32;
        em[0][tags::begin(NerLabel::Loc) as usize] = 1.0;
        em[1][tags::inside(NerLabel::Loc) as usize] = 5.0;
        let trans = [[0f32; NUM_TAGS]; NUM_TAGS + 1];
        let (mut bp, mut path) = (Vec::new(), Vec::new());
        viterbi(&em, &trans, neg, &mut bp, &mut path);
        assert_eq!(
            path,
            vec![tags::begin(NerLabel::Loc), tags::inside(NerLabel::Loc)]
        );
        let s = spans(&path, |_, _| 1.0);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].start, s[0].end, s[0].label), (0, 2, NerLabel::Loc));
    }

    #[test]
    fn builtin_tags_obvious_entities() {
        let t = NerTagger::builtin().expect("embedded weights load");
        let words = [
            "President",
            "Bill",
            "Clinton",
            "flew",
            "to",
            "Paris",
            "on",
            "Monday",
            ".",
        ];
        let s = t.tag(&words);
        assert!(
            s.iter()
                .any(|e| e.label == NerLabel::Per && e.start == 1 && e.end == 3),
            "{s:?}"
        );
        assert!(
            s.iter()
                .any(|e| e.label == NerLabel::Loc && e.start == 5 && e.end == 6),
            "{s:?}"
        );
        assert!(s.iter().all(|e| (0.0..=1.0).contains(&e.score)));
        assert!(t.tag(&[]).is_empty());
        let _ = t.tag(&["", " ", "\u{0}", "ÉÉ"]);
    }

    static TAGGER: once_cell::sync::Lazy<NerTagger> =
        once_cell::sync::Lazy::new(|| NerTagger::builtin().expect("embedded weights load"));

    proptest::proptest! {
        /// Any token sequence: no panic, spans in bounds, ordered, disjoint, scores in 0..=1.
        #[test]
        fn spans_are_well_formed(words in proptest::collection::vec("\\PC{0,12}", 0..40)) {
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            let spans = TAGGER.tag(&refs);
            let mut last_end = 0;
            for s in &spans {
                proptest::prop_assert!(s.start >= last_end && s.start < s.end && s.end <= refs.len());
                proptest::prop_assert!((0.0..=1.0).contains(&s.score));
                last_end = s.end;
            }
        }
    }

    #[test]
    fn all_caps_headline_and_dateline() {
        let s = TAGGER.tag(&["RUSSIA", "SAYS", "CHECHEN", "REBELS", "BROKE", "TRUCE"]);
        assert!(
            s.iter()
                .any(|e| e.start == 0 && e.end == 1 && e.label == NerLabel::Loc),
            "{s:?}"
        );
        assert!(
            !s.iter().any(|e| e.start <= 1 && e.end > 1),
            "SAYS is not an entity: {s:?}"
        );
        let d = TAGGER.tag(&["MOSCOW", "1997-04-01"]);
        assert_eq!(
            d.first().map(|e| (e.start, e.end, e.label)),
            Some((0, 1, NerLabel::Loc))
        );
    }

    #[test]
    fn tagger_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<NerTagger>();
    }
}
