//! Feature extraction shared by training and inference.
//!
//! Features are hashed straight to `u32` keys (no strings are built): a token's word, lower-cased
//! form, shape, affixes, neighbours, case profile and gazetteer membership are folded into a
//! 64-bit hash per template and finalised to 32 bits. The trainer scores [`token_features`],
//! and the tagger's pre-summed scoring is built from the same functions and tested against
//! it, so the two cannot drift apart; [`FEATURE_SET_VERSION`] is written
//! into the model file so weights built from another feature set are refused at load time.
//!
//! Hot path: everything here works on borrowed `&str` and fixed-size arrays; the only
//! allocations are the per-sentence buffers the caller owns and reuses.

use super::case_profile::CaseProfile;
use super::phrase_lists::PhraseLists;

/// Bumped whenever a template changes, so stale weights are refused instead of silently wrong.
pub const FEATURE_SET_VERSION: u32 = 4;

/// Upper bound on the number of features of one token (the tagger keeps them on the stack).
pub const MAX_FEATURES: usize = 64;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Streaming FNV-1a over chars, finished with a murmur3 mixer. Hand-written because it must
/// hash lower-cased and reversed char streams without building strings.
#[derive(Clone, Copy)]
struct Hasher(u64);

impl Hasher {
    #[inline]
    fn new(seed: u64) -> Self {
        Hasher(FNV_OFFSET ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
    #[inline]
    fn push(&mut self, v: u32) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(FNV_PRIME);
    }
    #[inline]
    fn finish(self) -> u64 {
        fmix64(self.0)
    }
}

#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// Hash of the lower-cased form of `word` (used by the lexicons as well as features).
#[inline]
pub fn lower_hash(word: &str) -> u64 {
    let mut h = Hasher::new(1);
    for c in word.chars() {
        push_lower(&mut h, c);
    }
    h.finish()
}

/// Feeds the lower-case form of `c` (ASCII fast path: `to_lowercase` is costly per char).
#[inline]
fn push_lower(h: &mut Hasher, c: char) {
    if c.is_ascii() {
        h.push(c.to_ascii_lowercase() as u32);
    } else {
        for l in c.to_lowercase() {
            h.push(l as u32);
        }
    }
}

/// Hash of a phrase's lower-cased tokens, extendable one token at a time (gazetteer matching).
#[inline]
pub fn phrase_extend(prev: u64, token_lower_hash: u64) -> u64 {
    fmix64(prev.rotate_left(17) ^ token_lower_hash.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The hash a phrase starts from before its first token.
pub const PHRASE_SEED: u64 = 0x51_7cc1_b727_220a;

/// Per-token facts computed once per sentence; features combine them across a window.
#[derive(Clone, Copy, Default, Debug)]
pub struct TokenInfo {
    pub word: u64,
    pub lower: u64,
    pub shape: u64,
    pub short_shape: u8,
    pub suffix: [u64; 4],
    pub flags: u8,
    /// Case profile bucket of the lower-cased word (see [`CaseProfile`]).
    pub case: u8,
    /// Gazetteer membership: bit `2*list` = phrase begins here, `2*list+1` = inside a phrase.
    pub gaz: u16,
    /// The gazetteer's entry for the one-word phrase of this token, when worked out in
    /// advance ([`PhraseLists::head`](super::phrase_lists::PhraseLists::head), for the tagger's
    /// frequent words); `None` when [`PhraseLists::mark`](super::phrase_lists::PhraseLists::mark)
    /// must look it up. It only saves that lookup: the marks are the same either way.
    pub gaz_head: Option<u8>,
}

/// The part of a token's facts that its neighbours' features and the gazetteer marks read:
/// a [`TokenInfo`] without the word and suffix hashes, which only the token's own features
/// need. The tagger keeps one per frequent word beside its pre-summed rows (the own features
/// are summed in advance), so the record a token reads stays within two cache lines.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct TokenCodes {
    pub lower: u64,
    pub shape: u64,
    pub short_shape: u8,
    pub case: u8,
    pub gaz: u16,
    pub gaz_head: Option<u8>,
}

impl From<&TokenInfo> for TokenCodes {
    fn from(t: &TokenInfo) -> TokenCodes {
        TokenCodes {
            lower: t.lower,
            shape: t.shape,
            short_shape: t.short_shape,
            case: t.case,
            gaz: t.gaz,
            gaz_head: t.gaz_head,
        }
    }
}

/// What the sentence-wide features ([`boundary_pairs`], [`is_initial`], [`sentence_info`])
/// and the gazetteer marks read of a token: the trainer gives them [`TokenInfo`]s, the tagger
/// [`TokenCodes`].
pub trait TokenFacts {
    fn lower(&self) -> u64;
    fn shape(&self) -> u64;
    fn short_shape(&self) -> u8;
    fn gaz_head(&self) -> Option<u8>;
    fn gaz_mut(&mut self) -> &mut u16;
}

macro_rules! token_facts {
    ($t:ty) => {
        impl TokenFacts for $t {
            #[inline]
            fn lower(&self) -> u64 {
                self.lower
            }
            #[inline]
            fn shape(&self) -> u64 {
                self.shape
            }
            #[inline]
            fn short_shape(&self) -> u8 {
                self.short_shape
            }
            #[inline]
            fn gaz_head(&self) -> Option<u8> {
                self.gaz_head
            }
            #[inline]
            fn gaz_mut(&mut self) -> &mut u16 {
                &mut self.gaz
            }
        }
    };
}
token_facts!(TokenInfo);
token_facts!(TokenCodes);

pub const F_INIT_CAP: u8 = 1;
pub const F_ALL_CAPS: u8 = 2;
pub const F_HAS_DIGIT: u8 = 4;
pub const F_PUNCT: u8 = 8;
pub const F_LOWER: u8 = 16;
pub const F_HYPHEN: u8 = 32;
pub const F_PERIOD: u8 = 64;

/// Short shapes: a coarse class of the token.
const SS_LOWER: u8 = 1;
const SS_TITLE: u8 = 2;
const SS_UPPER: u8 = 3;
const SS_DIGIT: u8 = 4;
const SS_PUNCT: u8 = 5;
const SS_MIXED: u8 = 6;
const SS_OTHER: u8 = 7;

/// Computes [`TokenInfo`] for one token.
pub fn token_info(word: &str, lex: &CaseProfile) -> TokenInfo {
    let mut wh = Hasher::new(2);
    let mut lh = Hasher::new(1);
    let mut sh = Hasher::new(3);
    let (mut n_upper, mut n_lower, mut n_digit, mut n_alpha) = (0, 0, 0, 0);
    let mut last_class = 0u32;
    let mut run = 0;
    let mut flags = 0u8;
    let mut first_upper = false;
    for (i, c) in word.chars().enumerate() {
        wh.push(c as u32);
        push_lower(&mut lh, c);
        let class = if c.is_uppercase() {
            n_upper += 1;
            n_alpha += 1;
            if i == 0 {
                first_upper = true;
            }
            'X' as u32
        } else if c.is_lowercase() {
            n_lower += 1;
            n_alpha += 1;
            'x' as u32
        } else if c.is_ascii_digit() {
            n_digit += 1;
            'd' as u32
        } else if c.is_alphabetic() {
            n_alpha += 1;
            'a' as u32
        } else {
            if c == '-' {
                flags |= F_HYPHEN;
            }
            if c == '.' {
                flags |= F_PERIOD;
            }
            c as u32
        };
        if class == last_class {
            run += 1;
        } else {
            run = 1;
            last_class = class;
        }
        // Shape keeps at most two repeats of a class: "Xxxxx" -> "Xxx", "1996" -> "dd".
        if run <= 2 {
            sh.push(class);
        }
    }
    let mut suffix = [0u64; 4];
    let mut sfx = Hasher::new(20);
    for (i, c) in word.chars().rev().take(4).enumerate() {
        push_lower(&mut sfx, c);
        suffix[i] = sfx.finish();
    }
    if first_upper {
        flags |= F_INIT_CAP;
    }
    if n_upper > 0 && n_lower == 0 {
        flags |= F_ALL_CAPS;
    }
    if n_digit > 0 {
        flags |= F_HAS_DIGIT;
    }
    if n_alpha == 0 && n_digit == 0 {
        flags |= F_PUNCT;
    }
    if n_lower > 0 && n_upper == 0 {
        flags |= F_LOWER;
    }
    let short_shape = if n_alpha == 0 && n_digit == 0 {
        SS_PUNCT
    } else if n_alpha == 0 {
        SS_DIGIT
    } else if n_upper == 0 && n_lower > 0 {
        SS_LOWER
    } else if n_lower == 0 && n_upper > 0 {
        SS_UPPER
    } else if first_upper && n_upper == 1 {
        SS_TITLE
    } else if n_upper > 0 && n_lower > 0 {
        SS_MIXED
    } else {
        SS_OTHER
    };
    let lower = lh.finish();
    TokenInfo {
        word: wh.finish(),
        lower,
        shape: sh.finish(),
        short_shape,
        suffix,
        flags,
        case: lex.bucket(lower),
        gaz: 0,
        gaz_head: None,
    }
}

/// How a sentence is written, which changes what a word's case says about it: in a headline
/// in capitals "SAYS" is no name, in a title-cased one "Says" is not either.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub enum SentenceCase {
    /// Running text.
    #[default]
    Text = 0,
    /// Mostly all-caps words: a headline or a sports table in capitals.
    Capitals = 1,
    /// Mostly title-case words: a title-cased headline.
    TitleCase = 2,
}

impl SentenceCase {
    /// Every value, in [`index`](Self::index) order.
    pub const ALL: [SentenceCase; 3] = [
        SentenceCase::Text,
        SentenceCase::Capitals,
        SentenceCase::TitleCase,
    ];

