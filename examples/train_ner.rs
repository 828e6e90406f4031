//! Trains the named-entity tagger on silver labels and writes `data/ner/weights.bin`.
//!
//! ```text
//! python tools/ner/silver_label.py ../shared/corpus/newswire-2452.jsonl /tmp/ner/silver.jsonl
//! cargo run --release --example train_ner -- [--corpus PATH] [--silver PATH] [--out PATH]
//!     [--epochs N] [--prune X] [--min-count N] [--upper-frac F]
//! ```
//! See `tools/ner/README.md`. The article texts are read at training time only; nothing but
//! the weights is written.

use std::collections::HashMap;
use std::error::Error;
use std::fs;
use std::time::Instant;

use serde_json::Value;
use timeline::extract::actors::ner::gazetteer::Gazetteer;
use timeline::extract::actors::ner::train::{TrainOptions, TrainSentence, build_case_lexicon, train};
use timeline::extract::actors::ner::{NerLabel, NerTagger, tags};
use timeline::extract::text::tokens::{Token, tokenize_into};

struct Args {
    corpus: String,
    silver: String,
    out: String,
    epochs: usize,
    prune: f32,
    min_count: u32,
    upper_frac: f64,
    title_frac: f64,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        corpus: "../shared/corpus/newswire-2452.jsonl".into(),
        silver: "/tmp/ner/silver.jsonl".into(),
        out: "data/ner/weights.bin".into(),
        epochs: 12,
        prune: 0.05,
        min_count: 2,
        upper_frac: 0.25,
        title_frac: 0.05,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--corpus" => a.corpus = val()?,
            "--silver" => a.silver = val()?,
            "--out" => a.out = val()?,
            "--epochs" => a.epochs = val()?.parse()?,
            "--prune" => a.prune = val()?.parse()?,
            "--min-count" => a.min_count = val()?.parse()?,
            "--upper-frac" => a.upper_frac = val()?.parse()?,
            "--title-frac" => a.title_frac = val()?.parse()?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

/// Cheap deterministic hash for sampling (documents to hold out, sentences to augment).
fn mix(s: &str, salt: u64) -> f64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    (h % 1_000_000) as f64 / 1_000_000.0
}

fn load(args: &Args) -> Result<(Vec<TrainSentence>, Vec<TrainSentence>), Box<dyn Error>> {
    let mut texts: HashMap<(String, String), String> = HashMap::new();
    for line in fs::read_to_string(&args.corpus)?.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        for field in ["title", "text"] {
            if let Some(t) = v[field].as_str() {
                texts.insert((id.clone(), field.to_string()), t.to_string());
            }
        }
    }
    let (mut tr, mut dev) = (Vec::new(), Vec::new());
    let mut toks: Vec<Token> = Vec::new();
    for line in fs::read_to_string(&args.silver)?.lines() {
        let v: Value = serde_json::from_str(line)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let field = v["field"].as_str().unwrap_or_default().to_string();
        let Some(text) = texts.get(&(id.clone(), field)) else { continue };
        let ents: Vec<(usize, usize, NerLabel)> = v["ents"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((
                            e[0].as_u64()? as usize,
                            e[1].as_u64()? as usize,
                            NerLabel::parse(e[2].as_str()?)?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let is_dev = mix(&id, 1) < 0.05;
        for s in v["sents"].as_array().into_iter().flatten() {
            let (Some(a), Some(b)) = (s[0].as_u64(), s[1].as_u64()) else { continue };
            let (a, b) = (a as usize, b as usize);
            if b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
                continue;
            }
            toks.clear();
            tokenize_into(text, a, b, &mut toks);
            if toks.is_empty() {
                continue;
            }
            let words: Vec<String> = toks.iter().map(|t| t.text(text).to_string()).collect();
            let mut t = vec![tags::O; toks.len()];
            for &(es, ee, label) in &ents {
                if ee <= a || es >= b {
                    continue;
                }
                let mut first = true;
                for (k, tok) in toks.iter().enumerate() {
                    if tok.start >= es && tok.end <= ee {
                        t[k] = if first { tags::begin(label) } else { tags::inside(label) };
                        first = false;
                    } else if tok.start < ee && tok.end > es {
                        // Partial overlap (tokenizers disagree): leave it out and restart.
                        first = true;
                    }
                }
            }
            let sent = TrainSentence { words, tags: t };
            if is_dev { dev.push(sent) } else { tr.push(sent) }
        }
    }
    Ok((tr, dev))
}

fn upper(s: &TrainSentence) -> TrainSentence {
    TrainSentence { words: s.words.iter().map(|w| w.to_uppercase()).collect(), tags: s.tags.clone() }
}

fn titlecase(s: &TrainSentence) -> TrainSentence {
    let words = s
        .words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) if w.chars().count() > 3 => f.to_uppercase().chain(c).collect(),
                _ => w.clone(),
            }
        })
        .collect();
    TrainSentence { words, tags: s.tags.clone() }
}

