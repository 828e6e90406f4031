//! `timeline run`: the stream service, or with `--embedded` the whole product in one process.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use timeline::config::{Config, Guarantee};
use timeline::extract::Extractor;
use timeline::record::{Record, Role};
use timeline::stream::embedded::EmbeddedBroker;
use timeline::stream::topic::{self, TopicReader};
use timeline::stream::{Service, ServiceHandle, StreamError, kafka, samples};

use super::runtime::{self, signal};

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

async fn embedded(args: &Args, mut config: Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let broker = EmbeddedBroker::start(&config.embedded.storage, config.embedded.port).await?;
    let bootstrap = broker.bootstrap_servers();
    config.kafka.bootstrap_servers = bootstrap.clone();
    // The demo is local: the endpoint only on localhost.
    if let Some(port) = config.http.listen.rsplit(':').next() {
        config.http.listen = format!("127.0.0.1:{port}");
    }
    kafka::ensure_service_topics(&config, config.embedded.partitions)
        .await
        .context("cannot create the topics in the embedded broker")?;

    let extractor = runtime::extractor(&config).await?;

    // Print the output topic as it fills, from a plain thread (librdkafka polling blocks).
    let printed = Arc::new(AtomicU64::new(0));
    let stop_printer = Arc::new(AtomicBool::new(false));
    let reader = TopicReader::new(&config.kafka, &config.stream.output_topic, false)?;
    let printer = {
        let (printed, stop, format) =
            (Arc::clone(&printed), Arc::clone(&stop_printer), args.format);
        std::thread::spawn(move || print_records(&reader, format, &printed, &stop))
    };

    let handle = match start(&config, &extractor).await {
        Err(StreamError::Http { .. }) => {
            // The demo must run even when the usual port is taken: any free port will do.
            config.http.listen = "127.0.0.1:0".into();
            start(&config, &extractor).await?
        }
        other => other?,
    };
    let articles: Vec<&[u8]> = samples::articles().map(str::as_bytes).collect();
    let n = topic::produce_all(
        &config.kafka,
        &config.stream.input_topics[0],
        articles.iter().copied(),
        topic::article_key,
    )
    .await?;
    eprintln!(
        "timeline: embedded broker on {bootstrap}; {n} sample articles loaded into `{}`{}",
        config.stream.input_topics[0],
        handle
            .http_addr()
            .map(|a| format!("; metrics on http://{a}/metrics"))
            .unwrap_or_default()
    );

    let tracker = Arc::clone(handle.tracker());
    let interrupted = runtime::signal_or_finished(Duration::from_millis(50), || {
        tracker.finished() >= n as u64 || handle.is_finished()
    })
    .await;
    let interrupted = if args.keep_running && !interrupted {
        eprintln!(
            "timeline: samples done; still running. Produce articles to `{}` on {bootstrap}; Ctrl-C stops.",
            config.stream.input_topics[0]
        );
        signal().await;
        true
    } else {
        interrupted
    };
    if !interrupted {
        // Let the printer catch up: at least every record of this run printed, then quiet for
        // a moment (earlier runs on a sqlite broker may have left more in the topic).
        let produced = handle.metrics().produced.get();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = (printed.load(Ordering::Acquire), Instant::now());
        while Instant::now() < deadline {
            let now = printed.load(Ordering::Acquire);
            if now != last.0 {
                last = (now, Instant::now());
            }
            if now >= produced && last.1.elapsed() >= Duration::from_millis(500) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    stop_printer.store(true, Ordering::Release);
    let metrics = Arc::clone(handle.metrics());
    handle.shutdown();
    handle.wait().await?;
    let _ = tokio::task::spawn_blocking(move || printer.join()).await;
    broker.stop().await;
    eprintln!(
        "timeline: {} articles, {} records, {} dead letters in {:.1}s",
        metrics.consumed.get(),
        metrics.produced.get(),
        metrics.dead_letters_total(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

async fn start(config: &Config, extractor: &Arc<Extractor>) -> Result<ServiceHandle, StreamError> {
    Service::with_extractor(config.clone(), Arc::clone(extractor))?
        .start()
        .await
}

fn print_records(
    reader: &TopicReader,
    format: PrintFormat,
    printed: &AtomicU64,
    stop: &AtomicBool,
) {
    let stdout = std::io::stdout();
    while !stop.load(Ordering::Acquire) {
        let Some(Ok(m)) = reader.poll(Duration::from_millis(100)) else {
            continue;
        };
        let Some(value) = m.value.as_deref() else {
            continue;
        };
        let line = match format {
            PrintFormat::Json => String::from_utf8_lossy(value).into_owned(),
            PrintFormat::Text => match serde_json::from_slice::<Record>(value) {
                Ok(r) => text_line(&r),
                Err(_) => String::from_utf8_lossy(value).into_owned(),
            },
        };
        let mut out = stdout.lock();
        if writeln!(out, "{line}").is_err() {
            // stdout closed (piped into `head`): nothing more to print.
            return;
        }
        let _ = out.flush();
        printed.fetch_add(1, Ordering::AcqRel);
    }
}

/// One event per line: date, type, who -> whom, where, trigger, article.
fn text_line(r: &Record) -> String {
    let names = |role: Role| {
        let v: Vec<&str> = r
            .actors
            .iter()
            .filter(|a| a.role == role)
            .map(|a| a.name.as_str())
            .collect();
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    let place = r
        .location
        .as_ref()
        .map(|l| format!(" in {}", l.name))
        .unwrap_or_default();
    format!(
        "{:<10}  {:<9} {} -> {}{}  \"{}\" [{}]",
        r.date.value,
        r.event.event_type,
        names(Role::Source),
        names(Role::Target),
        place,
        r.event.trigger,
        r.article.id
    )
}
