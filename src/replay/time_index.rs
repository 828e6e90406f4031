//! Where to start reading a partition for `--from <time>`: the broker's offsets-for-times
//! answer, when it survives a check, else the oldest message.
//!
//! Kafka's contract for ListOffsets-by-timestamp is: *the earliest offset whose timestamp is at
//! or after T* (-1 when there is none). Apache Kafka honours it even with unordered producer
//! timestamps (its time index is built on the running maximum), so starting there skips only
//! messages before the window. Other brokers do not: tansu 0.6 in memory answers by the time a
//! batch was *written*, and librdkafka's mock cluster answers -1 for any time. Starting at a
//! wrong answer would silently drop messages of the window, so an answer is used only when it
//! passes every test below; otherwise the partition is scanned from its low watermark (every
//! message is checked against the window by its own timestamp either way, so scanning is
//! always exact, only slower).
//!
//! For an answer `o` strictly inside the partition, the contract implies three things we can
//! observe with two message reads and one more query, and all three must hold:
//!
//! 1. the message at `o - 1` is before the window (else the broker skipped a message in it);
//! 2. the message at `o` is in or after the window (else the answer is too early, which is
//!    harmless but shows the broker does not follow the contract);
//! 3. asked again for the timestamp of the message at `o`, the broker answers `o` again: by the
//!    contract every message before `o` is older than `--from`, hence older than that
//!    timestamp, and `o` itself matches it. An index built on anything but message timestamps
//!    (tansu's write times) fails this almost always.
//!
//! Errors, -1, answers outside the partition or at its end are not trusted. An answer at or
//! below the low watermark needs no check: it skips nothing.
//!
//! No finite set of probes can prove what a broker did with messages it was not asked about; a
//! broker that honours the contract at the boundary and breaks it elsewhere would get through.
//! For such a broker set `replay.use_time_index = false` (or `--scan`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::util::Timeout;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

/// The broker's answer to "earliest offset at or after T".
pub type Answer = Result<Option<i64>, String>;

/// A message read while checking: its offset and timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
}

/// What to do with one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "detail")]
pub enum Verdict {
    /// Start at this offset.
    Start(i64),
    /// Scan from the low watermark, for this reason.
    Scan(String),
}

/// First look at an answer: settled at once, or the offset whose neighbours must be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstLook {
    Settled(Verdict),
    Check(i64),
}

/// Judges the broker's answer for a partition holding offsets `[low, high)`.
pub fn first_look(low: i64, high: i64, answer: &Answer) -> FirstLook {
    if low >= high {
        return FirstLook::Settled(Verdict::Start(low));
    }
    match answer {
        Err(e) => FirstLook::Settled(Verdict::Scan(format!("the broker could not answer ({e})"))),
        Ok(None) => FirstLook::Settled(Verdict::Scan(
            "the broker answered -1 (no message at or after --from), which some brokers answer for any time"
                .into(),
        )),
        Ok(Some(o)) if *o <= low => FirstLook::Settled(Verdict::Start(low)),
        Ok(Some(o)) if *o >= high => FirstLook::Settled(Verdict::Scan(format!(
            "the broker answered offset {o}, at or past the end of the partition ({high})"
        ))),
        Ok(Some(o)) => FirstLook::Check(*o),
    }
}

