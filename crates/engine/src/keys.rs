//! Normalised keys for identifiers, so the same identity written differently is one node
//! of the identity graph. Thin adapters from the contract's types to `clawback-identity`,
//! which holds the rules (provider e-mail rules, E.164, address place and building, IP
//! ranges) and their property tests.

use clawback_events::{Address, Id};

pub fn email(raw: &str) -> Option<Id> {
    let s = raw.trim().to_lowercase();
    let (local, domain) = s.rsplit_once('@')?;
    if local.is_empty() || !domain.contains('.') {
        return None;
    }
    let (local, domain) = match domain {
        "gmail.com" | "googlemail.com" => {
            let l: String = local.split('+').next().unwrap_or("").replace('.', "");
            (l, "gmail.com".to_string())
        }
        _ => (local.to_string(), domain.to_string()),
    };
    Some(Id::from(format!("{local}@{domain}")))
}

pub fn phone(raw: &str, _country: Option<&str>) -> Option<Id> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 6).then(|| Id::from(digits))
}

pub fn opaque(raw: &str) -> Option<Id> {
    let t = raw.trim();
    (!t.is_empty()).then(|| Id::from(t))
}

/// The address and its range (/24 for IPv4, /48 for IPv6).
pub fn ip(raw: &str) -> Option<(Id, Id)> {
    match raw.trim().parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some((
                Id::from(v4.to_string()),
                Id::from(format!("{}.{}.{}.0/24", o[0], o[1], o[2])),
            ))
        }
        std::net::IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip(&v4.to_string());
            }
            let s = v6.segments();
            Some((
                Id::from(v6.to_string()),
                Id::from(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])),
            ))
        }
    }
}

/// (place, building): the unit-level address and the street address without the unit.
pub fn address(a: &Address) -> Option<(Id, Id)> {
    let norm = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let postal: String = a
        .postal_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let line1 = norm(&a.line1);
    if line1.is_empty() {
        return None;
    }
    let building = format!("{}|{}|{}", a.country.to_ascii_uppercase(), postal, line1);
    let unit = a.line2.as_deref().map(norm).unwrap_or_default();
    Some((Id::from(format!("{building}|{unit}")), Id::from(building)))
}
