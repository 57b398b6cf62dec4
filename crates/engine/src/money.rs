//! Rough conversion of money to US cents, so that value thresholds mean the same in every
//! currency of the contract.
//!
//! The rates are fixed and approximate on purpose: the engine must not depend on a live
//! FX feed (determinism), and thresholds such as "about $500" do not need more precision.
//! A currency not in the table is treated as a two-decimal currency worth one dollar,
//! which is wrong in a known, bounded way rather than silently zero.

/// (ISO 4217 code, minor-unit exponent, approximate US dollars per unit).
const RATES: &[(&str, u32, f64)] = &[
    ("USD", 2, 1.0),
    ("EUR", 2, 1.08),
    ("GBP", 2, 1.27),
    ("CAD", 2, 0.73),
    ("AUD", 2, 0.66),
    ("NZD", 2, 0.60),
    ("CHF", 2, 1.13),
    ("SEK", 2, 0.095),
    ("NOK", 2, 0.093),
    ("DKK", 2, 0.145),
    ("PLN", 2, 0.25),
    ("CZK", 2, 0.043),
    ("MXN", 2, 0.055),
    ("BRL", 2, 0.18),
    ("INR", 2, 0.012),
    ("CNY", 2, 0.14),
    ("SGD", 2, 0.74),
    ("AED", 2, 0.27),
    ("JPY", 0, 0.0067),
    ("KRW", 0, 0.00073),
];

/// Converts an amount in `currency`'s minor unit to approximate US cents.
pub fn usd_cents(amount_minor: i64, currency: &str) -> i64 {
    let (exp, rate) = RATES
        .iter()
        .find(|(code, _, _)| *code == currency)
        .map_or((2, 1.0), |&(_, exp, rate)| (exp, rate));
    let units = amount_minor as f64 / 10f64.powi(exp as i32);
    (units * rate * 100.0).round() as i64
}

/// Formats US cents as dollars for reason details.
pub fn dollars(usd_cents: i64) -> String {
    format!("${:.0}", usd_cents as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_by_exponent_and_rate() {
        assert_eq!(usd_cents(199_900, "USD"), 199_900);
        assert_eq!(usd_cents(10_000, "GBP"), 12_700);
        assert_eq!(usd_cents(15_000, "JPY"), 10_050);
        assert_eq!(
            usd_cents(1_000, "XXX"),
            1_000,
            "unknown currencies count as dollars"
        );
        assert_eq!(dollars(199_900), "$1999");
    }
}
