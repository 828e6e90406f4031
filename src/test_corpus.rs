//! The newswire corpus beside the project (`../shared/corpus/newswire-2452.jsonl`), for the
//! unit tests and measurements that use it when it is there.

/// The corpus as JSON lines, or `None` (saying so) when it is not beside the project.
pub(crate) fn newswire() -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/newswire-2452.jsonl"
    );
    let text = std::fs::read_to_string(path).ok();
    if text.is_none() {
        eprintln!("skipped: {path} not found");
    }
    text
}
