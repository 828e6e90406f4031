//! Value templates: the `value` and `mod` columns of `rules.tsv`.
//!
//! A template is literal text with `{GROUP}` insertions (the normalized capture; `{GROUP|x}`
//! gives `x` when the group did not take part in the match) and calls:
//!
//! * `dct(UNIT,OFFSET)`: the reference time moved by OFFSET units, written at UNIT granularity
//!   (`dct(day,-1)` is yesterday, `dct(week,+0)` this week). An offset `X` (a vague number)
//!   gives `PAST_REF` or `FUTURE_REF`.
//! * `ago(UNIT,OFFSET)`: like `dct`, but "a year ago" right after a quarter or half of the
//!   current year is that period of the year before (the comparison period of financial news).
//! * `ref(UNIT,OFFSET)`: the same, from the last date mentioned before the expression
//!   ("three years earlier"), falling back to the reference time.
//! * `near(V)`, `last(V)`, `next(V)`, `this(V)`: fill the `XXXX` of an underspecified value V
//!   (`XXXX-11`, `XXXX-WXX-2`, `XXXX-11-25`, `XXXX-Q3`, `XXXX-SU`) with the occurrence chosen by
//!   the tense of the clause (`near`), the one before (`last`), after (`next`) or in the same
//!   year or week (`this`) as the reference time.
//! * `dur(NUM,UNIT)`: an ISO 8601 duration (`P3D`, `PT5H`, `PXY`).
//! * `period(YEAR)`: the quarter or half last mentioned, in YEAR ("the 1988 period" in a
//!   report on the third quarter is 1988-Q3); YEAR itself when none was mentioned.
//!
//! Without a reference time, anchored calls keep the TimeML underspecified value (`XXXX-XX-XX`,
//! `XXXX-11`) and the timex is flagged unresolved.

use chrono::{Datelike, NaiveDate, Weekday};

use super::tense::Tense;
use super::value::{Granularity, Point, format_at, shift, unresolved_at};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Dct,
    Ago,
    Ref,
    Near,
    Last,
    Next,
    This,
    Dur,
    Period,
}

const FUNCS: &[(&str, Func)] = &[
    ("dct", Func::Dct),
    ("ago", Func::Ago),
    ("ref", Func::Ref),
    ("near", Func::Near),
    ("last", Func::Last),
    ("next", Func::Next),
    ("this", Func::This),
    ("dur", Func::Dur),
    ("period", Func::Period),
];

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Group {
        name: String,
        default: Option<String>,
    },
    Call(Func, Vec<Template>),
}

/// A parsed value (or mod) template.
#[derive(Debug, Clone, Default)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

/// What a template is evaluated against.
pub(crate) struct Context<'a> {
    /// The normalized value of a capture group, `None` when it did not match.
    pub group: &'a dyn Fn(&str) -> Option<String>,
    /// The reference day, in the reference time's own offset.
    pub reference: Option<NaiveDate>,
    /// The tense of the clause around the expression (computed only when [`Template::needs_tense`]).
    pub tense: Tense,
    /// The last date mentioned before the expression, for `ref(...)`.
    pub anchor: Option<Point>,
    /// The last quarter or half mentioned before the expression (the period a financial
    /// report is about), for `ago(year,...)`.
    pub period: Option<Point>,
}

/// Flags gathered while evaluating: whether an anchored call was used and whether it could
/// be anchored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flags {
    pub relative: bool,
    pub unresolved: bool,
    /// The value was computed by date arithmetic (`dct`, `ago`, `ref`), so it must not become
    /// the anchor of the next `ref(...)`: "a year earlier ... a year earlier" would drift, and
    /// "last year" is not the period a financial report compares with.
    pub from_mention: bool,
}

impl Template {
    /// Parses a template; the error says what is wrong and where.
    pub fn parse(src: &str) -> Result<Template, String> {
        let chars: Vec<char> = src.chars().collect();
        let (t, end) = parse_seq(&chars, 0, false)?;
        if end != chars.len() {
            return Err(format!("unexpected `{}` at character {end}", chars[end]));
        }
        Ok(t)
    }

