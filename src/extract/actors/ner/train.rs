//! Averaged structured-perceptron trainer for the tagger (used by `examples/train_ner.rs`).
//!
//! It lives in the library, next to the tagger, so it calls exactly the feature code the tagger
//! runs. Training is offline tooling: it may allocate freely and is not on the product's path.

use std::collections::HashMap;

use super::case_profile::{CaseCounts, CaseProfile};
use super::features::{
    MAX_FEATURES, TokenInfo, analyse_sentence, lower_hash, token_features, token_info,
};
use super::model::{NUM_TAGS, RawModel};
use super::phrase_lists::PhraseLists;
use super::viterbi;

/// One labelled sentence: words and their tag ids (see [`super::tags`]).
#[derive(Debug, Clone)]
pub struct TrainSentence {
    pub words: Vec<String>,
    pub tags: Vec<u8>,
}

/// Training knobs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    /// Features seen fewer times than this are not given weights.
    pub min_count: u32,
    /// Seed of the shuffling order (training is deterministic for a given seed).
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 10,
            min_count: 2,
            seed: 7,
        }
    }
}

/// Learns the case lexicon from running text: tokens at a sentence start and in all-caps
/// sentences say nothing about how a word is normally written, so they are skipped.
pub fn build_case_lexicon(sentences: &[TrainSentence]) -> Vec<(u32, u8)> {
    let mut counts: HashMap<u32, CaseCounts> = HashMap::new();
    let empty = CaseProfile::default();
    for s in sentences {
        let infos: Vec<TokenInfo> = s.words.iter().map(|w| token_info(w, &empty)).collect();
        let caps = infos
            .iter()
            .filter(|t| t.flags & super::features::F_ALL_CAPS != 0)
            .count();
        if caps * 2 > infos.len() {
            continue;
        }
        for (i, (w, t)) in s.words.iter().zip(&infos).enumerate() {
            if i == 0 || !w.chars().any(char::is_alphabetic) {
                continue;
            }
            let prev_is_open = s.words.get(i - 1).is_some_and(|p| {
                matches!(
                    p.as_str(),
                    "\"" | "``" | "“" | "(" | "'" | "-" | "--" | ":" | "—"
                )
            });
            if prev_is_open {
                continue;
            }
            let c = counts.entry(lower_hash(w) as u32).or_default();
            if t.flags & super::features::F_LOWER != 0 {
                c.lower += 1;
            } else if t.flags & super::features::F_ALL_CAPS != 0 && w.chars().count() > 1 {
                c.upper += 1;
            } else if t.flags & super::features::F_INIT_CAP != 0 {
                c.title += 1;
            }
        }
    }
    let mut out: Vec<(u32, u8)> = counts
        .into_iter()
        .map(|(k, c)| (k, c.bucket()))
        .filter(|(_, b)| *b != 0)
        .collect();
    out.sort_unstable();
    out
}

/// The `n` most frequent word forms (ties broken alphabetically, so the list is stable).
pub fn frequent_words(sentences: &[TrainSentence], n: usize) -> Vec<String> {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for s in sentences {
        for w in &s.words {
            *counts.entry(w.as_str()).or_insert(0) += 1;
        }
    }
    let mut v: Vec<(&str, u32)> = counts.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().take(n).map(|(w, _)| w.to_string()).collect()
}

/// Progress report of one epoch.
#[derive(Debug, Clone, Copy)]
pub struct EpochStats {
    pub epoch: usize,
    pub sentences: usize,
    pub mistakes: usize,
    pub token_errors: usize,
    pub tokens: usize,
}

/// Sentences turned into feature-row indices, ready for repeated passes.
struct Compiled {
    /// Per token: range into `rows`.
    tok_off: Vec<u32>,
    rows: Vec<u32>,
    /// Per sentence: range into tokens / gold tags.
    sent_off: Vec<u32>,
    gold: Vec<u8>,
}

