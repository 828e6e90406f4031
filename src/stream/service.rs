//! The at-least-once pipeline: consume, extract on the worker pool, produce, commit in order.
//!
//! The consumer loop is the only async part: it receives messages, registers each with the
//! [`Tracker`], hands it to the extraction pool (whose threads take what waits in batches,
//! see [`super::batch`]), stores the offsets the tracker says are safe,
//! takes no more messages while the in-flight bounds are reached, and pauses fetching when
//! that lasts (a stall) or records are being re-sent.
//! Extraction and sending happen on the pool's threads, acknowledgements on the producer's
//! thread: nothing CPU-bound or blocking runs on the runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::article::DecodeLimits as ArticleLimits;
use crate::config::{Config, ConfigError, Guarantee};
use crate::extract::{ExtractError, Extractor};

use super::batch::Batches;
use super::consumer::{StreamContext, offsets_tpl};
use super::health::Health;
use super::message::InputMessage;
use super::metrics::Metrics;
use super::process::{Outcome, Processed, message_reference, process_batch};
use super::publish::{Backoff, Publisher, Topics};
use super::tracker::{InFlightLimits, Observer, Ticket, Tp, Tracker};
use super::{kafka, transactional};

/// Why the service could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
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
    #[error(
        "cannot serve the HTTP endpoint on {listen}: {source}; change `http.listen` or set `http.enabled = false`"
    )]
    Http {
        listen: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the extraction pool: {0}")]
    Pool(String),
    #[error("the service task failed: {0}")]
    Task(String),
}

impl StreamError {
    pub(crate) fn kafka(what: &'static str) -> impl FnOnce(KafkaError) -> StreamError {
        move |source| StreamError::Kafka { what, source }
    }
}

/// What a run did, reported at exit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub consumed: u64,
    pub finished: u64,
    pub records: u64,
    pub dead_letters: u64,
    /// True when shutdown finished all in-flight work within the grace period.
    pub drained: bool,
}

/// State shared between the loop, the handle and the HTTP endpoint.
#[derive(Debug)]
pub struct Shared {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub tracker: Arc<Tracker>,
    /// Set by [`ServiceHandle::kill`]: the workers drop what they hold, like a crashed process.
    pub killed: Arc<AtomicBool>,
}

impl Shared {
    fn summary(&self, drained: bool) -> Summary {
        Summary {
            consumed: self.metrics.consumed.get(),
            finished: self.tracker.finished(),
            records: self.metrics.produced.get(),
            dead_letters: self.metrics.dead_letters_total(),
            drained,
        }
    }
}

/// A configured, not yet started service.
pub struct Service {
    config: Config,
    extractor: Arc<Extractor>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

/// A running service.
#[derive(Debug)]
pub struct ServiceHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<Summary, StreamError>>,
    shared: Arc<Shared>,
    http_addr: Option<SocketAddr>,
}

