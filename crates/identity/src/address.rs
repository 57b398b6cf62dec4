//! Postal addresses to a unit-level key and a building key.

use crate::text::tokens;

/// Keys of one postal address.
///
/// Two levels because they mean different things for fraud: accounts sharing a `place`
/// share a household (or a drop address), while accounts sharing only a `building` may be
/// strangers in one apartment block, a weaker link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressKeys {
    /// The unit-level address: the building plus the unit (flat, suite, floor, building
    /// letter); equal to `building` when there is no unit.
    pub place: String,
    /// The street address without the unit.
    pub building: String,
}

/// Which table of street words and unit markers applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    /// Canada: English words first, French ones (Québec) where English has none.
    EnFr,
    De,
    Fr,
}

/// Keys for an address written by a person, or `None` when there is nothing to key on
/// (no country, no street, neither postal code nor city).
///
/// The key is `country|area|house number|street[|units]`: `area` is the postal code
/// normalised for the country (US ZIP 5, `SW1A 1AA`, `K1A 0B1`, 5 digits in DE/FR), or the
/// city when the postal code is empty, since the postal code is what people get right and
/// city names have many spellings. The street is lowercased, without punctuation, with
/// diacritics folded and the country's abbreviations (Street/St., Straße/Str., rue/r.) made
/// one, and its words joined without spaces (`Haupt Straße` = `Hauptstraße`). Units are
/// taken from either line whatever the marker (`Apt 4`, `#4`, `Unit 4`, `Flat 4`,
/// `Wohnung 4`, `appt 4` all give unit `4`; `Bât A` and `2. OG` are kept apart as building
/// and floor), sorted so their order does not matter.
pub fn address_keys(
    line1: &str,
    line2: Option<&str>,
    city: &str,
    postal_code: &str,
    country: &str,
) -> Option<AddressKeys> {
    let country = country_code(country)?;
    let lang = match country.as_str() {
        "DE" | "AT" | "CH" | "LI" => Lang::De,
        "FR" | "MC" | "LU" | "BE" => Lang::Fr,
        "CA" => Lang::EnFr,
        _ => Lang::En,
    };
    let mut area = postal_key(&country, postal_code);
    if area.is_empty() {
        area = tokens(city).concat();
    }
    if area.is_empty() {
        return None;
    }
    let mut units = Vec::new();
    let mut street = take_units(tokens(line1), lang, false, &mut units);
    let mut rest = line2.map_or_else(Vec::new, |l| take_units(tokens(l), lang, true, &mut units));
    // A line1 without a house number next to a line2 with one is a name ("Acme Ltd",
    // "Manor Farm") above the street: the street is line2.
    if !rest.is_empty()
        && !street.iter().any(|t| starts_digit(t))
        && rest.iter().any(|t| starts_digit(t))
    {
        street = std::mem::take(&mut rest);
    }
    // What is left of line2 without a marker ("Rear", "4B") still tells units apart.
    if !rest.is_empty() {
        units.push(rest.concat());
    }
    let (number, street) = street_key(street, lang);
    if street.is_empty() && number.is_empty() {
        return None;
    }
    let building = format!("{country}|{area}|{number}|{street}");
    units.sort_unstable();
    units.dedup();
    let place = if units.is_empty() {
        building.clone()
    } else {
        format!("{building}|{}", units.join("-"))
    };
    Some(AddressKeys { place, building })
}

/// ISO 3166-1 alpha-2 in upper case (`UK`, the common mistake, is `GB`).
fn country_code(c: &str) -> Option<String> {
    let c = c.trim().to_ascii_uppercase();
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(if c == "UK" { "GB".to_string() } else { c })
}

/// The postal code in the country's canonical form; for an unrecognised shape the letters
/// and digits uppercased, so a typo still keys consistently with itself.
fn postal_key(country: &str, raw: &str) -> String {
    let alnum: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    let digits_only = alnum.bytes().all(|b| b.is_ascii_digit());
    match country {
        "US" if digits_only => match alnum.len() {
            // ZIP+4 names a delivery segment within the ZIP: people add it or not.
            5 | 9 => alnum[..5].to_string(),
            // Spreadsheets drop leading zeros (00501, 02134).
            3 | 4 => format!("{alnum:0>5}"),
            _ => alnum,
        },
        "DE" | "FR" => {
            // A trailing "CEDEX 08" or city name after the code is not part of it.
            let lead: String = raw
                .trim()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            match lead.len() {
                5 => lead,
                4 => format!("{lead:0>5}"),
                _ => alnum,
            }
        }
        "GB" if (5..=7).contains(&alnum.len()) && alnum.is_ascii() => {
            let (out, inw) = alnum.split_at(alnum.len() - 3);
            format!("{out} {inw}")
        }
        "CA" if alnum.len() == 6 && alnum.is_ascii() => {
            let (a, b) = alnum.split_at(3);
            format!("{a} {b}")
        }
        _ => alnum,
    }
}

