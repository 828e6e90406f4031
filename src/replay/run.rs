//! The Kafka replay: plan, assign, read to the fixed end, extract on the pool, publish,
//! checkpoint.
//!
//! The shape is the live service's (one async loop that reads and dispatches, extraction on a
//! rayon pool, acknowledgements on the producer's thread, the in-order [`Tracker`] for
//! positions and in-flight bounds), so a replay runs at the live service's speed. What differs:
//! partitions are assigned at planned offsets instead of subscribed, each partition stops at its
//! end, messages outside the time window are read and skipped, and progress goes to the
//! checkpoint file instead of the consumer group.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::extract::Extractor;
use crate::stream::scaffold::{
    InputMessage, Metrics, Outcome, Reference, RunError, RunHandle, Scaffold, Tp, Worker, kafka,
};

use super::checkpoint::{
    Checkpoint, CheckpointFile, FORMAT_VERSION, Ledger, PartitionCheckpoint, Totals, valid_name,
};
use super::plan::{self, PartitionPlan};
use super::progress::{Part, Progress, spawn_reporter};
use super::throttle::Throttle;
use super::window::{Start, TimeWindow};
use super::{
    Ending, ReplayError, ReplayOptions, ReplaySummary, consumer_config, producer_config, publisher,
};

/// A checked, not yet started replay.
pub struct Replay {
    config: Config,
    options: ReplayOptions,
    extractor: Arc<Extractor>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A running replay.
#[derive(Debug)]
pub struct ReplayHandle {
    run: RunHandle<ReplaySummary, ReplayError>,
    progress: Option<Arc<Progress>>,
    plan: Vec<PartitionPlan>,
}

impl ReplayHandle {
    /// Asks the replay to stop reading, finish what is in flight and write its checkpoint
    /// (what Ctrl-C does). Then [`ReplayHandle::wait`].
    pub fn stop(&self) {
        self.run.stop();
    }

    /// Waits for the end and returns the summary.
    pub async fn wait(self) -> Result<ReplaySummary, ReplayError> {
        self.run.wait().await
    }

    /// Stops at once, like a killed process: nothing more is finished or checkpointed.
    pub async fn kill(self) {
        self.run.kill().await;
    }

    /// Live counters (none for a replay that had nothing to do).
    pub fn progress(&self) -> Option<&Arc<Progress>> {
        self.progress.as_ref()
    }

    /// Where each partition starts and ends, and why.
    pub fn plan(&self) -> &[PartitionPlan] {
        &self.plan
    }

    /// True once the replay task has ended.
    pub fn is_finished(&self) -> bool {
        self.run.is_finished()
    }
}

impl Replay {
    /// Checks the options and builds the extractor from `config.extract`.
    pub fn new(config: Config, options: ReplayOptions) -> Result<Replay, ReplayError> {
        let extractor = Arc::new(Extractor::new(&config.extract)?);
        Replay::with_extractor(config, options, extractor)
    }

    /// With an already built extractor.
    pub fn with_extractor(
        config: Config,
        options: ReplayOptions,
        extractor: Arc<Extractor>,
    ) -> Result<Replay, ReplayError> {
        validate(&config, &options)?;
        Ok(Replay {
            config,
            options,
            extractor,
        })
    }

    /// Starts, then waits for the end.
    pub async fn run(self) -> Result<ReplaySummary, ReplayError> {
        self.start().await?.wait().await
    }

