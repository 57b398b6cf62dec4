//! Phone numbers to E.164 keys.
//!
//! Why `phonenumber` (the libphonenumber port) and not a hand-written normaliser for the
//! contract's countries, measured on the project's 2-core machine (Nov 2026): a clean
//! release build of this crate is 50 s in a scratch crate and 79 s as
//! `cargo build -p clawback-identity --release` from an empty target dir (42 crates, most
//! of the time in `regex`, which other crates may share); `phone_key` costs ~2.5 µs a call
//! in release (parse, length check, E.164), plus ~60 ms once to load the metadata on the
//! first call. The budget was ≤ ~60 s and a few µs: the parse cost is well inside, the
//! build is over it as measured in the workspace, so this choice is open to review. What it
//! buys: every country's trunk prefix, international dialling prefix, number lengths and
//! vanity letters, which a five-country table would get wrong the day a sixth shows up.
//!
//! The common forms (E.164 with or without separators, national numbers of the account's
//! country) skip the parser: a table read once from the same metadata answers them
//! (`fast`), and property tests check it against the parser. Measured reason: inside a
//! running engine the parser cost 20-25 µs a call, not 2.5 (its patterns sit in a shared,
//! mutex-guarded LRU cache that goes cold between signups), which was the whole of the
//! slowest 2% of signup decisions.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, country};
use regex::Regex;

/// E.164 key (`+12139745943`) of a phone number as people write it, or `None`.
///
/// `default_country` is the account's ISO 3166-1 alpha-2 country: national formats
/// (`07700 900123` with `GB`) are read as that country's, with its trunk `0` and its
/// international prefix (`00`, `011`). A number written with `+` or a `00` prefix needs
/// no country. Extensions are dropped (the line is the identity).
///
/// The check is on *length* for the country, not on allocated ranges: fraudsters and test
/// data use numbers from unallocated or fictional ranges (Ofcom's `07700 900xxx`), and those
/// still identify whoever keeps typing them, so rejecting them would hide links.
pub fn phone_key(raw: &str, default_country: Option<&str>) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(k) = fast(s, default_country) {
        return Some(k);
    }
    full(s, default_country)
}

/// What the fast path needs of one region, read once from the parser's metadata.
#[derive(Debug)]
struct Region {
    code: String,
    /// What the parser strips from the start of a national number (the trunk prefix: `0`
    /// in Europe, `1` in North America), anchored at the start; `Ok(None)` when it strips
    /// nothing, `Err(())` when its pattern did not compile here (the parser decides).
    trunk: Result<Option<Regex>, ()>,
    /// The region's international dialling prefix (`00`, `011`, New Zealand's `0161`),
    /// anchored: numbers dialled through it are the parser's. `Err(())` as for `trunk`.
    idd: Result<Option<Regex>, ()>,
    /// The region rewrites what it strips (a transform rule): its national numbers are
    /// the parser's.
    transforms: bool,
    /// The national prefix, which the parser strips a second time when it is still there.
    national_prefix: Option<String>,
    /// Bit `n` set: some number type of the region has national length `n`.
    lengths: u32,
    /// Below this national length (and not a local-only length) the parser calls a number
    /// too short and keeps its trunk prefix: such numbers are the parser's.
    too_short_below: u16,
    local_lengths: Vec<u16>,
}

/// The same for a calling code, over all its regions (`+1` is the US, Canada and the
/// Caribbean): the union of their lengths, and one anchored pattern matching whatever
/// any of them would strip.
#[derive(Debug)]
struct Code {
    lengths: u32,
    strips: Option<Regex>,
}

#[derive(Debug)]
struct Table {
    regions: HashMap<[u8; 2], Region>,
    codes: HashMap<u16, Code>,
}

/// `^(?:a|b|…)`: the parser looks for each pattern and acts when it matches at the start.
/// `None` when a pattern does not compile here, which leaves those numbers to the parser.
fn anchored(patterns: &[String]) -> Option<Regex> {
    if patterns.is_empty() {
        return None;
    }
    let alternation: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    // The metadata writes its patterns in extended syntax (layout whitespace).
    Regex::new(&format!("(?x)^(?:{})", alternation.join("|"))).ok()
}

fn length_bits(m: &phonenumber::metadata::Metadata) -> u32 {
    let d = m.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|x| x.possible_length().iter().copied())
    .filter(|&l| l < 32)
    .fold(0, |bits, l| bits | (1 << l))
}

