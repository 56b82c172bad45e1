//! [`Effective`]: when an event happened in the world (its valid time).
//!
//! Written either as a calendar date `YYYY-MM-DD` or as an RFC 3339
//! timestamp `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)`. Parsing is strict:
//! four-digit years between [`limits::MIN_YEAR`] and [`limits::MAX_YEAR`], a
//! real calendar day, an explicit UTC offset on timestamps (`T`/`Z` may be
//! lowercase, as RFC 3339 allows), at most six fractional digits (the model
//! keeps microseconds), no leap seconds (`:60`).
//!
//! The canonical written form, used by [`Display`](fmt::Display) and the JSON
//! output, keeps the offset as given, writes `Z` for a zero offset (so `+00:00`
//! and `-00:00` print as `Z`), and writes the fraction without trailing zeros.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;

use crate::error::{ValueError, preview};
use crate::limits;

/// The valid time of an event: a whole day, or an instant with the UTC offset
/// it was written with.
///
/// Both variants have public fields; a value built by hand may break the rules
/// that parsing enforces (use [`Effective::check`]). Events with such a value
/// fail [`Event::check`](crate::Event::check) and do not encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effective {
    /// A calendar date, taken to start at midnight UTC.
    Date(Date),
    /// An instant, with the offset (whole minutes, at most ±23:59) it was
    /// written with. Whole microseconds only.
    Timestamp {
        /// The instant.
        at: Timestamp,
        /// The UTC offset it was written with, in seconds east of UTC.
        offset_seconds: i32,
    },
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(date: Date) -> i64 {
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl Effective {
    /// Parses a date (`2024-07-24`) or an RFC 3339 timestamp with an offset
    /// (`2024-07-24T09:30:00+01:00`, `2024-07-24T08:30:00.25Z`).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let fail = |reason: &str| ValueError::Effective {
            value: preview(s),
            reason: reason.to_owned(),
        };
        let mut p = Cursor {
            s: s.as_bytes(),
            i: 0,
        };
        let shape = "expected YYYY-MM-DD or an RFC 3339 timestamp such as 2024-07-24T09:30:00Z";
        let (y, mo, d) = p.date().ok_or_else(|| fail(shape))?;
        let date = Date::new(y, mo, d).map_err(|e| fail(&format!("no such day ({e})")))?;
        if p.done() {
            let eff = Effective::Date(date);
            return eff.check().map(|()| eff).map_err(|e| relabel(e, s));
        }
        if !p.eat_any(b"Tt") {
            return Err(fail(shape));
        }
        let (h, mi, sec) = p.time().ok_or_else(|| fail(shape))?;
        let micros = p.fraction().map_err(fail)?;
        if p.done() {
            return Err(fail(
                "a timestamp needs a UTC offset: add Z or ±HH:MM (or give a date only)",
            ));
        }
        let offset_seconds = p.offset().ok_or_else(|| {
            fail("expected the UTC offset Z or ±HH:MM (hours 00-23, minutes 00-59)")
        })?;
        if !p.done() {
            return Err(fail("unexpected text after the UTC offset"));
        }
        if sec == 60 {
            return Err(fail("leap seconds (:60) are not supported"));
        }
        let time = Time::new(h, mi, sec, micros * 1000)
            .map_err(|e| fail(&format!("no such time of day ({e})")))?;
        let offset = Offset::from_seconds(offset_seconds).map_err(|e| fail(&e.to_string()))?;
        let at = offset
            .to_timestamp(DateTime::from_parts(date, time))
            .map_err(|e| fail(&e.to_string()))?;
        let eff = Effective::Timestamp { at, offset_seconds };
        eff.check().map(|()| eff).map_err(|e| relabel(e, s))
    }

    /// Checks the rules that parsing enforces: years in range (both in UTC
    /// and at the offset), whole microseconds, whole-minute offset within
    /// ±23:59.
    pub fn check(&self) -> Result<(), ValueError> {
        let fail = |reason: String| ValueError::Effective {
            value: self.to_string(),
            reason,
        };
        // Worded only for a refusal: every event parsed is checked.
        let years = || {
            format!(
                "the year must be between {} and {}",
                limits::MIN_YEAR,
                limits::MAX_YEAR
            )
        };
        let in_range = |d: Date| (limits::MIN_YEAR..=limits::MAX_YEAR).contains(&d.year());
        match *self {
            Effective::Date(d) => {
                if !in_range(d) {
                    return Err(fail(years()));
                }
            }
            Effective::Timestamp { at, offset_seconds } => {
                if offset_seconds % 60 != 0
                    || offset_seconds.unsigned_abs() > limits::MAX_OFFSET_SECONDS.unsigned_abs()
                {
                    return Err(fail(format!(
                        "the UTC offset must be whole minutes within ±23:59, not {offset_seconds} seconds"
                    )));
                }
                if at.subsec_nanosecond() % 1000 != 0 {
                    return Err(fail(
                        "sub-microsecond precision is not supported".to_owned(),
                    ));
                }
                let local = Offset::from_seconds(offset_seconds)
                    .map_err(|e| fail(e.to_string()))?
                    .to_datetime(at)
                    .date();
                if !in_range(self.date()) || !in_range(local) {
                    return Err(fail(years()));
                }
            }
        }
        Ok(())
    }

    /// The instant in microseconds since 1970-01-01T00:00:00Z. A date counts
    /// as midnight UTC at its start.
    pub fn instant_micros(&self) -> i64 {
        match *self {
            Effective::Date(d) => days_from_civil(d) * MICROS_PER_DAY,
            Effective::Timestamp { at, .. } => at.as_microsecond(),
        }
    }

    /// The calendar date in UTC (for a date, the date itself).
    pub fn date(&self) -> Date {
        match *self {
            Effective::Date(d) => d,
            Effective::Timestamp { at, .. } => Offset::UTC.to_datetime(at).date(),
        }
    }
}