/// Judges an answer `o` from the messages at `o - 1` and `o` and the broker's answer for the
/// timestamp of the message at `o` (see the module docs).
pub fn judge(
    from_ms: i64,
    o: i64,
    before: Option<Probe>,
    at: Option<Probe>,
    recheck: Option<&Answer>,
) -> Verdict {
    let scan = |why: String| Verdict::Scan(format!("answer {o} not trusted: {why}"));
    let before_ts = match before {
        Some(Probe {
            offset,
            timestamp_ms: Some(ts),
        }) if offset == o - 1 => ts,
        Some(Probe { offset, .. }) if offset != o - 1 => {
            return scan(format!(
                "offset {} cannot be read (the next message is {offset})",
                o - 1
            ));
        }
        Some(_) => return scan(format!("the message at {} has no timestamp", o - 1)),
        None => return scan(format!("the message at {} could not be read", o - 1)),
    };
    if before_ts >= from_ms {
        return scan(format!(
            "the message at {} is already in the window; the broker skipped it",
            o - 1
        ));
    }
    let at_ts = match at {
        Some(Probe {
            offset,
            timestamp_ms: Some(ts),
        }) if offset == o => ts,
        _ => {
            return scan(format!(
                "the message at {o} could not be read with its timestamp"
            ));
        }
    };
    if at_ts < from_ms {
        return scan(format!("the message at {o} is before the window"));
    }
    match recheck {
        Some(Ok(Some(again))) if *again == o => Verdict::Start(o),
        Some(Ok(Some(again))) => scan(format!(
            "asked for the timestamp of the message at {o}, the broker answered {again}: its index does not follow message timestamps"
        )),
        Some(Ok(None)) => scan(format!(
            "asked for the timestamp of the message at {o}, the broker answered -1"
        )),
        Some(Err(e)) => scan(format!("the second query failed ({e})")),
        None => scan("the second query was not answered".into()),
    }
}

/// One partition to place: `[low, high)` are its watermarks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    pub topic: String,
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

/// Finds the start of every partition for a window beginning at `from_ms`, with the checks
/// of the module docs. Blocking: call it off the async runtime.
pub fn place(
    consumer: &BaseConsumer,
    parts: &[Bounds],
    from_ms: i64,
    timeout: Duration,
) -> Vec<Verdict> {
    let key = |b: &Bounds| (b.topic.clone(), b.partition);
    let first = offsets_for_times(consumer, parts.iter().map(|b| (b, from_ms)), timeout);
    let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(parts.len());
    let mut to_check: Vec<(usize, i64)> = Vec::new();
    for (i, b) in parts.iter().enumerate() {
        let answer = first
            .get(&key(b))
            .cloned()
            .unwrap_or_else(|| Err("no answer for this partition".into()));
        match first_look(b.low, b.high, &answer) {
            FirstLook::Settled(v) => verdicts.push(Some(v)),
            FirstLook::Check(o) => {
                verdicts.push(None);
                to_check.push((i, o));
            }
        }
    }
    if !to_check.is_empty() {
        let reads: Vec<(&Bounds, i64)> =
            to_check.iter().map(|(i, o)| (&parts[*i], *o - 1)).collect();
        let probes = read_two(consumer, &reads, timeout);
        let recheck_input: Vec<(&Bounds, i64)> = to_check
            .iter()
            .filter_map(|(i, o)| {
                let b = &parts[*i];
                let (_, at) = probes.get(&key(b))?;
                let at = (*at)?;
                (at.offset == *o).then_some(())?;
                Some((b, at.timestamp_ms?))
            })
            .collect();
        let recheck = if recheck_input.is_empty() {
            HashMap::new()
        } else {
            offsets_for_times(consumer, recheck_input.into_iter(), timeout)
        };
        for (i, o) in to_check {
            let b = &parts[i];
            let (before, at) = probes.get(&key(b)).copied().unwrap_or((None, None));
            verdicts[i] = Some(judge(from_ms, o, before, at, recheck.get(&key(b))));
        }
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or_else(|| Verdict::Scan("not placed".into())))
        .collect()
}

