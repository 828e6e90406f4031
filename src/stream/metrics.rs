//! Prometheus metrics of the stream service (`/metrics`).

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// Every metric, cheap to update from any thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Messages read from the input topics.
    pub consumed: Counter,
    /// Records acknowledged by the broker on the output topic.
    pub produced: Counter,
    /// Dead letters acknowledged, by `error.kind`.
    pub dead_letters: Family<Labels, Counter>,
    /// Articles skipped as a whole (e.g. not English).
    pub skipped: Counter,
    /// Re-sends after a failed delivery, and transactions aborted to be retried.
    pub retries: Counter,
    /// Seconds spent extracting one article.
    pub extraction_seconds: Histogram,
    /// Seconds from the message timestamp to the acknowledgement of its last record.
    pub end_to_end_seconds: Histogram,
    pub in_flight_messages: Gauge,
    pub in_flight_bytes: Gauge,
    /// Input partitions this instance holds now.
    pub assigned_partitions: Gauge,
    /// Messages behind the high watermark, per assigned partition (from librdkafka
    /// statistics).
    pub consumer_lag: Family<Labels, Gauge>,
    /// Errors while consuming, by librdkafka error code.
    pub consume_errors: Family<Labels, Counter>,
    /// The event view: records folded into event states (each record once).
    pub view_records: Counter,
    /// The event view: messages of the timeline topic that are not records, left out.
    pub view_ignored: Counter,
    /// The event view: state changes acknowledged on the compacted events topic.
    pub view_state_writes: Counter,
    /// The event view: folded records whose state changes are acknowledged (the view is
    /// caught up with them).
    pub view_records_written: Counter,
    /// The event view: partitions of the repartition topic this instance holds.
    pub view_partitions: Gauge,
    /// The event view: events whose state this instance keeps (its partitions).
    pub view_events_owned: Gauge,
    /// The event view: events in the table the page reads (every partition).
    pub view_events: Gauge,
    /// The sum over kinds of `dead_letters` (not exported; families cannot be summed).
    dead_letters_all: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("timeline");
        let consumed = Counter::default();
        let produced = Counter::default();
        let dead_letters = Family::<Labels, Counter>::default();
        let skipped = Counter::default();
        let retries = Counter::default();
        // 100 µs .. ~26 s: extraction is milliseconds, a pathological article seconds.
        let extraction_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 19));
        // 1 ms .. ~65 s: end-to-end includes queueing behind a backlog.
        let end_to_end_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        let in_flight_messages = Gauge::default();
        let in_flight_bytes = Gauge::default();
        let assigned_partitions = Gauge::default();
        let consumer_lag = Family::<Labels, Gauge>::default();
        let consume_errors = Family::<Labels, Counter>::default();
        registry.register(
            "messages_consumed",
            "Messages read from the input topics",
            consumed.clone(),
        );
        registry.register(
            "records_produced",
            "Records acknowledged on the output topic",
            produced.clone(),
        );
        registry.register(
            "dead_letters",
            "Messages sent to the dead-letter topic, by error kind",
            dead_letters.clone(),
        );
        registry.register(
            "articles_skipped",
            "Articles skipped as a whole (e.g. not English)",
            skipped.clone(),
        );
        registry.register(
            "produce_retries",
            "Re-sends after a failed delivery",
            retries.clone(),
        );
        registry.register(
            "extraction_seconds",
            "Time to decode and extract one article (in a batch, the batch's time shared equally)",
            extraction_seconds.clone(),
        );
        registry.register(
            "end_to_end_seconds",
            "Message timestamp to acknowledgement of its last record",
            end_to_end_seconds.clone(),
        );
        registry.register(
            "in_flight_messages",
            "Messages consumed and not yet finished",
            in_flight_messages.clone(),
        );
        registry.register(
            "in_flight_bytes",
            "Payload bytes consumed and not yet finished",
            in_flight_bytes.clone(),
        );
        registry.register(
            "assigned_partitions",
            "Input partitions this instance holds (summed over a group's instances: every partition is owned when it equals the partition count)",
            assigned_partitions.clone(),
        );
        registry.register(
            "consumer_lag",
            "Messages behind the high watermark, per assigned partition; from librdkafka statistics, so up to statistics.interval.ms old (5 s by default); a partition's series is removed when it is revoked",
            consumer_lag.clone(),
        );
        registry.register(
            "consume_errors",
            "Errors reading the input topics, by librdkafka error code (e.g. BadCompression: a batch that cannot be decoded)",
            consume_errors.clone(),
        );
        let view_records = Counter::default();
        let view_ignored = Counter::default();
        let view_state_writes = Counter::default();
        let view_records_written = Counter::default();
        let view_events_owned = Gauge::default();
        let view_partitions = Gauge::default();
        let view_events = Gauge::default();
        registry.register(
            "view_records",
            "Event view: records folded into event states (a record seen again is not counted)",
            view_records.clone(),
        );
        registry.register(
            "view_ignored",
            "Event view: messages of the timeline topic that are not records, left out",
            view_ignored.clone(),
        );
        registry.register(
            "view_state_writes",
            "Event view: state changes acknowledged on the compacted events topic",
            view_state_writes.clone(),
        );
        registry.register(
            "view_records_written",
            "Event view: folded records whose state changes are acknowledged on the events topic",
            view_records_written.clone(),
        );
        registry.register(
            "view_partitions",
            "Event view: partitions of the repartition topic this instance holds (their events' state is kept here)",
            view_partitions.clone(),
        );
        registry.register(
            "view_events_owned",
            "Event view: events whose state this instance keeps (the partitions it holds)",
            view_events_owned.clone(),
        );
        registry.register(
            "view_events",
            "Event view: events in the table served at /api/events (every partition)",
            view_events.clone(),
        );
        Metrics {
            registry,
            view_records,
            view_ignored,
            view_state_writes,
            view_records_written,
            view_events_owned,
            view_partitions,
            view_events,
            consumed,
            produced,
            dead_letters,
            skipped,
            retries,
            extraction_seconds,
            end_to_end_seconds,
            in_flight_messages,
            in_flight_bytes,
            assigned_partitions,
            consumer_lag,
            consume_errors,
            dead_letters_all: Counter::default(),
        }
    }

    /// Counts one acknowledged dead letter of `kind`.
    pub fn dead_letter(&self, kind: &str) {
        self.dead_letters
            .get_or_create(&vec![("kind".to_owned(), kind.to_owned())])
            .inc();
        self.dead_letters_all.inc();
    }

    /// Sets the lag of one partition.
    pub fn set_lag(&self, topic: &str, partition: i32, lag: i64) {
        self.consumer_lag
            .get_or_create(&vec![
                ("topic".to_owned(), topic.to_owned()),
                ("partition".to_owned(), partition.to_string()),
            ])
            .set(lag);
    }

    /// Removes the lag series of a partition this instance no longer holds (its last value
    /// would otherwise be exported forever).
    pub fn remove_lag(&self, topic: &str, partition: i32) {
        self.consumer_lag.remove(&vec![
            ("topic".to_owned(), topic.to_owned()),
            ("partition".to_owned(), partition.to_string()),
        ]);
    }

    /// Counts one consume error with librdkafka's error `code`.
    pub fn consume_error(&self, code: &str) {
        self.consume_errors
            .get_or_create(&vec![("code".to_owned(), code.to_owned())])
            .inc();
    }

    /// Dead letters of every kind so far.
    pub fn dead_letters_total(&self) -> u64 {
        self.dead_letters_all.get()
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }

    /// The classic Prometheus text format (0.0.4), for scrapers that do not ask for
    /// OpenMetrics (`promtool check metrics`, older Prometheus, many agents).
    pub fn encode_classic(&self) -> String {
        classic(&self.encode())
    }
}

