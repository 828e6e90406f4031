//! TIMEX3 values as calendar intervals: parsing a value (`2025-11`, `2025-W48`, `199`) into the
//! interval it covers, and the date arithmetic and formatting the anchoring step needs.
//!
//! The same value grammar is read here and written by [`format_at`], so a value the tagger
//! produces always has [`bounds`] (unless it is a duration, a set or underspecified).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, TimeZone, Weekday,
};

/// How coarse a TIMEX3 value is, from millennium down to second.
///
/// Ordered coarse to fine, so `a < b` means `a` is coarser than `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Granularity {
    Millennium,
    Century,
    Decade,
    Year,
    Half,
    Quarter,
    Season,
    Month,
    Week,
    Day,
    PartOfDay,
    Hour,
    Minute,
    Second,
}

impl Granularity {
    /// Lower-case name (`"quarter"`), as used in the rule tables and in records.
    pub fn as_str(&self) -> &'static str {
        match self {
            Granularity::Millennium => "millennium",
            Granularity::Century => "century",
            Granularity::Decade => "decade",
            Granularity::Year => "year",
            Granularity::Half => "half",
            Granularity::Quarter => "quarter",
            Granularity::Season => "season",
            Granularity::Month => "month",
            Granularity::Week => "week",
            Granularity::Day => "day",
            Granularity::PartOfDay => "partofday",
            Granularity::Hour => "hour",
            Granularity::Minute => "minute",
            Granularity::Second => "second",
        }
    }

    /// The granularity named `name` (the unit names of the rule tables).
    pub fn from_name(name: &str) -> Option<Granularity> {
        Some(match name {
            "millennium" => Granularity::Millennium,
            "century" => Granularity::Century,
            "decade" => Granularity::Decade,
            "year" => Granularity::Year,
            "half" => Granularity::Half,
            "quarter" => Granularity::Quarter,
            "season" => Granularity::Season,
            "month" => Granularity::Month,
            "week" => Granularity::Week,
            "day" => Granularity::Day,
            "partofday" => Granularity::PartOfDay,
            "hour" => Granularity::Hour,
            "minute" => Granularity::Minute,
            "second" => Granularity::Second,
            _ => return None,
        })
    }
}

/// The interval `[start, end)` a DATE or TIME value covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub granularity: Granularity,
}

/// The interval a DATE/TIME value covers, `[start, end)`, in the given offset
/// (`"2025-11"` -> Nov 1 00:00 .. Dec 1 00:00).
///
/// `None` for durations (`P3D`), sets, `PRESENT_REF`-like values and underspecified values
/// (`XXXX-11`), because those name no single interval.
pub fn bounds(value: &str, offset: FixedOffset) -> Option<Bounds> {
    let (start, end, granularity) = naive_bounds(value)?;
    Some(Bounds {
        start: offset.from_local_datetime(&start).single()?,
        end: offset.from_local_datetime(&end).single()?,
        granularity,
    })
}

/// A point of the calendar with the granularity a value was given at: what `ref(...)`
/// arithmetic starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    pub date: NaiveDate,
    pub granularity: Granularity,
}

/// Parses a (resolved) DATE value into its first day and granularity.
pub(crate) fn parse_point(value: &str) -> Option<Point> {
    let (start, _, granularity) = naive_bounds(value)?;
    Some(Point {
        date: start.date(),
        granularity: granularity.min(Granularity::Day),
    })
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)
}

fn add_months(t: NaiveDateTime, n: u32) -> Option<NaiveDateTime> {
    t.checked_add_months(Months::new(n))
}

