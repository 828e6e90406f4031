//! Actors: who is named in the text, resolved to canonical names, kinds and countries.

pub mod gazetteer;
mod name_index;
pub mod ner;
pub mod resolve;
