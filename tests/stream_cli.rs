//! The `timeline run` binary: the embedded demo, and a real process killed with SIGKILL
//! mid-stream, restarted, then stopped with SIGTERM.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn timeline() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_timeline"));
    // No config from the developer's environment.
    c.env_remove("TIMELINE_CONFIG").env("RUST_LOG", "warn");
    c
}

#[test]
fn embedded_demo_prints_the_timeline_and_exits() {
    let out = timeline()
        .args(["run", "--embedded", "--format", "json", "--no-http"])
        .output()
        .expect("timeline runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one record per line"))
        .collect();
    assert!(
        records.len() >= 18,
        "the samples give records: {}",
        records.len()
    );
    let articles: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r["article"]["id"].as_str())
        .collect();
    assert!(
        articles.len() >= 15,
        "most samples have events: {articles:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("18 articles"), "{stderr}");
}

fn run_args(c: &timeline::config::Config) -> Vec<String> {
    vec![
        "run".into(),
        "--brokers".into(),
        c.kafka.bootstrap_servers.clone(),
        "--input-topic".into(),
        c.stream.input_topics[0].clone(),
        "--output-topic".into(),
        c.stream.output_topic.clone(),
        "--dead-letter-topic".into(),
        c.dead_letter.topic.clone(),
        "--group-id".into(),
        c.stream.group_id.clone(),
        "--no-http".into(),
    ]
}

fn spawn(c: &timeline::config::Config) -> std::process::Child {
    timeline()
        .args(run_args(c))
        .env("TIMELINE_KAFKA__CONSUMER__SESSION__TIMEOUT__MS", "6000")
        .env("TIMELINE_KAFKA__CONSUMER__HEARTBEAT__INTERVAL__MS", "500")
        .env("TIMELINE_STREAM__MAX_IN_FLIGHT_MESSAGES", "4")
        .env("TIMELINE_STREAM__COMMIT_INTERVAL_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("timeline starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_stream_and_restarted_loses_nothing() {
    // Enough that the kill, a commit poll after the 10th message, lands mid-stream however
    // fast the service runs.
    const N: i64 = 500;
    let (mut broker, c, expected) = support::loaded("sigkill", 2, N as usize).await;

    let mut child = spawn(&c);
    support::wait_committed(&c, 2, Duration::from_secs(90), "progress", |done| {
        done >= 10
    })
    .await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let cc = c.clone();
    let at_kill = tokio::task::spawn_blocking(move || support::committed_total(&cc, 2))
        .await
        .unwrap();
    assert!(
        at_kill < N,
        "killed mid-stream ({at_kill} of {N} committed)"
    );

    let mut child = spawn(&c);
    support::wait_all_committed(&c, 2, N, Duration::from_secs(120)).await;
    // SIGTERM: a graceful stop, exit status 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit within the grace period");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");

    let ids = support::output_ids(&c);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique, expected);
    broker.stop().await;
}