/// Start, end and granularity of a value, in local (naive) time.
fn naive_bounds(value: &str) -> Option<(NaiveDateTime, NaiveDateTime, Granularity)> {
    let value = value.trim();
    if !value.is_ascii() || value.is_empty() {
        return None;
    }
    let (date_part, time_part) = match value.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let mut parts = date_part.split('-');
    let head = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    // Millennium, century, decade: "2", "19", "199" (also TimeML's "19XX", "199X").
    if rest.is_empty() && time_part.is_none() {
        let trimmed = head.trim_end_matches('X');
        let n = digits(trimmed)? as i32;
        let (scale, granularity) = match (head.len(), trimmed.len()) {
            (4, 4) => (1, Granularity::Year),
            (3, 3) | (4, 3) => (10, Granularity::Decade),
            (2, 2) | (4, 2) => (100, Granularity::Century),
            (1, 1) | (4, 1) => (1000, Granularity::Millennium),
            _ => return None,
        };
        let start = ymd(n * scale, 1, 1)?;
        let end = ymd((n + 1) * scale, 1, 1)?;
        return Some((start, end, granularity));
    }
    if head.len() != 4 {
        return None;
    }
    let year = digits(head)? as i32;
    let (start, end, granularity) = match rest.as_slice() {
        [] => (ymd(year, 1, 1)?, ymd(year + 1, 1, 1)?, Granularity::Year),
        [p] if p.len() == 2 && p.starts_with('Q') => {
            let q = digits(&p[1..])?;
            if !(1..=4).contains(&q) {
                return None;
            }
            let s = ymd(year, (q - 1) * 3 + 1, 1)?;
            (s, add_months(s, 3)?, Granularity::Quarter)
        }
        [p] if p.len() == 2 && p.starts_with('H') => {
            let h = digits(&p[1..])?;
            if !(1..=2).contains(&h) {
                return None;
            }
            let s = ymd(year, (h - 1) * 6 + 1, 1)?;
            (s, add_months(s, 6)?, Granularity::Half)
        }
        [p] if season_start_month(p).is_some() => {
            let m = season_start_month(p)?;
            let s = ymd(year, m, 1)?;
            (s, add_months(s, 3)?, Granularity::Season)
        }
        [p] if p.starts_with('W') => {
            let w = digits(&p[1..])?;
            let s = NaiveDate::from_isoywd_opt(year, w, Weekday::Mon)?.and_hms_opt(0, 0, 0)?;
            (s, s + Duration::days(7), Granularity::Week)
        }
        [w, we] if w.starts_with('W') && *we == "WE" => {
            let w = digits(&w[1..])?;
            let s = NaiveDate::from_isoywd_opt(year, w, Weekday::Sat)?.and_hms_opt(0, 0, 0)?;
            (s, s + Duration::days(2), Granularity::Day)
        }
        [w, d] if w.starts_with('W') => {
            let w = digits(&w[1..])?;
            let d = digits(d)?;
            let wd = Weekday::try_from(u8::try_from(d.checked_sub(1)?).ok()?).ok()?;
            let s = NaiveDate::from_isoywd_opt(year, w, wd)?.and_hms_opt(0, 0, 0)?;
            (s, s + Duration::days(1), Granularity::Day)
        }
        [m] => {
            let m = digits(m)?;
            let s = ymd(year, m, 1)?;
            (s, add_months(s, 1)?, Granularity::Month)
        }
        [m, d] => {
            let s = ymd(year, digits(m)?, digits(d)?)?;
            (s, s + Duration::days(1), Granularity::Day)
        }
        _ => return None,
    };
    let Some(time) = time_part else {
        return Some((start, end, granularity));
    };
    if granularity != Granularity::Day {
        return None;
    }
    let day = start;
    if let Some((from, to)) = part_of_day_hours(time) {
        return Some((
            day + Duration::hours(from),
            day + Duration::hours(to),
            Granularity::PartOfDay,
        ));
    }
    let mut hms = time.split(':');
    let h = digits(hms.next()?)?;
    if h > 24 {
        return None;
    }
    let t0 = day + Duration::hours(i64::from(h));
    match (hms.next(), hms.next(), hms.next()) {
        (None, _, _) => Some((t0, t0 + Duration::hours(1), Granularity::Hour)),
        (Some(m), None, _) => {
            let m = digits(m)?;
            if m > 59 {
                return None;
            }
            let t = t0 + Duration::minutes(i64::from(m));
            Some((t, t + Duration::minutes(1), Granularity::Minute))
        }
        (Some(m), Some(s), None) => {
            let (m, s) = (digits(m)?, digits(s)?);
            if m > 59 || s > 60 {
                return None;
            }
            let t = t0 + Duration::minutes(i64::from(m)) + Duration::seconds(i64::from(s));
            Some((t, t + Duration::seconds(1), Granularity::Second))
        }
        _ => None,
    }
}

/// Meteorological seasons (northern hemisphere), the usual reading in news.
fn season_start_month(code: &str) -> Option<u32> {
    match code {
        "SP" => Some(3),
        "SU" => Some(6),
        "FA" => Some(9),
        "WI" => Some(12),
        _ => None,
    }
}

/// The season code of a month (December, January and February are winter).
fn season_of_month(month: u32) -> &'static str {
    match month {
        3..=5 => "SP",
        6..=8 => "SU",
        9..=11 => "FA",
        _ => "WI",
    }
}

/// Hours covered by the TIMEX3 parts of day; night runs into the next morning.
fn part_of_day_hours(code: &str) -> Option<(i64, i64)> {
    match code {
        "MO" => Some((6, 12)),
        "MI" => Some((12, 13)),
        "AF" => Some((12, 18)),
        "EV" => Some((18, 22)),
        "NI" => Some((22, 30)),
        "DT" => Some((6, 18)),
        _ => None,
    }
}

