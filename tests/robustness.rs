//! Bad and odd input never panics, and work stays linear in the input size.
//!
//! Property tests (proptest) stand in for a fuzzer: cargo-fuzz needs a nightly toolchain.

use std::sync::OnceLock;
use std::time::Instant;

use proptest::prelude::*;
use timeline::article::{self, Article, DecodeLimits, ReferenceTime};
use timeline::extract::Extractor;

fn extractor() -> &'static Extractor {
    static E: OnceLock<Extractor> = OnceLock::new();
    E.get_or_init(|| Extractor::builtin().expect("extractor builds"))
}

/// Text made of the pieces that stress our rules: names, dates, punctuation, markup.
fn newsy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("U.S. President Donald Trump ".to_string()),
        Just("met on Tuesday ".to_string()),
        Just("Israeli forces withdrew ".to_string()),
        Just("in Cairo. ".to_string()),
        Just("since October 2023 ".to_string()),
        Just("(ILKHA)\n".to_string()),
        Just("LEGAL WARNING: All rights reserved.\n".to_string()),
        Just("<p>&amp;&#8217;&nbsp;</p>".to_string()),
        Just("“Yellow Line” — ".to_string()),
        Just("Dr. J. Smith ".to_string()),
        Just("’s ".to_string()),
        "[\\PC]{0,12}",
        "[A-Z][a-z]{1,8} ",
        "[0-9./:-]{1,10} ",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = article::decode(&bytes, &DecodeLimits::default());
    }

    #[test]
    fn decoder_handles_json_shapes(id in "\\PC{0,20}", text in "\\PC{0,200}", extra in "\\PC{0,10}") {
        let doc = serde_json::json!({"id": id, "text": text, extra.clone(): [1, {"x": null}]});
        let _ = article::decode(doc.to_string().as_bytes(), &DecodeLimits::default());
        let wrong = serde_json::json!({"id": 5, "text": [text], "published_at": extra});
        prop_assert!(article::decode(wrong.to_string().as_bytes(), &DecodeLimits::default()).is_err());
    }

    #[test]
    fn extractor_never_panics(text in newsy_text(), title in proptest::option::of(newsy_text())) {
        let mut a = Article::new("p", text);
        a.title = title;
        a.published_at = ReferenceTime::parse("2025-11-25T14:30:00+03:00");
        let out = extractor().extract(&a, None);
        for r in &out.records {
            prop_assert!(r.span[0] <= r.span[1]);
            prop_assert!((0.0..=1.0).contains(&r.confidence));
        }
    }

    #[test]
    fn extractor_handles_arbitrary_unicode(text in "\\PC{0,400}") {
        let _ = extractor().extract(&Article::new("u", text), None);
    }
}

/// Time to extract `text` repeated `n` times (best of 3, to dampen noise).
fn time_for(base: &str, n: usize) -> f64 {
    let text = base.repeat(n);
    let a = Article::new("lin", text);
    (0..3)
        .map(|_| {
            let t = Instant::now();
            let _ = extractor().extract(&a, None);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Growth check, not a speed target: 16x the input must cost well under 16x squared. A
/// quadratic path (a rule rescanning the text per match) shows up as a ratio near 256.
#[test]
fn work_is_linear_on_pathological_inputs() {
    let inputs = [
        "(((((((((( ",
        "........ ",
        "Aaa Bbb Ccc Ddd Eee ",
        "&amp;&amp;<b><i>",
        "1 2 3 4 5 6 7 8 9 10 ",
        "Tuesday Monday March 2020 ",
        "U.S. U.K. U.N. E.U. ",
        "said that said that ",
        "\n\n\n\n",
        "“‘«»’” — – ",
    ];
    for base in inputs {
        let small = time_for(base, 500);
        let large = time_for(base, 8_000);
        let ratio = large / small.max(1e-4);
        assert!(
            ratio < 64.0,
            "input {base:?}: 16x longer took {ratio:.1}x as long ({small:.4}s -> {large:.4}s)"
        );
    }
}
