//! Who did it to whom, where: source, target and location of a trigger in its sentence.
//!
//! Without a parser we read the shape English news uses: the subject stands before the verb
//! in the same clause (`Israeli forces have withdrawn`), the object after it (`met with Qatar’s
//! Prime Minister`), a possessive names the doer of a noun trigger (`Zelensky’s visit to the
//! United States`), `by` turns a passive around, and `in/at` marks the place.

use crate::extract::actors::resolve::{ActorKind, Mention, Resolved};

use super::lexicon::{TriggerMatch, TriggerPos};

/// The participants of one event. Actor indices into [`Resolved::actors`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roles {
    pub sources: Vec<usize>,
    pub targets: Vec<usize>,
    pub location: Option<usize>,
}

/// Tokens that end a clause when scanning away from a trigger.
fn is_clause_break(w: &str) -> bool {
    matches!(
        w,
        ";" | ":"
            | "—"
            | "–"
            | "that"
            | "which"
            | "who"
            | "while"
            | "whereas"
            | "although"
            | "because"
            | "after"
            | "before"
            | "as"
            | "when"
            | "but"
            | "despite"
            | "amid"
    )
}

/// Assigns roles for `trigger` (token indices relative to the sentence starting at global
/// token `base`), given the sentence's words and the mentions of this sentence.
pub fn assign(
    words: &[&str],
    base: usize,
    trigger: &TriggerMatch,
    mentions: &[&Mention],
    resolved: &Resolved,
) -> Roles {
    let mut roles = Roles::default();
    let rel = |m: &Mention| (m.tok_start - base, m.tok_end - base);
    let participant = |m: &Mention| {
        !m.locative && !m.partial && resolved.actors[m.actor].kind != ActorKind::Location
    };

    // Left: the subject. Scan back to the clause start; take the nearest participant and any
    // participants coordinated with it ("Türkiye, Qatar, and Egypt").
    let mut left_bound = 0;
    for i in (0..trigger.start).rev() {
        if is_clause_break(words[i]) {
            left_bound = i + 1;
            break;
        }
    }
    let before: Vec<&&Mention> = mentions
        .iter()
        .filter(|m| {
            let (s, e) = rel(m);
            s >= left_bound && e <= trigger.start && participant(m)
        })
        .collect();
    let strong_before: Vec<&&Mention> = before.iter().copied().filter(|m| !m.adjectival).collect();
    let pool = if strong_before.is_empty() {
        &before
    } else {
        &strong_before
    };
    if let Some(last) = pool.last() {
        let mut chosen = vec![last.actor];
        let mut edge = rel(last).0;
        for m in pool.iter().rev().skip(1) {
            let (s, e) = rel(m);
            let gap = &words[e..edge];
            if !gap.is_empty() && gap.iter().all(|w| matches!(*w, "," | "and" | "or")) {
                chosen.push(m.actor);
                edge = s;
            } else {
                break;
            }
        }
        chosen.reverse();
        roles.sources = chosen;
    }

    // Right: the object, within the clause and a window.
    let window_end = (trigger.end + 18).min(words.len());
    let mut right_bound = window_end;
    for (i, w) in words.iter().enumerate().take(window_end).skip(trigger.end) {
        // "— particularly through the CMCC —" elaborates the object; it does not end the clause.
        let elaborating = matches!(*w, "—" | "–")
            && words.get(i + 1).is_some_and(|n| {
                matches!(
                    n.to_ascii_lowercase().as_str(),
                    "particularly" | "especially" | "notably" | "including" | "mainly" | "namely"
                )
            });
        if elaborating {
            continue;
        }
        if matches!(
            *w,
            ";" | ":" | "—" | "–" | "which" | "who" | "while" | "whereas" | "but"
        ) {
            right_bound = i;
            break;
        }
    }
    let after: Vec<&&Mention> = mentions
        .iter()
        .filter(|m| {
            let (s, e) = rel(m);
            s >= trigger.end && e <= right_bound && participant(m)
        })
        .collect();
    let strong_after: Vec<&&Mention> = after.iter().copied().filter(|m| !m.adjectival).collect();
    let pool = if strong_after.is_empty() {
        &after
    } else {
        &strong_after
    };
    if let Some(first) = pool.first() {
        let mut chosen = vec![first.actor];
        let mut edge = rel(first).1;
        for m in pool.iter().skip(1) {
            let (s, e) = rel(m);
            let gap = &words[edge..s];
            if !gap.is_empty() && gap.iter().all(|w| matches!(*w, "," | "and" | "or")) {
                chosen.push(m.actor);
                edge = e;
            } else {
                break;
            }
        }
        roles.targets = chosen;
    }

    // A noun trigger's doer is its possessor ("Zelensky’s visit"), which the left scan found
    // if adjacent; a noun trigger with no possessor and "between X and Y" has both as sources.
    if trigger.pos == TriggerPos::Noun
        && trigger.end < words.len()
        && words[trigger.end] == "between"
        && roles.targets.len() >= 2
    {
        roles.sources = std::mem::take(&mut roles.targets);
    }
    // Passive voice: "was attacked by X" -> X is the source.
    if trigger.passive {
        let by = words[trigger.end..right_bound]
            .iter()
            .position(|w| *w == "by");
        if by.is_some() {
            std::mem::swap(&mut roles.sources, &mut roles.targets);
        } else {
            roles.targets = std::mem::take(&mut roles.sources);
        }
    }
    roles.targets.retain(|t| !roles.sources.contains(t));

    // Location: a place after in/at, nearest to the trigger, preferring cities over countries.
    let mut best: Option<(usize, usize)> = None; // (score, actor)
    for m in mentions.iter() {
        if !m.locative {
            continue;
        }
        let kind = resolved.actors[m.actor].kind;
        if !matches!(kind, ActorKind::Location | ActorKind::Country) {
            continue;
        }
        let (s, e) = rel(m);
        let dist = if s >= trigger.end {
            s - trigger.end
        } else {
            trigger.start.saturating_sub(e) + 3
        };
        let score = dist + if kind == ActorKind::Country { 8 } else { 0 };
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, m.actor));
        }
    }
    roles.location = best.map(|(_, a)| a);
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::actors::resolve::Actor;
    use crate::extract::events::lexicon::PloverType;

    /// A sentence for `assign`: its words, its actors and their mentions (token ranges
    /// relative to the sentence; `base` is added as `resolve` does).
    struct Sentence {
        words: Vec<&'static str>,
        resolved: Resolved,
        base: usize,
    }

    impl Sentence {
        fn new(text: &'static str) -> Sentence {
            Sentence {
                words: text.split(' ').collect(),
                resolved: Resolved::default(),
                base: 0,
            }
        }

        /// Adds an actor of `kind` named by words `[start, end)` and returns its index; the
        /// same name again is the same actor.
        fn mention(&mut self, start: usize, end: usize, kind: ActorKind) -> usize {
            self.mention_with(start, end, kind, |_| {})
        }

        fn mention_with(
            &mut self,
            start: usize,
            end: usize,
            kind: ActorKind,
            flags: impl FnOnce(&mut Mention),
        ) -> usize {
            let name = self.words[start..end].join(" ");
            let actors = &mut self.resolved.actors;
            let actor = match actors.iter().position(|a| a.name == name) {
                Some(i) => i,
                None => {
                    actors.push(Actor {
                        name,
                        kind,
                        country: None,
                        title: None,
                        sector: None,
                    });
                    actors.len() - 1
                }
            };
            let mut m = Mention {
                start: 0,
                end: 0,
                tok_start: self.base + start,
                tok_end: self.base + end,
                sentence: 0,
                actor,
                adjectival: false,
                locative: false,
                partial: false,
            };
            flags(&mut m);
            self.resolved.mentions.push(m);
            actor
        }

        fn assign(&self, trigger: &TriggerMatch) -> Roles {
            let mentions: Vec<&Mention> = self.resolved.mentions.iter().collect();
            assign(&self.words, self.base, trigger, &mentions, &self.resolved)
        }
    }

    fn trigger(start: usize, end: usize, pos: TriggerPos, passive: bool) -> TriggerMatch {
        TriggerMatch {
            start,
            end,
            head: end - 1,
            event_type: PloverType::Assault,
            mode: None,
            cameo: None,
            pos,
            passive,
            weight: 1.0,
        }
    }

    fn verb(start: usize, end: usize) -> TriggerMatch {
        trigger(start, end, TriggerPos::Verb, false)
    }

    fn locative(m: &mut Mention) {
        m.locative = true;
    }

    #[test]
    fn the_subject_is_before_the_trigger_the_object_after_and_the_place_after_in() {
        let mut s = Sentence::new("Israel attacked Hamas in Gaza .");
        let israel = s.mention(0, 1, ActorKind::Country);
        let hamas = s.mention(2, 3, ActorKind::Group);
        let gaza = s.mention_with(4, 5, ActorKind::Location, locative);
        assert_eq!(
            s.assign(&verb(1, 2)),
            Roles {
                sources: vec![israel],
                targets: vec![hamas],
                location: Some(gaza),
            }
        );
    }

    #[test]
    fn mention_tokens_count_from_the_sentence_base() {
        let mut s = Sentence::new("Israel attacked Hamas .");
        s.base = 120;
        let israel = s.mention(0, 1, ActorKind::Country);
        let hamas = s.mention(2, 3, ActorKind::Group);
        let roles = s.assign(&verb(1, 2));
        assert_eq!((roles.sources, roles.targets), (vec![israel], vec![hamas]));
    }

    #[test]
    fn coordinated_subjects_and_objects_are_all_taken() {
        let mut s = Sentence::new("Türkiye , Qatar and Egypt urged Israel , Hamas or Jordan");
        let subjects = [
            s.mention(0, 1, ActorKind::Country),
            s.mention(2, 3, ActorKind::Country),
            s.mention(4, 5, ActorKind::Country),
        ];
        let objects = [
            s.mention(6, 7, ActorKind::Country),
            s.mention(8, 9, ActorKind::Group),
            s.mention(10, 11, ActorKind::Country),
        ];
        let roles = s.assign(&verb(5, 6));
        assert_eq!(roles.sources, subjects);
        assert_eq!(roles.targets, objects);
    }

    #[test]
    fn other_words_between_participants_end_the_list() {
        let mut s = Sentence::new("Qatar with Egypt urged Israel to meet Hamas");
        s.mention(0, 1, ActorKind::Country);
        let egypt = s.mention(2, 3, ActorKind::Country);
        let israel = s.mention(4, 5, ActorKind::Country);
        s.mention(7, 8, ActorKind::Group);
        let roles = s.assign(&verb(3, 4));
        assert_eq!(roles.sources, vec![egypt], "the nearest subject only");
        assert_eq!(roles.targets, vec![israel], "the first object only");
    }

    #[test]
    fn a_clause_break_bounds_the_subject() {
        let mut s = Sentence::new("Hamas said that Israel attacked Egypt");
        s.mention(0, 1, ActorKind::Group);
        let israel = s.mention(3, 4, ActorKind::Country);
        let egypt = s.mention(5, 6, ActorKind::Country);
        let roles = s.assign(&verb(4, 5));
        assert_eq!((roles.sources, roles.targets), (vec![israel], vec![egypt]));

        let mut s = Sentence::new("Hamas said that troops attacked Egypt");
        s.mention(0, 1, ActorKind::Group);
        let egypt = s.mention(5, 6, ActorKind::Country);
        let roles = s.assign(&verb(4, 5));
        assert!(roles.sources.is_empty(), "Hamas is in another clause");
        assert_eq!(roles.targets, vec![egypt]);
    }

    #[test]
    fn an_adjective_counts_only_when_no_noun_phrase_does() {
        let mut s = Sentence::new("Israeli envoy Smith criticized Egyptian officer Jones");
        s.mention_with(0, 1, ActorKind::Country, |m| m.adjectival = true);
        let smith = s.mention(2, 3, ActorKind::Person);
        s.mention_with(4, 5, ActorKind::Country, |m| m.adjectival = true);
        let jones = s.mention(6, 7, ActorKind::Person);
        let roles = s.assign(&verb(3, 4));
        assert_eq!((roles.sources, roles.targets), (vec![smith], vec![jones]));

        let mut s = Sentence::new("Israeli strikes hit Egyptian posts");
        let israel = s.mention_with(0, 1, ActorKind::Country, |m| m.adjectival = true);
        let egypt = s.mention_with(3, 4, ActorKind::Country, |m| m.adjectival = true);
        let roles = s.assign(&verb(2, 3));
        assert_eq!((roles.sources, roles.targets), (vec![israel], vec![egypt]));
    }

    #[test]
    fn places_locatives_and_partial_words_are_no_participants() {
        let mut s = Sentence::new("US-backed fighters in Gaza attacked Rafah");
        s.mention_with(0, 1, ActorKind::Country, |m| m.partial = true);
        let gaza = s.mention_with(3, 4, ActorKind::Location, locative);
        s.mention(5, 6, ActorKind::Location);
        assert_eq!(
            s.assign(&verb(4, 5)),
            Roles {
                sources: vec![],
                targets: vec![],
                location: Some(gaza),
            }
        );
    }

    #[test]
    fn the_object_ends_at_a_clause_break_but_not_at_an_elaborating_dash() {
        let mut s = Sentence::new("Egypt supported — particularly Qatar");
        s.mention(0, 1, ActorKind::Country);
        let qatar = s.mention(4, 5, ActorKind::Country);
        assert_eq!(s.assign(&verb(1, 2)).targets, vec![qatar]);

        for text in [
            "Egypt supported — the Qatar",
            "Egypt supported ; Qatar",
            "Egypt supported but Qatar",
            "Egypt supported which Qatar",
        ] {
            let mut s = Sentence::new(text);
            let egypt = s.mention(0, 1, ActorKind::Country);
            let last = s.words.len();
            s.mention(last - 1, last, ActorKind::Country);
            let roles = s.assign(&verb(1, 2));
            assert_eq!(roles.sources, vec![egypt], "{text}");
            assert!(roles.targets.is_empty(), "{text}: {roles:?}");
        }
    }

    #[test]
    fn the_object_is_within_eighteen_words() {
        let mut words = vec!["x"; 24];
        words[1] = "attacked";
        let mut s = Sentence::new("");
        s.words = words;
        s.mention(0, 1, ActorKind::Country);
        s.words[19] = "Hamas";
        s.words[20] = "Egypt";
        let hamas = s.mention(19, 20, ActorKind::Group);
        s.mention(20, 21, ActorKind::Country);
        // Words 2..20 are the window: Hamas ends at its edge, Egypt beyond it.
        assert_eq!(s.assign(&verb(1, 2)).targets, vec![hamas]);
        s.resolved.mentions.remove(1);
        assert!(s.assign(&verb(1, 2)).targets.is_empty());
    }

    #[test]
    fn a_noun_trigger_between_two_parties_has_both_as_sources() {
        let mut s = Sentence::new("talks between Israel and Hamas");
        let parties = vec![
            s.mention(2, 3, ActorKind::Country),
            s.mention(4, 5, ActorKind::Group),
        ];
        let noun = s.assign(&trigger(0, 1, TriggerPos::Noun, false));
        assert_eq!((noun.sources, noun.targets), (parties.clone(), vec![]));
        // A verb keeps them as objects.
        let verb = s.assign(&verb(0, 1));
        assert_eq!((verb.sources, verb.targets), (vec![], parties));

        let mut s = Sentence::new("talks between Israel");
        let israel = s.mention(2, 3, ActorKind::Country);
        let one = s.assign(&trigger(0, 1, TriggerPos::Noun, false));
        assert_eq!((one.sources, one.targets), (vec![], vec![israel]));
    }

    #[test]
    fn a_passive_with_by_turns_around() {
        let mut s = Sentence::new("Hamas was attacked by Israel");
        let hamas = s.mention(0, 1, ActorKind::Group);
        let israel = s.mention(4, 5, ActorKind::Country);
        let roles = s.assign(&trigger(1, 3, TriggerPos::Verb, true));
        assert_eq!((roles.sources, roles.targets), (vec![israel], vec![hamas]));
    }

    #[test]
    fn a_passive_without_by_has_its_subject_as_target() {
        let mut s = Sentence::new("Hamas was attacked");
        let hamas = s.mention(0, 1, ActorKind::Group);
        let roles = s.assign(&trigger(1, 3, TriggerPos::Verb, true));
        assert_eq!((roles.sources, roles.targets), (vec![], vec![hamas]));

        // A "by" past the end of the clause is not the passive's.
        let mut s = Sentence::new("Hamas was attacked ; by Israel");
        let hamas = s.mention(0, 1, ActorKind::Group);
        s.mention(5, 6, ActorKind::Country);
        let roles = s.assign(&trigger(1, 3, TriggerPos::Verb, true));
        assert_eq!((roles.sources, roles.targets), (vec![], vec![hamas]));
    }

    #[test]
    fn a_source_is_not_also_a_target() {
        let mut s = Sentence::new("Israel attacked Israel");
        let israel = s.mention(0, 1, ActorKind::Country);
        assert_eq!(s.mention(2, 3, ActorKind::Country), israel);
        let roles = s.assign(&verb(1, 2));
        assert_eq!((roles.sources, roles.targets), (vec![israel], vec![]));
    }

    #[test]
    fn the_location_is_the_nearest_place_and_a_city_before_a_country() {
        let mut s = Sentence::new("Israel met Hamas in Egypt in Cairo");
        s.mention(0, 1, ActorKind::Country);
        s.mention(2, 3, ActorKind::Group);
        s.mention_with(4, 5, ActorKind::Country, locative);
        let cairo = s.mention_with(6, 7, ActorKind::Location, locative);
        assert_eq!(s.assign(&verb(1, 2)).location, Some(cairo));

        // Only countries: the nearest.
        let mut s = Sentence::new("met in Egypt and in Qatar");
        let egypt = s.mention_with(2, 3, ActorKind::Country, locative);
        s.mention_with(5, 6, ActorKind::Country, locative);
        assert_eq!(s.assign(&verb(0, 1)).location, Some(egypt));

        // A place before the trigger counts three words farther than one after.
        let mut s = Sentence::new("In Cairo , Israel met Hamas in Doha");
        s.mention_with(1, 2, ActorKind::Location, locative);
        s.mention(3, 4, ActorKind::Country);
        s.mention(5, 6, ActorKind::Group);
        let doha = s.mention_with(7, 8, ActorKind::Location, locative);
        assert_eq!(s.assign(&verb(4, 5)).location, Some(doha));
        // Cairo scores 2 + 3, Doha 4, then 5: of equal scores the first mention wins.
        let mut s = Sentence::new("In Cairo , Israel met Hamas and others in Doha");
        s.mention_with(1, 2, ActorKind::Location, locative);
        s.mention(3, 4, ActorKind::Country);
        s.mention(5, 6, ActorKind::Group);
        let doha = s.mention_with(9, 10, ActorKind::Location, locative);
        assert_eq!(s.assign(&verb(4, 5)).location, Some(doha));
        let mut s = Sentence::new("In Cairo , Israel met Hamas and many others in Doha");
        let cairo = s.mention_with(1, 2, ActorKind::Location, locative);
        s.mention(3, 4, ActorKind::Country);
        s.mention(5, 6, ActorKind::Group);
        s.mention_with(10, 11, ActorKind::Location, locative);
        assert_eq!(s.assign(&verb(4, 5)).location, Some(cairo));
    }

    #[test]
    fn only_a_locative_place_or_country_is_a_location() {
        let mut s = Sentence::new("Israel met officials at the UN near Gaza");
        s.mention(0, 1, ActorKind::Country);
        s.mention_with(5, 6, ActorKind::Organization, locative);
        s.mention(7, 8, ActorKind::Location);
        assert_eq!(s.assign(&verb(1, 2)).location, None);
    }

    #[test]
    fn a_trigger_alone_has_no_roles() {
        let s = Sentence::new("attacked");
        assert_eq!(s.assign(&verb(0, 1)), Roles::default());
    }
}