    /// The capture groups the template reads.
    pub fn groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Group { name, .. } => out.push(name.clone()),
                Piece::Call(_, args) => args.iter().for_each(|a| out.extend(a.groups())),
                Piece::Text(_) => {}
            }
        }
        out
    }

    /// True when evaluating needs the clause tense (`near(...)`).
    pub fn needs_tense(&self) -> bool {
        self.pieces.iter().any(|p| match p {
            Piece::Call(Func::Near, _) => true,
            Piece::Call(_, args) => args.iter().any(Template::needs_tense),
            _ => false,
        })
    }

    /// Evaluates the template. `None` when a group is missing or the value is impossible
    /// (February 30): the rule then yields no timex.
    pub fn eval(&self, ctx: &Context<'_>, flags: &mut Flags) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Group { name, default } => match ((ctx.group)(name), default) {
                    (Some(v), _) => out.push_str(&v),
                    (None, Some(d)) => out.push_str(d),
                    (None, None) => return None,
                },
                Piece::Call(func, args) => out.push_str(&call(*func, args, ctx, flags)?),
            }
        }
        Some(out)
    }
}

fn parse_seq(chars: &[char], mut i: usize, in_args: bool) -> Result<(Template, usize), String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    while i < chars.len() {
        let c = chars[i];
        if in_args && (c == ',' || c == ')') {
            break;
        }
        if c == '{' {
            let close = chars[i..]
                .iter()
                .position(|&c| c == '}')
                .ok_or_else(|| format!("`{{` at character {i} is not closed"))?;
            let inner: String = chars[i + 1..i + close].iter().collect();
            let (name, default) = match inner.split_once('|') {
                Some((n, d)) => (n.to_string(), Some(d.to_string())),
                None => (inner, None),
            };
            if name.is_empty() {
                return Err(format!("empty group name at character {i}"));
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Group { name, default });
            i += close + 1;
            continue;
        }
        let at_word_start = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if at_word_start && c.is_ascii_lowercase() {
            let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
            if let Some((name, func)) = FUNCS
                .iter()
                .find(|(n, _)| rest.starts_with(n) && rest[n.len()..].starts_with('('))
            {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                let mut j = i + name.len() + 1;
                let mut args = Vec::new();
                loop {
                    let (arg, end) = parse_seq(chars, j, true)?;
                    args.push(arg);
                    match chars.get(end) {
                        Some(',') => j = end + 1,
                        Some(')') => {
                            j = end + 1;
                            break;
                        }
                        _ => return Err(format!("`{name}(` is not closed")),
                    }
                }
                let expected = match func {
                    Func::Dct | Func::Ago | Func::Ref | Func::Dur => 2,
                    _ => 1,
                };
                if args.len() != expected {
                    return Err(format!(
                        "`{name}` takes {expected} argument(s), got {}",
                        args.len()
                    ));
                }
                pieces.push(Piece::Call(*func, args));
                i = j;
                continue;
            }
        }
        text.push(c);
        i += 1;
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok((Template { pieces }, i))
}

