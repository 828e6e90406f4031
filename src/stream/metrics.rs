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
    /// Messages behind the high watermark, per partition (from librdkafka statistics).
    pub consumer_lag: Family<Labels, Gauge>,
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
        let consumer_lag = Family::<Labels, Gauge>::default();
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
            "consumer_lag",
            "Messages behind the high watermark, per partition",
            consumer_lag.clone(),
        );
        Metrics {
            registry,
            consumed,
            produced,
            dead_letters,
            skipped,
            retries,
            extraction_seconds,
            end_to_end_seconds,
            in_flight_messages,
            in_flight_bytes,
            consumer_lag,
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

    /// Dead letters of every kind so far.
    pub fn dead_letters_total(&self) -> u64 {
        self.dead_letters_all.get()
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
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
}
