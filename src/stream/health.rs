//! Readiness: what `/readyz` answers, gathered from the consumer, the producer and the loop.
//!
//! Ready means the service is doing its job: connected to a broker, holding partitions, and not
//! stuck re-sending records the broker refuses. Each input is a flag set from the thread that
//! knows it (librdkafka callbacks, the delivery thread), so reading it is lock-free.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a consume error that blocks a partition keeps the service not ready. librdkafka
/// retries the fetch about twice a second, so a partition that stays stuck keeps it not ready,
/// and one that recovers is ready again within this.
const INPUT_ERROR_WINDOW: Duration = Duration::from_secs(10);

/// Shared readiness flags.
#[derive(Debug, Default)]
pub struct Health {
    started: AtomicBool,
    stopping: AtomicBool,
    brokers_down: AtomicBool,
    assigned: AtomicUsize,
    /// Sends waiting to be retried after a failed delivery.
    retrying: AtomicI64,
    /// The last consume error that stops a partition (a batch that cannot be decoded), and
    /// when it was seen.
    input_error: Mutex<Option<(Instant, String)>>,
}

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    pub fn set_started(&self) {
        self.started.store(true, Ordering::Release);
    }

    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    pub fn set_brokers_down(&self, down: bool) {
        self.brokers_down.store(down, Ordering::Release);
    }

    pub fn set_assigned(&self, partitions: usize) {
        self.assigned.store(partitions, Ordering::Release);
    }

    pub fn retry_started(&self) {
        self.retrying.fetch_add(1, Ordering::AcqRel);
    }

    pub fn retry_finished(&self) {
        self.retrying.fetch_sub(1, Ordering::AcqRel);
    }

    /// Sends waiting for a retry; while any are, fetching stays paused.
    pub fn retrying(&self) -> bool {
        self.retrying.load(Ordering::Acquire) > 0
    }

    /// True while librdkafka reports every broker unreachable.
    pub fn brokers_down(&self) -> bool {
        self.brokers_down.load(Ordering::Acquire)
    }

    pub fn assigned(&self) -> usize {
        self.assigned.load(Ordering::Acquire)
    }

    /// Notes a consume error that stops a partition from advancing (see
    /// [`super::consumer::blocks_partition`]): the service is not ready while it repeats.
    pub fn input_error(&self, error: String) {
        let mut e = self.input_error.lock().unwrap_or_else(|p| p.into_inner());
        *e = Some((Instant::now(), error));
    }

    /// The consume error of the last `INPUT_ERROR_WINDOW`, if any.
    pub fn recent_input_error(&self) -> Option<String> {
        let e = self.input_error.lock().unwrap_or_else(|p| p.into_inner());
        e.as_ref()
            .filter(|(at, _)| at.elapsed() < INPUT_ERROR_WINDOW)
            .map(|(_, why)| why.clone())
    }

    /// `Ok(())` when ready, else why not (the `/readyz` body).
    pub fn ready(&self) -> Result<(), String> {
        self.ready_flags().map_err(str::to_owned)?;
        if let Some(why) = self.recent_input_error() {
            return Err(format!(
                "cannot read an input partition: {why}; it stops there (nothing is skipped): see `timeline_consume_errors_total` and the README's \"Input that cannot be decoded\""
            ));
        }
        Ok(())
    }

    fn ready_flags(&self) -> Result<(), &'static str> {
        if !self.started.load(Ordering::Acquire) {
            return Err("starting");
        }
        if self.stopping.load(Ordering::Acquire) {
            return Err("shutting down");
        }
        if self.brokers_down.load(Ordering::Acquire) {
            return Err("no broker reachable");
        }
        if self.retrying() {
            return Err("re-sending records the broker did not acknowledge");
        }
        if self.assigned() == 0 {
            return Err("no partitions assigned");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_every_condition() {
        let h = Health::new();
        assert_eq!(h.ready(), Err("starting".to_owned()));
        h.set_started();
        assert_eq!(h.ready(), Err("no partitions assigned".to_owned()));
        h.set_assigned(2);
        assert_eq!(h.ready(), Ok(()));
        h.set_brokers_down(true);
        assert!(h.ready().is_err());
        h.set_brokers_down(false);
        h.retry_started();
        assert!(h.ready().is_err());
        h.retry_finished();
        assert_eq!(h.ready(), Ok(()));
        h.input_error("Local: Invalid compressed data".into());
        let why = h.ready().unwrap_err();
        assert!(why.contains("Invalid compressed data"), "{why}");
        *h.input_error.lock().unwrap() = Some((Instant::now() - INPUT_ERROR_WINDOW, "old".into()));
        assert_eq!(h.ready(), Ok(()));
        h.set_stopping();
        assert_eq!(h.ready(), Err("shutting down".to_owned()));
    }
}
