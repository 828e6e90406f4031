//! Application configuration: `config/default.toml`, overridden by a `--config` file, then by
//! `TIMELINE_`-prefixed environment variables (`TIMELINE_EXTRACT__MAX_TEXT_BYTES=...`, a double
//! underscore between section and field), then by command-line flags.
//!
//! The defaults are compiled in from `config/default.toml`, so the binary runs with no file at
//! all, and the file in the repo is the single documented source of every field.
//!
//! Sections: `[extract]` (the core), `[log]`, and for the stream service `[kafka]` (brokers and
//! pass-through librdkafka properties), `[stream]` (topics, group, limits, guarantee),
//! `[dead_letter]`, `[http]` and `[embedded]` (the in-process demo broker).

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use crate::extract::ExtractConfig;

/// The built-in defaults: the documented `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Every section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The extraction core.
    pub extract: ExtractConfig,
    /// Logging.
    pub log: LogConfig,
    /// Kafka connection and pass-through client properties.
    #[serde(default)]
    pub kafka: KafkaConfig,
    /// The stream service (`timeline run`).
    #[serde(default)]
    pub stream: StreamConfig,
    /// Where messages that cannot be processed go.
    #[serde(default)]
    pub dead_letter: DeadLetterConfig,
    /// The operations endpoint (`/healthz`, `/readyz`, `/metrics`).
    #[serde(default)]
    pub http: HttpConfig,
    /// The in-process broker of `timeline run --embedded`.
    #[serde(default)]
    pub embedded: EmbeddedConfig,
    /// The backfill command (`timeline replay`).
    #[serde(default)]
    pub replay: ReplayConfig,
    /// The live event view (`timeline.events`, `/api/events`, the timeline page).
    #[serde(default)]
    pub view: ViewConfig,
}

/// Kafka connection settings.
///
/// `consumer` and `producer` are handed to librdkafka unchanged (after `common`), so anything
/// users already configure for their clusters (SASL, SSL, timeouts, fetch sizes) works without
/// us knowing about it. A property may be written as a quoted dotted key
/// (`"security.protocol" = "SASL_SSL"`) or nested (`security = { protocol = "SASL_SSL" }`, which is
/// what `TIMELINE_KAFKA__COMMON__SECURITY__PROTOCOL` produces); both mean the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub bootstrap_servers: String,
    /// librdkafka properties for every client (consumer, producer, admin): security, SASL, SSL.
    #[serde(deserialize_with = "properties::deserialize")]
    pub common: BTreeMap<String, String>,
    /// librdkafka consumer properties, applied after `common`.
    #[serde(deserialize_with = "properties::deserialize")]
    pub consumer: BTreeMap<String, String>,
    /// librdkafka producer properties, applied after `common`.
    #[serde(deserialize_with = "properties::deserialize")]
    pub producer: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            bootstrap_servers: "localhost:9092".into(),
            common: BTreeMap::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
        }
    }
}

/// Delivery guarantee of the stream service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Guarantee {
    /// Offsets are committed only after every record of a message is acknowledged; a crash
    /// re-emits records with the same ids.
    AtLeastOnce,
    /// Records and offsets are committed in one Kafka transaction; consumers of the output must
    /// read with `isolation.level=read_committed`. Needs a broker with transactions.
    ExactlyOnce,
}