/// The classic text format of an OpenMetrics exposition. The two differ, for what we export,
/// in three ways: OpenMetrics names a counter's family without `_total` (classic `# HELP` and
/// `# TYPE` lines name the sample, `_total` included), it has `# UNIT` lines, and it ends with
/// `# EOF`.
fn classic(open_metrics: &str) -> String {
    let mut counters = std::collections::HashSet::new();
    for line in open_metrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ")
            && let Some(name) = rest.strip_suffix(" counter")
        {
            counters.insert(name.to_owned());
        }
    }
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        if let Some((prefix, rest)) = meta {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            if counters.contains(name) {
                out.push_str(&format!("{prefix}{name}_total {tail}\n"));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_metric() {
        let m = Metrics::new();
        m.consumed.inc();
        m.dead_letter("not_json");
        m.dead_letter("not_json");
        m.set_lag("articles", 0, 7);
        m.end_to_end_seconds.observe(0.02);
        let t = m.encode();
        for name in [
            "timeline_messages_consumed_total 1",
            "timeline_records_produced_total 0",
            "timeline_dead_letters_total{kind=\"not_json\"} 2",
            "timeline_consumer_lag{topic=\"articles\",partition=\"0\"} 7",
            "timeline_extraction_seconds_bucket",
            "timeline_end_to_end_seconds_count 1",
            "timeline_in_flight_messages 0",
        ] {
            assert!(t.contains(name), "{name} missing in\n{t}");
        }
        assert_eq!(m.dead_letters_total(), 2);
    }

    #[test]
    fn revoked_partitions_lose_their_lag_series() {
        let m = Metrics::new();
        m.set_lag("articles", 0, 7);
        m.set_lag("articles", 1, 3);
        m.remove_lag("articles", 0);
        let t = m.encode();
        assert!(!t.contains("partition=\"0\""), "{t}");
        assert!(t.contains("timeline_consumer_lag{topic=\"articles\",partition=\"1\"} 3"));
    }

    /// The classic format: counters' HELP and TYPE name the `_total` sample, no `# EOF`.
    #[test]
    fn classic_format_names_counter_samples() {
        let m = Metrics::new();
        m.consumed.inc();
        m.consume_error("BadCompression");
        let t = m.encode_classic();
        assert!(
            t.contains("# TYPE timeline_messages_consumed_total counter\n"),
            "{t}"
        );
        assert!(t.contains("# HELP timeline_messages_consumed_total Messages read"));
        assert!(t.contains("timeline_messages_consumed_total 1\n"));
        assert!(t.contains("timeline_consume_errors_total{code=\"BadCompression\"} 1"));
        assert!(t.contains("# TYPE timeline_in_flight_messages gauge\n"));
        assert!(!t.contains("# EOF"));
        // Every sample's family has a TYPE line under the sample's own name or its base.
        for line in t.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let name = line.split(['{', ' ']).next().unwrap();
            let base = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_count")
                .trim_end_matches("_sum");
            assert!(
                t.contains(&format!("# TYPE {name} ")) || t.contains(&format!("# TYPE {base} ")),
                "{name} has no TYPE line in\n{t}"
            );
        }
    }
}
