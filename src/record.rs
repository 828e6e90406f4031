//! The output contract: timeline records (`timeline.event/v1`) and the per-article annotations
//! view used for evaluation and debugging.
//!
//! Field names here are the public interface of the product: dashboards, the JSON Schema in
//! `schema/timeline.event.v1.json` and the docs all use these names. Change them only with a
//! new schema version.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Declares a closed set of values of the contract: the enum, its serde names (the strings
/// of the JSON Schema, checked against it by `tests/schema.rs`), `as_str` and `ALL`.
macro_rules! contract_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value as written in records.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

contract_enum! {
    /// The field of the article a span points into.
    Field {
        Text => "text",
        Title => "title",
    }
}

contract_enum! {
    /// Did the event happen (asserted), is it only attributed to a source (reported),
    /// announced for later (planned), denied (negated), or conditional (hypothetical)?
    Modality {
        /// Stated as a fact by the text itself.
        Asserted => "asserted",
        /// Attributed to a source ("officials said", "reportedly", "according to").
        Reported => "reported",
        /// Announced or intended for later ("will meet", "plans to", "upcoming visit").
        Planned => "planned",
        /// Denied or said not to have happened ("did not attack", "refused to meet").
        Negated => "negated",
        /// Conditional or possible ("if", "could", "threatened to").
        Hypothetical => "hypothetical",
    }
}

contract_enum! {
    /// Where an event's date came from.
    DateBasis {
        /// A time expression written out in full ("25 November 2025").
        Explicit => "explicit",
        /// A time expression anchored on the publication time ("on Tuesday").
        Relative => "relative",
        /// The date of an earlier sentence of the same story.
        Inherited => "inherited",
        /// No date found: the publication date stands in.
        Publication => "publication",
    }
}

contract_enum! {
    /// The kind of an actor.
    ActorKind {
        Person => "person",
        Organization => "organization",
        Country => "country",
        Location => "location",
        Group => "group",
    }
}

contract_enum! {
    /// An actor's part in an event.
    Role {
        /// Who acts (PLOVER source).
        Source => "source",
        /// Who is acted upon (PLOVER target).
        Target => "target",
        /// Neither: the speaker of an attribution.
        Other => "other",
    }
}

contract_enum! {
    /// The kind of an event's location.
    LocationKind {
        /// A city, region or other place below a state.
        Place => "place",
        Country => "country",
    }
}

contract_enum! {
    /// The TIMEX3 `type` of a time expression.
    TimexKind {
        Date => "DATE",
        Time => "TIME",
        Duration => "DURATION",
        Set => "SET",
    }
}

/// One dated event, as published to the timeline topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`crate::RECORD_SCHEMA`]; lets consumers of a mixed topic tell records apart.
    pub schema: String,
    /// Deterministic: a hash of the article id, the extractor version and the event's position
    /// and content. The same article through the same extractor always gives the same ids, so a
    /// replay upserts instead of duplicating.
    pub id: String,
    /// The same for the same event told by different articles: a hash of the event type, the
    /// day and the canonical actors. Dashboards count one event with N mentions by it.
    pub fingerprint: String,
    /// The coarse identity of the event, what a dashboard should count events by: a hash of
    /// the type (SANCTION read as COERCE), the day and the parties as one unordered set: their
    /// states when they belong to two states or more, the one state and the names of its
    /// organisations and groups when they belong to one, their folded names when none has a
    /// state. Reports of one event by different outlets agree on it far more often than
    /// on `fingerprint` (who did what to whom), at the price of more unrelated events of the
    /// same type, day and states sharing it.
    pub event_key: String,
    pub article: ArticleRef,
    pub event: EventInfo,
    pub date: DateInfo,
    pub actors: Vec<ActorRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRef>,
    /// Who reports the event ("Hamas stated that ..."), and when they said it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// The sentence the event was found in.
    pub sentence: String,
    /// `[start, end)` of the trigger's sentence in Unicode code points of the article `text`
    /// (or of the `title` when `field` is `title`).
    pub span: [usize; 2],
    /// Where `span` points.
    pub field: Field,
    /// 0..1: how sure the extractor is of type, actors and date together.
    pub confidence: f32,
    pub extractor: ExtractorInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
}

/// The article an event came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRef {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The reference time used for relative dates (from the article, the command line or the
    /// Kafka message timestamp), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    /// PLOVER event type, e.g. `CONSULT`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// PLOVER mode within the type (e.g. `visit` for CONSULT), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The words that signalled the event, as written.
    pub trigger: String,
    pub modality: Modality,
    /// The CAMEO code of the matched pattern, for users migrating from CAMEO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cameo: Option<String>,
}

/// When it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateInfo {
    /// TIMEX3 value, e.g. `2025-11-25`, `2025-11`, `2023-10`; `XXXX-XX-XX` when unknown.
    pub value: String,
    /// First instant the value covers, RFC 3339 in the publication's offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// First instant after the value, RFC 3339 (the interval is `[start, end)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// `year|quarter|month|week|day|...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    /// The time expression as written, when the date came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub basis: DateBasis,
    /// False when the date could not be anchored (a relative expression, or no date at all,
    /// in an article without a publication time); `value` is then underspecified.
    pub resolved: bool,
}

/// Someone or something taking part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorRef {
    /// Canonical name, the same for every mention in the article.
    pub name: String,
    pub kind: ActorKind,
    pub role: Role,
    /// ISO 3166-1 alpha-3, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// A person's title or an organization's sector, e.g. `President`, `Director`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Agent sector for collective actors ("Israeli forces" -> `military`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
}

/// Who says the event happened: the speaker of "X said/stated/announced ..." or
/// "according to X". PLOVER codes the event, not the statement; this keeps the statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The speaker, as an actor (role `other`); absent for "officials said" with no name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<ActorRef>,
    /// The attribution words as written ("announced", "according to").
    pub cue: String,
    /// When the statement was made (TIMEX3 value), if the sentence says ("announced on Tuesday").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Where it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub kind: LocationKind,
}

/// Which extractor produced the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractorInfo {
    pub version: String,
}

/// The annotations view of one article (`timeline extract --annotations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotations {
    pub article_id: String,
    /// Set when the article was skipped as a whole (e.g. not English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub times: Vec<TimeAnnotation>,
    pub actors: Vec<ActorAnnotation>,
    pub events: Vec<Record>,
}

/// One time expression, spans in code points of the field it was found in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeAnnotation {
    pub start: usize,
    pub end: usize,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: TimexKind,
    pub value: String,
    #[serde(rename = "mod", skip_serializing_if = "Option::is_none")]
    pub modifier: Option<String>,
    #[serde(default = "text_field", skip_serializing_if = "is_text_field")]
    pub field: Field,
}

/// One actor mention, spans in code points of the field it was found in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorAnnotation {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub kind: ActorKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default = "text_field", skip_serializing_if = "is_text_field")]
    pub field: Field,
}

fn text_field() -> Field {
    Field::Text
}

fn is_text_field(f: &Field) -> bool {
    *f == Field::Text
}
