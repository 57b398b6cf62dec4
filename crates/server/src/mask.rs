//! Masking of PII fields for readers without a justification: enough is left to tell two
//! values apart in a list (`j***@g***.com`), not enough to contact anyone.

/// `john.smith@gmail.com` → `j***@g***.com`.
pub fn email(s: &str) -> String {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return word(s);
    };
    let (host, tld) = match domain.rsplit_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (domain, None),
    };
    let mut out = format!("{}***@{}***", first(local), first(host));
    if let Some(t) = tld {
        out.push('.');
        out.push_str(t);
    }
    out
}

/// `+1 415 555 0142` → `***42`: the last two digits only.
pub fn phone(s: &str) -> String {
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("***{tail}")
}

/// `John Smith` → `J*** S***`.
pub fn name(s: &str) -> String {
    s.split_whitespace().map(word).collect::<Vec<_>>().join(" ")
}

/// One word: its first character and `***`.
pub fn word(s: &str) -> String {
    format!("{}***", first(s))
}

/// A postal code: its first two characters.
pub fn postal(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}***")
}

fn first(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_issue_says() {
        assert_eq!(email("john.smith@gmail.com"), "j***@g***.com");
        assert_eq!(email("J@mail.example.co.uk"), "J***@m***.uk");
        assert_eq!(email("no-at-sign"), "n***");
        assert_eq!(email(""), "***");
        assert_eq!(phone("+1 415 555 0142"), "***42");
        assert_eq!(phone("7"), "***7");
        assert_eq!(name("John  Smith"), "J*** S***");
        assert_eq!(name("Zoë Ålund"), "Z*** Å***");
        assert_eq!(postal("SW1A 1AA"), "SW***");
    }
}
