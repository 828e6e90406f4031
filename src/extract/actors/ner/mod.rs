//! Named-entity tagger: PER, ORG, LOC and MISC spans over PTB-style tokens.
//!
//! A first-order structured (averaged) perceptron over hashed sparse features, decoded with
//! Viterbi under BIO constraints. Written by hand rather than taken from a crate because it is
//! the hot path of the product (every token of every article passes through it) and must
//! meet its speed target (docs/performance.md) with no per-token allocation; the features ([`features`]) are
//! shared verbatim by the trainer ([`train`]) so training and inference cannot disagree.
//!
//! The weights (`data/ner/weights.bin`) are distilled from spaCy's MIT-licensed small English
//! model run over newswire text (silver labels), with PETRARCH2-derived gazetteer features; see
//! `tools/ner/README.md` for how to regenerate them.

pub mod case_profile;
pub mod features;
pub mod model;
pub mod phrase_lists;
pub mod train;
mod word_index;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Add, Sub};

use thiserror::Error;

use crate::extract::hash::FxBuild;
use features::{MAX_FEATURES, Neighbour, SentenceCase, TokenCodes, TokenInfo};
use model::{Model, NUM_TAGS};
use phrase_lists::PhraseLists;
use word_index::WordIndex;

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
    phrase_lists: PhraseLists,
    cache: WordCache,
    /// Exact word form -> index into `words` and `headline_rows`, for the model's frequent
    /// words.
    vocab: WordIndex,
    /// Per frequent word: its token codes and pre-summed rows in ordinary text.
    words: Vec<VocabWord>,
    /// Per frequent word: its own row in all-caps and in title-case sentences ([`SentenceCase::Capitals`] and [`SentenceCase::TitleCase`]).
    /// Kept apart because such sentences are rare: the record a token of ordinary text reads
    /// ([`VocabWord`]) then fills two cache lines instead of four, and scoring is memory-bound.
    headline_rows: Vec<[Row; 2]>,
    small: SmallTables,
    /// Tells this tagger's word ids ([`NerTagger::tag_with_ids`]) from another tagger's: a
    /// per-thread table keyed by word id must start over when the tagger changes.
    vocab_id: u64,
}

/// A frequent word's token codes and its rows in ordinary text, side by side: a token reads
/// both, and in one cache-aligned record of 128 bytes they are two adjacent cache lines
/// (which the hardware prefetches as a pair) rather than lines of two tables. The tagger's
/// scoring waits on memory more than it computes, so the record is kept small: the codes
/// leave out the word and suffix hashes (only the word's own features read them, and those
/// are summed in advance), and the rows are stored in 16 bits (widened to 32 for scoring;
/// the built-in weights' sums fit with room to spare, see `VocabWord::rows_fit`).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct VocabWord {
    codes: TokenCodes,
    /// [`WordRows`] in 16 bits: own, as_prev, as_next, as_prev2, as_next2.
    rows: [[i16; NUM_TAGS]; 5],
    /// False if a row does not fit in 16 bits (no word of the built-in weights): the word's
    /// tokens are then scored from their features, as unknown words are, with the same sums.
    rows_fit: bool,
}

const _: () = assert!(std::mem::size_of::<VocabWord>() == 128);

pub use crate::extract::text::tokens::NO_WORD;

/// Hands out [`NerTagger::vocab_id`]s.
static NEXT_VOCAB_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

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
            let t = features::token_info(w, &model.case_profile);
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

/// One row of per-tag scores.
type Row = [i32; NUM_TAGS];

#[inline]
fn add_row(acc: &mut Row, r: &Row) {
    for (a, b) in acc.iter_mut().zip(r.iter()) {
        *a += *b;
    }
}

/// Sums the weight rows of `keys`.
fn sum_keys(model: &Model, keys: &[u32]) -> Row {
    let mut s = [0i32; NUM_TAGS];
    for &k in keys {
        model.add_feature(k, &mut s);
    }
    s
}

/// Everything the tagger needs about one word type, with its feature weights pre-summed:
/// the weights of its own features, and of the features it lends the tokens around it. Scores
/// are integer sums, so summing in another order gives exactly the same emissions.
#[derive(Clone, Copy)]
struct WordRows {
    /// Unigram and sentence-case features of the token itself, in one [`SentenceCase`].
    own: Row,
    /// Added to the token after it, the one before it, two after, two before.
    as_prev: Row,
    as_next: Row,
    as_prev2: Row,
    as_next2: Row,
}

impl WordRows {
    const ZERO: WordRows = WordRows {
        own: [0; NUM_TAGS],
        as_prev: [0; NUM_TAGS],
        as_next: [0; NUM_TAGS],
        as_prev2: [0; NUM_TAGS],
        as_next2: [0; NUM_TAGS],
    };

    /// The rows in 16 bits, if every sum fits.
    fn narrow(&self) -> Option<[[i16; NUM_TAGS]; 5]> {
        let narrow = |row: &Row| -> Option<[i16; NUM_TAGS]> {
            let mut out = [0i16; NUM_TAGS];
            for (o, v) in out.iter_mut().zip(row) {
                *o = i16::try_from(*v).ok()?;
            }
            Some(out)
        };
        Some([
            narrow(&self.own)?,
            narrow(&self.as_prev)?,
            narrow(&self.as_next)?,
            narrow(&self.as_prev2)?,
            narrow(&self.as_next2)?,
        ])
    }

