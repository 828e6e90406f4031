//! A rate limit for repeated log lines.
//!
//! librdkafka reports a lost connection once per broker and retry (with no broker up, about 20
//! lines a second), and the operator needs the first line and a count, not the stream. The
//! first occurrence of a message is logged, repeats of it within `every` are counted, and the
//! next line logged says how many were held back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keeps few distinct messages: once it holds this many, the oldest entries are dropped.
const MAX_KEYS: usize = 64;

/// See the module docs.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

impl LogLimit {
    pub fn new(every: Duration) -> LogLimit {
        LogLimit {
            every,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(repeats held back since the last line)` when `message` should be logged now.
    pub fn admit(&self, message: &str) -> Option<u64> {
        self.admit_at(message, Instant::now())
    }

    fn admit_at(&self, message: &str, now: Instant) -> Option<u64> {
        let Ok(mut seen) = self.seen.lock() else {
            // A poisoned lock only means a panic elsewhere; log rather than hide.
            return Some(0);
        };
        if let Some((last, held)) = seen.get_mut(message) {
            if now.duration_since(*last) < self.every {
                *held += 1;
                return None;
            }
            let repeats = *held;
            *last = now;
            *held = 0;
            return Some(repeats);
        }
        if seen.len() >= MAX_KEYS {
            let every = self.every;
            seen.retain(|_, (last, _)| now.duration_since(*last) < every);
            if seen.len() >= MAX_KEYS {
                seen.clear();
            }
        }
        seen.insert(message.to_owned(), (now, 0));
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_held_back_and_counted() {
        let l = LogLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(l.admit_at("down", t0), Some(0));
        for i in 1..=20 {
            assert_eq!(l.admit_at("down", t0 + Duration::from_millis(50 * i)), None);
        }
        // Another message is not held back by the first.
        assert_eq!(l.admit_at("other", t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(l.admit_at("down", t0 + Duration::from_secs(11)), Some(20));
        assert_eq!(l.admit_at("down", t0 + Duration::from_secs(12)), None);
    }

    #[test]
    fn many_distinct_messages_stay_bounded() {
        let l = LogLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..1000 {
            assert_eq!(l.admit_at(&format!("m{i}"), t0), Some(0));
        }
        assert!(l.seen.lock().unwrap().len() <= MAX_KEYS);
    }
}
