//! # timeline
//!
//! Turns news articles into dated, actor-coded event records.
//!
//! The crate is split the way the product is drawn:
//!
//! * [`article`] - the input contract: decoding and validating one article.
//! * [`extract`] - the pure extraction core: text in, records out, no I/O, deterministic.
//!   Build one [`extract::Extractor`] and share it across threads (`Send + Sync`).
//! * [`record`] - the output contract (`timeline.event/v1`) and the annotations view.
//! * [`eval`] - scoring the core against gold data (TimeML, CoNLL-2003).
//! * [`stream`] - the Kafka shell (`timeline run`), [`replay`]: the backfill (`timeline replay`).
//! * [`view`] - the live event view: one state per event (`timeline.events`, `/api/events`,
//!   the timeline page).
//!
//! The binary in `src/main.rs` is a thin layer of commands over these modules.

pub mod article;
pub mod eval;
pub mod extract;
pub mod record;
pub mod replay;
pub mod stream;
#[cfg(test)]
mod test_corpus;
pub mod view;

/// The extractor version written into every record and Kafka header.
///
/// Record ids hash this version, so a new extractor gives new ids for changed output while a
/// replay with the same version reproduces the live ids exactly.
pub const EXTRACTOR_VERSION: &str = concat!("timeline-", env!("CARGO_PKG_VERSION"));

/// The schema name of a timeline record, also sent as the `schema` Kafka header.
pub const RECORD_SCHEMA: &str = "timeline.event/v1";
pub mod config;
