//! Shared harness of the stream and replay tests: a real Kafka-compatible broker (tansu,
//! in-process, on a random port), configurations with topics of their own per test, test
//! articles, running services, and bounded waits.
//!
//! Every test binary includes this module whole and uses part of it, hence the allowances.
#![allow(dead_code, unused_imports)]

mod broker;
mod data;
mod service;
mod topics;
mod wait;

pub use broker::{TestBroker, broker, init_logging, sqlite_broker, temp_dir};
pub use data::{articles, expected_ids, extractor};
pub use service::{broker_with_topics, loaded, start_service, wait_finished};
pub use topics::{
    committed, committed_total, config, create, create_topics, output_ids, produce, read,
};
pub use wait::{wait_all_committed, wait_committed, wait_for, wait_until};
