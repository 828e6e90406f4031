//! Tagger tests on a fixed reference time: 2025-11-25T14:30:00+03:00, a Tuesday.

use super::*;
use once_cell::sync::Lazy;

static TAGGER: Lazy<TimeTagger> = Lazy::new(|| match TimeTagger::builtin() {
    Ok(t) => t,
    Err(e) => panic!("builtin rules must load: {e}"),
});

fn reference() -> ReferenceTime {
    ReferenceTime::parse("2025-11-25T14:30:00+03:00").expect("valid reference")
}

/// (surface, type, value, mod) of every timex in `text`, anchored on the reference.
fn tag(text: &str) -> Vec<(String, &'static str, String, Option<String>)> {
    TAGGER
        .tag(text, Some(&reference()))
        .into_iter()
        .map(|t| {
            (
                text[t.start..t.end].to_string(),
                t.kind.as_str(),
                t.value,
                t.modifier,
            )
        })
        .collect()
}

/// The single timex whose surface is `expr` in `text`: (type, value, mod).
fn one(text: &str, expr: &str) -> (&'static str, String, Option<String>) {
    let all = tag(text);
    match all.iter().find(|(s, ..)| s == expr) {
        Some((_, k, v, m)) => (*k, v.clone(), m.clone()),
        None => panic!("`{expr}` not tagged in {text:?}; got {all:?}"),
    }
}

fn value(text: &str, expr: &str) -> String {
    one(text, expr).1
}

#[test]
fn builtin_tables_load() {
    assert!(TAGGER.rule_count() > 50);
}

#[test]
fn explicit_dates_in_news_formats() {
    for (text, expr) in [
        ("It opened on Nov. 25, 2025 in Cairo.", "Nov. 25, 2025"),
        (
            "It opened on 25 November 2025 in Cairo.",
            "25 November 2025",
        ),
        ("It opened on 2025-11-25 in Cairo.", "2025-11-25"),
        ("It opened on 11/25/2025 in Cairo.", "11/25/2025"),
        (
            "It opened on Tuesday, Nov. 25, 2025.",
            "Tuesday, Nov. 25, 2025",
        ),
    ] {
        assert_eq!(
            one(text, expr),
            ("DATE", "2025-11-25".to_string(), None),
            "{text}"
        );
    }
    assert_eq!(
        value("The talks resume Tuesday, Nov. 25.", "Tuesday, Nov. 25"),
        "2025-11-25"
    );
}

#[test]
fn spans_leave_prepositions_out() {
    let all = tag("since October 2023 and in 1998");
    let surfaces: Vec<&str> = all.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(surfaces, vec!["October 2023", "1998"]);
    assert_eq!(
        value("since the start of the war in October 2023", "October 2023"),
        "2023-10"
    );
}

#[test]
fn tense_picks_past_or_coming_weekday_and_month() {
    assert_eq!(value("They met on Tuesday.", "Tuesday"), "2025-11-25");
    assert_eq!(value("They met on Friday.", "Friday"), "2025-11-21");
    assert_eq!(value("They will meet on Friday.", "Friday"), "2025-11-28");
    assert_eq!(
        value("She plans to travel there next Friday.", "next Friday"),
        "2025-11-28"
    );
    assert_eq!(value("He will visit in December.", "December"), "2025-12");
    assert_eq!(
        value("The talks collapsed in December.", "December"),
        "2024-12"
    );
    assert_eq!(
        value("The talks collapsed in October.", "October"),
        "2025-10"
    );
    assert_eq!(value("He will visit in October.", "October"), "2026-10");
    assert_eq!(
        value(
            "The minister is preparing for a state visit in November.",
            "November"
        ),
        "2025-11"
    );
}

#[test]
fn relative_days_weeks_months_years() {
    for (text, expr, v) in [
        ("It happened today.", "today", "2025-11-25"),
        ("It happened yesterday.", "yesterday", "2025-11-24"),
        ("It happens tomorrow.", "tomorrow", "2025-11-26"),
        ("It happened last week.", "last week", "2025-W47"),
        ("It happens this month.", "this month", "2025-11"),
        ("It happens next year.", "next year", "2026"),
        ("It happened two days ago.", "two days ago", "2025-11-23"),
        ("It happened three years ago.", "three years ago", "2022"),
        ("Prices are high now.", "now", "PRESENT_REF"),
        ("Prices are currently high.", "currently", "PRESENT_REF"),
        ("It rose in recent years.", "recent years", "PAST_REF"),
        (
            "It will be done in the near future.",
            "the near future",
            "FUTURE_REF",
        ),
    ] {
        assert_eq!(value(text, expr), v, "{text}");
    }
}

