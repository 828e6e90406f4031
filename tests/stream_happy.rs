//! The stream service end to end against a real broker: articles in, records out.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_article_becomes_records_with_headers() {
    let (mut broker, mut c, expected) = support::loaded("happy", 3, 30).await;
    c.http.enabled = true;
    assert!(expected.len() > 30, "the samples give records");

    let svc = support::start_service(&c).await;
    support::wait_finished(
        &svc,
        30,
        Duration::from_secs(60),
        "all 30 messages finished",
    )
    .await;

    let out = support::read(&c, &c.stream.output_topic);
    let ids: BTreeSet<String> = out
        .iter()
        .map(|m| String::from_utf8(m.key.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(ids, expected);
    for m in &out {
        let v: serde_json::Value = serde_json::from_slice(m.value.as_ref().unwrap()).unwrap();
        assert_eq!(m.key.as_deref(), Some(v["id"].as_str().unwrap().as_bytes()));
        assert_eq!(m.header("article_id"), v["article"]["id"].as_str());
        assert_eq!(m.header("schema"), Some(timeline::RECORD_SCHEMA));
        assert_eq!(
            m.header("extractor_version"),
            Some(timeline::EXTRACTOR_VERSION)
        );
    }

    // The operations endpoint answers.
    let addr = svc.http_addr().unwrap();
    let metrics = http_get(addr, "/metrics").await;
    assert!(
        metrics.contains("timeline_messages_consumed_total 30"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "timeline_records_produced_total {}",
        expected.len()
    )));
    // Without an Accept header: the classic text format, which promtool checks.
    assert!(
        metrics
            .to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{metrics}"
    );
    promtool_check(metrics.split("\r\n\r\n").nth(1).unwrap_or_default());
    // A scraper that asks for OpenMetrics (as Prometheus does) gets it.
    let open = http_get_accept(
        addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    )
    .await;
    assert!(
        open.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{open}"
    );
    assert!(open.trim_end().ends_with("# EOF"), "{open}");
    assert!(http_get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));
    let health = svc.health();
    support::wait_for(Duration::from_secs(10), "ready", || health.ready().is_ok()).await;
    assert!(http_get(addr, "/readyz").await.starts_with("HTTP/1.1 200"));

    svc.shutdown();
    let summary = svc.wait().await.unwrap();
    assert!(summary.drained);
    assert_eq!(summary.consumed, 30);
    // Shutdown committed everything: a restart would read nothing again.
    assert_eq!(support::committed_total(&c, 3), 30);
    broker.stop().await;
}

/// `promtool check metrics` on `text`. CI installs promtool (Debian's `prometheus`); on a
/// machine without it the check is left to CI, loudly.
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is missing; .ci/run installs it (Debian package prometheus)"
        );
        eprintln!("promtool not installed: the exposition format is checked in CI only");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A minimal HTTP/1.1 GET, to keep an HTTP client crate out of the dependencies.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    http_get_accept(addr, path, "").await
}

async fn http_get_accept(addr: std::net::SocketAddr, path: &str, accept: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let accept = if accept.is_empty() {
        String::new()
    } else {
        format!("Accept: {accept}\r\n")
    };
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{accept}Connection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}
