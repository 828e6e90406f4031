//! `--max-rate`: at most N messages per second, on average since the start.
//!
//! The n-th message may be read at `start + n / rate`. Pacing against the start (not against the
//! previous message) keeps the average exact over a long replay even when single waits
//! overshoot, and lets a short stall (a slow broker) be caught up with a burst no longer than
//! the stall itself.

use std::time::{Duration, Instant};

/// Paces reads to a rate. See the module docs.
#[derive(Debug, Clone)]
pub struct Throttle {
    per_message: Duration,
    start: Instant,
    count: u64,
}

impl Throttle {
    /// A throttle for `rate` messages per second starting at `now`; `None` for a rate that is
    /// not a positive finite number (no throttling).
    pub fn new(rate: f64, now: Instant) -> Option<Throttle> {
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        Some(Throttle {
            per_message: Duration::from_secs_f64(1.0 / rate),
            start: now,
            count: 0,
        })
    }

    /// Counts one message read; returns when the next may be read, if that is after `now`.
    pub fn after_one(&mut self, now: Instant) -> Option<Instant> {
        self.count += 1;
        let factor = u32::try_from(self.count).unwrap_or(u32::MAX);
        let due = self.start + self.per_message.saturating_mul(factor);
        (due > now).then_some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_to_the_average_rate() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10.0, t0).unwrap();
        // Ten messages at once: the 10th may not be followed before 1 s.
        let mut last = None;
        for _ in 0..10 {
            last = t.after_one(t0);
        }
        assert_eq!(last, Some(t0 + Duration::from_secs(1)));
        // After a stall of 5 s the next ones are due at once (catch-up), until the average is met.
        let later = t0 + Duration::from_secs(5);
        assert_eq!(t.after_one(later), None);
        assert!(Throttle::new(0.0, t0).is_none());
        assert!(Throttle::new(f64::NAN, t0).is_none());
    }
}
