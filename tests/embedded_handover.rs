//! The embedded broker (`memory://`, the default of `timeline run --embedded`) loses nothing
//! when a partition changes hands at an offset inside a stored batch.
//!
//! Producers send messages in batches and the broker stores each batch whole; a consumer group
//! commits whatever offset it reached, usually in the middle of a batch. tansu 0.6's in-memory
//! storage answered a fetch at such an offset with the batches *after* it, so the next owner
//! never saw the rest of the batch (453 articles in one hand-over of a chaos run). The patched
//! copy in `vendor/tansu-storage` starts at the batch that holds the offset.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use timeline::stream::embedded::EmbeddedBroker;

const N: i64 = 200;
const HANDED_OVER_AT: i64 = 37;

fn consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("fetch.wait.max.ms", "50")
        .create()
        .expect("consumer")
}

/// Polls `c` until it has `n` messages or `timeout` passes; returns their offsets.
fn take(c: &BaseConsumer, n: usize, timeout: Duration) -> Vec<i64> {
    let deadline = Instant::now() + timeout;
    let mut offsets = Vec::new();
    while offsets.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            offsets.push(m.offset());
        }
    }
    offsets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_over_inside_a_batch_loses_nothing() {
    let broker = EmbeddedBroker::start("memory://", 0).await.expect("broker");
    let bootstrap = broker.bootstrap_servers();
    let topic = "handover";
    let kafka = timeline::config::KafkaConfig {
        bootstrap_servers: bootstrap.clone(),
        ..Default::default()
    };
    timeline::stream::kafka::ensure_topics(&kafka, &[topic], 1, Duration::from_secs(20))
        .await
        .expect("topic");

    // Everything in a few large batches: a long linger, every send queued before any is
    // awaited.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "200")
        .create()
        .expect("producer");
    let sends: Vec<_> = (0..N)
        .map(|i| {
            let v = format!("message {i}");
            let p = producer.clone();
            async move {
                p.send(
                    FutureRecord::<(), _>::to(topic).payload(&v),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(e, _)| e)
            }
        })
        .collect();
    for r in futures::future::join_all(sends).await {
        r.expect("produced");
    }

    let (first_taken, rest, high) = tokio::task::spawn_blocking(move || {
        let group = "handover-group";
        // The first owner takes some messages and commits an offset inside the first batch.
        let first = consumer(&bootstrap, group);
        first.subscribe(&[topic]).expect("subscribe");
        let taken = take(&first, HANDED_OVER_AT as usize, Duration::from_secs(30));
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Offset(HANDED_OVER_AT))
            .expect("tpl");
        first.commit(&tpl, CommitMode::Sync).expect("commit");
        drop(first);

        // The next owner resumes at the committed offset and must see every later message.
        let second = consumer(&bootstrap, group);
        second.subscribe(&[topic]).expect("subscribe");
        let rest = take(
            &second,
            (N - HANDED_OVER_AT) as usize,
            Duration::from_secs(30),
        );

        let (_, high) = second
            .fetch_watermarks(topic, 0, Duration::from_secs(10))
            .expect("watermarks");
        (taken, rest, high)
    })
    .await
    .expect("consumers ran");

    assert_eq!(first_taken, (0..HANDED_OVER_AT).collect::<Vec<_>>());
    assert_eq!(
        rest,
        (HANDED_OVER_AT..N).collect::<Vec<_>>(),
        "the next owner must get exactly the messages after the committed offset"
    );
    // The end of the partition is the high watermark, not the start of its last batch.
    assert_eq!(high, N, "latest offset");
    broker.stop().await;
}