    /// Plans the replay (or resumes its checkpoint), writes the checkpoint, assigns the
    /// partitions and starts reading.
    pub async fn start(self) -> Result<ReplayHandle, ReplayError> {
        let Replay {
            config,
            options,
            extractor,
        } = self;
        let file = CheckpointFile::new(&options.checkpoint_dir, &options.name);
        let previous = previous_checkpoint(&options, &file)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        if let Some(cp) = previous.as_ref().filter(|cp| cp.complete) {
            let summary = already_complete(&options, &file, cp);
            return Ok(ReplayHandle {
                run: RunHandle::spawn(stop_tx, Arc::new(AtomicBool::new(false)), async move {
                    Ok(summary)
                }),
                progress: None,
                plan: Vec::new(),
            });
        }

        let plan = make_plan(&config, &options, previous.clone()).await?;
        plan::log(&plan);
        let (ledger, writer) = start_checkpoint(&options, file, previous.as_ref(), &plan)?;

        let metrics = Arc::new(Metrics::new());
        let progress = Arc::new(Progress::new(
            plan.iter()
                .map(|p| Part::new(format!("{}/{}", p.topic, p.partition), p.start, p.end))
                .collect(),
            Arc::clone(&metrics),
        ));
        let scaffold = Arc::new(Scaffold::new(
            &config,
            extractor,
            "timeline-replay",
            metrics,
            Some(Progress::observer(&progress)),
        )?);
        let consumer = assigned_consumer(&config, &options, &plan)?;
        let publisher = publisher(&config, &scaffold, &options.output_topic, &options.name)?;
        let counted = Arc::clone(&ledger);
        let worker = scaffold
            .worker(Arc::new(publisher), Reference::MessageTimestamp)
            .on_processed(Arc::new(move |ticket, input, outcome| {
                counted.note(&ticket.tp, input.offset, counts_of(outcome));
            }));
        info!(name = %options.name, inputs = ?options.input_topics, output = %options.output_topic,
            window = %options.selection.window, partitions = plan.len(), "replay started");
        let state = Loop {
            consumer: Arc::new(consumer),
            parts: plan
                .iter()
                .map(|p| PartState {
                    tp: Tp::new(&p.topic, p.partition),
                    end: p.end,
                    consumed: p.is_empty(),
                    last_progress: Instant::now(),
                    warned: false,
                })
                .collect(),
            index: index_of(&plan),
            ledger,
            worker,
            scaffold: Arc::clone(&scaffold),
            progress: Arc::clone(&progress),
            window: options.selection.window,
            writer,
            grace: Duration::from_millis(config.stream.shutdown_grace_ms),
            options,
        };
        Ok(ReplayHandle {
            run: RunHandle::spawn(stop_tx, Arc::clone(&scaffold.killed), state.run(stop_rx)),
            progress: Some(progress),
            plan,
        })
    }
}

/// The checkpoint this run resumes, if any (none with `--restart`): refused when it was made
/// for other topics or another selection, so two windows never mix under one name.
fn previous_checkpoint(
    options: &ReplayOptions,
    file: &CheckpointFile,
) -> Result<Option<Checkpoint>, ReplayError> {
    if options.restart {
        file.remove()?;
    }
    let previous = file.load()?;
    if let Some(cp) = &previous {
        if let Some(why) = cp.mismatch(
            &options.input_topics,
            &options.output_topic,
            &options.selection,
        ) {
            return Err(ReplayError::Mismatch {
                path: file.path().to_path_buf(),
                name: options.name.clone(),
                why,
            });
        }
        if cp.extractor_version != crate::EXTRACTOR_VERSION {
            warn!(checkpoint = %cp.extractor_version, now = crate::EXTRACTOR_VERSION,
                "resuming a replay started with another extractor version; records of both versions end up in the output (use --restart to redo it all)");
        }
    }
    Ok(previous)
}

/// The ledger of this run (carrying on `previous`'s totals) and its checkpoint writer, after
/// writing the checkpoint once: the end is fixed now, before anything is read, so a crash from
/// here on resumes the same window.
fn start_checkpoint(
    options: &ReplayOptions,
    file: CheckpointFile,
    previous: Option<&Checkpoint>,
    plan: &[PartitionPlan],
) -> Result<(Arc<Ledger>, CheckpointWriter), ReplayError> {
    let (parts, totals, started_at) = initial_parts(previous, plan);
    let template = Checkpoint {
        version: FORMAT_VERSION,
        name: options.name.clone(),
        input_topics: options.input_topics.clone(),
        output_topic: options.output_topic.clone(),
        selection: options.selection.clone(),
        extractor_version: crate::EXTRACTOR_VERSION.to_owned(),
        started_at,
        updated_at: String::new(),
        complete: false,
        partitions: Vec::new(),
        totals: Totals::default(),
    };
    let ledger = Arc::new(Ledger::new(&parts, totals));
    let writer = CheckpointWriter {
        file,
        template,
        ledger: Arc::clone(&ledger),
    };
    writer.write(false)?;
    Ok((ledger, writer))
}

/// The replay's consumer, assigned every partition that has something to read at its planned
/// start (never subscribed: the live group is not touched).
fn assigned_consumer(
    config: &Config,
    options: &ReplayOptions,
    plan: &[PartitionPlan],
) -> Result<StreamConsumer, ReplayError> {
    let consumer: StreamConsumer = consumer_config(&config.kafka, &options.name)
        .create()
        .map_err(ReplayError::kafka("cannot create the consumer"))?;
    let mut tpl = TopicPartitionList::new();
    for p in plan.iter().filter(|p| !p.is_empty()) {
        tpl.add_partition_offset(&p.topic, p.partition, Offset::Offset(p.start))
            .map_err(ReplayError::kafka("cannot assign the partitions"))?;
    }
    consumer
        .assign(&tpl)
        .map_err(ReplayError::kafka("cannot assign the partitions"))?;
    Ok(consumer)
}

/// Creates missing output topics when configured, checks the output topics exist, then plans
/// the partitions (fresh, or from the checkpoint `previous`) on a blocking thread: metadata,
/// watermarks, the tail reads and the time index are request/response calls.
async fn make_plan(
    config: &Config,
    options: &ReplayOptions,
    previous: Option<Checkpoint>,
) -> Result<Vec<PartitionPlan>, ReplayError> {
    if config.stream.create_topics_partitions > 0 {
        kafka::ensure_topics(
            &config.kafka,
            &[&options.output_topic, &config.dead_letter.topic],
            config.stream.create_topics_partitions,
            options.plan_timeout,
        )
        .await
        .map_err(ReplayError::kafka("cannot create the output topics"))?;
    }
    let kafka_config = config.kafka.clone();
    let options = options.clone();
    let dead_letter_topic = config.dead_letter.topic.clone();
    tokio::task::spawn_blocking(move || -> Result<Vec<PartitionPlan>, ReplayError> {
        let consumer: BaseConsumer = consumer_config(&kafka_config, &options.name)
            .create()
            .map_err(ReplayError::kafka("cannot create the consumer"))?;
        plan::require_topics(
            &consumer,
            &[
                (&options.output_topic, "the output topic"),
                (&dead_letter_topic, "the dead-letter topic"),
            ],
            options.plan_timeout,
        )?;
        let mut bounds = plan::bounds(&consumer, &options.input_topics, options.plan_timeout)?;
        let mut tail_config = consumer_config(&kafka_config, &options.name);
        tail_config.set("enable.partition.eof", "true");
        let tail: BaseConsumer<plan::QuietEof> = tail_config
            .create_with_context(plan::QuietEof)
            .map_err(ReplayError::kafka("cannot create the consumer"))?;
        plan::verify_ends(&tail, &mut bounds, options.plan_timeout);
        Ok(match &previous {
            Some(cp) => plan::resume(&bounds, cp),
            None => plan::fresh(
                &consumer,
                &bounds,
                &options.selection,
                options.use_time_index,
                options.plan_timeout,
            ),
        })
    })
    .await
    .map_err(RunError::task)?
}

/// The checkpoint's partitions, totals and start time for this run: a resumed replay keeps the
/// partitions and ends its first run fixed, moved to where reading resumes.
fn initial_parts(
    previous: Option<&Checkpoint>,
    plan: &[PartitionPlan],
) -> (Vec<PartitionCheckpoint>, Totals, String) {
    match previous {
        Some(cp) => {
            let parts = cp
                .partitions
                .iter()
                .map(|p| {
                    match plan
                        .iter()
                        .find(|q| q.topic == p.topic && q.partition == p.partition)
                    {
                        Some(q) => PartitionCheckpoint {
                            next: q.start,
                            end: q.end,
                            ..p.clone()
                        },
                        None => p.clone(),
                    }
                })
                .collect();
            (parts, cp.totals, cp.started_at.clone())
        }
        None => (
            plan.iter()
                .map(|p| PartitionCheckpoint {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    start: p.start,
                    next: p.start,
                    end: p.end,
                })
                .collect(),
            Totals::default(),
            Utc::now().to_rfc3339(),
        ),
    }
}

/// Refuses options that cannot work, naming the flag or field.
fn validate(config: &Config, o: &ReplayOptions) -> Result<(), ReplayError> {
    let invalid = |m: String| Err(ReplayError::Invalid(m));
    if !valid_name(&o.name) {
        return invalid(format!(
            "--name {:?}: use letters, digits, `.`, `_` and `-` (it names the checkpoint file)",
            o.name
        ));
    }
    if config.kafka.bootstrap_servers.trim().is_empty() {
        return invalid("`kafka.bootstrap_servers` is empty; give host:port (or --brokers)".into());
    }
    if o.input_topics.is_empty() || o.input_topics.iter().any(|t| t.trim().is_empty()) {
        return invalid("no input topic: give --topic (or `stream.input_topics`)".into());
    }
    if o.output_topic.trim().is_empty() {
        return invalid("--output-topic is empty".into());
    }
    if o.input_topics.contains(&o.output_topic) {
        return invalid(format!(
            "--output-topic `{}` is also an input topic; that would replay its own output",
            o.output_topic
        ));
    }
    if o.input_topics.contains(&config.dead_letter.topic)
        || o.output_topic == config.dead_letter.topic
    {
        return invalid(format!(
            "`dead_letter.topic` `{}` is also an input or the output topic; give it a topic of its own",
            config.dead_letter.topic
        ));
    }
    o.selection.validate().map_err(ReplayError::Invalid)?;
    for spec in [
        match &o.selection.start {
            Start::Offsets(s) => Some(s),
            _ => None,
        },
        o.selection.end.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(t) = spec
            .topics()
            .find(|t| !o.input_topics.iter().any(|i| i == t))
        {
            return invalid(format!(
                "offsets name topic `{t}`, which is not an input topic of this replay"
            ));
        }
    }
    if let Some(r) = o.max_rate
        && !(r.is_finite() && r > 0.0)
    {
        return invalid(format!(
            "--max-rate {r}: give a positive number of messages per second"
        ));
    }
    if o.max_messages == Some(0) {
        return invalid("--max-messages 0 would read nothing; give at least 1".into());
    }
    kafka::check(
        &consumer_config(&config.kafka, &o.name),
        &config.kafka,
        "consumer",
    )?;
    kafka::check(&producer_config(&config.kafka), &config.kafka, "producer")?;
    Ok(())
}

/// What one processed message adds to the checkpoint totals.
fn counts_of(outcome: &Outcome) -> Totals {
    let (records, dead_letters) = match outcome {
        Outcome::Records { records, .. } => (records.len() as u64, 0),
        Outcome::DeadLetter(_) => (0, 1),
    };
    Totals {
        messages: 1,
        in_window: 1,
        records,
        dead_letters,
    }
}

fn already_complete(
    options: &ReplayOptions,
    file: &CheckpointFile,
    cp: &Checkpoint,
) -> ReplaySummary {
    ReplaySummary {
        name: options.name.clone(),
        messages: 0,
        in_window: 0,
        records: 0,
        dead_letters: 0,
        skipped_articles: 0,
        bytes: 0,
        elapsed: Duration::ZERO,
        ending: Ending::AlreadyComplete,
        totals: Some(cp.totals),
        checkpoint: Some(file.path().to_path_buf()),
        abandoned: 0,
    }
}

/// topic -> partition -> index in the plan.
fn index_of(plan: &[PartitionPlan]) -> HashMap<String, Vec<Option<usize>>> {
    let mut index: HashMap<String, Vec<Option<usize>>> = HashMap::new();
    for (i, p) in plan.iter().enumerate() {
        let Ok(slot) = usize::try_from(p.partition) else {
            continue;
        };
        let v = index.entry(p.topic.clone()).or_default();
        if v.len() <= slot {
            v.resize(slot + 1, None);
        }
        v[slot] = Some(i);
    }
    index
}

/// Writes the checkpoint from the ledger.
struct CheckpointWriter {
    file: CheckpointFile,
    template: Checkpoint,
    ledger: Arc<Ledger>,
}

impl CheckpointWriter {
    fn write(&self, complete: bool) -> Result<Totals, ReplayError> {
        let (partitions, totals) = self.ledger.snapshot();
        let cp = Checkpoint {
            updated_at: Utc::now().to_rfc3339(),
            complete: complete && partitions.iter().all(PartitionCheckpoint::is_done),
            partitions,
            totals,
            ..self.template.clone()
        };
        self.file.save(&cp)?;
        Ok(totals)
    }
}

struct PartState {
    tp: Tp,
    end: i64,
    /// Read up to the end (what remains is in flight or done).
    consumed: bool,
    /// Last message received, or last moment reading was held back by us (bounds, rate).
    last_progress: Instant,
    /// The stall warning was given.
    warned: bool,
}

struct Loop {
    /// Shared so a received message (which borrows the consumer) and `&mut self` can coexist.
    consumer: Arc<StreamConsumer>,
    parts: Vec<PartState>,
    index: HashMap<String, Vec<Option<usize>>>,
    ledger: Arc<Ledger>,
    worker: Worker,
    scaffold: Arc<Scaffold>,
    progress: Arc<Progress>,
    window: TimeWindow,
    writer: CheckpointWriter,
    grace: Duration,
    options: ReplayOptions,
}

impl Loop {
    async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<ReplaySummary, ReplayError> {
        let (reporter_stop, reporter_rx) = watch::channel(false);
        let reporter = spawn_reporter(
            Arc::clone(&self.progress),
            self.options.progress,
            reporter_rx,
        );
        let started = Instant::now();
        let mut throttle = self
            .options
            .max_rate
            .and_then(|r| Throttle::new(r, Instant::now()));
        let mut resume_at: Option<Instant> = None;
        let mut read = 0u64;
        let mut ending: Option<Ending> = None;
        let mut deadline: Option<Instant> = None;
        let mut stop_open = true;
        let mut last_checkpoint = Instant::now();
        let mut last_error_log: Option<Instant> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let consumer = Arc::clone(&self.consumer);

        loop {
            let all_consumed = self.parts.iter().all(|p| p.consumed);
            if (all_consumed || ending.is_some()) && self.scaffold.tracker.in_flight().0 == 0 {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                warn!(
                    in_flight = self.scaffold.tracker.in_flight().0,
                    "grace period over with messages in flight; they are redone when the replay resumes"
                );
                break;
            }
            let now = Instant::now();
            let throttled = resume_at.is_some_and(|t| t > now);
            let can_read = ending.is_none()
                && !all_consumed
                && !throttled
                && !self.scaffold.tracker.is_full()
                && !self.scaffold.health.retrying();
            let wake = tokio::time::Instant::from_std(resume_at.unwrap_or(now));
            tokio::select! {
                biased;
                changed = stop.changed(), if stop_open => match changed {
                    Ok(()) if *stop.borrow() && ending.is_none() => {
                        info!("stopping: finishing the messages in flight");
                        ending = Some(Ending::Stopped);
                        deadline = Some(Instant::now() + self.grace);
                    }
                    Ok(()) => {}
                    Err(_) => stop_open = false,
                },
                () = self.scaffold.tracker.progressed() => self.advance(),
                _ = tick.tick() => {
                    self.check_positions();
                    // The rate limit only delays; a partition silent for the whole stall
                    // period is still stalled (unless the rate is below one per second).
                    let reading = ending.is_none()
                        && !self.scaffold.tracker.is_full()
                        && !self.scaffold.health.retrying()
                        && self.options.max_rate.is_none_or(|r| r >= 1.0);
                    self.check_stalls(reading);
                    if last_checkpoint.elapsed() >= self.options.checkpoint_interval {
                        self.advance();
                        self.writer.write(false)?;
                        last_checkpoint = Instant::now();
                    }
                }
                () = tokio::time::sleep_until(wake), if throttled => resume_at = None,
                m = consumer.recv(), if can_read => match m {
                    Ok(m) => {
                        if self.handle(&m) {
                            read += 1;
                            if let Some(t) = throttle.as_mut() {
                                resume_at = t.after_one(Instant::now());
                            }
                            if self.options.max_messages.is_some_and(|max| read >= max) {
                                info!(read, "--max-messages reached: finishing the messages in flight");
                                ending = Some(Ending::MaxMessages);
                                deadline = Some(Instant::now() + self.grace);
                            }
                        }
                    }
                    Err(e) => {
                        if last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                            warn!(error = %e, "consume error; retrying");
                            last_error_log = Some(Instant::now());
                        } else {
                            debug!(error = %e, "consume error");
                        }
                    }
                },
            }
        }

