//! `timeline extract` end to end: the binary over files and stdin.

use std::io::Write;
use std::process::{Command, Stdio};

fn timeline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timeline"))
}

const GOOD: &str = r#"{"id":"a1","title":"Leaders meet","text":"Egyptian President Abdel Fattah el-Sisi met Jordan's King Abdullah in Cairo on Monday to discuss the Gaza ceasefire.","published_at":"2025-03-12T09:00:00+02:00","source":"test"}"#;

#[test]
fn extracts_records_and_reports_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let bad_utf8: &[u8] = b"{\"id\":\"x\",\"text\":\"\xff\xfe\"}\n";
    let mut f = std::fs::File::create(&input).expect("create");
    writeln!(f, "{GOOD}").expect("write");
    writeln!(f, "not json").expect("write");
    writeln!(f).expect("write"); // blank lines are skipped, not rejected
    writeln!(f, r#"{{"id":"b","text":42}}"#).expect("write");
    f.write_all(bad_utf8).expect("write");
    writeln!(
        f,
        r#"{{"id":"fr","text":"Le président a rencontré...","language":"fr"}}"#
    )
    .expect("write");
    drop(f);

    let out = timeline()
        .args(["extract", "--quiet"])
        .arg(&input)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejected lines must give exit 1; stderr:\n{stderr}"
    );
    assert!(stderr.contains("in.jsonl:2: rejected"), "{stderr}");
    assert!(
        stderr.contains("in.jsonl:4: rejected") && stderr.contains("`text`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("in.jsonl:5: rejected") && stderr.contains("UTF-8"),
        "{stderr}"
    );
    assert!(stderr.contains("3 rejected"), "{stderr}");
    assert!(stderr.contains("1 skipped"), "{stderr}");

    let stdout = String::from_utf8_lossy(&out.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect();
    assert!(
        records.iter().any(|r| r["event"]["type"] == "CONSULT"
            && r["date"]["value"] == "2025-03-10"
            && r["location"]["name"] == "Cairo"),
        "expected the Cairo meeting on Monday 2025-03-10: {stdout}"
    );
}

#[test]
fn annotations_from_stdin_with_reference_time() {
    let mut child = timeline()
        .args([
            "extract",
            "--annotations",
            "--reference-time",
            "2025-11-25T10:00:00Z",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"id\":\"n\",\"text\":\"Russian forces attacked Kharkiv yesterday.\"}\n")
        .expect("writes");
    let out = child.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap_or_default())
            .expect("annotations JSON");
    assert_eq!(v["article_id"], "n");
    let times = v["times"].as_array().expect("times");
    assert!(
        times
            .iter()
            .any(|t| t["value"] == "2025-11-24" && t["text"] == "yesterday"),
        "{v}"
    );
    let actors = v["actors"].as_array().expect("actors");
    assert!(actors.iter().any(|a| a["country"] == "RUS"), "{v}");
    assert!(actors.iter().any(|a| a["name"] == "Kharkiv"), "{v}");
    // Spans are code points of the text.
    let kh = actors
        .iter()
        .find(|a| a["name"] == "Kharkiv")
        .expect("Kharkiv");
    assert_eq!(kh["start"], 24);
    assert_eq!(kh["end"], 31);
}
