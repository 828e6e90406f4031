//! The pipeline that runs every stage over one article and builds the records.
//!
//! Order: clean (HTML, NFC) -> segment (boilerplate, stories, sentences, tokens) -> time
//! expressions -> actors -> triggers -> roles, modality and date per trigger -> records.
//! The title and the body go through the same steps; records say which `field` they came from.

use chrono::{FixedOffset, Offset, Utc};

use super::actors::gazetteer::Gazetteer;
use super::actors::ner::NerTagger;
use super::actors::resolve::{self, Resolved};
use super::events::attribution::{Attributions, Cue, SpeakerSide};
use super::events::lexicon::{TriggerLexicon, TriggerMatch, TriggerPos};
use super::events::{modality, roles};
use super::text::markup;
use super::text::offsets::CodePoints;
use super::text::segment::{Segmented, Segmenter};
use super::time::{self as timex, TimeTagger, Timex, TimexKind};
use super::{ExtractConfig, ExtractError, Extraction};
use crate::article::{Article, ReferenceTime, is_english};
use crate::record::{
    ActorAnnotation, ActorKind, ActorRef, Annotations, ArticleRef, Attribution, DateBasis,
    DateInfo, EventInfo, ExtractorInfo, Field, LocationKind, LocationRef, Modality, Record, Role,
    TimeAnnotation,
};
use crate::{EXTRACTOR_VERSION, RECORD_SCHEMA};

pub(crate) struct Pipeline {
    config: ExtractConfig,
    segmenter: Segmenter,
    time: TimeTagger,
    ner: NerTagger,
    gazetteer: Gazetteer,
    lexicon: TriggerLexicon,
    attributions: Attributions,
    /// Build the annotations view as well (see [`super::Extractor::annotating`]).
    annotations: bool,
}

fn tables<E: std::fmt::Display>(component: &'static str) -> impl FnOnce(E) -> ExtractError {
    move |e| ExtractError::Tables {
        component,
        message: e.to_string(),
    }
}

impl Pipeline {
    pub(crate) fn new(
        config: &ExtractConfig,
        dictionaries: &[(String, String)],
    ) -> Result<Pipeline, ExtractError> {
        Ok(Pipeline {
            config: config.clone(),
            segmenter: Segmenter::builtin().map_err(tables("boilerplate rules"))?,
            time: TimeTagger::builtin().map_err(tables("time rules"))?,
            ner: NerTagger::builtin().map_err(tables("actor tagger model"))?,
            gazetteer: Gazetteer::builtin_with(dictionaries).map_err(tables("actor gazetteer"))?,
            lexicon: TriggerLexicon::builtin().map_err(tables("event trigger lexicon"))?,
            attributions: Attributions::builtin().map_err(tables("attribution cues"))?,
            annotations: false,
        })
    }

    pub(crate) fn set_annotations(&mut self, on: bool) {
        self.annotations = on;
    }

    pub(crate) fn run(&self, article: &Article, fallback: Option<ReferenceTime>) -> Extraction {
        let mut job = self.prepare(article, fallback);
        self.tag_times(&mut job);
        self.resolve_actors(&mut job);
        self.finish(job)
    }

    /// Extracts a batch of articles stage by stage: every article's text preparation, then
    /// every article's time expressions, then actors, then events and records. Each stage's
    /// tables (the time rules' automata, the gazetteer, the tagger's weights) then stay in the
    /// CPU caches from one article to the next instead of evicting each other within every
    /// article (docs/performance.md has the gain over going article by article, with
    /// [`batch_size`](super::batch_size) articles). The results are those of
    /// [`run`](Self::run), which goes through the same stages.
    pub(crate) fn run_batch(&self, batch: &[(&Article, Option<ReferenceTime>)]) -> Vec<Extraction> {
        let mut jobs: Vec<Job> = batch
            .iter()
            .map(|&(article, fallback)| self.prepare(article, fallback))
            .collect();
        for job in &mut jobs {
            self.tag_times(job);
        }
        for job in &mut jobs {
            self.resolve_actors(job);
        }
        jobs.into_iter().map(|job| self.finish(job)).collect()
    }

