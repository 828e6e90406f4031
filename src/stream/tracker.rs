//! In-flight bounds and per-partition, in-order offset tracking.
//!
//! A message is *in flight* from the moment it is consumed until every record it produced (and
//! its dead letter, if any) is acknowledged by the broker. The offset a partition may commit is
//! the lowest offset still in flight (or one past the highest finished one when none is), so a
//! slow message holds back the commits of later messages of its partition, and a crash
//! anywhere re-delivers only messages whose records were not all acknowledged.
//!
//! Completion comes from the producer's delivery thread; the rebalance callback and shutdown
//! wait on it from other threads. So the state is a plain mutex with a condvar (the waits block
//! a thread on purpose, the rebalance callback must not return before the work is committed)
//! plus a tokio `Notify` for the async consumer loop.
//!
//! Each assignment of a partition gets a new *generation*: completions of messages consumed
//! under an earlier assignment (revoked while still in flight) no longer move its offsets,
//! because the new owner has redone them already.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tp {
    pub topic: Arc<str>,
    pub partition: i32,
}

impl Tp {
    pub fn new(topic: &str, partition: i32) -> Tp {
        Tp {
            topic: Arc::from(topic),
            partition,
        }
    }
}

/// The in-flight bounds; the service takes no more messages while either is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlightLimits {
    pub max_messages: usize,
    pub max_bytes: usize,
}

/// Called once per finished message (all parts acknowledged), e.g. to record latency.
pub type Observer = Box<dyn Fn(&Ticket) + Send + Sync>;

#[derive(Debug, Default)]
struct PartitionState {
    generation: u64,
    /// Offsets in flight.
    pending: BTreeSet<i64>,
    /// Highest offset begun under this generation.
    highest: Option<i64>,
    /// The offset to commit (next to consume), when something finished.
    position: Option<i64>,
    /// `position` changed since the last [`Tracker::take_positions`].
    dirty: bool,
}

impl PartitionState {
    fn recompute(&mut self) {
        let next = match (self.pending.first(), self.highest) {
            (Some(&first), _) => Some(first),
            (None, Some(h)) => Some(h + 1),
            (None, None) => None,
        };
        // Never move backwards: a message begun below the last position (a seek back) must
        // not un-commit finished work.
        if let Some(n) = next
            && self.position.is_none_or(|p| n > p)
        {
            self.position = Some(n);
            self.dirty = true;
        }
    }
}

#[derive(Debug, Default)]
struct State {
    partitions: HashMap<Tp, PartitionState>,
    next_generation: u64,
    messages: usize,
    bytes: usize,
    finished: u64,
}

/// See the module docs.
pub struct Tracker {
    state: Mutex<State>,
    changed: Condvar,
    progress: tokio::sync::Notify,
    limits: InFlightLimits,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// One message in flight. It finishes when its last part is done: the processing step holds
/// one part until it has sent everything, each send adds one, each acknowledgement removes one.
#[derive(Debug)]
pub struct Ticket {
    tracker: Arc<Tracker>,
    pub tp: Tp,
    pub offset: i64,
    pub bytes: usize,
    /// When the message was consumed.
    pub received: Instant,
    /// The message timestamp (ms since the epoch), for end-to-end latency.
    pub timestamp_ms: Option<i64>,
    generation: u64,
    parts: AtomicUsize,
}

impl Ticket {
    /// Adds a part that must be acknowledged (call before sending it).
    pub fn add_part(&self) {
        self.parts.fetch_add(1, Ordering::AcqRel);
    }