fn call(func: Func, args: &[Template], ctx: &Context<'_>, flags: &mut Flags) -> Option<String> {
    let arg = |k: usize, flags: &mut Flags| args.get(k)?.eval(ctx, flags);
    match func {
        Func::Dur => duration(&arg(0, flags)?, &arg(1, flags)?),
        Func::Period => {
            let year = arg(0, flags)?;
            let year: i32 = year.trim().parse().ok()?;
            let Some(p) = ctx.period else {
                return Some(format!("{year:04}"));
            };
            flags.relative = true;
            flags.from_mention = true;
            let date = NaiveDate::from_ymd_opt(year, p.date.month(), 1)?;
            format_at(date, p.granularity)
        }
        Func::Dct | Func::Ago | Func::Ref => {
            let unit_name = arg(0, flags)?;
            let unit = Granularity::from_name(unit_name.trim())?;
            let offset = arg(1, flags)?;
            flags.relative = true;
            let offset = offset.trim();
            if offset.trim_start_matches(['+', '-']) == "X" {
                return Some(
                    if offset.starts_with('-') {
                        "PAST_REF"
                    } else {
                        "FUTURE_REF"
                    }
                    .to_string(),
                );
            }
            let n: i64 = offset.trim_start_matches('+').parse().ok()?;
            flags.from_mention = true;
            let anchor = if func == Func::Ago {
                ctx.period
            } else {
                ctx.anchor
            };
            let start = match (func, anchor, ctx.reference) {
                (Func::Ref, Some(anchor), _) => {
                    flags.from_mention = true;
                    Point {
                        date: anchor.date,
                        granularity: shifted_granularity(anchor, unit, n),
                    }
                }
                // "a year ago" in a report on "the third quarter" is the third quarter of the
                // year before: the comparison period of financial news.
                (Func::Ago, Some(anchor), Some(r))
                    if unit == Granularity::Year
                        && matches!(
                            anchor.granularity,
                            Granularity::Quarter | Granularity::Half
                        )
                        && anchor.date.year() == r.year() =>
                {
                    flags.from_mention = true;
                    anchor
                }
                (_, _, Some(r)) => Point {
                    date: r,
                    granularity: unit,
                },
                _ => {
                    flags.unresolved = true;
                    return Some(unresolved_at(unit).to_string());
                }
            };
            let moved = shift(start.date, unit, n)?;
            format_at(moved, start.granularity)
        }
        Func::Near | Func::Last | Func::Next | Func::This => {
            let v = arg(0, flags)?;
            flags.relative = true;
            let Some(r) = ctx.reference else {
                flags.unresolved = true;
                // A floating holiday has no TimeML spelling without its year.
                return Some(match v.find('#') {
                    Some(k) if k >= 2 => format!("{}XX", &v[..k - 1]),
                    _ => v,
                });
            };
            let dir = match func {
                Func::Last => Direction::Before,
                Func::Next => Direction::After,
                Func::This => Direction::Same,
                _ => match ctx.tense {
                    Tense::Past => Direction::OnOrBefore,
                    Tense::Future => Direction::OnOrAfter,
                    Tense::Present | Tense::Unknown => Direction::Nearest,
                },
            };
            resolve_underspecified(&v, r, dir)
        }
    }
}

/// The granularity of `anchor` moved by `n` units: a period coarser than a day keeps its
/// own granularity when moved ("the third quarter ... a year earlier" is a quarter), otherwise
/// (and for "the quarter" itself, `n == 0`) the unit's.
fn shifted_granularity(anchor: Point, unit: Granularity, n: i64) -> Granularity {
    if n != 0 && anchor.granularity < Granularity::Day && anchor.granularity > unit {
        anchor.granularity
    } else {
        unit
    }
}

/// ISO 8601 duration of `num` units (`X` for a vague number).
fn duration(num: &str, unit: &str) -> Option<String> {
    let (code, time, factor) = match unit.trim() {
        "year" => ("Y", false, 1.0),
        "month" => ("M", false, 1.0),
        "week" => ("W", false, 1.0),
        "day" => ("D", false, 1.0),
        "hour" => ("H", true, 1.0),
        "minute" => ("M", true, 1.0),
        "second" => ("S", true, 1.0),
        "quarter" => ("Q", false, 1.0),
        "half" => ("M", false, 6.0),
        "decade" => ("Y", false, 10.0),
        "century" => ("Y", false, 100.0),
        "millennium" => ("Y", false, 1000.0),
        _ => return None,
    };
    let t = if time { "T" } else { "" };
    let num = num.trim();
    if num == "X" {
        let code = match unit.trim() {
            "decade" => "DE",
            "century" => "CE",
            _ => code,
        };
        return Some(format!("P{t}X{code}"));
    }
    let n: f64 = num.parse().ok()?;
    if !(0.0..1e9).contains(&n) {
        return None;
    }
    let n = n * factor;
    if n.fract() == 0.0 {
        return Some(format!("P{t}{}{code}", n as u64));
    }
    // "5 1/2 hours" is PT5H30M: split a fraction into the next smaller unit where there is one.
    let whole = n.trunc() as u64;
    let part = n.fract();
    let smaller = match (code, time) {
        ("H", true) => Some(("M", 60.0)),
        ("M", true) => Some(("S", 60.0)),
        ("D", false) => Some(("H", 24.0)),
        ("Y", false) => Some(("M", 12.0)),
        _ => None,
    };
    match smaller {
        Some((sc, k)) if (part * k).fract().abs() < 1e-9 => {
            let t2 = if code == "D" && !time { "T" } else { "" };
            let head = if whole > 0 {
                format!("{whole}{code}")
            } else {
                String::new()
            };
            Some(format!("P{t}{head}{t2}{}{sc}", (part * k) as u64))
        }
        _ => Some(format!("P{t}{n}{code}")),
    }
}