    /// The first stage: the reference time, and each field (title, then text) cleaned and
    /// segmented; or why the article is skipped as a whole.
    fn prepare<'a>(&self, article: &'a Article, fallback: Option<ReferenceTime>) -> Job<'a> {
        let reference = article.published_at.or(fallback);
        let fields = match &article.language {
            Some(lang) if self.config.skip_non_english && !is_english(lang) => Err(format!(
                "language {lang:?} is not English; only English is extracted"
            )),
            _ => Ok(article
                .title
                .as_deref()
                .map(|t| (Field::Title, t))
                .into_iter()
                .chain(std::iter::once((Field::Text, article.text.as_str())))
                .map(|(name, original)| {
                    let cleaned = markup::clean(original);
                    let seg = self.segmenter.segment(&cleaned.text);
                    FieldText {
                        name,
                        original,
                        cleaned,
                        seg,
                        times: Vec::new(),
                        resolved: Resolved::default(),
                    }
                })
                .collect()),
        };
        Job {
            article,
            reference,
            fields,
        }
    }

    /// The time expressions of each field, boilerplate left out.
    fn tag_times(&self, job: &mut Job) {
        for f in job.fields.iter_mut().flatten() {
            f.times = self.time.tag(&f.cleaned.text, job.reference.as_ref());
            f.times.retain(|t| !f.seg.is_excluded(t.start, t.end));
        }
    }

    /// The actors of each field.
    fn resolve_actors(&self, job: &mut Job) {
        let day = job.reference.map(|r| r.instant.date_naive());
        for f in job.fields.iter_mut().flatten() {
            f.resolved = resolve::resolve(&f.cleaned.text, &f.seg, &self.ner, &self.gazetteer, day);
        }
        // The title (first, when there is one) is read with what the body knows.
        if let Ok(fields) = &mut job.fields
            && let [title, body] = fields.as_mut_slice()
            && title.name == Field::Title
        {
            resolve::read_with_body(&mut title.resolved, &body.resolved.actors);
        }
        // The body with itself: a short form its resolution left apart joins its full name.
        if let Ok(fields) = &mut job.fields
            && let Some(body) = fields.last_mut()
        {
            resolve::link_short_forms(&mut body.resolved);
        }
    }

    /// The last stage: events, records and annotations of an article.
    fn finish(&self, job: Job) -> Extraction {
        let Job {
            article,
            reference,
            fields,
        } = job;
        let mut annotations = Annotations {
            article_id: article.id.clone(),
            skipped: None,
            times: Vec::new(),
            actors: Vec::new(),
            events: Vec::new(),
        };
        let fields = match fields {
            Ok(fields) => fields,
            Err(reason) => {
                annotations.skipped = Some(reason.clone());
                return Extraction {
                    records: Vec::new(),
                    skipped: Some(reason),
                    annotations: self.annotations.then_some(annotations),
                };
            }
        };
        let article_ref = ArticleRef {
            id: article.id.clone(),
            url: article.url.clone(),
            source: article.source.clone(),
            published_at: reference.map(|r| r.to_string_lossless()),
            title: article.title.clone(),
        };
        let mut records = Vec::new();
        for field in &fields {
            self.finish_field(
                field,
                reference,
                article,
                &article_ref,
                &mut records,
                &mut annotations,
            );
        }
        records.retain(|r| r.confidence >= self.config.min_confidence);
        let annotations = self.annotations.then(|| Annotations {
            events: records.clone(),
            ..annotations
        });
        Extraction {
            records,
            skipped: None,
            annotations,
        }
    }

    /// Annotations, events and records of one field.
    fn finish_field(
        &self,
        f: &FieldText,
        reference: Option<ReferenceTime>,
        article: &Article,
        article_ref: &ArticleRef,
        records: &mut Vec<Record>,
        ann: &mut Annotations,
    ) {
        let field = f.name;
        let cleaned = &f.cleaned;
        let text = cleaned.text.as_str();
        let seg = &f.seg;
        let times = &f.times;
        let resolved = &f.resolved;
        let cps = CodePoints::new(f.original);
        let to_cp = |b: usize| cps.at(cleaned.map.to_original(b));

        if self.annotations {
            annotate(f, &to_cp, ann);
        }

        let offset = reference
            .map(|r| *r.instant.offset())
            .unwrap_or_else(|| Utc.fix());
        // One sweep over sentences and times (both in text order) gives each sentence its own
        // dates and the date it would inherit; per-event lookups are then O(1).
        let mut sentence_times = Vec::with_capacity(seg.sentences.len());
        let mut inherited = Vec::with_capacity(seg.sentences.len());
        let mut last_usable: Option<usize> = None;
        let mut story = usize::MAX;
        for sentence in &seg.sentences {
            if sentence.story != story {
                story = sentence.story;
                last_usable = None;
            }
            let from = times.partition_point(|t| t.start < sentence.range.start);
            let to = from + times[from..].partition_point(|t| t.end <= sentence.range.end);
            sentence_times.push(from..to);
            inherited.push(last_usable);
            if !sentence.headline
                && let Some(k) = (from..to)
                    .rev()
                    .find(|&k| is_event_date(&times[k]) && times[k].resolved)
            {
                last_usable = Some(k);
            }
        }
        let ctx = FieldContext {
            field,
            text,
            seg,
            times,
            sentence_times,
            inherited,
            resolved,
            reference,
            offset,
            article,
            article_ref,
        };
        let mut words: Vec<&str> = Vec::with_capacity(64);
        for (si, sentence) in seg.sentences.iter().enumerate() {
            if seg.is_all_excluded(sentence.range.start, sentence.range.end) {
                continue;
            }
            // Sub-headings in a body repeat what the paragraphs tell; the title is its own field.
            if sentence.headline && field == Field::Text {
                continue;
            }
            words.clear();
            words.extend(
                seg.tokens[sentence.tokens.clone()]
                    .iter()
                    .map(|t| t.text(text)),
            );
            // Mentions are in sentence order: this sentence's are one slice.
            let m_from = resolved.mentions.partition_point(|m| m.sentence < si);
            let m_to = m_from + resolved.mentions[m_from..].partition_point(|m| m.sentence <= si);
            let mentions: Vec<&resolve::Mention> = resolved.mentions[m_from..m_to].iter().collect();
            let toks = &seg.tokens[sentence.tokens.clone()];
            let base = sentence.tokens.start;
            let cue = self.attributions.find(&words);
            let speaker = cue.and_then(|c| speaker_of(&words, base, &c, &mentions, resolved));
            let mut coded: Vec<(TriggerMatch, roles::Roles)> = Vec::new();
            // Lower-cased forms and lemmas, once per sentence for triggers and modality cues.
            let prepared = self.lexicon.prepare_with_ids(
                &words,
                resolved
                    .word_ids
                    .get(sentence.tokens.clone())
                    .unwrap_or_default(),
                self.ner.vocab_id(),
            );
            for trigger in self.lexicon.find_prepared(&prepared) {
                if cue.is_some_and(|c| trigger.start < c.end && c.start < trigger.end) {
                    continue; // the statement itself is not an event
                }
                if trigger.pos == TriggerPos::Noun
                    && !noun_has_argument(&words, base, &trigger, &mentions, resolved)
                {
                    continue; // "the ceasefire window": a topic, not an event
                }
                let mut roles = roles::assign(&words, base, &trigger, &mentions, resolved);
                // "met X in Cairo to discuss ...", "voiced concern ..., calling on ...": a purpose
                // or participle clause shares the doer of the main verb.
                if trigger.start > 0
                    && (words[trigger.start - 1].eq_ignore_ascii_case("to")
                        || (words[trigger.start - 1] == ","
                            && words[trigger.start].ends_with("ing")))
                    && let Some((_, main)) = coded.iter().rev().find(|(t, r)| {
                        t.pos == TriggerPos::Verb && t.end < trigger.start && !r.sources.is_empty()
                    })
                {
                    roles.sources = main.sources.clone();
                    roles.targets.retain(|t| !roles.sources.contains(t));
                    if roles.location.is_none() {
                        roles.location = main.location;
                    }
                }
                if roles.sources.is_empty() && roles.targets.is_empty() && roles.location.is_none()
                {
                    continue; // an event nobody did anywhere: not worth a record
                }
                // The same event told twice in one sentence ("held talks ... the talks").
                if coded.iter().any(|(t, r)| {
                    t.event_type == trigger.event_type
                        && r.sources == roles.sources
                        && r.targets == roles.targets
                }) {
                    continue;
                }
                coded.push((trigger, roles));
            }
            let modalities = modality::modalities_prepared(&prepared, coded.iter().map(|(t, _)| t));
            for ((trigger, roles), modality) in coded.iter().zip(modalities) {
                let trig_start = toks[trigger.start].start;
                let trig_end = toks[trigger.end - 1].end;
                let date = ctx.date_for(si, trig_start);
                let mut record = ctx.record(
                    si, trigger, roles, modality, date, trig_start, trig_end, &to_cp,
                );
                if let Some(c) = cue {
                    record.attribution = Some(ctx.attribution(&c, speaker, toks));
                }
                records.push(record);
            }
        }
    }
}