/// Read once from the parser's metadata (a few ms), so that the common forms never run the
/// parser's regular expressions. Those sit behind one mutex-guarded LRU cache of compiled
/// patterns: ~3 µs a call when warm, and 20-25 µs in a running engine, where the patterns
/// and the cache have gone cold between two signups (measured with `clawback
/// bench-refunds`: phone parsing was the whole of the slowest 2% of signup decisions).
static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut regions = HashMap::new();
    let mut by_code: HashMap<u16, (u32, Vec<String>)> = HashMap::new();
    for m in DATABASE.iter() {
        // What `national_number` in the parser strips: the pattern for parsing when the
        // region has one, else the national prefix.
        let strip = match m.national_prefix_for_parsing() {
            Some(re) => Some(re.as_str().to_string()),
            None => m.national_prefix().map(regex::escape),
        };
        let lengths = length_bits(m);
        let code = by_code.entry(m.country_code()).or_default();
        code.0 |= lengths;
        code.1.extend(strip.iter().cloned());
        code.1.extend(m.national_prefix().map(regex::escape));
        if let [a, b] = m.id().as_bytes() {
            regions.insert(
                [a.to_ascii_uppercase(), b.to_ascii_uppercase()],
                Region {
                    code: m.country_code().to_string(),
                    trunk: match strip {
                        None => Ok(None),
                        Some(p) => anchored(&[p]).map(Some).ok_or(()),
                    },
                    idd: match m.international_prefix() {
                        None => Ok(None),
                        Some(re) => anchored(&[re.as_str().to_string()]).map(Some).ok_or(()),
                    },
                    transforms: m.national_prefix_transform_rule().is_some(),
                    national_prefix: m.national_prefix().map(str::to_string),
                    lengths,
                    too_short_below: m
                        .descriptors()
                        .general()
                        .possible_length()
                        .first()
                        .copied()
                        .unwrap_or(0),
                    local_lengths: m.descriptors().general().possible_local_length().to_vec(),
                },
            );
        }
    }
    let codes = by_code
        .into_iter()
        .map(|(code, (lengths, strips))| {
            let strips = if strips.is_empty() {
                // Nothing to strip: a pattern that never matches a digit.
                Regex::new("^[^0-9]").ok()
            } else {
                anchored(&strips)
            };
            (code, Code { lengths, strips })
        })
        .collect();
    Table { regions, codes }
});

/// Digits of a number written with only digits and the usual separators (spaces, `-`,
/// `.`, `/`, brackets), and whether it starts with `+`; `None` for anything else
/// (letters, extensions, other scripts), which the parser reads.
fn plain_digits(s: &str) -> Option<(bool, String)> {
    let (plus, body) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut digits = String::with_capacity(body.len());
    for b in body.bytes() {
        match b {
            b'0'..=b'9' => digits.push(char::from(b)),
            b' ' | b'-' | b'.' | b'/' | b'(' | b')' => {}
            _ => return None,
        }
    }
    Some((plus, digits))
}

/// The key without the parser, for the forms people and systems write most: E.164 with
/// or without separators, and national numbers of the account's country with or without
/// the trunk prefix. `None` means "ask the parser" — anything it could read otherwise (a
/// national part starting with `0` after the code, an international prefix, a national
/// number that starts with the country code, a region whose prefix rule is a pattern).
/// Property tests check that whatever this answers, the parser answers the same.
fn fast(s: &str, default_country: Option<&str>) -> Option<String> {
    let (plus, digits) = plain_digits(s)?;
    if plus {
        return international(&digits);
    }
    let c = default_country?.trim().as_bytes();
    let region = match c {
        [a, b] => TABLE
            .regions
            .get(&[a.to_ascii_uppercase(), b.to_ascii_uppercase()])?,
        _ => return None,
    };
    if digits.starts_with(&region.code)
        || region
            .idd
            .as_ref()
            .ok()?
            .as_ref()
            .is_some_and(|re| re.is_match(&digits))
    {
        return None;
    }
    let trunk = region.trunk.as_ref().ok()?;
    let national = match trunk.as_ref().and_then(|re| re.find(&digits)) {
        Some(_) if region.transforms => return None,
        Some(m) => &digits[m.end()..],
        None => &digits,
    };
    if national.starts_with('0')
        || region
            .national_prefix
            .as_deref()
            .is_some_and(|p| national.starts_with(p))
        || !has_length(region.lengths, national.len())
        || region.too_short(national.len())
    {
        return None;
    }
    Some(format!("+{}{national}", region.code))
}

/// `+` and digits: the key is the input's digits once the national part is one the parser
/// would keep as it is and its length is possible for its calling code.
fn international(digits: &str) -> Option<String> {
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return None;
    }
    // Calling codes are prefix-free: the first of 1, 2, 3 digits that is one is the code.
    let (code, national) = (1..=3).find_map(|n| {
        let code: u16 = digits.get(..n)?.parse().ok()?;
        TABLE.codes.get(&code).map(|c| (c, &digits[n..]))
    })?;
    let plain = !national.starts_with('0') && !code.strips.as_ref()?.is_match(national);
    (plain && has_length(code.lengths, national.len())).then(|| format!("+{digits}"))
}