    /// Marks a part done; the last one finishes the message. Returns true when it did.
    pub fn part_done(self: &Arc<Self>) -> bool {
        let before = self.parts.fetch_sub(1, Ordering::AcqRel);
        debug_assert!(before > 0, "part_done without a part");
        if before == 1 {
            self.tracker.finish(self);
            true
        } else {
            false
        }
    }
}

impl Tracker {
    pub fn new(limits: InFlightLimits, observer: Option<Observer>) -> Arc<Tracker> {
        Arc::new(Tracker {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            progress: tokio::sync::Notify::new(),
            limits,
            observer,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters half-updated in a way
        // worse than losing the process, so we keep going with the data as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts tracking partitions just assigned. Partitions already tracked keep their state
    /// (an incremental assignment that repeats them).
    pub fn assign(&self, tps: &[Tp]) {
        let mut s = self.lock();
        for tp in tps {
            if !s.partitions.contains_key(tp) {
                s.next_generation += 1;
                let generation = s.next_generation;
                s.partitions.insert(
                    tp.clone(),
                    PartitionState {
                        generation,
                        ..PartitionState::default()
                    },
                );
            }
        }
    }

    /// Stops tracking revoked partitions and returns the offsets to commit for them (those with
    /// finished work). Messages of these partitions still in flight finish without effect.
    pub fn revoke(&self, tps: &[Tp]) -> Vec<(Tp, i64)> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for tp in tps {
            if let Some(p) = s.partitions.remove(tp)
                && let Some(pos) = p.position
            {
                out.push((tp.clone(), pos));
            }
        }
        out
    }

    /// The generation of a partition's current assignment; a batch collected under another
    /// generation belongs to an assignment since revoked.
    pub fn generation(&self, tp: &Tp) -> Option<u64> {
        self.lock().partitions.get(tp).map(|p| p.generation)
    }

    /// Partitions currently tracked.
    pub fn assigned(&self) -> Vec<Tp> {
        let mut v: Vec<Tp> = self.lock().partitions.keys().cloned().collect();
        v.sort();
        v
    }

    /// Registers a consumed message. A partition not assigned through [`Tracker::assign`]
    /// (manual assignment) is tracked from its first message.
    pub fn begin(
        self: &Arc<Self>,
        tp: Tp,
        offset: i64,
        bytes: usize,
        timestamp_ms: Option<i64>,
    ) -> Arc<Ticket> {
        let mut s = self.lock();
        let generation = match s.partitions.get(&tp) {
            Some(p) => p.generation,
            None => {
                s.next_generation += 1;
                let generation = s.next_generation;
                s.partitions.insert(
                    tp.clone(),
                    PartitionState {
                        generation,
                        ..PartitionState::default()
                    },
                );
                generation
            }
        };
        if let Some(p) = s.partitions.get_mut(&tp) {
            p.pending.insert(offset);
            p.highest = Some(p.highest.map_or(offset, |h| h.max(offset)));
        }
        s.messages += 1;
        s.bytes += bytes;
        drop(s);
        Arc::new(Ticket {
            tracker: Arc::clone(self),
            tp,
            offset,
            bytes,
            received: Instant::now(),
            timestamp_ms,
            generation,
            parts: AtomicUsize::new(1),
        })
    }

    fn finish(&self, t: &Ticket) {
        {
            let mut s = self.lock();
            s.messages = s.messages.saturating_sub(1);
            s.bytes = s.bytes.saturating_sub(t.bytes);
            s.finished += 1;
            if let Some(p) = s.partitions.get_mut(&t.tp)
                && p.generation == t.generation
            {
                p.pending.remove(&t.offset);
                p.recompute();
            }
        }
        if let Some(o) = &self.observer {
            o(t);
        }
        self.changed.notify_all();
        self.progress.notify_one();
    }

    /// Offsets to store for commit whose value changed since the last call.
    pub fn take_positions(&self) -> Vec<(Tp, i64)> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for (tp, p) in s.partitions.iter_mut() {
            if p.dirty
                && let Some(pos) = p.position
            {
                p.dirty = false;
                out.push((tp.clone(), pos));
            }
        }
        out.sort();
        out
    }

    /// Every known commit position, changed or not (for a final commit).
    pub fn positions(&self) -> Vec<(Tp, i64)> {
        let s = self.lock();
        let mut out: Vec<(Tp, i64)> = s
            .partitions
            .iter()
            .filter_map(|(tp, p)| p.position.map(|pos| (tp.clone(), pos)))
            .collect();
        out.sort();
        out
    }

    /// True when either in-flight bound is reached.
    pub fn is_full(&self) -> bool {
        let s = self.lock();
        s.messages >= self.limits.max_messages || s.bytes >= self.limits.max_bytes
    }

    /// (messages, bytes) in flight.
    pub fn in_flight(&self) -> (usize, usize) {
        let s = self.lock();
        (s.messages, s.bytes)
    }

    /// Messages finished since start.
    pub fn finished(&self) -> u64 {
        self.lock().finished
    }

    /// Waits (blocking the thread) until nothing is in flight for `scope` (or at all, for
    /// `None`), at most `timeout`. Returns true when idle.
    pub fn wait_idle(&self, scope: Option<&[Tp]>, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let busy = |s: &State| match scope {
            None => s.messages > 0,
            Some(tps) => tps
                .iter()
                .any(|tp| s.partitions.get(tp).is_some_and(|p| !p.pending.is_empty())),
        };
        let mut s = self.lock();
        while busy(&s) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            s = match self.changed.wait_timeout(s, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }

    /// Resolves after the next message finishes (or immediately if one finished since the
    /// last call): the async consumer loop's wake-up to store offsets and resume fetching.
    pub async fn progressed(&self) {
        self.progress.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> Arc<Tracker> {
        Tracker::new(
            InFlightLimits {
                max_messages: 3,
                max_bytes: 1000,
            },
            None,
        )
    }

    #[test]
    fn slow_message_holds_back_later_commits() {
        let t = tracker();
        let tp = Tp::new("a", 0);
        t.assign(std::slice::from_ref(&tp));
        let m0 = t.begin(tp.clone(), 10, 5, None);
        let m1 = t.begin(tp.clone(), 11, 5, None);
        let m2 = t.begin(tp.clone(), 12, 5, None);
        assert!(t.is_full());
        assert!(m1.part_done());
        assert!(m2.part_done());
        // Offset 10 is still in flight: the partition may commit no further than 10.
        assert_eq!(t.take_positions(), vec![(tp.clone(), 10)]);
        assert!(m0.part_done());
        assert_eq!(t.take_positions(), vec![(tp.clone(), 13)]);
        assert_eq!(t.take_positions(), vec![]);
        assert_eq!(t.in_flight(), (0, 0));
        assert_eq!(t.positions(), vec![(tp, 13)]);
    }

    #[test]
    fn partial_progress_commits_up_to_the_first_pending() {
        let t = tracker();
        let tp = Tp::new("a", 1);
        let m0 = t.begin(tp.clone(), 0, 1, None);
        let m1 = t.begin(tp.clone(), 1, 1, None);
        m1.add_part();
        assert!(!m1.part_done());
        assert!(m0.part_done());
        assert_eq!(t.take_positions(), vec![(tp.clone(), 1)]);
        assert!(m1.part_done());
        assert_eq!(t.take_positions(), vec![(tp, 2)]);
    }

    #[test]
    fn partitions_are_independent_and_bytes_bound() {
        let t = tracker();
        let a = Tp::new("a", 0);
        let b = Tp::new("a", 1);
        let ma = t.begin(a.clone(), 5, 600, None);
        assert!(!t.is_full());
        let mb = t.begin(b.clone(), 7, 600, None);
        assert!(t.is_full());
        assert!(mb.part_done());
        assert_eq!(t.take_positions(), vec![(b, 8)]);
        assert!(!t.is_full());
        assert!(!t.wait_idle(Some(std::slice::from_ref(&a)), Duration::from_millis(10)));
        assert!(ma.part_done());
        assert!(t.wait_idle(None, Duration::from_millis(10)));
    }

    #[test]
    fn revoked_work_finishes_without_moving_the_new_assignment() {
        let t = tracker();
        let tp = Tp::new("a", 0);
        t.assign(std::slice::from_ref(&tp));
        let done = t.begin(tp.clone(), 0, 1, None);
        let late = t.begin(tp.clone(), 1, 1, None);
        assert!(done.part_done());
        assert_eq!(t.revoke(std::slice::from_ref(&tp)), vec![(tp.clone(), 1)]);
        t.assign(std::slice::from_ref(&tp));
        let again = t.begin(tp.clone(), 1, 1, None);
        assert!(late.part_done());
        assert_eq!(t.take_positions(), vec![]);
        assert_eq!(t.in_flight(), (1, 1));
        assert!(again.part_done());
        assert_eq!(t.take_positions(), vec![(tp, 2)]);
    }

    #[test]
    fn wait_idle_wakes_on_completion_from_another_thread() {
        let t = tracker();
        let m = t.begin(Tp::new("a", 0), 0, 1, None);
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            m.part_done()
        });
        assert!(t.wait_idle(None, Duration::from_secs(5)));
        assert!(h.join().unwrap());
    }
}
