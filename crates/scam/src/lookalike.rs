//! Lookalikes of the retailer's own domains.
//!
//! A domain imitates a protected one when, on its registrable label or a hyphen-separated
//! piece of it, one of these holds (checked in this order, the first wins):
//! - its UTS #39 confusable skeleton (after folding accents) equals the brand's
//!   (`аmazon` with a Cyrillic а, `amazοn` with a Greek ο, punycode decoded first);
//! - character swaps give the brand (`rn`→`m`, `vv`→`w`, `0`→`o`, `1`→`l`, `3`→`e`, …);
//! - it is within a small edit distance of the brand (`amazom`, `amzon`, `amazoon`);
//! - it is the brand itself plus other words (`amazon-secure.com`, `amzn-billing.shop`);
//! - the brand (or a protected domain) stands in a subdomain or the path of a foreign
//!   domain (`amazon.com-secure.com`, `evil.example/amazon.co.uk/signin`).
//!
//! Official domains (a protected domain or a subdomain of one) are never lookalikes.

use crate::url::ParsedUrl;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The retailer's domains, and the brand labels derived from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// Registrable domains, ASCII lowercase (`amazon.co.uk`, `amzn.to`).
    pub domains: Vec<String>,
    /// Brand labels: the registrable label of each domain, de-duplicated, with the
    /// domain it came from (`amazon` → `amazon.com`).
    brands: Vec<(String, String)>,
}

/// The default protected list: the retailer's storefronts in every country it sells in,
/// its short links, and the asset domains its own mail links to. Leaving a storefront out
/// makes the retailer's own site look like an imitation of itself (the Moz top 500 has
/// amazon.co.jp, .it, .es and .in, and ssl-images-amazon.com).
pub const DEFAULT_PROTECTED: &[&str] = &[
    "amazon.com",
    "amazon.co.uk",
    "amazon.fr",
    "amazon.de",
    "amazon.ca",
    "amazon.it",
    "amazon.es",
    "amazon.nl",
    "amazon.se",
    "amazon.pl",
    "amazon.com.be",
    "amazon.co.jp",
    "amazon.in",
    "amazon.com.au",
    "amazon.com.br",
    "amazon.com.mx",
    "amazon.sg",
    "amazon.ae",
    "amazon.sa",
    "amazon.eg",
    "amazon.com.tr",
    "amzn.to",
    "a.co",
    "ssl-images-amazon.com",
    "media-amazon.com",
];

impl Default for Protected {
    fn default() -> Self {
        Self::new(DEFAULT_PROTECTED.iter().copied())
    }
}

impl Protected {
    /// A protected list from domain names (hosts are reduced to their registrable domain;
    /// names that have none are dropped).
    pub fn new<'a>(domains: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ds: Vec<String> = Vec::new();
        let mut brands: Vec<(String, String)> = Vec::new();
        for d in domains {
            let Some((ascii, _)) = crate::url::normalise_host(d) else {
                continue;
            };
            let reg = crate::url::registrable_domain(&ascii).unwrap_or(ascii);
            if ds.contains(&reg) {
                continue;
            }
            let label = reg.split('.').next().unwrap_or("").to_owned();
            if !label.is_empty() && !brands.iter().any(|(b, _)| *b == label) {
                brands.push((label, reg.clone()));
            }
            ds.push(reg);
        }
        Self {
            domains: ds,
            brands,
        }
    }

    /// A protected list from configuration: every entry must be a domain name (a host is
    /// reduced to its registrable domain, `smile.amazon.com` → `amazon.com`). Unlike
    /// [`Protected::new`], which drops what it cannot read, this names the first bad entry,
    /// so that a retailer's typo does not silently protect nothing.
    pub fn parse<'a>(domains: impl IntoIterator<Item = &'a str>) -> Result<Self, BadDomain> {
        let mut ok: Vec<&str> = Vec::new();
        for (index, raw) in domains.into_iter().enumerate() {
            let bad = |why: &'static str| BadDomain {
                index,
                value: crate::url::cut_str(raw, 200).to_owned(),
                why,
            };
            let d = raw.trim();
            if d.is_empty() {
                return Err(bad("is empty"));
            }
            if d.contains("://") || d.contains(['/', '@', '?', '#', ' ', ':']) {
                return Err(bad(
                    "is not a domain name: write the domain alone, like amazon.co.uk (no scheme, path, port or address)",
                ));
            }
            let Some((ascii, _)) = crate::url::normalise_host(d) else {
                return Err(bad("is not a valid host name"));
            };
            if ascii.parse::<std::net::IpAddr>().is_ok() {
                return Err(bad("is an IP address, not a domain name"));
            }
            if crate::url::registrable_domain(&ascii).is_none() {
                return Err(bad(
                    "has no known public suffix (write amazon.com, not amazon or a bare suffix)",
                ));
            }
            ok.push(d);
        }
        if ok.is_empty() {
            return Err(BadDomain {
                index: 0,
                value: String::new(),
                why: "the list is empty: it would protect nothing (leave the setting out to keep the default list)",
            });
        }
        Ok(Self::new(ok))
    }

    /// The brand's name for people: the first protected domain's label, capitalised.
    pub fn brand_name(&self) -> String {
        let label = self.brands.first().map_or("", |(b, _)| b.as_str());
        let mut c = label.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }

    /// `true` when `registrable` is one of the protected domains.
    pub fn is_official(&self, registrable: &str) -> bool {
        self.domains.iter().any(|d| d == registrable)
    }

    /// Brand labels long enough for fuzzy matching (short ones like `a` match exactly only).
    fn fuzzy_brands(&self) -> impl Iterator<Item = &(String, String)> {
        self.brands.iter().filter(|(b, _)| b.chars().count() >= 4)
    }

    /// Whether normalised text mentions a brand as a word (`amazon`, `amzn`).
    pub fn brand_in_words(&self, normalised: &str) -> Option<&str> {
        self.fuzzy_brands()
            .find(|(b, _)| normalised.split(' ').any(|w| w == b))
            .map(|(b, _)| b.as_str())
    }
}