    /// Overwrites these rows with the ones [`narrow`](Self::narrow) stored, in place (a
    /// returned `WordRows` would be moved with a call to `memcpy`).
    #[inline]
    fn widen_from(&mut self, rows: &[[i16; NUM_TAGS]; 5]) {
        let dst = [
            &mut self.own,
            &mut self.as_prev,
            &mut self.as_next,
            &mut self.as_prev2,
            &mut self.as_next2,
        ];
        for (d, r) in dst.into_iter().zip(rows) {
            for (x, v) in d.iter_mut().zip(r) {
                *x = i32::from(*v);
            }
        }
    }

    /// The rows of a word with facts `info` (`gaz` left 0: it depends on the sentence) in
    /// a sentence written `sentence`.
    fn new(model: &Model, cache: &WordCache, info: &TokenInfo, sentence: SentenceCase) -> WordRows {
        let mut nb = [0u32; 2];
        let mut rel = |r: Neighbour| {
            let n = features::neighbour_features(Some(info), r, &mut nb);
            sum_keys(model, &nb[..n])
        };
        WordRows {
            own: own_row(model, cache, info, sentence),
            as_prev: rel(Neighbour::Prev),
            as_next: rel(Neighbour::Next),
            as_prev2: rel(Neighbour::Prev2),
            as_next2: rel(Neighbour::Next2),
        }
    }
}

/// The summed weights of a word's own features (unigram and sentence case) in a sentence
/// written `sentence`.
fn own_row(model: &Model, cache: &WordCache, info: &TokenInfo, sentence: SentenceCase) -> Row {
    // Exactly what the plain scorer does: the word cache (keyed by the low 32 bits of the word
    // hash) when it answers, else the features; no exact word in all caps.
    let cached = if sentence != SentenceCase::Capitals {
        cache.get(info.word)
    } else {
        None
    };
    let mut row = match cached {
        Some(s) => *s,
        None => {
            let mut keys = [0u32; MAX_FEATURES];
            let n = features::unigram_features(info, sentence != SentenceCase::Capitals, &mut keys);
            sum_keys(model, &keys[..n])
        }
    };
    model.add_feature(
        features::sentence_case_feature(info.lower, sentence),
        &mut row,
    );
    row
}

/// Number of case buckets the tables cover (the lexicon only holds `0..BUCKETS`).
const CASES: usize = case_profile::BUCKETS as usize;
/// Short shapes are `0..SHAPES` (0 = outside the sentence).
const SHAPES: usize = features::MAX_SHORT_SHAPE as usize + 1;
/// Index of "outside the sentence" in the case-window table (the feature writes 9).
const CASE_OUT: usize = CASES;

/// Pre-summed weights of the features that depend only on a few small codes (short shapes,
/// case buckets, sentence case, gazetteer bits) and of the sentence-edge sentinels. Built
/// once at load time from the same feature functions, so each is one read instead of a hash
/// and a probe of the big weight table.
struct SmallTables {
    bos_prev: Row,
    bos_prev2: Row,
    eos_next: Row,
    eos_next2: Row,
    /// Short shapes of the 5-token window, 3 bits each (prev2 lowest).
    shape_window: Vec<Row>,
    /// `[case][short shape][sentence case][initial]`.
    profile: Vec<Row>,
    /// `[prev case or out][case][next case or out]`.
    case_window: Vec<Row>,
    /// `[which][bit][short shape]`.
    gaz: Vec<Row>,
}

const GAZ_BITS: usize = 16;

impl SmallTables {
    fn build(model: &Model) -> SmallTables {
        let edge = |x: Option<&TokenInfo>, r: Neighbour| {
            let mut nb = [0u32; 2];
            let n = features::neighbour_features(x, r, &mut nb);
            sum_keys(model, &nb[..n])
        };
        let mut shape_window = Vec::with_capacity(SHAPES.pow(5));
        for code in 0..SHAPES.pow(5) {
            let ss = |k: u32| ((code / SHAPES.pow(k)) % SHAPES) as u8;
            let k = features::shape_window_feature(ss(0), ss(1), ss(2), ss(3), ss(4));
            shape_window.push(sum_keys(model, &[k]));
        }
        let mut profile = Vec::with_capacity(CASES * SHAPES * 3 * 2);
        for case in 0..CASES {
            for ss in 0..SHAPES {
                for sentence in SentenceCase::ALL {
                    for initial in [false, true] {
                        let k = features::profile_features(case as u8, ss as u8, sentence, initial);
                        profile.push(sum_keys(model, &k));
                    }
                }
            }
        }
        let case_code = |c: usize| if c == CASE_OUT { 9 } else { c as u8 };
        let mut case_window = Vec::with_capacity((CASES + 1) * CASES * (CASES + 1));
        for p in 0..=CASES {
            for c in 0..CASES {
                for n in 0..=CASES {
                    let k = features::case_window_feature(case_code(p), c as u8, case_code(n));
                    case_window.push(sum_keys(model, &[k]));
                }
            }
        }
        let mut gaz = Vec::with_capacity(3 * GAZ_BITS * SHAPES);
        for which in 0..3u32 {
            for bit in 0..GAZ_BITS as u32 {
                for ss in 0..SHAPES {
                    gaz.push(sum_keys(
                        model,
                        &[features::gaz_feature(which, bit, ss as u8)],
                    ));
                }
            }
        }
        SmallTables {
            bos_prev: edge(None, Neighbour::Prev),
            bos_prev2: edge(None, Neighbour::Prev2),
            eos_next: edge(None, Neighbour::Next),
            eos_next2: edge(None, Neighbour::Next2),
            shape_window,
            profile,
            case_window,
            gaz,
        }
    }
}

