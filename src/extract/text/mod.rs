//! Text preparation: turning an article body into clean, segmented text whose offsets map back
//! to the original.
//!
//! * [`markup`] - HTML removal and NFC, with an offset map back to the received text
//! * [`segment`] - boilerplate, stories and sentences (rules in `data/text/boilerplate.tsv`)
//! * [`tokens`] - Penn-Treebank-style word tokens
//! * [`offsets`] - byte offsets to Unicode code points for output spans

pub mod markup;
pub mod offsets;
pub mod segment;
pub mod tokens;
