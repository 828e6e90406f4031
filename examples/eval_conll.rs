//! Scores the NER tagger on a CoNLL-2003 file and measures tagging throughput.
//!
//! ```text
//! cargo run --release --example eval_conll -- ../shared/eval/conll2003/eng.testa \
//!     [--weights data/ner/weights.bin] [--corpus ../shared/corpus/newswire-2452.jsonl]
//! ```
//! `--weights` scores a weight file without rebuilding the crate (training iterations);
//! `--corpus` also tokenizes and tags every article of a JSONL corpus and prints tokens/s and MB/s.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use timeline::eval::conll::evaluate;
use timeline::extract::actors::ner::NerTagger;
use timeline::extract::actors::ner::phrase_lists::PhraseLists;
use timeline::extract::text::tokens::tokenize;

fn main() -> Result<(), Box<dyn Error>> {
    let mut path = None;
    let mut weights = None;
    let mut corpus = None;
    let mut errors = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--weights" => weights = it.next(),
            "--corpus" => corpus = it.next(),
            "--errors" => errors = true,
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.unwrap_or_else(|| PathBuf::from("../shared/eval/conll2003/eng.testa"));
    let t0 = Instant::now();
    let tagger = match &weights {
        Some(w) => NerTagger::from_parts(&std::fs::read(w)?, PhraseLists::builtin())?,
        None => NerTagger::builtin()?,
    };
    println!(
        "tagger loaded in {:.1?} ({} features)",
        t0.elapsed(),
        tagger.num_features()
    );
    let t1 = Instant::now();
    let report = evaluate(&path, &tagger)?;
    println!("{}: scored in {:.1?}", path.display(), t1.elapsed());
    print!("{report}");
    if errors {
        print_errors(&tagger, &path)?;
    }
    if let Some(c) = corpus {
        throughput(&tagger, &c)?;
    }
    Ok(())
}

/// Tags every article body of a JSONL corpus, sentence by sentence (split at ". " style
/// sentence-final tokens), and reports tokens/s and MB/s of article text, tokenizer included.
fn throughput(tagger: &NerTagger, path: &str) -> Result<(), Box<dyn Error>> {
    let mut texts = Vec::new();
    for line in std::fs::read_to_string(path)?.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(t) = v["text"].as_str()
        {
            texts.push(t.to_string());
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    let (mut tokens, mut entities) = (0usize, 0usize);
    for _ in 0..3 {
        let t = Instant::now();
        let c0 = thread_cpu_seconds();
        tokens = 0;
        entities = 0;
        for text in &texts {
            let toks = tokenize(text);
            let mut words: Vec<&str> = Vec::with_capacity(64);
            for tok in &toks {
                let w = tok.text(text);
                words.push(w);
                if matches!(w, "." | "?" | "!") || words.len() >= 120 {
                    entities += tagger.tag(&words).len();
                    tokens += words.len();
                    words.clear();
                }
            }
            if !words.is_empty() {
                entities += tagger.tag(&words).len();
                tokens += words.len();
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    println!(
        "throughput on {path}: {} articles, {:.2} MB, {} tokens, {} entities; best of 3: {:.3}s = {:.0} tokens/s, {:.2} MB/s (one core, tokenizer included)",
        texts.len(),
        bytes as f64 / 1e6,
        tokens,
        entities,
        best,
        tokens as f64 / best,
        bytes as f64 / 1e6 / best
    );
    if best_cpu < f64::MAX {
        println!(
            "  on-CPU time (immune to other load on the machine): {:.3}s = {:.0} tokens/s, {:.2} MB/s",
            best_cpu,
            tokens as f64 / best_cpu,
            bytes as f64 / 1e6 / best_cpu
        );
    }
    Ok(())
}

/// This thread's on-CPU time from `/proc/thread-self/schedstat` (Linux; `None` elsewhere), so a
/// busy shared machine does not distort the throughput figure.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Prints each sentence with a wrong or missed entity (gold `[..]`, predicted `{..}`), for
/// looking at error kinds; nothing from here goes into the model.
fn print_errors(tagger: &NerTagger, path: &PathBuf) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(path)?;
    for s in timeline::eval::conll::parse(&text, path)? {
        let words: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
        let gold = timeline::eval::conll::iob_spans(&s.tags);
        let pred: Vec<(usize, usize, String)> = tagger
            .tag(&words)
            .into_iter()
            .map(|e| (e.start, e.end, e.label.as_str().to_string()))
            .collect();
        for g in &gold {
            if !pred.contains(g) {
                let p = pred.iter().find(|p| p.0 < g.1 && g.0 < p.1);
                println!(
                    "MISS {} {:?} pred={:?}",
                    g.2,
                    words[g.0..g.1].join(" "),
                    p.map(|p| format!("{} {}", p.2, words[p.0..p.1].join(" ")))
                );
            }
        }
        for p in &pred {
            if !gold.iter().any(|g| g.0 < p.1 && p.0 < g.1) {
                println!("SPURIOUS {} {:?}", p.2, words[p.0..p.1].join(" "));
            }
        }
    }
    Ok(())
}
