//! The scaffold every Kafka pipeline of timeline is built on: the service's at-least-once loop
//! ([`super::at_least_once`]), its exactly-once loop ([`super::transactional`]) and the
//! replays from a topic or a file ([`crate::replay`]).
//!
//! A pipeline is an extractor, the extraction pool, the in-flight [`Tracker`], metrics and
//! health ([`Scaffold`]); a [`Publisher`]; the pool-side [`Worker`] that extracts a batch of
//! messages and sends each one's outcome; and a [`RunHandle`] to stop, wait for or kill the
//! loop. The loops differ only in how they read (a subscription, an assignment, a file) and
//! where progress goes (the consumer group, a transaction, a checkpoint file). Everything else
//! is built here once, the way Vector's sources and sinks share theirs, so that a delivery fix
//! lands in one place.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::article::{DecodeLimits, ReferenceTime};
use crate::config::{Config, ConfigError};
use crate::extract::{ExtractError, Extractor};

use super::batch::Batches;
use super::consumer::StreamContext;
use super::process::{Processed, message_reference, process_batch};
use super::publish::Backoff;
use super::tracker::InFlightLimits;

// The parts a pipeline loop works with: loops (here and in `crate::replay`) depend on the
// scaffold, not on the modules behind it.
pub use super::health::Health;
pub use super::kafka;
pub use super::message::InputMessage;
pub use super::metrics::Metrics;
pub use super::process::Outcome;
pub use super::publish::{HEADER_REPLAY, HEADER_REPLAY_NAME, Publisher, Topics, replay_headers};
pub use super::tracker::{Observer, Ticket, Tp, Tracker};

/// Why a run (of the service or a replay) could not start or had to stop. The service
/// ([`super::StreamError`]) and the replays ([`crate::replay::ReplayError`]) add their own
/// reasons to these.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot build the extractor: {0}")]
    Extractor(#[from] ExtractError),
    #[error("{what}: {source}")]
    Kafka {
        what: &'static str,
        #[source]
        source: KafkaError,
    },
    #[error("cannot start the extraction pool: {0}")]
    Pool(String),
    #[error("the run task failed: {0}")]
    Task(String),
}

impl RunError {
    /// For `map_err`: a Kafka error with what was being done.
    pub fn kafka(what: &'static str) -> impl FnOnce(KafkaError) -> RunError {
        move |source| RunError::Kafka { what, source }
    }

    /// For `map_err` on a joined task (`spawn_blocking`, `spawn`).
    pub fn task(e: tokio::task::JoinError) -> RunError {
        RunError::Task(e.to_string())
    }
}

/// The shared state of one pipeline: what its loop, its pool threads, its handle and the HTTP
/// endpoint all see.
#[derive(Debug)]
pub struct Scaffold {
    pub extractor: Arc<Extractor>,
    /// `extract.*` limits applied when a message is decoded.
    pub limits: DecodeLimits,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub tracker: Arc<Tracker>,
    pub pool: Arc<rayon::ThreadPool>,
    /// Set by [`RunHandle::kill`]: pool threads drop what they hold, like a crashed process.
    pub killed: Arc<AtomicBool>,
    /// `stream.max_batch`: most messages extracted together (0 = the extractor's choice).
    pub max_batch: usize,
    /// `stream.retry_backoff_ms` and `stream.retry_backoff_max_ms`.
    pub backoff: Backoff,
}

impl Scaffold {
    /// Builds the shared state from `config.stream` and starts the extraction pool (threads
    /// named `<pool_name>-<i>`). The tracker calls `observer` for every finished message.
    pub fn new(
        config: &Config,
        extractor: Arc<Extractor>,
        pool_name: &'static str,
        metrics: Arc<Metrics>,
        observer: Option<Observer>,
    ) -> Result<Scaffold, RunError> {
        let s = &config.stream;
        let tracker = Tracker::new(
            InFlightLimits {
                max_messages: s.max_in_flight_messages,
                max_bytes: s.max_in_flight_bytes,
            },
            observer,
        );
        let threads = if s.workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            s.workers
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("{pool_name}-{i}"))
            .build()
            .map_err(|e| RunError::Pool(e.to_string()))?;
        Ok(Scaffold {
            extractor,
            limits: config.extract.limits(),
            metrics,
            health: Arc::new(Health::new()),
            tracker,
            pool: Arc::new(pool),
            killed: Arc::new(AtomicBool::new(false)),
            max_batch: s.max_batch,
            backoff: Backoff {
                first: Duration::from_millis(s.retry_backoff_ms),
                max: Duration::from_millis(s.retry_backoff_max_ms),
            },
        })
    }

    /// A publisher on this pipeline's metrics and health. With `resend`, failed deliveries are
    /// re-sent with the configured backoff (never dropped); without (the exactly-once loop),
    /// a failure fails the transaction instead.
    pub fn publisher(
        &self,
        client: &ClientConfig,
        topics: Topics,
        resend: bool,
    ) -> Result<Publisher, RunError> {
        Publisher::new(
            client,
            topics,
            resend.then_some(self.backoff),
            Arc::clone(&self.metrics),
            Arc::clone(&self.health),
        )
        .map_err(RunError::kafka("cannot create the producer"))
    }

    /// The pool-side worker sending through `publisher`.
    pub fn worker(&self, publisher: Arc<Publisher>, reference: Reference) -> Worker {
        Worker {
            extractor: Arc::clone(&self.extractor),
            limits: self.limits,
            publisher,
            metrics: Arc::clone(&self.metrics),
            killed: Arc::clone(&self.killed),
            batches: Arc::new(Batches::new(self.max_batch)),
            reference,
            on_processed: None,
        }
    }

    /// Extraction threads.
    pub fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }
}

