//! `timeline eval`: scores the extraction core on gold data and guards the quality bars.
//!
//! * `--timeml DIR`: TimeML documents (TempEval-3 TimeBank/AQUAINT); prints strict, relaxed and
//!   value F1 of time expressions.
//! * `--conll FILE`: a CoNLL-2003 file; prints entity F1 for PER, ORG, LOC (and MISC).
//! * `--events FILE`: gold events (`eval/events/newswire.jsonl`) on articles of `--corpus`;
//!   with `--plover FILE`, PLOVER's example sentences too; prints recall, precision, type,
//!   date, role, location and modality accuracy, and `--errors N` examples per error kind.
//! * `--bars FILE`: a TOML of minimum scores (`eval/bars.toml`); exits 1 when any score is
//!   below its bar, naming it. CI runs this so that quality never silently drops.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;

use timeline::config::Config;
use timeline::eval::{conll, events, identity, timeml};
use timeline::extract::Extractor;
use timeline::extract::actors::ner::NerTagger;
use timeline::extract::time::TimeTagger;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of TimeML (`*.tml`) documents, searched recursively.
    #[arg(long)]
    pub timeml: Option<PathBuf>,
    /// CoNLL-2003 file (`token POS chunk NER`, IOB tags).
    #[arg(long)]
    pub conll: Option<PathBuf>,
    /// Gold events, one article per line (`eval/events/newswire.jsonl`).
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// The articles the gold events were written on.
    #[arg(long, default_value = "../shared/corpus/newswire-2452.jsonl")]
    pub corpus: PathBuf,
    /// PLOVER example sentences with their event (`eval/events/plover_gsr.jsonl`).
    #[arg(long)]
    pub plover: Option<PathBuf>,
    /// Same-event clusters of articles (`eval/identity/clusters.jsonl`): scores fingerprints.
    #[arg(long)]
    pub identity: Option<PathBuf>,
    /// Examples to print per error kind of the event evaluation.
    #[arg(long, default_value_t = 0)]
    pub errors: usize,
    /// Minimum scores (TOML: `[timeml] value_f1 = 80.0`, `[conll] per_org_loc_f1 = 75.0`).
    #[arg(long)]
    pub bars: Option<PathBuf>,
    /// Print the scores as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// The quality bars file: section -> metric -> minimum (percent).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bars {
    #[serde(default)]
    timeml: BTreeMap<String, f64>,
    #[serde(default)]
    conll: BTreeMap<String, f64>,
    #[serde(default)]
    events: BTreeMap<String, f64>,
    #[serde(default)]
    identity: BTreeMap<String, f64>,
}

pub fn main(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    if args.timeml.is_none()
        && args.conll.is_none()
        && args.events.is_none()
        && args.identity.is_none()
    {
        anyhow::bail!(
            "nothing to evaluate: give --timeml DIR, --conll FILE, --events FILE and/or --identity FILE"
        );
    }
    let bars: Bars = match &args.bars {
        Some(p) => toml_from(p)?,
        None => Bars::default(),
    };
    let mut scores: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();

    if let Some(dir) = &args.timeml {
        let tagger = TimeTagger::builtin().context("could not build the time tagger")?;
        let report = timeml::evaluate(dir, &tagger)
            .with_context(|| format!("could not evaluate {}", dir.display()))?;
        if !args.json {
            println!("Time expressions ({}):\n{report}", dir.display());
        }
        scores.insert(
            "timeml".into(),
            BTreeMap::from([
                ("strict_f1".to_string(), report.strict_f1),
                ("relaxed_f1".to_string(), report.relaxed_f1),
                ("value_f1".to_string(), report.value_f1),
            ]),
        );
    }
    if let Some(path) = &args.conll {
        let tagger = NerTagger::builtin().context("could not load the actor tagger")?;
        let report = conll::evaluate(path, &tagger)
            .with_context(|| format!("could not evaluate {}", path.display()))?;
        if !args.json {
            println!("Actors ({}):\n{report}", path.display());
        }
        scores.insert(
            "conll".into(),
            BTreeMap::from([
                ("per_f1".to_string(), report.per.f1),
                ("org_f1".to_string(), report.org.f1),
                ("loc_f1".to_string(), report.loc.f1),
                ("per_org_loc_f1".to_string(), report.micro_per_org_loc.f1),
            ]),
        );
    }
    // One extractor for both event evaluations; building it is the slow part.
    let extractor = if args.events.is_some() || args.identity.is_some() {
        Some(Extractor::new(&config.extract).context("could not build the extractor")?)
    } else {
        None
    };
    if let (Some(gold), Some(extractor)) = (&args.events, &extractor) {
        let report = events::evaluate(
            extractor,
            gold,
            &args.corpus,
            args.plover.as_deref(),
            args.errors,
        )
        .with_context(|| format!("could not evaluate {}", gold.display()))?;
        if !args.json {
            println!("Events ({}):\n{report}", gold.display());
        }
        scores.insert("events".into(), section(report.figures()));
    }
    if let (Some(gold), Some(extractor)) = (&args.identity, &extractor) {
        let report = identity::evaluate(extractor, gold, &args.corpus, args.errors)
            .with_context(|| format!("could not evaluate {}", gold.display()))?;
        if !args.json {
            println!("Event identity ({}):\n{report}", gold.display());
        }
        scores.insert("identity".into(), section(report.figures()));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&scores)?);
    }

    let mut failed = Vec::new();
    for (section, wanted) in [
        ("timeml", &bars.timeml),
        ("conll", &bars.conll),
        ("events", &bars.events),
        ("identity", &bars.identity),
    ] {
        for (metric, bar) in wanted {
            match scores.get(section).and_then(|s| s.get(metric)) {
                Some(score) if *score + 1e-9 >= *bar => {
                    println!("bar ok: {section}.{metric} = {score:.2} >= {bar:.2}");
                }
                Some(score) => failed.push(format!(
                    "{section}.{metric} = {score:.2} is below its bar {bar:.2}"
                )),
                None if scores.contains_key(section) => {
                    anyhow::bail!("bars file names an unknown metric {section}.{metric}")
                }
                None => {}
            }
        }
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for f in &failed {
            eprintln!(
                "quality gate: {f}; fix the regression (or, if intended, lower the bar in the bars file with a reason)"
            );
        }
        Ok(ExitCode::from(1))
    }
}

/// A report's `(metric, percent)` figures as a section of the scores.
fn section(figures: Vec<(&'static str, f64)>) -> BTreeMap<String, f64> {
    figures
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn toml_from(path: &std::path::Path) -> anyhow::Result<Bars> {
    use figment::Figment;
    use figment::providers::{Format, Toml};
    Figment::from(Toml::file_exact(path))
        .extract()
        .with_context(|| format!("invalid bars file {}", path.display()))
}