/// An entry of a configured protected list that is not a domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDomain {
    /// Position of the entry in the list (0-based).
    pub index: usize,
    /// The entry as written (cut at 200 bytes).
    pub value: String,
    /// What is wrong and what to write instead.
    pub why: &'static str,
}

impl std::fmt::Display for BadDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() && self.index == 0 && self.why.starts_with("the list") {
            write!(f, "{}", self.why)
        } else {
            write!(
                f,
                "entry {} ({:?}) {}",
                self.index + 1,
                self.value,
                self.why
            )
        }
    }
}

impl std::error::Error for BadDomain {}

/// How a domain imitates a protected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Technique {
    /// Confusable characters from other scripts (UTS #39 skeleton), often via punycode.
    Homograph,
    /// Character swaps such as `rn`→`m` or `0`→`o`.
    CharacterSwap,
    /// One or two edits away (typosquatting).
    Typo,
    /// The brand plus other words (`amazon-billing`).
    BrandWithWords,
    /// The brand or a protected domain in a subdomain of a foreign domain.
    BrandInSubdomain,
    /// A protected domain in the path of a foreign domain.
    BrandInPath,
    /// A protected domain run together without its dots (`amazoncom.com`, `amazonca.ca`,
    /// `amaz.on.ca`).
    DotsDropped,
}

impl Technique {
    /// A stable snake_case name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Homograph => "homograph",
            Self::CharacterSwap => "character_swap",
            Self::Typo => "typo",
            Self::BrandWithWords => "brand_with_words",
            Self::BrandInSubdomain => "brand_in_subdomain",
            Self::BrandInPath => "brand_in_path",
            Self::DotsDropped => "dots_dropped",
        }
    }

    /// Words for a person.
    pub fn words(self) -> &'static str {
        match self {
            Self::Homograph => "look-alike characters from another script",
            Self::CharacterSwap => "swapped characters",
            Self::Typo => "a misspelling",
            Self::BrandWithWords => "the brand with other words",
            Self::BrandInSubdomain => "the brand in a subdomain",
            Self::BrandInPath => "the brand's domain in the path",
            Self::DotsDropped => "the brand's domain without its dots",
        }
    }
}

/// A lookalike finding: the domain, what it imitates and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// The offending registrable domain, or the host when it has none.
    pub domain: String,
    /// The protected domain it imitates.
    pub imitates: String,
    pub technique: Technique,
}

/// Folds a label for comparison: NFKD, combining marks dropped, lowercase.
pub fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The UTS #39 skeleton of a label, accents folded, lowercase.
pub fn skeleton(s: &str) -> String {
    let sk: String = unicode_security::skeleton(s).collect();
    fold(&sk)
}