/// Which occurrence of an underspecified value to take, relative to the reference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// The latest one no later than the reference (a past clause).
    OnOrBefore,
    /// The earliest one no earlier than the reference (a future clause).
    OnOrAfter,
    /// Strictly before ("last November").
    Before,
    /// Strictly after ("next Friday").
    After,
    /// In the same year (week for weekdays) as the reference ("this summer").
    Same,
    /// No tense cue: the occurrence nearest to the reference (ties go to the past: news
    /// mostly report what happened).
    Nearest,
}

/// How much farther a day-precise date ("Dec. 1") on the wrong side of the reference for the
/// clause's tense may be and still win. Tense cues are weak evidence against a near date:
/// "declared a dividend payable Dec. 1" (past clause, October article) is the coming Dec. 1,
/// not the one eleven months ago.
const AGAINST_TENSE_FACTOR: i64 = 2;

/// Fills the `XXXX` of `v` (and the week of `XXXX-WXX-D`) from the reference day.
fn resolve_underspecified(v: &str, r: NaiveDate, dir: Direction) -> Option<String> {
    let Some(rest) = v.strip_prefix("XXXX-") else {
        return Some(v.to_string());
    };
    let (mid, suffix) = match rest.find('T') {
        Some(k) => (&rest[..k], &rest[k..]),
        None => (rest, ""),
    };
    if let Some(d) = mid.strip_prefix("WXX-") {
        // "the weekend": the Saturday chosen like a weekday, written as its week's weekend.
        let weekend = d == "WE";
        let wd: u32 = if weekend { 6 } else { d.parse().ok()? };
        let target = Weekday::try_from(u8::try_from(wd.checked_sub(1)?).ok()?).ok()?;
        let today = r.weekday().num_days_from_monday() as i64;
        let want = target.num_days_from_monday() as i64;
        let back = (today - want).rem_euclid(7); // days back to the latest on-or-before
        let fwd = (want - today).rem_euclid(7);
        let delta = match dir {
            Direction::OnOrBefore => -back,
            Direction::Nearest => {
                if fwd < back {
                    fwd
                } else {
                    -back
                }
            }
            Direction::OnOrAfter => fwd,
            Direction::Before => -(if back == 0 { 7 } else { back }),
            Direction::After => {
                if fwd == 0 {
                    7
                } else {
                    fwd
                }
            }
            Direction::Same => want - today,
        };
        let date = r.checked_add_signed(chrono::Duration::try_days(delta)?)?;
        if weekend {
            return Some(format!(
                "{}-WE{suffix}",
                format_at(date, Granularity::Week)?
            ));
        }
        return Some(format!("{}{suffix}", format_at(date, Granularity::Day)?));
    }
    let year = if season_rank(mid).is_some() && r.month() <= 2 {
        r.year() - 1 // January 1999 is in the winter of 1998
    } else {
        r.year()
    };
    // Candidate years around the reference, each with its signed distance to the reference
    // (in days for a day, else in units of the value: months, quarters, halves, seasons).
    let candidates: Vec<(i32, i64)> = if mid.contains('-') {
        (year - 1..=year + 1)
            .filter_map(|y| Some((y, (day_in_year(mid, y)? - r).num_days())))
            .collect()
    } else {
        let (rank, ref_rank, per_year): (u32, u32, i64) = if let Some(q) = mid.strip_prefix('Q') {
            (q.parse().ok()?, (r.month() - 1) / 3 + 1, 4)
        } else if let Some(h) = mid.strip_prefix('H') {
            (h.parse().ok()?, (r.month() - 1) / 6 + 1, 2)
        } else if let Some(s) = season_rank(mid) {
            let rs = match r.month() {
                3..=5 => 1,
                6..=8 => 2,
                9..=11 => 3,
                _ => 4,
            };
            (s, rs, 4)
        } else {
            (mid.parse().ok()?, r.month(), 12)
        };
        if rank == 0 || i64::from(rank) > per_year {
            return None;
        }
        (year - 1..=year + 1)
            .map(|y| {
                let k = i64::from(y - year) * per_year + i64::from(rank) - i64::from(ref_rank);
                (y, k)
            })
            .collect()
    };
    let day_precise = mid.contains('-');
    // Quarters and halves are reporting periods: without "last"/"next" they are those of the
    // reference year ("third-quarter profit" in an October report), whatever the tense.
    let dir = match dir {
        Direction::OnOrBefore | Direction::OnOrAfter | Direction::Nearest
            if mid.starts_with(['Q', 'H']) =>
        {
            Direction::Same
        }
        d => d,
    };
    let pick = |keep: &dyn Fn(i64) -> bool, cost: &dyn Fn(i64) -> i64| -> Option<i32> {
        candidates
            .iter()
            .filter(|(_, k)| keep(*k))
            .min_by_key(|(y, k)| (cost(*k), *y))
            .map(|(y, _)| *y)
    };
    let chosen = match dir {
        Direction::Same => Some(year),
        Direction::Before => pick(&|k| k < 0, &|k| -k),
        Direction::After => pick(&|k| k > 0, &|k| k),
        Direction::Nearest => pick(&|_| true, &|k| k.abs()),
        Direction::OnOrBefore if day_precise => pick(&|_| true, &|k| {
            if k > 0 { k * AGAINST_TENSE_FACTOR } else { -k }
        }),
        Direction::OnOrAfter if day_precise => pick(&|_| true, &|k| {
            if k < 0 { -k * AGAINST_TENSE_FACTOR } else { k }
        }),
        Direction::OnOrBefore => pick(&|k| k <= 0, &|k| -k),
        Direction::OnOrAfter => pick(&|k| k >= 0, &|k| k),
    };
    let year = chosen?;
    if !(0..=9999).contains(&year) {
        return None;
    }
    if day_precise {
        // Written from the date itself: a floating holiday ("11-4#4") becomes a day.
        return Some(format!(
            "{}{suffix}",
            format_at(day_in_year(mid, year)?, Granularity::Day)?
        ));
    }
    Some(format!("{year:04}-{mid}{suffix}"))
}

