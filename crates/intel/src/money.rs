//! Amounts with a currency as people write them: `$1,249.00`, `£849`, `1.299,00 €`,
//! `1 299,00 €`, `USD 849.00`, `849 dollars`, `C$2,299.97`, `$5k`.
//!
//! A number without a currency next to it is not an amount (it is a count, a fee
//! percentage, a model number). Which separator is the decimal one is read from the
//! digits: one or two digits after the last `.` or `,` are cents, groups of three are
//! thousands.

/// One amount found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountMention {
    /// Byte offsets in the text (currency marker and number).
    pub start: usize,
    pub end: usize,
    /// ISO 4217 code.
    pub currency: &'static str,
    /// The value times 100 (`$849.50` is 84 950), whatever the currency's minor unit.
    pub hundredths: i64,
    /// Whether cents were written (`$849` could be $849.99 rounded down).
    pub has_cents: bool,
    /// The other reading when a space groups thousands: `iPhone 15 753,98 €` is 15,753.98
    /// or (a model number, then the price) 753.98. Matching tries both.
    pub alt_hundredths: Option<i64>,
}

/// Symbols and prefixes, longest first so that `US$` wins over `$`.
const SYMBOLS: &[(&str, &str)] = &[
    ("CAD$", "CAD"),
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("AU$", "AUD"),
    ("NZ$", "NZD"),
    ("MX$", "MXN"),
    ("HK$", "HKD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("R$", "BRL"),
    ("S$", "SGD"),
    ("$", "USD"),
    ("£", "GBP"),
    ("€", "EUR"),
    ("¥", "JPY"),
    ("￥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("zł", "PLN"),
];

/// Codes and words, matched as whole words, case-insensitively.
const WORDS: &[(&str, &str)] = &[
    ("usd", "USD"),
    ("eur", "EUR"),
    ("gbp", "GBP"),
    ("cad", "CAD"),
    ("aud", "AUD"),
    ("nzd", "NZD"),
    ("chf", "CHF"),
    ("sek", "SEK"),
    ("nok", "NOK"),
    ("dkk", "DKK"),
    ("pln", "PLN"),
    ("czk", "CZK"),
    ("mxn", "MXN"),
    ("brl", "BRL"),
    ("inr", "INR"),
    ("cny", "CNY"),
    ("sgd", "SGD"),
    ("aed", "AED"),
    ("jpy", "JPY"),
    ("krw", "KRW"),
    ("hkd", "HKD"),
    ("dollars", "USD"),
    ("dollar", "USD"),
    ("bucks", "USD"),
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("pounds", "GBP"),
    ("quid", "GBP"),
    ("kr", "SEK"),
    ("fr", "CHF"),
];

#[derive(Debug, Clone, Copy)]
struct Marker {
    start: usize,
    end: usize,
    currency: &'static str,
    word: bool,
}

#[derive(Debug, Clone, Copy)]
struct Number {
    start: usize,
    end: usize,
    hundredths: i64,
    has_cents: bool,
    alt_hundredths: Option<i64>,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

fn markers(chars: &[(usize, char)], text: &str) -> Vec<(usize, usize, Marker)> {
    // (first char index, index after the last char, marker)
    let mut out = Vec::new();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let (b, c) = chars[i];
        if c.is_alphabetic() {
            // A whole word: a code or a currency word (symbols with letters are tried first).
            let mut j = i;
            while j < n && chars[j].1.is_alphabetic() {
                j += 1;
            }
            let word_end = chars.get(j).map_or(text.len(), |&(e, _)| e);
            let mut matched = false;
            for (sym, code) in SYMBOLS {
                if sym.chars().any(char::is_alphabetic) && text[b..].starts_with(sym) {
                    let len = sym.chars().count();
                    out.push((
                        i,
                        i + len,
                        Marker {
                            start: b,
                            end: b + sym.len(),
                            currency: code,
                            word: false,
                        },
                    ));
                    matched = true;
                    break;
                }
            }
            if !matched {
                let word = &text[b..word_end];
                if word.len() <= 7
                    && let Some((_, code)) =
                        WORDS.iter().find(|(w, _)| w.eq_ignore_ascii_case(word))
                {
                    out.push((
                        i,
                        j,
                        Marker {
                            start: b,
                            end: word_end,
                            currency: code,
                            word: true,
                        },
                    ));
                }
                // `kr.` and `Fr.` end with a dot that belongs to them.
            }
            i = if matched {
                out.last().map_or(j, |m| m.1)
            } else {
                j
            };
            continue;
        }
        for (sym, code) in SYMBOLS {
            if !sym.chars().any(char::is_alphabetic) && text[b..].starts_with(sym) {
                let len = sym.chars().count();
                out.push((
                    i,
                    i + len,
                    Marker {
                        start: b,
                        end: b + sym.len(),
                        currency: code,
                        word: false,
                    },
                ));
                break;
            }
        }
        i += 1;
    }
    out
}

/// Reads a number starting at `chars[i]` (a digit not glued to a word before it).
/// Returns the number and the index after it.
fn number_at(chars: &[(usize, char)], i: usize, text_len: usize) -> Option<(Number, usize)> {
    let n = chars.len();
    let digit_run = |from: usize| -> usize {
        let mut j = from;
        while j < n && chars[j].1.is_ascii_digit() {
            j += 1;
        }
        j
    };
    let val = |from: usize, to: usize| -> i64 {
        chars[from..to].iter().fold(0i64, |v, &(_, c)| {
            v.saturating_mul(10)
                .saturating_add(i64::from(c.to_digit(10).unwrap_or(0)))
        })
    };
    let first_end = digit_run(i);
    if first_end == i {
        return None;
    }
    let first_len = first_end - i;
    let mut integer = val(i, first_end);
    let mut cents: Option<i64> = None;
    let mut group_sep: Option<char> = None;
    let mut groups_after_first = 0u32;
    let mut j = first_end;
    loop {
        if j >= n {
            break;
        }
        let sep = chars[j].1;
        let is_sep = matches!(sep, ',' | '.' | '\'') || is_space(sep);
        if !is_sep {
            break;
        }
        let g_start = j + 1;
        let g_end = digit_run(g_start);
        let g_len = g_end - g_start;
        if g_len == 0 {
            break;
        }
        let more_digits_follow = g_end < n && chars[g_end].1.is_ascii_digit();
        let grouping_ok = g_len == 3
            && !more_digits_follow
            && (group_sep.is_some() || first_len <= 3)
            && group_sep.is_none_or(|g| g == sep);
        if is_space(sep) || sep == '\'' {
            if !grouping_ok {
                break;
            }
            group_sep = Some(sep);
            groups_after_first += 1;
            integer = integer
                .saturating_mul(1000)
                .saturating_add(val(g_start, g_end));
            j = g_end;
            continue;
        }
        // `,` or `.`: cents when one or two digits follow and it is not the grouping mark.
        if (1..=2).contains(&g_len) && group_sep != Some(sep) {
            let c = val(g_start, g_end);
            cents = Some(if g_len == 1 { c * 10 } else { c });
            j = g_end;
            break;
        }
        if grouping_ok {
            group_sep = Some(sep);
            groups_after_first += 1;
            integer = integer
                .saturating_mul(1000)
                .saturating_add(val(g_start, g_end));
            j = g_end;
            continue;
        }
        break;
    }
    let mut hundredths = integer
        .saturating_mul(100)
        .saturating_add(cents.unwrap_or(0));
    let alt_hundredths = group_sep.filter(|&g| is_space(g)).map(|_| {
        let rest = integer % 1000i64.saturating_pow(groups_after_first);
        rest.saturating_mul(100).saturating_add(cents.unwrap_or(0))
    });
    // `$5k`
    if cents.is_none() && j < n && matches!(chars[j].1, 'k' | 'K') {
        let after = chars.get(j + 1).map(|&(_, c)| c);
        if after.is_none_or(|c| !c.is_alphanumeric()) {
            hundredths = hundredths.saturating_mul(1000);
            j += 1;
        }
    }
    let end = chars.get(j).map_or(text_len, |&(b, _)| b);
    Some((
        Number {
            start: chars[i].0,
            end,
            hundredths,
            has_cents: cents.is_some(),
            alt_hundredths,
        },
        j,
    ))
}

/// Finds amounts, skipping characters whose byte offset `taken` reports as already read
/// as something else (an order id, a tracking number, a date).
pub fn find_amounts(
    chars: &[(usize, char)],
    text: &str,
    taken: &dyn Fn(usize) -> bool,
) -> Vec<AmountMention> {
    let n = chars.len();
    let marks = markers(chars, text);
    // Numbers, by char index.
    let mut numbers: Vec<(usize, usize, Number)> = Vec::new();
    let mut i = 0;
    while i < n {
        let (b, c) = chars[i];
        if c.is_ascii_digit() {
            let glued = i > 0 && {
                let p = chars[i - 1].1;
                p.is_ascii_digit() || (p.is_alphabetic() && !is_marker_end(&marks, i))
            };
            if let Some((num, after)) = number_at(chars, i, text.len()) {
                if !glued && !taken(b) {
                    numbers.push((i, after, num));
                }
                i = after.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    let mut out = Vec::new();
    let mut used = vec![false; numbers.len()];
    let gap_ok = |from: usize, to: usize, word: bool| -> bool {
        // Characters between a marker and its number: none, or one space (a word needs it).
        match to.saturating_sub(from) {
            0 => !word,
            1 => chars.get(from).is_some_and(|&(_, c)| is_space(c)),
            _ => false,
        }
    };
    for &(m_first, m_after, m) in &marks {
        // Marker before the number: `$849`, `USD 849.00`.
        if let Some(k) = numbers
            .iter()
            .position(|&(s, _, _)| s >= m_after && gap_ok(m_after, s, m.word))
            .filter(|&k| !used[k])
        {
            let num = numbers[k].2;
            used[k] = true;
            out.push(AmountMention {
                start: m.start,
                end: num.end,
                currency: m.currency,
                hundredths: num.hundredths,
                has_cents: num.has_cents,
                alt_hundredths: num.alt_hundredths,
            });
            continue;
        }
        // Number before the marker: `1.299,00 €`, `849 dollars`.
        if let Some(k) = numbers
            .iter()
            .rposition(|&(_, e, _)| e <= m_first && gap_ok(e, m_first, m.word))
            .filter(|&k| !used[k])
        {
            let num = numbers[k].2;
            used[k] = true;
            out.push(AmountMention {
                start: num.start,
                end: m.end,
                currency: m.currency,
                hundredths: num.hundredths,
                has_cents: num.has_cents,
                alt_hundredths: num.alt_hundredths,
            });
        }
    }
    out.sort_by_key(|a| a.start);
    out
}

fn is_marker_end(marks: &[(usize, usize, Marker)], i: usize) -> bool {
    marks.iter().any(|&(_, after, m)| after == i && !m.word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(text: &str) -> Vec<(&'static str, i64)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_amounts(&chars, text, &|_| false)
            .into_iter()
            .map(|a| (a.currency, a.hundredths))
            .collect()
    }

    #[test]
    fn formats_people_write() {
        assert_eq!(amounts("$1,249.00"), [("USD", 124_900)]);
        assert_eq!(amounts("for £849"), [("GBP", 84_900)]);
        assert_eq!(amounts("€1.299,00"), [("EUR", 129_900)]);
        assert_eq!(amounts("1 299,00 €"), [("EUR", 129_900)]);
        assert_eq!(amounts("1\u{202f}299,00\u{a0}€"), [("EUR", 129_900)]);
        assert_eq!(amounts("USD 849.00"), [("USD", 84_900)]);
        assert_eq!(amounts("849.00 usd"), [("USD", 84_900)]);
        assert_eq!(amounts("2.622,97 €"), [("EUR", 262_297)]);
        assert_eq!(amounts("C$5,288.95"), [("CAD", 528_895)]);
        assert_eq!(amounts("49,99 €"), [("EUR", 4_999)]);
        assert_eq!(
            amounts("orders $50-$5k"),
            [("USD", 5_000), ("USD", 500_000)]
        );
        assert_eq!(amounts("paid 300 dollars"), [("USD", 30_000)]);
        assert_eq!(amounts("CHF 1'299.50"), [("CHF", 129_950)]);
        assert_eq!(amounts("¥12,800"), [("JPY", 1_280_000)]);
    }

    #[test]
    fn numbers_without_currency_are_not_amounts() {
        assert!(amounts("fee 25% after refund, 3 days").is_empty());
        assert!(amounts("Galaxy S24 and PS5").is_empty());
        assert!(amounts("call 415 555 0123").is_empty());
        assert!(amounts("krypto 500").is_empty());
    }

    #[test]
    fn model_numbers_next_to_a_price() {
        assert_eq!(amounts("iPhone 15 1 299 €"), [("EUR", 129_900)]);
        // A model number then a price, or a price grouped by a space: both readings kept.
        let text = "iPhone 15 753,98 €";
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let a = &find_amounts(&chars, text, &|_| false)[0];
        assert_eq!((a.hundredths, a.alt_hundredths), (1_575_398, Some(75_398)));
        let text = "$1,299.00";
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        assert_eq!(
            find_amounts(&chars, text, &|_| false)[0].alt_hundredths,
            None
        );
    }
}
