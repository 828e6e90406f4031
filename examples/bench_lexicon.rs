//! Throughput of the event-trigger lexicon and modality cues on a JSONL corpus.
//!
//! ```text
//! cargo run --release --example bench_lexicon -- [corpus.jsonl] [--samples N]
//! ```
//!
//! Default corpus: `../shared/corpus/newswire-2452.jsonl`. Sentences are cut at `.`, `!`, `?`
//! tokens (a stand-in for the sentence splitter: this measures the lexicon, not the splitter).
//! `--samples N` prints N matched sentences per event type to check precision by eye.

use std::collections::BTreeMap;
use std::time::Instant;

use timeline::extract::events::lexicon::TriggerLexicon;
use timeline::extract::events::modality::modalities;
use timeline::extract::text::tokens::tokenize;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = "../shared/corpus/newswire-2452.jsonl".to_string();
    let mut samples = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--samples" {
            samples = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
        } else {
            path = a;
        }
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {path}: {e} (pass the corpus path as argument)"))?;
    let mut bodies = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        bodies.push(v["text"].as_str().unwrap_or_default().to_string());
    }
    // Tokenize and split up front so that the timing covers the lexicon only.
    let mut sentences: Vec<Vec<&str>> = Vec::new();
    for body in &bodies {
        let mut cur = Vec::new();
        for t in tokenize(body) {
            let w = t.text(body);
            cur.push(w);
            if matches!(w, "." | "!" | "?") {
                sentences.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            sentences.push(cur);
        }
    }
    let tokens: usize = sentences.iter().map(Vec::len).sum();

    let t0 = Instant::now();
    let lex = TriggerLexicon::builtin()?;
    let build = t0.elapsed();

    // Trigger matching alone, then matching plus modality (the figure reported below).
    let t_find = Instant::now();
    let mut n_find = 0usize;
    for s in &sentences {
        n_find += lex.find(s).len();
    }
    let find_secs = t_find.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let mut found = 0usize;
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_modality: BTreeMap<&str, usize> = BTreeMap::new();
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &sentences {
        let m = lex.find(s);
        let mods = modalities(s, &m);
        found += m.len();
        for (t, md) in m.iter().zip(&mods) {
            *by_type.entry(t.event_type.as_str()).or_default() += 1;
            *by_modality.entry(md.as_str()).or_default() += 1;
            let n = shown.entry(t.event_type.as_str()).or_default();
            if *n < samples {
                *n += 1;
                let words: Vec<String> = s
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == t.start {
                            format!("[[{w}")
                        } else {
                            w.to_string()
                        }
                    })
                    .enumerate()
                    .map(|(i, w)| if i + 1 == t.end { format!("{w}]]") } else { w })
                    .collect();
                println!("{} {:?} {} | {}", t.event_type, t.mode, md, words.join(" "));
            }
        }
    }
    let el = t1.elapsed().as_secs_f64();
    println!(
        "corpus: {} articles, {} sentences, {} tokens; lexicon: {} rows, built in {:.1} ms",
        bodies.len(),
        sentences.len(),
        tokens,
        lex.len(),
        build.as_secs_f64() * 1e3
    );
    println!(
        "find + modalities: {:.3} s = {:.0} sentences/s, {:.2} M tokens/s; {} triggers ({:.2} per sentence)",
        el,
        sentences.len() as f64 / el,
        tokens as f64 / el / 1e6,
        found,
        found as f64 / sentences.len().max(1) as f64
    );
    println!(
        "find alone: {:.3} s = {:.0} sentences/s, {:.2} M tokens/s ({} triggers)",
        find_secs,
        sentences.len() as f64 / find_secs,
        tokens as f64 / find_secs / 1e6,
        n_find
    );
    println!("by type: {by_type:?}");
    println!("by modality: {by_modality:?}");
    Ok(())
}
