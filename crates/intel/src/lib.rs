//! Threat intelligence: what a refund service's post says, read from its text.
//!
//! [`extract`] finds, in one pass over a post: order ids in the 3-7-7 shape, full or
//! masked ([`orderid`]); parcel tracking numbers and phone numbers ([`tracking`]); dates,
//! absolute and relative ([`date`]); amounts with a currency ([`money`]); product words
//! ([`product`]); every other token that could be an opaque id (for matching by
//! equality); and tokens of other shapes with hidden characters ([`opaque`], which also
//! says which whole ids are distinctive enough to stand alone). [`Extraction::contexts`] then ties each order id to the amounts, dates and
//! products written next to it, so that a post showing three refunds corroborates each
//! with its own figures. [`telegram`] reads Telegram Desktop's JSON chat export.
//!
//! Nothing here knows the retailer's orders: matching is the engine's (`intel.rs`).
//!
//! Invariants: no I/O (strings and byte slices in, values out), no clock, no randomness;
//! any string gives an extraction, never a panic; input is cut at [`MAX_TEXT`] bytes.

pub mod date;
pub mod money;
pub mod opaque;
pub mod orderid;
pub mod product;
pub mod telegram;
pub mod tracking;

#[cfg(test)]
mod proptests;

pub use date::{DateMention, civil_from_days, days_from_civil};
pub use money::AmountMention;
pub use opaque::{MaskedId, is_distinctive, loose_key};
pub use orderid::{OrderMention, OrderPattern, canonical_digits, pack, packed_id, unpack};
pub use product::{Cats, ProductMention, category_cats};
pub use tracking::{Carrier, TrackingMention};

/// Longest text read: a post longer than this is read up to here (a char boundary).
pub const MAX_TEXT: usize = 16 * 1024;
/// Shortest and longest token tried as an opaque id. Four characters: Shopify-style shops
/// number their orders from `#1001`; shorter numbers (quantities, model numbers) are left
/// alone.
pub const MIN_TOKEN: usize = 4;
pub const MAX_TOKEN: usize = 128;

/// Everything found in one post. Spans are byte offsets into the (cut) text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extraction {
    pub order_ids: Vec<OrderMention>,
    pub tracking: Vec<TrackingMention>,
    pub phones: Vec<(usize, usize)>,
    pub dates: Vec<DateMention>,
    pub amounts: Vec<AmountMention>,
    pub products: Vec<ProductMention>,
    /// Other tokens that could be an opaque order id: 4 to 128 characters with a digit,
    /// not part of a phone number, an amount or a date.
    pub tokens: Vec<(usize, usize)>,
    /// Tokens of shapes other than 3-7-7 with hidden characters (`ORD-8F3•••-991`), not
    /// part of a 3-7-7 id, a tracking or phone number, an amount or a date.
    pub masked_ids: Vec<MaskedId>,
}

/// What a post says next to one order id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub amounts: Vec<AmountMention>,
    pub dates: Vec<DateMention>,
    pub cats: Cats,
    pub words: Vec<String>,
}

/// Cuts `text` to at most [`MAX_TEXT`] bytes at a char boundary.
pub fn cut(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut i = MAX_TEXT;
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    &text[..i]
}

fn overlaps(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b)| s < b && a < e)
}

/// Characters that split a text into tokens besides white space.
fn is_token_break(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';'
                | '|'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '"'
                | '“'
                | '”'
                | '«'
                | '»'
                | '‘'
                | '’'
                | '—'
                | '–'
        )
}

fn is_token_trim(c: char) -> bool {
    matches!(
        c,
        '.' | ':' | '!' | '?' | '\'' | '*' | '#' | '-' | '_' | '/' | '=' | '`' | '~'
    ) || !c.is_ascii() && !c.is_alphanumeric()
}

