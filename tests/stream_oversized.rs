//! Input too large to send on: nothing stalls, nothing is dropped.
//!
//! A message over the producer's `message.max.bytes` (1,000,000 bytes by default) is the very
//! input that gets dead-lettered for its size, and a dead letter is the message itself: sent
//! whole it was refused, re-sent forever, and its partition (and shutdown) stalled. Now it is
//! cut to fit, says so in its headers, and the stream goes on. An article whose `meta` would
//! make every record too large is refused with the field named. The source message's own
//! headers travel with its dead letter.

mod support;

use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use timeline::stream::kafka;

/// A message to produce: its value and headers.
type Input = (Vec<u8>, Vec<(&'static str, &'static str)>);

/// Produces `(value, headers)` pairs with a producer that may send messages up to 10 MB (the
/// service's own producer keeps librdkafka's default limit).
async fn produce_big(c: &timeline::config::Config, messages: &[Input]) {
    let mut k = c.kafka.clone();
    k.producer
        .insert("message.max.bytes".into(), "10000000".into());
    let producer: FutureProducer = kafka::producer_config(&k, None).create().expect("producer");
    for (value, headers) in messages {
        let mut h = OwnedHeaders::new();
        for (key, v) in headers {
            h = h.insert(Header {
                key,
                value: Some(*v),
            });
        }
        producer
            .send(
                FutureRecord::<(), _>::to(&c.stream.input_topics[0])
                    .payload(value)
                    .headers(h),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("input produced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_input_is_dead_lettered_to_fit_and_the_stream_goes_on() {
    let (mut broker, c) = support::broker_with_topics("oversized", 1).await;

    // 2 MB of text: over `extract.max_text_bytes` (1 MiB) and over the producer's limit.
    let huge = format!(r#"{{"id":"huge","text":"{}"}}"#, "word ".repeat(400_000)).into_bytes();
    // A valid article whose `meta` (copied into every record) is 1.5 MB.
    let fat_meta = format!(
        r#"{{"id":"meta","text":"Protesters rallied in Paris on Monday.","meta":{{"blob":"{}"}}}}"#,
        "m".repeat(1_500_000)
    )
    .into_bytes();
    let good = support::articles("oversized", 3);
    let messages: Vec<Input> = vec![
        (good[0].clone(), vec![]),
        (
            huge.clone(),
            vec![("trace-id", "t-1"), ("error.kind", "upstream")],
        ),
        (good[1].clone(), vec![]),
        (fat_meta.clone(), vec![("trace-id", "t-2")]),
        (good[2].clone(), vec![]),
    ];
    produce_big(&c, &messages).await;

    let svc = support::start_service(&c).await;
    support::wait_finished(&svc, 5, Duration::from_secs(60), "every message finished").await;
    assert!(!svc.metrics().encode().contains("produce_retries_total 1"));

    let dead = support::read(&c, &c.dead_letter.topic);
    assert_eq!(
        dead.len(),
        2,
        "{:?}",
        dead.iter().map(|m| &m.headers).collect::<Vec<_>>()
    );
    let at = |offset: &str| {
        dead.iter()
            .find(|m| m.header("source.offset") == Some(offset))
            .unwrap_or_else(|| panic!("no dead letter for offset {offset}"))
    };

    let d = at("1");
    assert_eq!(d.header("error.kind"), Some("field_too_long"));
    assert!(d.header("error.message").unwrap().contains("`text`"));
    assert_eq!(d.header("dead_letter.value"), Some("truncated"));
    assert_eq!(
        d.header("source.value_bytes"),
        Some(huge.len().to_string().as_str())
    );
    let kept = d.value.as_deref().unwrap_or_default();
    assert!(
        kept.len() < 1_000_000 && kept.len() > 900_000,
        "{}",
        kept.len()
    );
    assert_eq!(
        kept,
        &huge[..kept.len()],
        "the value kept is the start of the original"
    );
    assert_eq!(d.header("trace-id"), Some("t-1"), "source headers are kept");
    assert_eq!(d.header("original.error.kind"), Some("upstream"));

    let d = at("3");
    assert_eq!(d.header("error.kind"), Some("field_too_long"));
    assert!(d.header("error.message").unwrap().contains("`meta`"));
    assert_eq!(d.header("trace-id"), Some("t-2"));

    let ids: std::collections::BTreeSet<String> = support::output_ids(&c).into_iter().collect();
    assert_eq!(ids, support::expected_ids(&good));

    // Shutdown is prompt and commits everything: nothing waits on a send that cannot succeed.
    let started = std::time::Instant::now();
    svc.shutdown();
    svc.wait().await.expect("clean shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(support::committed(&c, 1), vec![Some(5)]);
    broker.stop().await;
}