/// Undoes the usual keyboard and character swaps.
pub fn unswap(s: &str) -> String {
    let mut t = s.replace("rn", "m").replace("vv", "w").replace("cl", "d");
    t = t
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '|' | '!' => 'l',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            '8' => 'b',
            _ => c,
        })
        .collect();
    t
}

/// A visual canonical form: letters that render alike map to one spelling (`m`, `rn`, `nn`
/// and `rr` all become `nn`; `w` and `vv` become `vv`).
fn visual(s: &str) -> String {
    s.replace('m', "nn")
        .replace("rn", "nn")
        .replace("rr", "nn")
        .replace('w', "vv")
}

/// Same length as the brand, every ASCII letter in place, the others (at most 3, in a label
/// of 4+ letters) non-ASCII: a brand with look-alike letters from other scripts that have no
/// UTS #39 mapping to Latin (`aɱazon`).
fn wildcard_match(label: &str, brand: &str) -> bool {
    let l: Vec<char> = label.chars().collect();
    let b: Vec<char> = brand.chars().collect();
    if l.len() != b.len() || b.len() < 4 {
        return false;
    }
    let mut wild = 0;
    for (x, y) in l.iter().zip(&b) {
        if !x.is_ascii() {
            wild += 1;
        } else if x != y {
            return false;
        }
    }
    (1..=3).contains(&wild) && b.len() - wild >= 3
}

/// Edit distance (insertions, deletions, substitutions) where a non-ASCII letter of the
/// label matches any letter of the brand: how far a label in look-alike letters is from
/// the brand once each letter with no ASCII reading is taken for the right one.
fn wildcard_distance(label: &[char], brand: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=brand.len()).collect();
    let mut cur = vec![0; brand.len() + 1];
    for (i, &x) in label.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &y) in brand.iter().enumerate() {
            let sub = usize::from(x.is_ascii() && x != y);
            cur[j + 1] = (prev[j] + sub).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[brand.len()]
}

/// A label in look-alike letters (some non-ASCII) within one edit of the brand (two for
/// brands of six letters or more) once those letters are taken for the brand's, with at
/// least half of the brand's letters written in ASCII in place: `ɑmⱬn`, `əmzm`, `aᴍazom`.
/// Tried on the label as written and on its visual form (`nn` for `m`).
fn lookalike_letters(label: &str, brand: &str) -> bool {
    let b: Vec<char> = brand.chars().collect();
    let n = b.len();
    if n < 4 {
        return false;
    }
    let max = if n >= 6 { 2 } else { 1 };
    [
        label.to_owned(),
        label.replace("nn", "m").replace("rn", "m"),
    ]
    .iter()
    .any(|form| {
        let l: Vec<char> = form.chars().collect();
        let wild = l.iter().filter(|c| !c.is_ascii()).count();
        let ascii_in_place = l
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.is_ascii() && x == y)
            .count();
        wild >= 1
            && wild <= n / 2
            && l.len() + 1 >= n
            && l.len() <= n + 1
            && 2 * (l.len() - wild) >= n
            && ascii_in_place + 1 >= n.div_ceil(2)
            && wildcard_distance(&l, &b) <= max
    })
}

/// The brand with one or two letters inserted, its first and last letters kept
/// (`amazeson`): for brands of six letters or more, where that leaves no other word.
fn brand_with_inserted_letters(label: &str, brand: &str) -> bool {
    let (n, m) = (brand.chars().count(), label.chars().count());
    if n < 6 || m <= n || m > n + 2 || !label.is_ascii() {
        return false;
    }
    let (Some(bf), Some(bl)) = (brand.chars().next(), brand.chars().last()) else {
        return false;
    };
    if !label.starts_with(bf) || !label.ends_with(bl) {
        return false;
    }
    let mut it = label.chars();
    brand.chars().all(|c| it.any(|x| x == c))
}

fn close(a: &str, brand: &str) -> bool {
    let n = brand.chars().count();
    let m = a.chars().count();
    if m + 2 < n || m > n + 2 {
        return false;
    }
    let d = strsim::damerau_levenshtein(a, brand);
    d >= 1 && (d == 1 || (n >= 8 && d == 2))
}

