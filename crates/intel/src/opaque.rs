//! Order ids of shapes other than 3-7-7: how much a whole one proves, and masked ones.
//!
//! The contract keeps identifiers opaque: a retailer's order ids may be `#1042`, `104233`,
//! `ORD-8F3K2-991` or UUIDs. Two questions follow, answered here without knowing the
//! retailer's orders:
//!
//! - **Is an id, seen whole in a post, enough on its own?** ([`is_distinctive`]) A long id
//!   that mixes letters and digits (or a long number written in groups, like 3-7-7) does not
//!   turn up in chatter by chance. A short one, or any plain number, does: `104233` can be a
//!   postcode, a price without its currency, a quantity or a ticket number, and in a shop
//!   with hundreds of thousands of orders most such numbers are somebody's order id.
//! - **Does a masked token fit an id?** ([`MaskedId`]) Posts hide characters of any shape
//!   the way they hide digits of 3-7-7 ids (`ORD-8F3•••-991`, `10••33`). A masked token is
//!   compared with ids in their loose form ([`loose_key`]: letters and digits, upper-case),
//!   position by position when the lengths agree, else by what shows before and after a
//!   single hidden run (people rarely count the dots).

/// Fewest visible letters and digits for a masked token of another shape to be read.
pub const MIN_MASKED_VISIBLE: usize = 4;

/// The id's letters and digits, upper-case, in order; everything else dropped. Ids that
/// differ only in case, dashes or a leading `#` (`#1042`, `1042`; `ORD-8F3K2-991`,
/// `ord8f3k2991`) have the same loose key.
pub fn loose_key(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether an order id, written whole in a post, names its order on its own.
///
/// Distinctive: the 3-7-7 shape; at least 8 letters and digits mixing both
/// (`ORD-8F3K2-991`, UUIDs); at least 12 digits written in two or more groups
/// (`12-345678-90123`). Everything else — any plain number however long (it could be a
/// tracking, phone or card number), short codes (`A1234`, a postcode like `SW1A1AA`) — needs
/// what the post says about it to agree (the engine weighs it like a masked id).
pub fn is_distinctive(id: &str) -> bool {
    if crate::orderid::canonical_digits(id).is_some() {
        return true;
    }
    let (mut letters, mut digits, mut groups, mut in_digits) = (0usize, 0usize, 0usize, false);
    for c in id.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if !in_digits {
                groups += 1;
            }
            in_digits = true;
        } else {
            if c.is_alphabetic() {
                letters += 1;
            }
            in_digits = false;
        }
    }
    (letters > 0 && digits > 0 && letters + digits >= 8)
        || (letters == 0 && digits >= 12 && groups >= 2)
}

/// Characters that hide a character of an id of any shape. `X` and `x` hide too, but only
/// where they cannot be the id's own letters (see [`read_masked`]).
pub fn is_other_mask(c: char) -> bool {
    matches!(
        c,
        '•' | '*' | '#' | '●' | '∙' | '·' | '⋅' | '_' | '?' | '…' | '▪' | '■' | '░'
    )
}

/// Mask characters that are also ordinary punctuation: one of them alone at either end of a
/// token is read as punctuation (`104233?`, `#1042`), two or more as a mask.
fn is_punctuation_mask(c: char) -> bool {
    matches!(c, '?' | '*' | '_' | '#' | '…')
}

/// A token of another shape with hidden characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedId {
    /// Byte offsets in the text.
    pub start: usize,
    pub end: usize,
    /// The loose form, `None` where a character is hidden.
    pub pattern: Vec<Option<char>>,
}

impl MaskedId {
    /// Visible letters and digits.
    pub fn visible(&self) -> usize {
        self.pattern.iter().filter(|c| c.is_some()).count()
    }

    /// Whether an id (its [`loose_key`] as chars) agrees with every visible character.
    pub fn fits(&self, id: &[char]) -> bool {
        fits(&self.pattern, id)
    }

    /// The last two loose characters when both show (an index key), else `None`.
    pub fn suffix2(&self) -> Option<(char, char)> {
        match self.pattern.as_slice() {
            [.., Some(a), Some(b)] => Some((*a, *b)),
            _ => None,
        }
    }

    /// The first two loose characters when both show.
    pub fn prefix2(&self) -> Option<(char, char)> {
        match self.pattern.as_slice() {
            [Some(a), Some(b), ..] => Some((*a, *b)),
            _ => None,
        }
    }

    /// The pattern as people read it, hidden characters as `•`.
    pub fn display(&self) -> String {
        self.pattern.iter().map(|c| c.unwrap_or('•')).collect()
    }
}

/// Whether `id` (loose, as chars) fits `pattern`: position by position when the lengths
/// agree; otherwise, when the hidden characters form one run, what shows before the run
/// must start the id and what shows after it must end it, with at least one character
/// hidden.
pub fn fits(pattern: &[Option<char>], id: &[char]) -> bool {
    if pattern.len() == id.len() {
        return pattern
            .iter()
            .zip(id)
            .all(|(p, c)| p.is_none_or(|p| p == *c));
    }
    let (Some(first), Some(last)) = (
        pattern.iter().position(Option::is_none),
        pattern.iter().rposition(Option::is_none),
    ) else {
        return false;
    };
    if pattern[first..=last].iter().any(Option::is_some) {
        return false;
    }
    let (pre, post) = (&pattern[..first], &pattern[last + 1..]);
    id.len() > pre.len() + post.len()
        && pre.iter().zip(id).all(|(p, c)| *p == Some(*c))
        && post
            .iter()
            .rev()
            .zip(id.iter().rev())
            .all(|(p, c)| *p == Some(*c))
}