/// Settings of the stream service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Topics the articles are read from.
    pub input_topics: Vec<String>,
    /// Topic the timeline records are written to (keyed by record id).
    pub output_topic: String,
    /// Consumer group; run more instances with the same group to scale out.
    pub group_id: String,
    /// `at_least_once` or `exactly_once`.
    pub processing_guarantee: Guarantee,
    /// Extraction threads; 0 means one per core.
    pub workers: usize,
    /// Most messages a thread extracts together when several wait (stage by stage, which
    /// keeps each stage's tables in the CPU caches, so a backlog drains faster; see
    /// docs/performance.md). 0 lets the extractor choose (`extract::batch_size`, 32 to 256);
    /// 1 takes every message alone, for the lowest latency under load. An idle service takes
    /// each message alone whatever this says.
    pub max_batch: usize,
    /// Most messages consumed but not yet finished (records acknowledged) at once.
    pub max_in_flight_messages: usize,
    /// Most payload bytes consumed but not yet finished at once.
    pub max_in_flight_bytes: usize,
    /// How often stored offsets are committed (`auto.commit.interval.ms`).
    pub commit_interval_ms: u64,
    /// On a rebalance, how long to wait for in-flight work of revoked partitions.
    pub rebalance_timeout_ms: u64,
    /// On SIGTERM/SIGINT, how long to drain in-flight work before exiting anyway.
    pub shutdown_grace_ms: u64,
    /// First wait before re-sending a record the broker did not acknowledge; doubles per
    /// attempt up to `retry_backoff_max_ms`. Records are never dropped.
    pub retry_backoff_ms: u64,
    /// Longest wait between re-sends.
    pub retry_backoff_max_ms: u64,
    /// exactly_once: `transactional.id` of this instance; empty means `<group_id>-<random>`.
    pub transactional_id: String,
    /// exactly_once: most messages in one transaction.
    pub transaction_max_messages: usize,
    /// exactly_once: longest time a transaction collects messages before committing.
    pub transaction_interval_ms: u64,
    /// Create missing topics at start-up (input, output, dead letters) with this many
    /// partitions; 0 leaves topic creation to the operator.
    pub create_topics_partitions: i32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            input_topics: vec!["articles".into()],
            output_topic: "timeline".into(),
            group_id: "timeline".into(),
            processing_guarantee: Guarantee::AtLeastOnce,
            workers: 0,
            max_batch: 0,
            max_in_flight_messages: 2000,
            max_in_flight_bytes: 64 << 20,
            commit_interval_ms: 1000,
            rebalance_timeout_ms: 30_000,
            shutdown_grace_ms: 30_000,
            retry_backoff_ms: 500,
            retry_backoff_max_ms: 30_000,
            transactional_id: String::new(),
            transaction_max_messages: 500,
            transaction_interval_ms: 100,
            create_topics_partitions: 0,
        }
    }
}

/// Dead-letter settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// Topic that receives, unchanged, every message that could not be processed.
    pub topic: String,
    /// Longest `error.message` header, in bytes (longer messages are cut at a char boundary).
    pub max_error_message_bytes: usize,
}

impl Default for DeadLetterConfig {
    fn default() -> Self {
        DeadLetterConfig {
            topic: "timeline-dead-letters".into(),
            max_error_message_bytes: 1024,
        }
    }
}

/// The operations HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Serve `/healthz`, `/readyz` and `/metrics`.
    pub enabled: bool,
    /// Listen address, `host:port` (port 0 picks a free one).
    pub listen: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            enabled: true,
            listen: "0.0.0.0:9464".into(),
        }
    }
}

/// The in-process broker of `timeline run --embedded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Storage URL: `memory://` (gone at exit) or `sqlite://relative/path.db`.
    pub storage: String,
    /// Partitions of the topics created in the embedded broker.
    pub partitions: i32,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            port: 0,
            storage: "memory://".into(),
            partitions: 3,
        }
    }
}

/// The live event view: one state per event (by `event_key`), kept by `timeline run` beside
/// the extraction, published to a compacted topic and served at `/` and `/api/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViewConfig {
    /// Keep the view (`timeline run --view` turns it on for one run).
    pub enabled: bool,
    /// The compacted topic of event states, keyed by event key: the view's changelog and what
    /// dashboards read. Same partition count as `repartition_topic`.
    pub topic: String,
    /// The records, re-keyed by event key, so that every report of one event reaches the same
    /// partition and so the same instance.
    pub repartition_topic: String,
    /// Consumer group of the view; the re-keying stage uses `<group_id>-rekey`. Instances with
    /// the same group split the events between them.
    pub group_id: String,
    /// How often changed event states are written (and the input behind them committed), in
    /// milliseconds. An event with several reports in that time is written once.
    pub commit_interval_ms: u64,
}