/// Compares one label (or piece of a label) with the brand labels.
fn label_technique<'p>(
    label_unicode: &str,
    label_ascii: &str,
    p: &'p Protected,
) -> Option<(Technique, &'p str)> {
    let folded = fold(label_unicode);
    let sk = skeleton(label_unicode);
    let non_ascii = !label_unicode.is_ascii();
    let swapped = unswap(&folded);
    for (brand, dom) in p.fuzzy_brands() {
        if folded == *brand && !non_ascii {
            return Some((Technique::BrandWithWords, dom));
        }
        if non_ascii && (sk == *brand || folded == *brand || skeleton(&folded) == *brand) {
            return Some((Technique::Homograph, dom));
        }
        if swapped == *brand || skeleton(&swapped) == *brand {
            return Some((Technique::CharacterSwap, dom));
        }
        if non_ascii && (wildcard_match(&folded, brand) || lookalike_letters(&swapped, brand)) {
            return Some((Technique::Homograph, dom));
        }
        if brand_with_inserted_letters(&swapped, brand) {
            return Some((Technique::Typo, dom));
        }
        if close(&swapped, brand) || close(&folded, brand) {
            return Some((
                if non_ascii {
                    Technique::Homograph
                } else {
                    Technique::Typo
                },
                dom,
            ));
        }
        let (vs, vb) = (visual(&swapped), visual(brand));
        if vs == vb
            || (vs.chars().count() >= 6
                && strsim::damerau_levenshtein(&vs, &vb) == 1
                && swapped != *brand)
        {
            return Some((Technique::CharacterSwap, dom));
        }
    }
    // Non-ASCII letters mixed into a brand ("aषmzon"), or a punycode label whose basic code
    // points spell the brand when the decoder refused it: the ASCII that is left.
    let basic: String = if non_ascii {
        folded.chars().filter(char::is_ascii).collect()
    } else if let Some(rest) = label_ascii.strip_prefix("xn--") {
        rest.rsplit_once('-').map_or("", |(b, _)| b).to_owned()
    } else {
        String::new()
    };
    if !basic.is_empty() {
        let basic = unswap(&basic);
        for (brand, dom) in p.fuzzy_brands() {
            if basic == *brand || close(&basic, brand) {
                return Some((Technique::Homograph, dom));
            }
        }
    }
    // Two edits at once (a swapped letter and a homoglyph, `anazom`, `amaॐom`) measured on
    // the visual form, where `m`, `rn` and `nn` are one spelling. Only for brands of five
    // letters or more, where two edits still leave most of the name, and for a non-ASCII
    // label only when its ASCII letters alone come that close: a domain in another script
    // that spells a near-brand has no innocent reading, an ASCII one may be a real word.
    let near = |x: &str, brand: &str| {
        let (vx, vb) = (visual(x), visual(brand));
        let (lx, lb) = (vx.chars().count(), vb.chars().count());
        lb >= 6 && lx + 2 >= lb && lx <= lb + 2 && strsim::damerau_levenshtein(&vx, &vb) <= 2
    };
    for (brand, dom) in p.fuzzy_brands() {
        let n = brand.chars().count();
        if non_ascii && n >= 4 {
            // A short brand (`amzn`) qualifies here too: the label must be about the brand's
            // length with at least half of the brand's letters in place.
            let ascii: String = swapped.chars().filter(char::is_ascii).collect();
            let total = swapped.chars().count();
            let a = ascii.chars().count();
            let short_ok = n < 6
                && a * 2 >= n
                && total + 1 >= n
                && total <= n + 1
                && strsim::damerau_levenshtein(&ascii, brand) <= 2
                && brand.starts_with(ascii.get(..1).unwrap_or("\u{0}"));
            if (a + 2 >= n && near(&ascii, brand)) || short_ok {
                return Some((Technique::Homograph, dom));
            }
        } else if n < 5 {
            continue;
        } else if swapped.chars().count() == n && near(&swapped, brand) {
            return Some((Technique::CharacterSwap, dom));
        }
    }
    None
}