fn starts_digit(t: &str) -> bool {
    t.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// What a unit marker introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// Flat, apartment, suite, unit: the value alone is the unit.
    Unit,
    /// A building of a residence (`Bât A`, `Bldg 2`), prefixed `b`.
    Building,
    /// A floor (`2. OG`, `3rd floor`), prefixed `f`.
    Floor,
}

fn marker(t: &str, lang: Lang) -> Option<Marker> {
    let en = matches!(lang, Lang::En | Lang::EnFr);
    let fr = matches!(lang, Lang::Fr | Lang::EnFr);
    Some(match t {
        "#" | "apt" | "apartment" | "unit" | "flat" | "suite" | "app" | "appt" | "apartement"
        | "appartement" | "appart" | "wohnung" | "whg" | "rm" | "room" => Marker::Unit,
        "ste" | "no" if en => Marker::Unit,
        "bureau" | "porte" | "logement" | "lgt" if fr => Marker::Unit,
        "bldg" | "building" | "blk" | "block" => Marker::Building,
        "bat" | "batiment" | "immeuble" | "imm" if fr => Marker::Building,
        "floor" | "fl" if en => Marker::Floor,
        "etage" | "et" if fr => Marker::Floor,
        "og" | "stock" | "etage" if lang == Lang::De => Marker::Floor,
        _ => return None,
    })
}

/// Markers written glued to their value ("apt4", "whg3").
const GLUED: &[&str] = &["apt", "unit", "flat", "suite", "appt", "app", "whg", "ste"];

/// A unit value without leading zeros or ordinal suffixes (`04` → `4`, `3rd` → `3`,
/// `2eme` → `2`), so `Apt 04` and `Apt 4` agree.
fn unit_value(v: &str) -> String {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return v.to_string();
    }
    let (num, suffix) = v.split_at(digits);
    let num = num.trim_start_matches('0');
    let num = if num.is_empty() { "0" } else { num };
    let suffix = match suffix {
        "st" | "nd" | "rd" | "th" | "e" | "er" | "eme" | "ieme" | "re" => "",
        s => s,
    };
    format!("{num}{suffix}")
}

/// Removes unit markers and their values from `toks`, pushing the units; returns the rest.
fn take_units(toks: Vec<String>, lang: Lang, line2: bool, units: &mut Vec<String>) -> Vec<String> {
    let mut rest: Vec<String> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        // Glued marker and value.
        if let Some(v) = GLUED
            .iter()
            .find_map(|m| t.strip_prefix(m).filter(|v| starts_digit(v)))
        {
            units.push(unit_value(v));
            i += 1;
            continue;
        }
        // Floors without a marker word: Erdgeschoss, rez-de-chaussée.
        if (lang == Lang::De && t == "eg") || (lang != Lang::De && lang != Lang::En && t == "rdc") {
            units.push("f0".to_string());
            i += 1;
            continue;
        }
        let Some(kind) = marker(t, lang) else {
            rest.push(toks[i].clone());
            i += 1;
            continue;
        };
        let prefix = match kind {
            Marker::Unit => "",
            Marker::Building => "b",
            Marker::Floor => "f",
        };
        // "2. OG", "3rd floor": the value comes first. Never take line1's only house number.
        if kind == Marker::Floor {
            let numbers = rest.iter().filter(|t| starts_digit(t)).count();
            if let Some(prev) = rest
                .last()
                .filter(|p| starts_digit(p) && (line2 || numbers > 1))
            {
                units.push(format!("f{}", unit_value(prev)));
                rest.pop();
                i += 1;
                continue;
            }
        }
        let mut j = i + 1;
        // "Apt No. 4", "# 4".
        while j < toks.len() && matches!(toks[j].as_str(), "no" | "nr" | "n" | "number" | "#") {
            j += 1;
        }
        let Some(v) = toks.get(j) else {
            // A marker with no value ("Apt" at the end) says nothing.
            i = j;
            continue;
        };
        let mut value = unit_value(v);
        j += 1;
        // "Apt 4 B" at the end of a line is "4b".
        if starts_digit(v)
            && j + 1 == toks.len()
            && toks[j].len() == 1
            && toks[j].bytes().all(|b| b.is_ascii_alphabetic())
        {
            value.push_str(&toks[j]);
            j += 1;
        }
        units.push(format!("{prefix}{value}"));
        i = j;
    }
    rest
}

