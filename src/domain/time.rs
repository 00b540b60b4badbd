//! Timestamps as commercetools writes them: UTC ISO-8601 with milliseconds
//! (`2022-09-19T14:34:35.843Z`). The clock itself is an input (milliseconds since the epoch).

use chrono::{DateTime, NaiveDate};

/// Formats milliseconds since the Unix epoch; out-of-range values clamp to the epoch.
pub fn iso_millis(epoch_ms: i64) -> String {
    DateTime::from_timestamp_millis(epoch_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Milliseconds since the epoch of an ISO-8601 date-time (as [`iso_millis`] writes them).
pub fn parse_iso_millis(value: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The time a write to `last_modified_at` takes effect at: the request's time, or just after
/// the last modification if that is later (requests may reach a customer's writer out of the
/// order their clocks were read in), so modification times never go backwards.
pub fn write_time(request_ms: i64, last_modified_at: &str) -> i64 {
    parse_iso_millis(last_modified_at).map_or(request_ms, |last| request_ms.max(last))
}

/// True for a real calendar date written exactly as `YYYY-MM-DD`.
pub fn is_iso_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape_ok && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_663_598_075_843), "2022-09-19T14:34:35.843Z");
    }

    #[test]
    fn write_times_never_go_backwards() {
        let last = iso_millis(5_000);
        assert_eq!(parse_iso_millis(&last), Some(5_000));
        assert_eq!(write_time(4_000, &last), 5_000);
        assert_eq!(write_time(6_000, &last), 6_000);
        assert_eq!(write_time(6_000, "garbage"), 6_000);
    }

    #[test]
    fn accepts_only_real_dates_in_the_exact_format() {
        assert!(is_iso_date("1990-02-28"));
        assert!(is_iso_date("2000-02-29"));
        assert!(!is_iso_date("1990-02-30"));
        assert!(!is_iso_date("1990-2-28"));
        assert!(!is_iso_date("1990-02-28T00:00:00Z"));
        assert!(!is_iso_date("28.02.1990"));
        assert!(!is_iso_date(""));
    }
}
