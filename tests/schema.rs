//! Every emitted record validates against the committed JSON Schema
//! (`schema/timeline.event.v1.json`): the seed article, the bundled samples and a slice of
//! the newswire corpus.

use std::path::Path;

use timeline::article::{self, DecodeLimits};
use timeline::extract::Extractor;

fn lines_of(path: &Path, max: usize) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => t.lines().take(max).map(str::to_string).collect(),
        Err(_) => {
            // In CI `../shared` is always there: a missing file must fail, not skip.
            assert!(
                std::env::var_os("CI").is_none(),
                "{} not found: CI must have ../shared beside the checkout",
                path.display()
            );
            eprintln!("note: {} not found, skipped", path.display());
            Vec::new()
        }
    }
}

/// The committed schema.
fn schema() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/timeline.event.v1.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
        .expect("schema is JSON")
}

#[test]
fn records_match_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let extractor = Extractor::builtin().expect("extractor builds");

    let mut inputs = lines_of(&root.join("../shared/examples/seed-article.jsonl"), 10);
    inputs.extend(lines_of(
        &root.join("../shared/corpus/newswire-2452.jsonl"),
        300,
    ));
    inputs.extend(lines_of(&root.join("data/samples/articles.jsonl"), 1000));
    // An article without a publication time, and one with HTML, exercise the other paths.
    inputs.push(r#"{"id":"no-date","text":"Rebels attacked a convoy near Goma on Monday, the United Nations said."}"#.into());
    inputs.push(r#"{"id":"html","text":"<p>Russia&#8217;s forces shelled Kharkiv on <b>Friday</b>.</p><p>Read more</p>","published_at":"2025-03-07"}"#.into());
    assert!(inputs.len() >= 2);

    let mut records = 0;
    for line in &inputs {
        let Ok(a) = article::decode(line.as_bytes(), &DecodeLimits::default()) else {
            continue;
        };
        for r in extractor.extract(&a, None).records {
            let v = serde_json::to_value(&r).expect("record serializes");
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "record {v} violates the schema: {errors:?}"
            );
            records += 1;
        }
    }
    assert!(records > 0, "no records were produced at all");
}

/// The schema's closed sets are the record enums' values, one definition: a value added to an
/// enum without the schema (or the other way round) fails here, not in a consumer.
#[test]
fn schema_enums_are_the_record_enums() {
    use timeline::record::{ActorKind, DateBasis, Field, LocationKind, Modality, Role};

    let schema = schema();
    let enum_at = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("schema has no enum at {pointer}"))
            .iter()
            .map(|v| v.as_str().expect("enum values are strings").to_string())
            .collect()
    };
    fn names<T: Copy + serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| {
                serde_json::to_value(v)
                    .expect("enum serializes")
                    .as_str()
                    .expect("enum serializes as a string")
                    .to_string()
            })
            .collect()
    }
    let cases = [
        ("/properties/field/enum", names(Field::ALL)),
        (
            "/properties/event/properties/modality/enum",
            names(Modality::ALL),
        ),
        (
            "/properties/date/properties/basis/enum",
            names(DateBasis::ALL),
        ),
        (
            "/properties/location/properties/kind/enum",
            names(LocationKind::ALL),
        ),
        ("/$defs/actor/properties/kind/enum", names(ActorKind::ALL)),
        ("/$defs/actor/properties/role/enum", names(Role::ALL)),
    ];
    for (pointer, ours) in cases {
        assert_eq!(
            enum_at(pointer),
            ours,
            "schema {pointer} differs from the record enum"
        );
    }
}
