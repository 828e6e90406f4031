//! Bounded waits: every wait of a test panics, naming what it waited for, after its timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use timeline::config::Config;

use super::topics::committed_total;

/// Polls `cond` every 50 ms until it holds; panics with `what` after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`wait_until`] for a condition that is quick to check and needs no `.await`.
pub async fn wait_for(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    wait_until(timeout, what, || std::future::ready(cond())).await;
}

/// Waits until `done` holds for the [`committed_total`] of the service's group on
/// `partitions` input partitions; panics with `what` and the last total after `timeout`.
/// The lookup blocks, so it runs off the runtime's threads; it joins the group's coordinator
/// each time, so it polls every 100 ms rather than 50.
pub async fn wait_committed(
    c: &Config,
    partitions: i32,
    timeout: Duration,
    what: &str,
    done: impl Fn(i64) -> bool,
) {
    let start = Instant::now();
    loop {
        let cfg = c.clone();
        let total = tokio::task::spawn_blocking(move || committed_total(&cfg, partitions))
            .await
            .expect("committed offsets looked up");
        if done(total) {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what} (committed: {total})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// [`wait_committed`] until the group has committed all `n` messages of its input.
pub async fn wait_all_committed(c: &Config, partitions: i32, n: i64, timeout: Duration) {
    let what = format!("all {n} messages committed");
    wait_committed(c, partitions, timeout, &what, |done| done == n).await;
}