/// Trains on `train` and returns the averaged weights. `report` sees each epoch's stats.
pub fn train(
    train: &[TrainSentence],
    lexicon: &[(u32, u8)],
    phrase_lists: &PhraseLists,
    opts: &TrainOptions,
    mut report: impl FnMut(EpochStats),
) -> RawModel {
    let mut lex = CaseProfile::default();
    for &(k, b) in lexicon {
        lex.insert(u64::from(k), b);
    }
    // Pass 1: count features.
    let mut counts: HashMap<u32, u32> = HashMap::new();
    let mut infos = Vec::new();
    let mut keys = [0u32; MAX_FEATURES];
    let mut all_keys: Vec<u32> = Vec::new();
    let mut tok_key_off: Vec<u32> = vec![0];
    for s in train {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let sent = analyse_sentence(&words, &lex, phrase_lists, &mut infos);
        for i in 0..words.len() {
            let n = token_features(&infos, sent, i, &mut keys);
            for &k in &keys[..n] {
                *counts.entry(k).or_insert(0) += 1;
                all_keys.push(k);
            }
            tok_key_off.push(all_keys.len() as u32);
        }
    }
    let mut index: HashMap<u32, u32> = HashMap::new();
    let mut feature_keys: Vec<u32> = Vec::new();
    let mut sorted: Vec<(u32, u32)> = counts
        .into_iter()
        .filter(|(_, c)| *c >= opts.min_count)
        .collect();
    sorted.sort_unstable();
    for (k, _) in sorted {
        index.insert(k, feature_keys.len() as u32);
        feature_keys.push(k);
    }
    // Pass 2: compile to row indices.
    let mut c = Compiled {
        tok_off: vec![0],
        rows: Vec::new(),
        sent_off: vec![0],
        gold: Vec::new(),
    };
    let mut tok = 0usize;
    for s in train {
        for (i, &g) in s.tags.iter().enumerate().take(s.words.len()) {
            let _ = i;
            let (a, b) = (tok_key_off[tok] as usize, tok_key_off[tok + 1] as usize);
            for k in &all_keys[a..b] {
                if let Some(&r) = index.get(k) {
                    c.rows.push(r);
                }
            }
            c.tok_off.push(c.rows.len() as u32);
            c.gold.push(g);
            tok += 1;
        }
        // Sentences whose tags are shorter than the words: skip the extra tokens' features.
        tok += s.words.len().saturating_sub(s.tags.len());
        c.sent_off.push(c.gold.len() as u32);
    }
    drop(all_keys);

    let nf = feature_keys.len();
    let mut w = vec![[0f32; NUM_TAGS]; nf];
    let mut u = vec![[0f32; NUM_TAGS]; nf];
    let mut tw = [[0f32; NUM_TAGS]; NUM_TAGS + 1];
    let mut tu = [[0f32; NUM_TAGS]; NUM_TAGS + 1];
    let n_sent = c.sent_off.len() - 1;
    let mut order: Vec<usize> = (0..n_sent).collect();
    let mut rng = opts.seed | 1;
    let mut step = 1f32;
    let mut em: Vec<[f32; NUM_TAGS]> = Vec::new();
    let (mut deltas, mut path) = (Vec::new(), Vec::new());
    for epoch in 0..opts.epochs {
        // Fisher-Yates with xorshift: deterministic for a seed.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let mut stats = EpochStats {
            epoch,
            sentences: n_sent,
            mistakes: 0,
            token_errors: 0,
            tokens: 0,
        };
        for &si in &order {
            let (ta, tb) = (c.sent_off[si] as usize, c.sent_off[si + 1] as usize);
            if ta == tb {
                continue;
            }
            em.clear();
            for t in ta..tb {
                let mut s = [0f32; NUM_TAGS];
                for &r in &c.rows[c.tok_off[t] as usize..c.tok_off[t + 1] as usize] {
                    for (acc, x) in s.iter_mut().zip(w[r as usize].iter()) {
                        *acc += x;
                    }
                }
                em.push(s);
            }
            viterbi(&em, &tw, -1e9, &mut deltas, &mut path);
            let gold = &c.gold[ta..tb];
            stats.tokens += gold.len();
            if path.as_slice() != gold {
                stats.mistakes += 1;
                let mut prev_g = NUM_TAGS;
                let mut prev_p = NUM_TAGS;
                for (j, (&g, &p)) in gold.iter().zip(path.iter()).enumerate() {
                    let (g, p) = (usize::from(g), usize::from(p));
                    if g != p {
                        stats.token_errors += 1;
                        let t = ta + j;
                        for &r in &c.rows[c.tok_off[t] as usize..c.tok_off[t + 1] as usize] {
                            let r = r as usize;
                            w[r][g] += 1.0;
                            u[r][g] += step;
                            w[r][p] -= 1.0;
                            u[r][p] -= step;
                        }
                    }
                    if g != p || prev_g != prev_p {
                        tw[prev_g][g] += 1.0;
                        tu[prev_g][g] += step;
                        tw[prev_p][p] -= 1.0;
                        tu[prev_p][p] -= step;
                    }
                    prev_g = g;
                    prev_p = p;
                }
            }
            step += 1.0;
        }
        report(stats);
    }
    // Averaged weights: w - u / step.
    let features = feature_keys
        .iter()
        .zip(w.iter().zip(u.iter()))
        .map(|(&k, (wr, ur))| {
            let mut a = [0f32; NUM_TAGS];
            for t in 0..NUM_TAGS {
                a[t] = wr[t] - ur[t] / step;
            }
            (k, a)
        })
        .collect();
    let mut transitions = [[0f32; NUM_TAGS]; NUM_TAGS + 1];
    for f in 0..=NUM_TAGS {
        for t in 0..NUM_TAGS {
            transitions[f][t] = tw[f][t] - tu[f][t] / step;
        }
    }
    RawModel {
        transitions,
        features,
        case_profile: lexicon.to_vec(),
        vocab: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NerLabel, NerTagger, tags};
    use super::*;

    fn sent(words: &[&str], t: &[u8]) -> TrainSentence {
        TrainSentence {
            words: words.iter().map(|s| s.to_string()).collect(),
            tags: t.to_vec(),
        }
    }

    #[test]
    fn learns_a_toy_pattern() {
        let b = tags::begin(NerLabel::Per);
        let i = tags::inside(NerLabel::Per);
        let l = tags::begin(NerLabel::Loc);
        let mut data = Vec::new();
        for (first, last, city) in [
            ("John", "Smith", "Paris"),
            ("Mary", "Jones", "London"),
            ("Alan", "Brown", "Berlin"),
            ("Ruth", "Green", "Madrid"),
        ] {
            data.push(sent(
                &["Mr", first, last, "went", "to", city, "."],
                &[0, b, i, 0, 0, l, 0],
            ));
            data.push(sent(
                &["the", "man", "went", "to", city, "."],
                &[0, 0, 0, 0, l, 0],
            ));
        }
        let lex = build_case_lexicon(&data);
        let gaz = PhraseLists::default();
        let raw = train(
            &data,
            &lex,
            &gaz,
            &TrainOptions {
                epochs: 5,
                min_count: 1,
                seed: 1,
            },
            |_| {},
        );
        let (bytes, kept) = raw.to_bytes(0.0);
        assert!(kept > 0);
        let tagger = NerTagger::from_parts(&bytes, gaz).expect("model loads");
        let got = tagger.tag_ids(&["Mr", "Mary", "Smith", "went", "to", "Paris", "."]);
        assert_eq!(got, vec![0, b, i, 0, 0, l, 0]);
    }
}
