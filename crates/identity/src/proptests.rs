//! Property tests: one identity rendered in random styles gives one key; identities that
//! differ in a meaningful component do not collide; nothing panics on arbitrary input.

use crate::*;
use proptest::prelude::*;
use proptest::sample::select;

/// Applies a case style: 0 as is, 1 lower, 2 upper, 3 random per character.
fn recase(s: &str, style: u8, flips: &[bool]) -> String {
    match style {
        1 => s.to_lowercase(),
        2 => s.to_uppercase(),
        3 => s
            .chars()
            .zip(flips.iter().cycle())
            .map(|(c, &f)| if f { c.to_ascii_uppercase() } else { c })
            .collect(),
        _ => s.to_string(),
    }
}

// ----------------------------------------------------------------------------- emails

const DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "icloud.com",
    "yahoo.com",
    "example.org",
];

#[derive(Debug, Clone)]
struct EmailStyle {
    case: u8,
    flips: Vec<bool>,
    dots: Vec<bool>,
    tag: Option<String>,
    googlemail: bool,
    pad: (usize, usize),
}

fn email_style() -> impl Strategy<Value = EmailStyle> {
    (
        0u8..4,
        prop::collection::vec(any::<bool>(), 1..8),
        prop::collection::vec(any::<bool>(), 16),
        prop::option::of("[a-z0-9]{1,8}"),
        any::<bool>(),
        (0usize..3, 0usize..3),
    )
        .prop_map(|(case, flips, dots, tag, googlemail, pad)| EmailStyle {
            case,
            flips,
            dots,
            tag,
            googlemail,
            pad,
        })
}

/// `local@domain` as someone might type it; only aliases the provider honours.
fn render_email(local: &str, domain: &str, st: &EmailStyle) -> String {
    let mut l = String::new();
    for (i, c) in local.chars().enumerate() {
        l.push(c);
        // Gmail ignores dots anywhere inside the local part.
        if domain == "gmail.com" && i + 1 < local.len() && st.dots[i % st.dots.len()] {
            l.push('.');
        }
    }
    let sep = match domain {
        "gmail.com" | "outlook.com" | "icloud.com" => Some('+'),
        "yahoo.com" => Some('-'),
        _ => None,
    };
    if let (Some(sep), Some(tag)) = (sep, &st.tag) {
        l.push(sep);
        l.push_str(tag);
    }
    let d = if domain == "gmail.com" && st.googlemail {
        "googlemail.com"
    } else {
        domain
    };
    format!(
        "{}{}{}",
        " ".repeat(st.pad.0),
        recase(&format!("{l}@{d}"), st.case, &st.flips),
        "\t".repeat(st.pad.1)
    )
}

proptest! {
    #[test]
    fn email_renderings_share_a_key(local in "[a-z][a-z0-9]{2,10}", domain in select(DOMAINS), a in email_style(), b in email_style()) {
        let want = email_key(&format!("{local}@{domain}"));
        prop_assert_eq!(want.clone(), Some(format!("{local}@{domain}")));
        prop_assert_eq!(email_key(&render_email(&local, domain, &a)), want.clone());
        prop_assert_eq!(email_key(&render_email(&local, domain, &b)), want);
    }

    #[test]
    fn different_mailboxes_differ(l1 in "[a-z][a-z0-9]{2,10}", l2 in "[a-z][a-z0-9]{2,10}", d1 in select(DOMAINS), d2 in select(DOMAINS), a in email_style(), b in email_style()) {
        prop_assume!((l1.as_str(), d1) != (l2.as_str(), d2));
        prop_assert_ne!(email_key(&render_email(&l1, d1, &a)), email_key(&render_email(&l2, d2, &b)));
    }
}

// ----------------------------------------------------------------------------- phones

/// (country, calling code, national number without trunk prefix).
fn phone() -> impl Strategy<Value = (&'static str, &'static str, String)> {
    prop_oneof![
        ("[2-9][0-8][0-9][2-9][0-9]{6}", select(&["US", "CA"][..])).prop_map(|(n, c)| (c, "1", n)),
        "7[1-9][0-9]{8}".prop_map(|n| ("GB", "44", n)),
        "20[0-9]{8}".prop_map(|n| ("GB", "44", n)),
        "15[0-9]{9}".prop_map(|n| ("DE", "49", n)),
        "30[0-9]{8}".prop_map(|n| ("DE", "49", n)),
        "[67][0-9]{8}".prop_map(|n| ("FR", "33", n)),
    ]
}

#[derive(Debug, Clone)]
struct PhoneStyle {
    /// 0 national, 1 "+cc", 2 "00cc", 3 "+cc (0)".
    form: u8,
    seps: Vec<u8>,
}