/// Reads a post. `today` is the post's day (days since 1970-01-01), for relative dates
/// and dates without a year.
pub fn extract(text: &str, today: i64) -> Extraction {
    let text = cut(text);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let order_ids = orderid::find_order_ids(&chars, text.len());
    let tracking = tracking::find_tracking(&chars, text);
    let mut taken: Vec<(usize, usize)> = order_ids
        .iter()
        .map(|m| (m.start, m.end))
        .chain(tracking.iter().map(|t| (t.start, t.end)))
        .collect();
    let phones: Vec<(usize, usize)> = tracking::find_phones(&chars, text.len())
        .into_iter()
        .filter(|&(s, e)| !overlaps(&taken, s, e))
        .collect();
    taken.extend(phones.iter().copied());
    let is_taken = |b: usize| taken.iter().any(|&(s, e)| b >= s && b < e);
    let dates = date::find_dates(&chars, text.len(), today, &is_taken);
    let mut taken2 = taken.clone();
    taken2.extend(dates.iter().map(|d| (d.start, d.end)));
    let is_taken2 = |b: usize| taken2.iter().any(|&(s, e)| b >= s && b < e);
    let amounts = money::find_amounts(&chars, text, &is_taken2);
    let products = product::find_products(&chars, text.len());

    // Opaque-id tokens.
    let mut avoid: Vec<(usize, usize)> = phones.clone();
    avoid.extend(dates.iter().map(|d| (d.start, d.end)));
    avoid.extend(amounts.iter().map(|a| (a.start, a.end)));
    let mut tokens = Vec::new();
    let mut masked_ids = Vec::new();
    let n = chars.len();
    let mut i = 0;
    let end_of = |j: usize| chars.get(j).map_or(text.len(), |&(b, _)| b);
    while i < n {
        if is_token_break(chars[i].1) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && !is_token_break(chars[j].1) {
            j += 1;
        }
        let (mut a, mut b) = (i, j);
        while a < b && is_token_trim(chars[a].1) {
            a += 1;
        }
        while b > a && is_token_trim(chars[b - 1].1) {
            b -= 1;
        }
        let mut push = |a: usize, b: usize| {
            let (s, e) = (chars[a].0, end_of(b));
            let len = b - a;
            if (MIN_TOKEN..=MAX_TOKEN).contains(&len)
                && chars[a..b].iter().any(|(_, c)| c.is_ascii_digit())
                && !overlaps(&avoid, s, e)
                && !tokens.contains(&(s, e))
            {
                tokens.push((s, e));
            }
        };
        if chars[i..j]
            .iter()
            .any(|&(_, c)| opaque::is_other_mask(c) || matches!(c, 'X' | 'x'))
        {
            // After a marker ("id:10••33", "Order#10••33") only the part after it.
            let mut from = (i..j)
                .rev()
                .find(|&k| matches!(chars[k].1, ':' | '=' | '/'))
                .map_or(i, |k| k + 1);
            let word = chars[from..j]
                .iter()
                .take_while(|&&(_, c)| c.is_alphabetic())
                .count();
            if word > 0 && chars.get(from + word).is_some_and(|&(_, c)| c == '#') {
                from += word + 1;
            }
            let (s, e) = (chars.get(from).map_or(text.len(), |&(b, _)| b), end_of(j));
            let seg: Vec<char> = chars[from.min(j)..j].iter().map(|&(_, c)| c).collect();
            if !overlaps(&avoid, s, e)
                && !overlaps(&taken, s, e)
                && let Some(pattern) = opaque::read_masked(&seg)
            {
                masked_ids.push(MaskedId {
                    start: s,
                    end: e,
                    pattern,
                });
            }
        }
        if a < b {
            push(a, b);
            // "Order#ABC123", "id:ABC123", "?order=ABC123": the part after the marker too.
            if let Some(k) = (a..b)
                .rev()
                .find(|&k| matches!(chars[k].1, '#' | ':' | '=' | '/'))
                && k + 1 < b
            {
                push(k + 1, b);
            }
        }
        i = j;
    }
    Extraction {
        order_ids,
        tracking,
        phones,
        dates,
        amounts,
        products,
        tokens,
        masked_ids,
    }
}

/// Characters that end one item of a list post ("Order A … | Order B …").
fn is_segment_break(c: char) -> bool {
    matches!(c, '\n' | '|' | '¦' | ';')
}

impl Extraction {
    /// The amounts, dates and products that go with each order id, in `order_ids` order.
    ///
    /// The text is cut into items at line breaks, `|` and `;`. Within an item, what follows
    /// an id describes it (what comes before the first id describes the first). When a
    /// post shows a single id, everything in the post is its context.
    pub fn contexts(&self, text: &str) -> Vec<Context> {
        let anchors: Vec<(usize, usize)> =
            self.order_ids.iter().map(|m| (m.start, m.end)).collect();
        self.contexts_for(text, &anchors)
    }