/// The canonical street word for `t` in `lang` (abbreviations and full words give one).
fn canonical(t: &str, lang: Lang) -> &str {
    street_word(t, lang).unwrap_or(t)
}

/// The canonical form of `t` when it is one of `lang`'s street words.
fn street_word(t: &str, lang: Lang) -> Option<&'static str> {
    let en = |t: &str| -> Option<&'static str> {
        Some(match t {
            "street" | "st" | "str" | "saint" => "st",
            "avenue" | "ave" | "av" | "aven" | "avenu" | "avn" => "ave",
            "road" | "rd" => "rd",
            "drive" | "dr" | "drv" => "dr",
            "lane" | "ln" => "ln",
            "boulevard" | "blvd" | "boul" | "blv" => "blvd",
            "court" | "ct" => "ct",
            "place" | "pl" => "pl",
            "circle" | "cir" => "cir",
            "highway" | "hwy" => "hwy",
            "parkway" | "pkwy" => "pkwy",
            "terrace" | "ter" | "terr" => "ter",
            "square" | "sq" => "sq",
            "crescent" | "cres" => "cres",
            "close" | "cl" => "cl",
            "gardens" | "gdns" => "gdns",
            "grove" | "gr" => "gr",
            "mount" | "mt" => "mt",
            "trail" | "trl" => "trl",
            "centre" | "center" | "ctr" => "ctr",
            "north" | "n" => "n",
            "south" | "s" => "s",
            "east" | "e" => "e",
            "west" | "w" => "w",
            "northeast" | "ne" => "ne",
            "northwest" | "nw" => "nw",
            "southeast" | "se" => "se",
            "southwest" | "sw" => "sw",
            _ => return None,
        })
    };
    let fr = |t: &str| -> Option<&'static str> {
        Some(match t {
            "rue" | "r" => "r",
            "avenue" | "av" | "ave" => "av",
            "boulevard" | "bd" | "bld" | "blvd" | "bvd" | "boul" => "bd",
            "place" | "pl" => "pl",
            "chemin" | "ch" | "chem" => "ch",
            "impasse" | "imp" => "imp",
            "allee" | "all" => "all",
            "route" | "rte" => "rte",
            "square" | "sq" => "sq",
            "cours" | "crs" => "crs",
            "faubourg" | "fbg" | "fg" => "fbg",
            "saint" | "st" => "st",
            "sainte" | "ste" => "ste",
            "general" | "gal" | "gen" => "gen",
            "marechal" | "mal" => "mal",
            "docteur" => "dr",
            "president" | "pdt" => "pdt",
            _ => return None,
        })
    };
    match lang {
        Lang::En => en(t),
        Lang::EnFr => en(t).or_else(|| fr(t)),
        Lang::Fr => fr(t),
        Lang::De => match t {
            "str" | "strasse" => Some("str"),
            "platz" | "pl" => Some("pl"),
            _ => None,
        },
    }
}

/// Words that people drop or keep at will ("rue de la Paix" / "rue Paix", "The Mall").
fn filler(t: &str, lang: Lang) -> bool {
    match lang {
        Lang::En => t == "the",
        Lang::Fr | Lang::EnFr => matches!(t, "de" | "la" | "le" | "les" | "du" | "des" | "d" | "l"),
        Lang::De => false,
    }
}