        let (ending, totals) = self.last_checkpoint(ending).await?;
        let elapsed = started.elapsed();
        let _ = reporter_stop.send(true);
        let _ = reporter.await;
        let summary = self.summary(ending, totals, elapsed);
        info!(name = %summary.name, messages = summary.messages, in_window = summary.in_window,
            records = summary.records, dead_letters = summary.dead_letters,
            seconds = elapsed.as_secs_f64(), ending = ?summary.ending, "replay finished");
        // Closing librdkafka clients can block briefly; not on the runtime.
        drop(consumer);
        let Loop {
            consumer, worker, ..
        } = self;
        let _ = tokio::task::spawn_blocking(move || {
            drop(consumer);
            drop(worker);
        })
        .await;
        Ok(summary)
    }

    /// Flushes what was sent, marks the partitions read and finished to their end, and writes
    /// the last checkpoint; returns how the replay ended and the totals over every run.
    async fn last_checkpoint(
        &mut self,
        ending: Option<Ending>,
    ) -> Result<(Ending, Totals), ReplayError> {
        // Make sure every acknowledged record reached the broker before the last checkpoint.
        let publisher = Arc::clone(self.worker.publisher());
        let _ = tokio::task::spawn_blocking(move || publisher.flush(Duration::from_secs(10))).await;
        self.advance();
        for p in &self.parts {
            if p.consumed
                && self
                    .scaffold
                    .tracker
                    .wait_idle(Some(std::slice::from_ref(&p.tp)), Duration::ZERO)
            {
                self.ledger.finish(&p.tp);
            }
        }
        // Stopped or not, a replay that covered everything is complete.
        let covered = self
            .ledger
            .snapshot()
            .0
            .iter()
            .all(PartitionCheckpoint::is_done);
        let ending = if covered {
            Ending::Complete
        } else {
            ending.unwrap_or(Ending::Stopped)
        };
        Ok((ending, self.writer.write(covered)?))
    }