/// Lookalikes a protected domain's own suffix gives away. A near-miss of a short brand is
/// usually an innocent word elsewhere (`anzr.com`), but under the very suffix of the
/// domain it imitates (`anzr.to` for `amzn.to`, `à.co` for `a.co`) it is deliberate:
/// - a label of a short brand's length whose every differing letter is non-ASCII (`à`, `ɑ`,
///   `а` for `a`);
/// - for brands of four or five letters, two edits on the visual form with the first
///   letter kept (`anzm.to`, `annzr.to`).
fn same_suffix_lookalike<'p>(
    label_u: &str,
    suffix: &str,
    p: &'p Protected,
) -> Option<(Technique, &'p str)> {
    let folded = fold(label_u);
    let swapped = unswap(&folded);
    for (brand, dom) in &p.brands {
        if dom.split_once('.').map(|(_, s)| s) != Some(suffix) {
            continue;
        }
        let n = brand.chars().count();
        let l: Vec<char> = label_u.chars().collect();
        if !label_u.is_ascii()
            && l.len() == n
            && l.iter()
                .zip(brand.chars())
                .all(|(x, y)| !x.is_ascii() || *x == y)
        {
            return Some((Technique::Homograph, dom));
        }
        if (4..6).contains(&n) && swapped.is_ascii() {
            let (vx, vb) = (visual(&swapped), visual(brand));
            let m = swapped.chars().count();
            if m + 1 >= n
                && m <= n + 1
                && swapped.chars().next() == brand.chars().next()
                && strsim::damerau_levenshtein(&vx, &vb) <= 2
            {
                return Some((Technique::Typo, dom));
            }
        }
    }
    None
}

/// Checks a parsed URL (or sender domain) against the protected list. `None` for official
/// domains, IPs and domains that imitate nothing.
pub fn check(url: &ParsedUrl, p: &Protected) -> Option<Lookalike> {
    if url.is_ip {
        return None;
    }
    let reg = url.registrable.as_deref().unwrap_or(&url.host);
    if p.is_official(reg) {
        return None;
    }
    let mk = |technique, imitates: &str| Lookalike {
        domain: reg.to_owned(),
        imitates: imitates.to_owned(),
        technique,
    };
    // The registrable label, in Unicode.
    let reg_labels = reg.split('.').count();
    let uni_labels: Vec<&str> = url.host_unicode.split('.').collect();
    let ascii_labels: Vec<&str> = url.host.split('.').collect();
    let suffix_labels = reg_labels.saturating_sub(1);
    let first_reg = uni_labels.len().saturating_sub(reg_labels);
    let label_u = uni_labels.get(first_reg).copied().unwrap_or("");
    let label_a = ascii_labels.get(first_reg).copied().unwrap_or("");
    let _ = suffix_labels;
    // A protected domain run together without its dots: the host's labels from some
    // point on, dots and hyphens dropped, spell a protected domain's, with or without the
    // host's own suffix after it (`amazoncom.com`, `amazonca.ca`, `amaz.on.ca`). Domains
    // of under five letters without dots (`a.co` → `aco`, a word) only under their own
    // suffix (`aco.co`).
    let suffix = reg.split_once('.').map_or("", |(_, s)| s);
    let suffix_flat: String = suffix.replace('.', "");
    for i in 0..=first_reg {
        let flat: String = ascii_labels[i..]
            .concat()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        let without_suffix = flat.strip_suffix(suffix_flat.as_str()).unwrap_or("");
        for dom in &p.domains {
            let d: String = dom.chars().filter(|c| *c != '.').collect();
            let own_suffix = dom.split_once('.').map(|(_, s)| s) == Some(suffix);
            if (d.len() >= 5 && (flat == d || without_suffix == d))
                || (own_suffix && without_suffix == d)
            {
                return Some(mk(Technique::DotsDropped, dom));
            }
        }
    }
    if let Some((t, d)) = same_suffix_lookalike(label_u, suffix, p) {
        return Some(mk(t, d));
    }
    // The whole label, then its hyphen- or digit-separated pieces.
    if let Some((t, d)) = label_technique(label_u, label_a, p) {
        // A bare brand label under another suffix (amazon.shop) imitates the brand too.
        return Some(mk(t, d));
    }
    let pieces: Vec<&str> = label_u
        .split(['-', '_'])
        .filter(|s| !s.is_empty())
        .collect();
    if pieces.len() > 1 {
        for piece in &pieces {
            if let Some((t, d)) = label_technique(piece, piece, p) {
                return Some(mk(t, d));
            }
        }
        // The brand glued to words without a hyphen is not checked: too many real words
        // contain short brands.
    }
    // Glued prefixes: "amazonsupport", "amaz0nhelp".
    let folded_label = unswap(&fold(label_u));
    for (brand, dom) in p.fuzzy_brands() {
        if brand.len() >= 4
            && let Some(rest) = folded_label.strip_prefix(brand.as_str())
            && SERVICE_WORDS.iter().any(|w| rest.starts_with(w))
        {
            return Some(mk(Technique::BrandWithWords, dom));
        }
    }
    // The brand split by dots ("am.azon.com", "ama.zon.co.uk").
    if first_reg > 0 {
        let start = first_reg.saturating_sub(2);
        let joined: String = uni_labels[start..=first_reg].concat();
        if let Some((t, d)) = label_technique(&joined, &joined, p)
            && t != Technique::BrandWithWords
        {
            return Some(mk(t, d));
        }
        for (brand, dom) in p.fuzzy_brands() {
            if fold(&joined) == *brand {
                return Some(mk(Technique::BrandInSubdomain, dom));
            }
        }
    }
    // Subdomains of the foreign domain.
    for sub in &uni_labels[..first_reg] {
        let f = fold(sub);
        for (brand, dom) in p.fuzzy_brands() {
            if f == *brand || f.split('-').any(|w| w == brand) {
                return Some(mk(Technique::BrandInSubdomain, dom));
            }
        }
    }
    // A protected domain spelled in the host ("amazon.com-secure.com") or the path.
    for dom in &p.domains {
        if dom.len() >= 6 {
            if url.host.contains(dom.as_str()) {
                return Some(mk(Technique::BrandInSubdomain, dom));
            }
            if url.path.contains(dom.as_str()) {
                return Some(mk(Technique::BrandInPath, dom));
            }
        }
    }
    None
}