/// The day `mid` names in `year`: `MM-DD`, or a floating holiday `MM-N#D`, the N-th (`L`: last)
/// weekday D (1 = Monday) of month MM ("11-4#4" is the fourth Thursday of November,
/// Thanksgiving).
fn day_in_year(mid: &str, year: i32) -> Option<NaiveDate> {
    let (m, rest) = mid.split_once('-')?;
    let m: u32 = m.parse().ok()?;
    let Some((n, d)) = rest.split_once('#') else {
        return NaiveDate::from_ymd_opt(year, m, rest.parse().ok()?);
    };
    let d: u32 = d.parse().ok()?;
    let weekday = Weekday::try_from(u8::try_from(d.checked_sub(1)?).ok()?).ok()?;
    if n == "L" {
        let next_month = if m == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, m + 1, 1)?
        };
        let last = next_month.pred_opt()?;
        let back = (last.weekday().num_days_from_monday() + 7 - weekday.num_days_from_monday()) % 7;
        return last.checked_sub_signed(chrono::Duration::try_days(i64::from(back))?);
    }
    NaiveDate::from_weekday_of_month_opt(year, m, weekday, n.parse().ok()?)
}

fn season_rank(code: &str) -> Option<u32> {
    match code {
        "SP" => Some(1),
        "SU" => Some(2),
        "FA" => Some(3),
        "WI" => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(t: &str, tense: Tense, reference: Option<NaiveDate>) -> (Option<String>, Flags) {
        let t = Template::parse(t).unwrap();
        let group = |name: &str| match name {
            "MONTH" => Some("12".to_string()),
            "WEEKDAY" => Some("2".to_string()),
            "NUM" => Some("2".to_string()),
            "UNIT" => Some("day".to_string()),
            _ => None,
        };
        let ctx = Context {
            group: &group,
            reference,
            tense,
            anchor: None,
            period: None,
        };
        let mut flags = Flags::default();
        (t.eval(&ctx, &mut flags), flags)
    }

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn anchored_calls() {
        let r = day(2025, 11, 25);
        assert_eq!(
            eval_with("dct({UNIT},-{NUM})", Tense::Unknown, r)
                .0
                .unwrap(),
            "2025-11-23"
        );
        assert_eq!(
            eval_with("dct(week,-1)", Tense::Unknown, r).0.unwrap(),
            "2025-W47"
        );
        assert_eq!(
            eval_with("dct(year,-X)", Tense::Unknown, r).0.unwrap(),
            "PAST_REF"
        );
        assert_eq!(
            eval_with("near(XXXX-{MONTH})", Tense::Past, r).0.unwrap(),
            "2024-12"
        );
        assert_eq!(
            eval_with("near(XXXX-{MONTH})", Tense::Future, r).0.unwrap(),
            "2025-12"
        );
        assert_eq!(
            eval_with("near(XXXX-WXX-{WEEKDAY})TMO", Tense::Past, r)
                .0
                .unwrap(),
            "2025-11-25TMO"
        );
        assert_eq!(
            eval_with("last(XXXX-WXX-{WEEKDAY})", Tense::Past, r)
                .0
                .unwrap(),
            "2025-11-18"
        );
        assert_eq!(
            eval_with("next(XXXX-WXX-{WEEKDAY})", Tense::Past, r)
                .0
                .unwrap(),
            "2025-12-02"
        );
        assert_eq!(
            eval_with("last(XXXX-11)", Tense::Past, r).0.unwrap(),
            "2024-11"
        );
        assert_eq!(
            eval_with("last(XXXX-10)", Tense::Past, r).0.unwrap(),
            "2025-10"
        );
        assert_eq!(
            eval_with("this(XXXX-SU)", Tense::Past, r).0.unwrap(),
            "2025-SU"
        );
        assert_eq!(eval_with("near(XXXX-02-30)", Tense::Past, r).0, None);
        // Thanksgiving 2025 is November 27; Memorial Day 2025 May 26.
        assert_eq!(
            eval_with("near(XXXX-11-4#4)", Tense::Unknown, r).0.unwrap(),
            "2025-11-27"
        );
        assert_eq!(
            eval_with("last(XXXX-05-L#1)", Tense::Unknown, r).0.unwrap(),
            "2025-05-26"
        );
        assert_eq!(
            eval_with("near(XXXX-11-4#4)", Tense::Unknown, None)
                .0
                .unwrap(),
            "XXXX-11-XX"
        );
    }

    #[test]
    fn unresolved_without_reference() {
        let (v, f) = eval_with("dct(day,-1)", Tense::Unknown, None);
        assert_eq!(v.unwrap(), "XXXX-XX-XX");
        assert!(f.relative && f.unresolved);
        let (v, f) = eval_with("near(XXXX-{MONTH})", Tense::Past, None);
        assert_eq!(v.unwrap(), "XXXX-12");
        assert!(f.unresolved);
    }

    #[test]
    fn durations() {
        assert_eq!(duration("3", "day").unwrap(), "P3D");
        assert_eq!(duration("5", "hour").unwrap(), "PT5H");
        assert_eq!(duration("5.5", "hour").unwrap(), "PT5H30M");
        assert_eq!(duration("X", "year").unwrap(), "PXY");
        assert_eq!(duration("1", "decade").unwrap(), "P10Y");
        assert!(duration("1", "fortnightly").is_none());
    }

    #[test]
    fn parse_errors_are_reported() {
        assert!(Template::parse("dct(day)").is_err());
        assert!(Template::parse("{A").is_err());
        assert!(Template::parse("near(XXXX").is_err());
        let t = Template::parse("{YEAR|XXXX}-{MONTH}").unwrap();
        assert_eq!(t.groups(), vec!["YEAR".to_string(), "MONTH".to_string()]);
    }
}
