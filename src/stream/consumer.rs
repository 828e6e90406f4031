//! The consumer's context: rebalances and statistics.
//!
//! librdkafka calls these from inside `poll`, i.e. on the thread running the consumer loop.
//! On revocation we block that thread on purpose (bounded by `rebalance_timeout`): returning
//! releases the partitions, and they must not be released before their in-flight work is
//! acknowledged and committed, or the next owner would redo work we are about to finish.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;
use tracing::{debug, info, warn};

use crate::config::Guarantee;

use super::health::Health;
use super::metrics::Metrics;
use super::tracker::{Tp, Tracker};

/// The partitions of a topic-partition list.
pub fn tps_of(tpl: &TopicPartitionList) -> Vec<Tp> {
    tpl.elements()
        .iter()
        .map(|e| Tp::new(e.topic(), e.partition()))
        .collect()
}

/// A topic-partition list with the given offsets (the next offset to consume).
pub fn offsets_tpl(positions: &[(Tp, i64)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(positions.len());
    for (tp, off) in positions {
        // Only fails for an invalid partition, which librdkafka never gave us.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    tpl
}

/// Context shared by the consumer and the service loop.
pub struct StreamContext {
    pub tracker: Arc<Tracker>,
    pub health: Arc<Health>,
    pub metrics: Arc<Metrics>,
    pub guarantee: Guarantee,
    pub rebalance_timeout: Duration,
    /// Set on every assignment change; the loop re-applies a pause to new partitions.
    pub assignment_changed: AtomicBool,
    /// Set to simulate a crash in tests: revocation then neither waits nor commits.
    pub killed: Arc<AtomicBool>,
    /// The last offset the broker confirmed committed, per partition (from commit callbacks);
    /// shutdown waits until it covers everything finished.
    committed: Mutex<HashMap<Tp, i64>>,
    /// Set by shutdown once it has committed: the revocation of closing then only stores
    /// offsets (a synchronous commit could hang on a broker that is gone).
    pub closing: AtomicBool,
    /// Rate limit of the client's error log (with no broker up, librdkafka repeats the same
    /// error about 20 times a second).
    errors: super::log_limit::LogLimit,
}

/// True for consume errors that stop a partition where it is: librdkafka fetches the same
/// batch again and fails again. They make the service not ready while they repeat.
pub fn blocks_partition(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::BadCompression
                | RDKafkaErrorCode::NotImplemented
                | RDKafkaErrorCode::BadMessage
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::UnsupportedCompressionType
                | RDKafkaErrorCode::UnsupportedVersion
        )
    )
}

impl StreamContext {
    pub fn new(
        tracker: Arc<Tracker>,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
        killed: Arc<AtomicBool>,
        guarantee: Guarantee,
        rebalance_timeout: Duration,
    ) -> StreamContext {
        StreamContext {
            tracker,
            health,
            metrics,
            guarantee,
            rebalance_timeout,
            assignment_changed: AtomicBool::new(false),
            killed,
            committed: Mutex::new(HashMap::new()),
            closing: AtomicBool::new(false),
            errors: super::log_limit::LogLimit::new(Duration::from_secs(10)),
        }
    }

    fn record_committed(&self, offsets: &TopicPartitionList) {
        let mut map = self.committed.lock().unwrap_or_else(|p| p.into_inner());
        for e in offsets.elements() {
            if let Offset::Offset(o) = e.offset() {
                let slot = map.entry(Tp::new(e.topic(), e.partition())).or_insert(o);
                *slot = (*slot).max(o);
            }
        }
    }

    /// True when the broker confirmed every one of `positions` (or more) committed.
    pub fn is_committed(&self, positions: &[(Tp, i64)]) -> bool {
        let map = self.committed.lock().unwrap_or_else(|p| p.into_inner());
        positions
            .iter()
            .all(|(tp, off)| map.get(tp).is_some_and(|c| c >= off))
    }