/// The times and actor mentions of one field in the annotations view, spans in code points of
/// the field as written.
fn annotate(f: &FieldText, to_cp: &dyn Fn(usize) -> usize, ann: &mut Annotations) {
    let text = f.cleaned.text.as_str();
    for t in &f.times {
        ann.times.push(TimeAnnotation {
            start: to_cp(t.start),
            end: to_cp(t.end),
            text: text[t.start..t.end].to_string(),
            kind: t.kind,
            value: t.value.clone(),
            modifier: t.modifier.clone(),
            field: f.name,
        });
    }
    for m in &f.resolved.mentions {
        let a = &f.resolved.actors[m.actor];
        ann.actors.push(ActorAnnotation {
            start: to_cp(m.start),
            end: to_cp(m.end),
            text: text[m.start..m.end].to_string(),
            kind: a.kind,
            name: a.name.clone(),
            country: a.country.clone(),
            title: a.title.clone(),
            field: f.name,
        });
    }
}

/// One article on its way through the stages (see [`Pipeline::run_batch`]).
struct Job<'a> {
    article: &'a Article,
    /// The reference time of relative dates.
    reference: Option<ReferenceTime>,
    /// The fields, or why the article is skipped as a whole.
    fields: Result<Vec<FieldText<'a>>, String>,
}