fn phone_style() -> impl Strategy<Value = PhoneStyle> {
    (0u8..4, prop::collection::vec(0u8..8, 12)).prop_map(|(form, seps)| PhoneStyle { form, seps })
}

fn render_phone(cc: &str, national: &str, nanp: bool, st: &PhoneStyle) -> String {
    let mut body = String::new();
    for (i, c) in national.chars().enumerate() {
        body.push(c);
        if i + 1 < national.len() {
            match st.seps[i % st.seps.len()] {
                0 => body.push(' '),
                1 => body.push('-'),
                2 => body.push('.'),
                3 if i > 0 => body.push('/'),
                _ => {}
            }
        }
    }
    let trunk = if nanp { "" } else { "0" };
    match st.form {
        0 => format!("{trunk}{body}"),
        1 => format!("+{cc} {body}"),
        2 => format!("00{cc} {body}"),
        _ if nanp => format!("+1 ({}) {}", &national[..3], &national[3..]),
        _ => format!("+{cc} (0){body}"),
    }
}

proptest! {
    #[test]
    fn phone_renderings_share_a_key((country, cc, national) in phone(), a in phone_style(), b in phone_style()) {
        let want = format!("+{cc}{national}");
        let nanp = cc == "1";
        prop_assert_eq!(phone_key(&render_phone(cc, &national, nanp, &a), Some(country)), Some(want.clone()), "{}", render_phone(cc, &national, nanp, &a));
        prop_assert_eq!(phone_key(&render_phone(cc, &national, nanp, &b), Some(country)), Some(want));
    }

    #[test]
    fn different_phones_differ((c1, cc1, n1) in phone(), (c2, cc2, n2) in phone(), a in phone_style(), b in phone_style()) {
        prop_assume!((cc1, &n1) != (cc2, &n2));
        let k1 = phone_key(&render_phone(cc1, &n1, cc1 == "1", &a), Some(c1));
        let k2 = phone_key(&render_phone(cc2, &n2, cc2 == "1", &b), Some(c2));
        prop_assert!(k1.is_some() && k2.is_some());
        prop_assert_ne!(k1, k2);
    }
}

// ----------------------------------------------------------------------------- addresses

/// An address identity: country, house number, street name, street type, unit, postal code.
#[derive(Debug, Clone)]
struct Addr {
    country: &'static str,
    number: u16,
    street: &'static str,
    kind: usize,
    unit: Option<u16>,
    postal: String,
}

const EN_STREETS: &[&str] = &[
    "Main", "Oak", "Maple", "Church", "Highland", "Queen", "King", "Baker",
];
const EN_TYPES: &[(&str, &str)] = &[
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Boulevard", "Blvd"),
    ("Lane", "Ln"),
    ("Drive", "Dr"),
];
const DE_STREETS: &[&str] = &[
    "Haupt", "Bahnhof", "Schul", "Garten", "Goethe", "Rosen", "Mozart",
];
const DE_TYPES: &[(&str, &str)] = &[
    ("straße", "str."),
    ("strasse", "str"),
    ("weg", "weg"),
    ("allee", "allee"),
];
const FR_STREETS: &[&str] = &[
    "de la Paix",
    "Victor Hugo",
    "de la République",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
];
const FR_TYPES: &[(&str, &str)] = &[
    ("rue", "r."),
    ("avenue", "av."),
    ("boulevard", "bd"),
    ("place", "pl."),
];

fn tables(
    country: &str,
) -> (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
) {
    match country {
        "DE" => (DE_STREETS, DE_TYPES),
        "FR" => (FR_STREETS, FR_TYPES),
        _ => (EN_STREETS, EN_TYPES),
    }
}

fn addr() -> impl Strategy<Value = Addr> {
    let postal = |c: &'static str| -> BoxedStrategy<String> {
        match c {
            "GB" => "[A-Z]{1,2}[0-9]{1,2} [0-9][ABDEFGHJLNPQRSTUWXYZ]{2}".boxed(),
            "CA" => "[A-Z][0-9][A-Z] [0-9][A-Z][0-9]".boxed(),
            _ => "[1-9][0-9]{4}".boxed(),
        }
    };
    select(&["US", "GB", "DE", "FR", "CA"][..])
        .prop_flat_map(move |c| {
            let (st, ty) = tables(c);
            (
                Just(c),
                1u16..2000,
                select(st),
                0..ty.len(),
                prop::option::of(1u16..400),
                postal(c),
            )
        })
        .prop_map(|(country, number, street, kind, unit, postal)| Addr {
            country,
            number,
            street,
            kind,
            unit,
            postal,
        })
}

#[derive(Debug, Clone)]
struct AddrStyle {
    abbr: u8,
    case: u8,
    flips: Vec<bool>,
    marker: usize,
    unit_in_line1: bool,
    comma: bool,
    spaces: usize,
    postal: u8,
}