    /// The same for any spans taken as ids (the engine adds the tokens and masked ids of
    /// other shapes that fit its orders), in `anchors` order; the spans may come in any
    /// order.
    pub fn contexts_for(&self, text: &str, anchors: &[(usize, usize)]) -> Vec<Context> {
        let text = cut(text);
        let n = anchors.len();
        let mut out = vec![Context::default(); n];
        if n == 0 {
            return out;
        }
        // Anchor indexes by position.
        let mut by_pos: Vec<usize> = (0..n).collect();
        by_pos.sort_by_key(|&k| (anchors[k].0, k));
        let breaks: Vec<usize> = text
            .char_indices()
            .filter(|&(_, c)| is_segment_break(c))
            .map(|(b, _)| b)
            .collect();
        let segment = |pos: usize| breaks.partition_point(|&b| b < pos);
        let owner = |pos: usize| -> Option<usize> {
            if n == 1 {
                return Some(0);
            }
            let seg = segment(pos);
            let in_seg: Vec<usize> = by_pos
                .iter()
                .copied()
                .filter(|&k| segment(anchors[k].0) == seg)
                .collect();
            let first = *in_seg.first()?;
            Some(
                in_seg
                    .iter()
                    .copied()
                    .rfind(|&k| anchors[k].0 <= pos)
                    .unwrap_or(first),
            )
        };
        for a in &self.amounts {
            if let Some(k) = owner(a.start) {
                out[k].amounts.push(a.clone());
            }
        }
        for d in &self.dates {
            if let Some(k) = owner(d.start) {
                out[k].dates.push(d.clone());
            }
        }
        for p in &self.products {
            if let Some(k) = owner(p.start) {
                out[k].cats |= p.cats;
                out[k].words.push(p.word.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vouch_post_in_pieces() {
        let text = "📦 Refunds landing | Order 111-06•••••-4445737 — iPhone 15 Pro $1,992.98 refunded 2026-11-05, item kept | Order 113-2179154-7033797 — MacBook Air £1,990.95 refunded 2026-11-06 | fee 25% after refund, DM @refund_kings";
        let today = days_from_civil(2026, 11, 9);
        let x = extract(text, today);
        assert_eq!(x.order_ids.len(), 2);
        assert_eq!(x.amounts.len(), 2);
        assert_eq!(x.dates.len(), 2);
        let ctx = x.contexts(text);
        assert_eq!(ctx[0].amounts[0].hundredths, 199_298);
        assert_eq!(ctx[1].amounts[0].currency, "GBP");
        assert_eq!(ctx[0].dates[0].day, days_from_civil(2026, 11, 5));
        assert_eq!(ctx[1].dates[0].day, days_from_civil(2026, 11, 6));
        assert_ne!(ctx[0].cats & (product::Cat::Phones as Cats), 0);
        assert_ne!(ctx[1].cats & (product::Cat::Computers as Cats), 0);
        let toks: Vec<&str> = x.tokens.iter().map(|&(s, e)| &text[s..e]).collect();
        assert!(toks.contains(&"113-2179154-7033797"), "{toks:?}");
        assert!(!toks.iter().any(|t| t.contains("1,992")), "{toks:?}");
    }

    #[test]
    fn other_languages_and_formats() {
        let today = days_from_civil(2026, 11, 9);
        let text =
            "Commande 114-55XXXXX-7731994 remboursée le 2 nov. — 1 299,00 € (ordinateur portable)";
        let x = extract(text, today);
        let ctx = x.contexts(text);
        assert_eq!(ctx.len(), 1);
        assert_eq!(ctx[0].amounts[0].hundredths, 129_900);
        assert_eq!(ctx[0].dates[0].day, days_from_civil(2026, 11, 2));
        assert_ne!(ctx[0].cats & (product::Cat::Computers as Cats), 0);
    }

    #[test]
    fn tokens_for_opaque_ids() {
        let text = "order#AB-99812 and id:ORD000123X, call +1 415-555-0123, $849.00";
        let x = extract(text, 0);
        let toks: Vec<&str> = x.tokens.iter().map(|&(s, e)| &text[s..e]).collect();
        assert!(toks.contains(&"AB-99812"), "{toks:?}");
        assert!(toks.contains(&"ORD000123X"), "{toks:?}");
        assert!(!toks.iter().any(|t| t.contains("555")), "{toks:?}");
        assert!(!toks.iter().any(|t| t.contains("849")), "{toks:?}");
    }

    #[test]
    fn short_tokens_and_masked_ids_of_other_shapes() {
        let text = "Order #1042 done, ORD-8F3•••-991 too, id:10••33 and 104233? (qty 12)";
        let x = extract(text, 0);
        let toks: Vec<&str> = x.tokens.iter().map(|&(s, e)| &text[s..e]).collect();
        assert!(toks.contains(&"1042"), "{toks:?}");
        assert!(toks.contains(&"104233"), "{toks:?}");
        assert!(!toks.contains(&"12"), "{toks:?}");
        let masked: Vec<String> = x.masked_ids.iter().map(MaskedId::display).collect();
        assert_eq!(masked, ["ORD8F3•••991", "10••33"]);
        assert_eq!(&text[x.masked_ids[1].start..x.masked_ids[1].end], "10••33");
        // A masked 3-7-7 id is an order id, not a masked token of another shape.
        let x = extract("114-55•••••-7731994", 0);
        assert_eq!(x.order_ids.len(), 1);
        assert!(x.masked_ids.is_empty());
    }

    #[test]
    fn contexts_for_any_spans() {
        let text = "#1042 iPhone $999.00 | #1043 MacBook $1,299.00";
        let x = extract(text, 0);
        let anchors = [(23, 28), (0, 5)];
        let ctx = x.contexts_for(text, &anchors);
        assert_eq!(ctx[0].amounts[0].hundredths, 129_900);
        assert_eq!(ctx[1].amounts[0].hundredths, 99_900);
    }

    #[test]
    fn long_texts_are_cut_at_a_char_boundary() {
        let text = "é".repeat(MAX_TEXT);
        assert!(cut(&text).len() <= MAX_TEXT);
        let _ = extract(&text, 0);
    }
}