/// One field of an article (`title` or `text`) through the text stages.
struct FieldText<'a> {
    name: Field,
    /// The field as written; annotation spans are code points of it.
    original: &'a str,
    cleaned: markup::Cleaned,
    seg: Segmented,
    /// Time expressions outside boilerplate.
    times: Vec<Timex>,
    resolved: Resolved,
}

/// Everything the record builder needs about one field of one article.
struct FieldContext<'a> {
    field: Field,
    text: &'a str,
    seg: &'a Segmented,
    times: &'a [Timex],
    /// Per sentence: the range of `times` inside it.
    sentence_times: Vec<std::ops::Range<usize>>,
    /// Per sentence: the story's last usable date before it (index into `times`).
    inherited: Vec<Option<usize>>,
    resolved: &'a Resolved,
    reference: Option<ReferenceTime>,
    offset: FixedOffset,
    article: &'a Article,
    article_ref: &'a ArticleRef,
}

/// Is this time expression a usable event date?
fn is_event_date(t: &Timex) -> bool {
    matches!(t.kind, TimexKind::Date | TimexKind::Time)
        && !t.value.ends_with("_REF")
        && t.value
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit())
}

impl FieldContext<'_> {
    /// The date of an event at byte `at` in sentence `si`: the nearest date in the sentence,
    /// else the story's last date before it, else the publication date.
    fn date_for(&self, si: usize, at: usize) -> DateInfo {
        let in_sentence = self.times[self.sentence_times[si].clone()]
            .iter()
            .filter(|t| is_event_date(t))
            .min_by_key(|t| {
                if t.start >= at {
                    t.start - at
                } else {
                    // Dates before the trigger are a little further than those after it
                    // ("met on Tuesday" vs "Tuesday's meeting" both work; after wins ties).
                    (at - t.end) + 2
                }
            });
        if let Some(t) = in_sentence {
            let basis = if t.relative {
                DateBasis::Relative
            } else {
                DateBasis::Explicit
            };
            return self.date_info(t, basis);
        }
        // The story's last date, from earlier sentences of the same story.
        if let Some(i) = self.inherited[si] {
            return self.date_info(&self.times[i], DateBasis::Inherited);
        }
        match self.reference {
            Some(r) => {
                let day = r.instant.date_naive();
                let value = day.format("%Y-%m-%d").to_string();
                let b = timex::bounds(&value, *r.instant.offset());
                DateInfo {
                    value,
                    start: b.as_ref().map(|b| b.start.to_rfc3339()),
                    end: b.as_ref().map(|b| b.end.to_rfc3339()),
                    granularity: b.map(|b| b.granularity.as_str().to_string()),
                    text: None,
                    basis: DateBasis::Publication,
                    resolved: true,
                }
            }
            None => DateInfo {
                value: "XXXX-XX-XX".into(),
                start: None,
                end: None,
                granularity: None,
                text: None,
                basis: DateBasis::Publication,
                resolved: false,
            },
        }
    }

    fn date_info(&self, t: &Timex, basis: DateBasis) -> DateInfo {
        let b = timex::bounds(&t.value, self.offset);
        DateInfo {
            value: t.value.clone(),
            start: b.as_ref().map(|b| b.start.to_rfc3339()),
            end: b.as_ref().map(|b| b.end.to_rfc3339()),
            granularity: b.map(|b| b.granularity.as_str().to_string()),
            text: Some(self.text[t.start..t.end].to_string()),
            basis,
            resolved: t.resolved,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        si: usize,
        trigger: &super::events::lexicon::TriggerMatch,
        roles: &roles::Roles,
        modality: Modality,
        date: DateInfo,
        trig_start: usize,
        trig_end: usize,
        to_cp: &dyn Fn(usize) -> usize,
    ) -> Record {
        let sentence = &self.seg.sentences[si];
        let actor_ref = |id: usize, role: Role| {
            let a = &self.resolved.actors[id];
            ActorRef {
                name: a.name.clone(),
                kind: a.kind,
                role,
                country: a.country.clone(),
                title: a.title.clone(),
                sector: a.sector.clone(),
            }
        };
        let mut actors: Vec<ActorRef> = roles
            .sources
            .iter()
            .map(|&a| actor_ref(a, Role::Source))
            .collect();
        actors.extend(roles.targets.iter().map(|&a| actor_ref(a, Role::Target)));
        let location = roles.location.map(|id| {
            let a = &self.resolved.actors[id];
            LocationRef {
                name: a.name.clone(),
                country: a.country.clone(),
                kind: match a.kind {
                    ActorKind::Country => LocationKind::Country,
                    _ => LocationKind::Place,
                },
            }
        });
        let event_type = trigger.event_type.as_str();
        let span = [to_cp(sentence.range.start), to_cp(sentence.range.end)];
        let id = hash_hex(&[
            self.article.id.as_str(),
            EXTRACTOR_VERSION,
            self.field.as_str(),
            &to_cp(trig_start).to_string(),
            event_type,
        ]);
        let mut sources: Vec<&str> = roles
            .sources
            .iter()
            .map(|&a| self.resolved.actors[a].name.as_str())
            .collect();
        sources.sort_unstable();
        let mut targets: Vec<&str> = roles
            .targets
            .iter()
            .map(|&a| self.resolved.actors[a].name.as_str())
            .collect();
        targets.sort_unstable();
        let day: String = date.value.chars().take(10).collect();
        let fingerprint = hash_hex(&[event_type, &day, &sources.join(","), &targets.join(",")]);
        let event_key = event_key(
            event_type,
            &day,
            roles
                .sources
                .iter()
                .chain(&roles.targets)
                .map(|&a| &self.resolved.actors[a]),
            roles
                .location
                .and_then(|id| self.resolved.actors[id].country.as_deref()),
        );

        let mut confidence = 0.3 + 0.2 * trigger.weight.clamp(0.0, 1.0);
        if !roles.sources.is_empty() {
            confidence += 0.2;
        }
        if !roles.targets.is_empty() {
            confidence += 0.1;
        }
        if matches!(date.basis, DateBasis::Explicit | DateBasis::Relative) {
            confidence += 0.15;
        }
        if roles.location.is_some() {
            confidence += 0.05;
        }
        if sentence.headline {
            confidence -= 0.1;
        }
        let confidence = (confidence.clamp(0.0, 1.0) * 100.0).round() / 100.0;

        Record {
            schema: RECORD_SCHEMA.to_string(),
            id,
            fingerprint,
            event_key,
            article: self.article_ref.clone(),
            event: EventInfo {
                event_type: event_type.to_string(),
                mode: trigger.mode.as_ref().map(|m| m.to_string()),
                trigger: self.text[trig_start..trig_end].to_string(),
                modality,
                cameo: trigger.cameo.clone(),
            },
            date,
            actors,
            location,
            attribution: None,
            sentence: self.text[sentence.range.clone()].to_string(),
            span,
            field: self.field,
            confidence,
            extractor: ExtractorInfo {
                version: EXTRACTOR_VERSION.to_string(),
            },
            meta: self.article.meta.clone(),
        }
    }
}

