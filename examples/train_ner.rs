//! Trains the named-entity tagger on silver labels and writes `data/ner/weights.bin`.
//!
//! ```text
//! python tools/ner/silver_label.py ../shared/corpus/newswire-2452.jsonl /tmp/ner/silver.jsonl
//! cargo run --release --example train_ner -- [--corpus PATH] [--silver PATH] [--out PATH]
//!     [--epochs N] [--prune X] [--min-count N] [--upper-frac F]
//!     [--gold NAME=PATH[,PATH...]]... [--gold-copies N] [--gold-dev F]
//! ```
//!
//! `--gold` adds a gold corpus in column format (CoNLL `word TAG`, or UD-style `.iob2` with the
//! word and the tag in the second and third columns; IOB1 or IOB2; PER, ORG, LOC, MISC, other
//! types read as O). A fraction `--gold-dev` of its sentences (by hash) is held out and scored
//! after training, per corpus and per type.
//! See `tools/ner/README.md`. The article texts are read at training time only; nothing but
//! the weights is written.

use std::collections::HashMap;
use std::error::Error;
use std::fs;
use std::time::Instant;

use serde_json::Value;
use timeline::extract::actors::ner::phrase_lists::PhraseLists;
use timeline::extract::actors::ner::train::{
    TrainOptions, TrainSentence, build_case_lexicon, frequent_words, train,
};
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
    synthetic: usize,
    /// `(name, paths)` of gold corpora.
    gold: Vec<(String, Vec<String>)>,
    /// Copies of each gold training sentence (gold outweighs silver).
    gold_copies: usize,
    /// Fraction of each gold corpus held out for scoring.
    gold_dev: f64,
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
        synthetic: 5000,
        gold: Vec::new(),
        gold_copies: 1,
        gold_dev: 0.2,
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
            "--synthetic" => a.synthetic = val()?.parse()?,
            "--gold" => {
                let v = val()?;
                let (name, paths) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--gold {v}: give NAME=PATH[,PATH...]"))?;
                let paths = paths.split(',').map(str::to_string).collect();
                a.gold.push((name.to_string(), paths));
            }
            "--gold-copies" => a.gold_copies = val()?.parse()?,
            "--gold-dev" => a.gold_dev = val()?.parse()?,
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
        let Some(text) = texts.get(&(id.clone(), field)) else {
            continue;
        };
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
            let (Some(a), Some(b)) = (s[0].as_u64(), s[1].as_u64()) else {
                continue;
            };
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
                        t[k] = if first {
                            tags::begin(label)
                        } else {
                            tags::inside(label)
                        };
                        first = false;
                    } else if tok.start < ee && tok.end > es {
                        // Partial overlap (tokenizers disagree): leave it out and restart.
                        first = true;
                    }
                }
            }
            let sent = TrainSentence { words, tags: t };
            if is_dev {
                dev.push(sent)
            } else {
                tr.push(sent)
            }
        }
    }
    Ok((tr, dev))
}

fn upper(s: &TrainSentence) -> TrainSentence {
    TrainSentence {
        words: s.words.iter().map(|w| w.to_uppercase()).collect(),
        tags: s.tags.clone(),
    }
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
    TrainSentence {
        words,
        tags: s.tags.clone(),
    }
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
            .filter(|p| {
                g.iter()
                    .any(|x| x.start == p.start && x.end == p.end && x.label == p.label)
            })
            .count();
    }
    let p = tp as f64 / np.max(1) as f64;
    let r = tp as f64 / ng.max(1) as f64;
    (
        p,
        r,
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
    )
}