    /// The value hashed into features and used as a table index. Fixed: the built-in weights
    /// were trained with these features.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// [`index`](Self::index) as a feature-hash input.
    #[inline]
    fn code(self) -> u64 {
        self as u64
    }
}

/// Sentence-wide context: headlines and sports tables in capitals, title-cased headlines.
#[derive(Clone, Copy, Default, Debug)]
pub struct SentenceInfo {
    pub case: SentenceCase,
}

/// Fills `infos` with one [`TokenInfo`] per word (reusing its allocation) and returns the
/// sentence context.
pub fn analyse_sentence(
    words: &[&str],
    lex: &CaseProfile,
    gaz: &PhraseLists,
    infos: &mut Vec<TokenInfo>,
) -> SentenceInfo {
    infos.clear();
    infos.extend(words.iter().map(|w| token_info(w, lex)));
    gaz.mark(infos);
    sentence_info(infos)
}

/// The sentence context of tokens already analysed: all-caps or title-case headline, or text.
pub fn sentence_info<T: TokenFacts>(infos: &[T]) -> SentenceInfo {
    let (mut alpha, mut caps, mut title) = (0usize, 0usize, 0usize);
    for t in infos.iter() {
        match t.short_shape() {
            SS_UPPER => {
                alpha += 1;
                caps += 1
            }
            SS_TITLE => {
                alpha += 1;
                title += 1
            }
            SS_LOWER | SS_MIXED => alpha += 1,
            _ => {}
        }
    }
    let case = if alpha >= 2 && caps * 10 >= alpha * 7 {
        SentenceCase::Capitals
    } else if alpha >= 3 && title * 10 >= alpha * 8 {
        SentenceCase::TitleCase
    } else {
        SentenceCase::Text
    };
    SentenceInfo { case }
}

/// Sentinel infos for positions outside the sentence.
const BOS: u64 = 0x0b05;
const EOS: u64 = 0x0e05;

#[inline]
fn key(template: u32, v: u64) -> u32 {
    let k = fmix64(
        v ^ (u64::from(template) << 56) ^ u64::from(template).wrapping_mul(0x2545_f491_4f6c_dd1d),
    ) as u32;
    // 0 marks an empty slot in the tagger's table.
    if k == 0 { 1 } else { k }
}

#[inline]
fn pair(a: u64, b: u64) -> u64 {
    fmix64(a.rotate_left(23) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Writes the feature keys of token `i` into `out` and returns how many were written
/// (never more than [`MAX_FEATURES`]).
pub fn token_features(
    infos: &[TokenInfo],
    sent: SentenceInfo,
    i: usize,
    out: &mut [u32; MAX_FEATURES],
) -> usize {
    let Some(t) = infos.get(i) else {
        return 0;
    };
    let n = unigram_features(t, sent.case != SentenceCase::Capitals, out);
    n + context_features(infos, sent, i, out, n)
}

/// The features of a token on its own (bias, word, lower-case form, shape, suffixes): the
/// tagger caches their summed weights for frequent words. The exact word is left out of
/// all-caps sentences, where it would only be an unseen upper-case form.
pub fn unigram_features(t: &TokenInfo, with_word: bool, out: &mut [u32; MAX_FEATURES]) -> usize {
    let mut n = 0;
    let mut push = |k: u32| {
        if n < MAX_FEATURES {
            out[n] = k;
            n += 1;
        }
    };
    push(key(0, 0)); // bias
    if with_word {
        push(key(1, t.word));
    }
    push(key(2, t.lower));
    push(key(3, t.shape));
    for (k, s) in t.suffix.iter().enumerate() {
        if *s != 0 {
            push(key(8 + k as u32, *s));
        }
    }
    n
}

/// The features that look at the token's neighbours or the sentence, written from `out[start]`;
/// returns how many were written.
pub fn context_features(
    infos: &[TokenInfo],
    sent: SentenceInfo,
    i: usize,
    out: &mut [u32; MAX_FEATURES],
    start: usize,
) -> usize {
    let mut n = start;
    let mut push = |k: u32| {
        if n < MAX_FEATURES {
            out[n] = k;
            n += 1;
        }
    };
    let Some(t) = infos.get(i) else {
        return 0;
    };
    let prev = if i > 0 { infos.get(i - 1) } else { None };
    let prev2 = if i > 1 { infos.get(i - 2) } else { None };
    let next = infos.get(i + 1);
    let next2 = infos.get(i + 2);
    let lower_of = |x: Option<&TokenInfo>, end: u64| x.map_or(end, |x| x.lower);
    let shape_of = |x: Option<&TokenInfo>, end: u64| x.map_or(end, |x| x.shape);
    let ss_of = |x: Option<&TokenInfo>| x.map_or(0u64, |x| u64::from(x.short_shape));
    let sentence = sent.case.code();
    let initial = u64::from(i == 0 || prev.is_some_and(|p| p.short_shape == SS_PUNCT && i == 1));

    push(key(12, lower_of(prev, BOS)));
    push(key(13, lower_of(next, EOS)));
    push(key(14, lower_of(prev2, BOS)));
    push(key(15, lower_of(next2, EOS)));
    push(key(16, shape_of(prev, BOS)));
    push(key(17, shape_of(next, EOS)));
    push(key(18, pair(shape_of(prev, BOS), t.shape)));
    push(key(19, pair(t.shape, shape_of(next, EOS))));
    push(key(20, pair(lower_of(prev, BOS), t.lower)));
    push(key(21, pair(t.lower, lower_of(next, EOS))));
    push(key(
        22,
        ss_of(prev2)
            | ss_of(prev) << 4
            | u64::from(t.short_shape) << 8
            | ss_of(next) << 12
            | ss_of(next2) << 16,
    ));
    push(key(
        23,
        pair(initial, u64::from(t.short_shape) | sentence << 8),
    ));
    push(key(
        24,
        u64::from(t.case) | u64::from(t.short_shape) << 8 | sentence << 16 | initial << 24,
    ));
    push(key(25, pair(t.lower, sentence)));
    push(key(
        26,
        u64::from(prev.map_or(9, |p| p.case))
            | u64::from(t.case) << 8
            | u64::from(next.map_or(9, |p| p.case)) << 16,
    ));
    // Gazetteer membership of this token and its neighbours, one feature per set bit.
    for (tpl, g) in [
        (28u32, t.gaz),
        (29, prev.map_or(0, |p| p.gaz)),
        (30, next.map_or(0, |p| p.gaz)),
    ] {
        let mut bits = g;
        while bits != 0 {
            let b = bits.trailing_zeros();
            bits &= bits - 1;
            push(key(tpl, u64::from(b) | u64::from(t.short_shape) << 8));
        }
    }
    n - start
}

// ---------------------------------------------------------------------------------------------
// The same context features, split by what each one depends on. The tagger pre-sums the weights
// of every part that depends on one word type (or on a handful of small codes) at load time, so
// a token costs a few table reads instead of ~20 hash probes. Their union is exactly
// [`context_features`] (checked by the tagger's tests), so training and inference still agree.

/// A neighbour's position relative to the scored token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Neighbour {
    Prev,
    Next,
    Prev2,
    Next2,
}

/// The features of the scored token that look at one neighbour only (`None` = outside the
/// sentence): its lower-cased form, and for the adjacent ones its shape.
pub fn neighbour_features(x: Option<&TokenInfo>, rel: Neighbour, out: &mut [u32; 2]) -> usize {
    let lower_of = |end: u64| x.map_or(end, |x| x.lower);
    let shape_of = |end: u64| x.map_or(end, |x| x.shape);
    match rel {
        Neighbour::Prev => {
            out[0] = key(12, lower_of(BOS));
            out[1] = key(16, shape_of(BOS));
            2
        }
        Neighbour::Next => {
            out[0] = key(13, lower_of(EOS));
            out[1] = key(17, shape_of(EOS));
            2
        }
        Neighbour::Prev2 => {
            out[0] = key(14, lower_of(BOS));
            1
        }
        Neighbour::Next2 => {
            out[0] = key(15, lower_of(EOS));
            1
        }
    }
}

/// The shape and lower-case pair hashes across the boundary before token `j`: token `j - 1`
/// with token `j` (the sentence start or end stands in outside the sentence), `j` from 0 to
/// `infos.len()`. Each boundary serves the bigram features of the tokens on both sides of it.
#[inline]
pub fn boundary_pairs<T: TokenFacts>(infos: &[T], j: usize) -> (u64, u64) {
    let left = if j > 0 { infos.get(j - 1) } else { None };
    let (ll, ls) = left.map_or((BOS, BOS), |p| (p.lower(), p.shape()));
    let (rl, rs) = infos.get(j).map_or((EOS, EOS), |n| (n.lower(), n.shape()));
    (pair(ls, rs), pair(ll, rl))
}

/// The bigram features of a token (shape and lower-case pairs with each neighbour) from the
/// [`boundary_pairs`] before and after it.
#[inline]
pub fn pair_features(before: (u64, u64), after: (u64, u64)) -> [u32; 4] {
    [
        key(18, before.0),
        key(19, after.0),
        key(20, before.1),
        key(21, after.1),
    ]
}

/// The short-shape window feature; arguments are short shapes, 0 outside the sentence.
pub fn shape_window_feature(prev2: u8, prev: u8, cur: u8, next: u8, next2: u8) -> u32 {
    key(
        22,
        u64::from(prev2)
            | u64::from(prev) << 4
            | u64::from(cur) << 8
            | u64::from(next) << 12
            | u64::from(next2) << 16,
    )
}

/// The features of a token's short shape and case bucket in a sentence written `sentence`, at
/// a sentence start (`initial`) or not.
pub fn profile_features(
    case: u8,
    short_shape: u8,
    sentence: SentenceCase,
    initial: bool,
) -> [u32; 2] {
    let initial = u64::from(initial);
    let sentence = sentence.code();
    [
        key(23, pair(initial, u64::from(short_shape) | sentence << 8)),
        key(
            24,
            u64::from(case) | u64::from(short_shape) << 8 | sentence << 16 | initial << 24,
        ),
    ]
}

/// The lower-cased word in a sentence written `sentence`.
pub fn sentence_case_feature(lower: u64, sentence: SentenceCase) -> u32 {
    key(25, pair(lower, sentence.code()))
}

/// The case buckets of the token and its neighbours (9 outside the sentence).
pub fn case_window_feature(prev: u8, cur: u8, next: u8) -> u32 {
    key(
        26,
        u64::from(prev) | u64::from(cur) << 8 | u64::from(next) << 16,
    )
}

/// One gazetteer bit `bit` of the token (`which` 0), the previous (1) or the next token (2),
/// with the scored token's short shape.
pub fn gaz_feature(which: u32, bit: u32, short_shape: u8) -> u32 {
    key(28 + which, u64::from(bit) | u64::from(short_shape) << 8)
}

/// True when token `i` starts the sentence (or follows only an opening punctuation mark).
#[inline]
pub fn is_initial<T: TokenFacts>(infos: &[T], i: usize) -> bool {
    i == 0 || (i == 1 && infos.first().is_some_and(|p| p.short_shape() == SS_PUNCT))
}

/// Largest short-shape code (codes are `0..=MAX_SHORT_SHAPE`, 0 = outside the sentence).
pub const MAX_SHORT_SHAPE: u8 = SS_OTHER;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_flags() {
        let lex = CaseProfile::default();
        let a = token_info("Smith", &lex);
        let b = token_info("Jones", &lex);
        assert_eq!(a.shape, b.shape);
        assert_ne!(a.word, b.word);
        assert_eq!(a.short_shape, SS_TITLE);
        assert!(a.flags & F_INIT_CAP != 0);
        let u = token_info("SMITH", &lex);
        assert_eq!(u.lower, a.lower);
        assert_ne!(u.shape, a.shape);
        assert!(u.flags & F_ALL_CAPS != 0);
        assert_eq!(token_info("1996", &lex).short_shape, SS_DIGIT);
        assert_eq!(token_info(",", &lex).short_shape, SS_PUNCT);
    }

    #[test]
    fn features_are_deterministic_and_bounded() {
        let lex = CaseProfile::default();
        let gaz = PhraseLists::default();
        let words = ["PARIS", "1996-08-30", "", "é", "Ünïcode"];
        let mut infos = Vec::new();
        let s = analyse_sentence(&words, &lex, &gaz, &mut infos);
        let mut a = [0u32; MAX_FEATURES];
        let mut b = [0u32; MAX_FEATURES];
        for i in 0..words.len() + 2 {
            let na = token_features(&infos, s, i, &mut a);
            let nb = token_features(&infos, s, i, &mut b);
            assert_eq!(a[..na], b[..nb]);
            assert!(a[..na].iter().all(|&k| k != 0));
        }
    }
}
