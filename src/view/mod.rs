//! The live event view: one state per event, however many reports tell it.
//!
//! Built the way Kafka Streams builds an aggregation, on the consumer groups we already have
//! and with Kafka as the only store:
//!
//! 1. [`rekey`]: the records of the timeline topic (keyed by record id) are written again to
//!    the repartition topic keyed by `event_key`, so every report of one event reaches the
//!    same partition, and so the same instance.
//! 2. [`aggregate`]: each instance folds the partitions it is assigned into [`state`]s and
//!    writes every change to the compacted events topic (`timeline.events`), keyed by event
//!    key. That topic is the changelog: the state of a partition is rebuilt from it when the
//!    partition is assigned, after a restart or in a rebalance.
//! 3. [`table`]: every instance also reads the whole events topic into a table, which
//!    [`api`] serves as the timeline page and `/api/events`.
//!
//! Both stages are at-least-once: offsets are stored only after what a batch wrote is
//! acknowledged. Redone work changes nothing, because folding a record is idempotent (a
//! report counts once, see [`state::EventState::apply`]).

pub mod aggregate;
pub mod api;
pub mod io;
pub mod rekey;
pub mod state;
pub mod table;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::FutureProducer;
use tokio::sync::watch;
use tracing::info;

use crate::config::{Config, ConfigError, Guarantee};
use crate::stream::kafka;
use crate::stream::metrics::Metrics;
use crate::stream::scaffold::RunError;
use crate::stream::topic::TopicReader;

pub use state::EventState;
pub use table::{EventQuery, EventTable};

/// librdkafka's prefetch per view consumer (`queued.max.messages.kbytes`).
const VIEW_PREFETCH_KB: &str = "2048";

/// Most messages a stage takes at once (what is ready, up to this).
const BATCH: usize = 512;

/// What both stages read.
pub struct Stage {
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub backoff: Duration,
    pub max_backoff: Duration,
}