/// Words that scam domains glue to a brand without a hyphen (`amazonsupport`).
const SERVICE_WORDS: &[&str] = &[
    "support",
    "help",
    "secure",
    "login",
    "signin",
    "billing",
    "account",
    "verify",
    "refund",
    "prime",
    "service",
    "pay",
    "security",
    "update",
    "delivery",
    "order",
    "customer",
    "online",
    "kundendienst",
    "konto",
    "compte",
    "remboursement",
    "livraison",
    "cuenta",
    "reembolso",
];

/// Well-known public URL shorteners (the retailer's own short links are protected domains
/// and never count as shorteners).
pub const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "is.gd",
    "v.gd",
    "cutt.ly",
    "rb.gy",
    "ow.ly",
    "buff.ly",
    "shorturl.at",
    "tiny.cc",
    "t.ly",
    "s.id",
    "rebrand.ly",
    "bl.ink",
    "short.io",
    "shorte.st",
    "adf.ly",
    "tiny.one",
    "qrco.de",
    "urlz.fr",
    "lnkd.in",
    "soo.gd",
    "clck.ru",
    "y2u.be",
    "t.me",
    "u.to",
    "x.co",
    "bit.do",
    "ur1.ca",
    "shorturl.com",
    "kurzelinks.de",
    "kurzlink.de",
    "bitly.ws",
    "tinu.be",
    "2u.pm",
    "cutt.us",
    "surl.li",
];