    fn on_revoke(&self, consumer: &BaseConsumer<StreamContext>, tps: &[Tp]) {
        let killed = self.killed.load(Ordering::Acquire);
        let lost = consumer.assignment_lost();
        if self.guarantee == Guarantee::AtLeastOnce
            && !killed
            && !lost
            && !self.tracker.wait_idle(Some(tps), self.rebalance_timeout)
        {
            warn!(
                partitions = tps.len(),
                timeout_ms = self.rebalance_timeout.as_millis() as u64,
                "in-flight work of revoked partitions did not finish in time; the new owner redoes it (same record ids)"
            );
        }
        let positions = self.tracker.revoke(tps);
        if self.guarantee == Guarantee::AtLeastOnce && !killed && !lost && !positions.is_empty() {
            let tpl = offsets_tpl(&positions);
            // Stored first, whatever happens next: with auto-commit on, librdkafka commits
            // the *stored* offsets of partitions as it removes them, right after this
            // callback. The loop stores offsets only between polls, and it is blocked in this
            // poll, so the stored ones lag behind the work just waited for; committed as they
            // are, they would overwrite the commit below and the next owner would redo the
            // gap.
            if let Err(e) = consumer.store_offsets(&tpl) {
                debug!(error = %e, "storing offsets of revoked partitions");
            }
            if self.health.brokers_down() || self.closing.load(Ordering::Acquire) {
                // No coordinator to answer a synchronous commit (it would wait forever): the
                // stored offsets go with the commit librdkafka makes when it can.
                return;
            }
            match consumer.commit(&tpl, CommitMode::Sync) {
                Ok(()) => {
                    self.record_committed(&tpl);
                    debug!(partitions = positions.len(), "committed revoked partitions");
                }
                Err(e) => {
                    warn!(error = %e, "commit on revocation failed; the new owner redoes the uncommitted messages")
                }
            }
        }
        if lost {
            warn!(
                "partitions were lost (session timed out); their in-flight work will be redone by the new owner"
            );
        }
    }
}

impl ClientContext for StreamContext {
    fn stats(&self, stats: Statistics) {
        let brokers: Vec<_> = stats.brokers.values().filter(|b| b.nodeid >= 0).collect();
        if !brokers.is_empty() {
            self.health
                .set_brokers_down(!brokers.iter().any(|b| b.state == "UP"));
        }
        // Only partitions held now: statistics are gathered every `statistics.interval.ms`
        // and can still list a partition revoked since.
        let assigned = self.tracker.assigned();
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0
                    && p.consumer_lag >= 0
                    && assigned
                        .iter()
                        .any(|tp| tp.partition == *partition && &*tp.topic == topic.as_str())
                {
                    self.metrics.set_lag(topic, *partition, p.consumer_lag);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.health.set_brokers_down(true);
        }
        if let Some(repeats) = self.errors.admit(&error.to_string()) {
            warn!(%error, reason, repeats, "consumer");
        }
    }
}

impl ConsumerContext for StreamContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                let tps = tps_of(tpl);
                info!(partitions = tps.len(), "partitions revoked");
                self.on_revoke(consumer, &tps);
                for tp in &tps {
                    self.metrics.remove_lag(&tp.topic, tp.partition);
                }
                self.health.set_assigned(self.tracker.assigned().len());
                self.assignment_changed.store(true, Ordering::Release);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => warn!(error = %e, "rebalance error"),
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            let tps = tps_of(tpl);
            info!(partitions = ?tps.iter().map(|t| format!("{}/{}", t.topic, t.partition)).collect::<Vec<_>>(), "partitions assigned");
            self.tracker.assign(&tps);
            self.health.set_assigned(self.tracker.assigned().len());
            self.assignment_changed.store(true, Ordering::Release);
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if result.is_ok() {
            self.record_committed(offsets);
        }
        match result {
            Ok(()) => debug!(partitions = offsets.count(), "offsets committed"),
            // No stored offsets since the last commit: nothing to do.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => warn!(error = %e, "offset commit failed; it is retried with the next one"),
        }
    }
}
