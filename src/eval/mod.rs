//! Evaluation of the extraction core against gold data.

pub mod conll;
pub mod events;
pub mod identity;
pub mod timeml;