impl ServiceHandle {
    /// Asks for a graceful shutdown (what SIGTERM does); then [`ServiceHandle::wait`].
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits for the service to stop and returns its summary.
    pub async fn wait(self) -> Result<Summary, StreamError> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(StreamError::Task(e.to_string())),
        }
    }

    /// Stops at once without draining or committing anything more, like a killed process
    /// (work already acknowledged may still be committed by librdkafka as the consumer closes,
    /// exactly as its periodic auto-commit could have done a moment earlier).
    pub async fn kill(self) {
        self.shared.killed.store(true, Ordering::Release);
        self.task.abort();
        let _ = self.task.await;
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    pub fn health(&self) -> &Arc<Health> {
        &self.shared.health
    }

    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.shared.tracker
    }

    /// The HTTP endpoint's address, when enabled.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// True once the service task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Service {
    /// Checks the configuration and builds the extractor (takes a moment).
    pub fn new(config: Config) -> Result<Service, StreamError> {
        config.validate_stream()?;
        let extractor = Arc::new(Extractor::new(&config.extract)?);
        Service::with_extractor(config, extractor)
    }

    /// With an already built extractor (tests and embedders share one).
    pub fn with_extractor(
        config: Config,
        extractor: Arc<Extractor>,
    ) -> Result<Service, StreamError> {
        config.validate_stream()?;
        let ks = &config.kafka;
        let s = &config.stream;
        kafka::check(
            &kafka::consumer_config(
                ks,
                &s.group_id,
                s.processing_guarantee,
                s.commit_interval_ms,
            ),
            ks,
            "consumer",
        )?;
        kafka::check(&kafka::producer_config(ks, None), ks, "producer")?;
        Ok(Service {
            config,
            extractor,
            observer: None,
        })
    }

    /// Also calls `f` for every finished message (after its end-to-end latency is recorded):
    /// the bench measures exact latency percentiles with it.
    pub fn observe(mut self, f: Observer) -> Service {
        self.observer = Some(f);
        self
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connects, subscribes and starts the loop and the HTTP endpoint.
    pub async fn start(self) -> Result<ServiceHandle, StreamError> {
        let Service {
            config,
            extractor,
            observer,
        } = self;
        let s = &config.stream;
        if s.create_topics_partitions > 0 {
            kafka::ensure_service_topics(&config, s.create_topics_partitions)
                .await
                .map_err(StreamError::kafka("cannot create the topics"))?;
        }

        let metrics = Arc::new(Metrics::new());
        let health = Arc::new(Health::new());
        let tracker = Tracker::new(
            InFlightLimits {
                max_messages: s.max_in_flight_messages,
                max_bytes: s.max_in_flight_bytes,
            },
            Some(latency_observer(Arc::clone(&metrics), observer)),
        );
        let ctx = StreamContext::new(
            Arc::clone(&tracker),
            Arc::clone(&health),
            Arc::clone(&metrics),
            s.processing_guarantee,
            Duration::from_millis(s.rebalance_timeout_ms),
        );
        let shared = Arc::new(Shared {
            metrics: Arc::clone(&metrics),
            health: Arc::clone(&health),
            tracker: Arc::clone(&tracker),
            killed: Arc::clone(&ctx.killed),
        });
        let (stop_tx, stop_rx) = watch::channel(false);

        let http_addr = if config.http.enabled {
            let (addr, _task) = super::http::serve(
                &config.http.listen,
                Arc::clone(&health),
                Arc::clone(&metrics),
                stop_rx.clone(),
            )
            .await
            .map_err(|source| StreamError::Http {
                listen: config.http.listen.clone(),
                source,
            })?;
            info!(%addr, "serving /healthz, /readyz, /metrics");
            Some(addr)
        } else {
            None
        };

        let workers = if s.workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            s.workers
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("timeline-extract-{i}"))
            .build()
            .map_err(|e| StreamError::Pool(e.to_string()))?;

        let task = match s.processing_guarantee {
            Guarantee::AtLeastOnce => {
                let consumer: StreamConsumer<StreamContext> = kafka::consumer_config(
                    &config.kafka,
                    &s.group_id,
                    s.processing_guarantee,
                    s.commit_interval_ms,
                )
                .create_with_context(ctx)
                .map_err(StreamError::kafka("cannot create the consumer"))?;
                let topics: Vec<&str> = s.input_topics.iter().map(String::as_str).collect();
                consumer
                    .subscribe(&topics)
                    .map_err(StreamError::kafka("cannot subscribe to the input topics"))?;
                let publisher = Publisher::new(
                    &kafka::producer_config(&config.kafka, None),
                    topics_of(&config),
                    Some(Backoff {
                        first: Duration::from_millis(s.retry_backoff_ms),
                        max: Duration::from_millis(s.retry_backoff_max_ms),
                    }),
                    Arc::clone(&metrics),
                    Arc::clone(&health),
                )
                .map_err(StreamError::kafka("cannot create the producer"))?;
                let worker = Worker {
                    extractor,
                    limits: config.extract.limits(),
                    publisher: Arc::new(publisher),
                    metrics: Arc::clone(&metrics),
                    killed: Arc::clone(&shared.killed),
                    batches: Arc::new(Batches::new(s.max_batch)),
                };
                let grace = Duration::from_millis(s.shutdown_grace_ms);
                tokio::spawn(run_loop(
                    consumer,
                    worker,
                    Arc::new(pool),
                    Arc::clone(&shared),
                    stop_rx,
                    grace,
                ))
            }
            Guarantee::ExactlyOnce => {
                let run = transactional::Transactional::new(
                    &config,
                    ctx,
                    extractor,
                    Arc::new(pool),
                    Arc::clone(&shared),
                )?;
                tokio::spawn(run.run(stop_rx))
            }
        };
        info!(
            guarantee = ?config.stream.processing_guarantee,
            inputs = ?config.stream.input_topics,
            output = %config.stream.output_topic,
            group = %config.stream.group_id,
            workers,
            "stream service started"
        );
        Ok(ServiceHandle {
            stop: stop_tx,
            task,
            shared,
            http_addr,
        })
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

/// What a pool thread needs to process messages.
#[derive(Clone)]
struct Worker {
    extractor: Arc<Extractor>,
    limits: ArticleLimits,
    publisher: Arc<Publisher>,
    metrics: Arc<Metrics>,
    killed: Arc<AtomicBool>,
    /// Messages waiting for a pool thread, which takes them in batches.
    batches: Arc<Batches<Job>>,
}

impl Worker {
    /// Processes a batch of messages together and publishes each one's outcome.
    fn run(&self, jobs: Vec<Job>) {
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        let msgs: Vec<_> = jobs
            .iter()
            .map(|(input, _)| (input, message_reference(input)))
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
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = self.publisher.send_outcome(input, &r.outcome, Some(ticket)) {
            // Only without re-sends (never in this pipeline); the ticket stays unfinished.
            warn!(error = %e, "send failed");
        }
        ticket.part_done();
    }
}

/// A message waiting for the pool, with its ticket.
type Job = (InputMessage, Arc<Ticket>);

/// How long the in-flight bounds may stay reached before fetching is paused.
const STALL: Duration = Duration::from_secs(1);

async fn run_loop(
    consumer: StreamConsumer<StreamContext>,
    worker: Worker,
    pool: Arc<rayon::ThreadPool>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) -> Result<Summary, StreamError> {
    let ctx = Arc::clone(consumer.context());
    let tracker = Arc::clone(&shared.tracker);
    let mut paused = false;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_error_log: Option<Instant> = None;
    shared.health.set_started();
    let mut full_since: Option<Instant> = None;
    loop {
        let full = tracker.is_full();
        if !full {
            full_since = None;
        } else if full_since.is_none() {
            full_since = Some(Instant::now());
        }
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            () = tracker.progressed() => store(&consumer, &tracker.take_positions()),
            _ = tick.tick() => update_gauges(&shared),
            // Full: take no more messages; librdkafka keeps at most
            // `queued.max.messages.kbytes` prefetched. Fetching is not paused for this: a
            // pause drops the prefetched messages and a resume fetches them again, and a
            // saturated pipeline waiting on that round trip ran at half speed. Paused, the
            // loop keeps polling so that consumer events (rebalances) are served.
            m = consumer.recv(), if !full || paused => match m {
                Ok(m) => dispatch(&m, &tracker, &worker, &pool),
                Err(e) => {
                    let code = e.rdkafka_error_code().map_or_else(|| "unknown".to_owned(), |c| format!("{c:?}"));
                    worker.metrics.consume_error(&code);
                    if super::consumer::blocks_partition(&e) {
                        shared.health.input_error(e.to_string());
                    }
                    if last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                        warn!(error = %e, "consume error; retrying");
                        last_error_log = Some(Instant::now());
                    } else {
                        debug!(error = %e, "consume error");
                    }
                }
            },
        }
        // Fetching pauses while sends wait for a retry (the broker or a topic is failing), or
        // when nothing finished for a while (a stall, not a busy pool).
        let stalled = full_since.is_some_and(|t| t.elapsed() >= STALL);
        let want_pause = shared.health.retrying() || stalled;
        let changed = ctx.assignment_changed.swap(false, Ordering::AcqRel);
        if want_pause && (!paused || changed) {
            set_paused(&consumer, true);
            paused = true;
        } else if !want_pause && paused {
            set_paused(&consumer, false);
            paused = false;
        }
    }
    Ok(drain(consumer, worker, shared, grace).await)
}

