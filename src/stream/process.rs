//! One message in, encoded records or a dead letter out. Pure CPU, no I/O: it runs on the
//! extraction pool, and `timeline replay` calls it the same way so both give the same ids.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::article::{self, Article, DecodeLimits, ReferenceTime};
use crate::extract::{Extraction, Extractor};

use super::dead_letter::DeadLetter;
use super::message::InputMessage;

/// A record ready to send: Kafka key (the record id) and JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRecord {
    pub id: String,
    pub value: Vec<u8>,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Decoded and extracted; `records` may be empty (no events, or skipped with `skipped`).
    Records {
        article_id: String,
        records: Vec<EncodedRecord>,
        skipped: Option<String>,
    },
    /// Could not be processed; goes to the dead-letter topic unchanged.
    DeadLetter(DeadLetter),
}

/// The outcome and how long extraction itself took (the extraction-latency histogram).
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    pub outcome: Outcome,
    pub extraction_time: Duration,
}

/// Decodes `msg` as an article and extracts it. A message without `published_at` is anchored
/// on the Kafka message timestamp, so relative dates still resolve, and a restart (same
/// message, same timestamp) gives the same record ids.
///
/// Never panics on input: a panic inside the extractor (a bug, but one bad article must not
/// stop the stream) becomes an `extract_panic` dead letter.
pub fn process(extractor: &Extractor, limits: &DecodeLimits, msg: &InputMessage) -> Processed {
    process_with_reference(extractor, limits, msg, message_reference(msg))
}

/// The reference time [`process`] gives an article without `published_at`: the message's
/// timestamp.
pub fn message_reference(msg: &InputMessage) -> Option<ReferenceTime> {
    msg.timestamp_ms.and_then(ReferenceTime::from_millis)
}

/// [`process`] with the reference time for articles without `published_at` given by the
/// caller: `timeline replay --input FILE` has no message timestamp, only `--reference-time`.
pub fn process_with_reference(
    extractor: &Extractor,
    limits: &DecodeLimits,
    msg: &InputMessage,
    fallback: Option<ReferenceTime>,
) -> Processed {
    let start = Instant::now();
    let article = match decode(msg, limits) {
        Ok(a) => a,
        Err(outcome) => {
            return Processed {
                outcome,
                extraction_time: start.elapsed(),
            };
        }
    };
    let extraction = extract_one(extractor, &article, fallback);
    let extraction_time = start.elapsed();
    Processed {
        outcome: match extraction {
            Ok(x) => encode(article.id, x),
            Err(dead_letter) => dead_letter,
        },
        extraction_time,
    }
}

/// [`process_with_reference`] on several messages, each with its fallback reference time:
/// the same outcomes, in order, but the decoded articles go through
/// [`Extractor::extract_batch`] together (faster; see [`super::batch`]). Each message's
/// `extraction_time` is the batch's time shared equally.
///
/// A panic inside the extractor costs the batch a second pass, one article at a time, so that
/// only the article that causes it becomes an `extract_panic` dead letter.
pub fn process_batch(
    extractor: &Extractor,
    limits: &DecodeLimits,
    msgs: &[(&InputMessage, Option<ReferenceTime>)],
) -> Vec<Processed> {
    let start = Instant::now();
    let decoded: Vec<Result<Article, Outcome>> =
        msgs.iter().map(|(msg, _)| decode(msg, limits)).collect();
    let batch: Vec<(&Article, Option<ReferenceTime>)> = decoded
        .iter()
        .zip(msgs)
        .filter_map(|(d, (_, fallback))| d.as_ref().ok().map(|a| (a, *fallback)))
        .collect();
    let extracted: Vec<Result<Extraction, Outcome>> =
        match catch_unwind(AssertUnwindSafe(|| extractor.extract_batch(&batch))) {
            Ok(xs) if xs.len() == batch.len() => xs.into_iter().map(Ok).collect(),
            _ => batch
                .iter()
                .map(|(a, fallback)| extract_one(extractor, a, *fallback))
                .collect(),
        };
    let mut extracted = extracted.into_iter();
    let outcomes: Vec<Outcome> = decoded
        .into_iter()
        .map(|d| match d {
            Err(dead_letter) => dead_letter,
            Ok(article) => match extracted.next() {
                Some(Ok(x)) => encode(article.id, x),
                Some(Err(dead_letter)) => dead_letter,
                // Never: one extraction per decoded article.
                None => Outcome::DeadLetter(DeadLetter::new(
                    "extract_panic",
                    "the extractor gave no result for this article; please report it with the message",
                )),
            },
        })
        .collect();
    let share = start.elapsed() / u32::try_from(outcomes.len().max(1)).unwrap_or(u32::MAX);
    outcomes
        .into_iter()
        .map(|outcome| Processed {
            outcome,
            extraction_time: share,
        })
        .collect()
}