/// `true` when the registrable domain is a public shortener.
pub fn is_shortener(registrable: &str) -> bool {
    SHORTENERS.contains(&registrable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::parse_url;

    fn look(u: &str) -> Option<(String, &'static str)> {
        let p = Protected::default();
        check(&parse_url(u).unwrap(), &p).map(|l| (l.imitates, l.technique.code()))
    }

    #[test]
    fn official_domains_are_not_lookalikes() {
        for u in [
            "https://www.amazon.com/gp/x",
            "https://amazon.co.uk",
            "https://smile.amazon.de/",
            "https://amzn.to/3xYz",
            "https://a.co/d/abc",
        ] {
            assert_eq!(look(u), None, "{u}");
        }
    }

    #[test]
    fn catches_the_usual_techniques() {
        let cases = [
            ("https://amaz0n-help.co/billing", "character_swap"),
            ("https://arnazon-refund.info/ap", "character_swap"),
            ("https://amazom.com/", "typo"),
            ("https://amzon.de/", "typo"),
            ("https://amazon-secure.com/", "brand_with_words"),
            ("https://amzn-billing.shop/login", "brand_with_words"),
            ("https://amazon.com-secure.com/", "brand_in_subdomain"),
            ("https://amazon.verify-account.net/", "brand_in_subdomain"),
            ("https://evil.example/amazon.co.uk/signin", "brand_in_path"),
            ("https://аmazon.com/", "homograph"),
            ("https://xn--amzon-r6k.shop/login", "homograph"),
            ("https://amazonsupport.help/", "brand_with_words"),
            ("https://vvww-amazon.net/", "brand_with_words"),
            ("https://annazon.com/", "character_swap"),
            ("https://anazon.co.uk/", "typo"),
            ("https://am.azon.com/", "dots_dropped"),
            ("https://aɱazon.com/", "homograph"),
        ];
        for (u, want) in cases {
            let got = look(u);
            assert_eq!(got.as_ref().map(|g| g.1), Some(want), "{u}: {got:?}");
        }
    }

    #[test]
    fn dots_dropped_inserted_letters_and_lookalike_letters() {
        for (u, want) in [
            ("https://amazoncom.com/", "dots_dropped"),
            ("https://amazonca.ca/", "dots_dropped"),
            ("https://www.amazonco.uk/", "dots_dropped"),
            ("https://amaz.on.ca/", "dots_dropped"),
            ("https://amznto.com/", "dots_dropped"),
            ("https://amazeson.fr/", "typo"),
            ("https://xn--aazom-ipc.com/", "homograph"),
            ("https://ɑmⱬn.to/", "homograph"),
            ("https://əmzm.to/", "homograph"),
            ("https://ɑnnzn.to/", "homograph"),
        ] {
            let got = look(u);
            assert_eq!(got.as_ref().map(|g| g.1), Some(want), "{u}: {got:?}");
        }
        // Under the protected domain's own suffix, short brands' near-misses count.
        for (u, want) in [
            ("https://aco.co/", "dots_dropped"),
            ("https://à.co/", "homograph"),
            ("https://xn--80a.co/", "homograph"),
            ("https://anzm.to/", "typo"),
            ("https://annzr.to/", "typo"),
        ] {
            let got = look(u);
            assert_eq!(got.as_ref().map(|g| g.1), Some(want), "{u}: {got:?}");
        }
        // a.co run together is a word; an ordinary word with the brand's ends is not one;
        // other one- and two-letter .co domains are real sites (t.co, g.co).
        for u in [
            "https://t.co/",
            "https://ab.co/",
            "https://anzm.com/",
            "https://aco.com/",
            "https://acorn.co/",
            "https://avalon.com/",
            "https://amazingon.com/",
            "https://café.com/",
            "https://müller.de/",
        ] {
            assert_eq!(look(u), None, "{u}");
        }
    }

    #[test]
    fn two_edits_at_once_are_caught_on_long_brands_only() {
        // m→n and n→m together: two edits, one visual swap each.
        assert!(look("https://anazom.com/").is_some());
        // A homoglyph plus a dropped letter, in another script.
        assert!(look("https://amaзom.com/").is_some());
        // Amazon's own storefronts are official, not imitations of amazon.com.
        for u in [
            "https://www.amazon.co.jp/",
            "https://m.media-amazon.com/x.png",
        ] {
            assert_eq!(look(u), None, "{u}");
        }
        // A four-letter ASCII word two edits from `amzn` is just a word (but not under
        // `.to`, amzn.to's own suffix).
        assert_eq!(look("https://anzr.com/"), None);
    }

    #[test]
    fn configured_lists_name_the_bad_entry() {
        let p = Protected::parse(["example-shop.co.uk", "www.shop.example.com"]).unwrap();
        assert_eq!(p.domains, vec!["example-shop.co.uk", "example.com"]);
        assert!(check(&parse_url("https://examp1e-shop.co.uk/").unwrap(), &p).is_some());
        assert!(check(&parse_url("https://amazom.com/").unwrap(), &p).is_none());
        for (list, index, why) in [
            (
                vec!["shop.example", "https://shop.com"],
                1,
                "not a domain name",
            ),
            (vec!["shop"], 0, "no known public suffix"),
            (vec!["shop.com", ""], 1, "empty"),
            (vec!["10.0.0.1"], 0, "IP address"),
            (vec!["shop.com:443"], 0, "not a domain name"),
        ] {
            let e = Protected::parse(list.iter().copied()).unwrap_err();
            assert_eq!(e.index, index, "{list:?}");
            assert!(e.to_string().contains(why), "{e}");
        }
        assert!(
            Protected::parse(std::iter::empty())
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn unrelated_domains_pass() {
        for u in [
            "https://www.google.com/",
            "https://www.bbc.co.uk/news",
            "https://amazing.com/",
            "https://amazonia.org/",
            "https://www.lemonde.fr/",
            "https://example.org/amazon-review",
        ] {
            assert_eq!(look(u), None, "{u}");
        }
    }
}