/// Reads a token (already cut at white space and brackets) as a masked id of another shape:
/// `None` unless something is hidden, at least [`MIN_MASKED_VISIBLE`] letters and digits
/// show, and one of them is a digit. `X`/`x` hide when the token has no other letters
/// (`10XX33`) or in runs of three or more (`ORD-8FXXX-991`).
pub fn read_masked(token: &[char]) -> Option<Vec<Option<char>>> {
    let mut t = token;
    // Punctuation at the ends that is not a mask.
    let edge = |c: char| !c.is_alphanumeric() && !is_other_mask(c);
    while let [c, rest @ ..] = t
        && edge(*c)
    {
        t = rest;
    }
    while let [rest @ .., c] = t
        && edge(*c)
    {
        t = rest;
    }
    // One punctuation-like mask alone at an end is punctuation (`#1042`, `104233?`).
    if let [c, d, ..] = t
        && is_punctuation_mask(*c)
        && !is_other_mask(*d)
    {
        t = &t[1..];
    }
    if let [.., d, c] = t
        && is_punctuation_mask(*c)
        && !is_other_mask(*d)
    {
        t = &t[..t.len() - 1];
    }
    let x_hides_alone = !t
        .iter()
        .any(|&c| c.is_alphabetic() && !matches!(c, 'X' | 'x'));
    let mut pattern = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        if matches!(c, 'X' | 'x') {
            let mut j = i;
            while j < t.len() && matches!(t[j], 'X' | 'x') {
                j += 1;
            }
            let hide = x_hides_alone || j - i >= 3;
            for &x in &t[i..j] {
                pattern.push(if hide {
                    None
                } else {
                    Some(x.to_ascii_uppercase())
                });
            }
            i = j;
            continue;
        }
        if is_other_mask(c) {
            pattern.push(None);
        } else if c.is_alphanumeric() {
            pattern.extend(c.to_uppercase().map(Some));
        }
        i += 1;
    }
    let visible = pattern.iter().filter(|c| c.is_some()).count();
    let digit = pattern
        .iter()
        .any(|c| c.is_some_and(|c| c.is_ascii_digit()));
    (visible >= MIN_MASKED_VISIBLE && visible < pattern.len() && digit && pattern.len() <= 128)
        .then_some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> Option<String> {
        let chars: Vec<char> = s.chars().collect();
        read_masked(&chars).map(|p| p.iter().map(|c| c.unwrap_or('•')).collect())
    }

    fn chars(s: &str) -> Vec<char> {
        loose_key(s).chars().collect()
    }

    #[test]
    fn distinctive_ids() {
        for id in [
            "113-4829175-0038261",
            "ORD-8F3K2-991",
            "550e8400-e29b-41d4-a716-446655440000",
            "12-345678-90123",
            "AB12CD34",
        ] {
            assert!(is_distinctive(id), "{id}");
        }
        for id in [
            "#1042",
            "1042",
            "104233",
            "123456789012345",
            "A1234",
            "SW1A1AA",
            "ORD-1042",
            "2026-11-02",
        ] {
            assert!(!is_distinctive(id), "{id}");
        }
    }

    #[test]
    fn loose_keys() {
        assert_eq!(loose_key("#1042"), "1042");
        assert_eq!(loose_key("ord-8f3k2-991"), "ORD8F3K2991");
        assert_eq!(loose_key("—"), "");
    }

    #[test]
    fn masked_tokens_of_other_shapes() {
        assert_eq!(pat("ORD-8F3•••-991").as_deref(), Some("ORD8F3•••991"));
        assert_eq!(pat("ORD-8FXXX-991").as_deref(), Some("ORD8F•••991"));
        assert_eq!(
            pat("ORD-8FXX2-991"),
            None,
            "two X among letters are letters"
        );
        assert_eq!(pat("10••33").as_deref(), Some("10••33"));
        assert_eq!(pat("10XX33").as_deref(), Some("10••33"));
        assert_eq!(pat("#10**33").as_deref(), Some("10••33"));
        assert_eq!(pat("••104233").as_deref(), Some("••104233"));
        // Punctuation, not masks; too little shown; nothing hidden.
        assert_eq!(pat("104233?"), None);
        assert_eq!(pat("#104233"), None);
        assert_eq!(pat("1•••3"), None);
        assert_eq!(pat("ORD-•••••-•••"), None);
        assert_eq!(pat("hello"), None);
    }

    #[test]
    fn masked_ids_fit_by_position_or_around_one_run() {
        let m = |s: &str| {
            let c: Vec<char> = s.chars().collect();
            read_masked(&c).unwrap_or_default()
        };
        assert!(
            fits(&m("ORD-8F3•••-991"), &chars("ORD-8F3K2-991")),
            "one mask too many"
        );
        assert!(fits(&m("ORD-8F3••-991"), &chars("ORD-8F3K2-991")));
        assert!(!fits(&m("ORD-8F3••-991"), &chars("ORD-8F4K2-991")));
        assert!(fits(&m("10••33"), &chars("104233")));
        assert!(fits(&m("10•33"), &chars("104233")));
        assert!(!fits(&m("10••33"), &chars("104234")));
        assert!(
            !fits(&m("1•4•33"), &chars("10423")),
            "two runs: lengths must agree"
        );
        assert!(
            !fits(&m("10••33"), &chars("1033")),
            "something must be hidden"
        );
    }
}