impl FieldContext<'_> {
    /// The attribution of a sentence's events: the speaker and the statement's own date.
    fn attribution(
        &self,
        cue: &Cue,
        speaker: Option<usize>,
        toks: &[super::text::tokens::Token],
    ) -> Attribution {
        let cue_start = toks[cue.start].start;
        let cue_end = toks[cue.end - 1].end;
        // "announced on Tuesday", "reported Tuesday": a date right after the cue.
        let next = self.times.partition_point(|t| t.start < cue_end);
        let date = self
            .times
            .get(next)
            .filter(|t| is_event_date(t))
            .filter(|t| {
                let gap = self.text.get(cue_end..t.start).unwrap_or("");
                gap.len() <= 4 && gap.trim().chars().all(|c| c.is_alphabetic())
            })
            .map(|t| t.value.clone());
        Attribution {
            actor: speaker.map(|id| {
                let a = &self.resolved.actors[id];
                ActorRef {
                    name: a.name.clone(),
                    kind: a.kind,
                    role: Role::Other,
                    country: a.country.clone(),
                    title: a.title.clone(),
                    sector: a.sector.clone(),
                }
            }),
            cue: self.text[cue_start..cue_end].to_string(),
            date,
        }
    }
}

/// The speaker of an attribution cue: the nearest actor before "said" (or after "said" in
/// "said X", or after "according to").
fn speaker_of(
    words: &[&str],
    base: usize,
    cue: &Cue,
    mentions: &[&resolve::Mention],
    resolved: &Resolved,
) -> Option<usize> {
    let person_like = |m: &&&resolve::Mention| {
        !m.locative && resolved.actors[m.actor].kind != resolve::ActorKind::Location
    };
    match cue.side {
        SpeakerSide::After => mentions
            .iter()
            .filter(|m| m.tok_start >= base + cue.end && m.tok_start <= base + cue.end + 3)
            .find(|m| {
                // The cue's own "to" makes the mention right after it look like a place
                // ("according to Hamas"); a preposition after the cue still does ("according
                // to officials in Gaza").
                let right_after = words[cue.end..m.tok_start - base]
                    .iter()
                    .all(|w| w.eq_ignore_ascii_case("the"));
                resolved.actors[m.actor].kind != resolve::ActorKind::Location
                    && (!m.locative || right_after)
            })
            .map(|m| m.actor),
        SpeakerSide::Before => {
            let before = mentions
                .iter()
                .filter(person_like)
                .filter(|m| m.tok_end <= base + cue.start && m.tok_end + 4 >= base + cue.start)
                .rfind(|m| {
                    // Nothing but modifiers between the speaker and the verb ("Hamas also said").
                    words[m.tok_end - base..cue.start]
                        .iter()
                        .all(|w| !matches!(*w, "," | ";" | "—" | "that" | "and"))
                });
            before.map(|m| m.actor).or_else(|| {
                mentions
                    .iter()
                    .filter(person_like)
                    .find(|m| m.tok_start == base + cue.end)
                    .map(|m| m.actor)
            })
        }
    }
}

