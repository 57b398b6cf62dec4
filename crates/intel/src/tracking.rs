//! Parcel tracking numbers of the common carriers, and phone numbers (found so that
//! neither is mistaken for an order id, an amount or a date).
//!
//! Formats (public carrier documentation): UPS `1Z` + 16 letters and digits; the UPU S10
//! form `AB123456789GB` used by USPS (`…US`), Royal Mail (`…GB`), La Poste (`…FR`) and
//! Deutsche Post/DHL (`…DE`); Colissimo `6A12345678901`; USPS IMpb 20–22 digits from `9`
//! (or `420` + ZIP + 22); FedEx 12 or 15 digits, and 20/22 from `96`; DHL Express 10
//! digits, DHL eCommerce `GM…`, `JJD…`, `JVGL…`, DHL Paket 20 digits from `00`; DPD 14
//! digits; Amazon Logistics `TBA` + 12. Bare 10- to 15-digit numbers are also phone and
//! account numbers, so they count as tracking numbers only next to a carrier or
//! tracking word.

/// A carrier, as far as the number's format tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    Ups,
    Usps,
    FedEx,
    Dhl,
    RoyalMail,
    LaPoste,
    Dpd,
    AmazonLogistics,
    /// Another national post (S10 form with another country code).
    Post,
}

impl Carrier {
    pub fn name(self) -> &'static str {
        match self {
            Carrier::Ups => "UPS",
            Carrier::Usps => "USPS",
            Carrier::FedEx => "FedEx",
            Carrier::Dhl => "DHL",
            Carrier::RoyalMail => "Royal Mail",
            Carrier::LaPoste => "La Poste",
            Carrier::Dpd => "DPD",
            Carrier::AmazonLogistics => "Amazon Logistics",
            Carrier::Post => "postal service",
        }
    }
}

/// One tracking number found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingMention {
    pub start: usize,
    pub end: usize,
    pub carrier: Carrier,
    /// Upper-case, spaces removed.
    pub number: String,
}

const CONTEXT_WORDS: &[&str] = &[
    "track",
    "tracking",
    "ups",
    "usps",
    "fedex",
    "dhl",
    "royal mail",
    "la poste",
    "colissimo",
    "dpd",
    "awb",
    "waybill",
    "suivi",
    "sendung",
    "seguimiento",
    "spedizione",
    "parcel",
    "colis",
    "paket",
    "label",
    "shipment",
];

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The carrier of an upper-case alphanumeric token, and whether the format is distinctive
/// enough to stand without context.
pub fn classify(t: &str) -> Option<(Carrier, bool)> {
    let b = t.as_bytes();
    let n = b.len();
    if n == 18 && t.starts_with("1Z") && b.iter().all(u8::is_ascii_alphanumeric) {
        return Some((Carrier::Ups, true));
    }
    if n == 13
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(u8::is_ascii_digit)
        && b[11..].iter().all(u8::is_ascii_uppercase)
    {
        let c = match &t[11..] {
            "US" => Carrier::Usps,
            "GB" => Carrier::RoyalMail,
            "FR" => Carrier::LaPoste,
            "DE" => Carrier::Dhl,
            _ => Carrier::Post,
        };
        return Some((c, true));
    }
    if n == 13 && b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && all_digits(&t[2..]) {
        return Some((Carrier::LaPoste, true));
    }
    if (t.starts_with("JJD") && n >= 13 && all_digits(&t[3..]))
        || (t.starts_with("JVGL") && n >= 12 && all_digits(&t[4..]))
        || (t.starts_with("GM") && (18..=24).contains(&n) && all_digits(&t[2..]))
    {
        return Some((Carrier::Dhl, true));
    }
    if t.starts_with("TBA") && n == 15 && all_digits(&t[3..]) {
        return Some((Carrier::AmazonLogistics, true));
    }
    if !all_digits(t) {
        return None;
    }
    match n {
        20 | 22 if t.starts_with("96") => Some((Carrier::FedEx, true)),
        20 | 22 if t.starts_with('9') => Some((Carrier::Usps, true)),
        20 if t.starts_with("00") => Some((Carrier::Dhl, true)),
        26 | 30 if t.starts_with("420") => Some((Carrier::Usps, true)),
        12 | 15 => Some((Carrier::FedEx, false)),
        14 => Some((Carrier::Dpd, false)),
        10 => Some((Carrier::Dhl, false)),
        _ => None,
    }
}

