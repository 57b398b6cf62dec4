use crate::Id;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Event time: the instant (for ordering and arithmetic) and the text it was written as.
///
/// The text is kept because outputs echo the decision point's `ts` exactly as the retailer
/// wrote it; re-formatting could change offsets or precision that downstream readers
/// compare as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch, UTC.
    pub unix_ms: i64,
    /// The original RFC 3339 text.
    pub raw: Id,
}

impl Timestamp {
    /// Parses an RFC 3339 timestamp with an offset (`Z` or `±hh:mm`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
            format!("not an RFC 3339 timestamp with offset (e.g. 2026-11-02T14:03:11Z): {e}")
        })?;
        let unix_ms = i64::try_from(dt.unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| "timestamp out of range".to_string())?;
        Ok(Self {
            unix_ms,
            raw: Id::from(s),
        })
    }

    /// Builds a timestamp from milliseconds, formatted as RFC 3339 UTC; for generated data
    /// and tests.
    pub fn from_unix_ms(unix_ms: i64) -> Self {
        let raw = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
            .ok()
            .and_then(|dt| dt.format(&Rfc3339).ok())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
        Self {
            unix_ms,
            raw: Id::from(raw),
        }
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_ms
            .cmp(&other.unix_ms)
            .then_with(|| self.raw.cmp(&other.raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets_to_the_same_instant() {
        let a = Timestamp::parse("2026-11-02T14:03:11Z").unwrap();
        let b = Timestamp::parse("2026-11-02T15:03:11+01:00").unwrap();
        assert_eq!(a.unix_ms, b.unix_ms);
        assert_eq!(b.raw, "2026-11-02T15:03:11+01:00");
        let c = Timestamp::parse("2026-11-02T14:03:11.250Z").unwrap();
        assert_eq!(c.unix_ms - a.unix_ms, 250);
    }

    #[test]
    fn rejects_timestamps_without_offset_or_garbage() {
        for bad in [
            "2026-11-02T14:03:11",
            "2026-11-02",
            "yesterday",
            "",
            "2026-13-02T14:03:11Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn round_trips_from_millis() {
        let t = Timestamp::from_unix_ms(1_793_491_200_000);
        assert_eq!(t.raw, "2026-11-01T00:00:00Z");
        assert_eq!(Timestamp::parse(&t.raw).unwrap().unix_ms, t.unix_ms);
    }
}
