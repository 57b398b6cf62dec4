//! Event-time arithmetic and RFC 3339 rendering without a time crate.

use std::fmt::Write as _;

pub(crate) const MIN: i64 = 60;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day) in the
/// proleptic Gregorian calendar, exact for every `i64` day count we can meet.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

fn push2(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
}

fn push_date(s: &mut String, ts: i64) {
    let (y, m, d) = civil_from_days(ts.div_euclid(DAY));
    if (0..10_000).contains(&y) {
        let y = y as u32;
        push2(s, y / 100);
        push2(s, y % 100);
    } else {
        let _ = write!(s, "{y:+05}");
    }
    s.push('-');
    push2(s, m);
    s.push('-');
    push2(s, d);
}

/// Appends `YYYY-MM-DDTHH:MM:SSZ` (second precision, UTC).
pub(crate) fn push_ts(s: &mut String, ts: i64) {
    push_date(s, ts);
    let secs = ts.rem_euclid(DAY) as u32;
    s.push('T');
    push2(s, secs / 3_600);
    s.push(':');
    push2(s, secs / 60 % 60);
    s.push(':');
    push2(s, secs % 60);
    s.push('Z');
}

/// `YYYY-MM-DD`, for dates people mention in free text.
pub(crate) fn date_text(ts: i64) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, ts);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(t: i64) -> String {
        let mut s = String::new();
        push_ts(&mut s, t);
        s
    }

    #[test]
    fn known_instants() {
        assert_eq!(ts(0), "1970-01-01T00:00:00Z");
        assert_eq!(ts(1_793_491_200), "2026-11-01T00:00:00Z");
        assert_eq!(
            ts(1_793_491_200 + DAY + 14 * HOUR + 3 * MIN + 11),
            "2026-11-02T14:03:11Z"
        );
        assert_eq!(ts(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(ts(-1), "1969-12-31T23:59:59Z");
        assert_eq!(ts(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
