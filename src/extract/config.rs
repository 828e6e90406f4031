//! Configuration of the extraction core (the `[extract]` section of `config/default.toml`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings of the extraction core. Every field has a default; see `config/default.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Longest article `text` accepted, in bytes. Longer articles are rejected (dead letter),
    /// because one giant message must not hold a worker for seconds.
    pub max_text_bytes: usize,
    /// Longest article `id` accepted, in bytes.
    pub max_id_bytes: usize,
    /// Extra actor dictionaries (TSV, same columns as `data/gazetteer/people.tsv`), e.g. your
    /// own officials, companies or armed groups with aliases, kind, country and validity dates.
    pub actor_dictionaries: Vec<PathBuf>,
    /// Records below this confidence (0..1) are not emitted.
    pub min_confidence: f32,
    /// Skip articles whose `language` is set and is not English (with a reason) instead of
    /// extracting noise from them.
    pub skip_non_english: bool,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            max_text_bytes: 1 << 20,
            max_id_bytes: 512,
            actor_dictionaries: Vec::new(),
            min_confidence: 0.0,
            skip_non_english: true,
        }
    }
}

impl ExtractConfig {
    /// The decoding limits these settings imply.
    pub fn limits(&self) -> crate::article::Limits {
        crate::article::Limits {
            max_text_bytes: self.max_text_bytes,
            max_id_bytes: self.max_id_bytes,
        }
    }
}