/// What a run of the service did, reported at exit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub consumed: u64,
    pub finished: u64,
    pub records: u64,
    pub dead_letters: u64,
    /// True when shutdown finished all in-flight work within the grace period.
    pub drained: bool,
}

impl Scaffold {
    /// The summary of the run so far.
    pub fn summary(&self, drained: bool) -> Summary {
        Summary {
            consumed: self.metrics.consumed.get(),
            finished: self.tracker.finished(),
            records: self.metrics.produced.get(),
            dead_letters: self.metrics.dead_letters_total(),
            drained,
        }
    }
}

/// The output and dead-letter topics of `config`.
pub fn topics_of(config: &Config) -> Topics {
    Topics {
        output: config.stream.output_topic.clone(),
        dead_letter: config.dead_letter.topic.clone(),
        max_error_message_bytes: config.dead_letter.max_error_message_bytes,
    }
}

/// The service's consumer (either guarantee), subscribed to `stream.input_topics`.
pub fn subscribe(
    config: &Config,
    ctx: StreamContext,
) -> Result<StreamConsumer<StreamContext>, RunError> {
    let s = &config.stream;
    let consumer: StreamConsumer<StreamContext> = kafka::consumer_config(
        &config.kafka,
        &s.group_id,
        s.processing_guarantee,
        s.commit_interval_ms,
    )
    .create_with_context(ctx)
    .map_err(RunError::kafka("cannot create the consumer"))?;
    let topics: Vec<&str> = s.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(RunError::kafka("cannot subscribe to the input topics"))?;
    Ok(consumer)
}

/// Where an article without `published_at` takes its reference time from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The Kafka message timestamp (the live service and topic replays).
    MessageTimestamp,
    /// A fixed time (`--reference-time` of a file replay), or none.
    Fixed(Option<ReferenceTime>),
}

/// Called on a pool thread with each processed message, before its outcome is sent (a
/// replay counts it for its checkpoint).
pub type ProcessedHook = Arc<dyn Fn(&Ticket, &InputMessage, &Outcome) + Send + Sync>;

/// A message waiting for the pool, with its ticket.
pub type Job = (InputMessage, Arc<Ticket>);

/// What a pool thread needs to process messages. Cheap to clone (all shared).
#[derive(Clone)]
pub struct Worker {
    extractor: Arc<Extractor>,
    limits: DecodeLimits,
    publisher: Arc<Publisher>,
    metrics: Arc<Metrics>,
    killed: Arc<AtomicBool>,
    /// Messages waiting for a pool thread, which takes them in batches.
    batches: Arc<Batches<Job>>,
    reference: Reference,
    on_processed: Option<ProcessedHook>,
}

impl Worker {
    /// Also calls `hook` for every processed message.
    pub fn on_processed(mut self, hook: ProcessedHook) -> Worker {
        self.on_processed = Some(hook);
        self
    }

    /// The publisher the worker sends through.
    pub fn publisher(&self) -> &Arc<Publisher> {
        &self.publisher
    }

    /// Queues one message and its ticket for the pool (see [`Batches`]).
    pub fn spawn(&self, pool: &rayon::ThreadPool, input: InputMessage, ticket: Arc<Ticket>) {
        let w = self.clone();
        self.batches
            .spawn(pool, (input, ticket), move |jobs| w.run(jobs));
    }

