//! Running the stream service in a test: a loaded broker, a started service, its progress.

use std::collections::BTreeSet;
use std::time::Duration;

use timeline::config::Config;
use timeline::stream::{Service, ServiceHandle};

use super::broker::{TestBroker, broker};
use super::data::{articles, expected_ids, extractor};
use super::topics::{config, create_topics, produce};
use super::wait::wait_for;

/// A fresh broker and a configuration for it whose topics and group are named after `name`
/// (see [`config`]), the topics created with `partitions` partitions.
pub async fn broker_with_topics(name: &str, partitions: i32) -> (TestBroker, Config) {
    let broker = broker().await;
    let config = config(&broker.bootstrap_servers(), name);
    create_topics(&config, partitions).await;
    (broker, config)
}

/// [`broker_with_topics`] with `n` articles named after `name` (see [`articles`]) already in
/// the input topic; also the record ids they give (see [`expected_ids`]).
pub async fn loaded(
    name: &str,
    partitions: i32,
    n: usize,
) -> (TestBroker, Config, BTreeSet<String>) {
    let (broker, config) = broker_with_topics(name, partitions).await;
    let input = articles(name, n);
    produce(&config, &input).await;
    (broker, config, expected_ids(&input))
}

/// Starts the service of `c` with the shared test [`extractor`].
pub async fn start_service(c: &Config) -> ServiceHandle {
    Service::with_extractor(c.clone(), extractor())
        .expect("service built")
        .start()
        .await
        .expect("service started")
}

/// Waits until `svc` has finished `n` messages (processed and acknowledged, or dead-lettered).
pub async fn wait_finished(svc: &ServiceHandle, n: u64, timeout: Duration, what: &str) {
    let tracker = svc.tracker();
    wait_for(timeout, what, || tracker.finished() >= n).await;
}
