//! One message in, encoded records or a dead letter out. Pure CPU, no I/O: it runs on the
//! extraction pool, and `timeline replay` calls it the same way so both give the same ids.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::article::{self, Limits, ReferenceTime};
use crate::extract::Extractor;

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
pub fn process(extractor: &Extractor, limits: &Limits, msg: &InputMessage) -> Processed {
    let fallback = msg.timestamp_ms.and_then(ReferenceTime::from_millis);
    process_with_reference(extractor, limits, msg, fallback)
}

/// [`process`] with the reference time for articles without `published_at` given by the
/// caller: `timeline replay --input FILE` has no message timestamp, only `--reference-time`.
pub fn process_with_reference(
    extractor: &Extractor,
    limits: &Limits,
    msg: &InputMessage,
    fallback: Option<ReferenceTime>,
) -> Processed {
    let start = Instant::now();
    let article = match article::decode(msg.value(), limits) {
        Ok(a) => a,
        Err(e) => {
            return Processed {
                outcome: Outcome::DeadLetter(DeadLetter::new(e.kind(), e.to_string())),
                extraction_time: start.elapsed(),
            };
        }
    };
    let extraction = match catch_unwind(AssertUnwindSafe(|| extractor.extract(&article, fallback)))
    {
        Ok(x) => x,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            return Processed {
                outcome: Outcome::DeadLetter(DeadLetter::new(
                    "extract_panic",
                    format!(
                        "the extractor failed on this article ({what}); please report it with the message"
                    ),
                )),
                extraction_time: start.elapsed(),
            };
        }
    };
    let extraction_time = start.elapsed();
    let mut records = Vec::with_capacity(extraction.records.len());
    for r in &extraction.records {
        match serde_json::to_vec(r) {
            Ok(value) => records.push(EncodedRecord {
                id: r.id.clone(),
                value,
            }),
            Err(e) => {
                return Processed {
                    outcome: Outcome::DeadLetter(DeadLetter::new(
                        "encode",
                        format!("a record could not be encoded as JSON ({e}); please report it"),
                    )),
                    extraction_time,
                };
            }
        }
    }
    Processed {
        outcome: Outcome::Records {
            article_id: article.id,
            records,
            skipped: extraction.skipped,
        },
        extraction_time,
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
        }
    }

    #[test]
    fn bad_input_becomes_a_dead_letter_with_the_decoder_kind() {
        let x = Extractor::builtin().unwrap();
        let l = Limits::default();
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
        match process(&x, &Limits::default(), &msg(text)).outcome {
            Outcome::Records {
                article_id,
                records,
                ..
            } => {
                assert_eq!(article_id, "p1");
                for r in &records {
                    let v: serde_json::Value = serde_json::from_slice(&r.value).unwrap();
                    assert_eq!(v["id"], r.id.as_str());
                }
            }
            other => panic!("{other:?}"),
        }
    }
}