/// Per-thread buffers of [`NerTagger::decode`], so tagging a sentence allocates only what it
/// returns.
#[derive(Default)]
struct Scratch {
    codes: Vec<TokenCodes>,
    /// Per token: index into the tagger's words, or `OOV | index` into `oov`.
    which: Vec<u32>,
    /// The facts of the tokens scored from their features (unknown words), in token order.
    oov: Vec<TokenInfo>,
    /// Per token: its rows in the sentence's [`SentenceCase`].
    rows: Vec<WordRows>,
    /// The Viterbi's best scores per token.
    deltas: Vec<[i32; NUM_TAGS]>,
}

/// The tokens of one sentence as the tagger scores them.
#[derive(Clone, Copy)]
struct Tokens<'a> {
    codes: &'a [TokenCodes],
    /// Per token: index into the tagger's words, or `OOV | index` into `oov`.
    which: &'a [u32],
    /// The facts of the tokens scored from their features.
    oov: &'a [TokenInfo],
}

/// Marks an index of [`Scratch::which`] as pointing into [`Scratch::oov`].
const OOV: u32 = 1 << 31;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

static BUILTIN_WEIGHTS: &[u8] = include_bytes!("../../../../data/ner/weights.bin");

impl NerTagger {
    /// The tagger with the weights and lists embedded in the crate.
    pub fn builtin() -> Result<NerTagger, NerError> {
        NerTagger::from_parts(BUILTIN_WEIGHTS, PhraseLists::builtin())
    }