/// The article in `msg`, or the dead letter that says why there is none.
fn decode(msg: &InputMessage, limits: &DecodeLimits) -> Result<Article, Outcome> {
    article::decode(msg.value(), limits)
        .map_err(|e| Outcome::DeadLetter(DeadLetter::new(e.kind(), e.to_string())))
}

/// Extracts one article; a panic inside the extractor becomes an `extract_panic` dead letter.
fn extract_one(
    extractor: &Extractor,
    article: &Article,
    fallback: Option<ReferenceTime>,
) -> Result<Extraction, Outcome> {
    catch_unwind(AssertUnwindSafe(|| extractor.extract(article, fallback))).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Outcome::DeadLetter(DeadLetter::new(
            "extract_panic",
            format!(
                "the extractor failed on this article ({what}); please report it with the message"
            ),
        ))
    })
}

/// The records of an extraction as JSON, or an `encode` dead letter.
fn encode(article_id: String, extraction: Extraction) -> Outcome {
    let mut records = Vec::with_capacity(extraction.records.len());
    for r in &extraction.records {
        match serde_json::to_vec(r) {
            Ok(value) => records.push(EncodedRecord {
                id: r.id.clone(),
                value,
            }),
            Err(e) => {
                return Outcome::DeadLetter(DeadLetter::new(
                    "encode",
                    format!("a record could not be encoded as JSON ({e}); please report it"),
                ));
            }
        }
    }
    Outcome::Records {
        article_id,
        records,
        skipped: extraction.skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(payload: &[u8]) -> InputMessage {
        InputMessage {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: Some(1_764_000_000_000),
            key: None,
            payload: Some(payload.to_vec()),
            headers: Vec::new(),
        }
    }

    #[test]
    fn bad_input_becomes_a_dead_letter_with_the_decoder_kind() {
        let x = Extractor::builtin().unwrap();
        let l = DecodeLimits::default();
        for (input, kind) in [
            (&b""[..], "empty"),
            (b"{", "not_json"),
            (b"[1]", "not_object"),
            (b"{\"text\":\"x\"}", "missing_field"),
            (b"{\"id\":1.5e400}", "not_json"),
            (b"{\"id\":\"a\",\"text\":3}", "wrong_type"),
            (b"\xff\xfe", "not_utf8"),
        ] {
            match process(&x, &l, &msg(input)).outcome {
                Outcome::DeadLetter(d) => assert_eq!(d.kind, kind, "{input:?}"),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn good_input_gives_records_keyed_by_id() {
        let x = Extractor::builtin().unwrap();
        let text = br#"{"id":"p1","text":"President Alice Moreau of France met German Chancellor Jonas Weber in Paris on Monday. The two leaders signed an agreement on energy cooperation.","published_at":"2025-03-12T10:00:00Z"}"#;
        match process(&x, &DecodeLimits::default(), &msg(text)).outcome {
            Outcome::Records {
                article_id,
                records,
                ..
            } => {
                assert_eq!(article_id, "p1");
                assert!(
                    !records.is_empty(),
                    "a meeting and an agreement give records"
                );
                for r in &records {
                    let v: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
                    assert_eq!(v["id"], r.id.as_str());
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_batch_gives_what_each_message_gives_alone() {
        let x = Extractor::builtin().unwrap();
        let l = DecodeLimits::default();
        let payloads: [&[u8]; 6] = [
            br#"{"id":"a","text":"Israeli forces withdrew from Gaza on Tuesday, the army said.","published_at":"2025-11-25"}"#,
            b"{",
            br#"{"id":"b","text":"Qatar's Prime Minister met the Egyptian foreign minister in Cairo last week."}"#,
            b"\xff\xfe",
            br#"{"id":"c","text":"","title":"Empty"}"#,
            br#"{"id":"d","text":"Protesters rallied in Paris two days ago against the new law.","language":"en"}"#,
        ];
        let msgs: Vec<InputMessage> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| InputMessage {
                offset: i as i64,
                timestamp_ms: Some(1_764_000_000_000 + i as i64 * 86_400_000),
                ..msg(p)
            })
            .collect();
        let batch: Vec<_> = msgs.iter().map(|m| (m, message_reference(m))).collect();
        let together = process_batch(&x, &l, &batch);
        assert_eq!(together.len(), msgs.len());
        let mut records = 0;
        for (m, got) in msgs.iter().zip(&together) {
            let alone = process(&x, &l, m);
            assert_eq!(got.outcome, alone.outcome, "offset {}", m.offset);
            if let Outcome::Records { records: r, .. } = &got.outcome {
                records += r.len();
            }
        }
        // The test means something only if the batch held real work.
        assert!(records > 0);
        assert!(process_batch(&x, &l, &[]).is_empty());
    }
}