fn dispatch(
    m: &BorrowedMessage<'_>,
    tracker: &Arc<Tracker>,
    worker: &Worker,
    pool: &rayon::ThreadPool,
) {
    let input = InputMessage::from_kafka(m);
    let ticket = tracker.begin(
        Tp::new(&input.topic, input.partition),
        input.offset,
        input.size(),
        input.timestamp_ms,
    );
    worker.metrics.consumed.inc();
    let w = worker.clone();
    worker
        .batches
        .spawn(pool, (input, ticket), move |jobs| w.run(jobs));
}

fn set_paused(consumer: &StreamConsumer<StreamContext>, pause: bool) {
    let Ok(assignment) = consumer.assignment() else {
        return;
    };
    if assignment.count() == 0 {
        return;
    }
    let r = if pause {
        consumer.pause(&assignment)
    } else {
        consumer.resume(&assignment)
    };
    match r {
        Ok(()) => debug!(
            pause,
            "fetching {}",
            if pause { "paused" } else { "resumed" }
        ),
        Err(e) => warn!(error = %e, pause, "cannot pause/resume fetching"),
    }
}

/// Stores offsets for the next commit. A partition revoked meanwhile refuses; that is fine,
/// its revocation committed what was done.
fn store(consumer: &StreamConsumer<StreamContext>, positions: &[(Tp, i64)]) {
    if positions.is_empty() {
        return;
    }
    if let Err(e) = consumer.store_offsets(&offsets_tpl(positions)) {
        debug!(error = %e, "storing offsets");
    }
}