#[test]
fn anchored_on_earlier_mention() {
    assert_eq!(
        value(
            "The war began in 1990. Three years earlier, talks failed.",
            "Three years earlier"
        ),
        "1987"
    );
}

#[test]
fn periods_and_modifiers() {
    assert_eq!(
        one("It grew in early 2024.", "early 2024"),
        ("DATE", "2024".into(), Some("START".into()))
    );
    assert_eq!(value("Music of the 1990s was loud.", "the 1990s"), "199");
    assert_eq!(
        value("It ended in the 20th century.", "the 20th century"),
        "19"
    );
    assert_eq!(
        value("Profit rose in the third quarter.", "the third quarter"),
        "2025-Q3"
    );
    assert_eq!(
        value(
            "It happened in the third quarter of 2024.",
            "the third quarter of 2024"
        ),
        "2024-Q3"
    );
    assert_eq!(value("It was hot last summer.", "last summer"), "2025-SU");
    assert_eq!(value("It was cold last winter.", "last winter"), "2024-WI");
    assert_eq!(
        value("It was hot in the summer of 2023.", "summer of 2023"),
        "2023-SU"
    );
    assert_eq!(
        one("They met Tuesday morning.", "Tuesday morning"),
        ("TIME", "2025-11-25TMO".into(), None)
    );
    assert_eq!(value("They meet tonight.", "tonight"), "2025-11-25TNI");
    assert_eq!(
        one("It opens at 3:30 p.m. today.", "3:30 p.m. today").1,
        "2025-11-25T15:30"
    );
    assert_eq!(value("It opens at noon.", "noon"), "2025-11-25T12:00");
    let (_, v, m) = one("It ended in late November.", "late November");
    assert_eq!((v.as_str(), m.as_deref()), ("2025-11", Some("END")));
}

#[test]
fn ranges_are_separate_expressions() {
    let all = tag("The festival ran from March to May 2024.");
    let surfaces: Vec<&str> = all.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(surfaces, vec!["March", "May 2024"]);
}

#[test]
fn durations_and_sets() {
    for (text, expr, kind, v) in [
        ("It lasted three years.", "three years", "DURATION", "P3Y"),
        ("It lasted a decade.", "a decade", "DURATION", "P10Y"),
        ("It lasted 48 hours.", "48 hours", "DURATION", "PT48H"),
        ("a two-year contract", "two-year", "DURATION", "P2Y"),
        ("It meets every week.", "every week", "SET", "P1W"),
        ("It is published daily.", "daily", "SET", "P1D"),
        ("It is paid annually.", "annually", "SET", "P1Y"),
    ] {
        let (k, val, _) = one(text, expr);
        assert_eq!((k, val.as_str()), (kind, v), "{text}");
    }
}

#[test]
fn without_reference_values_stay_underspecified() {
    let text = "They met yesterday and will meet in December.";
    let all = TAGGER.tag(text, None);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].value, "XXXX-XX-XX");
    assert!(all[0].relative && !all[0].resolved);
    assert_eq!(all[1].value, "XXXX-12");
    assert!(!all[1].resolved);
    let abs = TAGGER.tag("It opened on Nov. 25, 2025.", None);
    assert!(!abs[0].relative && abs[0].resolved);
}

#[test]
fn reference_offset_decides_the_day() {
    // 23:30 UTC on the 24th is already the 25th in Istanbul.
    let r = ReferenceTime::parse("2025-11-25T02:30:00+03:00").unwrap();
    let all = TAGGER.tag("It happened yesterday.", Some(&r));
    assert_eq!(all[0].value, "2025-11-24");
}

#[test]
fn not_time_expressions() {
    assert!(
        tag("Theresa May said the economy may grow 2000 people.").is_empty(),
        "{:?}",
        tag("Theresa May said the economy may grow 2000 people.")
    );
    assert!(tag("He paid $1990 for 1,990 shares.").is_empty());
}

#[test]
fn output_is_sorted_and_disjoint() {
    let text = "On Monday, Nov. 24, 2025, three days after talks began last week, officials said \
                that two years ago, in early 2023, the plan was dropped; it will resume next month.";
    let all = TAGGER.tag(text, Some(&reference()));
    assert!(all.len() >= 5, "{all:?}");
    for w in all.windows(2) {
        assert!(w[0].end <= w[1].start);
    }
}