fn has_context(lower: &str, start: usize, end: usize) -> bool {
    let from = floor_char(lower, start.saturating_sub(60));
    let to = floor_char(lower, (end + 40).min(lower.len()));
    let window = &lower[from..to];
    CONTEXT_WORDS.iter().any(|w| window.contains(w))
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Finds tracking numbers: alphanumeric tokens, and digit groups written with single
/// spaces (`9400 1000 0000 0000 0000 00`).
pub fn find_tracking(chars: &[(usize, char)], text: &str) -> Vec<TrackingMention> {
    let lower = text.to_lowercase();
    let lower = if lower.len() == text.len() {
        lower
    } else {
        // Lower-casing changed byte lengths; fall back to ASCII lower-casing so that byte
        // offsets still line up.
        text.to_ascii_lowercase()
    };
    let n = chars.len();
    let end_of = |j: usize| chars.get(j).map_or(text.len(), |&(b, _)| b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if !chars[i].1.is_ascii_alphanumeric() || (i > 0 && chars[i - 1].1.is_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && chars[j].1.is_ascii_alphanumeric() {
            j += 1;
        }
        if j < n && chars[j].1.is_alphanumeric() {
            i = j + 1;
            continue;
        }
        let token: String = text[chars[i].0..end_of(j)].to_ascii_uppercase();
        let mut found = None;
        if (10..=34).contains(&token.len())
            && let Some((c, distinctive)) = classify(&token)
            && (distinctive || has_context(&lower, chars[i].0, end_of(j)))
        {
            found = Some((c, token.clone(), j));
        }
        // Digit groups joined by single spaces.
        if found.is_none() && all_digits(&token) && (2..=5).contains(&token.len()) {
            let mut joined = token.clone();
            let mut k = j;
            let mut best = None;
            while k + 1 < n && chars[k].1 == ' ' && chars[k + 1].1.is_ascii_digit() {
                let mut e = k + 1;
                while e < n && chars[e].1.is_ascii_digit() {
                    e += 1;
                }
                if e - (k + 1) > 5 || (e < n && chars[e].1.is_alphanumeric()) {
                    break;
                }
                joined.push_str(&text[chars[k + 1].0..end_of(e)]);
                k = e;
                if joined.len() >= 12
                    && let Some((c, distinctive)) = classify(&joined)
                    && (distinctive || has_context(&lower, chars[i].0, end_of(e)))
                {
                    best = Some((c, joined.clone(), e));
                }
                if joined.len() > 34 {
                    break;
                }
            }
            found = best;
        }
        match found {
            Some((carrier, number, after)) => {
                out.push(TrackingMention {
                    start: chars[i].0,
                    end: end_of(after),
                    carrier,
                    number,
                });
                i = after;
            }
            None => i = j.max(i + 1),
        }
    }
    out
}

/// Finds phone numbers: `+` and 8–15 digits with separators, `(415) 555-0123`, and ten
/// digits in 3-3-4 groups. Byte spans.
pub fn find_phones(chars: &[(usize, char)], text_len: usize) -> Vec<(usize, usize)> {
    let n = chars.len();
    let end_of = |j: usize| chars.get(j).map_or(text_len, |&(b, _)| b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        let starts = (c == '+' || c == '(' || c.is_ascii_digit())
            && (i == 0 || !chars[i - 1].1.is_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        // Digits and phone separators, no two separators in a row (except ") ").
        let mut j = i + usize::from(c == '+');
        let mut digits = 0;
        let mut groups: Vec<usize> = Vec::new();
        let mut run = 0;
        let mut last_sep = true;
        while j < n {
            let d = chars[j].1;
            if d.is_ascii_digit() {
                digits += 1;
                run += 1;
                last_sep = false;
            } else if matches!(d, ' ' | '-' | '.' | '(' | ')') {
                if last_sep && !(d == ' ' && j > 0 && chars[j - 1].1 == ')') && d != '(' {
                    break;
                }
                if run > 0 {
                    groups.push(run);
                }
                run = 0;
                last_sep = true;
            } else {
                break;
            }
            j += 1;
        }
        if run > 0 {
            groups.push(run);
        }
        // Trim a trailing separator.
        while j > i && !chars[j - 1].1.is_ascii_digit() {
            j -= 1;
        }
        let glued_after = j < n && chars[j].1.is_alphanumeric();
        let us_style = groups.len() == 3 && groups[0] == 3 && groups[1] == 3 && groups[2] == 4;
        let is_phone = !glued_after
            && ((c == '+' && (8..=15).contains(&digits))
                || (c == '(' && groups.first() == Some(&3) && (10..=11).contains(&digits))
                || us_style
                || (groups.len() >= 2
                    && groups[0] == 5
                    && chars.get(i).is_some_and(|&(_, c)| c == '0')
                    && digits == 11));
        if is_phone {
            out.push((chars[i].0, end_of(j)));
            i = j.max(i + 1);
        } else {
            i += 1;
            while i < n && chars[i].1.is_ascii_digit() {
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(text: &str) -> Vec<(&'static str, String)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_tracking(&chars, text)
            .into_iter()
            .map(|t| (t.carrier.name(), t.number))
            .collect()
    }

    fn phones(text: &str) -> Vec<&str> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_phones(&chars, text.len())
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn carriers() {
        assert_eq!(
            track("UPS 1Z999AA10123456784"),
            [("UPS", "1Z999AA10123456784".into())]
        );
        assert_eq!(
            track("rm: AB123456789GB."),
            [("Royal Mail", "AB123456789GB".into())]
        );
        assert_eq!(
            track("xw123456789fr"),
            [("La Poste", "XW123456789FR".into())]
        );
        assert_eq!(
            track("colissimo 6A12345678901"),
            [("La Poste", "6A12345678901".into())]
        );
        assert_eq!(
            track("usps 9400 1000 0000 0000 0000 00"),
            [("USPS", "9400100000000000000000".into())]
        );
        assert_eq!(
            track("fedex tracking 123456789012"),
            [("FedEx", "123456789012".into())]
        );
        assert_eq!(track("DHL 1234567890"), [("DHL", "1234567890".into())]);
        assert_eq!(track("LZ123456789US"), [("USPS", "LZ123456789US".into())]);
    }

    #[test]
    fn bare_numbers_need_context() {
        assert!(track("call me 4155550123 tonight").is_empty());
        assert!(track("order 113-4829175-0038261").is_empty());
        assert!(track("costs 123456789012 dollars").is_empty());
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(phones("call +1 415-555-0123 now"), ["+1 415-555-0123"]);
        assert_eq!(phones("(415) 555-0123"), ["(415) 555-0123"]);
        assert_eq!(phones("415.555.0123"), ["415.555.0123"]);
        assert_eq!(phones("+33 6 12 34 56 78"), ["+33 6 12 34 56 78"]);
        assert_eq!(phones("07700 900123"), ["07700 900123"]);
        assert!(phones("order 113-4829175-0038261").is_empty());
        assert!(phones("2026-11-02").is_empty());
    }
}
