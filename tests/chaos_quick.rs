//! The cheap part of the chaos run (`tools/chaos/chaos.py --quick`): two instances on the
//! embedded broker, an independent client (kafka-python) producing 200 articles and the
//! malformed set, one instance killed with SIGKILL and restarted mid-stream. Every record id
//! `timeline extract` gives must arrive, every malformed message must have its dead letter,
//! and every partition must be owned again after the crash.
//!
//! kafka-python is installed under `target/` when the machine lacks it (PyPI, pinned in
//! `tools/chaos/requirements.txt`), so this runs on a fresh machine as `cargo test` does.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python_path(root: &Path) -> Option<PathBuf> {
    let has = |pp: Option<&Path>| {
        let mut c = Command::new("python3");
        c.args(["-c", "import kafka"]);
        if let Some(p) = pp {
            c.env("PYTHONPATH", p);
        }
        c.output().is_ok_and(|o| o.status.success())
    };
    if has(None) {
        return None;
    }
    let target = root.join("target/chaos-python");
    if !has(Some(&target)) {
        let status = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&target)
            .arg("-r")
            .arg(root.join("tools/chaos/requirements.txt"))
            .status()
            .expect("python3 runs (the chaos run needs Python 3 with pip)");
        assert!(status.success(), "pip could not install kafka-python");
    }
    Some(target)
}

#[test]
fn chaos_quick() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/newswire-2452.jsonl");
    assert!(
        corpus.exists(),
        "{} is missing: the chaos run produces its articles",
        corpus.display()
    );
    let mut cmd = Command::new("python3");
    cmd.arg(root.join("tools/chaos/chaos.py"))
        .args([
            "--quick",
            "--binary",
            env!("CARGO_BIN_EXE_timeline"),
            "--corpus",
        ])
        .arg(&corpus);
    if let Some(pp) = python_path(root) {
        cmd.env("PYTHONPATH", pp);
    }
    let out = cmd.output().expect("the chaos run starts");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chaos run failed:\n{summary}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_str(&summary).expect("a JSON summary");
    assert_eq!(s["missing_ids"], 0, "{summary}");
    assert_eq!(s["dead_letters_missing_or_wrong"], serde_json::json!([]));
    assert!(
        s["expected_records"].as_u64().unwrap_or(0) > 500,
        "{summary}"
    );
    assert_eq!(s["malformed"], 200);
}