/// Asks the broker for the earliest offset at or after each timestamp.
fn offsets_for_times<'a>(
    consumer: &BaseConsumer,
    queries: impl Iterator<Item = (&'a Bounds, i64)>,
    timeout: Duration,
) -> HashMap<(String, i32), Answer> {
    let mut tpl = TopicPartitionList::new();
    let mut asked = Vec::new();
    for (b, ts) in queries {
        if tpl
            .add_partition_offset(&b.topic, b.partition, Offset::Offset(ts))
            .is_ok()
        {
            asked.push((b.topic.clone(), b.partition));
        }
    }
    match consumer.offsets_for_times(tpl, timeout) {
        Ok(result) => result
            .elements()
            .iter()
            .map(|e| {
                let answer = match (e.error(), e.offset()) {
                    (Err(err), _) => Err(err.to_string()),
                    (Ok(()), Offset::Offset(o)) if o >= 0 => Ok(Some(o)),
                    (Ok(()), Offset::End | Offset::Offset(_)) => Ok(None),
                    (Ok(()), other) => Err(format!("unexpected answer {other:?}")),
                };
                ((e.topic().to_owned(), e.partition()), answer)
            })
            .collect(),
        Err(e) => {
            let why = e.to_string();
            asked.into_iter().map(|k| (k, Err(why.clone()))).collect()
        }
    }
}

