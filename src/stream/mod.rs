//! The stream service (`timeline run`): articles topic in, timeline topic out, nothing lost.
//!
//! Kafka is the distributed engine: instances in one consumer group split the partitions, and
//! this module only has to be correct for the partitions it holds. The pieces, one job each:
//!
//! * [`kafka`]: librdkafka client configuration (our settings + pass-through properties) and
//!   topic administration.
//! * [`message`]: an owned copy of a consumed message, safe to hand to worker threads.
//! * [`process`]: decode + extract one message into encoded records or a dead letter (pure);
//!   [`batch`]: the messages waiting for the extraction pool, taken in batches.
//! * [`dead_letter`]: what a dead letter carries and its headers.
//! * [`tracker`]: in-flight bounds and per-partition, in-order offset tracking.
//! * [`publish`]: the producer: records and dead letters, delivery acknowledgements, re-sends.
//! * [`consumer`]: the consumer context: rebalances (finish and commit revoked work), stats.
//! * [`health`], [`metrics`], [`http`]: readiness, Prometheus metrics, the HTTP endpoint.
//! * [`scaffold`]: what every pipeline is built from (extractor, pool, tracker, publisher,
//!   pool-side worker, run handle, errors), shared with `timeline replay`.
//! * [`service`]: the front door of `timeline run`; [`at_least_once`] and [`transactional`]:
//!   its two loops, one per processing guarantee.
//! * `embedded`: an in-process tansu broker (cargo feature `embedded`, on by default); [`samples`]: the bundled demo articles;
//!   [`topic`]: small helpers to load and read topics (demo, tests, bench).
//!
//! `timeline replay` builds on the same [`scaffold`].

pub mod at_least_once;
pub mod batch;
pub mod consumer;
pub mod dead_letter;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod health;
pub mod http;
pub mod kafka;
pub mod log_limit;
pub mod message;
pub mod metrics;
pub mod process;
pub mod publish;
pub mod samples;
pub mod scaffold;
pub mod service;
pub mod topic;
pub mod tracker;
pub mod transactional;

pub use scaffold::{RunError, RunHandle, Scaffold};
pub use service::{Service, ServiceHandle, StreamError};
