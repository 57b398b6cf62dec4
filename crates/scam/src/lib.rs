//! Scam messages: what a reported message links to, who sent it, what it asks for.
//!
//! Pure functions over strings: no I/O, no clock, no randomness, no panic on any input
//! (property tests and the `scam_message` fuzz target check it). The engine's
//! `ScamReports` detector turns an [`Analysis`] into weighted reasons and campaigns.
//!
//! - [`url`]: URL and sender parsing — scheme, host, IDN/punycode, registrable domain
//!   (public suffix list), bare IPs.
//! - [`lookalike`]: lookalikes of the protected domains — UTS #39 skeletons, character
//!   swaps, edit distance, brand plus words, brand in a subdomain or path; shorteners.
//! - [`text`]: normalisation and multilingual cue lists.
//! - [`simhash`]: near-duplicate fingerprints.
//! - [`features`]: hashed word and character n-grams for the trained text classifier.

pub mod advisory;
pub mod features;
pub mod lookalike;
pub mod simhash;
pub mod text;
pub mod url;

#[cfg(test)]
mod proptests;

pub use lookalike::{BadDomain, Lookalike, Protected, Technique};
pub use text::Cue;
pub use url::{ParsedUrl, Sender};

/// Most URLs looked at per message (the rest are ignored).
pub const MAX_URLS: usize = 16;

/// A message as reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct Message<'a> {
    pub channel: &'a str,
    pub sender: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub text: &'a str,
    pub urls: &'a [String],
}

/// Everything the checks found in one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// Parsed links (the `urls` field first, then links found in the text), de-duplicated
    /// by host and path.
    pub links: Vec<ParsedUrl>,
    /// Lookalike domains among the links.
    pub lookalike_links: Vec<Lookalike>,
    /// A lookalike sender domain, or a sender name that imitates the brand.
    pub lookalike_sender: Option<Lookalike>,
    /// The sender's registrable domain is a protected one.
    pub official_sender: bool,
    /// Links through public shorteners (registrable domains).
    pub shortener_links: Vec<String>,
    /// Links to bare IP addresses.
    pub ip_links: Vec<String>,
    /// Links over plain `http`.
    pub http_links: Vec<String>,
    /// Links to protected domains.
    pub official_links: usize,
    /// Links to other domains (not protected, not a shortener, not an IP, not a lookalike).
    pub foreign_links: Vec<String>,
    /// Some link uses punycode.
    pub punycode: bool,
    /// The text names the brand.
    pub brand_mentioned: bool,
    /// The parsed sender.
    pub sender: Option<Sender>,
    /// Text cues, each with the phrase that matched.
    pub cues: Vec<(Cue, &'static str)>,
    /// The normalised subject and text.
    pub normalised: String,
    /// SimHash of the normalised text (subject excluded: subjects vary by channel).
    pub fingerprint: u64,
}

impl Analysis {
    pub fn has(&self, cue: Cue) -> bool {
        self.cues.iter().any(|(c, _)| *c == cue)
    }

    /// The registrable domains a campaign can share: lookalikes and foreign link domains
    /// and the sender's domain when it is neither official nor a free mailbox; sorted.
    pub fn campaign_domains(&self) -> Vec<String> {
        let mut d: Vec<String> = self
            .lookalike_links
            .iter()
            .map(|l| l.domain.clone())
            .chain(self.foreign_links.iter().cloned())
            .chain(self.lookalike_sender.iter().map(|l| l.domain.clone()))
            .collect();
        if let Some(Sender::Email {
            domain: Some(u), ..
        }) = &self.sender
            && !self.official_sender
            && let Some(r) = &u.registrable
            && !FREE_MAIL.contains(&r.as_str())
        {
            d.push(r.clone());
        }
        d.sort();
        d.dedup();
        d
    }
}

/// Free mailbox providers: a shared one says nothing about a campaign.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.fr",
    "hotmail.co.uk",
    "live.com",
    "yahoo.com",
    "yahoo.fr",
    "yahoo.co.uk",
    "aol.com",
    "icloud.com",
    "me.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "protonmail.com",
    "proton.me",
    "mail.com",
    "yandex.ru",
    "t-online.de",
];

/// Analyses one message. Total: any strings give an analysis.
pub fn analyse(m: &Message<'_>, p: &Protected) -> Analysis {
    let mut a = Analysis::default();
    let mut raw: Vec<&str> = m.urls.iter().take(MAX_URLS).map(String::as_str).collect();
    let text = url::cut_str(m.text, text::MAX_TEXT_BYTES);
    raw.extend(url::urls_in_text(text, MAX_URLS));
    for r in raw {
        if a.links.len() >= MAX_URLS {
            break;
        }
        let Some(u) = url::parse_url(r) else { continue };
        if a.links.iter().any(|l| l.host == u.host && l.path == u.path) {
            continue;
        }
        a.links.push(u);
    }
    for u in &a.links {
        if u.has_punycode() {
            a.punycode = true;
        }
        if u.scheme == "http" {
            a.http_links.push(u.host.clone());
        }
        if u.is_ip {
            a.ip_links.push(u.host.clone());
            continue;
        }
        let reg = u.registrable.clone().unwrap_or_else(|| u.host.clone());
        if p.is_official(&reg) {
            a.official_links += 1;
        } else if lookalike::is_shortener(&reg) {
            a.shortener_links.push(reg);
        } else if let Some(l) = lookalike::check(u, p) {
            if !a.lookalike_links.iter().any(|x| x.domain == l.domain) {
                a.lookalike_links.push(l);
            }
        } else if !a.foreign_links.contains(&reg) {
            a.foreign_links.push(reg);
        }
    }
    a.sender = m.sender.and_then(url::parse_sender);
    match &a.sender {
        Some(Sender::Email {
            domain: Some(u), ..
        }) => {
            let reg = u.registrable.as_deref().unwrap_or(&u.host);
            if p.is_official(reg) {
                a.official_sender = true;
            } else {
                a.lookalike_sender = lookalike::check(u, p);
            }
        }
        Some(Sender::Name(n)) => {
            // "Amaz0n Support" as a display name: a lookalike word that is not the brand.
            let norm = text::normalise(n);
            for w in norm.split(' ').filter(|w| w.len() >= 4) {
                if let Some(u) = url::parse_url(&format!("x://{w}.invalid"))
                    && let Some(l) = lookalike::check(&u, p)
                    && matches!(
                        l.technique,
                        Technique::Homograph | Technique::CharacterSwap | Technique::Typo
                    )
                {
                    a.lookalike_sender = Some(Lookalike {
                        domain: w.to_owned(),
                        ..l
                    });
                    break;
                }
            }
        }
        _ => {}
    }
    let body = text::normalise(text);
    a.fingerprint = simhash::simhash(&body);
    let subject = m.subject.map(text::normalise).unwrap_or_default();
    a.normalised = format!("{}{}", subject.trim_end(), body);
    a.brand_mentioned = p.brand_in_words(&a.normalised).is_some();
    a.cues = text::cues(&a.normalised);
    a
}
