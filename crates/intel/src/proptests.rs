//! Property tests of the extractors: no panic on any text, and what is written in any of
//! the supported forms is read back.

use crate::*;
use proptest::prelude::*;

fn id_text(d: &[u8; 17]) -> String {
    packed_id(pack(d))
}

fn group(units: i64, sep: &str) -> String {
    let digits = units.to_string();
    let mut s = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push_str(sep);
        }
        s.push(ch);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_extracts_without_panic(text in "\\PC{0,300}", today in -1000i64..100_000) {
        let x = extract(&text, today);
        let _ = x.contexts(&text);
        for &(s, e) in &x.tokens {
            prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e) && s < e);
        }
    }

    #[test]
    fn digit_and_mask_soup_never_panics(text in "[0-9•*Xx# .,/-]{0,120}") {
        let x = extract(&text, 20_000);
        for m in &x.order_ids {
            prop_assert!(m.pattern.visible() > 0);
        }
    }

    #[test]
    fn a_masked_id_fits_its_order(
        digits in proptest::array::uniform17(0u8..10),
        block in 0usize..3,
        from in 0usize..7,
        len in 1usize..7,
        mask in prop::sample::select(vec!['•', '*', 'X', 'x', '#']),
        prefix in prop::sample::select(vec!["Order ", "order: ", "✅ ", "(", "Commande n° "]),
    ) {
        let full = id_text(&digits);
        let (off, blen) = [(0usize, 3usize), (4, 7), (12, 7)][block];
        let from = from.min(blen - 1);
        let to = (from + len).min(blen);
        let masked: String = full
            .chars()
            .enumerate()
            .map(|(i, c)| if i >= off + from && i < off + to { mask } else { c })
            .collect();
        let text = format!("{prefix}{masked} refunded");
        let x = extract(&text, 20_000);
        prop_assert_eq!(x.order_ids.len(), 1, "{}", text);
        prop_assert!(x.order_ids[0].pattern.fits(&digits));
        prop_assert_eq!(x.order_ids[0].pattern.visible() as usize, 17 - (to - from));
    }

    #[test]
    fn longer_digit_runs_are_not_ids(digits in proptest::array::uniform17(0u8..10), extra in 0u8..10) {
        let text = format!("{}{}", id_text(&digits), extra);
        prop_assert!(extract(&text, 0).order_ids.is_empty());
        let text = format!("{}{}", extra, id_text(&digits));
        prop_assert!(extract(&text, 0).order_ids.is_empty());
    }

    #[test]
    fn amounts_read_back(units in 0i64..5_000_000, cents in 0i64..100, style in 0usize..8) {
        let h = units * 100 + cents;
        let (text, cur) = match style {
            0 => (format!("${}.{cents:02}", group(units, ",")), "USD"),
            1 => (format!("{},{cents:02} €", group(units, ".")), "EUR"),
            2 => (format!("{},{cents:02}\u{a0}€", group(units, "\u{202f}")), "EUR"),
            3 => (format!("€{},{cents:02}", group(units, ".")), "EUR"),
            4 => (format!("£{}.{cents:02}", group(units, ",")), "GBP"),
            5 => (format!("USD {}.{cents:02}", group(units, ",")), "USD"),
            6 => (format!("C${}.{cents:02}", group(units, ",")), "CAD"),
            _ => (format!("{}.{cents:02} EUR", units), "EUR"),
        };
        let post = format!("refunded {text} item kept");
        let x = extract(&post, 20_000);
        prop_assert_eq!(x.amounts.len(), 1, "{}", post);
        prop_assert_eq!(x.amounts[0].hundredths, h, "{}", post);
        prop_assert_eq!(x.amounts[0].currency, cur);
    }

    #[test]
    fn dates_read_back(day in 19_000i64..22_000, style in 0usize..4, ago in 0i64..30) {
        let (y, m, d) = civil_from_days(day);
        const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let text = match style {
            0 => format!("refunded {y}-{m:02}-{d:02}"),
            1 => format!("refunded {d}.{m}.{y}"),
            2 => format!("refunded {} {d}, {y}", MON[m as usize - 1]),
            _ => format!("refunded {d} {} {y}", MON[m as usize - 1].to_lowercase()),
        };
        let x = extract(&text, day + ago);
        prop_assert!(x.dates.iter().any(|dm| dm.day == day), "{} -> {:?}", text, x.dates);
    }

    #[test]
    fn tracking_numbers_are_not_amounts_or_ids(n in 0u64..1_000_000_000, cc in prop::sample::select(vec!["US", "GB", "FR"])) {
        let text = format!("tracking AB{n:09}{cc} delivered");
        let x = extract(&text, 0);
        prop_assert_eq!(x.tracking.len(), 1);
        prop_assert!(x.order_ids.is_empty());
        prop_assert!(x.amounts.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any id of any shape, with some of its characters hidden, fits itself and is found in
    /// a post as a masked id when enough shows.
    #[test]
    fn a_masked_id_of_any_shape_fits_its_order(
        // No `X`: a run of three is read as a mask (`ORD-8FXXX-991`).
        id in "[A-WYZ0-9]{3,6}-[A-WYZ0-9]{4,8}-[0-9]{2,5}",
        from in 0usize..20,
        len in 1usize..5,
        mask in prop::sample::select(vec!['•', '*', '●']),
        extra in 0usize..3,
    ) {
        let chars: Vec<char> = id.chars().collect();
        let from = from % chars.len();
        let to = (from + len).min(chars.len());
        prop_assume!(chars[from..to].iter().all(|c| c.is_alphanumeric()));
        // Hide the run, sometimes with more dots than characters (a miscount).
        let mut masked: String = chars[..from].iter().collect();
        for _ in 0..(to - from + extra) {
            masked.push(mask);
        }
        masked.extend(&chars[to..]);
        let loose: Vec<char> = loose_key(&id).chars().collect();
        let seg: Vec<char> = masked.chars().collect();
        if let Some(p) = opaque::read_masked(&seg) {
            prop_assert!(opaque::fits(&p, &loose), "{} {}", masked, id);
        }
        let text = format!("Order {masked} refunded");
        for m in extract(&text, 0).masked_ids {
            prop_assert!(m.fits(&loose), "{} {}", masked, id);
        }
    }

    #[test]
    fn loose_keys_ignore_case_and_punctuation(id in "[#]?[a-zA-Z0-9]{1,4}([-_ ./][a-zA-Z0-9]{1,6}){0,3}") {
        let k = loose_key(&id);
        prop_assert_eq!(loose_key(&k), k.clone());
        prop_assert_eq!(loose_key(&id.to_lowercase()), k.clone());
        prop_assert!(k.chars().all(|c| c.is_alphanumeric()));
    }

    #[test]
    fn masked_soup_never_panics(text in "[0-9A-Za-z•*Xx#?_ .,:/=-]{0,80}") {
        let x = extract(&text, 20_000);
        for m in &x.masked_ids {
            prop_assert!(m.visible() >= opaque::MIN_MASKED_VISIBLE && m.visible() < m.pattern.len());
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end) && m.start <= m.end);
        }
    }
}
