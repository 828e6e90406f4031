//! Events: PLOVER-coded actions with source and target actors.

// pub mod roles; (wired when the lexicon lands)

pub mod lexicon;
pub mod modality;
