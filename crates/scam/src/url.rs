//! URLs and senders: scheme, host (ASCII and Unicode), registrable domain, bare IPs.
//!
//! Parsing is deliberately forgiving (reported messages carry URLs as people pasted them:
//! no scheme, trailing punctuation, user-info tricks like `amazon.com@evil.example`), and
//! total: any string yields a parse or `None`, never a panic.

use std::net::IpAddr;

/// Longest URL or host we look at; longer input is cut (at a character boundary).
pub const MAX_URL_BYTES: usize = 2_048;

/// A URL reduced to what scam checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    /// Lowercased scheme, empty when the URL had none (`www.example.com/x`).
    pub scheme: String,
    /// The host in ASCII (punycode for IDNs), lowercased, without a trailing dot.
    pub host: String,
    /// The host in Unicode (IDNs decoded); equal to `host` for plain ASCII hosts.
    pub host_unicode: String,
    /// The registrable domain (public suffix plus one label), ASCII; `None` for IPs and
    /// hosts without a known suffix.
    pub registrable: Option<String>,
    /// The host is an IPv4 or IPv6 literal.
    pub is_ip: bool,
    /// Path, query and fragment, lowercased (for brand-in-path checks).
    pub path: String,
}

impl ParsedUrl {
    /// `true` when any label of the host is punycode (`xn--`).
    pub fn has_punycode(&self) -> bool {
        self.host.split('.').any(|l| l.starts_with("xn--"))
    }
}

pub(crate) fn cut_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Normalises a host: trims, lowercases, drops a trailing dot, maps IDNs to ASCII.
/// Returns `(ascii, unicode)`, or `None` when nothing usable is left.
pub fn normalise_host(raw: &str) -> Option<(String, String)> {
    let raw = cut_str(raw.trim(), 253 * 4);
    let raw = raw.trim_end_matches('.');
    if raw.is_empty() || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = raw.to_lowercase();
    if lower.is_ascii() {
        if !lower
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            return None;
        }
        let unicode = if lower.contains("xn--") {
            let (u, res) = idna::domain_to_unicode(&lower);
            if res.is_ok() { u } else { lower.clone() }
        } else {
            lower.clone()
        };
        return Some((lower, unicode));
    }
    let ascii = idna::domain_to_ascii(&lower).ok()?;
    if ascii.is_empty() {
        return None;
    }
    Some((ascii, lower))
}

/// The registrable domain of an ASCII host (`login.amazon.co.uk` → `amazon.co.uk`), via the
/// public suffix list. `None` for hosts that are a bare suffix or have no known suffix.
pub fn registrable_domain(host_ascii: &str) -> Option<String> {
    let d = psl::domain_str(host_ascii)?;
    // A "domain" made of the suffix's wildcard rule alone is not a registrable name.
    if !d.contains('.') {
        return None;
    }
    // psl treats unknown TLDs as a one-label suffix; keep them only when the TLD is letters.
    let tld = d.rsplit('.').next().unwrap_or("");
    if tld.is_empty() || !(tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--"))
    {
        return None;
    }
    Some(d.to_owned())
}

/// Parses one URL as written in a message. Accepts `scheme://host…`, `//host…` and a bare
/// `host/path` when the host has a dot. `None` when no host can be found.
pub fn parse_url(raw: &str) -> Option<ParsedUrl> {
    let s = cut_str(raw.trim(), MAX_URL_BYTES);
    let s = s.trim_end_matches(['.', ',', ';', ':', ')', ']', '>', '"', '\'', '!', '?']);
    let s = s.trim_start_matches(['(', '[', '<', '"', '\'']);
    let (scheme, rest) = match s.find("://") {
        Some(i)
            if i > 0
                && s[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') =>
        {
            (s[..i].to_ascii_lowercase(), &s[i + 3..])
        }
        _ => (String::new(), s.strip_prefix("//").unwrap_or(s)),
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    // user-info: everything before the last '@' is not the host.
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => hostport,
        }
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        let h = ip.to_string();
        return Some(ParsedUrl {
            scheme,
            host_unicode: h.clone(),
            host: h,
            registrable: None,
            is_ip: true,
            path: path.to_lowercase(),
        });
    }
    if scheme.is_empty() && !host.contains('.') {
        return None;
    }
    let (ascii, unicode) = normalise_host(host)?;
    // Dotted-decimal written with leading zeros or in pieces still reads as an IP to browsers.
    let is_ip = ascii.split('.').count() == 4
        && ascii
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    Some(ParsedUrl {
        scheme,
        registrable: if is_ip {
            None
        } else {
            registrable_domain(&ascii)
        },
        host: ascii,
        host_unicode: unicode,
        is_ip,
        path: path.to_lowercase(),
    })
}

/// URL-like tokens in free text: anything starting with `http://`, `https://` or `www.`.
/// At most `max` are returned, in order of appearance.
pub fn urls_in_text(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    for tok in text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"') {
        if out.len() >= max {
            break;
        }
        let lower_prefix = tok
            .get(..8)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let lower_prefix7 = tok
            .get(..7)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let lower_prefix4 = tok
            .get(..4)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if lower_prefix == "https://" || lower_prefix7 == "http://" || lower_prefix4 == "www." {
            out.push(tok);
        }
    }
    out
}