fn addr_style() -> impl Strategy<Value = AddrStyle> {
    (
        0u8..3,
        0u8..4,
        prop::collection::vec(any::<bool>(), 1..6),
        0usize..4,
        any::<bool>(),
        any::<bool>(),
        1usize..3,
        0u8..3,
    )
        .prop_map(
            |(abbr, case, flips, marker, unit_in_line1, comma, spaces, postal)| AddrStyle {
                abbr,
                case,
                flips,
                marker,
                unit_in_line1,
                comma,
                spaces,
                postal,
            },
        )
}

fn unit_markers(country: &str) -> &'static [&'static str] {
    match country {
        "DE" => &["Wohnung ", "Whg. ", "whg ", "App. "],
        "FR" => &["Appt ", "appartement ", "Apt ", "app. "],
        "GB" => &["Flat ", "Flat. ", "#", "Apt "],
        _ => &["Apt ", "#", "Unit ", "Apt. "],
    }
}

/// Returns (line1, line2, postal code).
fn render_addr(a: &Addr, st: &AddrStyle) -> (String, Option<String>, String) {
    let (_, ty) = tables(a.country);
    let (full, short) = ty[a.kind];
    let t = match st.abbr {
        0 => full.to_string(),
        1 => short.trim_end_matches('.').to_string(),
        _ if short.ends_with('.') => short.to_string(),
        _ => format!("{short}."),
    };
    let sp = " ".repeat(st.spaces);
    let comma = if st.comma { "," } else { "" };
    let street = match a.country {
        "DE" => format!("{}{t}{sp}{}", a.street, a.number),
        "FR" => format!("{}{comma}{sp}{t}{sp}{}", a.number, a.street),
        _ => format!("{}{sp}{}{sp}{t}", a.number, a.street),
    };
    let unit = a.unit.map(|u| {
        let m = unit_markers(a.country)[st.marker];
        if st.marker == 0 && st.spaces == 2 {
            format!("{m}{u:03}")
        } else {
            format!("{m}{u}")
        }
    });
    let (mut line1, mut line2) = match (unit, st.unit_in_line1) {
        (Some(u), true) => (format!("{street}{comma} {u}"), None),
        (Some(u), false) => (street, Some(u)),
        (None, _) => (street, None),
    };
    line1 = recase(&line1, st.case, &st.flips);
    line2 = line2.map(|l| recase(&l, st.case, &st.flips));
    let postal = match st.postal {
        1 => a.postal.replace(' ', "").to_lowercase(),
        2 if a.country == "US" => format!("{}-{:04}", a.postal, a.number),
        _ => a.postal.clone(),
    };
    (line1, line2, postal)
}

fn keys(a: &Addr, st: &AddrStyle) -> Option<AddressKeys> {
    let (l1, l2, pc) = render_addr(a, st);
    address_keys(&l1, l2.as_deref(), "Some City", &pc, a.country)
}

proptest! {
    #[test]
    fn address_renderings_share_keys(a in addr(), s1 in addr_style(), s2 in addr_style()) {
        let k1 = keys(&a, &s1);
        prop_assert!(k1.is_some());
        prop_assert_eq!(&k1, &keys(&a, &s2), "{:?} vs {:?}", render_addr(&a, &s1), render_addr(&a, &s2));
    }

    #[test]
    fn different_addresses_differ(a in addr(), b in addr(), s1 in addr_style(), s2 in addr_style()) {
        let ka = keys(&a, &s1).unwrap();
        let kb = keys(&b, &s2).unwrap();
        let same_building = a.country == b.country
            && a.number == b.number
            && a.street == b.street
            && a.kind == b.kind
            && a.postal == b.postal;
        prop_assert_eq!(ka.building == kb.building, same_building, "{:?} {:?}", ka, kb);
        prop_assert_eq!(ka.place == kb.place, same_building && a.unit == b.unit, "{:?} {:?}", ka, kb);
    }

    #[test]
    fn nothing_panics(s in "\\PC{0,40}", t in any::<String>(), c in "[A-Za-z]{0,3}") {
        for x in [&s, &t] {
            let _ = email_key(x);
            let _ = phone_key(x, Some(&c));
            let _ = phone_key(x, None);
            let _ = address_keys(x, Some(x), x, x, &c);
            let _ = address_keys(x, None, x, x, x);
            let _ = ip_keys(x);
            let _ = opaque_key(x);
        }
    }

    #[test]
    fn nothing_panics_on_near_formats(s in "[0-9+()#@. \\-/a-zA-Z:%\\[\\]]{0,30}") {
        let _ = email_key(&s);
        let _ = phone_key(&s, Some("GB"));
        let _ = address_keys(&s, Some(&s), "x", &s, "US");
        let _ = ip_keys(&s);
    }
}
