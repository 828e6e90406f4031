//! The bundled sample articles (`data/samples/articles.jsonl`), written for the project, so the
//! embedded demo runs on a fresh machine with nothing else.

/// The samples as JSON lines, one article per line.
pub const ARTICLES_JSONL: &str = include_str!("../../data/samples/articles.jsonl");

/// The sample articles, one JSON object per item.
pub fn articles() -> impl Iterator<Item = &'static str> {
    ARTICLES_JSONL.lines().filter(|l| !l.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use crate::article::{DecodeLimits, decode_str};

    #[test]
    fn every_sample_decodes_and_has_a_2025_publication_time() {
        let mut n = 0;
        for line in super::articles() {
            let a = decode_str(line, &DecodeLimits::default()).unwrap();
            let p = a.published_at.unwrap();
            assert!(p.instant.to_rfc3339().starts_with("2025-"), "{}", a.id);
            n += 1;
        }
        assert!((15..=25).contains(&n), "{n} samples");
    }
}