/// A noun trigger names an event only with a participant attached: a possessor or adjective
/// ("Zelensky’s visit", "Israeli bombardments") or a prepositional argument ("attack on Kyiv",
/// "talks with Hamas"). Without one it is a topic ("the ceasefire window").
fn noun_has_argument(
    words: &[&str],
    base: usize,
    trigger: &TriggerMatch,
    mentions: &[&resolve::Mention],
    resolved: &Resolved,
) -> bool {
    let start = base + trigger.start;
    let end = base + trigger.end;
    let participants: Vec<&&resolve::Mention> = mentions
        .iter()
        .filter(|m| !m.partial && resolved.actors[m.actor].kind != resolve::ActorKind::Location)
        .collect();
    let mentions = participants;
    let before = mentions.iter().any(|m| {
        m.tok_end == start
            || (m.tok_end + 1 == start
                && matches!(
                    words.get(start - 1 - base),
                    Some(&"’s" | &"'s" | &"’" | &"'")
                ))
    });
    if before {
        return true;
    }
    let window = &words[trigger.end..(trigger.end + 4).min(words.len())];
    window.iter().enumerate().any(|(k, w)| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "on" | "against" | "with" | "between" | "by" | "of" | "from" | "in" | "to" | "among"
        ) && mentions
            .iter()
            .any(|m| m.tok_start > end + k && m.tok_start <= end + k + 4)
    })
}

/// A short, stable hash of the parts (blake3, 128 bits, hex). Parts are length-prefixed so
/// ("ab","c") and ("a","bc") differ.
fn hash_hex(parts: &[&str]) -> String {
    // One buffer and one `hash` call: the same bytes as updating part by part, without the
    // hasher's per-update work (two records' ids per event, each a few short parts).
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for p in parts {
        bytes.extend_from_slice(&(p.len() as u64).to_le_bytes());
        bytes.extend_from_slice(p.as_bytes());
    }
    let hex = blake3::hash(&bytes).to_hex();
    hex.as_str()[..32].to_string()
}