/// The running view: its two stages and the table reader.
pub struct ViewHandle {
    table: Arc<EventTable>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    table_stop: Arc<AtomicBool>,
    table_thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for ViewHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewHandle")
            .field("events", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl ViewHandle {
    /// The table the page reads.
    pub fn table(&self) -> &Arc<EventTable> {
        &self.table
    }

    /// Waits for both stages to end (they end when the stop signal turns true), then stops the
    /// table reader.
    pub async fn wait(mut self) {
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.table_stop.store(true, Ordering::Release);
        if let Some(thread) = self.table_thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for ViewHandle {
    fn drop(&mut self) {
        self.table_stop.store(true, Ordering::Release);
    }
}

/// A stage's consumer and producer, closed off the runtime's threads however the stage ends.
///
/// Closing a consumer leaves its group and blocks for as long as the brokers do not answer. On
/// a graceful stop [`Detached::close`] closes them within the grace period; if the
/// task is dropped instead (the runtime shutting down with the service never stopped, as when
/// a test fails), `Drop` hands them to a detached thread, so a runtime can always finish.
struct Detached(Option<(StreamConsumer<io::StageContext>, FutureProducer)>);

impl Detached {
    fn new(clients: (StreamConsumer<io::StageContext>, FutureProducer)) -> Detached {
        Detached(Some(clients))
    }

    fn get(&self) -> Option<(&StreamConsumer<io::StageContext>, &FutureProducer)> {
        self.0.as_ref().map(|(c, p)| (c, p))
    }

    async fn close(mut self, limit: Duration) {
        // Nothing is left to flush: a stage stores offsets only for acknowledged writes, and
        // what a stop cut short is redone by the next owner.
        if let Some(clients) = self.0.take() {
            kafka::close_within(clients, limit).await;
        }
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        if let Some(clients) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("timeline-close".into())
                .spawn(move || drop(clients));
        }
    }
}

/// Creates the view's topics when `stream.create_topics_partitions` says so (the events
/// topic compacted), then checks they exist and are co-partitioned.
pub async fn prepare_topics(config: &Config) -> Result<(), RunError> {
    let v = &config.view;
    let partitions = config.stream.create_topics_partitions;
    if partitions > 0 {
        kafka::ensure_topics(
            &config.kafka,
            &[&v.repartition_topic],
            partitions,
            Duration::from_secs(30),
        )
        .await
        .map_err(RunError::kafka(
            "cannot create the view's repartition topic",
        ))?;
        kafka::ensure_compacted_topic(&config.kafka, &v.topic, partitions, Duration::from_secs(30))
            .await
            .map_err(RunError::kafka("cannot create the view's events topic"))?;
    }
    let kafka_config = config.kafka.clone();
    let (rep, events) = (v.repartition_topic.clone(), v.topic.clone());
    let counts = tokio::task::spawn_blocking(move || {
        Ok::<_, rdkafka::error::KafkaError>((
            kafka::partition_count(&kafka_config, &rep)?,
            kafka::partition_count(&kafka_config, &events)?,
        ))
    })
    .await
    .map_err(RunError::task)?
    .map_err(RunError::kafka("cannot read the view's topics"))?;
    match counts {
        (0, _) | (_, 0) => Err(ConfigError::field(
            "view",
            format!(
                "topics `{}` and `{}` must exist: create them (the events topic with cleanup.policy=compact) with the same partition count, or set stream.create_topics_partitions",
                v.repartition_topic, v.topic
            ),
        )
        .into()),
        (rep, events) if events < rep => Err(ConfigError::field(
            "view.topic",
            format!(
                "`{}` has {events} partitions, fewer than the {rep} of `{}`: the state of repartition partition p is kept in events partition p; give it {rep}",
                v.topic, v.repartition_topic
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Starts the view: the table reader, then both stages. They run until `stop` turns true.
pub async fn start(
    config: &Config,
    metrics: Arc<Metrics>,
    stop: watch::Receiver<bool>,
) -> Result<ViewHandle, RunError> {
    prepare_topics(config).await?;
    let v = &config.view;
    let s = &config.stream;
    let table = Arc::new(EventTable::new());
    let table_stop = Arc::new(AtomicBool::new(false));
    let reader = TopicReader::new(&config.kafka, &v.topic, false)
        .map_err(RunError::kafka("cannot read the view's events topic"))?;
    let table_thread = table::follow(
        reader,
        Arc::clone(&table),
        Arc::clone(&metrics),
        Arc::clone(&table_stop),
    )
    .map_err(|e| RunError::Task(format!("cannot start the event table reader: {e}")))?;

    let stage = Arc::new(Stage {
        config: config.clone(),
        metrics,
        backoff: Duration::from_millis(s.retry_backoff_ms),
        max_backoff: Duration::from_millis(s.retry_backoff_max_ms),
    });
    let consumer = |group: &str,
                    stage_name: &'static str,
                    topic: &str,
                    assigned: Option<prometheus_client::metrics::gauge::Gauge>| {
        let mut cc = kafka::consumer_config(
            &config.kafka,
            group,
            Guarantee::AtLeastOnce,
            s.commit_interval_ms,
        );
        // Records are small and folding them is quick: a short prefetch is enough, and keeps
        // the view's memory (and the page faults of filling it) small beside the extraction.
        cc.set("queued.max.messages.kbytes", VIEW_PREFETCH_KB);
        let c: StreamConsumer<io::StageContext> = cc
            .create_with_context(io::StageContext::new(stage_name, assigned))
            .map_err(RunError::kafka("cannot create the view's consumer"))?;
        c.subscribe(&[topic])
            .map_err(RunError::kafka("cannot subscribe the view's consumer"))?;
        Ok::<_, RunError>(c)
    };
    let producer = || {
        kafka::producer_config(&config.kafka, None)
            .create::<FutureProducer>()
            .map_err(RunError::kafka("cannot create the view's producer"))
    };

    let rekey_group = format!("{}-rekey", v.group_id);
    let c1 = consumer(&rekey_group, "rekey", &s.output_topic, None)?;
    let c2 = consumer(
        &v.group_id,
        "aggregate",
        &v.repartition_topic,
        Some(stage.metrics.view_partitions.clone()),
    )?;
    // One producer for both stages (a clone shares the client and its threads).
    let p1 = producer()?;
    let p2 = p1.clone();
    let close = Duration::from_millis(s.shutdown_grace_ms);
    let tasks = vec![
        tokio::spawn({
            let (stage, stop) = (Arc::clone(&stage), stop.clone());
            let clients = Detached::new((c1, p1));
            async move {
                if let Some((c, p)) = clients.get() {
                    rekey::run(stage, c, p, stop).await;
                }
                clients.close(close).await;
            }
        }),
        tokio::spawn({
            let (stage, stop) = (Arc::clone(&stage), stop.clone());
            let clients = Detached::new((c2, p2));
            async move {
                if let Some((c, p)) = clients.get() {
                    aggregate::run(stage, c, p, stop).await;
                }
                clients.close(close).await;
            }
        }),
    ];
    info!(
        input = %s.output_topic,
        repartition = %v.repartition_topic,
        events = %v.topic,
        group = %v.group_id,
        "event view started"
    );
    Ok(ViewHandle {
        table,
        tasks,
        table_stop,
        table_thread: Some(table_thread),
    })
}
