//! Extraction throughput on the newswire corpus (`../shared/corpus/newswire-2452.jsonl`).
//!
//! `cargo bench --bench extract` reports article text per second on one core over the whole
//! corpus, in MB/s (10^6 bytes, the unit of the throughput target; criterion's throughput
//! line). Each sample is a pass over the corpus after warm-up passes, so it measures the
//! steady state of a long-running service; a single cold pass (the lazy DFAs' states built as
//! they are first needed), the figure on every core and peak memory come from `timeline
//! extract` (see docs/performance.md).

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use timeline::article::{self, Article, DecodeLimits};
use timeline::extract::{self, Extractor};

/// The allocator the `timeline` binary uses (see `src/main.rs`), so the figure is the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus(max: usize) -> Vec<Article> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/newswire-2452.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .take(max)
        .filter_map(|l| article::decode(l.as_bytes(), &DecodeLimits::default()).ok())
        .collect()
}

fn bench(c: &mut Criterion) {
    let articles = corpus(usize::MAX);
    if articles.is_empty() {
        eprintln!("corpus not found; nothing to measure");
        return;
    }
    let extractor = Extractor::builtin().expect("extractor builds");
    let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::BytesDecimal(bytes as u64));
    group.sample_size(10);
    // About a second per pass on one core: ten passes and the warm-up take this long.
    group.measurement_time(Duration::from_secs(15));
    // As `timeline extract --jobs 1` does: batches of `batch_size` articles (256 here), each
    // batch stage by stage.
    let batches: Vec<Vec<(&Article, _)>> = articles
        .chunks(extract::batch_size(articles.len(), 1))
        .map(|chunk| chunk.iter().map(|a| (a, None)).collect())
        .collect();
    group.bench_function("newswire-corpus-one-core", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for batch in &batches {
                n += extractor
                    .extract_batch(batch)
                    .iter()
                    .map(|e| e.records.len())
                    .sum::<usize>();
            }
            n
        })
    });
    group.bench_function("newswire-corpus-one-core-one-by-one", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for a in &articles {
                n += extractor.extract(a, None).records.len();
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
