//! The stream service (`timeline run`), its front door: check the configuration, build the
//! [`Scaffold`], serve the HTTP endpoint, and start the loop of the configured guarantee
//! ([`super::at_least_once`] or [`super::transactional`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::info;

use crate::config::{Config, ConfigError, Guarantee};
use crate::extract::{ExtractError, Extractor};

use super::consumer::StreamContext;
use super::health::Health;
use super::metrics::Metrics;
use super::scaffold::{RunError, RunHandle, Scaffold, latency_observer};
use super::tracker::{Observer, Tracker};
use super::{at_least_once, kafka, transactional};

pub use super::scaffold::Summary;

/// Why the service could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(
        "cannot serve the HTTP endpoint on {listen}: {source}; change `http.listen` or set `http.enabled = false`"
    )]
    Http {
        listen: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<ConfigError> for StreamError {
    fn from(e: ConfigError) -> Self {
        StreamError::Run(e.into())
    }
}

impl From<ExtractError> for StreamError {
    fn from(e: ExtractError) -> Self {
        StreamError::Run(e.into())
    }
}

/// A configured, not yet started service.
pub struct Service {
    config: Config,
    extractor: Arc<Extractor>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

/// A running service.
#[derive(Debug)]
pub struct ServiceHandle {
    run: RunHandle<Summary, StreamError>,
    scaffold: Arc<Scaffold>,
    http_addr: Option<SocketAddr>,
    view_table: Option<Arc<crate::view::EventTable>>,
}

impl ServiceHandle {
    /// Asks for a graceful shutdown (what SIGTERM does); then [`ServiceHandle::wait`].
    pub fn shutdown(&self) {
        self.run.stop();
    }

    /// Waits for the service to stop and returns its summary.
    pub async fn wait(self) -> Result<Summary, StreamError> {
        self.run.wait().await
    }

    /// Stops at once without draining or committing anything more, like a killed process
    /// (work already acknowledged may still be committed by librdkafka as the consumer closes,
    /// exactly as its periodic auto-commit could have done a moment earlier).
    pub async fn kill(self) {
        self.run.kill().await;
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.scaffold.metrics
    }

    pub fn health(&self) -> &Arc<Health> {
        &self.scaffold.health
    }

    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.scaffold.tracker
    }

    /// The HTTP endpoint's address, when enabled.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// The event view's table, when the view is enabled.
    pub fn view_table(&self) -> Option<&Arc<crate::view::EventTable>> {
        self.view_table.as_ref()
    }

    /// True once the service task has ended.
    pub fn is_finished(&self) -> bool {
        self.run.is_finished()
    }
}

impl Service {
    /// Checks the configuration and builds the extractor (takes a moment).
    pub fn new(config: Config) -> Result<Service, StreamError> {
        config.validate_stream()?;
        let extractor = Arc::new(Extractor::new(&config.extract)?);
        Service::with_extractor(config, extractor)
    }

    /// With an already built extractor (tests and embedders share one).
    pub fn with_extractor(
        config: Config,
        extractor: Arc<Extractor>,
    ) -> Result<Service, StreamError> {
        config.validate_stream()?;
        let ks = &config.kafka;
        let s = &config.stream;
        kafka::check(
            &kafka::consumer_config(
                ks,
                &s.group_id,
                s.processing_guarantee,
                s.commit_interval_ms,
            ),
            ks,
            "consumer",
        )?;
        kafka::check(&kafka::producer_config(ks, None), ks, "producer")?;
        Ok(Service {
            config,
            extractor,
            observer: None,
        })
    }

    /// Also calls `f` for every finished message (after its end-to-end latency is recorded):
    /// the bench measures exact latency percentiles with it.
    pub fn observe(mut self, f: Observer) -> Service {
        self.observer = Some(f);
        self
    }

    /// The configuration the service runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connects, subscribes and starts the loop and the HTTP endpoint.
    pub async fn start(self) -> Result<ServiceHandle, StreamError> {
        let Service {
            config,
            extractor,
            observer,
        } = self;
        let s = &config.stream;
        if s.create_topics_partitions > 0 {
            kafka::ensure_service_topics(&config, s.create_topics_partitions)
                .await
                .map_err(RunError::kafka("cannot create the topics"))?;
        }

        let metrics = Arc::new(Metrics::new());
        let scaffold = Arc::new(Scaffold::new(
            &config,
            extractor,
            "timeline-extract",
            Arc::clone(&metrics),
            Some(latency_observer(metrics, observer)),
        )?);
        let (stop_tx, stop_rx) = watch::channel(false);

        let view = if config.view.enabled {
            Some(crate::view::start(&config, Arc::clone(&scaffold.metrics), stop_rx.clone()).await?)
        } else {
            None
        };
        let view_table = view.as_ref().map(|v| Arc::clone(v.table()));

        let http_addr = if config.http.enabled {
            let (addr, _task) = super::http::serve(
                &config.http.listen,
                Arc::clone(&scaffold.health),
                Arc::clone(&scaffold.metrics),
                view_table.clone().map(crate::view::api::router),
                stop_rx.clone(),
            )
            .await
            .map_err(|source| StreamError::Http {
                listen: config.http.listen.clone(),
                source,
            })?;
            if view_table.is_some() {
                info!(%addr, "serving /healthz, /readyz, /metrics, the timeline page at / and /api/events");
            } else {
                info!(%addr, "serving /healthz, /readyz, /metrics");
            }
            Some(addr)
        } else {
            None
        };

        let ctx = StreamContext::new(
            Arc::clone(&scaffold.tracker),
            Arc::clone(&scaffold.health),
            Arc::clone(&scaffold.metrics),
            Arc::clone(&scaffold.killed),
            s.processing_guarantee,
            Duration::from_millis(s.rebalance_timeout_ms),
        );
        let killed = Arc::clone(&scaffold.killed);
        let run = match s.processing_guarantee {
            Guarantee::AtLeastOnce => {
                let run = at_least_once::prepare(&config, ctx, Arc::clone(&scaffold), stop_rx)?;
                RunHandle::spawn(stop_tx, killed, async move {
                    let summary = run.await;
                    if let Some(view) = view {
                        view.wait().await;
                    }
                    Ok(summary)
                })
            }
            Guarantee::ExactlyOnce => {
                let run = transactional::Transactional::new(&config, ctx, Arc::clone(&scaffold))?;
                RunHandle::spawn(stop_tx, killed, async move {
                    let summary = run.run(stop_rx).await;
                    if let Some(view) = view {
                        view.wait().await;
                    }
                    Ok(summary?)
                })
            }
        };
        let workers = scaffold.workers();
        info!(
            guarantee = ?config.stream.processing_guarantee,
            inputs = ?config.stream.input_topics,
            output = %config.stream.output_topic,
            group = %config.stream.group_id,
            workers,
            "stream service started"
        );
        Ok(ServiceHandle {
            run,
            scaffold,
            http_addr,
            view_table,
        })
    }
}