/// Reads the first two messages at or after each offset: `(first, second)` per partition.
fn read_two(
    consumer: &BaseConsumer,
    reads: &[(&Bounds, i64)],
    timeout: Duration,
) -> HashMap<(String, i32), (Option<Probe>, Option<Probe>)> {
    let mut out: HashMap<(String, i32), (Option<Probe>, Option<Probe>)> = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for (b, offset) in reads {
        if tpl
            .add_partition_offset(&b.topic, b.partition, Offset::Offset(*offset))
            .is_ok()
        {
            out.insert((b.topic.clone(), b.partition), (None, None));
        }
    }
    if let Err(e) = consumer.assign(&tpl) {
        tracing::debug!(error = %e, "probe assignment refused");
        return HashMap::new();
    }
    let deadline = Instant::now() + timeout;
    let complete =
        |out: &HashMap<_, (Option<Probe>, Option<Probe>)>| out.values().all(|(_, b)| b.is_some());
    while !complete(&out) && Instant::now() < deadline {
        match consumer.poll(Timeout::After(Duration::from_millis(100))) {
            Some(Ok(m)) => {
                let probe = Probe {
                    offset: m.offset(),
                    timestamp_ms: m.timestamp().to_millis(),
                };
                if let Some(slot) = out.get_mut(&(m.topic().to_owned(), m.partition())) {
                    match slot {
                        (None, _) => slot.0 = Some(probe),
                        (Some(_), None) => slot.1 = Some(probe),
                        _ => {}
                    }
                }
            }
            Some(Err(KafkaError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => tracing::debug!(error = %e, "probe read"),
        }
    }
    let _ = consumer.unassign();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a whole placement against a partition holding `ts` (timestamps by offset, low
    /// watermark 0) and a broker answering with `broker`.
    fn place_sim(ts: &[i64], from: i64, broker: impl Fn(i64) -> Answer) -> Verdict {
        let high = ts.len() as i64;
        let probe = |o: i64| {
            usize::try_from(o)
                .ok()
                .and_then(|i| ts.get(i))
                .map(|t| Probe {
                    offset: o,
                    timestamp_ms: Some(*t),
                })
        };
        match first_look(0, high, &broker(from)) {
            FirstLook::Settled(v) => v,
            FirstLook::Check(o) => {
                let at = probe(o);
                let recheck = at.and_then(|p| p.timestamp_ms).map(&broker);
                judge(from, o, probe(o - 1), at, recheck.as_ref())
            }
        }
    }

    /// A broker honouring the contract.
    fn kafka(ts: &[i64]) -> impl Fn(i64) -> Answer + '_ {
        move |t| Ok(ts.iter().position(|x| *x >= t).map(|i| i as i64))
    }

    /// Is starting at `v` exact, i.e. no message in the window is before the start?
    fn exact(ts: &[i64], from: i64, v: &Verdict) -> bool {
        match v {
            Verdict::Scan(_) => true,
            Verdict::Start(o) => ts.iter().take(*o as usize).all(|t| *t < from),
        }
    }

    #[test]
    fn a_contract_following_broker_is_trusted_even_with_unordered_timestamps() {
        let ts = [10, 30, 20, 50, 40, 45, 70, 60];
        for from in [15, 25, 35, 41, 50, 65] {
            let v = place_sim(&ts, from, kafka(&ts));
            assert!(matches!(v, Verdict::Start(_)), "from {from}: {v:?}");
            assert!(exact(&ts, from, &v), "from {from}: {v:?}");
        }
        // Window starting before everything: the answer is the low watermark.
        assert_eq!(place_sim(&ts, 0, kafka(&ts)), Verdict::Start(0));
    }

    #[test]
    fn the_mock_cluster_answering_minus_one_is_scanned() {
        let ts = [10, 20, 30];
        assert!(matches!(place_sim(&ts, 15, |_| Ok(None)), Verdict::Scan(_)));
        assert!(matches!(
            place_sim(&ts, 15, |_| Err("unsupported".into())),
            Verdict::Scan(_)
        ));
    }

    #[test]
    fn a_broker_answering_by_write_time_is_caught() {
        // tansu in memory: batches written at 100, 200, 300 (offsets 0-1, 2-3, 4-5); it answers
        // the first batch written after T, or 0 when none was.
        let ts = [150, 1000, 160, 170, 900, 950];
        let batches = [(0, 100), (2, 200), (4, 300)];
        let tansu = |t: i64| {
            Ok(Some(
                batches.iter().find(|(_, w)| *w > t).map_or(0, |(o, _)| *o),
            ))
        };
        // from = 250 skips batch 0-1, though offset 1 (ts 1000) is in the window: the
        // boundary looks fine (ts[3] = 170 < 250, ts[4] = 900) but the second query gives 0.
        let v = place_sim(&ts, 250, tansu);
        assert!(
            matches!(v, Verdict::Scan(ref why) if why.contains("index")),
            "{v:?}"
        );
        for from in [0, 120, 150, 199, 250, 301, 2000] {
            let v = place_sim(&ts, from, tansu);
            assert!(exact(&ts, from, &v), "from {from}: {v:?}");
        }
    }

    #[test]
    fn every_check_rejects_what_it_should() {
        let before_in_window = judge(
            100,
            5,
            Some(Probe {
                offset: 4,
                timestamp_ms: Some(100),
            }),
            Some(Probe {
                offset: 5,
                timestamp_ms: Some(120),
            }),
            Some(&Ok(Some(5))),
        );
        assert!(matches!(before_in_window, Verdict::Scan(ref w) if w.contains("skipped")));
        let too_early = judge(
            100,
            5,
            Some(Probe {
                offset: 4,
                timestamp_ms: Some(50),
            }),
            Some(Probe {
                offset: 5,
                timestamp_ms: Some(60),
            }),
            Some(&Ok(Some(5))),
        );
        assert!(matches!(too_early, Verdict::Scan(_)));
        let gap = judge(
            100,
            5,
            Some(Probe {
                offset: 5,
                timestamp_ms: Some(150),
            }),
            Some(Probe {
                offset: 6,
                timestamp_ms: Some(160),
            }),
            None,
        );
        assert!(matches!(gap, Verdict::Scan(ref w) if w.contains("cannot be read")));
        let no_ts = judge(
            100,
            5,
            Some(Probe {
                offset: 4,
                timestamp_ms: None,
            }),
            None,
            None,
        );
        assert!(matches!(no_ts, Verdict::Scan(_)));
        let ok = judge(
            100,
            5,
            Some(Probe {
                offset: 4,
                timestamp_ms: Some(99),
            }),
            Some(Probe {
                offset: 5,
                timestamp_ms: Some(100),
            }),
            Some(&Ok(Some(5))),
        );
        assert_eq!(ok, Verdict::Start(5));
        assert!(matches!(
            first_look(0, 10, &Ok(Some(10))),
            FirstLook::Settled(Verdict::Scan(_))
        ));
        assert_eq!(
            first_look(3, 3, &Err("x".into())),
            FirstLook::Settled(Verdict::Start(3))
        );
        assert_eq!(
            first_look(3, 10, &Ok(Some(1))),
            FirstLook::Settled(Verdict::Start(3))
        );
    }
}