    /// What this run did.
    fn summary(&self, ending: Ending, totals: Totals, elapsed: Duration) -> ReplaySummary {
        let m = &self.progress.metrics;
        ReplaySummary {
            name: self.options.name.clone(),
            messages: self.progress.messages.load(Ordering::Relaxed),
            in_window: self.progress.in_window.load(Ordering::Relaxed),
            records: m.produced.get(),
            dead_letters: m.dead_letters_total(),
            skipped_articles: m.skipped.get(),
            bytes: self.progress.bytes.load(Ordering::Relaxed),
            elapsed,
            ending,
            totals: Some(totals),
            checkpoint: Some(self.writer.file.path().to_path_buf()),
            abandoned: self.scaffold.tracker.in_flight().0,
        }
    }

    /// Handles one message; false when it was past its partition's end (not counted).
    fn handle(&mut self, m: &BorrowedMessage<'_>) -> bool {
        let Some(i) = self.index.get(m.topic()).and_then(|v| {
            usize::try_from(m.partition())
                .ok()
                .and_then(|p| v.get(p).copied().flatten())
        }) else {
            return false;
        };
        let Some(p) = self.parts.get_mut(i) else {
            return false;
        };
        if p.consumed {
            return false;
        }
        p.last_progress = Instant::now();
        let offset = m.offset();
        if offset >= p.end {
            p.consumed = true;
            pause(&self.consumer, &p.tp);
            return false;
        }
        let input = InputMessage::from_kafka(m);
        let size = input.size();
        let pr = &self.progress;
        pr.messages.fetch_add(1, Ordering::Relaxed);
        pr.bytes.fetch_add(size as u64, Ordering::Relaxed);
        if let Some(part) = pr.parts.get(i) {
            part.set_read(offset + 1);
        }
        self.scaffold.metrics.consumed.inc();
        let ticket = self
            .scaffold
            .tracker
            .begin(p.tp.clone(), offset, size, input.timestamp_ms);
        if self.window.contains(input.timestamp_ms) {
            pr.in_window.fetch_add(1, Ordering::Relaxed);
            self.worker.spawn(&self.scaffold.pool, input, ticket);
        } else {
            self.ledger.note(
                &p.tp,
                offset,
                Totals {
                    messages: 1,
                    ..Totals::default()
                },
            );
            ticket.part_done();
        }
        if offset + 1 >= p.end {
            p.consumed = true;
            pause(&self.consumer, &p.tp);
        }
        true
    }

