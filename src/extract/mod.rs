//! The extraction core: one article in, timeline records out. Pure: no I/O, deterministic.
//!
//! Stages, each in its own folder:
//! * [`text`] - preparation (HTML, NFC, boilerplate, stories, sentences, tokens)
//! * [`time`] - time expressions (TIMEX3), rules as data tables in `data/time/`
//! * [`actors`] - people, organizations, countries, places (tagger + gazetteer)
//! * [`events`] - PLOVER events with source, target, date, location and modality
//!
//! The [`Extractor`] holds every compiled table and model. Build it once (it takes a moment) and
//! share it by reference across threads: it is `Send + Sync` and extraction takes `&self`.

pub mod actors;
mod config;
pub mod events;
pub mod hash;
mod pipeline;
pub mod text;
pub mod time;

pub use config::ExtractConfig;

use crate::article::{Article, ReferenceTime};
use crate::record::{Annotations, Record};

/// Why an extractor could not be built. Extraction itself never fails: bad articles are
/// refused earlier by [`crate::article::decode`], and odd text just yields fewer records.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A built-in or user table could not be compiled.
    #[error("{component}: {message}")]
    Tables {
        component: &'static str,
        message: String,
    },
    #[error("actor dictionary {path}: {source}; check `extract.actor_dictionaries` in the config")]
    Dictionary {
        path: String,
        source: std::io::Error,
    },
}

/// The result of extracting one article.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// Timeline records, in text order.
    pub records: Vec<Record>,
    /// Set when the article was skipped as a whole, with the reason (e.g. not English).
    pub skipped: Option<String>,
    /// The annotations view (times, actors, events with code-point spans), when the extractor
    /// was asked for it ([`Extractor::annotating`]); `None` otherwise.
    pub annotations: Option<Annotations>,
}

/// The compiled extraction core. See the module docs.
pub struct Extractor {
    pipeline: pipeline::Pipeline,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor").finish_non_exhaustive()
    }
}

impl Extractor {
    /// Builds the extractor with the built-in tables, models and no user dictionaries.
    pub fn builtin() -> Result<Extractor, ExtractError> {
        Extractor::with_dictionaries(&ExtractConfig::default(), &[])
    }

    /// Builds the extractor from config, reading the user actor dictionaries it names.
    ///
    /// This is the only place the core touches the file system, and only at start-up.
    pub fn new(config: &ExtractConfig) -> Result<Extractor, ExtractError> {
        let mut dictionaries = Vec::with_capacity(config.actor_dictionaries.len());
        for path in &config.actor_dictionaries {
            let text =
                std::fs::read_to_string(path).map_err(|source| ExtractError::Dictionary {
                    path: path.display().to_string(),
                    source,
                })?;
            dictionaries.push((path.display().to_string(), text));
        }
        Extractor::with_dictionaries(config, &dictionaries)
    }

    /// Builds the extractor from config and user dictionaries given as `(origin, TSV text)`.
    pub fn with_dictionaries(
        config: &ExtractConfig,
        dictionaries: &[(String, String)],
    ) -> Result<Extractor, ExtractError> {
        Ok(Extractor {
            pipeline: pipeline::Pipeline::new(config, dictionaries)?,
        })
    }

    /// The same extractor, also building the annotations view of every article (what
    /// `timeline extract --annotations` writes). Off by default: the view copies every span's
    /// text, name and record once more, which the stream service and the records output never
    /// read.
    pub fn annotating(mut self) -> Extractor {
        self.pipeline.set_annotations(true);
        self
    }

    /// Extracts one article. `fallback_reference` is used when the article has no
    /// `published_at` (the `--reference-time` flag, or the Kafka message timestamp).
    pub fn extract(
        &self,
        article: &Article,
        fallback_reference: Option<ReferenceTime>,
    ) -> Extraction {
        self.pipeline.run(article, fallback_reference)
    }

    /// Extracts several articles, each with its fallback reference time; the same results as
    /// [`extract`](Self::extract) on each, in order, but faster: the batch goes through each
    /// stage in turn, so that a stage's tables stay in the CPU caches across articles.
    /// [`batch_size`] says how many articles to give it at a time.
    pub fn extract_batch(&self, batch: &[(&Article, Option<ReferenceTime>)]) -> Vec<Extraction> {
        self.pipeline.run_batch(batch)
    }
}

/// Fewest and most articles per [`Extractor::extract_batch`] call that [`batch_size`] picks.
const MIN_BATCH: usize = 32;
const MAX_BATCH: usize = 256;