/// The sentences of a gold corpus in column format. `.iob2` files (Universal NER) have the word
/// and the tag in the second and third tab-separated columns; other files (wikigold, the Broad
/// Twitter Corpus) the word first and the tag last. An entity begins at `B-X`, or at `I-X` after
/// anything but X (IOB1); types other than PER, ORG, LOC and MISC are read as O.
fn load_gold(path: &str) -> Result<Vec<TrainSentence>, Box<dyn Error>> {
    let ud = path.ends_with(".iob2");
    let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut types: Vec<Option<NerLabel>> = Vec::new();
    let mut begins: Vec<bool> = Vec::new();
    let mut flush =
        |words: &mut Vec<String>, types: &mut Vec<Option<NerLabel>>, begins: &mut Vec<bool>| {
            if !words.is_empty() {
                let mut tags_of = Vec::with_capacity(words.len());
                let mut prev: Option<NerLabel> = None;
                for (t, &b) in types.iter().zip(begins.iter()) {
                    tags_of.push(match t {
                        None => tags::O,
                        Some(l) if b || prev != Some(*l) => tags::begin(*l),
                        Some(l) => tags::inside(*l),
                    });
                    prev = *t;
                }
                out.push(TrainSentence {
                    words: std::mem::take(words),
                    tags: tags_of,
                });
            }
            types.clear();
            begins.clear();
        };
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            flush(&mut words, &mut types, &mut begins);
            continue;
        }
        if line.starts_with('#') && ud || line.starts_with("-DOCSTART-") {
            continue;
        }
        let cols: Vec<&str> = if ud {
            line.split('\t').collect()
        } else {
            line.split_whitespace().collect()
        };
        let (word, tag) = if ud {
            match (cols.get(1), cols.get(2)) {
                (Some(w), Some(t)) => (*w, *t),
                _ => continue,
            }
        } else {
            match (cols.first(), cols.last()) {
                (Some(w), Some(t)) if cols.len() >= 2 => (*w, *t),
                _ => continue,
            }
        };
        let (begin, label) = match tag.split_once('-') {
            Some(("B", ty)) => (true, NerLabel::parse(ty)),
            Some(("I", ty)) => (false, NerLabel::parse(ty)),
            _ => (false, None),
        };
        words.push(word.to_string());
        types.push(label);
        begins.push(begin);
    }
    flush(&mut words, &mut types, &mut begins);
    Ok(out)
}

/// Entity-level F1 per type (PER, ORG, LOC, MISC, then PER+ORG+LOC) of `tagger` on `gold`.
fn f1_by_type(tagger: &NerTagger, gold: &[TrainSentence]) -> Vec<(String, f64, usize)> {
    let mut counts = [[0usize; 3]; 4];
    for s in gold {
        let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let pred = tagger.tag(&words);
        let g = timeline::extract::actors::ner::spans(&s.tags, |_, _| 1.0);
        for p in &pred {
            counts[p.label as usize][1] += 1;
            if g.iter()
                .any(|x| x.start == p.start && x.end == p.end && x.label == p.label)
            {
                counts[p.label as usize][0] += 1;
            }
        }
        for x in &g {
            counts[x.label as usize][2] += 1;
        }
    }
    let f1 = |[tp, np, ng]: [usize; 3]| {
        let (p, r) = (tp as f64 / np.max(1) as f64, tp as f64 / ng.max(1) as f64);
        if p + r > 0.0 {
            200.0 * p * r / (p + r)
        } else {
            0.0
        }
    };
    let mut out: Vec<(String, f64, usize)> = NerLabel::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_string(),
                f1(counts[*l as usize]),
                counts[*l as usize][2],
            )
        })
        .collect();
    let mut core = [0usize; 3];
    for l in [NerLabel::Per, NerLabel::Org, NerLabel::Loc] {
        for k in 0..3 {
            core[k] += counts[l as usize][k];
        }
    }
    out.push(("PER+ORG+LOC".into(), f1(core), core[2]));
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let t0 = Instant::now();
    let (base, dev) = load(&args)?;
    eprintln!(
        "loaded {} train / {} dev sentences in {:.1?}",
        base.len(),
        dev.len(),
        t0.elapsed()
    );
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
    let synth = synthetic(&base, args.synthetic);
    eprintln!("{} synthetic datelines / results lines", synth.len());
    data.extend(synth);
    let mut gold_dev: Vec<(String, Vec<TrainSentence>)> = Vec::new();
    for (name, paths) in &args.gold {
        let (mut train_part, mut dev_part) = (Vec::new(), Vec::new());
        for path in paths {
            for s in load_gold(path)? {
                if mix(&s.words.join(" "), 4) < args.gold_dev {
                    dev_part.push(s);
                } else {
                    train_part.push(s);
                }
            }
        }
        eprintln!(
            "gold {name}: {} train / {} held-out sentences",
            train_part.len(),
            dev_part.len()
        );
        for s in &train_part {
            for _ in 0..args.gold_copies {
                data.push(s.clone());
            }
        }
        gold_dev.push((name.clone(), dev_part));
    }
    eprintln!("training on {} sentences (with augmentation)", data.len());
    let gaz = PhraseLists::builtin();
    let opts = TrainOptions {
        epochs: args.epochs,
        min_count: args.min_count,
        ..TrainOptions::default()
    };
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
    let mut raw = raw;
    raw.vocab = frequent_words(&base, 20_000);
    let (bytes, kept) = raw.to_bytes(args.prune);
    fs::write(&args.out, &bytes)?;
    eprintln!(
        "wrote {} ({} bytes, {} features)",
        args.out,
        bytes.len(),
        kept
    );
    let tagger = NerTagger::from_parts(&bytes, PhraseLists::builtin())?;
    let (p, r, f) = silver_f1(&tagger, &dev);
    eprintln!(
        "held-out silver agreement: P {:.2} R {:.2} F1 {:.2}",
        100.0 * p,
        100.0 * r,
        100.0 * f
    );
    for (name, dev) in &gold_dev {
        let scores: Vec<String> = f1_by_type(&tagger, dev)
            .iter()
            .map(|(t, f, n)| format!("{t} {f:.1} ({n})"))
            .collect();
        eprintln!("held-out gold {name}: {}", scores.join(", "));
    }
    let dev_up: Vec<TrainSentence> = dev.iter().map(upper).collect();
    let (p, r, f) = silver_f1(&tagger, &dev_up);
    eprintln!(
        "held-out silver, upper-cased: P {:.2} R {:.2} F1 {:.2}",
        100.0 * p,
        100.0 * r,
        100.0 * f
    );
    Ok(())
}

