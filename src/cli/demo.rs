//! `timeline run --embedded`: the whole product in one process. A Kafka-API broker in this
//! process, the bundled sample articles loaded into it, the service running on them, and the
//! timeline printed as it is produced. Needs the cargo feature `embedded` (on by default).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use timeline::config::Config;
use timeline::extract::Extractor;
use timeline::record::{Record, Role};
use timeline::stream::embedded::EmbeddedBroker;
use timeline::stream::topic::{self, TopicReader};
use timeline::stream::{Service, ServiceHandle, StreamError, kafka, samples};

use super::run::{Args, PrintFormat};
use super::runtime::{self, signal};

/// Runs the demo: see [`Args::embedded`](super::run::Args::embedded).
pub async fn embedded(args: &Args, mut config: Config) -> anyhow::Result<ExitCode> {
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
    // The view's topics too (the service creates them when this is set).
    config.stream.create_topics_partitions = config.embedded.partitions;

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
    if let (Some(addr), Some(_)) = (handle.http_addr(), handle.view_table()) {
        eprintln!(
            "timeline: the timeline page: http://{addr}/ (events as JSON: http://{addr}/api/events)"
        );
    }

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
            // The view too: every record of this run folded in and in the table.
            let view_done = handle.view_table().is_none_or(|table| {
                let m = handle.metrics();
                m.view_records_written.get() >= produced
                    && table.applied() >= m.view_state_writes.get()
            });
            if now >= produced && view_done && last.1.elapsed() >= Duration::from_millis(500) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    stop_printer.store(true, Ordering::Release);
    let events = handle.view_table().map(|t| t.len());
    let metrics = Arc::clone(handle.metrics());
    handle.shutdown();
    handle.wait().await?;
    let _ = tokio::task::spawn_blocking(move || printer.join()).await;
    broker.stop().await;
    eprintln!(
        "timeline: {} articles, {} records{}, {} dead letters in {:.1}s",
        metrics.consumed.get(),
        metrics.produced.get(),
        events
            .map(|n| format!(" ({n} events in the view)"))
            .unwrap_or_default(),
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
