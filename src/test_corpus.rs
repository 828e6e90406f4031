//! The newswire corpus beside the project (`../shared/corpus/newswire-2452.jsonl`), for the
//! unit tests and measurements that use it when it is there.

/// The corpus as JSON lines, or `None` (saying so) when it is not beside the project. In CI
/// (`CI` set), where `../shared` is always laid beside the checkout, a missing corpus fails
/// the test instead of letting it pass unchecked.
pub(crate) fn newswire() -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/newswire-2452.jsonl"
    );
    let text = std::fs::read_to_string(path).ok();
    if text.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{path} not found: CI must have ../shared beside the checkout"
        );
        eprintln!("skipped: {path} not found");
    }
    text
}

/// The corpus's articles, decoded as the CLI decodes them (every line of it is valid), or
/// `None` when it is not beside the project.
pub(crate) fn articles() -> Option<Vec<crate::article::Article>> {
    let raw = newswire()?;
    Some(
        raw.lines()
            .filter_map(|l| crate::article::decode(l.as_bytes(), &Default::default()).ok())
            .collect(),
    )
}