#[test]
fn odd_input_does_not_panic() {
    for text in [
        "",
        " ",
        "\u{0}\u{feff}é€𝄞",
        "May",
        "Nov. 31, 2025",
        "99/99/9999",
        "Tuesday.",
    ] {
        let _ = TAGGER.tag(text, Some(&reference()));
        let _ = TAGGER.tag(text, None);
    }
    let big = "é 1990 Tuesday ".repeat(20_000);
    let all = TAGGER.tag(&big, Some(&reference()));
    assert!(all.len() >= 20_000);
}

#[test]
fn tagger_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<TimeTagger>();
}

proptest::proptest! {
    #[test]
    fn any_text_is_safe(s in "\\PC{0,200}") {
        let all = TAGGER.tag(&s, Some(&reference()));
        for t in &all {
            proptest::prop_assert!(t.start < t.end && t.end <= s.len());
            proptest::prop_assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
        }
    }
}

/// Every match of every sentence, as (start, end, rule), anchored where the tagger anchors or
/// always scanning.
fn all_candidates(text: &str, plain: bool) -> Vec<(usize, usize, usize)> {
    let searched = ascii_spaces(text);
    let hits = TAGGER.word_hits(&searched);
    let mut scratch = Scratch {
        plain,
        ..Scratch::default()
    };
    let mut out = Vec::new();
    for sentence in pieces::sentences(text) {
        let found = hits_in(&hits, sentence);
        out.extend(
            TAGGER
                .candidates_in(&searched, sentence, found, &mut scratch)
                .into_iter()
                .map(|c| (c.start, c.end, c.rule)),
        );
    }
    out
}

#[test]
fn anchored_searches_find_what_scans_find() {
    let texts = [
        "On Tuesday, Nov. 25, 2025 the minister said that last week, on Monday morning, \
         the talks began; they will resume next Monday or early December.",
        "Mid-November and late 2024, the end of the year, the past three years, this month, \
         every Friday, since March 2023, from March to May, a year earlier.",
        "Sunday's vote, Mondays and Tuesdays, sept. 11, September 11th, may 5, May 2020, \
         the coming weeks, Wednesday\u{a0}night, the holiday season, Christmas Day 2024.",
    ];
    let articles = crate::test_corpus::articles()
        .unwrap_or_default()
        .into_iter()
        .take(60)
        .map(|a| a.text);
    let mut compared = 0;
    for text in texts.iter().map(|t| t.to_string()).chain(articles) {
        let anchored = all_candidates(&text, false);
        assert_eq!(anchored, all_candidates(&text, true), "{text}");
        compared += anchored.len();
    }
    assert!(compared > 30, "only {compared} matches compared");
}

#[test]
fn unicode_spaces_match_like_spaces() {
    // A no-break space and a thin space inside expressions, as agencies write them.
    assert_eq!(
        value(
            "It ended on 25\u{a0}November 2025.",
            "25\u{a0}November 2025"
        ),
        "2025-11-25"
    );
    assert_eq!(
        value("due in three\u{2009}weeks", "three\u{2009}weeks"),
        "P3W"
    );
}

proptest::proptest! {
    /// Anchored and scanning searches agree on any mix of time words, numbers and noise.
    #[test]
    fn anchored_equals_scan_on_time_word_soup(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "the", "last", "next", "early", "late", "mid-", "Monday", "Tue.", "Nov.", "May",
            "march", "2025", "25", "11/25/2025", "three", "a", "few", "days", "weeks", "ago",
            "year", "every", "each", "since", "in", "on", "of", ",", ".", "(", "\u{a0}",
            "morning", "spring", "Christmas", "fiscal", "quarter", "Q3", "this", "that",
            "earlier", "later", "decade", "1990s", "today", "about", "nearly", "per",
        ]),
        0..40,
    )) {
        let text = words.join(" ");
        proptest::prop_assert_eq!(all_candidates(&text, false), all_candidates(&text, true));
    }
}

proptest::proptest! {
    /// The byte shortcut of `at_word_edges` answers as the check on characters does.
    #[test]
    fn word_edges_from_bytes_match_chars(
        text in "[a-z_0-9 .é’ı-]{0,12}",
        start in 0usize..16,
        len in 0usize..8,
    ) {
        let end = (start + len).min(text.len());
        let start = start.min(end);
        proptest::prop_assert_eq!(
            at_word_edges(&text, start, end),
            at_word_edges_in_chars(&text, start, end)
        );
    }
}