/// The coarse identity of an event, the key a dashboard counts events by: the type (with
/// [`key_type`]'s merges), the day and the parties at the level different reports agree on,
/// as one unordered set:
///
/// * parties of two states or more: their states (ISO 3166 codes), so that "Bush met Maliki",
///   "Maliki arrived for talks with Bush" and "US and Iraqi leaders met" are one event;
/// * parties of one state (a domestic event, or one side named): that state and the folded
///   names of the organisations and groups among the parties, so that a clash of Hamas with
///   Fatah is not one with the presidential guard of the same day; persons and the state's own
///   name are left out, as reports name different people of the same bodies ("Abbas", "the
///   president", "a minister");
/// * parties without any state: their names folded to lower-case letters and digits ("Kim
///   Moon-soo" = "Kim Moon Soo").
///
/// With no party at all, the location's state stands in, so two unrelated events of one type
/// and day do not share a key only for lack of parties. The fine `fingerprint` keeps who did
/// what to whom.
fn event_key<'a>(
    event_type: &str,
    day: &str,
    parties: impl Iterator<Item = &'a resolve::Actor>,
    location_country: Option<&str>,
) -> String {
    let parties: Vec<&resolve::Actor> = parties.collect();
    // States when parties of two states or more take part: reports of one event name
    // different people and bodies of the same states ("Prikhodko", "the WTO" beside Russia
    // and the United States) far more often than different states.
    let mut states: Vec<String> = parties.iter().filter_map(|a| a.country.clone()).collect();
    states.sort_unstable();
    states.dedup();
    let mut keys: Vec<String> = match states.len() {
        0 => parties
            .iter()
            .map(|a| fold_name(&a.name))
            .filter(|k| !k.is_empty())
            .collect(),
        // One state: the bodies acting within it tell its events apart. Codes are upper-case,
        // folded names lower-case: they cannot collide.
        1 => {
            let bodies = parties
                .iter()
                .filter(|a| {
                    matches!(
                        a.kind,
                        resolve::ActorKind::Organization | resolve::ActorKind::Group
                    )
                })
                .map(|a| fold_name(&a.name))
                .filter(|k| !k.is_empty());
            states.into_iter().chain(bodies).collect()
        }
        _ => states,
    };
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty()
        && let Some(c) = location_country
    {
        keys.push(format!("@{c}"));
    }
    hash_hex(&[key_type(event_type), day, &keys.join(",")])
}

/// The event type as [`event_key`] reads it: SANCTION and COERCE are one, as reports of one
/// measure disagree between them ("imposed an economic blockade", PLOVER's COERCE `restrict`;
/// "sanctions", SANCTION). Other types are kept apart: outlets telling one happening as ACCUSE
/// and as REJECT, or as PROTEST and ASSAULT, are rarer than two near events of those types.
fn key_type(event_type: &str) -> &str {
    match event_type {
        "SANCTION" => "COERCE",
        t => t,
    }
}