/// Replaces the value in a `check` error by the text as the user wrote it.
fn relabel(e: ValueError, written: &str) -> ValueError {
    match e {
        ValueError::Effective { reason, .. } => ValueError::Effective {
            value: preview(written),
            reason,
        },
        other => other,
    }
}

/// A byte cursor for the strict grammar above.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i == self.s.len()
    }

    fn eat_any(&mut self, set: &[u8]) -> bool {
        match self.s.get(self.i) {
            Some(c) if set.contains(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    /// Exactly `n` ASCII digits, as a number.
    fn digits(&mut self, n: usize) -> Option<i32> {
        let part = self.s.get(self.i..self.i + n)?;
        let mut v = 0i32;
        for &c in part {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }

    fn two(&mut self) -> Option<i8> {
        self.digits(2).and_then(|v| i8::try_from(v).ok())
    }

    /// `YYYY-MM-DD`
    fn date(&mut self) -> Option<(i16, i8, i8)> {
        let y = i16::try_from(self.digits(4)?).ok()?;
        self.eat_any(b"-").then_some(())?;
        let m = self.two()?;
        self.eat_any(b"-").then_some(())?;
        Some((y, m, self.two()?))
    }

    /// `HH:MM:SS`
    fn time(&mut self) -> Option<(i8, i8, i8)> {
        let h = self.two()?;
        self.eat_any(b":").then_some(())?;
        let m = self.two()?;
        self.eat_any(b":").then_some(())?;
        Some((h, m, self.two()?))
    }

    /// An optional `.f{1,6}`, as microseconds.
    fn fraction(&mut self) -> Result<i32, &'static str> {
        if !self.eat_any(b".") {
            return Ok(0);
        }
        let mut micros = 0;
        let mut n = 0;
        while let Some(c) = self.s.get(self.i).filter(|c| c.is_ascii_digit()) {
            if n == 6 {
                return Err(
                    "at most six fractional digits: sub-microsecond precision is not supported",
                );
            }
            micros = micros * 10 + i32::from(c - b'0');
            n += 1;
            self.i += 1;
        }
        if n == 0 {
            return Err("expected digits after the decimal point");
        }
        Ok(micros * 10i32.pow(6 - n))
    }

    /// `Z`, `z` or `±HH:MM`, as seconds east of UTC.
    fn offset(&mut self) -> Option<i32> {
        if self.eat_any(b"Zz") {
            return Some(0);
        }
        let sign = match self.s.get(self.i)? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.i += 1;
        let h = self.digits(2)?;
        self.eat_any(b":").then_some(())?;
        let m = self.digits(2)?;
        (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
    }
}

impl FromStr for Effective {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::parse(s)
    }
}

impl fmt::Display for Effective {
    /// The canonical form: `2024-07-24`, `2024-07-24T09:30:00+01:00`,
    /// `2024-07-24T08:30:00.25Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Effective::Date(d) => write_date(f, d),
            Effective::Timestamp { at, offset_seconds } => {
                // An out-of-range offset only exists in hand-built values; show
                // the instant in UTC with the raw offset rather than fail.
                let Ok(offset) = Offset::from_seconds(offset_seconds) else {
                    return write!(f, "{at} (offset {offset_seconds}s)");
                };
                let local = offset.to_datetime(at);
                write_date(f, local.date())?;
                write!(
                    f,
                    "T{:02}:{:02}:{:02}",
                    local.hour(),
                    local.minute(),
                    local.second()
                )?;
                let nanos = local.subsec_nanosecond();
                if nanos != 0 {
                    let digits = format!("{nanos:09}");
                    write!(f, ".{}", digits.trim_end_matches('0'))?;
                }
                if offset_seconds == 0 {
                    return f.write_str("Z");
                }
                let sign = if offset_seconds < 0 { '-' } else { '+' };
                let abs = offset_seconds.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)?;
                if abs % 60 != 0 {
                    write!(f, ":{:02}", abs % 60)?;
                }
                Ok(())
            }
        }
    }
}