/// Entity-level P/R/F1 of `tagger` against silver `gold`.
fn silver_f1(tagger: &NerTagger, gold: &[TrainSentence]) -> (f64, f64, f64) {
    let (mut tp, mut np, mut ng) = (0usize, 0usize, 0usize);
    for s in gold {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let pred = tagger.tag(&words);
        let g = timeline::extract::actors::ner::spans(&s.tags, |_, _| 1.0);
        np += pred.len();
        ng += g.len();
        tp += pred
            .iter()
            .filter(|p| g.iter().any(|x| x.start == p.start && x.end == p.end && x.label == p.label))
            .count();
    }
    let p = tp as f64 / np.max(1) as f64;
    let r = tp as f64 / ng.max(1) as f64;
    (p, r, if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 })
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let t0 = Instant::now();
    let (base, dev) = load(&args)?;
    eprintln!("loaded {} train / {} dev sentences in {:.1?}", base.len(), dev.len(), t0.elapsed());
    let lexicon = build_case_lexicon(&base);
    eprintln!("case lexicon: {} words", lexicon.len());
    let mut data = base.clone();
    for s in &base {
        let key = s.words.join(" ");
        if mix(&key, 2) < args.upper_frac {
            data.push(upper(s));
        }
        if mix(&key, 3) < args.title_frac {
            data.push(titlecase(s));
        }
    }
    eprintln!("training on {} sentences (with augmentation)", data.len());
    let gaz = Gazetteer::builtin();
    let opts = TrainOptions { epochs: args.epochs, min_count: args.min_count, ..TrainOptions::default() };
    let raw = train(&data, &lexicon, &gaz, &opts, |s| {
        eprintln!(
            "epoch {:2}: {} / {} sentences wrong, token error {:.3}%  [{:.1?}]",
            s.epoch + 1,
            s.mistakes,
            s.sentences,
            100.0 * s.token_errors as f64 / s.tokens.max(1) as f64,
            t0.elapsed()
        );
    });
    let (bytes, kept) = raw.to_bytes(args.prune);
    fs::write(&args.out, &bytes)?;
    eprintln!("wrote {} ({} bytes, {} features)", args.out, bytes.len(), kept);
    let tagger = NerTagger::from_parts(&bytes, Gazetteer::builtin())?;
    let (p, r, f) = silver_f1(&tagger, &dev);
    eprintln!("held-out silver agreement: P {:.2} R {:.2} F1 {:.2}", 100.0 * p, 100.0 * r, 100.0 * f);
    let dev_up: Vec<TrainSentence> = dev.iter().map(upper).collect();
    let (p, r, f) = silver_f1(&tagger, &dev_up);
    eprintln!("held-out silver, upper-cased: P {:.2} R {:.2} F1 {:.2}", 100.0 * p, 100.0 * r, 100.0 * f);
    Ok(())
}
