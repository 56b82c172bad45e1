//! The three ways to look at the past (DESIGN.md section 4).

use docket_model::Effective;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Which part of the ledger a query sees, and as of when.
///
/// * `as_of`: the world as of this instant: only events whose (corrected)
///   effective time is at or before it. A date means the end of that day
///   (UTC), so `--as-of 2024-07-31` includes everything dated 31 July.
/// * `known_at`: only what the ledger had recorded by this instant.
/// * `at_seq`: only entries `0..=at_seq`.
///
/// `known_at` and `at_seq` both select a prefix of the log (recorded-at
/// times never decrease), and within that prefix corrections and
/// retractions take effect whatever their own effective date: once known,
/// a retraction says the event never happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeQuery {
    /// Upper bound on valid time, inclusive, in microseconds since the epoch.
    pub as_of: Option<i64>,
    /// Upper bound on recorded-at time, inclusive, in microseconds.
    pub known_at: Option<i64>,
    /// Last visible sequence number, inclusive.
    pub at_seq: Option<u64>,
}

/// Reads a `--as-of` or `--known-at` value: `YYYY-MM-DD` (the end of that
/// day, UTC) or an RFC 3339 timestamp. Returns microseconds since the epoch.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let effective = Effective::parse(text)
        .map_err(|e| format!("{text:?} is not a date or an RFC 3339 timestamp: {e}"))?;
    Ok(match effective {
        // The last microsecond of that day.
        Effective::Date(_) => effective.instant_micros() + MICROS_PER_DAY - 1,
        Effective::Timestamp { .. } => effective.instant_micros(),
    })
}

/// An instant as RFC 3339 UTC, for reports.
pub fn format_instant(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(at) => at.to_string(),
        Err(_) => format!("{micros}µs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_means_the_end_of_that_day() {
        let end = parse_instant("2024-07-31").unwrap();
        let next = parse_instant("2024-08-01T00:00:00Z").unwrap();
        assert_eq!(end + 1, next);
        assert_eq!(format_instant(end), "2024-07-31T23:59:59.999999Z");
    }

    #[test]
    fn timestamps_keep_their_offset() {
        let cet = parse_instant("2024-08-01T01:00:00+02:00").unwrap();
        assert_eq!(cet, parse_instant("2024-07-31T23:00:00Z").unwrap());
        assert!(parse_instant("yesterday").is_err());
    }
}