/// Tiny deterministic generator for the synthetic lines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        if v.is_empty() {
            None
        } else {
            v.get(self.below(v.len()))
        }
    }
}

/// Newswire has line types that running prose lacks: datelines (`LONDON 1996-08-30`) and sports
/// results and standings tables, where a club named after its city is an organisation
/// (CoNLL-2003 convention) while a national side stays a location. spaCy's labels are weakest
/// there, so we synthesise such lines from entity names found in the silver data (the names
/// come from our corpus, the line formats from generic wire-service conventions).
fn synthetic(base: &[TrainSentence], n: usize) -> Vec<TrainSentence> {
    let gaz = include_str!("../data/ner/gazetteer.tsv");
    let countries: std::collections::HashSet<&str> = gaz
        .lines()
        .filter_map(|l| l.strip_suffix("\tcountry"))
        .collect();
    let (mut per, mut loc, mut org) = (Vec::new(), Vec::new(), Vec::new());
    for s in base {
        for e in timeline::extract::actors::ner::spans(&s.tags, |_, _| 1.0) {
            let words: Vec<String> = s.words[e.start..e.end].to_vec();
            match e.label {
                NerLabel::Per => per.push(words),
                NerLabel::Loc => loc.push(words),
                NerLabel::Org => org.push(words),
                NerLabel::Misc => {}
            }
        }
    }
    let is_country = |w: &[String]| countries.contains(w.join(" ").to_lowercase().as_str());
    let (nations, cities): (Vec<Vec<String>>, Vec<Vec<String>>) =
        loc.iter().cloned().partition(|w| is_country(w));
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut out = Vec::new();
    let num = |rng: &mut Rng| -> String {
        match rng.below(4) {
            0 => format!("{}", rng.below(10)),
            1 => format!("{}", rng.below(100)),
            2 => format!("{}-{}", rng.below(8), rng.below(8)),
            _ => format!("{}", rng.below(400)),
        }
    };
    // A team: a club (city name or organisation: ORG) or a national side (LOC).
    let team = |rng: &mut Rng| -> Option<(Vec<String>, NerLabel)> {
        match rng.below(3) {
            0 => rng.pick(&nations).map(|w| (w.clone(), NerLabel::Loc)),
            1 => rng.pick(&cities).map(|w| (w.clone(), NerLabel::Org)),
            _ => rng.pick(&org).map(|w| (w.clone(), NerLabel::Org)),
        }
    };
    let push = |s: &mut TrainSentence, words: &[String], label: Option<NerLabel>| {
        for (k, w) in words.iter().enumerate() {
            s.words.push(w.clone());
            s.tags.push(match label {
                None => tags::O,
                Some(l) if k == 0 => tags::begin(l),
                Some(l) => tags::inside(l),
            });
        }
    };
    let lit = |x: &str| vec![x.to_string()];
    for i in 0..n {
        let mut s = TrainSentence {
            words: Vec::new(),
            tags: Vec::new(),
        };
        // A surname alone, or with an initial ("N. Knight"), as in scorecards.
        let short_name = |rng: &mut Rng| -> Option<Vec<String>> {
            let p = rng.pick(&per)?;
            let last = p.last()?.clone();
            if rng.below(2) == 0 {
                let initial = (b'A' + rng.below(26) as u8) as char;
                Some(vec![format!("{initial}."), last])
            } else {
                Some(vec![last])
            }
        };
        match i % 8 {
            0 => {
                // Dateline.
                let Some(c) = rng.pick(&loc).cloned() else {
                    continue;
                };
                push(&mut s, &c, Some(NerLabel::Loc));
                let d = format!(
                    "199{}-{:02}-{:02}",
                    rng.below(10),
                    1 + rng.below(12),
                    1 + rng.below(28)
                );
                push(&mut s, &lit(&d), None);
            }
            1 => {
                // Result: "Team 3 Team 1".
                for _ in 0..2 {
                    let Some((t, l)) = team(&mut rng) else {
                        continue;
                    };
                    push(&mut s, &t, Some(l));
                    push(&mut s, &lit(&num(&mut rng)), None);
                }
            }
            2 => {
                // Standings row: "Team 10 6 2 2 18 9 20".
                let Some((t, l)) = team(&mut rng) else {
                    continue;
                };
                push(&mut s, &t, Some(l));
                for _ in 0..3 + rng.below(5) {
                    push(&mut s, &lit(&num(&mut rng)), None);
                }
            }
            3 => {
                // Individual result: "Name ( Country ) 69 70" or "Name 69 70".
                let Some(p) = rng.pick(&per).cloned() else {
                    continue;
                };
                push(&mut s, &p, Some(NerLabel::Per));
                if rng.below(2) == 0
                    && let Some(c) = rng.pick(&nations).cloned()
                {
                    push(&mut s, &lit("("), None);
                    push(&mut s, &c, Some(NerLabel::Loc));
                    push(&mut s, &lit(")"), None);
                }
                for _ in 0..1 + rng.below(4) {
                    push(&mut s, &lit(&num(&mut rng)), None);
                }
            }
            5 => {
                // Tennis: "Name ( Country ) beat Name ( Country ) 6-3 7-5".
                for k in 0..2 {
                    let Some(p) = rng.pick(&per).cloned() else {
                        continue;
                    };
                    push(&mut s, &p, Some(NerLabel::Per));
                    if let Some(c) = rng.pick(&nations).cloned() {
                        push(&mut s, &lit("("), None);
                        push(&mut s, &c, Some(NerLabel::Loc));
                        push(&mut s, &lit(")"), None);
                    }
                    if k == 0 {
                        push(&mut s, &lit(["beat", "bt", "vs"][rng.below(3)]), None);
                    }
                }
                for _ in 0..2 + rng.below(2) {
                    push(
                        &mut s,
                        &lit(&format!("{}-{}", rng.below(8), rng.below(8))),
                        None,
                    );
                }
            }
            6 => {
                // Cricket scorecard: "N. Knight c P. Such b Gough 43".
                let Some(a) = short_name(&mut rng) else {
                    continue;
                };
                push(&mut s, &a, Some(NerLabel::Per));
                match rng.below(3) {
                    0 => {
                        push(&mut s, &lit("not"), None);
                        push(&mut s, &lit("out"), None);
                    }
                    1 => {
                        push(&mut s, &lit("b"), None);
                        let Some(b) = short_name(&mut rng) else {
                            continue;
                        };
                        push(&mut s, &b, Some(NerLabel::Per));
                    }
                    _ => {
                        push(&mut s, &lit("c"), None);
                        let Some(b) = short_name(&mut rng) else {
                            continue;
                        };
                        push(&mut s, &b, Some(NerLabel::Per));
                        push(&mut s, &lit("b"), None);
                        let Some(c) = short_name(&mut rng) else {
                            continue;
                        };
                        push(&mut s, &c, Some(NerLabel::Per));
                    }
                }
                push(&mut s, &lit(&num(&mut rng)), None);
            }
            7 => {
                // Soccer result with scorers: "Team 2 ( Name 25 , Name 60 ) Team 1".
                for _ in 0..2 {
                    let Some((t, l)) = team(&mut rng) else {
                        continue;
                    };
                    push(&mut s, &t, Some(l));
                    push(&mut s, &lit(&format!("{}", rng.below(5))), None);
                    if rng.below(2) == 0 {
                        push(&mut s, &lit("("), None);
                        for k in 0..1 + rng.below(2) {
                            if k > 0 {
                                push(&mut s, &lit(","), None);
                            }
                            let Some(p) = short_name(&mut rng) else {
                                continue;
                            };
                            push(&mut s, &p[p.len() - 1..], Some(NerLabel::Per));
                            push(&mut s, &lit(&format!("{}", 1 + rng.below(90))), None);
                        }
                        push(&mut s, &lit(")"), None);
                    }
                }
            }
            _ => {
                // Score inside prose: "Team beat Team 2-1 ."
                let Some((a, la)) = team(&mut rng) else {
                    continue;
                };
                let Some((b, lb)) = team(&mut rng) else {
                    continue;
                };
                push(&mut s, &a, Some(la));
                let verb = ["beat", "drew with", "lost to", "v", "vs."][rng.below(5)];
                for w in verb.split(' ') {
                    push(&mut s, &lit(w), None);
                }
                push(&mut s, &b, Some(lb));
                push(&mut s, &lit(&num(&mut rng)), None);
            }
        }
        if s.words.is_empty() {
            continue;
        }
        if rng.below(10) < 3 {
            s = upper(&s);
        }
        out.push(s);
    }
    out
}
