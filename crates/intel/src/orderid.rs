//! Order ids in free text: the retailer's 3-7-7 shape (`113-4829175-0038261`), in full or
//! with any block partly or wholly masked (`114-55•••••-7731994`, `XXX-4829175-00382xx`).
//!
//! The shape is the only thing read here: it is how refund services print the ids they
//! show off. Ids of any other shape are matched by equality elsewhere (the contract keeps
//! identifiers opaque).

/// A digit position that the post hides.
pub const HIDDEN: u8 = 0xFF;
/// Digits in a 3-7-7 id.
pub const ID_DIGITS: usize = 17;
const BLOCKS: [(usize, usize); 3] = [(0, 3), (3, 7), (10, 7)];

/// Characters posts use to hide digits.
pub fn is_mask(c: char) -> bool {
    matches!(
        c,
        '•' | '*' | 'X' | 'x' | '#' | '●' | '∙' | '·' | '⋅' | '_' | '?' | '…' | '▪' | '■' | '░'
    )
}

/// Hyphens and dashes people (and keyboards) put between the blocks.
pub fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '−')
}

/// The 17 digit positions of a 3-7-7 id, each a digit `0..=9` or [`HIDDEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderPattern {
    pub digits: [u8; ID_DIGITS],
}

impl OrderPattern {
    /// Visible digits.
    pub fn visible(&self) -> u32 {
        self.digits.iter().filter(|&&d| d != HIDDEN).count() as u32
    }

    /// Every digit shown: the id itself.
    pub fn is_full(&self) -> bool {
        self.visible() == ID_DIGITS as u32
    }

    /// The id in its canonical form when every digit is shown.
    pub fn full_id(&self) -> Option<String> {
        self.is_full().then(|| format_digits(&self.digits, '•'))
    }

    /// A block as a number when all its digits are shown (`block` 0, 1 or 2).
    pub fn block(&self, block: usize) -> Option<u32> {
        let (start, len) = *BLOCKS.get(block)?;
        let mut v = 0u32;
        for &d in &self.digits[start..start + len] {
            if d == HIDDEN {
                return None;
            }
            v = v * 10 + u32::from(d);
        }
        Some(v)
    }

    /// Whether an id's digits agree with every visible digit.
    pub fn fits(&self, id: &[u8; ID_DIGITS]) -> bool {
        self.digits
            .iter()
            .zip(id.iter())
            .all(|(&p, &d)| p == HIDDEN || p == d)
    }

    /// The pattern as people read it, hidden digits as `•`.
    pub fn display(&self) -> String {
        format_digits(&self.digits, '•')
    }
}

fn format_digits(d: &[u8; ID_DIGITS], hidden: char) -> String {
    let mut s = String::with_capacity(19);
    for (i, &x) in d.iter().enumerate() {
        if i == 3 || i == 10 {
            s.push('-');
        }
        s.push(if x == HIDDEN {
            hidden
        } else {
            char::from(b'0' + x)
        });
    }
    s
}

/// The digits of an id written exactly as `ddd-ddddddd-ddddddd`, else `None`.
pub fn canonical_digits(id: &str) -> Option<[u8; ID_DIGITS]> {
    let b = id.as_bytes();
    if b.len() != 19 || b[3] != b'-' || b[11] != b'-' {
        return None;
    }
    let mut out = [0u8; ID_DIGITS];
    let mut k = 0;
    for (i, &c) in b.iter().enumerate() {
        if i == 3 || i == 11 {
            continue;
        }
        if !c.is_ascii_digit() {
            return None;
        }
        out[k] = c - b'0';
        k += 1;
    }
    Some(out)
}

/// Packs 17 digits into a `u64` (they fit: 10^17 < 2^63).
pub fn pack(d: &[u8; ID_DIGITS]) -> u64 {
    d.iter().fold(0u64, |v, &x| v * 10 + u64::from(x.min(9)))
}

/// The digits of a packed id.
pub fn unpack(mut v: u64) -> [u8; ID_DIGITS] {
    let mut d = [0u8; ID_DIGITS];
    for slot in d.iter_mut().rev() {
        *slot = (v % 10) as u8;
        v /= 10;
    }
    d
}

/// The canonical text of a packed id.
pub fn packed_id(v: u64) -> String {
    format_digits(&unpack(v), '•')
}

/// One order id found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderMention {
    /// Byte offsets in the text.
    pub start: usize,
    pub end: usize,
    pub pattern: OrderPattern,
}

/// Reads one block of `len` positions from a run of digits and mask characters.
/// Runs of the right length are read position by position; a masked run of another length
/// (people rarely count the dots) keeps its leading digits at the start of the block and
/// its trailing digits at the end, and drops digits it cannot place.
fn read_block(run: &[char], len: usize, out: &mut [u8]) -> bool {
    let masked = run.iter().any(|&c| is_mask(c));
    if !masked {
        if run.len() != len {
            return false;
        }
        for (slot, c) in out.iter_mut().zip(run) {
            *slot = c.to_digit(10).map_or(HIDDEN, |d| d as u8);
        }
        return true;
    }
    if run.len() == len {
        for (slot, c) in out.iter_mut().zip(run) {
            *slot = c.to_digit(10).map_or(HIDDEN, |d| d as u8);
        }
        return true;
    }
    if run.len() > len + 6 {
        return false;
    }
    out.fill(HIDDEN);
    let lead: Vec<u8> = run
        .iter()
        .map_while(|c| c.to_digit(10).map(|d| d as u8))
        .collect();
    let trail: Vec<u8> = run
        .iter()
        .rev()
        .map_while(|c| c.to_digit(10).map(|d| d as u8))
        .collect();
    if lead.len() + trail.len() > len {
        return false;
    }
    out[..lead.len()].copy_from_slice(&lead);
    for (i, d) in trail.iter().enumerate() {
        out[len - 1 - i] = *d;
    }
    true
}

