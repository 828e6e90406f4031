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
    /// Longest article `meta` object accepted, in bytes of compact JSON. `meta` is copied into
    /// every record, and a record must stay under the producer's `message.max.bytes`.
    pub max_meta_bytes: usize,
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
            max_meta_bytes: 16 << 10,
            actor_dictionaries: Vec::new(),
            min_confidence: 0.0,
            skip_non_english: true,
        }
    }
}

impl ExtractConfig {
    /// The decoding limits these settings imply.
    pub fn limits(&self) -> crate::article::DecodeLimits {
        crate::article::DecodeLimits {
            max_text_bytes: self.max_text_bytes,
            max_id_bytes: self.max_id_bytes,
            max_meta_bytes: self.max_meta_bytes,
        }
    }

    /// Checks the values beyond their types, naming the field at fault: a zero limit would
    /// refuse every article, a confidence outside 0..1 every record or none.
    pub fn validate(&self) -> Result<(), String> {
        for (field, v) in [
            ("max_text_bytes", self.max_text_bytes),
            ("max_id_bytes", self.max_id_bytes),
            ("max_meta_bytes", self.max_meta_bytes),
        ] {
            if v == 0 {
                return Err(format!(
                    "`extract.{field}`: must be greater than 0 (0 would refuse every article)"
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(format!(
                "`extract.min_confidence`: {} is outside 0..1",
                self.min_confidence
            ));
        }
        Ok(())
    }
}
