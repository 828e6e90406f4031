//! `timeline run`: the stream service, or with `--embedded` the whole product in one process.

use std::process::ExitCode;
use std::time::Duration;

use timeline::config::{Config, Guarantee};
use timeline::stream::{Service, ServiceHandle};

use super::runtime;

/// Run the stream service: read articles from Kafka, publish timeline records.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start a Kafka-compatible broker in this process, load the bundled sample articles, run
    /// the pipeline and print the timeline as it is produced. Needs no Kafka.
    #[arg(long)]
    pub embedded: bool,
    /// With --embedded: keep running after the samples are processed (Ctrl-C stops).
    #[arg(long, requires = "embedded")]
    pub keep_running: bool,
    /// With --embedded: print records as `text` (one line per event) or `json` (one record
    /// per line).
    #[arg(long, value_enum, default_value_t = PrintFormat::Text)]
    pub format: PrintFormat,
    /// Kafka bootstrap servers, host:port,... (`kafka.bootstrap_servers`).
    #[arg(long)]
    pub brokers: Option<String>,
    /// Input topic; repeat for several (`stream.input_topics`).
    #[arg(long = "input-topic")]
    pub input_topics: Vec<String>,
    /// Output topic (`stream.output_topic`).
    #[arg(long)]
    pub output_topic: Option<String>,
    /// Dead-letter topic (`dead_letter.topic`).
    #[arg(long)]
    pub dead_letter_topic: Option<String>,
    /// Consumer group (`stream.group_id`).
    #[arg(long)]
    pub group_id: Option<String>,
    /// Delivery guarantee (`stream.processing_guarantee`).
    #[arg(long, value_enum)]
    pub guarantee: Option<Guarantee>,
    /// Extraction threads, 0 = one per core (`stream.workers`).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Address of /healthz, /readyz, /metrics (`http.listen`).
    #[arg(long)]
    pub http_listen: Option<String>,
    /// Do not serve the HTTP endpoint (`http.enabled = false`).
    #[arg(long)]
    pub no_http: bool,
    /// Keep the live event view: one state per event in the compacted `view.topic`, the
    /// timeline page at `/` and `/api/events` on the HTTP endpoint (`view.enabled = true`;
    /// always on with --embedded).
    #[arg(long)]
    pub view: bool,
}

/// How `--embedded` prints records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    Text,
    Json,
}

/// Command-line flags win over the file and the environment.
fn apply(args: &Args, config: &mut Config) {
    if let Some(b) = &args.brokers {
        config.kafka.bootstrap_servers = b.clone();
    }
    if !args.input_topics.is_empty() {
        config.stream.input_topics = args.input_topics.clone();
    }
    if let Some(t) = &args.output_topic {
        config.stream.output_topic = t.clone();
    }
    if let Some(t) = &args.dead_letter_topic {
        config.dead_letter.topic = t.clone();
    }
    if let Some(g) = &args.group_id {
        config.stream.group_id = g.clone();
    }
    if let Some(g) = args.guarantee {
        config.stream.processing_guarantee = g;
    }
    if let Some(w) = args.workers {
        config.stream.workers = w;
    }
    if let Some(l) = &args.http_listen {
        config.http.listen = l.clone();
    }
    if args.no_http {
        config.http.enabled = false;
    }
    if args.view || args.embedded {
        config.view.enabled = true;
    }
}

pub fn main(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let mut config = config.clone();
    apply(&args, &mut config);
    config.validate_stream()?;
    let runtime = runtime::build()?;
    let result = runtime.block_on(async move {
        if args.embedded {
            embedded(&args, config).await
        } else {
            serve(config).await
        }
    });
    // A consumer still closing against an unreachable broker must not keep the process alive
    // past the grace period it was given.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let service = tokio::task::spawn_blocking(move || Service::new(config)).await??;
    let handle = service.start().await?;
    wait_and_stop(handle).await
}

/// Waits for a signal (or the service ending on its own), then shuts down gracefully.
async fn wait_and_stop(handle: ServiceHandle) -> anyhow::Result<ExitCode> {
    if runtime::signal_or_finished(Duration::from_millis(200), || handle.is_finished()).await {
        tracing::info!("signal received");
    }
    handle.shutdown();
    let summary = handle.wait().await?;
    tracing::info!(?summary, "done");
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "embedded")]
async fn embedded(args: &Args, config: Config) -> anyhow::Result<ExitCode> {
    super::demo::embedded(args, config).await
}

#[cfg(not(feature = "embedded"))]
async fn embedded(_: &Args, _: Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this timeline was built without the embedded broker (cargo feature `embedded`); rebuild it with default features, or run without --embedded against a broker (`kafka.bootstrap_servers`)"
    )
}