    /// Processes a batch of messages together, then sends each one's outcome; a ticket
    /// finishes once everything sent for it is acknowledged.
    fn run(&self, jobs: Vec<Job>) {
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        let msgs: Vec<_> = jobs
            .iter()
            .map(|(input, _)| {
                let fallback = match self.reference {
                    Reference::MessageTimestamp => message_reference(input),
                    Reference::Fixed(at) => at,
                };
                (input, fallback)
            })
            .collect();
        let results = process_batch(&self.extractor, &self.limits, &msgs);
        for ((input, ticket), r) in jobs.iter().zip(results) {
            self.finish(input, ticket, &r);
        }
    }

    fn finish(&self, input: &InputMessage, ticket: &Arc<Ticket>, r: &Processed) {
        self.metrics
            .extraction_seconds
            .observe(r.extraction_time.as_secs_f64());
        if let Outcome::Records {
            skipped: Some(reason),
            article_id,
            ..
        } = &r.outcome
        {
            self.metrics.skipped.inc();
            debug!(%article_id, %reason, "article skipped");
        }
        if let Some(hook) = &self.on_processed {
            hook(ticket, input, &r.outcome);
        }
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = self.publisher.send_outcome(input, &r.outcome, Some(ticket)) {
            // Only a publisher without re-sends fails here; the ticket stays unfinished.
            warn!(error = %e, "send failed; this message stays unfinished");
        }
        ticket.part_done();
    }
}

/// A running pipeline loop: stop it gracefully, wait for its result, or kill it.
#[derive(Debug)]
pub struct RunHandle<T, E> {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<T, E>>,
    killed: Arc<AtomicBool>,
}

impl<T, E> RunHandle<T, E>
where
    T: Send + 'static,
    E: From<RunError> + Send + 'static,
{
    /// Spawns the loop `run`, which stops when `stop`'s receivers see true.
    pub fn spawn<F>(stop: watch::Sender<bool>, killed: Arc<AtomicBool>, run: F) -> Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        RunHandle {
            stop,
            task: tokio::spawn(run),
            killed,
        }
    }

    /// Asks for a graceful stop (what SIGTERM and Ctrl-C do); then [`RunHandle::wait`].
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits for the loop to end and returns its result.
    pub async fn wait(self) -> Result<T, E> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(RunError::task(e).into()),
        }
    }

    /// Stops at once without finishing anything more, like a killed process.
    pub async fn kill(self) {
        self.killed.store(true, Ordering::Release);
        self.task.abort();
        let _ = self.task.await;
    }

    /// True once the loop has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Records end-to-end latency (message timestamp to last acknowledgement) of finished
/// messages, then calls `then`.
pub fn latency_observer(metrics: Arc<Metrics>, then: Option<Observer>) -> Observer {
    Box::new(move |t: &Ticket| {
        metrics
            .end_to_end_seconds
            .observe(end_to_end(t.timestamp_ms, t.received).as_secs_f64());
        if let Some(f) = &then {
            f(t);
        }
    })
}

/// From the message timestamp to now; from reception when the timestamp is missing or in
/// the future (clock skew between producer and us).
pub fn end_to_end(timestamp_ms: Option<i64>, received: Instant) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    match timestamp_ms {
        Some(ts) if ts > 0 && ts <= now_ms => Duration::from_millis((now_ms - ts) as u64),
        _ => received.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag() -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(false))
    }

    #[tokio::test]
    async fn a_stopped_run_ends_with_its_result() {
        let (stop, mut rx) = watch::channel(false);
        let run: RunHandle<u32, RunError> = RunHandle::spawn(stop, flag(), async move {
            while !*rx.borrow() {
                if rx.changed().await.is_err() {
                    break;
                }
            }
            Ok(7)
        });
        assert!(!run.is_finished());
        run.stop();
        assert_eq!(run.wait().await.ok(), Some(7));
    }

    #[tokio::test]
    async fn a_killed_run_sets_the_flag_the_workers_read() {
        let (stop, _rx) = watch::channel(false);
        let killed = flag();
        let run: RunHandle<(), RunError> =
            RunHandle::spawn(stop, Arc::clone(&killed), std::future::pending());
        run.kill().await;
        assert!(killed.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn a_run_that_panics_is_a_task_error() {
        let (stop, _rx) = watch::channel(false);
        let run: RunHandle<(), RunError> = RunHandle::spawn(stop, flag(), async {
            panic!("boom");
        });
        match run.wait().await {
            Err(RunError::Task(m)) => assert!(m.contains("panic"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn end_to_end_falls_back_to_reception_for_missing_or_future_timestamps() {
        let received = Instant::now();
        let far = i64::MAX / 2;
        assert!(end_to_end(Some(far), received) < Duration::from_secs(5));
        assert!(end_to_end(None, received) < Duration::from_secs(5));
        let an_hour_ago = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
            - 3_600_000;
        assert!(end_to_end(Some(an_hour_ago), received) >= Duration::from_secs(3_599));
    }
}
