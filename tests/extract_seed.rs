//! The seed article (../shared/examples/seed-article.jsonl), as a user would expect it.
//!
//! The article is a regional bulletin of 25 Nov 2025: a main story on ceasefire talks in Cairo,
//! a legal notice, then three short unrelated stories. Each assertion below is one thing a
//! newsroom user reading our output would look for.

use std::path::Path;

use timeline::article::{self, DecodeLimits};
use timeline::extract::Extractor;
use timeline::record::Record;

fn seed_records() -> Option<Vec<Record>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/seed-article.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // In CI `../shared` is always there: a missing seed must fail, not skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} not found: CI must have ../shared beside the checkout",
            path.display()
        );
        eprintln!("skipping: {} not found", path.display());
        return None;
    };
    let line = text.lines().next().expect("seed file has a line");
    let article = article::decode(line.as_bytes(), &DecodeLimits::default()).expect("seed decodes");
    let extractor = Extractor::builtin().expect("extractor builds");
    Some(extractor.extract(&article, None).records)
}

fn show(records: &[Record]) -> String {
    records
        .iter()
        .map(|r| {
            format!(
                "{} {} [{}] date={} ({}) loc={:?} actors={:?} said_by={:?}\n    {}",
                r.event.event_type,
                r.event.trigger,
                r.event.modality,
                r.date.value,
                r.date.basis,
                r.location.as_ref().map(|l| &l.name),
                r.actors
                    .iter()
                    .map(|a| format!("{}:{}:{}:{:?}", a.role, a.name, a.kind, a.country))
                    .collect::<Vec<_>>(),
                r.attribution
                    .as_ref()
                    .map(|a| (a.actor.as_ref().map(|x| x.name.clone()), a.date.clone())),
                r.sentence
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn has_actor(r: &Record, role: &str, name_part: &str) -> bool {
    r.actors
        .iter()
        .any(|a| a.role.as_str() == role && a.name.contains(name_part))
}

fn any_actor(r: &Record, name_part: &str) -> bool {
    r.actors.iter().any(|a| a.name.contains(name_part))
}

#[test]
fn seed_article_timeline() {
    let Some(records) = seed_records() else {
        return;
    };
    let all = show(&records);
    let find = |what: &str, pred: &dyn Fn(&Record) -> bool| {
        assert!(
            records.iter().any(pred),
            "expected {what}; records were:\n{all}"
        );
    };

    find(
        "Kalın meets Qatar's Prime Minister in Cairo on 2025-11-25",
        &|r| {
            r.event.event_type == "CONSULT"
                && has_actor(r, "source", "Kalın")
                && r.actors
                    .iter()
                    .any(|a| a.role.as_str() == "target" && a.country.as_deref() == Some("QAT"))
                && r.location.as_ref().is_some_and(|l| l.name == "Cairo")
                && r.date.value == "2025-11-25"
        },
    );
    find("Kalın is a Turkish person with a title", &|r| {
        r.actors.iter().any(|a| {
            a.name == "İbrahim Kalın"
                && a.kind.as_str() == "person"
                && a.country.as_deref() == Some("TUR")
                && a.title.is_some()
        })
    });
    find("Hassan Rashad of Egypt attends", &|r| {
        r.actors
            .iter()
            .any(|a| a.name == "Hassan Rashad" && a.country.as_deref() == Some("EGY"))
    });
    find("the agreement to intensify coordination", &|r| {
        matches!(r.event.event_type.as_str(), "AGREE" | "COOPERATE")
            && r.sentence.contains("intensify")
    });
    find("Israeli forces withdraw behind the Yellow Line", &|r| {
        r.event.event_type == "RETREAT"
            && r.sentence.contains("Yellow Line")
            && r.actors
                .iter()
                .any(|a| a.role.as_str() == "source" && a.country.as_deref() == Some("ISR"))
    });
    find("Israeli forces retrieve remains", &|r| {
        r.sentence.contains("retrieved") && any_actor(r, "Israel")
    });
    // PLOVER codes events, not statements: a statement shows as the attribution of the
    // events it reports.
    let said_by = |r: &Record, who: &str| {
        r.attribution
            .as_ref()
            .and_then(|a| a.actor.as_ref())
            .is_some_and(|a| a.name.contains(who))
    };
    find("Hamas's statement", &|r| said_by(r, "Hamas"));
    find("the UN's concern over US-Venezuela tension", &|r| {
        has_actor(r, "source", "United Nations") && r.sentence.contains("Venezuela")
    });
    find("Umerov's announcement on Tuesday", &|r| {
        said_by(r, "Umerov")
            && r.attribution.as_ref().and_then(|a| a.date.as_deref()) == Some("2025-11-25")
    });
    find("Zelensky's planned November visit to meet Trump", &|r| {
        any_actor(r, "Zelensky")
            && r.event.modality.as_str() == "planned"
            && r.date.value.starts_with("2025-11")
            && r.sentence.contains("Trump")
    });
    find("the war's start in October 2023", &|r| {
        r.event.event_type == "ASSAULT" && r.date.value == "2023-10"
    });
    find("the Gaza death-toll report", &|r| {
        r.sentence.contains("death toll") && r.date.value == "2025-11-25"
    });

    for r in &records {
        assert!(
            !r.sentence.contains("LEGAL WARNING") && !r.sentence.contains("All rights"),
            "a record came from the legal notice:\n{}",
            show(std::slice::from_ref(r))
        );
        assert!(
            !r.sentence.contains("(ILKHA)"),
            "agency tag leaked: {}",
            r.sentence
        );
    }
    // Dates of the three glued stories must not leak into each other: the UN story has no
    // date of its own, so it takes the publication date, not the Cairo story's.
    for r in records.iter().filter(|r| r.sentence.contains("Venezuela")) {
        assert_ne!(
            r.date.basis.as_str(),
            "inherited",
            "{}",
            show(std::slice::from_ref(r))
        );
    }
}

#[test]
fn seed_ids_are_deterministic_and_unique() {
    let (Some(a), Some(b)) = (seed_records(), seed_records()) else {
        return;
    };
    assert_eq!(a, b, "two runs gave different records");
    let mut ids: Vec<&str> = a.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "record ids are not unique");
}