fn write_date(f: &mut fmt::Formatter<'_>, d: Date) -> fmt::Result {
    write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

impl Ord for Effective {
    /// By instant first; at the same instant a date sorts before a
    /// timestamp, and timestamps by offset (west to east).
    fn cmp(&self, other: &Self) -> Ordering {
        fn key(e: &Effective) -> (i64, u8, Option<Timestamp>, i32) {
            match *e {
                Effective::Date(_) => (e.instant_micros(), 0, None, 0),
                Effective::Timestamp { at, offset_seconds } => {
                    (e.instant_micros(), 1, Some(at), offset_seconds)
                }
            }
        }
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for Effective {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Effective {
        Effective::parse(s).unwrap()
    }

    fn err(s: &str) -> String {
        Effective::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn dates_parse_and_print() {
        let e = p("2024-02-29");
        assert_eq!(e, Effective::Date(Date::new(2024, 2, 29).unwrap()));
        assert_eq!(e.to_string(), "2024-02-29");
        assert_eq!(e.date(), Date::new(2024, 2, 29).unwrap());
        assert_eq!(p("1970-01-01").instant_micros(), 0);
        assert_eq!(p("1970-01-02").instant_micros(), MICROS_PER_DAY);
        assert_eq!(p("1969-12-31").instant_micros(), -MICROS_PER_DAY);
        assert_eq!(p("2000-03-01").instant_micros(), 951_868_800 * 1_000_000);
        assert_eq!(p("1800-01-01").to_string(), "1800-01-01");
        assert_eq!(p("2200-12-31").to_string(), "2200-12-31");
    }

    #[test]
    fn date_instants_agree_with_jiff() {
        for s in [
            "1800-01-01",
            "1899-12-31",
            "1900-03-01",
            "2024-02-29",
            "2200-12-31",
        ] {
            let d = p(s);
            let via_jiff = Offset::UTC
                .to_timestamp(d.date().to_datetime(Time::midnight()))
                .unwrap()
                .as_microsecond();
            assert_eq!(d.instant_micros(), via_jiff, "{s}");
        }
    }

    #[test]
    fn timestamps_parse_and_print_canonically() {
        for (input, canonical) in [
            ("2024-07-24T09:30:00+01:00", "2024-07-24T09:30:00+01:00"),
            ("2024-07-24T08:30:00Z", "2024-07-24T08:30:00Z"),
            ("2024-07-24t08:30:00z", "2024-07-24T08:30:00Z"),
            ("2024-07-24T08:30:00+00:00", "2024-07-24T08:30:00Z"),
            ("2024-07-24T08:30:00-00:00", "2024-07-24T08:30:00Z"),
            ("2024-07-24T08:30:00.500Z", "2024-07-24T08:30:00.5Z"),
            (
                "2024-07-24T08:30:00.000001-05:30",
                "2024-07-24T08:30:00.000001-05:30",
            ),
            ("2024-07-24T08:30:00.0Z", "2024-07-24T08:30:00Z"),
            ("2024-12-31T23:59:59+23:59", "2024-12-31T23:59:59+23:59"),
        ] {
            let e = p(input);
            assert_eq!(e.to_string(), canonical, "{input}");
            assert_eq!(p(canonical), e);
        }
        let e = p("2024-07-24T01:00:00+02:00");
        assert_eq!(e.date(), Date::new(2024, 7, 23).unwrap());
        assert_eq!(
            e.instant_micros(),
            p("2024-07-23T23:00:00Z").instant_micros()
        );
        assert_eq!(
            e,
            Effective::Timestamp {
                at: "2024-07-23T23:00:00Z".parse().unwrap(),
                offset_seconds: 7200
            }
        );
    }

    #[test]
    fn bad_values_say_why() {
        assert!(err("2024-02-30").contains("no such day"));
        assert!(err("2023-02-29").contains("no such day"));
        assert!(err("2024-13-01").contains("no such day"));
        assert!(err("2024-07-24T09:30:00").contains("needs a UTC offset"));
        assert!(err("2024-07-24T09:30:00.1234567Z").contains("sub-microsecond"));
        assert!(err("2024-07-24T09:30:60Z").contains("leap seconds"));
        assert!(err("2024-07-24T24:00:00Z").contains("no such time"));
        assert!(err("2024-07-24T09:30:00+24:00").contains("UTC offset"));
        assert!(err("2024-07-24T09:30:00+0100").contains("UTC offset"));
        assert!(err("2024-07-24T09:30:00Zjunk").contains("after the UTC offset"));
        assert!(err("2024-07-24T09:30:00.Z").contains("digits after"));
        assert!(err("1799-12-31").contains("between 1800 and 2200"));
        assert!(err("2201-01-01").contains("between 1800 and 2200"));
        assert!(err("1800-01-01T00:30:00+01:00").contains("between 1800 and 2200"));
        assert!(err("2200-12-31T23:30:00-01:00").contains("between 1800 and 2200"));
        for shape in [
            "",
            "2024",
            "24-07-24",
            "2024-7-24",
            "2024/07/24",
            "2024-07-24 09:30:00Z",
            "2024-07-24T9:30:00Z",
            "2024-07-24T09:30Z",
            "+2024-07-24",
            "２０２４-07-24",
            "2024-07-24Z",
        ] {
            assert!(
                err(shape).contains("expected YYYY-MM-DD"),
                "{shape}: {}",
                err(shape)
            );
        }
    }

    #[test]
    fn check_rejects_hand_built_values() {
        let at: Timestamp = "2024-07-24T08:30:00Z".parse().unwrap();
        assert!(
            Effective::Timestamp {
                at,
                offset_seconds: 30
            }
            .check()
            .is_err()
        );
        assert!(
            Effective::Timestamp {
                at,
                offset_seconds: 86_400
            }
            .check()
            .is_err()
        );
        for extreme in [i32::MIN, i32::MAX, i32::MIN + 8] {
            let e = Effective::Timestamp {
                at,
                offset_seconds: extreme,
            };
            assert!(e.check().is_err());
            assert!(!e.to_string().is_empty());
        }
        let nanos = at + jiff::SignedDuration::from_nanos(1);
        assert!(
            Effective::Timestamp {
                at: nanos,
                offset_seconds: 0
            }
            .check()
            .is_err()
        );
        assert!(
            Effective::Date(Date::new(1066, 10, 14).unwrap())
                .check()
                .is_err()
        );
        // Display still works for them.
        let odd = Effective::Timestamp {
            at,
            offset_seconds: 86_400 * 2,
        };
        assert!(odd.to_string().contains("offset"));
    }

    #[test]
    fn order_is_by_instant_then_representation() {
        let day = p("2024-07-24");
        let midnight_z = p("2024-07-24T00:00:00Z");
        let midnight_plus = p("2024-07-24T01:00:00+01:00");
        let later = p("2024-07-24T00:00:00.000001Z");
        let before = p("2024-07-23T23:59:59.999999Z");
        let mut all = vec![later, midnight_plus, midnight_z, day, before];
        all.sort();
        assert_eq!(all, vec![before, day, midnight_z, midnight_plus, later]);
        assert_eq!(day.cmp(&p("2024-07-24")), Ordering::Equal);
    }
}
