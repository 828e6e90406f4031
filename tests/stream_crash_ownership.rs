//! After an instance crashes and comes back, every partition is owned again within the
//! session timeout, and every article is processed.
//!
//! Two instances in one group: this process runs one, the other is the `timeline` binary in a
//! child process, killed with SIGKILL (no LeaveGroup) and restarted a second later, while the
//! dead member's session is still open. tansu 0.6's coordinator then left the dead member's
//! partition with no owner until the next membership change (minutes); the patched copy in
//! `vendor/tansu-broker` rebalances when the dead member's session runs out.

mod support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use timeline::config::Config;

/// A child process killed when dropped, so that a failing test leaves none behind.
struct Instance(Child);

impl Instance {
    /// SIGKILL: a crash, no LeaveGroup.
    fn crash(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.crash();
    }
}

/// The child instance: `timeline run` on the same broker, topics and group as `c`.
fn spawn_instance(c: &Config, http_port: u16) -> Instance {
    let child = Command::new(env!("CARGO_BIN_EXE_timeline"))
        .args([
            "run",
            "--brokers",
            &c.kafka.bootstrap_servers,
            "--input-topic",
            &c.stream.input_topics[0],
            "--output-topic",
            &c.stream.output_topic,
            "--dead-letter-topic",
            &c.dead_letter.topic,
            "--group-id",
            &c.stream.group_id,
            "--workers",
            "1",
            "--http-listen",
            &format!("127.0.0.1:{http_port}"),
        ])
        .env("TIMELINE_KAFKA__CONSUMER__SESSION__TIMEOUT__MS", "6000")
        .env("TIMELINE_KAFKA__CONSUMER__HEARTBEAT__INTERVAL__MS", "500")
        .env("TIMELINE_KAFKA__CONSUMER__STATISTICS__INTERVAL__MS", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the timeline binary starts");
    Instance(child)
}

/// `timeline_assigned_partitions` of the instance serving /metrics on `port`, if it answers.
fn assigned(port: u16) -> Option<usize> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.lines()
        .find_map(|l| l.strip_prefix("timeline_assigned_partitions "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_instance_s_partitions_are_owned_again() {
    let (mut broker, c) = support::broker_with_topics("crash", 3).await;
    let svc = support::start_service(&c).await;
    let tracker = svc.tracker();
    let port = timeline::stream::embedded::free_port().expect("port");

    let mut child = spawn_instance(&c, port);
    support::wait_for(
        Duration::from_secs(60),
        "the two instances share the partitions",
        || assigned(port).is_some_and(|n| n > 0) && tracker.assigned().len() < 3,
    )
    .await;

    // Crash, and come back while the dead member's session is still open.
    child.crash();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let child = spawn_instance(&c, port);

    let crashed = Instant::now();
    support::wait_for(
        Duration::from_secs(40),
        "every partition owned again (the session timeout is 6 s)",
        || assigned(port).is_some_and(|n| n > 0 && n + tracker.assigned().len() == 3),
    )
    .await;
    eprintln!(
        "every partition owned again {:?} after the restart",
        crashed.elapsed()
    );

    // And everything produced now is processed, whichever partition it lands on.
    let input = support::articles("crash", 30);
    support::produce(&c, &input).await;
    let want = support::expected_ids(&input);
    support::wait_for(Duration::from_secs(60), "every article processed", || {
        let got: BTreeSet<String> = support::output_ids(&c).into_iter().collect();
        want.is_subset(&got)
    })
    .await;

    drop(child);
    svc.shutdown();
    svc.wait().await.expect("clean shutdown");
    broker.stop().await;
}