impl Region {
    /// The parser's length check after stripping the trunk prefix (`validator::length`).
    fn too_short(&self, len: usize) -> bool {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        len < self.too_short_below && !self.local_lengths.contains(&len)
    }
}

fn has_length(bits: u32, len: usize) -> bool {
    len < 32 && bits & (1 << len) != 0
}

/// The parser's way: national formats, prefixes, punctuation, extensions.
fn full(s: &str, default_country: Option<&str>) -> Option<String> {
    let region = default_country
        .map(|c| c.trim().to_ascii_uppercase())
        .and_then(|c| c.parse::<country::Id>().ok());
    if let Some(n) = parse(region, s) {
        return Some(n);
    }
    // "00" is the international prefix in most of the world even when the account's country
    // dials out otherwise (US/CA use 011), and people copy numbers from abroad.
    let rest = s.strip_prefix("00")?;
    parse(None, &format!("+{rest}"))
}

fn parse(region: Option<country::Id>, s: &str) -> Option<String> {
    let n = phonenumber::parse(region, s).ok()?;
    possible(&n).then(|| n.format().mode(Mode::E164).to_string())
}

/// Whether the national number has a length some number of its calling code has (the
/// union over the number types: this port leaves the general descriptor's lengths empty).
fn possible(n: &PhoneNumber) -> bool {
    let Ok(len) = u16::try_from(n.national().to_string().len()) else {
        return false;
    };
    // By calling code, not `n.metadata()`: that picks the region by matching allocated
    // ranges (+1 is US, CA and the Caribbean) and finds none for an unallocated number.
    let Some(regions) = DATABASE.by_code(&n.code().value()) else {
        return false;
    };
    lengths_allow(&regions, len)
}

