//! Email addresses to mailbox keys.

/// How a provider treats the local part, so that every alias of one mailbox gets one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aliasing {
    /// Gmail: dots are ignored and `+tag` is dropped; googlemail.com is gmail.com.
    Gmail,
    /// The provider delivers `name+tag` to `name`.
    Plus,
    /// Yahoo's disposable addresses: `name-keyword` is delivered to `name`.
    Dash,
    /// Unknown provider: the local part may be case- or tag-sensitive, keep it.
    None,
}

/// Providers known to deliver `name+tag` (or Yahoo's `name-keyword`) to `name`.
fn aliasing(domain: &str) -> Aliasing {
    match domain {
        "gmail.com" | "googlemail.com" => Aliasing::Gmail,
        "outlook.com" | "hotmail.com" | "live.com" | "msn.com" | "outlook.co.uk"
        | "hotmail.co.uk" | "live.co.uk" | "outlook.de" | "hotmail.de" | "live.de"
        | "outlook.fr" | "hotmail.fr" | "live.fr" | "live.ca" | "hotmail.ca" | "icloud.com"
        | "me.com" | "mac.com" | "fastmail.com" | "fastmail.fm" | "protonmail.com"
        | "protonmail.ch" | "proton.me" | "pm.me" => Aliasing::Plus,
        "yahoo.com" | "yahoo.co.uk" | "yahoo.de" | "yahoo.fr" | "yahoo.ca" | "ymail.com"
        | "rocketmail.com" => Aliasing::Dash,
        _ => Aliasing::None,
    }
}

/// Mailbox key for an email address, or `None` when `raw` is not an email.
///
/// Trimmed and lowercased (mail systems treat addresses case-insensitively in practice).
/// For providers known to alias (gmail dots and `+tag`; `+tag` at Outlook/Hotmail/Live,
/// iCloud/me/mac, Fastmail, Proton; `-keyword` at Yahoo) the alias is removed so that
/// throwaway variants of one mailbox link; other providers keep the local part as written,
/// since their aliasing rules are unknown and merging two mailboxes would link strangers.
pub fn email_key(raw: &str) -> Option<String> {
    let s = raw.trim().to_lowercase();
    let (local, domain) = s.rsplit_once('@')?;
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if !valid_local(local) || !valid_domain(domain) {
        return None;
    }
    let (local, domain) = match aliasing(domain) {
        Aliasing::Gmail => {
            let base = local.split('+').next().unwrap_or_default();
            (base.replace('.', ""), "gmail.com")
        }
        Aliasing::Plus => (
            local.split('+').next().unwrap_or_default().to_string(),
            domain,
        ),
        Aliasing::Dash => (
            local.split('-').next().unwrap_or_default().to_string(),
            domain,
        ),
        Aliasing::None => (local.to_string(), domain),
    };
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// A local part people type: non-empty, no spaces, quotes, angle brackets or a second `@`.
fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '@' | '<' | '>' | '"' | ',' | ';' | '(' | ')' | '[' | ']' | '\\'
                )
        })
}

/// A domain with at least two non-empty labels of letters, digits and hyphens (IDNs kept
/// as Unicode: converting to punycode would need the `idna` tables, and people type one
/// form consistently more often than not).
fn valid_domain(domain: &str) -> bool {
    let mut labels = 0;
    for label in domain.split('.') {
        if label.is_empty()
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return false;
        }
        labels += 1;
    }
    labels >= 2 && domain.len() <= 253
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Option<String> {
        email_key(s)
    }

    #[test]
    fn gmail_variants_are_one_mailbox() {
        let want = Some("johnsmith@gmail.com".to_string());
        for v in [
            "John.Smith+deals@Gmail.com",
            "johnsmith@gmail.com",
            "  j.o.h.n.s.m.i.t.h@GMAIL.COM ",
            "JohnSmith+a+b@googlemail.com",
            "john.smith@gmail.com.",
        ] {
            assert_eq!(k(v), want, "{v}");
        }
    }

    #[test]
    fn plus_and_dash_providers_drop_tags_only() {
        assert_eq!(
            k("Ann+shop@Outlook.com").as_deref(),
            Some("ann@outlook.com")
        );
        assert_eq!(
            k("ann+x@hotmail.co.uk").as_deref(),
            Some("ann@hotmail.co.uk")
        );
        assert_eq!(k("ann+x@icloud.com").as_deref(), Some("ann@icloud.com"));
        assert_eq!(k("ann+x@proton.me").as_deref(), Some("ann@proton.me"));
        assert_eq!(
            k("ann-shopping@yahoo.com").as_deref(),
            Some("ann@yahoo.com")
        );
        // Dots matter outside gmail.
        assert_ne!(k("a.nn@outlook.com"), k("ann@outlook.com"));
        // Yahoo uses '-', not '+'.
        assert_eq!(k("ann+x@yahoo.com").as_deref(), Some("ann+x@yahoo.com"));
        // Unknown providers keep tags and dots.
        assert_eq!(
            k("Ann.B+x@Example.org").as_deref(),
            Some("ann.b+x@example.org")
        );
        assert_ne!(k("ann+x@example.org"), k("ann@example.org"));
    }

    #[test]
    fn near_misses_do_not_collide() {
        assert_ne!(k("johnsmith@gmail.com"), k("johnsmith1@gmail.com"));
        assert_ne!(k("johnsmith@gmail.com"), k("johnsmith@outlook.com"));
        assert_ne!(k("john.smith@outlook.com"), k("johnsmith@outlook.com"));
        assert_ne!(k("ann@me.com"), k("ann@icloud.com"));
    }

    #[test]
    fn not_emails() {
        for v in [
            "",
            "   ",
            "john",
            "john@",
            "@gmail.com",
            "john@gmail",
            "john smith@gmail.com",
            "john@gmail..com",
            "+tag@gmail.com",
            "...@gmail.com",
            "a@-x.com",
            "<a@b.com>",
        ] {
            assert_eq!(k(v), None, "{v:?}");
        }
    }
}
