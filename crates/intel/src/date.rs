//! Dates as posts write them: `2026-11-02`, `02/11/2026` (day or month first: both kept),
//! `2.11.2026`, `Nov 2`, `2 nov.`, `November 2nd, 2026`, `2 de noviembre`, and relative
//! ones: `3 days ago`, `1 day(s) ago`, `yesterday`, `il y a 3 jours`, `vor 3 Tagen`,
//! `hace 3 días`, `3 giorni fa`. Days are counted from 1970-01-01; a date without a year
//! is the latest such date not after the post (plus two days of clock skew).

/// One date found in a text. An ambiguous numeric date (`02/11/2026`) gives two mentions
/// with the same span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateMention {
    pub start: usize,
    pub end: usize,
    /// Days since 1970-01-01.
    pub day: i64,
    /// How many days either side the writer may be off (relative dates are rounded).
    pub slack: i64,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn valid(y: i64, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 || !(1970..=2200).contains(&y) {
        return false;
    }
    let len = match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= len
}

/// Month names and abbreviations in English, French, German, Spanish, Italian, Dutch and
/// Portuguese, accents folded (`fevrier`, `marz`).
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janv", 1),
    ("janvier", 1),
    ("januar", 1),
    ("janner", 1),
    ("enero", 1),
    ("ene", 1),
    ("gennaio", 1),
    ("gen", 1),
    ("januari", 1),
    ("janeiro", 1),
    ("february", 2),
    ("feb", 2),
    ("fev", 2),
    ("fevr", 2),
    ("fevrier", 2),
    ("februar", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("februari", 2),
    ("fevereiro", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("marz", 3),
    ("marzo", 3),
    ("maart", 3),
    ("marco", 3),
    ("april", 4),
    ("apr", 4),
    ("avr", 4),
    ("avril", 4),
    ("abril", 4),
    ("abr", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mag", 5),
    ("mei", 5),
    ("maio", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("giugno", 6),
    ("giu", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juil", 7),
    ("juillet", 7),
    ("juli", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lug", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("set", 9),
    ("setembro", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("ott", 10),
    ("outubro", 10),
    ("out", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("decembre", 12),
    ("dezember", 12),
    ("dez", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

/// Words for "yesterday" and "today" (accents folded).
const YESTERDAY: &[&str] = &[
    "yesterday",
    "hier",
    "gestern",
    "ayer",
    "ieri",
    "gisteren",
    "ontem",
];
const TODAY: &[&str] = &[
    "today", "aujourd", "heute", "hoy", "oggi", "vandaag", "hoje",
];
/// Day units (singular and plural, accents folded).
const DAY_UNITS: &[&str] = &[
    "day", "days", "d", "jour", "jours", "j", "tag", "tage", "tagen", "dia", "dias", "giorno",
    "giorni", "dag", "dagen",
];
const WEEK_UNITS: &[&str] = &[
    "week",
    "weeks",
    "wk",
    "wks",
    "semaine",
    "semaines",
    "woche",
    "wochen",
    "semana",
    "semanas",
    "settimana",
    "settimane",
    "weken",
];
/// "ago" after the number, or before it ("il y a", "vor", "hace").
const AGO_AFTER: &[&str] = &["ago", "fa", "geleden", "atras"];
const AGO_BEFORE: &[&str] = &["vor", "hace"];

pub(crate) fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ß' => 's',
        c => c.to_ascii_lowercase(),
    }
}

/// A token of the date grammar.
#[derive(Debug, Clone)]
enum Tok {
    Num { value: u32, len: usize },
    Word(String),
    Sep(char),
    Space,
}

#[derive(Debug, Clone)]
struct T {
    tok: Tok,
    start: usize,
    end: usize,
}

fn tokens(chars: &[(usize, char)], text_len: usize) -> Vec<T> {
    let mut out = Vec::new();
    let n = chars.len();
    let mut i = 0;
    let end_of = |j: usize| chars.get(j).map_or(text_len, |&(b, _)| b);
    while i < n {
        let (b, c) = chars[i];
        if c.is_ascii_digit() {
            let mut j = i;
            let mut v: u32 = 0;
            while j < n && chars[j].1.is_ascii_digit() {
                v = v
                    .saturating_mul(10)
                    .saturating_add(chars[j].1.to_digit(10).unwrap_or(0));
                j += 1;
            }
            out.push(T {
                tok: Tok::Num {
                    value: v,
                    len: j - i,
                },
                start: b,
                end: end_of(j),
            });
            i = j;
        } else if c.is_alphabetic() {
            let mut j = i;
            let mut w = String::new();
            while j < n && chars[j].1.is_alphabetic() {
                w.push(fold(chars[j].1));
                j += 1;
            }
            out.push(T {
                tok: Tok::Word(w),
                start: b,
                end: end_of(j),
            });
            i = j;
        } else if c.is_whitespace() {
            let mut j = i;
            while j < n && chars[j].1.is_whitespace() {
                j += 1;
            }
            out.push(T {
                tok: Tok::Space,
                start: b,
                end: end_of(j),
            });
            i = j;
        } else {
            out.push(T {
                tok: Tok::Sep(c),
                start: b,
                end: end_of(i + 1),
            });
            i += 1;
        }
    }
    out
}

fn month_of(w: &str) -> Option<u32> {
    MONTHS.iter().find(|(m, _)| *m == w).map(|&(_, n)| n)
}

/// The latest `month`/`day` not after `today + 2`, in this year or the one before.
fn resolve_year(today: i64, month: u32, day: u32) -> Option<i64> {
    let (y, _, _) = civil_from_days(today);
    [y, y - 1]
        .into_iter()
        .filter(|&yy| valid(yy, month, day))
        .map(|yy| days_from_civil(yy, month, day))
        .find(|&d| d <= today + 2)
}

/// The day of `month`/`day` in `year` if written (none if no such date), else in the
/// latest year that puts it no later than just after `today`.
fn day_in(year: Option<i64>, month: u32, day: u32, today: i64) -> Option<i64> {
    match year {
        Some(y) => valid(y, month, day).then(|| days_from_civil(y, month, day)),
        None => resolve_year(today, month, day),
    }
}

fn year_value(value: u32, len: usize) -> Option<i64> {
    match len {
        4 => Some(i64::from(value)),
        2 => Some(2000 + i64::from(value)),
        _ => None,
    }
}

/// Finds dates relative to `today` (the post's day), skipping characters whose byte
/// offset `taken` reports as already read (an order id, a tracking number).
pub fn find_dates(
    chars: &[(usize, char)],
    text_len: usize,
    today: i64,
    taken: &dyn Fn(usize) -> bool,
) -> Vec<DateMention> {
    let toks = tokens(chars, text_len);
    let n = toks.len();
    let mut out = Vec::new();
    let num = |k: usize| match toks.get(k).map(|t| &t.tok) {
        Some(Tok::Num { value, len }) => Some((*value, *len)),
        _ => None,
    };
    let word = |k: usize| match toks.get(k).map(|t| &t.tok) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let sep = |k: usize| match toks.get(k).map(|t| &t.tok) {
        Some(Tok::Sep(c)) => Some(*c),
        _ => None,
    };
    let space = |k: usize| matches!(toks.get(k).map(|t| &t.tok), Some(Tok::Space));
    // Next non-space token index after k.
    let next = |k: usize| {
        let mut j = k + 1;
        while j < n && space(j) {
            j += 1;
        }
        j
    };
    let glued = |k: usize| {
        // A number glued to a letter or to more digits through a separator is part of
        // something else (a model number, an id).
        k.checked_sub(1)
            .is_some_and(|p| matches!(toks[p].tok, Tok::Word(_) | Tok::Num { .. }))
    };
    let mut k = 0;
    while k < n {
        let t = &toks[k];
        if taken(t.start) {
            k += 1;
            continue;
        }
        // Numeric: Y-M-D, D/M/Y, M/D/Y, D.M.Y
        if let Some((a, alen)) = num(k)
            && !glued(k)
            && let (Some(s1), Some((b, blen))) = (sep(k + 1), num(k + 2))
            && matches!(s1, '-' | '/' | '.')
            && sep(k + 3) == Some(s1)
            && let Some((c, clen)) = num(k + 4)
            && blen <= 2
        {
            let after_glued = toks.get(k + 5).is_some_and(|t| {
                matches!(t.tok, Tok::Num { .. } | Tok::Word(_))
                    || matches!(t.tok, Tok::Sep(x) if x == s1 && num(k + 6).is_some())
            });
            let (start, end) = (t.start, toks[k + 4].end);
            if !after_glued && !taken(toks[k + 4].start) {
                if alen == 4 && clen <= 2 {
                    if valid(i64::from(a), b, c) {
                        out.push(DateMention {
                            start,
                            end,
                            day: days_from_civil(i64::from(a), b, c),
                            slack: 0,
                        });
                    }
                } else if alen <= 2
                    && let Some(y) = year_value(c, clen)
                {
                    let dm = valid(y, b, a).then(|| days_from_civil(y, b, a));
                    let md = (s1 != '.' && valid(y, a, b)).then(|| days_from_civil(y, a, b));
                    for day in [dm, md].into_iter().flatten() {
                        if !out
                            .iter()
                            .any(|d: &DateMention| d.start == start && d.day == day)
                        {
                            out.push(DateMention {
                                start,
                                end,
                                day,
                                slack: 0,
                            });
                        }
                    }
                }
                k += 5;
                continue;
            }
        }
        // Day then month name: `2 nov.`, `2nd November 2026`, `2. November`, `2 de noviembre`.
        if let Some((d, dlen)) = num(k)
            && dlen <= 2
            && !glued(k)
        {
            let mut j = k + 1;
            if let Some(w) = word(j)
                && matches!(w, "st" | "nd" | "rd" | "th" | "er" | "eme" | "o")
            {
                j += 1;
            }
            if sep(j) == Some('.') {
                j += 1;
            }
            let mut m_at = next(j - 1);
            if word(m_at).is_some_and(|w| w == "de" || w == "of") {
                m_at = next(m_at);
            }
            if m_at > j.saturating_sub(1)
                && let Some(m) = word(m_at).and_then(month_of)
            {
                let mut end_k = m_at;
                if sep(end_k + 1) == Some('.') {
                    end_k += 1;
                }
                let mut year = None;
                let mut y_at = next(end_k);
                if sep(y_at) == Some(',') {
                    y_at = next(y_at);
                }
                if word(y_at) == Some("de") {
                    y_at = next(y_at);
                }
                if let Some((yv, ylen)) = num(y_at)
                    && ylen == 4
                {
                    year = Some(i64::from(yv));
                    end_k = y_at;
                }
                let day = day_in(year, m, d, today);
                if let Some(day) = day {
                    out.push(DateMention {
                        start: t.start,
                        end: toks[end_k].end,
                        day,
                        slack: 0,
                    });
                    k = end_k + 1;
                    continue;
                }
            }
        }
        // Month name then day: `Nov 2`, `November 2nd, 2026`.
        if let Some(m) = word(k).and_then(month_of)
            && !(k > 0 && matches!(toks[k - 1].tok, Tok::Word(_) | Tok::Num { .. }))
        {
            let mut j = k + 1;
            if sep(j) == Some('.') {
                j += 1;
            }
            let d_at = next(j - 1);
            if d_at > k
                && let Some((d, dlen)) = num(d_at)
                && dlen <= 2
                && !(d_at + 1 < n && matches!(toks[d_at + 1].tok, Tok::Num { .. }))
            {
                let mut end_k = d_at;
                if let Some(w) = word(d_at + 1)
                    && matches!(w, "st" | "nd" | "rd" | "th")
                {
                    end_k = d_at + 1;
                }
                let mut y_at = next(end_k);
                if sep(y_at) == Some(',') {
                    y_at = next(y_at);
                }
                let mut year = None;
                if let Some((yv, 4)) = num(y_at) {
                    year = Some(i64::from(yv));
                    end_k = y_at;
                }
                let day = day_in(year, m, d, today);
                // A bare month word next to a small number ("may 2") is weak but the
                // match only uses dates as corroboration.
                if let Some(day) = day {
                    out.push(DateMention {
                        start: t.start,
                        end: toks[end_k].end,
                        day,
                        slack: 0,
                    });
                    k = end_k + 1;
                    continue;
                }
            }
        }
        // Relative: yesterday, today.
        if let Some(w) = word(k) {
            let offset = if YESTERDAY.contains(&w) {
                Some(1)
            } else if TODAY.contains(&w) {
                Some(0)
            } else {
                None
            };
            if let Some(o) = offset {
                out.push(DateMention {
                    start: t.start,
                    end: t.end,
                    day: today - o,
                    slack: 1,
                });
                k += 1;
                continue;
            }
        }
        // Relative: N day(s)/week(s) ago, il y a N jours, vor N Tagen, hace N días.
        if let Some((v, vlen)) = num(k)
            && vlen <= 3
            && !glued(k)
        {
            let u_at = next(k);
            let unit = word(u_at).map(|w| {
                if DAY_UNITS.contains(&w) {
                    1
                } else if WEEK_UNITS.contains(&w) {
                    7
                } else {
                    0
                }
            });
            if let Some(mult @ (1 | 7)) = unit {
                // "(s)" after the unit.
                let mut after = u_at;
                if sep(after + 1) == Some('(')
                    && word(after + 2) == Some("s")
                    && sep(after + 3) == Some(')')
                {
                    after += 3;
                }
                let ago_after = word(next(after)).is_some_and(|w| AGO_AFTER.contains(&w));
                let (w1, w2) = prev_words(&toks, k);
                let ago_before = w1.as_deref().is_some_and(|w| AGO_BEFORE.contains(&w))
                    || (w1.as_deref() == Some("a") && w2.as_deref() == Some("y"));
                if ago_after || ago_before {
                    let end_k = if ago_after { next(after) } else { after };
                    let days = i64::from(v) * mult;
                    out.push(DateMention {
                        start: t.start,
                        end: toks[end_k.min(n - 1)].end,
                        day: today - days,
                        slack: if mult == 7 { 4 } else { 1 + days / 7 },
                    });
                    k = end_k + 1;
                    continue;
                }
            }
        }
        k += 1;
    }
    out
}

/// The two words before token `k` (nearest first), across spaces only.
fn prev_words(toks: &[T], k: usize) -> (Option<String>, Option<String>) {
    let mut found = Vec::with_capacity(2);
    let mut j = k;
    while j > 0 && found.len() < 2 {
        j -= 1;
        match &toks[j].tok {
            Tok::Space => continue,
            Tok::Word(w) => found.push(w.clone()),
            _ => break,
        }
    }
    let mut it = found.into_iter();
    (it.next(), it.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(text: &str, today: i64) -> Vec<(i64, u32, u32)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_dates(&chars, text.len(), today, &|_| false)
            .into_iter()
            .map(|d| civil_from_days(d.day))
            .collect()
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 2), 20_759);
        for z in [-1000, 0, 59, 20_759, 60_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn written_dates() {
        let today = days_from_civil(2026, 11, 9);
        assert_eq!(
            dates("refunded 2026-11-05, item kept", today),
            [(2026, 11, 5)]
        );
        assert_eq!(
            dates("on 02/11/2026", today),
            [(2026, 11, 2), (2026, 2, 11)]
        );
        assert_eq!(dates("am 2.11.2026", today), [(2026, 11, 2)]);
        assert_eq!(dates("since Nov 2", today), [(2026, 11, 2)]);
        assert_eq!(dates("le 2 nov. remboursé", today), [(2026, 11, 2)]);
        assert_eq!(dates("November 2nd, 2026", today), [(2026, 11, 2)]);
        assert_eq!(dates("el 2 de noviembre", today), [(2026, 11, 2)]);
        assert_eq!(dates("am 2. November", today), [(2026, 11, 2)]);
        // Without a year, a date after the post belongs to last year.
        assert_eq!(dates("Dec 24", today), [(2025, 12, 24)]);
    }

    #[test]
    fn relative_dates() {
        let today = days_from_civil(2026, 11, 9);
        assert_eq!(dates("refunded 1 day(s) ago", today), [(2026, 11, 8)]);
        assert_eq!(dates("3 days ago", today), [(2026, 11, 6)]);
        assert_eq!(dates("il y a 3 jours", today), [(2026, 11, 6)]);
        assert_eq!(dates("vor 3 Tagen", today), [(2026, 11, 6)]);
        assert_eq!(dates("hace 3 días", today), [(2026, 11, 6)]);
        assert_eq!(dates("yesterday", today), [(2026, 11, 8)]);
        assert_eq!(dates("2 weeks ago", today), [(2026, 10, 26)]);
    }

    #[test]
    fn numbers_that_are_not_dates() {
        let today = days_from_civil(2026, 11, 9);
        assert!(dates("call 415-555-0123", today).is_empty());
        assert!(dates("open 24/7, fee 30%", today).is_empty());
        assert!(dates("orders $50-$5k in 4 days", today).is_empty());
        assert!(dates("v1.2.3", today).is_empty());
        assert!(dates("Galaxy S24 may", today).is_empty());
    }
}
