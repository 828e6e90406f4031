//! What the long-running commands (`run`, `replay`) share: the async runtime they start, the
//! extractor they build on it, and how they learn that it is time to stop (SIGINT, SIGTERM).
//!
//! Kept in one place so that both commands stop on the same signals and name their threads
//! the same way (operators grep for `timeline-rt` in thread dumps).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use timeline::config::Config;
use timeline::extract::Extractor;

/// The multi-threaded runtime of a command, its threads named `timeline-rt`.
pub fn build() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("timeline-rt")
        .build()
        .context("cannot start the async runtime")
}

/// Builds the extractor of `config` on a blocking thread: loading its tables takes a moment,
/// which must not stall the runtime's workers.
pub async fn extractor(config: &Config) -> anyhow::Result<Arc<Extractor>> {
    let extract_config = config.extract.clone();
    let extractor = tokio::task::spawn_blocking(move || Extractor::new(&extract_config)).await??;
    Ok(Arc::new(extractor))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Waits for a signal or for `finished` to hold (checked every `every`), whichever comes
/// first; true when a signal came. The handles of the service and of a replay only say
/// whether they are finished, so polling is the one way to race them against a signal
/// without consuming them.
pub async fn signal_or_finished(every: Duration, finished: impl Fn() -> bool) -> bool {
    tokio::select! {
        () = signal() => true,
        () = async {
            while !finished() {
                tokio::time::sleep(every).await;
            }
        } => false,
    }
}