/// How many articles to hand [`Extractor::extract_batch`] at a time when `pending` articles
/// are shared by `workers` threads: as many as lets each worker take at least four batches
/// (so that the workers finish together), between 32 and 256.
///
/// Why large: each stage's tables (the time rules' automata, the gazetteer, the tagger's
/// weights: several MB each) are evicted by the other stages', and a batch pays for that
/// once per stage, so larger batches extract faster (docs/performance.md has 256 against 32).
/// Batches larger than 256 gain nothing more, while what a batch holds between stages grows
/// with them.
pub fn batch_size(pending: usize, workers: usize) -> usize {
    (pending / (4 * workers.max(1))).clamp(MIN_BATCH, MAX_BATCH)
}

/// Asks the CPU to start loading the cache line that holds `r`, so that a read of it a
/// little later finds it there: for table lookups whose addresses are known well before
/// their values are needed. A hint only: it changes no result (and is a no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address, and SSE (which has it) is
    // part of baseline x86-64.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(r).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_large_but_leave_every_worker_several() {
        assert_eq!(batch_size(1024, 1), 256);
        assert_eq!(batch_size(1024, 2), 128);
        assert_eq!(batch_size(1024, 64), 32);
        assert_eq!(batch_size(10, 1), 32);
        assert_eq!(batch_size(1024, 0), 256);
    }

    #[test]
    fn a_batch_gives_what_one_by_one_gives() {
        let x = Extractor::builtin().expect("builtin tables");
        let mut titled = Article::new(
            "b",
            "Israeli forces withdrew behind the Yellow Line on Tuesday, the army said.",
        );
        titled.title = Some("Qatar's Prime Minister met Kalın in Cairo".into());
        titled.published_at = ReferenceTime::parse("2025-11-25T14:30:00+03:00");
        let mut french = Article::new("c", "Le ministre a rencontré son homologue mardi.");
        french.language = Some("fr".into());
        let articles = [
            Article::new(
                "a",
                "Hamas said on Monday it had handed over the remains. Zelensky will visit \
                 Washington in November to meet Trump.",
            ),
            titled,
            french,
            Article::new("d", ""),
        ];
        let fallback = ReferenceTime::parse("2025-11-20");
        let batch: Vec<_> = articles.iter().map(|a| (a, fallback)).collect();
        let together = x.extract_batch(&batch);
        assert_eq!(together.len(), articles.len());
        for (a, got) in articles.iter().zip(&together) {
            assert_eq!(*got, x.extract(a, fallback), "{}", a.id);
        }
        assert!(together.iter().map(|e| e.records.len()).sum::<usize>() >= 3);
        assert!(together[2].skipped.is_some());
    }

    #[test]
    fn annotations_only_when_asked_for() {
        let mut a = Article::new(
            "a",
            "Israeli forces withdrew behind the Yellow Line on Tuesday, the army said.",
        );
        a.title = Some("Qatar's Prime Minister met Kalın in Cairo".into());
        a.published_at = ReferenceTime::parse("2025-11-25T14:30:00+03:00");
        let plain = Extractor::builtin().expect("builtin tables");
        let without = plain.extract(&a, None);
        assert!(without.annotations.is_none());
        let annotating = Extractor::builtin().expect("builtin tables").annotating();
        let with = annotating.extract(&a, None);
        // The view changes nothing else, and carries the same records as its events.
        assert_eq!(with.records, without.records);
        let view = with.annotations.expect("annotations were asked for");
        assert_eq!(view.events, with.records);
        assert_eq!(view.article_id, "a");
        assert!(
            view.times
                .iter()
                .any(|t| t.value == "2025-11-25" && t.field == crate::record::Field::Text)
        );
        assert!(
            view.actors
                .iter()
                .any(|m| m.name == "Cairo" && m.field == crate::record::Field::Title)
        );
        assert!(!with.records.is_empty());
        let mut french = Article::new("f", "Le ministre a rencontré son homologue mardi.");
        french.language = Some("fr".into());
        let skipped = annotating.extract(&french, None);
        assert!(skipped.annotations.and_then(|v| v.skipped).is_some());
    }

    #[test]
    fn the_speaker_of_according_to_follows_the_cue() {
        let x = Extractor::builtin().expect("builtin tables");
        for text in [
            "Israeli forces attacked Gaza on Tuesday, according to Hamas.",
            "According to Hamas, Israeli forces attacked Gaza on Tuesday.",
        ] {
            let mut a = Article::new("a", text);
            a.published_at = ReferenceTime::parse("2025-11-25T14:30:00+03:00");
            let records = x.extract(&a, None).records;
            let said_by: Vec<_> = records
                .iter()
                .map(|r| {
                    r.attribution
                        .as_ref()
                        .and_then(|at| at.actor.as_ref())
                        .map(|actor| actor.name.as_str())
                })
                .collect();
            assert!(!said_by.is_empty(), "{text}: no event");
            assert!(
                said_by.iter().all(|s| *s == Some("Hamas")),
                "{text}: {said_by:?}"
            );
        }
    }

    #[test]
    fn extractor_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Extractor>();
    }
}