fn update_gauges(shared: &Shared) {
    let (messages, bytes) = shared.tracker.in_flight();
    shared.metrics.in_flight_messages.set(messages as i64);
    shared.metrics.in_flight_bytes.set(bytes as i64);
    shared
        .metrics
        .assigned_partitions
        .set(shared.health.assigned() as i64);
}

/// Stop fetching, let in-flight work finish (at most `grace`), flush, commit, close.
async fn drain(
    consumer: StreamConsumer<StreamContext>,
    worker: Worker,
    shared: Arc<Shared>,
    grace: Duration,
) -> Summary {
    let started = Instant::now();
    shared.health.set_stopping();
    set_paused(&consumer, true);
    let tracker = &shared.tracker;
    let (n, _) = tracker.in_flight();
    info!(
        in_flight = n,
        grace_ms = grace.as_millis() as u64,
        "shutting down: finishing in-flight work"
    );
    let drained = loop {
        if tracker.in_flight().0 == 0 {
            break true;
        }
        let left = grace.saturating_sub(started.elapsed());
        if left.is_zero() {
            break false;
        }
        tokio::select! {
            () = tracker.progressed() => {}
            () = tokio::time::sleep(left.min(Duration::from_millis(100))) => {}
            // Keep serving consumer events; a message fetched now is not processed, and its
            // offset is never stored, so the next owner reads it.
            _ = consumer.recv() => {}
        }
    };
    let publisher = Arc::clone(&worker.publisher);
    let left = grace.saturating_sub(started.elapsed());
    let _ = tokio::task::spawn_blocking(move || publisher.flush(left)).await;
    // Commit what was done: store the offsets and let librdkafka's periodic commit send them,
    // serving the consumer's events until the broker confirms. Not a synchronous commit: that
    // would wait forever for a coordinator if the broker is gone, while this gives up with the
    // grace period.
    let positions = tracker.positions();
    if !positions.is_empty() {
        store(&consumer, &positions);
        let ctx = Arc::clone(consumer.context());
        let wait = grace
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(1));
        let confirmed = tokio::time::timeout(wait, async {
            while !ctx.is_committed(&positions) {
                tokio::select! {
                    _ = consumer.recv() => {}
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
        })
        .await
        .is_ok();
        if confirmed {
            info!(partitions = positions.len(), "final offsets committed");
        } else {
            warn!(
                "the final commit was not confirmed in time; uncommitted messages are redone after restart"
            );
        }
    }
    if !drained {
        warn!(
            in_flight = tracker.in_flight().0,
            "grace period over with work in flight; it is redone after restart (same record ids)"
        );
    }
    let summary = shared.summary(drained);
    // Closing the consumer leaves the group; it can block while brokers are unreachable, so
    // it gets what is left of the grace period and no more.
    let left = grace
        .saturating_sub(started.elapsed())
        .max(Duration::from_secs(1));
    consumer.context().closing.store(true, Ordering::Release);
    if !kafka::close_within((consumer, worker), left).await {
        warn!("the consumer did not close in time; exiting anyway");
    }
    info!(
        consumed = summary.consumed,
        records = summary.records,
        dead_letters = summary.dead_letters,
        "stream service stopped"
    );
    summary
}
