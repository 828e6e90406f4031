//! The at-least-once loop: consume, extract on the worker pool, produce, commit in order.
//!
//! The consumer loop is the only async part: it receives messages, registers each with the
//! [`Tracker`](super::tracker::Tracker), hands it to the extraction pool (whose threads take
//! what waits in batches, see [`super::batch`]), stores the offsets the tracker says are safe,
//! takes no more messages while the in-flight bounds are reached, and pauses fetching when
//! that lasts (a stall) or records are being re-sent.
//! Extraction and sending happen on the pool's threads, acknowledgements on the producer's
//! thread: nothing CPU-bound or blocking runs on the runtime.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::Config;

use super::consumer::{StreamContext, offsets_tpl};
use super::kafka;
use super::message::InputMessage;
use super::scaffold::{Reference, RunError, Scaffold, Summary, Worker, subscribe, topics_of};
use super::tracker::Tp;

/// Subscribes and creates the producer (errors surface here, before anything is read), and
/// returns the loop: it runs until `stop` turns true, then drains.
pub fn prepare(
    config: &Config,
    ctx: StreamContext,
    scaffold: Arc<Scaffold>,
    stop: watch::Receiver<bool>,
) -> Result<impl Future<Output = Summary> + Send + 'static, RunError> {
    let consumer = subscribe(config, ctx)?;
    let publisher = scaffold.publisher(
        &kafka::producer_config(&config.kafka, None),
        topics_of(config),
        true,
    )?;
    let worker = scaffold.worker(Arc::new(publisher), Reference::MessageTimestamp);
    let grace = Duration::from_millis(config.stream.shutdown_grace_ms);
    Ok(run_loop(consumer, worker, scaffold, stop, grace))
}

/// How long the in-flight bounds may stay reached before fetching is paused.
const STALL: Duration = Duration::from_secs(1);

async fn run_loop(
    consumer: StreamConsumer<StreamContext>,
    worker: Worker,
    shared: Arc<Scaffold>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) -> Summary {
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
            // saturated pipeline would spend much of its time waiting on that round trip. Paused, the
            // loop keeps polling so that consumer events (rebalances) are served.
            m = consumer.recv(), if !full || paused => match m {
                Ok(m) => dispatch(&m, &shared, &worker),
                Err(e) => {
                    let code = e.rdkafka_error_code().map_or_else(|| "unknown".to_owned(), |c| format!("{c:?}"));
                    shared.metrics.consume_error(&code);
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
    drain(consumer, worker, shared, grace).await
}

fn dispatch(m: &BorrowedMessage<'_>, shared: &Scaffold, worker: &Worker) {
    let input = InputMessage::from_kafka(m);
    let ticket = shared.tracker.begin(
        Tp::new(&input.topic, input.partition),
        input.offset,
        input.size(),
        input.timestamp_ms,
    );
    shared.metrics.consumed.inc();
    worker.spawn(&shared.pool, input, ticket);
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

fn update_gauges(shared: &Scaffold) {
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
    shared: Arc<Scaffold>,
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
    let publisher = Arc::clone(worker.publisher());
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