impl Default for ViewConfig {
    fn default() -> Self {
        ViewConfig {
            enabled: false,
            topic: "timeline.events".into(),
            repartition_topic: "timeline.events-repartition".into(),
            group_id: "timeline-view".into(),
            commit_interval_ms: 1000,
        }
    }
}

/// The backfill command (`timeline replay`). Its topics, extraction pool and in-flight bounds
/// are those of `[stream]`; these are the settings only a replay has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayConfig {
    /// Directory of the checkpoint files, one `<name>.json` per replay name.
    pub checkpoint_dir: std::path::PathBuf,
    /// How often the checkpoint file is rewritten while a replay runs.
    pub checkpoint_interval_ms: u64,
    /// Use the broker's offsets-for-times answer as the start of a `--from` window (checked,
    /// with a fall back to scanning); false always scans from the oldest message.
    pub use_time_index: bool,
    /// Longest wait for the broker while planning (watermarks, offsets-for-times, probes).
    pub plan_timeout_ms: u64,
    /// Without a terminal, progress is logged this often.
    pub progress_log_interval_ms: u64,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        ReplayConfig {
            checkpoint_dir: "replay-checkpoints".into(),
            checkpoint_interval_ms: 1000,
            use_time_index: true,
            plan_timeout_ms: 10_000,
            progress_log_interval_ms: 10_000,
        }
    }
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `timeline=debug,rdkafka=warn`. `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Human,
            level: "info,tansu_broker=warn,tansu_storage=warn,tansu_service=warn,tansu_sans_io=warn,tansu_schema=warn,tansu_auth=warn".into(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// An error about one field, e.g. `ConfigError::field("stream.output_topic", "is empty")`.
    pub fn field(path: &str, problem: impl std::fmt::Display) -> ConfigError {
        ConfigError(format!("`{path}`: {problem}"))
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then `TIMELINE_*` environment variables.
    /// The `[extract]` limits are checked here too, since every command uses them.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let config: Config = Config::figment(file)
            .extract()
            .map_err(|e| ConfigError(describe(e)))?;
        config.extract.validate().map_err(ConfigError)?;
        Ok(config)
    }

    /// Checks the stream-service sections beyond their types (the extraction section checks
    /// itself when the extractor is built). Called by `timeline run` at start-up, so a bad value
    /// is refused with the field's name before anything connects.
    pub fn validate_stream(&self) -> Result<(), ConfigError> {
        let s = &self.stream;
        if self.kafka.bootstrap_servers.trim().is_empty() {
            return Err(ConfigError::field(
                "kafka.bootstrap_servers",
                "is empty; give host:port",
            ));
        }
        if s.input_topics.is_empty() || s.input_topics.iter().any(|t| t.trim().is_empty()) {
            return Err(ConfigError::field(
                "stream.input_topics",
                "needs at least one non-empty topic name",
            ));
        }
        for (path, topic) in [
            ("stream.output_topic", &s.output_topic),
            ("dead_letter.topic", &self.dead_letter.topic),
        ] {
            if topic.trim().is_empty() {
                return Err(ConfigError::field(path, "is empty; give a topic name"));
            }
            if s.input_topics.contains(topic) {
                return Err(ConfigError::field(
                    path,
                    format!("`{topic}` is also an input topic; that would loop forever"),
                ));
            }
        }
        if s.output_topic == self.dead_letter.topic {
            return Err(ConfigError::field(
                "dead_letter.topic",
                "is the output topic; give it a topic of its own",
            ));
        }
        if s.group_id.trim().is_empty() {
            return Err(ConfigError::field(
                "stream.group_id",
                "is empty; give a consumer group name",
            ));
        }
        let positive: [(&str, u64); 6] = [
            (
                "stream.max_in_flight_messages",
                s.max_in_flight_messages as u64,
            ),
            ("stream.max_in_flight_bytes", s.max_in_flight_bytes as u64),
            ("stream.commit_interval_ms", s.commit_interval_ms),
            ("stream.retry_backoff_ms", s.retry_backoff_ms),
            (
                "stream.transaction_max_messages",
                s.transaction_max_messages as u64,
            ),
            ("stream.transaction_interval_ms", s.transaction_interval_ms),
        ];
        for (path, v) in positive {
            if v == 0 {
                return Err(ConfigError::field(path, "must be greater than 0"));
            }
        }
        if s.retry_backoff_max_ms < s.retry_backoff_ms {
            return Err(ConfigError::field(
                "stream.retry_backoff_max_ms",
                "must be at least `stream.retry_backoff_ms`",
            ));
        }
        if s.create_topics_partitions < 0 {
            return Err(ConfigError::field(
                "stream.create_topics_partitions",
                "must be 0 (do not create) or more",
            ));
        }
        if self.embedded.partitions < 1 {
            return Err(ConfigError::field(
                "embedded.partitions",
                "must be at least 1",
            ));
        }
        if self.view.enabled {
            let v = &self.view;
            for (path, topic) in [
                ("view.topic", &v.topic),
                ("view.repartition_topic", &v.repartition_topic),
            ] {
                if topic.trim().is_empty() {
                    return Err(ConfigError::field(path, "is empty; give a topic name"));
                }
                if s.input_topics.contains(topic)
                    || *topic == s.output_topic
                    || *topic == self.dead_letter.topic
                {
                    return Err(ConfigError::field(
                        path,
                        format!(
                            "`{topic}` is already a topic of the service; give it one of its own"
                        ),
                    ));
                }
            }
            if v.commit_interval_ms == 0 {
                return Err(ConfigError::field(
                    "view.commit_interval_ms",
                    "must be greater than 0",
                ));
            }
            if v.topic == v.repartition_topic {
                return Err(ConfigError::field(
                    "view.repartition_topic",
                    "is `view.topic`; the two need topics of their own",
                ));
            }
            if v.group_id.trim().is_empty() || v.group_id == s.group_id {
                return Err(ConfigError::field(
                    "view.group_id",
                    "must be a consumer group name of its own (not `stream.group_id`)",
                ));
            }
        }
        if self.http.enabled && !is_listen_address(&self.http.listen) {
            return Err(ConfigError::field(
                "http.listen",
                format!(
                    "`{}` is not host:port (e.g. 0.0.0.0:9464, 127.0.0.1:9464 or localhost:9464)",
                    self.http.listen
                ),
            ));
        }
        Ok(())
    }

    /// The layered sources, for callers that merge command-line flags on top.
    pub fn figment(file: Option<&Path>) -> Figment {
        let mut f = Figment::from(properties::Normalized(Toml::string(DEFAULT_TOML)));
        if let Some(path) = file {
            f = f.merge(properties::Normalized(Toml::file_exact(path)));
        }
        // `TIMELINE_CONFIG` names the file (the `--config` flag), it is not a setting.
        f.merge(properties::Normalized(
            Env::prefixed("TIMELINE_").ignore(&["config"]).split("__"),
        ))
    }
}

/// Pass-through librdkafka properties: a table of scalars, possibly nested, flattened to
/// `dotted.name = "string"` because librdkafka takes every value as a string.
mod properties {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        String(String),
        Bool(bool),
        Int(i64),
        Float(f64),
        Table(BTreeMap<String, Value>),
    }

    /// The pass-through tables, whose keys are librdkafka property names.
    const TABLES: [&str; 3] = ["common", "consumer", "producer"];

    /// A provider whose `kafka.{common,consumer,producer}` tables are flattened to dotted keys
    /// before merging. The same property can arrive as `"fetch.wait.max.ms" = "50"` (a quoted
    /// key in a file) or nested (`fetch.wait.max.ms = "50"` unquoted, or the environment's
    /// `TIMELINE_KAFKA__CONSUMER__FETCH__WAIT__MAX__MS`); flattening each layer first makes
    /// them one key, so a later layer overrides an earlier one whatever the spelling.
    pub struct Normalized<P>(pub P);

    impl<P: figment::Provider> figment::Provider for Normalized<P> {
        fn metadata(&self) -> figment::Metadata {
            self.0.metadata()
        }

        fn data(
            &self,
        ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error>
        {
            let mut data = self.0.data()?;
            for dict in data.values_mut() {
                let Some(figment::value::Value::Dict(_, kafka)) = dict.get_mut("kafka") else {
                    continue;
                };
                for table in TABLES {
                    if let Some(figment::value::Value::Dict(_, props)) = kafka.get_mut(table) {
                        let mut flat = figment::value::Dict::new();
                        flatten_values("", std::mem::take(props), &mut flat);
                        *props = flat;
                    }
                }
            }
            Ok(data)
        }
    }

    fn flatten_values(prefix: &str, dict: figment::value::Dict, out: &mut figment::value::Dict) {
        for (k, v) in dict {
            let key = if prefix.is_empty() {
                k
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                figment::value::Value::Dict(_, inner) => flatten_values(&key, inner, out),
                other => {
                    out.insert(key, other);
                }
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        let table = BTreeMap::<String, Value>::deserialize(d)?;
        let mut out = BTreeMap::new();
        flatten("", table, &mut out);
        Ok(out)
    }

    fn flatten(prefix: &str, table: BTreeMap<String, Value>, out: &mut BTreeMap<String, String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::String(s) => {
                    out.insert(key, s);
                }
                Value::Bool(b) => {
                    out.insert(key, b.to_string());
                }
                Value::Int(i) => {
                    out.insert(key, i.to_string());
                }
                Value::Float(f) => {
                    out.insert(key, f.to_string());
                }
                Value::Table(t) => flatten(&key, t, out),
            }
        }
    }
}

/// True for `ip:port` or `host:port` with a host name that resolves (`localhost:9464`).
fn is_listen_address(listen: &str) -> bool {
    use std::net::ToSocketAddrs;
    if listen.parse::<std::net::SocketAddr>().is_ok() {
        return true;
    }
    let Some((host, port)) = listen.rsplit_once(':') else {
        return false;
    };
    !host.is_empty()
        && port.parse::<u16>().is_ok()
        && listen
            .to_socket_addrs()
            .is_ok_and(|mut a| a.next().is_some())
}

/// Names the field at fault in figment's error, e.g. `extract.max_text_bytes: invalid type`.
fn describe(e: figment::Error) -> String {
    let mut out = Vec::new();
    for err in e {
        let path = err.path.join(".");
        let src = err
            .metadata
            .as_ref()
            .map(|m| format!(" (from {})", m.name))
            .unwrap_or_default();
        if path.is_empty() {
            out.push(format!("{}{src}", err.kind));
        } else {
            out.push(format!("`{path}`: {}{src}", err.kind));
        }
    }
    out.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.extract, ExtractConfig::default());
    }

    #[test]
    fn listen_takes_host_names() {
        for ok in [
            "0.0.0.0:9464",
            "127.0.0.1:0",
            "localhost:9464",
            "[::1]:9464",
        ] {
            assert!(is_listen_address(ok), "{ok}");
        }
        for bad in [
            "9464",
            "localhost",
            ":9464",
            "localhost:http",
            "0.0.0.0:99999",
        ] {
            assert!(!is_listen_address(bad), "{bad}");
        }
    }

    #[test]
    fn zero_limits_are_refused() {
        for field in ["max_text_bytes", "max_id_bytes", "max_meta_bytes"] {
            let mut c = ExtractConfig::default();
            match field {
                "max_text_bytes" => c.max_text_bytes = 0,
                "max_id_bytes" => c.max_id_bytes = 0,
                _ => c.max_meta_bytes = 0,
            }
            let e = c.validate().unwrap_err();
            assert!(e.contains(&format!("extract.{field}")), "{e}");
        }
        assert!(ExtractConfig::default().validate().is_ok());
    }

    #[test]
    fn bad_field_is_named() {
        let f = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Toml::string("[extract]\nmax_text_bytes = \"big\"\n"));
        let e = f.extract::<Config>().unwrap_err();
        assert!(describe(e).contains("extract.max_text_bytes"));
    }

    #[test]
    fn stream_defaults_match_the_documented_file() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.stream, StreamConfig::default());
        assert_eq!(c.dead_letter, DeadLetterConfig::default());
        assert_eq!(c.http, HttpConfig::default());
        assert_eq!(c.embedded, EmbeddedConfig::default());
        assert_eq!(
            c.kafka.bootstrap_servers,
            KafkaConfig::default().bootstrap_servers
        );
        assert_eq!(
            c.kafka
                .consumer
                .get("auto.offset.reset")
                .map(String::as_str),
            Some("earliest")
        );
        c.validate_stream().unwrap();
    }

    #[test]
    fn pass_through_properties_flatten_nested_and_typed_values() {
        let f = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(
            "[kafka.common]\n\"security.protocol\" = \"SASL_SSL\"\nsasl = { username = \"u\" }\n[kafka.producer]\n\"batch.size\" = 16384\n\"enable.idempotence\" = true\n",
        ));
        let c: Config = f.extract().unwrap();
        assert_eq!(c.kafka.common["security.protocol"], "SASL_SSL");
        assert_eq!(c.kafka.common["sasl.username"], "u");
        assert_eq!(c.kafka.producer["batch.size"], "16384");
        assert_eq!(c.kafka.producer["enable.idempotence"], "true");
    }

    #[test]
    fn invalid_stream_settings_name_the_field() {
        let mut c = Config::load(None).unwrap();
        c.stream.output_topic = "articles".into();
        assert!(
            c.validate_stream()
                .unwrap_err()
                .to_string()
                .contains("stream.output_topic")
        );
        let mut c = Config::load(None).unwrap();
        c.stream.max_in_flight_messages = 0;
        assert!(
            c.validate_stream()
                .unwrap_err()
                .to_string()
                .contains("stream.max_in_flight_messages")
        );
        let mut c = Config::load(None).unwrap();
        c.http.listen = "nowhere".into();
        assert!(
            c.validate_stream()
                .unwrap_err()
                .to_string()
                .contains("http.listen")
        );
        let f = Figment::from(Toml::string(DEFAULT_TOML))
            .merge(Toml::string("[stream]\nprocessing_guarantee = \"twice\"\n"));
        let e = f.extract::<Config>().unwrap_err();
        assert!(describe(e).contains("stream.processing_guarantee"));
    }

    #[test]
    fn a_later_layer_overrides_a_property_whatever_its_spelling() {
        // The defaults spell it quoted, the override nested (as the environment does).
        let f = Figment::from(properties::Normalized(Toml::string(DEFAULT_TOML))).merge(
            properties::Normalized(Toml::string(
                "[kafka.consumer]\nfetch.wait.max.ms = \"7\"\n[kafka.common]\nsasl = { username = \"u\" }\n",
            )),
        );
        let c: Config = f.extract().unwrap();
        assert_eq!(c.kafka.consumer["fetch.wait.max.ms"], "7");
        assert_eq!(c.kafka.common["sasl.username"], "u");
        // And the other way round.
        let f = Figment::from(properties::Normalized(Toml::string(
            "[kafka.producer]\nlinger.ms = \"9\"\n",
        )))
        .merge(properties::Normalized(Toml::string(
            "[kafka.producer]\n\"linger.ms\" = \"3\"\n",
        )));
        let k: KafkaConfig = f.extract_inner("kafka").unwrap();
        assert_eq!(k.producer["linger.ms"], "3");
    }
}