/// Shifts a date by `n` units of `unit` (calendar-aware for months and longer).
pub(crate) fn shift(date: NaiveDate, unit: Granularity, n: i64) -> Option<NaiveDate> {
    let months = |k: i64| -> Option<NaiveDate> {
        let total = n.checked_mul(k)?;
        if total >= 0 {
            date.checked_add_months(Months::new(u32::try_from(total).ok()?))
        } else {
            date.checked_sub_months(Months::new(u32::try_from(-total).ok()?))
        }
    };
    match unit {
        Granularity::Second
        | Granularity::Minute
        | Granularity::Hour
        | Granularity::PartOfDay
        | Granularity::Day => date.checked_add_signed(Duration::try_days(n)?),
        Granularity::Week => date.checked_add_signed(Duration::try_days(n.checked_mul(7)?)?),
        Granularity::Month => months(1),
        Granularity::Season | Granularity::Quarter => months(3),
        Granularity::Half => months(6),
        Granularity::Year => months(12),
        Granularity::Decade => months(120),
        Granularity::Century => months(1200),
        Granularity::Millennium => months(12000),
    }
}

/// Formats the unit of `granularity` that contains `date` as a TIMEX3 value.
/// `None` for years outside 0..=9999, which TIMEX3 cannot write.
pub(crate) fn format_at(date: NaiveDate, granularity: Granularity) -> Option<String> {
    let y = date.year();
    if !(0..=9999).contains(&y) {
        return None;
    }
    let m = date.month();
    Some(match granularity {
        Granularity::Millennium => format!("{}", y / 1000),
        Granularity::Century => format!("{:02}", y / 100),
        Granularity::Decade => format!("{:03}", y / 10),
        Granularity::Year => format!("{y:04}"),
        Granularity::Half => format!("{y:04}-H{}", (m - 1) / 6 + 1),
        Granularity::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
        Granularity::Season => {
            // January and February belong to the winter that started the December before.
            let sy = if m <= 2 { y - 1 } else { y };
            format!("{:04}-{}", sy.max(0), season_of_month(m))
        }
        Granularity::Month => format!("{y:04}-{m:02}"),
        Granularity::Week => {
            let w = date.iso_week();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
        _ => format!("{y:04}-{m:02}-{:02}", date.day()),
    })
}

/// The TimeML underspecified value for a unit when there is nothing to anchor on.
pub(crate) fn unresolved_at(granularity: Granularity) -> &'static str {
    match granularity {
        Granularity::Millennium => "X",
        Granularity::Century => "XX",
        Granularity::Decade => "XXX",
        Granularity::Year => "XXXX",
        Granularity::Half => "XXXX-HX",
        Granularity::Quarter => "XXXX-QX",
        Granularity::Season => "XXXX-XX",
        Granularity::Month => "XXXX-XX",
        Granularity::Week => "XXXX-WXX",
        _ => "XXXX-XX-XX",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn month_bounds() {
        let b = bounds("2025-11", utc()).unwrap();
        assert_eq!(b.start.to_rfc3339(), "2025-11-01T00:00:00+00:00");
        assert_eq!(b.end.to_rfc3339(), "2025-12-01T00:00:00+00:00");
        assert_eq!(b.granularity, Granularity::Month);
    }

    #[test]
    fn coarse_and_fine_values() {
        let tz = FixedOffset::east_opt(3 * 3600).unwrap();
        let b = bounds("199", tz).unwrap();
        assert_eq!(b.granularity, Granularity::Decade);
        assert_eq!(b.start.date_naive().year(), 1990);
        assert_eq!(b.end.date_naive().year(), 2000);
        assert_eq!(bounds("19", tz).unwrap().granularity, Granularity::Century);
        let w = bounds("2025-W48", tz).unwrap();
        assert_eq!(w.start.date_naive().to_string(), "2025-11-24");
        assert_eq!(bounds("2025-Q3", tz).unwrap().start.month(), 7);
        assert_eq!(bounds("2025-SU", tz).unwrap().start.month(), 6);
        let mo = bounds("2025-11-25TMO", tz).unwrap();
        assert_eq!(mo.granularity, Granularity::PartOfDay);
        assert_eq!(mo.start.to_rfc3339(), "2025-11-25T06:00:00+03:00");
        let t = bounds("2025-11-25T15:30", tz).unwrap();
        assert_eq!(t.granularity, Granularity::Minute);
        assert_eq!(t.end.to_rfc3339(), "2025-11-25T15:31:00+03:00");
        assert_eq!(bounds("2025-W48-2", tz).unwrap().start.day(), 25);
    }

    #[test]
    fn no_bounds_for_open_values() {
        for v in [
            "P3D",
            "PRESENT_REF",
            "XXXX-11",
            "XXXX-WXX-2",
            "",
            "2025-13",
            "ab",
            "2025-W99",
        ] {
            assert!(bounds(v, utc()).is_none(), "{v}");
        }
    }

    #[test]
    fn shift_and_format() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
        let w = shift(d, Granularity::Week, -1).unwrap();
        assert_eq!(format_at(w, Granularity::Week).unwrap(), "2025-W47");
        let q = shift(d, Granularity::Quarter, -1).unwrap();
        assert_eq!(format_at(q, Granularity::Quarter).unwrap(), "2025-Q3");
        assert_eq!(format_at(d, Granularity::Decade).unwrap(), "202");
        assert!(shift(d, Granularity::Year, i64::MAX).is_none());
    }
}