fn is_block_char(c: char) -> bool {
    c.is_ascii_digit() || is_mask(c)
}

/// Finds 3-7-7 ids, full or masked. A candidate must stand alone: no letter or digit
/// glued to either end (so a longer number never yields an id from its middle).
pub fn find_order_ids(chars: &[(usize, char)], text_len: usize) -> Vec<OrderMention> {
    let mut out = Vec::new();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        if !is_block_char(c) {
            i += 1;
            continue;
        }
        // Start of a run: the previous character must not continue a word or a number.
        let glued_before = i > 0 && {
            let p = chars[i - 1].1;
            p.is_alphanumeric()
                || (is_dash(p) && i > 1 && chars[i - 2].1.is_alphanumeric())
                || (is_block_char(p) && p != '#')
        };
        // Read up to three runs separated by single dashes.
        let mut runs: Vec<(usize, usize)> = Vec::with_capacity(3);
        let mut j = i;
        loop {
            let start = j;
            while j < n && is_block_char(chars[j].1) {
                j += 1;
            }
            runs.push((start, j));
            if runs.len() == 3 || j >= n || !is_dash(chars[j].1) {
                break;
            }
            if j + 1 >= n || !is_block_char(chars[j + 1].1) {
                break;
            }
            j += 1;
        }
        let end = j;
        let glued_after = end < n && {
            let c = chars[end].1;
            c.is_alphanumeric() || (is_dash(c) && end + 1 < n && chars[end + 1].1.is_alphanumeric())
        };
        if runs.len() == 3 && !glued_before && !glued_after {
            let mut digits = [HIDDEN; ID_DIGITS];
            let mut ok = true;
            for (b, &(s, e)) in runs.iter().enumerate() {
                let (off, len) = BLOCKS[b];
                let run: Vec<char> = chars[s..e].iter().map(|&(_, c)| c).collect();
                ok &= read_block(&run, len, &mut digits[off..off + len]);
            }
            let pattern = OrderPattern { digits };
            if ok && pattern.visible() > 0 {
                let start = chars[i].0;
                let end_byte = chars.get(end).map_or(text_len, |&(b, _)| b);
                out.push(OrderMention {
                    start,
                    end: end_byte,
                    pattern,
                });
                i = end;
                continue;
            }
        }
        // Skip the whole first run: no id starts inside it, except after a leading `#`
        // ("Order#114-…").
        let (_, first_end) = runs[0];
        i = if c == '#' {
            i + 1
        } else {
            first_end.max(i + 1)
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_order_ids(&chars, text.len())
            .into_iter()
            .map(|m| m.pattern.display())
            .collect()
    }

    #[test]
    fn full_and_masked_ids() {
        assert_eq!(
            ids("Order 113-4829175-0038261 done"),
            ["113-4829175-0038261"]
        );
        assert_eq!(ids("114-55•••••-7731994"), ["114-55•••••-7731994"]);
        assert_eq!(ids("114-55XXXXX-7731994,"), ["114-55•••••-7731994"]);
        assert_eq!(ids("(xxx-5542991-77319**)"), ["•••-5542991-77319••"]);
        assert_eq!(ids("#114-55#####-7731994"), ["114-55•••••-7731994"]);
        // Miscounted masks keep the digits at the ends of the block.
        assert_eq!(ids("114-55•••-7731994"), ["114-55•••••-7731994"]);
        assert_eq!(ids("114–5542991–7731994"), ["114-5542991-7731994"]);
        assert_eq!(ids("Order#114-5542991-7731994"), ["114-5542991-7731994"]);
    }

    #[test]
    fn longer_numbers_and_other_shapes_are_not_ids() {
        assert!(ids("1114-5542991-7731994").is_empty());
        assert!(ids("114-5542991-77319941").is_empty());
        assert!(ids("A114-5542991-7731994").is_empty());
        assert!(ids("114-554299-7731994").is_empty());
        assert!(ids("+1 415-555-0123").is_empty());
        assert!(ids("2026-11-02").is_empty());
        assert!(ids("XXX-XXXXXXX-XXXXXXX").is_empty());
        assert!(ids("114-5542991-7731994-12").is_empty());
    }

    #[test]
    fn patterns_fit_ids() {
        let chars: Vec<(usize, char)> = "114-55•••••-7731994".char_indices().collect();
        let m = &find_order_ids(&chars, 0)[0];
        let id = canonical_digits("114-5542991-7731994").unwrap_or([0; ID_DIGITS]);
        assert!(m.pattern.fits(&id));
        assert_eq!(m.pattern.visible(), 12);
        assert_eq!(m.pattern.block(2), Some(7_731_994));
        assert_eq!(m.pattern.block(1), None);
        let other = canonical_digits("114-5642991-7731994").unwrap_or([0; ID_DIGITS]);
        assert!(!m.pattern.fits(&other));
        assert_eq!(packed_id(pack(&id)), "114-5542991-7731994");
        assert_eq!(canonical_digits("114-5542991-773199"), None);
    }
}
