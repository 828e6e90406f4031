//! Messages waiting for the extraction pool, handed to its threads in batches.
//!
//! Why batches: [`Extractor::extract_batch`] takes a batch through each stage in turn, and
//! a stage's tables (the time rules' automata, the gazetteer, the tagger's weights) then stay
//! in the CPU caches across articles, which extracts more text per second than one article at
//! a time (docs/performance.md has the gain). `timeline extract` batches the same way; this
//! module does it for the service and for replays.
//!
//! Why no waiting for a batch to fill: each message queued schedules one turn on the pool,
//! and a turn takes whatever is waiting then (up to [`extract::batch_size`]). An idle pool
//! therefore takes each message as it comes, alone, and adds no latency; a busy one finds a
//! backlog and takes it in batches, which is when speed matters. A turn that finds the queue
//! empty (earlier turns took its message) returns at once. Every message is queued before its
//! turn is scheduled, so a turn runs after it was queued and no message is left behind.
//!
//! [`Extractor::extract_batch`]: crate::extract::Extractor::extract_batch

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use crate::extract;

/// A queue of jobs (a message and its ticket) that pool threads take in batches.
#[derive(Debug)]
pub struct Batches<J> {
    queue: Mutex<VecDeque<J>>,
    /// Most jobs in one batch; 0 = no limit but [`extract::batch_size`].
    max: usize,
}

impl<J> Batches<J> {
    /// A queue whose batches hold at most `max` jobs (`stream.max_batch`; 0 = as many as
    /// [`extract::batch_size`] says, 1 = one job at a time).
    pub fn new(max: usize) -> Batches<J> {
        Batches {
            queue: Mutex::new(VecDeque::new()),
            max,
        }
    }
}

impl<J: Send + 'static> Batches<J> {
    /// Queues `job` and schedules a turn on `pool`: `run` gets the batch the turn takes, in
    /// the order the jobs were queued, unless it is empty.
    pub fn spawn(
        self: &Arc<Self>,
        pool: &rayon::ThreadPool,
        job: J,
        run: impl FnOnce(Vec<J>) + Send + 'static,
    ) {
        self.push(job);
        let workers = pool.current_num_threads();
        let batches = Arc::clone(self);
        pool.spawn(move || {
            let batch = batches.take(workers);
            if !batch.is_empty() {
                run(batch);
            }
        });
    }

    fn push(&self, job: J) {
        self.lock().push_back(job);
    }

    /// The next batch for one of `workers` threads: everything waiting when that is little,
    /// else [`most`] jobs, so that the other threads get their share.
    fn take(&self, workers: usize) -> Vec<J> {
        let mut queue = self.lock();
        let n = queue.len().min(most(queue.len(), workers, self.max));
        queue.drain(..n).collect()
    }

    /// Jobs waiting for a turn.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    /// The queue; a thread that panicked while holding it left it whole (pushes and drains
    /// do not panic midway), so a poisoned lock is used as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<J>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The most messages to extract together when `waiting` are shared by `workers` threads:
/// [`extract::batch_size`], capped by `max` (`stream.max_batch`) unless that is 0.
pub fn most(waiting: usize, workers: usize, max: usize) -> usize {
    let n = extract::batch_size(waiting, workers);
    if max > 0 { n.min(max) } else { n }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
    }

    #[test]
    fn every_job_runs_once_in_queue_order_within_a_batch() {
        let pool = pool(2);
        let batches = Arc::new(Batches::new(0));
        let (tx, rx) = mpsc::channel();
        for i in 0..2000u32 {
            let tx = tx.clone();
            batches.spawn(&pool, i, move |batch| {
                let _ = tx.send(batch);
            });
        }
        drop(tx);
        let got: Vec<Vec<u32>> = rx.iter().collect();
        for b in &got {
            assert!(!b.is_empty());
            assert!(b.windows(2).all(|w| w[0] < w[1]), "out of order: {b:?}");
            assert!(b.len() <= 256);
        }
        let mut all: Vec<u32> = got.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, (0..2000).collect::<Vec<_>>());
        assert_eq!(batches.len(), 0);
    }

    #[test]
    fn a_backlog_is_taken_in_batches_and_an_idle_pool_takes_jobs_alone() {
        let pool = pool(1);
        let batches = Arc::new(Batches::new(0));
        // The only thread is held while 100 jobs queue up: the turn after it takes a batch of
        // `batch_size(100, 1)`, 32, and the next turns the rest.
        let (hold_tx, hold_rx) = mpsc::channel::<()>();
        pool.spawn(move || {
            let _ = hold_rx.recv();
        });
        let (tx, rx) = mpsc::channel();
        for i in 0..100u32 {
            let tx = tx.clone();
            batches.spawn(&pool, i, move |batch| {
                let _ = tx.send(batch);
            });
        }
        let _ = hold_tx.send(());
        let mut sizes = Vec::new();
        let mut next = 0;
        while next < 100 {
            let b = rx.recv().expect("a batch");
            assert_eq!(b, (next..next + b.len() as u32).collect::<Vec<_>>());
            next += b.len() as u32;
            sizes.push(b.len());
        }
        assert_eq!(sizes, [32, 32, 32, 4]);
        // Idle: one job, one batch of one.
        batches.spawn(&pool, 100, move |batch| {
            let _ = tx.send(batch);
        });
        assert_eq!(rx.recv().expect("a batch"), vec![100]);
    }

    #[test]
    fn a_thread_takes_no_more_than_its_share_of_a_large_backlog() {
        let batches: Batches<u32> = Batches::new(0);
        for i in 0..1000 {
            batches.push(i);
        }
        // 1000 waiting for two threads: batches of 125, so both get work.
        assert_eq!(batches.take(2).len(), 125);
        assert_eq!(batches.len(), 875);
    }

    #[test]
    fn max_batch_caps_a_batch_and_one_takes_jobs_alone() {
        for (max, first) in [(1, 1), (10, 10), (0, 125)] {
            let batches: Batches<u32> = Batches::new(max);
            for i in 0..1000 {
                batches.push(i);
            }
            let b = batches.take(2);
            assert_eq!(b.len(), first, "max {max}");
            assert_eq!(b.first(), Some(&0));
        }
    }
}
