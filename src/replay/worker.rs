//! One replayed message on the extraction pool: the stream service's [`process`] (same
//! decoding, same reference-time rule, so the same record ids), then its records to the chosen
//! output topic with the replay headers, or the message to the dead-letter topic.
//!
//! [`process`]: crate::stream::process::process

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{debug, warn};

use crate::article::{Limits, ReferenceTime};
use crate::extract::Extractor;
use crate::stream::message::InputMessage;
use crate::stream::metrics::Metrics;
use crate::stream::process::{Outcome, process, process_with_reference};
use crate::stream::publish::Publisher;
use crate::stream::tracker::Ticket;

use super::checkpoint::{Ledger, Totals};
use super::replay_headers;

/// Where an article without `published_at` takes its reference time from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The Kafka message timestamp, as the live service does.
    MessageTimestamp,
    /// A fixed time (`--reference-time` of a file replay), or none.
    Fixed(Option<ReferenceTime>),
}

/// What a pool thread needs. Cheap to clone (all shared).
#[derive(Clone)]
pub struct Worker {
    pub extractor: Arc<Extractor>,
    pub limits: Limits,
    pub publisher: Arc<Publisher>,
    pub metrics: Arc<Metrics>,
    /// Counts for the checkpoint totals (Kafka replays only).
    pub ledger: Option<Arc<Ledger>>,
    pub output_topic: Arc<str>,
    pub name: Arc<str>,
    pub reference: Reference,
    /// Set by a kill: drop the work like a crashed process would.
    pub killed: Arc<AtomicBool>,
}

impl Worker {
    /// Processes and sends one message; the ticket finishes once everything sent for it is
    /// acknowledged.
    pub fn run(&self, input: &InputMessage, ticket: &Arc<Ticket>) {
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        let r = match self.reference {
            Reference::MessageTimestamp => process(&self.extractor, &self.limits, input),
            Reference::Fixed(at) => {
                process_with_reference(&self.extractor, &self.limits, input, at)
            }
        };
        self.metrics
            .extraction_seconds
            .observe(r.extraction_time.as_secs_f64());
        let counts = match &r.outcome {
            Outcome::Records { records, .. } => Totals {
                messages: 1,
                in_window: 1,
                records: records.len() as u64,
                dead_letters: 0,
            },
            Outcome::DeadLetter(_) => Totals {
                messages: 1,
                in_window: 1,
                records: 0,
                dead_letters: 1,
            },
        };
        if let Some(l) = &self.ledger {
            l.note(&ticket.tp, input.offset, counts);
        }
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        match &r.outcome {
            Outcome::Records {
                article_id,
                records,
                skipped,
            } => {
                if let Some(reason) = skipped {
                    self.metrics.skipped.inc();
                    debug!(%article_id, %reason, "article skipped");
                }
                for rec in records {
                    let headers = replay_headers(article_id, &self.name);
                    if let Err(e) =
                        self.publisher
                            .send_record(&self.output_topic, rec, headers, Some(ticket))
                    {
                        warn!(error = %e, "record not sent; this message stays unfinished");
                    }
                }
            }
            Outcome::DeadLetter(d) => {
                if let Err(e) = self.publisher.send_dead_letter(input, d, Some(ticket)) {
                    warn!(error = %e, "dead letter not sent; this message stays unfinished");
                }
            }
        }
        ticket.part_done();
    }
}
