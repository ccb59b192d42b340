//! Timestamps on the wire: ISO 8601 / RFC 3339 in UTC, as Merge writes them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Storage timestamps (microseconds since the epoch) as `2026-11-25T12:00:00.123456Z`.
pub fn iso8601(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_microseconds() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_000_000_123_456), "2026-11-18T11:06:40.123456Z");
    }
}
