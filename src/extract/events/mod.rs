//! Events: PLOVER-coded actions with source and target actors.

pub mod attribution;
pub mod roles;

pub mod lexicon;
pub mod modality;
