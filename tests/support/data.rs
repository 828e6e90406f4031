//! Test articles, and the records the extractor gives for them.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use timeline::extract::Extractor;

/// One extractor for every service of a test binary (building it takes a moment).
pub fn extractor() -> Arc<Extractor> {
    static X: OnceLock<Arc<Extractor>> = OnceLock::new();
    Arc::clone(X.get_or_init(|| Arc::new(Extractor::builtin().expect("built-in extractor"))))
}

/// `n` small articles with distinct ids, each with events the extractor finds.
pub fn articles(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    let samples: Vec<&str> = timeline::stream::samples::articles().collect();
    (0..n)
        .map(|i| {
            let mut v: serde_json::Value =
                serde_json::from_str(samples[i % samples.len()]).expect("sample json");
            v["id"] = serde_json::Value::String(format!("{prefix}-{i}"));
            serde_json::to_vec(&v).expect("json")
        })
        .collect()
}

/// The records the extractor gives for `values` directly (the expected output).
pub fn expected_ids(values: &[Vec<u8>]) -> BTreeSet<String> {
    let x = extractor();
    let limits = timeline::article::DecodeLimits::default();
    let mut ids = BTreeSet::new();
    for v in values {
        if let Ok(a) = timeline::article::decode(v, &limits) {
            // Every test article has published_at, so the message timestamp plays no part.
            for r in x.extract(&a, None).records {
                ids.insert(r.id);
            }
        }
    }
    ids
}