/// A name folded for comparison across spellings: lower-case letters and digits only, accents
/// removed ("Kim Moon-soo", "Kim Moon Soo" and "kim moonsoo" fold alike).
fn fold_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfkd()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(name: &str, country: Option<&str>) -> resolve::Actor {
        resolve::Actor {
            name: name.into(),
            kind: resolve::ActorKind::Person,
            country: country.map(str::to_owned),
            title: None,
            sector: None,
        }
    }

    /// Reports of one meeting that name its parties differently share the event key: roles
    /// swapped, a person or a state for the same state, extra bodies beside the states.
    #[test]
    fn event_key_is_the_parties_states_as_a_set() {
        let bush = actor("George W. Bush", Some("USA"));
        let maliki = actor("Nuri al Maliki", Some("IRQ"));
        let us = actor("United States", Some("USA"));
        let wto = actor("World Trade Organization", None);
        let key = |parties: &[&resolve::Actor]| {
            event_key("CONSULT", "2006-11-30", parties.iter().copied(), None)
        };
        let k = key(&[&bush, &maliki]);
        assert_eq!(k, key(&[&maliki, &bush]));
        assert_eq!(k, key(&[&maliki, &us]));
        assert_eq!(k, key(&[&us, &maliki, &wto]));
        assert_ne!(k, key(&[&bush]));
        assert_ne!(
            k,
            event_key("CONSULT", "2006-12-01", [&bush, &maliki].into_iter(), None)
        );
        assert_ne!(
            k,
            event_key("ASSAULT", "2006-11-30", [&bush, &maliki].into_iter(), None)
        );
    }

    /// Parties of one state: its organisations and groups tell its events apart, its persons
    /// and its own name do not.
    #[test]
    fn event_key_of_one_state_keeps_its_bodies() {
        let body = |name: &str, kind| resolve::Actor {
            kind,
            ..actor(name, Some("PSE"))
        };
        let hamas = body("Hamas", resolve::ActorKind::Group);
        let fatah = body("Fatah", resolve::ActorKind::Organization);
        let abbas = body("Mahmoud Abbas", resolve::ActorKind::Person);
        let palestine = body("Palestine", resolve::ActorKind::Country);
        let key = |parties: &[&resolve::Actor]| {
            event_key("ASSAULT", "2006-12-17", parties.iter().copied(), None)
        };
        // Hamas against the president's guard and Hamas alone: one event.
        assert_eq!(key(&[&hamas, &abbas]), key(&[&hamas]));
        assert_eq!(key(&[&hamas, &palestine]), key(&[&hamas]));
        // Fatah against Hamas the same day: another one.
        assert_ne!(key(&[&fatah, &hamas]), key(&[&hamas]));
        assert_ne!(key(&[&fatah]), key(&[&hamas]));
        // Persons of the state only: the state.
        assert_eq!(key(&[&abbas]), key(&[&palestine]));
        // A second state: states only, bodies left out.
        let israel = actor("Israel", Some("ISR"));
        assert_eq!(key(&[&israel, &hamas]), key(&[&israel, &fatah]));
        assert_ne!(key(&[&israel, &hamas]), key(&[&hamas]));
    }

    /// SANCTION and COERCE share the key, other types do not.
    #[test]
    fn event_key_reads_sanction_as_coerce() {
        let parties = [actor("Russia", Some("RUS")), actor("Georgia", Some("GEO"))];
        let key = |t: &str| event_key(t, "2006-09", parties.iter(), None);
        assert_eq!(key("SANCTION"), key("COERCE"));
        assert_ne!(key("ACCUSE"), key("REJECT"));
        assert_ne!(key("COERCE"), key("ASSAULT"));
    }

    #[test]
    fn event_key_folds_names_without_a_state() {
        let a = actor("Kim Moon-soo", None);
        let b = actor("Kim Moon Soo", None);
        let c = actor("Kim Móon Soo", None);
        let key = |x: &resolve::Actor| event_key("SUPPORT", "2025-06-03", [x].into_iter(), None);
        assert_eq!(key(&a), key(&b));
        assert_eq!(key(&a), key(&c));
        assert_ne!(key(&a), key(&actor("Lee Jae-myung", None)));
        // No party: the location's state keeps unrelated events apart.
        assert_ne!(
            event_key("ASSAULT", "2025-06-03", std::iter::empty(), Some("IRQ")),
            event_key("ASSAULT", "2025-06-03", std::iter::empty(), Some("AFG"))
        );
    }

    /// Where one core's time goes, stage by stage, over the newswire corpus (bodies):
    /// `cargo test --release --lib stage_times -- --ignored --nocapture`.
    ///
    /// First the time tagger alone, three passes over the corpus: the first pass also builds
    /// the states of the rules' lazy DFAs, the later ones show the warm cost. Then each stage
    /// on its own, article by article, and the whole pipeline on the same article: a stage
    /// runs with the caches as the other stages leave them, as it does in production.
    #[test]
    #[ignore]
    fn stage_times() {
        use std::time::{Duration, Instant};
        let Some(articles) = crate::test_corpus::articles() else {
            return;
        };
        let p = Pipeline::new(&ExtractConfig::default(), &[]).expect("builtin tables");
        let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
        let mb_s = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
        for pass in 0..3 {
            let s = Instant::now();
            for a in &articles {
                let cleaned = markup::clean(&a.text);
                std::hint::black_box(p.time.tag(&cleaned.text, a.published_at.as_ref()));
            }
            let d = s.elapsed();
            eprintln!(
                "time tagger alone, pass {pass}: {d:.1?} ({:.1} MB/s)",
                mb_s(d)
            );
        }
        let mut t = [Duration::ZERO; 5];
        for a in &articles {
            let s = Instant::now();
            let cleaned = markup::clean(&a.text);
            t[0] += s.elapsed();
            let text = cleaned.text.as_str();
            let s = Instant::now();
            let seg = p.segmenter.segment(text);
            t[1] += s.elapsed();
            let s = Instant::now();
            let times = p.time.tag(text, a.published_at.as_ref());
            t[2] += s.elapsed();
            let s = Instant::now();
            let day = a.published_at.map(|r| r.instant.date_naive());
            let resolved = resolve::resolve(text, &seg, &p.ner, &p.gazetteer, day);
            t[3] += s.elapsed();
            let s = Instant::now();
            let out = p.run(a, None);
            t[4] += s.elapsed();
            std::hint::black_box((times, resolved, out));
        }
        let names = [
            "markup",
            "segmentation",
            "time expressions",
            "actors (gazetteer + tagger)",
            "whole pipeline",
        ];
        for (n, d) in names.iter().zip(t) {
            eprintln!(
                "{n:>28}: {:7.1} ms  {:6.1} MB/s",
                d.as_secs_f64() * 1e3,
                mb_s(d)
            );
        }
        eprintln!(
            "{} articles, {:.2} MB of text",
            articles.len(),
            bytes as f64 / 1e6
        );
    }
}