/// The house number and the rest of the street, canonicalised and joined without spaces.
fn street_key(toks: Vec<String>, lang: Lang) -> (String, String) {
    let mut number = String::new();
    let mut street = String::new();
    let mut it = toks.into_iter().peekable();
    while let Some(t) = it.next() {
        if number.is_empty() && starts_digit(&t) {
            number = t.trim_start_matches('0').to_string();
            // "12 a", "12 bis": a suffix of the house number.
            while let Some(s) = it.peek() {
                // Not a one-letter street word ("N" for North, "R." for rue).
                let letter = s.len() == 1
                    && s.bytes().all(|b| b.is_ascii_alphabetic())
                    && street_word(s, lang).is_none();
                let latin = lang == Lang::Fr && matches!(s.as_str(), "bis" | "ter" | "quater");
                if !(letter || latin) {
                    break;
                }
                number.push_str(s);
                it.next();
            }
            continue;
        }
        if filler(&t, lang) {
            continue;
        }
        // German compounds: "Hauptstraße", "Hauptstr.", "Marktplatz".
        if lang == Lang::De {
            if let Some(stem) = t.strip_suffix("strasse") {
                street.push_str(stem);
                street.push_str("str");
                continue;
            }
            if let Some(stem) = t.strip_suffix("platz") {
                street.push_str(stem);
                street.push_str("pl");
                continue;
            }
        }
        street.push_str(canonical(&t, lang));
    }
    (number, street)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(l1: &str, l2: Option<&str>, city: &str, pc: &str, c: &str) -> AddressKeys {
        address_keys(l1, l2, city, pc, c).unwrap()
    }

    #[test]
    fn us_brief_examples() {
        let a = k("12 Main St. Apt 4", None, "Springfield", "62704", "US");
        let b = k(
            "12 main street, #4",
            None,
            "springfield",
            "62704-1234",
            "us",
        );
        let c = k(
            "12 MAIN ST",
            Some("Unit 4"),
            "SPRINGFIELD",
            "627041234",
            "US",
        );
        let d = k(
            "12 Main Street",
            Some("Apt. 04"),
            "Springfield",
            "62704",
            "US",
        );
        let e = k("12 Main St #4", None, "Springfield", "62704", "US");
        let f = k("Apt 4, 12 Main St", None, "Springfield", "62704", "US");
        assert_eq!(a.place, "US|62704|12|mainst|4");
        assert_eq!(a.building, "US|62704|12|mainst");
        for x in [&b, &c, &d, &e, &f] {
            assert_eq!(&a, x);
        }
        let apt5 = k("12 Main Street Apt 5", None, "Springfield", "62704", "US");
        assert_ne!(apt5.place, a.place);
        assert_eq!(apt5.building, a.building);
        let house = k("12 Main St", None, "Springfield", "62704", "US");
        assert_eq!(house.place, house.building);
        assert_eq!(house.building, a.building);
        assert_ne!(house.place, a.place);
    }

    #[test]
    fn us_near_misses() {
        let a = k("12 Main St Apt 4B", None, "X", "62704", "US");
        assert_eq!(a, k("12 Main Street", Some("apt 4 b"), "X", "62704", "US"));
        assert_ne!(
            a.place,
            k("12 Main St Apt 4A", None, "X", "62704", "US").place
        );
        assert_ne!(
            a.building,
            k("14 Main St Apt 4B", None, "X", "62704", "US").building
        );
        assert_ne!(
            a.building,
            k("12 Main St Apt 4B", None, "X", "62705", "US").building
        );
        assert_ne!(
            a.building,
            k("12 Main Ave Apt 4B", None, "X", "62704", "US").building
        );
        assert_ne!(
            a.building,
            k("12 Oak St Apt 4B", None, "X", "62704", "US").building
        );
        assert_ne!(
            a.building,
            k("12 Main St Apt 4B", None, "X", "62704", "CA").building
        );
        assert_eq!(
            k("350 5th Ave Suite 200", None, "New York", "10118", "US"),
            k("350 5th Avenue", Some("Ste. 200"), "NYC", "10118", "US")
        );
        assert_eq!(
            k("1 N Main St", None, "X", "00501", "US"),
            k("1 North Main Street", None, "X", "501", "US")
        );
    }

    #[test]
    fn gb() {
        let a = k("Flat 4, 221 Baker Street", None, "London", "NW1 6XE", "GB");
        assert_eq!(a.place, "GB|NW1 6XE|221|bakerst|4");
        assert_eq!(
            a,
            k("221 baker st", Some("flat 4"), "LONDON", "nw16xe", "UK")
        );
        assert_eq!(
            a,
            k(
                "221 Baker St.",
                Some("Flat. 4"),
                "London",
                " NW1  6XE ",
                "gb"
            )
        );
        assert_ne!(
            a.place,
            k("Flat 5, 221 Baker Street", None, "London", "NW1 6XE", "GB").place
        );
        assert_eq!(
            k("10 High Rd", None, "X", "SW1A1AA", "GB").building,
            "GB|SW1A 1AA|10|highrd"
        );
    }

    #[test]
    fn de() {
        let a = k(
            "Hauptstraße 12",
            Some("Wohnung 3"),
            "München",
            "80331",
            "DE",
        );
        assert_eq!(a.place, "DE|80331|12|hauptstr|3");
        for x in [
            k("Hauptstr. 12", Some("Whg. 3"), "Muenchen", "80331", "DE"),
            k("HAUPTSTRASSE 12", Some("whg 3"), "MÜNCHEN", "80331", "DE"),
            k("Haupt Straße 12, Wohnung 3", None, "München", "80331", "DE"),
            k("Hauptstrasse 12", Some("App. 3"), "München", "80331", "DE"),
        ] {
            assert_eq!(a, x);
        }
        let floor = k("Hauptstraße 12", Some("2. OG"), "München", "80331", "DE");
        assert_eq!(floor.place, "DE|80331|12|hauptstr|f2");
        assert_eq!(floor.building, a.building);
        assert_ne!(
            a.building,
            k("Hauptstraße 12a", None, "München", "80331", "DE").building
        );
        assert_eq!(
            k("Hauptstraße 12 a", None, "M", "80331", "DE").building,
            "DE|80331|12a|hauptstr"
        );
        assert_eq!(
            k("Dorfstr. 5", None, "X", "1067", "DE").building,
            "DE|01067|5|dorfstr"
        );
        assert_eq!(
            k("Marktplatz 1", None, "X", "80331", "DE"),
            k("Markt Pl. 1", None, "X", "80331", "DE")
        );
    }

    #[test]
    fn fr() {
        let a = k("12, rue de la Paix", Some("Appt 4"), "Paris", "75002", "FR");
        assert_eq!(a.place, "FR|75002|12|rpaix|4");
        for x in [
            k(
                "12 R. de la Paix",
                Some("appartement 4"),
                "PARIS",
                "75002",
                "FR",
            ),
            k(
                "12 Rue De La Paix",
                Some("Apt 4"),
                "Paris",
                "75002 CEDEX",
                "FR",
            ),
            k("12 rue de la paix appt. 4", None, "paris", "75 002", "fr"),
        ] {
            assert_eq!(a, x);
        }
        let bat = k(
            "12 rue de la Paix",
            Some("Bât. A, appt 4"),
            "Paris",
            "75002",
            "FR",
        );
        assert_eq!(bat.place, "FR|75002|12|rpaix|4-ba");
        assert_eq!(
            bat,
            k(
                "12 rue de la Paix",
                Some("Appt 4 Bât A"),
                "Paris",
                "75002",
                "FR"
            )
        );
        assert_ne!(
            bat.place,
            k(
                "12 rue de la Paix",
                Some("Bât. B, appt 4"),
                "Paris",
                "75002",
                "FR"
            )
            .place
        );
        assert_eq!(
            k("3 av. du Gal de Gaulle", None, "X", "92100", "FR"),
            k("3 Avenue du Général de Gaulle", None, "X", "92100", "FR")
        );
        assert_eq!(
            k("7 bis bd Voltaire", None, "X", "75011", "FR").building,
            "FR|75011|7bis|bdvoltaire"
        );
        assert_ne!(
            k("7 bis bd Voltaire", None, "X", "75011", "FR").building,
            k("7 bd Voltaire", None, "X", "75011", "FR").building
        );
    }

    #[test]
    fn ca() {
        let a = k("100 Queen St W Unit 4", None, "Toronto", "m5h2n2", "CA");
        assert_eq!(a.place, "CA|M5H 2N2|100|queenstw|4");
        assert_eq!(
            a,
            k(
                "100 Queen Street West",
                Some("#4"),
                "Toronto",
                "M5H 2N2",
                "CA"
            )
        );
        assert_eq!(
            k(
                "1200 boul. René-Lévesque",
                Some("app. 4"),
                "Montréal",
                "H3B 4W8",
                "CA"
            ),
            k(
                "1200 Boulevard Rene Levesque",
                Some("Apt 4"),
                "Montreal",
                "H3B4W8",
                "CA"
            )
        );
    }

    #[test]
    fn fallbacks_and_none() {
        // No postal code: the city keys the area.
        assert_eq!(
            k("1 Main St", None, "Saint-Louis", "", "US").building,
            "US|saintlouis|1|mainst"
        );
        // A name above the street.
        assert_eq!(
            k("Acme Ltd", Some("10 High St"), "X", "SW1A 1AA", "GB").place,
            "GB|SW1A 1AA|10|highst"
        );
        assert_eq!(address_keys("1 Main St", None, "", "", "US"), None);
        assert_eq!(address_keys("", None, "X", "62704", "US"), None);
        assert_eq!(address_keys("1 Main St", None, "X", "62704", "USA"), None);
        assert_eq!(address_keys("1 Main St", None, "X", "62704", ""), None);
    }
}