/// Who sent a message, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// An e-mail address: the local part and the parsed domain.
    Email {
        local: String,
        domain: Option<ParsedUrl>,
    },
    /// A phone number: digits only, with a leading `+` when one was written.
    Phone(String),
    /// A short code (3 to 6 digits): operators assign these to registered businesses.
    ShortCode(String),
    /// A display name or alphanumeric sender id (`Amazon`, `AMZN-INFO`), lowercased.
    Name(String),
}

/// Parses a reported sender. `None` for an empty one.
pub fn parse_sender(raw: &str) -> Option<Sender> {
    let s = cut_str(raw.trim(), 512);
    if s.is_empty() {
        return None;
    }
    // "Name <addr@host>" → the address.
    let s = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    if let Some((local, domain)) = s.rsplit_once('@')
        && !domain.is_empty()
    {
        return Some(Sender::Email {
            local: local.to_lowercase(),
            domain: parse_url(&format!("mailto://{domain}")),
        });
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let phoneish = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phoneish && !digits.is_empty() {
        if digits.len() <= 6 && !s.contains('+') {
            return Some(Sender::ShortCode(digits));
        }
        let plus = if s.trim_start().starts_with('+') || s.starts_with("00") {
            "+"
        } else {
            ""
        };
        let digits = if s.starts_with("00") {
            digits.trim_start_matches("00").to_owned()
        } else {
            digits
        };
        return Some(Sender::Phone(format!("{plus}{digits}")));
    }
    Some(Sender::Name(s.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_registrable_domains_and_tricks() {
        let u = parse_url("https://Login.Amazon.co.uk./ap/signin?x=1").unwrap();
        assert_eq!(u.host, "login.amazon.co.uk");
        assert_eq!(u.registrable.as_deref(), Some("amazon.co.uk"));
        assert_eq!(u.scheme, "https");
        let u = parse_url("http://amazon.com@evil.example:8080/x").unwrap();
        assert_eq!(u.host, "evil.example");
        assert_eq!(u.registrable.as_deref(), Some("evil.example"));
        let u = parse_url("https://amazon.com-secure.com/login").unwrap();
        assert_eq!(u.registrable.as_deref(), Some("com-secure.com"));
        let u = parse_url("http://192.168.10.5/login").unwrap();
        assert!(u.is_ip);
        let u = parse_url("www.example.org/a.").unwrap();
        assert_eq!(u.host, "www.example.org");
        assert_eq!(u.path, "/a");
        let u = parse_url("https://аmazon.com/").unwrap(); // Cyrillic a
        assert!(u.has_punycode());
        assert_eq!(u.host_unicode, "аmazon.com");
        let u = parse_url("https://xn--amzon-r6k.shop/login").unwrap();
        assert!(u.has_punycode());
        assert_ne!(u.host_unicode, u.host);
        assert_eq!(parse_url("hello"), None);
        assert_eq!(parse_url(""), None);
    }

    #[test]
    fn parses_senders() {
        assert!(matches!(parse_sender("Amazon <no-reply@amazon.de>"),
            Some(Sender::Email { domain: Some(d), .. }) if d.registrable.as_deref() == Some("amazon.de")));
        assert_eq!(
            parse_sender("+44 7700 900123"),
            Some(Sender::Phone("+447700900123".into()))
        );
        assert_eq!(
            parse_sender("262966"),
            Some(Sender::ShortCode("262966".into()))
        );
        assert_eq!(parse_sender("Amazon"), Some(Sender::Name("amazon".into())));
        assert_eq!(parse_sender("  "), None);
    }

    #[test]
    fn finds_urls_in_text() {
        assert_eq!(
            urls_in_text("go to https://a.example/x now or www.b.example", 8),
            vec!["https://a.example/x", "www.b.example"]
        );
    }
}
