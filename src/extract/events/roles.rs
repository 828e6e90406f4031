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