    /// A tagger from a weight file's bytes and a gazetteer (the trainer and tests use this).
    pub fn from_parts(weights: &[u8], phrase_lists: PhraseLists) -> Result<NerTagger, NerError> {
        let model = Model::from_bytes(weights)?;
        let cache = WordCache::build(&model);
        // Word form -> index, to skip a word given twice; the tagger keeps it as a `WordIndex`.
        let mut vocab: HashMap<&str, u32, FxBuild> = HashMap::default();
        vocab.reserve(model.vocab.len());
        let mut words = Vec::with_capacity(model.vocab.len());
        let mut headline_rows = Vec::with_capacity(model.vocab.len());
        for w in &model.vocab {
            if vocab.contains_key(w.as_str()) {
                continue;
            }
            let mut info = features::token_info(w, &model.case_profile);
            info.gaz_head = Some(phrase_lists.head(info.lower));
            let Ok(ix) = u32::try_from(words.len()) else {
                break;
            };
            if ix >= OOV {
                break;
            }
            let rows = WordRows::new(&model, &cache, &info, SentenceCase::Text).narrow();
            words.push(VocabWord {
                codes: TokenCodes::from(&info),
                rows: rows.unwrap_or_default(),
                rows_fit: rows.is_some(),
            });
            headline_rows.push([
                own_row(&model, &cache, &info, SentenceCase::Capitals),
                own_row(&model, &cache, &info, SentenceCase::TitleCase),
            ]);
            vocab.insert(w.as_str(), ix);
        }
        let vocab = WordIndex::new(vocab);
        let small = SmallTables::build(&model);
        Ok(NerTagger {
            model,
            phrase_lists,
            cache,
            vocab,
            words,
            headline_rows,
            small,
            vocab_id: NEXT_VOCAB_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Number of features in the model.
    pub fn num_features(&self) -> usize {
        self.model.num_features()
    }

    /// Entity spans over a sentence given as token strings (already tokenized, PTB-style).
    pub fn tag(&self, words: &[&str]) -> Vec<EntitySpan> {
        self.tag_with_ids(words, &mut Vec::new())
    }

    /// [`tag`](Self::tag), also writing each token's word id to `ids` (cleared first): its
    /// index in the tagger's vocabulary of frequent words, or [`NO_WORD`]. The tagger looks
    /// every token up anyway; later stages index per-word tables with the id instead of
    /// hashing the token again (see `TriggerLexicon::prepare_with_ids` in `events::lexicon`).
    pub fn tag_with_ids(&self, words: &[&str], ids: &mut Vec<u32>) -> Vec<EntitySpan> {
        ids.clear();
        if words.is_empty() {
            return Vec::new();
        }
        let (em, path) = self.decode(words, ids);
        spans(&path, |i, t| softmax_prob(em.get(i), t, self.model.scale))
    }

    /// Identifies this tagger's word ids: equal for two taggers only if they are the same.
    pub fn vocab_id(&self) -> u64 {
        self.vocab_id
    }

    /// The tag sequence for a sentence (tag ids, see [`tags`]).
    pub fn tag_ids(&self, words: &[&str]) -> Vec<u8> {
        self.decode(words, &mut Vec::new()).1
    }

    /// Emission scores and the Viterbi path; each token's word id goes to `ids`. Allocates
    /// only the two vectors it returns.
    fn decode(&self, words: &[&str], ids: &mut Vec<u32>) -> (Vec<[i32; NUM_TAGS]>, Vec<u8>) {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.decode_with(words, &mut scratch, ids),
            // Only reachable if tagging re-entered itself on this thread.
            Err(_) => self.decode_with(words, &mut Scratch::default(), ids),
        })
    }

    /// Emission scores and the Viterbi path; each token's word id goes to `ids`.
    fn decode_with(
        &self,
        words: &[&str],
        sc: &mut Scratch,
        ids: &mut Vec<u32>,
    ) -> (Vec<[i32; NUM_TAGS]>, Vec<u8>) {
        let Scratch {
            codes,
            which,
            oov,
            rows,
            deltas,
        } = sc;
        codes.clear();
        which.clear();
        oov.clear();
        // Nearly every word's index slot, then its record, is a cache miss (the index and the
        // records take megabytes). Looked up in one pass, a word waits for the previous
        // word's misses; so all the slots are requested first, then each record as soon as
        // its index is known, and only then are the records read.
        for w in words {
            self.vocab.prefetch(w);
        }
        let first = ids.len();
        for w in words {
            let known = self.vocab.get(w);
            if let Some(word) = known.and_then(|ix| self.words.get(ix as usize)) {
                crate::extract::prefetch(word);
                crate::extract::prefetch(&word.rows_fit);
            }
            ids.push(known.unwrap_or(NO_WORD));
        }
        for (w, &id) in words.iter().zip(ids.get(first..).unwrap_or_default()) {
            let known = (id != NO_WORD).then_some(id);
            match known.and_then(|ix| Some((ix, self.words.get(ix as usize)?))) {
                Some((ix, word)) if word.rows_fit => {
                    which.push(ix);
                    codes.push(word.codes);
                }
                _ => {
                    let info = features::token_info(w, &self.model.case_profile);
                    which.push(OOV | oov.len() as u32);
                    codes.push(TokenCodes::from(&info));
                    oov.push(info);
                }
            }
        }
        self.phrase_lists.mark(codes);
        let sent = features::sentence_info(codes);
        let tokens = Tokens { codes, which, oov };
        let em = self.emissions(tokens, rows, sent.case);
        let mut path = Vec::with_capacity(words.len());
        viterbi_i32(&em, &self.model.transitions, deltas, &mut path);
        (em, path)
    }

    /// Each token's rows in a sentence written `sentence`, in `buf`: a frequent word's
    /// own row in ordinary text is in its record, else in its headline rows; an unknown
    /// word's are summed from its features (`gaz` plays no part in them). Part of the body of
    /// [`emissions`](Self::emissions), so that widening the records' 16-bit rows is compiled
    /// with AVX2 too (one sign-extending load per eight scores); filled in place, since a
    /// returned row set would be moved with a call to `memcpy`.
    #[inline(always)]
    fn fill_rows<'b>(
        &self,
        tokens: Tokens,
        buf: &'b mut Vec<WordRows>,
        sentence: SentenceCase,
    ) -> &'b [WordRows] {
        let n = tokens.which.len();
        // The buffer only grows, so a sentence writes each row once.
        if buf.len() < n {
            buf.resize(n, WordRows::ZERO);
        }
        for (r, &k) in buf.iter_mut().zip(tokens.which) {
            if k & OOV != 0 {
                if let Some(info) = tokens.oov.get((k & !OOV) as usize) {
                    *r = WordRows::new(&self.model, &self.cache, info, sentence);
                }
                continue;
            }
            if let Some(word) = self.words.get(k as usize) {
                r.widen_from(&word.rows);
            }
            if let (SentenceCase::Capitals | SentenceCase::TitleCase, Some(h)) =
                (sentence, self.headline_rows.get(k as usize))
            {
                r.own = h[sentence.index() - 1];
            }
        }
        &buf[..n]
    }

    /// Per-token tag scores: the sum of the weights of every feature of
    /// [`features::token_features`], taken from the pre-summed rows where a feature depends on
    /// one word type or a few small codes, and probed in the weight table for the word-pair
    /// features. Scoring is memory-bound; this turns ~20 random probes per token into ~4.
    fn emissions(
        &self,
        tokens: Tokens,
        rows: &mut Vec<WordRows>,
        sentence: SentenceCase,
    ) -> Vec<Row> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.emissions_avx2(tokens, rows, sentence) };
        }
        self.emissions_portable(tokens, rows, sentence)
    }

    /// [`emissions`](Self::emissions) compiled with AVX2: a row of nine scores is then one
    /// vector add and a scalar one, instead of two and a scalar.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn emissions_avx2(
        &self,
        tokens: Tokens,
        rows: &mut Vec<WordRows>,
        sentence: SentenceCase,
    ) -> Vec<Row> {
        self.emissions_portable(tokens, rows, sentence)
    }

    /// The body of [`emissions`](Self::emissions), for any target.
    #[inline(always)]
    fn emissions_portable(
        &self,
        tokens: Tokens,
        rows: &mut Vec<WordRows>,
        sentence: SentenceCase,
    ) -> Vec<Row> {
        let infos = tokens.codes;
        let rows = self.fill_rows(tokens, rows, sentence);
        let n = infos.len();
        let sm = &self.small;
        let m = sentence.index();
        let ss_at = |j: usize| infos.get(j).map_or(0u8, |x| x.short_shape);
        let mut em = Vec::with_capacity(n);
        // A token's pair features come from the boundaries before and after it; the
        // boundary after one token is the one before the next.
        let mut after = features::boundary_pairs(infos, 1);
        let mut pairs = features::pair_features(features::boundary_pairs(infos, 0), after);
        for (i, (t, r)) in infos.iter().zip(rows).enumerate() {
            // The next token's pair weights are requested now and read one token later: by
            // then they have arrived, where a lookup made when needed waits on memory.
            let after_next = features::boundary_pairs(infos, i + 2);
            let next_pairs = features::pair_features(after, after_next);
            if i + 1 < n {
                for k in next_pairs {
                    self.model.prefetch(k);
                }
            }
            let mut s = r.own;
            add_row(
                &mut s,
                if i > 0 {
                    &rows[i - 1].as_prev
                } else {
                    &sm.bos_prev
                },
            );
            add_row(&mut s, rows.get(i + 1).map_or(&sm.eos_next, |x| &x.as_next));
            add_row(
                &mut s,
                if i > 1 {
                    &rows[i - 2].as_prev2
                } else {
                    &sm.bos_prev2
                },
            );
            add_row(
                &mut s,
                rows.get(i + 2).map_or(&sm.eos_next2, |x| &x.as_next2),
            );
            for k in pairs {
                self.model.add_feature(k, &mut s);
            }
            (pairs, after) = (next_pairs, after_next);
            let prev = if i > 0 { infos.get(i - 1) } else { None };
            let next = infos.get(i + 1);
            let ss = t.short_shape;
            let window = [
                if i > 1 { ss_at(i - 2) } else { 0 },
                if i > 0 { ss_at(i - 1) } else { 0 },
                ss,
                ss_at(i + 1),
                ss_at(i + 2),
            ];
            if window.iter().all(|&x| usize::from(x) < SHAPES) {
                let code = window
                    .iter()
                    .rev()
                    .fold(0usize, |acc, &x| acc * SHAPES + usize::from(x));
                add_row(&mut s, &sm.shape_window[code]);
            } else {
                let [a, b, c, d, e] = window;
                let k = features::shape_window_feature(a, b, c, d, e);
                self.model.add_feature(k, &mut s);
            }
            let initial = features::is_initial(infos, i);
            let case = usize::from(t.case);
            if case < CASES && usize::from(ss) < SHAPES {
                let code = ((case * SHAPES + usize::from(ss)) * 3 + m) * 2 + usize::from(initial);
                add_row(&mut s, &sm.profile[code]);
            } else {
                for k in features::profile_features(t.case, ss, sentence, initial) {
                    self.model.add_feature(k, &mut s);
                }
            }
            // A real token's bucket must be in range; "outside" has its own index.
            let bucket = |x: Option<&TokenCodes>| match x {
                None => CASE_OUT,
                Some(x) if usize::from(x.case) < CASES => usize::from(x.case),
                Some(_) => usize::MAX,
            };
            let (pc, nc) = (bucket(prev), bucket(next));
            if pc <= CASES && case < CASES && nc <= CASES {
                add_row(
                    &mut s,
                    &sm.case_window[(pc * CASES + case) * (CASES + 1) + nc],
                );
            } else {
                let code = |x: Option<&TokenCodes>| x.map_or(9, |x| x.case);
                let k = features::case_window_feature(code(prev), t.case, code(next));
                self.model.add_feature(k, &mut s);
            }
            for (which, g) in [
                (0u32, t.gaz),
                (1, prev.map_or(0, |p| p.gaz)),
                (2, next.map_or(0, |p| p.gaz)),
            ] {
                let mut bits = g;
                while bits != 0 {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    if usize::from(ss) < SHAPES {
                        let code =
                            (which as usize * GAZ_BITS + b as usize) * SHAPES + usize::from(ss);
                        add_row(&mut s, &sm.gaz[code]);
                    } else {
                        self.model
                            .add_feature(features::gaz_feature(which, b, ss), &mut s);
                    }
                }
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
/// Writes the best tag sequence to `path`; `deltas` is scratch space. `neg_inf` must be small
/// enough that adding two of them to a score neither overflows nor wins.
///
/// Ties go to the first best predecessor (the lowest tag id). Back-pointers are not kept for
/// every tag of every token, which would double the work of the forward pass (the tagger's
/// hottest loop): the best scores (`deltas`) are, and the backtrace recomputes the one
/// predecessor it follows, with the same sums and the same tie rule.
pub fn viterbi<T>(
    em: &[[T; NUM_TAGS]],
    trans: &[[T; NUM_TAGS]; NUM_TAGS + 1],
    neg_inf: T,
    deltas: &mut Vec<[T; NUM_TAGS]>,
    path: &mut Vec<u8>,
) where
    T: Copy + PartialOrd + Add<Output = T> + Sub<Output = T>,
{
    path.clear();
    deltas.clear();
    let Some(first) = em.first() else { return };
    let tr = bio_transitions(trans, neg_inf);
    let mut delta = [neg_inf; NUM_TAGS];
    for t in 0..NUM_TAGS {
        delta[t] = tr[NUM_TAGS][t] + first[t];
    }
    deltas.push(delta);
    for e in &em[1..] {
        // For every `to`, the best of the predecessors; the loop over `to` is innermost so
        // that it runs as branch-free vector maxima.
        let mut best = [neg_inf; NUM_TAGS];
        for to in 0..NUM_TAGS {
            best[to] = delta[0] + tr[0][to];
        }
        for from in 1..NUM_TAGS {
            let d = delta[from];
            let row = &tr[from];
            for to in 0..NUM_TAGS {
                let v = d + row[to];
                best[to] = if v > best[to] { v } else { best[to] };
            }
        }
        let mut next = delta;
        for to in 0..NUM_TAGS {
            next[to] = best[to] + e[to];
        }
        // Keep the best score at zero so long sentences cannot overflow integer scores.
        let top = next[1..]
            .iter()
            .fold(next[0], |top, &v| if v > top { v } else { top });
        for v in next.iter_mut() {
            *v = *v - top;
        }
        delta = next;
        deltas.push(delta);
    }
    backtrace(&tr, deltas, path);
}

/// The transitions with the BIO constraints folded in (a forbidden step costs `neg_inf`), so
/// that the forward pass is branch-free.
fn bio_transitions<T: Copy>(
    trans: &[[T; NUM_TAGS]; NUM_TAGS + 1],
    neg_inf: T,
) -> [[T; NUM_TAGS]; NUM_TAGS + 1] {
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
    tr
}

/// Writes the best path given the forward pass's best scores per token (`deltas`, one per
/// token) and the BIO-folded transitions.
fn backtrace<T>(tr: &[[T; NUM_TAGS]; NUM_TAGS + 1], deltas: &[[T; NUM_TAGS]], path: &mut Vec<u8>)
where
    T: Copy + PartialOrd + Add<Output = T>,
{
    let Some(last) = deltas.last() else { return };
    let mut best = 0usize;
    for t in 1..NUM_TAGS {
        if last[t] > last[best] {
            best = t;
        }
    }
    path.resize(deltas.len(), 0);
    let mut cur = best;
    for i in (0..deltas.len()).rev() {
        path[i] = cur as u8;
        if i > 0 {
            cur = best_from(&deltas[i - 1], tr, cur);
        }
    }
}

/// [`viterbi`] over the tagger's integer scores with [`NEG_INF`], on AVX2 where the CPU has it.
/// The forward pass (a max over 9 x 9 sums per token) is the tagger's one compute-bound loop,
/// and the baseline x86-64 target has no vector max of 32-bit integers (SSE4.1 brings it), so
/// the generic version runs it a lane at a time. Integer sums and maxima are exact and the
/// backtrace is shared, so both give the same path (test `viterbi_i32_matches_generic`).
fn viterbi_i32(
    em: &[[i32; NUM_TAGS]],
    trans: &[[i32; NUM_TAGS]; NUM_TAGS + 1],
    deltas: &mut Vec<[i32; NUM_TAGS]>,
    path: &mut Vec<u8>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        unsafe { avx2::viterbi(em, trans, deltas, path) };
        return;
    }
    viterbi(em, trans, NEG_INF, deltas, path);
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{NEG_INF, NUM_TAGS, backtrace, bio_transitions};
    use std::arch::x86_64::*;

    /// A token's nine tag scores: tags 0 to 7 in one register, tag 8 in every lane of the
    /// other (so the maximum of the two registers' lanes is the maximum over all nine).
    #[derive(Clone, Copy)]
    struct Scores {
        lo: __m256i,
        hi: __m256i,
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(x: &[i32; NUM_TAGS]) -> Scores {
        Scores {
            lo: _mm256_setr_epi32(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]),
            hi: _mm256_set1_epi32(x[8]),
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn store(s: Scores) -> [i32; NUM_TAGS] {
        [
            _mm256_extract_epi32::<0>(s.lo),
            _mm256_extract_epi32::<1>(s.lo),
            _mm256_extract_epi32::<2>(s.lo),
            _mm256_extract_epi32::<3>(s.lo),
            _mm256_extract_epi32::<4>(s.lo),
            _mm256_extract_epi32::<5>(s.lo),
            _mm256_extract_epi32::<6>(s.lo),
            _mm256_extract_epi32::<7>(s.lo),
            _mm256_extract_epi32::<0>(s.hi),
        ]
    }

    /// The forward pass of the generic [`viterbi`](super::viterbi), eight tags to a register.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn viterbi(
        em: &[[i32; NUM_TAGS]],
        trans: &[[i32; NUM_TAGS]; NUM_TAGS + 1],
        deltas: &mut Vec<[i32; NUM_TAGS]>,
        path: &mut Vec<u8>,
    ) {
        path.clear();
        deltas.clear();
        let Some(first) = em.first() else { return };
        let tr = bio_transitions(trans, NEG_INF);
        let rows: [Scores; NUM_TAGS] = std::array::from_fn(|f| load(&tr[f]));
        let start = load(&tr[NUM_TAGS]);
        let e0 = load(first);
        let mut delta = store(Scores {
            lo: _mm256_add_epi32(start.lo, e0.lo),
            hi: _mm256_add_epi32(start.hi, e0.hi),
        });
        deltas.reserve(em.len());
        deltas.push(delta);
        for e in &em[1..] {
            // As the generic version: the sums from tag 0, then the maximum with the others.
            let d0 = _mm256_set1_epi32(delta[0]);
            let mut lo = _mm256_add_epi32(d0, rows[0].lo);
            let mut hi = _mm256_add_epi32(d0, rows[0].hi);
            for (from, row) in rows.iter().enumerate().skip(1) {
                let d = _mm256_set1_epi32(delta[from]);
                lo = _mm256_max_epi32(lo, _mm256_add_epi32(d, row.lo));
                hi = _mm256_max_epi32(hi, _mm256_add_epi32(d, row.hi));
            }
            let e = load(e);
            lo = _mm256_add_epi32(lo, e.lo);
            hi = _mm256_add_epi32(hi, e.hi);
            // Keep the best score at zero so long sentences cannot overflow integer scores.
            let mut m = _mm256_max_epi32(lo, hi);
            m = _mm256_max_epi32(m, _mm256_permute2x128_si256::<1>(m, m));
            m = _mm256_max_epi32(m, _mm256_shuffle_epi32::<0b01_00_11_10>(m));
            m = _mm256_max_epi32(m, _mm256_shuffle_epi32::<0b10_11_00_01>(m));
            lo = _mm256_sub_epi32(lo, m);
            hi = _mm256_sub_epi32(hi, m);
            delta = store(Scores { lo, hi });
            deltas.push(delta);
        }
        backtrace(&tr, deltas, path);
    }
}

/// The best predecessor of tag `to` given the previous token's scores `delta` (the first of
/// the highest, as the forward pass ranks them).
fn best_from<T>(delta: &[T; NUM_TAGS], tr: &[[T; NUM_TAGS]; NUM_TAGS + 1], to: usize) -> usize
where
    T: Copy + PartialOrd + Add<Output = T>,
{
    let mut arg = 0;
    let mut best = delta[0] + tr[0][to];
    for from in 1..NUM_TAGS {
        let v = delta[from] + tr[from][to];
        if v > best {
            best = v;
            arg = from;
        }
    }
    arg
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
        let (mut deltas, mut path) = (Vec::new(), Vec::new());
        viterbi(&em, &trans, neg, &mut deltas, &mut path);
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

    /// The emissions as the plain feature list defines them (what the trainer scores): the
    /// pre-summed scorer must give exactly these.
    fn reference_emissions(t: &NerTagger, words: &[&str]) -> Vec<[i32; NUM_TAGS]> {
        let mut infos = Vec::new();
        let sent =
            features::analyse_sentence(words, &t.model.case_profile, &t.phrase_lists, &mut infos);
        let mut keys = [0u32; MAX_FEATURES];
        (0..infos.len())
            .map(|i| {
                let cached = if sent.case != SentenceCase::Capitals {
                    t.cache.get(infos[i].word)
                } else {
                    None
                };
                let (mut s, n) = match cached {
                    Some(s) => (
                        *s,
                        features::context_features(&infos, sent, i, &mut keys, 0),
                    ),
                    None => (
                        [0i32; NUM_TAGS],
                        features::token_features(&infos, sent, i, &mut keys),
                    ),
                };
                for &k in &keys[..n] {
                    t.model.add_feature(k, &mut s);
                }
                s
            })
            .collect()
    }

    #[test]
    fn rows_narrow_to_16_bits_only_when_they_fit() {
        let mut rows = WordRows::ZERO;
        rows.own[0] = i32::from(i16::MAX);
        rows.as_prev[3] = i32::from(i16::MIN);
        rows.as_next2[8] = -7;
        let narrow = rows.narrow().expect("every sum fits in 16 bits");
        let mut back = WordRows::ZERO;
        back.as_next[1] = 99; // overwritten
        back.widen_from(&narrow);
        assert_eq!(back.own, rows.own);
        assert_eq!(back.as_prev, rows.as_prev);
        assert_eq!(back.as_next, rows.as_next);
        assert_eq!(back.as_prev2, rows.as_prev2);
        assert_eq!(back.as_next2, rows.as_next2);
        rows.as_prev2[4] = i32::from(i16::MAX) + 1;
        assert!(rows.narrow().is_none());
    }

    /// Every frequent word of the built-in weights is scored from its 16-bit record; a word
    /// whose sums outgrew 16 bits would be scored from its features, right but slower.
    #[test]
    fn builtin_word_rows_fit_in_16_bits() {
        assert!(TAGGER.words.iter().all(|w| w.rows_fit));
        assert!(TAGGER.words.len() > 10_000);
    }

    /// A word whose record cannot hold its rows is scored as unknown words are: same sums.
    #[test]
    fn words_scored_from_features_give_the_same_emissions() {
        let mut t = NerTagger::builtin().expect("embedded weights load");
        for w in &mut t.words {
            // Emptied too, so that reading a record anyway would show.
            w.rows = Default::default();
            w.rows_fit = false;
        }
        let words = [
            "NEW", "YORK", "(", "Reuters", ")", "-", "the", "U.N.", "said", ".",
        ];
        let (em, _) = t.decode(&words, &mut Vec::new());
        assert_eq!(em, TAGGER.decode(&words, &mut Vec::new()).0);
        let words = ["President", "Bill", "Clinton", "flew", "to", "Paris", "."];
        let (em, _) = t.decode(&words, &mut Vec::new());
        assert_eq!(em, reference_emissions(&TAGGER, &words));
    }

    #[test]
    fn presummed_emissions_match_the_feature_list() {
        let sentences: [&[&str]; 5] = [
            &[
                "President",
                "Bill",
                "Clinton",
                "flew",
                "to",
                "Paris",
                "on",
                "Monday",
                ".",
            ],
            &["RUSSIA", "SAYS", "CHECHEN", "REBELS", "BROKE", "TRUCE"],
            &["New", "York", "Police", "Chief", "Meets", "With", "Mayor"],
            &[
                "(", "the", "United", "Nations", "'s", "Kofi", "Annan", ")", "Xq1-z", "É",
            ],
            &["a"],
        ];
        for words in sentences {
            let (em, _) = TAGGER.decode(words, &mut Vec::new());
            assert_eq!(em, reference_emissions(&TAGGER, words), "{words:?}");
        }
    }

    proptest::proptest! {
        /// Any token sequence: no panic, spans in bounds, ordered, disjoint, scores in 0..=1.
        #[test]
        fn spans_are_well_formed(words in proptest::collection::vec("\\PC{0,12}", 0..40)) {
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            if !refs.is_empty() {
                let (em, path) = TAGGER.decode(&refs, &mut Vec::new());
                proptest::prop_assert_eq!(&em, &reference_emissions(&TAGGER, &refs));
                let mut reference = Vec::new();
                viterbi_reference(&em, &TAGGER.model.transitions, &mut reference);
                proptest::prop_assert_eq!(path, reference);
            }
            let spans = TAGGER.tag(&refs);
            let mut last_end = 0;
            for s in &spans {
                proptest::prop_assert!(s.start >= last_end && s.start < s.end && s.end <= refs.len());
                proptest::prop_assert!((0.0..=1.0).contains(&s.score));
                last_end = s.end;
            }
        }
    }

    /// Viterbi as first written (predecessor loop innermost), to check the reordered loops.
    fn viterbi_reference(
        em: &[[i32; NUM_TAGS]],
        trans: &[[i32; NUM_TAGS]; NUM_TAGS + 1],
        path: &mut Vec<u8>,
    ) {
        path.clear();
        let Some(first) = em.first() else { return };
        let mut tr = *trans;
        for (from, row) in tr.iter_mut().enumerate() {
            let from = (from < NUM_TAGS).then_some(from as u8);
            for (to, v) in row.iter_mut().enumerate() {
                if !tags::allowed(from, to as u8) {
                    *v = NEG_INF;
                }
            }
        }
        let mut delta = [0i32; NUM_TAGS];
        for t in 0..NUM_TAGS {
            delta[t] = tr[NUM_TAGS][t] + first[t];
        }
        let mut bp = vec![[0u8; NUM_TAGS]];
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
            let top = next.iter().copied().max().unwrap_or(0);
            for v in next.iter_mut() {
                *v -= top;
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
            cur = bp[i][usize::from(cur)];
        }
    }

    proptest::proptest! {
        /// The reordered Viterbi finds the same path as the original, ties included.
        #[test]
        fn viterbi_matches_reference(
            em in proptest::collection::vec(proptest::array::uniform9(-3000i32..3000), 1..30),
            tr in proptest::array::uniform10(proptest::array::uniform9(-2000i32..2000)),
        ) {
            let (mut deltas, mut want, mut got) = (Vec::new(), Vec::new(), Vec::new());
            // Coarse values make ties common.
            let em: Vec<[i32; NUM_TAGS]> = em.iter().map(|r| r.map(|v| v / 500 * 500)).collect();
            let tr = tr.map(|r| r.map(|v| v / 500 * 500));
            viterbi_reference(&em, &tr, &mut want);
            viterbi(&em, &tr, NEG_INF, &mut deltas, &mut got);
            proptest::prop_assert_eq!(got, want);
        }

        /// The tagger's integer Viterbi (AVX2 where the CPU has it) finds the generic path
        /// and the same per-token best scores, ties included.
        #[test]
        fn viterbi_i32_matches_generic(
            em in proptest::collection::vec(proptest::array::uniform9(-3000i32..3000), 0..40),
            tr in proptest::array::uniform10(proptest::array::uniform9(-2000i32..2000)),
            coarse in proptest::bool::ANY,
        ) {
            let step = if coarse { 500 } else { 1 };
            let em: Vec<[i32; NUM_TAGS]> = em.iter().map(|r| r.map(|v| v / step * step)).collect();
            let tr = tr.map(|r| r.map(|v| v / step * step));
            let (mut want_deltas, mut want) = (Vec::new(), Vec::new());
            let (mut got_deltas, mut got) = (Vec::new(), Vec::new());
            viterbi(&em, &tr, NEG_INF, &mut want_deltas, &mut want);
            viterbi_i32(&em, &tr, &mut got_deltas, &mut got);
            proptest::prop_assert_eq!(got, want);
            proptest::prop_assert_eq!(got_deltas, want_deltas);
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
