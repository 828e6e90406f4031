//! Bad input of every kind goes to the dead-letter topic, unchanged and explained, while good
//! articles keep flowing and every offset is committed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_dead_lettered_and_good_ones_flow() {
    let (mut broker, mut c) = support::broker_with_topics("dlq", 1).await;
    // A small limit, so the "huge" message is huge for the service but fits the broker.
    c.extract.max_text_bytes = 2_000;

    let good = support::articles("good", 6);
    let huge = format!(r#"{{"id":"huge","text":"{}"}}"#, "word ".repeat(4_000)).into_bytes();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("not_json", b"{\"id\": \"a\", \"text\": ".to_vec()),
        ("not_object", b"[\"an\", \"array\"]".to_vec()),
        ("wrong_type", br#"{"id":"b","text":42}"#.to_vec()),
        ("wrong_type", br#"{"id":17,"text":"a numeric id"}"#.to_vec()),
        ("not_utf8", b"{\"id\":\"c\",\"text\":\"caf\xe9\"}".to_vec()),
        ("empty", Vec::new()),
        ("field_too_long", huge),
        ("missing_field", br#"{"id":"d","title":"no body"}"#.to_vec()),
        ("missing_field", br#"{"text":"no id"}"#.to_vec()),
        (
            "bad_timestamp",
            br#"{"id":"e","text":"x","published_at":"yesterday"}"#.to_vec(),
        ),
        (
            "bad_timestamp",
            br#"{"id":"f","text":"x","published_at":"+99999-01-01"}"#.to_vec(),
        ),
    ];
    // Interleave: good, bad, good, bad...
    let mut input = Vec::new();
    let mut expected_dead: Vec<(usize, &str)> = Vec::new();
    for i in 0..good.len().max(bad.len()) {
        if let Some(g) = good.get(i) {
            input.push(g.clone());
        }
        if let Some((kind, b)) = bad.get(i) {
            expected_dead.push((input.len(), kind));
            input.push(b.clone());
        }
    }
    support::produce(&c, &input).await;

    let svc = support::start_service(&c).await;
    let n = input.len() as u64;
    support::wait_finished(&svc, n, Duration::from_secs(60), "every message finished").await;

    let dead = support::read(&c, &c.dead_letter.topic);
    let kinds: Vec<_> = dead
        .iter()
        .map(|m| {
            (
                m.header("source.offset").map(str::to_owned),
                m.header("error.kind").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        dead.len(),
        bad.len(),
        "dead letters: {kinds:?}; metrics {}",
        svc.metrics().encode()
    );
    let by_offset: BTreeMap<i64, _> = dead
        .iter()
        .map(|m| {
            (
                m.header("source.offset").unwrap().parse::<i64>().unwrap(),
                m,
            )
        })
        .collect();
    for (offset, kind) in &expected_dead {
        let m = by_offset
            .get(&(*offset as i64))
            .unwrap_or_else(|| panic!("no dead letter for offset {offset} ({kind})"));
        assert_eq!(m.header("error.kind"), Some(*kind), "offset {offset}");
        assert!(!m.header("error.message").unwrap().is_empty());
        assert_eq!(
            m.header("source.topic"),
            Some(c.stream.input_topics[0].as_str())
        );
        assert_eq!(m.header("source.partition"), Some("0"));
        let ts: i64 = m.header("source.timestamp").unwrap().parse().unwrap();
        assert!(ts > 1_700_000_000_000);
        // The value is exactly what was sent.
        assert_eq!(m.value.clone().unwrap_or_default(), input[*offset]);
    }
    // Good articles produced all their records.
    let ids: BTreeSet<String> = support::output_ids(&c).into_iter().collect();
    assert_eq!(ids, support::expected_ids(&good));
    assert_eq!(svc.metrics().dead_letters_total(), bad.len() as u64);

    svc.shutdown();
    svc.wait().await.unwrap();
    assert_eq!(support::committed(&c, 1), vec![Some(n as i64)]);
    broker.stop().await;
}