    /// Moves the checkpoint of every partition whose position advanced.
    fn advance(&self) {
        for (tp, position) in self.scaffold.tracker.take_positions() {
            self.ledger.advance(&tp, position);
        }
    }

    /// A partition whose last offsets hold no message (transaction markers, compaction) never
    /// delivers its end; its consumer position tells it is there.
    /// Warns once about a partition that gets no message although it has not reached its end
    /// and nothing on our side holds reading back.
    fn check_stalls(&mut self, reading: bool) {
        let now = Instant::now();
        for p in self.parts.iter_mut().filter(|p| !p.consumed) {
            if !reading {
                p.last_progress = now;
            } else if !p.warned && now.duration_since(p.last_progress) >= STALL {
                p.warned = true;
                warn!(topic = %p.tp.topic, partition = p.tp.partition, end = p.end,
                    stalled_s = STALL.as_secs(),
                    "no message from this partition although it has not reached its end; is the broker reachable? (tansu with in-memory storage cannot serve reads that start inside a batch, e.g. when resuming: use its sqlite storage)");
            }
        }
    }

    fn check_positions(&mut self) {
        if self.parts.iter().all(|p| p.consumed) {
            return;
        }
        let Ok(positions) = self.consumer.position() else {
            return;
        };
        for e in positions.elements() {
            let Offset::Offset(pos) = e.offset() else {
                continue;
            };
            let Some(i) = self.index.get(e.topic()).and_then(|v| {
                usize::try_from(e.partition())
                    .ok()
                    .and_then(|p| v.get(p).copied().flatten())
            }) else {
                continue;
            };
            if let Some(part) = self.progress.parts.get(i) {
                part.set_read(pos);
            }
            if let Some(p) = self.parts.get_mut(i)
                && !p.consumed
                && pos >= p.end
            {
                p.consumed = true;
                pause(&self.consumer, &p.tp);
            }
        }
    }
}

/// How long a partition may deliver nothing before the stall warning.
const STALL: Duration = Duration::from_secs(30);

/// Stops fetching a finished partition (messages prefetched past its end are ignored).
fn pause(consumer: &StreamConsumer, tp: &Tp) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(&tp.topic, tp.partition);
    if let Err(e) = consumer.pause(&tpl) {
        debug!(error = %e, topic = %tp.topic, partition = tp.partition, "cannot pause a finished partition");
    }
}