/// Whether some number type of some region of a calling code has this national length.
fn lengths_allow(regions: &[&phonenumber::metadata::Metadata], len: u16) -> bool {
    regions.iter().any(|m| {
        let d = m.descriptors();
        [
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
        ]
        .into_iter()
        .flatten()
        .any(|x| x.possible_length().contains(&len))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str, c: Option<&str>) -> Option<String> {
        phone_key(s, c)
    }

    #[test]
    fn brief_examples() {
        assert_eq!(
            k("+1 (213) 974-5943", None).as_deref(),
            Some("+12139745943")
        );
        assert_eq!(
            k("0044 20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            k("0044 20 7946 0958", Some("GB")).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            k("0044 20 7946 0958", Some("US")).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            k("07700 900123", Some("GB")).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            k("07700 900123", Some("gb")).as_deref(),
            Some("+447700900123")
        );
    }

    #[test]
    fn one_number_many_renderings() {
        let us = Some("+12139745943".to_string());
        for v in [
            "(213) 974-5943",
            "213-974-5943",
            "213.974.5943",
            "1 213 974 5943",
            "+1 213 974 5943 ext. 12",
            "011 1 213 974 5943",
        ] {
            assert_eq!(k(v, Some("US")), us, "{v}");
        }
        assert_eq!(k("(213) 974-5943", Some("CA")), us);
        let gb = Some("+447700900123".to_string());
        for v in [
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044 7700 900 123",
            "07700-900-123",
        ] {
            assert_eq!(k(v, Some("GB")), gb, "{v}");
        }
        let de = Some("+49301234567".to_string());
        for v in [
            "030 1234567",
            "030/1234567",
            "+49 30 1234567",
            "0049 (0)30 123 45 67",
        ] {
            assert_eq!(k(v, Some("DE")), de, "{v}");
        }
        let fr = Some("+33612345678".to_string());
        for v in [
            "06 12 34 56 78",
            "0612345678",
            "+33 6 12 34 56 78",
            "+33 (0)6 12.34.56.78",
        ] {
            assert_eq!(k(v, Some("FR")), fr, "{v}");
        }
    }

    #[test]
    fn near_misses_and_garbage() {
        assert_ne!(k("213-974-5943", Some("US")), k("213-974-5944", Some("US")));
        // The same national digits in two countries are two numbers.
        assert_ne!(
            k("06 12 34 56 78", Some("FR")),
            k("06 12 34 56 78", Some("DE"))
        );
        for v in [
            "",
            "   ",
            "abc",
            "12",
            "+1 213",
            "+999 123456",
            "+44 20 7946 0958 1234 5678 99",
        ] {
            assert_eq!(k(v, Some("US")), None, "{v}");
        }
        // A national number without a country cannot be placed.
        assert_eq!(k("07700 900123", None), None);
        assert_eq!(k("07700 900123", Some("XX")), None);
    }
}

#[cfg(test)]
mod bench {
    /// Per-call cost; run with `cargo test -p clawback-identity --release -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, not a check"]
    fn phone_key_cost() {
        let inputs = [
            ("+1 (213) 974-5943", None),
            ("0044 20 7946 0958", Some("GB")),
            ("07700 900123", Some("GB")),
            ("030 1234567", Some("DE")),
            ("06 12 34 56 78", Some("FR")),
        ];
        let t0 = std::time::Instant::now();
        let _ = super::phone_key("+12139745943", None);
        eprintln!("first call (metadata load): {:?}", t0.elapsed());
        let n = 200_000;
        let t = std::time::Instant::now();
        let mut ok = 0;
        for i in 0..n {
            let (s, c) = inputs[i % inputs.len()];
            ok += usize::from(std::hint::black_box(super::phone_key(s, c)).is_some());
        }
        eprintln!(
            "phone_key: {:.2} µs/call ({ok} ok)",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
}

#[cfg(test)]
mod fast_path {
    use proptest::prelude::*;

    const SEPARATORS: [&str; 6] = ["", " ", "-", ".", "/", ") "];

    fn render(digits: &str, cuts: &[usize], sep: &str, bracket: bool) -> String {
        let mut out = String::new();
        if bracket {
            out.push('(');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && cuts.contains(&i) {
                out.push_str(sep);
            }
            out.push(ch);
        }
        out
    }

    /// The fast path's key is the parser's for the number without separators, and the
    /// parser's for the number as written whenever the parser reads it (it fails on some
    /// punctuation, `+4930-1234567`, which the fast path reads like `+4930 1234567`).
    fn check(k: &str, s: &str, compact: &str, c: Option<&str>) -> Result<(), TestCaseError> {
        let parsed = super::full(compact, c);
        prop_assert_eq!(Some(k), parsed.as_deref(), "{} ({:?})", compact, c);
        if let Some(p) = super::full(s, c) {
            prop_assert_eq!(k, p.as_str(), "{} ({:?})", s, c);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Skipping the parser for `+` input never changes a key: whatever the fast path
        /// answers, the parser answers the same.
        #[test]
        fn the_international_fast_path_agrees_with_the_parser(
            code in prop::sample::select(vec!["1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49", "52", "54", "55", "61", "81", "86", "90", "91", "353", "351", "358", "420", "852", "971", "999"]),
            national in "[0-9]{4,13}",
            cuts in prop::collection::vec(1usize..14, 0..4),
            sep in prop::sample::select(SEPARATORS.to_vec()),
        ) {
            let compact = format!("+{code}{national}");
            let s = format!("+{}", render(&format!("{code}{national}"), &cuts, sep, false));
            if let Some(k) = super::fast(&s, None) {
                check(&k, &s, &compact, None)?;
            }
        }

        /// The same for national numbers read with the account's country, trunk prefix or
        /// not, in the contract's countries and others with other prefix rules.
        #[test]
        fn the_national_fast_path_agrees_with_the_parser(
            country in prop::sample::select(vec!["US", "CA", "GB", "FR", "DE", "ES", "IT", "NL", "BE", "IE", "AT", "CH", "PL", "SE", "AU", "NZ", "JP", "IN", "BR", "MX", "AR", "RU", "CN", "ZA", "PT"]),
            trunk in prop::sample::select(vec!["", "0", "1", "00", "01"]),
            national in "[0-9]{5,12}",
            cuts in prop::collection::vec(1usize..14, 0..4),
            sep in prop::sample::select(SEPARATORS.to_vec()),
            bracket in any::<bool>(),
        ) {
            let compact = format!("{trunk}{national}");
            let s = render(&compact, &cuts, sep, bracket && sep == ") ");
            if let Some(k) = super::fast(&s, Some(country)) {
                check(&k, &s, &compact, Some(country))?;
            }
        }
    }

    #[test]
    fn common_forms_take_the_fast_path_and_trunk_zeros_after_the_code_do_not() {
        let fast = |s: &str, c: Option<&str>| super::fast(s, c);
        assert_eq!(
            fast("+4915437425809", None).as_deref(),
            Some("+4915437425809")
        );
        assert_eq!(
            fast("+1 (213) 974-5943", None).as_deref(),
            Some("+12139745943")
        );
        assert_eq!(
            fast("07700 900123", Some("GB")).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            fast("030/1234567", Some("de")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            fast("06 12 34 56 78", Some("FR")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            fast("(213) 974-5943", Some("US")).as_deref(),
            Some("+12139745943")
        );
        // The parser drops a trunk 0 written after the country code; the fast path defers.
        assert_eq!(fast("+49030123456", None), None);
        assert_eq!(
            super::phone_key("+49030123456", None),
            super::full("+49030123456", None)
        );
        // International prefixes, extensions and letters are the parser's.
        assert_eq!(fast("0044 20 7946 0958", Some("GB")), None);
        assert_eq!(fast("+1 213 974 5943 ext. 12", None), None);
        assert_eq!(fast("1-800-FLOWERS", Some("US")), None);
    }
}
