//! Replayed messages on the extraction pool: the stream service's processing, in batches as
//! it does ([`process_batch`]: same decoding, same reference-time rule, so the same record
//! ids), then each message's records to the chosen output topic with the replay headers, or
//! the message to the dead-letter topic.
//!
//! [`process_batch`]: crate::stream::process::process_batch

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{debug, warn};

use crate::article::{DecodeLimits, ReferenceTime};
use crate::extract::Extractor;
use crate::stream::batch::Batches;
use crate::stream::message::InputMessage;
use crate::stream::metrics::Metrics;
use crate::stream::process::{Outcome, Processed, message_reference, process_batch};
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
    pub limits: DecodeLimits,
    pub publisher: Arc<Publisher>,
    pub metrics: Arc<Metrics>,
    /// Counts for the checkpoint totals (Kafka replays only).
    pub ledger: Option<Arc<Ledger>>,
    pub output_topic: Arc<str>,
    pub name: Arc<str>,
    pub reference: Reference,
    /// Set by a kill: drop the work like a crashed process would.
    pub killed: Arc<AtomicBool>,
    /// Messages waiting for a pool thread, which takes them in batches.
    pub batches: Arc<Batches<Job>>,
}

impl Worker {
    /// Processes a batch of messages together, then sends each one's outcome; a ticket
    /// finishes once everything sent for it is acknowledged.
    pub fn run(&self, jobs: Vec<Job>) {
        if self.killed.load(Ordering::Acquire) {
            return;
        }
        let msgs: Vec<_> = jobs
            .iter()
            .map(|(input, _)| {
                let fallback = match self.reference {
                    Reference::MessageTimestamp => message_reference(input),
                    Reference::Fixed(at) => at,
                };
                (input, fallback)
            })
            .collect();
        let results = process_batch(&self.extractor, &self.limits, &msgs);
        for ((input, ticket), r) in jobs.iter().zip(results) {
            self.finish(input, ticket, &r);
        }
    }

    /// Queues one message and its ticket for the pool (see [`Batches`]).
    pub fn spawn(&self, pool: &rayon::ThreadPool, input: InputMessage, ticket: Arc<Ticket>) {
        let w = self.clone();
        self.batches
            .spawn(pool, (input, ticket), move |jobs| w.run(jobs));
    }

    fn finish(&self, input: &InputMessage, ticket: &Arc<Ticket>, r: &Processed) {
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
                if let Some(dead) = self.publisher.oversized(records) {
                    if let Err(e) = self.publisher.send_dead_letter(input, &dead, Some(ticket)) {
                        warn!(error = %e, "dead letter not sent; this message stays unfinished");
                    }
                    ticket.part_done();
                    return;
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

/// A message waiting for the pool, with its ticket.
pub type Job = (InputMessage, Arc<Ticket>);
