//! Threat intelligence: `intel_post` events matched to the retailer's orders, and
//! `intel_match` alerts.
//!
//! A post is read by `clawback_intel::extract` (order ids full or masked, tracking numbers,
//! amounts, dates, product words, opaque tokens). Then:
//! - **full ids and tokens**: a token equal to a known order id whose id is distinctive
//!   (3-7-7, long mixed letters and digits, long grouped numbers:
//!   `clawback_intel::is_distinctive`) is that order; a short or plain one (`#1042`,
//!   `104233`: a price, postcode or quantity in chatter collides with such ids all the
//!   time), or one also read as a tracking number, is weighed like a masked id and named
//!   only when the amount agrees in the same currency or another id of the post names the
//!   same account (else reported as ambiguous when two things agree); tokens are compared
//!   loosely (case, dashes, a leading `#`); an id in the 3-7-7 shape that is not known yet
//!   is remembered (bounded) and matched when its `order_placed` arrives;
//! - **tracking numbers**: a return parcel's tracking number names its order;
//! - **masked ids**: the orders whose digits agree with every visible digit are the
//!   candidates (an index by the last and the middle block); each is weighed on what the
//!   post says next to the id — the amount (order total, an item's price or a refund),
//!   the date (placed or refunded, within a window), the product words (against the
//!   order's item categories) — and on having been refunded. One candidate clearly ahead
//!   and corroborated is a match, with a confidence; several close ones are reported as
//!   ambiguous (an alert on the post that names no order), never guessed. Masked ids of
//!   other shapes (`ORD-8F3•••-991`, `10••33`) are compared with the other-shaped ids by
//!   their visible characters (an index by the last or first two) and weighed the same
//!   way; when the ids of that shape are not distinctive, as a short id.
//!
//! First what names an order alone (full ids, distinctive tokens, return tracking numbers),
//! then what needs corroboration, so that another id of the same post naming the same
//! account counts for it.
//!
//! Each match raises `intel_match` naming the post, the order, its account and its refunds
//! (raised again when a refund of the order comes later), with the channel's history:
//! orders shown so far and their value. Matched orders and accounts feed the refund
//! features `intel_named` and `ring_intel_accounts`.
//!
//! Memory: a compact record per 3-7-7 order (about 60 bytes with the two block indexes),
//! or per order of another shape (the id, the record and three indexes: about 130 bytes),
//! refunds per order, and bounded pending lists. Method and figures: `docs/intel.md`.

use crate::detector::AlertSink;
use crate::facts::Facts;
use crate::features::{F, RefundFeatures};
use crate::graph::IdentityGraph;
use crate::money::usd_cents;
use clawback_events::output::{EntityRef, EntityType, Reason};
use clawback_events::{Body, Event, Id, IntelPost, OrderPlaced, RefundRequested};
use clawback_intel::{
    Cats, Context, MaskedId, OrderPattern, canonical_digits, category_cats, civil_from_days,
    extract, is_distinctive, loose_key, pack, packed_id, unpack,
};
use clawback_table::GrowMap;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

const DAY_MS: i64 = 86_400_000;
/// Fewest visible digits for a masked id to be looked up at all.
const MIN_VISIBLE: u32 = 6;
/// Days either side of a date in a post within which an order's placement or refund
/// agrees with it (posts round, refunds are requested and issued days apart).
const DATE_WINDOW: i64 = 3;
/// A candidate older than this before the post is not considered.
const MAX_AGE_DAYS: i64 = 400;
/// Score a masked id's candidate needs to be a match, and the lead it needs over the next.
const ACCEPT: f64 = 1.0;
const LEAD: f64 = 1.5;
/// Weights of the amount a post writes next to an id: the order's (or an item's, or a
/// refund's) in the same currency; within 12% in another currency; neither.
const AMOUNT_EXACT: f64 = 3.0;
const AMOUNT_CONVERTED: f64 = 1.5;
const AMOUNT_MISMATCH: f64 = -2.5;
/// Score a short or plain id (or a masked id of a shape that would not be distinctive
/// whole) needs to be a match, and it must include the amount in the same currency or
/// another id of the post naming the same account. A date in the same week, the same broad
/// category and a refund are what a postcode or a price that happens to equal one of
/// hundreds of thousands of order ids gets together by chance often enough (one such
/// chatter number in a few hundred): they make it ambiguous, not a match.
const ACCEPT_WEAK: f64 = 3.0;
/// Score at which such an id, not named, is still reported as ambiguous (two things agree).
const AMBIGUOUS_WEAK: f64 = 2.0;
/// Weight of "another id in the post names an order of this order's account": a refund
/// service showing one customer's orders together.
const SAME_ACCOUNT: f64 = 3.0;
/// More orders than this fitting a masked id of another shape: too little of it shows.
const MAX_FITTING_OTHER: usize = 1_000;
/// Bounds on remembered state.
const MAX_PENDING_FULL: usize = 100_000;
const MAX_PENDING_MASKED: usize = 20_000;
const MAX_CHANNELS: usize = 100_000;
const MAX_MATCH_RECORDS: usize = 1_000_000;
const MAX_CANDIDATES_LISTED: usize = 5;
/// The ring count is recomputed at most this often (event time) when no match is added.
const RING_CACHE_MS: i64 = 3_600_000;

/// What the engine keeps per order in the 3-7-7 shape, for masked ids.
#[derive(Debug, Clone, Copy)]
struct OrderRec {
    packed: u64,
    placed_ms: i64,
    amount_minor: i64,
    currency: [u8; 3],
    cats: Cats,
    /// Up to three unit prices (minor units), for posts that show an item's price.
    units: [u32; 3],
}

#[derive(Debug, Clone)]
struct RefundRec {
    refund_id: Id,
    ms: i64,
    amount_minor: i64,
    currency: [u8; 3],
}

/// What a channel has shown so far.
#[derive(Debug, Clone, Default)]
struct Channel {
    name: String,
    posts: u32,
    orders: u32,
    value_usd_cents: i64,
    refunded_usd_cents: i64,
}

/// A post's particulars needed when a match is made (possibly later).
#[derive(Debug, Clone)]
struct PostRef {
    post_id: Id,
    channel_key: String,
    posted_ms: i64,
}

/// An id shown in full before its order was known.
#[derive(Debug, Clone)]
struct PendingFull {
    post: PostRef,
    shown: String,
}

/// A masked id that fit no order when posted.
#[derive(Debug, Clone)]
struct PendingMasked {
    seq: u64,
    post: PostRef,
    pattern: OrderPattern,
    ctx: Context,
}

/// How a post named an order.
#[derive(Debug, Clone)]
enum How {
    Full,
    Token(String),
    Tracking(&'static str, String),
    Masked {
        pattern: OrderPattern,
        evidence: Vec<String>,
        fitting: usize,
    },
    Later(String),
    /// A short or plain id, named because the post agrees.
    Weak {
        shown: String,
        evidence: Vec<String>,
    },
    /// A masked id of another shape than 3-7-7.
    MaskedOther {
        what: String,
        evidence: Vec<String>,
        fitting: usize,
    },
}

/// What a token of a post can be.
#[derive(Debug, Clone)]
enum Reading {
    /// A distinctive id equal to an order's: that order.
    Strong(Id),
    /// A short or plain id: the orders (indexes into `Others`) it could be, to weigh.
    Weak(Vec<u32>),
}

/// One candidate order weighed.
#[derive(Debug, Clone)]
struct Scored {
    score: f64,
    /// The amount agrees in the same currency, or another id of the post names the same
    /// account: what a short id needs (a date, a category and a refund agree by chance
    /// too often among hundreds of thousands of orders).
    strong: bool,
    index: u32,
    id: Id,
    words: Vec<String>,
}

/// The score a candidate needs to be named, and to be reported as ambiguous.
#[derive(Debug, Clone, Copy)]
struct Bars {
    accept: f64,
    ambiguous: f64,
    /// Only a candidate with strong evidence ([`Scored::strong`]) is named.
    needs_strong: bool,
}

impl Bars {
    fn weak() -> Self {
        Self {
            accept: ACCEPT_WEAK,
            ambiguous: AMBIGUOUS_WEAK,
            needs_strong: true,
        }
    }

    /// A masked id of another shape: as a masked 3-7-7 id when its orders' ids are
    /// distinctive and six characters show, else as a short id.
    fn masked_other(distinctive: bool) -> Self {
        if distinctive {
            Self {
                accept: ACCEPT,
                ambiguous: ACCEPT,
                needs_strong: false,
            }
        } else {
            Self::weak()
        }
    }
}

/// Orders whose id is not in the 3-7-7 shape, for tokens (by their loose key) and masked
/// ids of other shapes (by their last or first two characters).
#[derive(Debug, Default)]
struct Others {
    ids: Vec<Id>,
    recs: Vec<OrderRec>,
    by_loose: GrowMap<u64, u32>,
    next_loose: Vec<u32>,
    by_suffix: GrowMap<u64, u32>,
    next_suffix: Vec<u32>,
    by_prefix: GrowMap<u64, u32>,
    next_prefix: Vec<u32>,
}

fn loose_hash(loose: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    loose.hash(&mut h);
    h.finish()
}

fn pair_key((a, b): (char, char)) -> u64 {
    (u64::from(u32::from(a)) << 32) | u64::from(u32::from(b))
}

/// Follows one of the index chains from `head`.
fn walk(head: Option<&u32>, next: &[u32], mut f: impl FnMut(u32)) {
    let mut i = head.copied().unwrap_or(NONE);
    while i != NONE {
        f(i);
        i = next.get(i as usize).copied().unwrap_or(NONE);
    }
}

impl Others {
    fn push(&mut self, id: &Id, rec: OrderRec) {
        let loose: Vec<char> = loose_key(id).chars().collect();
        let Ok(idx) = u32::try_from(self.ids.len()) else {
            return;
        };
        if loose.is_empty() || idx == NONE {
            return;
        }
        let text: String = loose.iter().collect();
        self.next_loose
            .push(self.by_loose.insert(loose_hash(&text), idx).unwrap_or(NONE));
        let (suffix, prefix) = match loose.as_slice() {
            [a, b, .., y, z] => (Some((*y, *z)), Some((*a, *b))),
            _ => (None, None),
        };
        self.next_suffix.push(
            suffix
                .and_then(|k| self.by_suffix.insert(pair_key(k), idx))
                .unwrap_or(NONE),
        );
        self.next_prefix.push(
            prefix
                .and_then(|k| self.by_prefix.insert(pair_key(k), idx))
                .unwrap_or(NONE),
        );
        self.ids.push(id.clone());
        self.recs.push(rec);
    }

    /// Orders whose id has this loose key (one per id: the latest placement).
    fn by_loose(&self, loose: &str) -> Vec<u32> {
        if loose.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        walk(
            self.by_loose.get(&loose_hash(loose)),
            &self.next_loose,
            |i| {
                if self
                    .ids
                    .get(i as usize)
                    .is_some_and(|id| loose_key(id) == loose)
                {
                    out.push(i);
                }
            },
        );
        self.one_per_id(out)
    }

    /// Orders that fit a masked id and pass `ok`, or `None` when more than `cap` fit.
    fn fitting(
        &self,
        m: &MaskedId,
        ok: impl Fn(&OrderRec) -> bool,
        cap: usize,
    ) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        let mut check = |i: u32| {
            if let (Some(id), Some(rec)) = (self.ids.get(i as usize), self.recs.get(i as usize))
                && ok(rec)
            {
                let loose: Vec<char> = loose_key(id).chars().collect();
                if m.fits(&loose) {
                    out.push(i);
                }
            }
        };
        if let Some(k) = m.suffix2() {
            walk(
                self.by_suffix.get(&pair_key(k)),
                &self.next_suffix,
                &mut check,
            );
        } else if let Some(k) = m.prefix2() {
            walk(
                self.by_prefix.get(&pair_key(k)),
                &self.next_prefix,
                &mut check,
            );
        } else {
            // Hidden at both ends: a scan, bounded by the orders held (rare).
            for i in 0..self.ids.len() {
                check(i as u32);
            }
        }
        let out = self.one_per_id(out);
        (out.len() <= cap).then_some(out)
    }

    /// Keeps the latest placement of each id (a corrected event), in index order.
    fn one_per_id(&self, mut v: Vec<u32>) -> Vec<u32> {
        if v.len() > 1 {
            let id = |i: &u32| self.ids.get(*i as usize).cloned().unwrap_or_default();
            v.sort_by(|a, b| id(a).cmp(&id(b)).then(b.cmp(a)));
            v.dedup_by(|a, b| id(a) == id(b));
            v.sort_unstable();
        }
        v
    }

    fn list(&self, v: &[u32]) -> Vec<(u32, Id, OrderRec)> {
        v.iter()
            .filter_map(|&i| {
                Some((
                    i,
                    self.ids.get(i as usize)?.clone(),
                    *self.recs.get(i as usize)?,
                ))
            })
            .collect()
    }
}

/// A match kept to re-raise its alert when a refund of the order arrives.
#[derive(Debug, Clone)]
struct MatchRec {
    alert_id: Id,
    post_id: Id,
    channel_key: String,
    score: f64,
    first: Reason,
}

/// Candidate evidence for one masked id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Absent,
    Match,
    Mismatch,
}

/// The intel matcher: see the module documentation.
#[derive(Debug, Default)]
pub struct Intel {
    recs: Vec<OrderRec>,
    by_block3: GrowMap<u32, u32>,
    next3: Vec<u32>,
    by_block2: GrowMap<u32, u32>,
    next2: Vec<u32>,
    /// Orders whose id has another shape.
    others: Others,
    /// Free-text item category → categories, memoised (retailers use a few dozen).
    cat_memo: FxHashMap<Id, Cats>,
    refunds: GrowMap<Id, Vec<RefundRec>>,
    matches: GrowMap<Id, Vec<MatchRec>>,
    match_records: usize,
    /// Accounts named (through their orders), in the order first named.
    named_accounts: GrowMap<Id, u32>,
    named_list: Vec<Id>,
    channels: FxHashMap<String, Channel>,
    pending_full: FxHashMap<Id, PendingFull>,
    pending_full_order: VecDeque<Id>,
    pending_masked: FxHashMap<u32, Vec<PendingMasked>>,
    pending_masked_order: VecDeque<(u32, u64)>,
    pending_seq: u64,
    ring_cache: FxHashMap<u32, u32>,
    ring_cache_at: Option<(i64, usize)>,
    stats: IntelStats,
}

/// Counters, for the run summary and the docs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IntelStats {
    pub posts: u64,
    pub matches: u64,
    pub ambiguous: u64,
    pub pending_matched: u64,
}

const NONE: u32 = u32::MAX;

fn cur3(c: &str) -> [u8; 3] {
    let b = c.as_bytes();
    let mut out = [b' '; 3];
    for (o, x) in out.iter_mut().zip(b) {
        *o = x.to_ascii_uppercase();
    }
    out
}

fn cur_str(c: &[u8; 3]) -> &str {
    std::str::from_utf8(c).unwrap_or("USD")
}

/// Minor-unit exponent of a currency (the engine's table has the same two zero-decimal
/// currencies).
fn exponent(c: &[u8; 3]) -> i64 {
    match c {
        b"JPY" | b"KRW" => 0,
        _ => 2,
    }
}

fn hundredths(minor: i64, c: &[u8; 3]) -> i64 {
    if exponent(c) == 0 {
        minor.saturating_mul(100)
    } else {
        minor
    }
}

/// A post's amount (value × 100) in the currency's minor unit.
fn post_minor(hundredths: i64, c: &[u8; 3]) -> i64 {
    if exponent(c) == 0 {
        hundredths / 100
    } else {
        hundredths
    }
}

fn day_text(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y}-{m:02}-{d:02}")
}

fn money_text(minor: i64, c: &[u8; 3]) -> String {
    let h = hundredths(minor, c);
    format!("{} {}.{:02}", cur_str(c), h / 100, h % 100)
}

fn usd_text(cents: i64) -> String {
    let units = cents / 100;
    let digits = units.to_string();
    let mut s = String::from("$");
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(ch);
    }
    s
}

fn channel_key(p: &IntelPost) -> (String, String) {
    let name = p
        .channel
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or(p.author.as_deref())
        .unwrap_or("(no channel)")
        .trim();
    let norm: String = name
        .trim_start_matches('@')
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    (
        format!("{}/{}", p.source.as_str(), norm),
        format!("{} {}", p.source.as_str(), name),
    )
}

impl Intel {
    pub fn stats(&self) -> IntelStats {
        self.stats
    }

    /// Sees every event after the facts absorbed it.
    pub fn observe(&mut self, facts: &Facts, ev: &Event, sink: &mut AlertSink) {
        match &ev.body {
            Body::OrderPlaced(o) => self.order_placed(facts, o, ev, sink),
            Body::RefundRequested(r) => self.refund_requested(facts, r, ev, sink),
            Body::IntelPost(p) => self.post(facts, p, ev, sink),
            _ => {}
        }
    }

    fn cats_of(&mut self, o: &OrderPlaced) -> Cats {
        let mut cats = 0;
        for i in &o.items {
            let c = match self.cat_memo.get(&i.category) {
                Some(&c) => c,
                None => {
                    let c = category_cats(&i.category);
                    if self.cat_memo.len() < 4096 {
                        self.cat_memo.insert(i.category.clone(), c);
                    }
                    c
                }
            };
            cats |= c;
        }
        cats
    }

    fn order_placed(&mut self, facts: &Facts, o: &OrderPlaced, ev: &Event, sink: &mut AlertSink) {
        // An id shown in full before the order was known.
        if let Some(p) = self.pending_full.remove(&o.order_id) {
            self.stats.pending_matched += 1;
            self.raise_match(
                facts,
                ev,
                &p.post,
                &o.order_id,
                0.97,
                How::Later(p.shown),
                sink,
            );
        }
        let mut units = [0u32; 3];
        for (slot, i) in units.iter_mut().zip(o.items.iter()) {
            *slot = u32::try_from(i.unit_price_minor.max(0)).unwrap_or(u32::MAX);
        }
        let digits = canonical_digits(&o.order_id);
        let rec = OrderRec {
            packed: digits.as_ref().map_or(0, pack),
            placed_ms: ev.ts.unix_ms,
            amount_minor: o.money.amount_minor,
            currency: cur3(&o.money.currency),
            cats: self.cats_of(o),
            units,
        };
        let Some(digits) = digits else {
            // Another shape: matched by tokens and masked ids of other shapes.
            self.others.push(&o.order_id, rec);
            return;
        };
        let Ok(idx) = u32::try_from(self.recs.len()) else {
            return;
        };
        if idx == NONE {
            return;
        }
        let b3 = (rec.packed % 10_000_000) as u32;
        let b2 = ((rec.packed / 10_000_000) % 10_000_000) as u32;
        self.next3
            .push(self.by_block3.insert(b3, idx).unwrap_or(NONE));
        self.next2
            .push(self.by_block2.insert(b2, idx).unwrap_or(NONE));
        self.recs.push(rec);
        // Masked ids that fit no order when posted.
        if let Some(list) = self.pending_masked.get_mut(&b3) {
            let mut k = 0;
            let mut found: Vec<PendingMasked> = Vec::new();
            while k < list.len() {
                if list[k].pattern.fits(&digits) {
                    found.push(list.remove(k));
                } else {
                    k += 1;
                }
            }
            if list.is_empty() {
                self.pending_masked.remove(&b3);
            }
            for p in found {
                let (score, evidence, _) = self.weigh(&rec, &[], &p.ctx, p.post.posted_ms);
                if score >= ACCEPT {
                    self.stats.pending_matched += 1;
                    let conf = confidence(score, p.pattern.visible(), 1);
                    self.raise_match(
                        facts,
                        ev,
                        &p.post,
                        &o.order_id,
                        conf,
                        How::Masked {
                            pattern: p.pattern,
                            evidence,
                            fitting: 1,
                        },
                        sink,
                    );
                }
            }
        }
    }

    fn refund_requested(
        &mut self,
        facts: &Facts,
        r: &RefundRequested,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        self.refunds
            .entry(r.order_id.clone())
            .or_default()
            .push(RefundRec {
                refund_id: r.refund_id.clone(),
                ms: ev.ts.unix_ms,
                amount_minor: r.money.amount_minor,
                currency: cur3(&r.money.currency),
            });
        // A matched order refunded after the post: its alerts grow by the refund.
        let Some(list) = self.matches.get(&r.order_id) else {
            return;
        };
        let list = list.clone();
        let value = usd_cents(r.money.amount_minor, &r.money.currency);
        for m in &list {
            if let Some(c) = self.channels.get_mut(&m.channel_key) {
                c.refunded_usd_cents += value;
            }
            let reasons = self.reasons(facts, &r.order_id, &m.channel_key, m.first.clone());
            let entities = self.entities(facts, &m.post_id, &r.order_id);
            sink.raise(
                ev,
                m.alert_id.clone(),
                "intel_match",
                m.score,
                entities,
                reasons,
            );
        }
    }

    fn entities(&self, facts: &Facts, post_id: &Id, order_id: &Id) -> Vec<EntityRef> {
        let mut e = vec![
            EntityRef::new(EntityType::Post, post_id.clone()),
            EntityRef::new(EntityType::Order, order_id.clone()),
        ];
        if let Some(o) = facts.orders.get(order_id)
            && !o.account_id.is_empty()
        {
            e.push(EntityRef::new(EntityType::Account, o.account_id.clone()));
        }
        if let Some(rs) = self.refunds.get(order_id) {
            for r in rs {
                e.push(EntityRef::new(EntityType::Refund, r.refund_id.clone()));
            }
        }
        e
    }

    fn reasons(
        &self,
        facts: &Facts,
        order_id: &Id,
        channel_key: &str,
        first: Reason,
    ) -> Vec<Reason> {
        let mut reasons = vec![first];
        match self.refunds.get(order_id) {
            Some(rs) if !rs.is_empty() => {
                let list: Vec<String> = rs
                    .iter()
                    .take(3)
                    .map(|r| {
                        format!(
                            "{} ({}, requested {})",
                            r.refund_id,
                            money_text(r.amount_minor, &r.currency),
                            day_text(r.ms)
                        )
                    })
                    .collect();
                reasons.push(Reason::new(
                    "order_refunded",
                    format!(
                        "{} refund{} on the order: {}",
                        rs.len(),
                        if rs.len() == 1 { "" } else { "s" },
                        list.join(", ")
                    ),
                ));
            }
            _ => {
                let placed = facts
                    .orders
                    .get(order_id)
                    .map(|o| format!(", placed {}", day_text(o.placed_ms)))
                    .unwrap_or_default();
                reasons.push(Reason::new(
                    "order_not_refunded_yet",
                    format!("no refund requested on the order yet{placed}: watch for one"),
                ));
            }
        }
        if let Some(c) = self.channels.get(channel_key) {
            reasons.push(Reason::new(
                "channel_history",
                format!(
                    "{} has shown {} of our orders in {} posts so far: {} ordered, {} refunded",
                    c.name,
                    c.orders,
                    c.posts,
                    usd_text(c.value_usd_cents),
                    usd_text(c.refunded_usd_cents)
                ),
            ));
        }
        reasons
    }

    #[allow(clippy::too_many_arguments)]
    fn raise_match(
        &mut self,
        facts: &Facts,
        ev: &Event,
        post: &PostRef,
        order_id: &Id,
        score: f64,
        how: How,
        sink: &mut AlertSink,
    ) {
        let alert_id = Id::from(format!("intel_match:{}:{}", post.post_id, order_id));
        let channel_name = self
            .channels
            .get(&post.channel_key)
            .map_or_else(|| post.channel_key.clone(), |c| c.name.clone());
        let first = match &how {
            How::Full => Reason::new(
                "order_id_in_post",
                format!(
                    "post {} in {channel_name} shows order {order_id} in full",
                    post.post_id
                ),
            ),
            How::Token(t) => Reason::new(
                "order_id_in_post",
                format!(
                    "post {} in {channel_name} shows {t:?}, the id of order {order_id}",
                    post.post_id
                ),
            ),
            How::Tracking(carrier, number) => Reason::new(
                "tracking_number_in_post",
                format!(
                    "post {} in {channel_name} shows {carrier} tracking number {number}, the return parcel of order {order_id}",
                    post.post_id
                ),
            ),
            How::Masked {
                pattern,
                evidence,
                fitting,
            } => Reason::new(
                "masked_order_id_in_post",
                format!(
                    "post {} in {channel_name} shows {} ({} of 17 digits); of {} order{} that fit, order {order_id} agrees on {}",
                    post.post_id,
                    pattern.display(),
                    pattern.visible(),
                    fitting,
                    if *fitting == 1 { "" } else { "s" },
                    if evidence.is_empty() {
                        "the digits alone".to_string()
                    } else {
                        evidence.join(", ")
                    }
                ),
            ),
            How::Later(shown) => Reason::new(
                "order_id_in_earlier_post",
                format!(
                    "post {} in {channel_name} on {} showed {shown} before the order was placed here",
                    post.post_id,
                    day_text(post.posted_ms)
                ),
            ),
            How::Weak { shown, evidence } => Reason::new(
                "order_id_in_post",
                format!(
                    "post {} in {channel_name} shows {shown:?}, the id of order {order_id}; a short or plain id, so named because the post agrees on {}",
                    post.post_id,
                    evidence.join(", ")
                ),
            ),
            How::MaskedOther {
                what,
                evidence,
                fitting,
            } => Reason::new(
                "masked_order_id_in_post",
                format!(
                    "post {} in {channel_name} shows {what}; of {} order{} that fit, order {order_id} agrees on {}",
                    post.post_id,
                    fitting,
                    if *fitting == 1 { "" } else { "s" },
                    if evidence.is_empty() {
                        "the characters alone".to_string()
                    } else {
                        evidence.join(", ")
                    }
                ),
            ),
        };
        // Channel history and named accounts.
        let (value, account) = facts.orders.get(order_id).map_or((0, None), |o| {
            (o.value_usd_cents, Some(o.account_id.clone()))
        });
        let refunded: i64 = self.refunds.get(order_id).map_or(0, |rs| {
            rs.iter()
                .map(|r| usd_cents(r.amount_minor, cur_str(&r.currency)))
                .sum()
        });
        if let Some(c) = self.channels.get_mut(&post.channel_key) {
            c.orders += 1;
            c.value_usd_cents += value;
            c.refunded_usd_cents += refunded;
        }
        if let Some(a) = account.filter(|a| !a.is_empty()) {
            let n = self.named_accounts.entry(a.clone()).or_insert(0);
            if *n == 0 {
                self.named_list.push(a);
            }
            *n += 1;
        }
        let entities = self.entities(facts, &post.post_id, order_id);
        let reasons = self.reasons(facts, order_id, &post.channel_key, first.clone());
        if self.match_records < MAX_MATCH_RECORDS {
            self.match_records += 1;
            self.matches
                .entry(order_id.clone())
                .or_default()
                .push(MatchRec {
                    alert_id: alert_id.clone(),
                    post_id: post.post_id.clone(),
                    channel_key: post.channel_key.clone(),
                    score,
                    first,
                });
        } else {
            self.matches.entry(order_id.clone()).or_default();
        }
        self.stats.matches += 1;
        sink.raise(ev, alert_id, "intel_match", score, entities, reasons);
    }

    /// Weighs one candidate order for a masked id: a score (log-odds-like) and the words
    /// for what agreed.
    fn weigh(
        &self,
        rec: &OrderRec,
        refunds: &[RefundRec],
        ctx: &Context,
        posted_ms: i64,
    ) -> (f64, Vec<String>, bool) {
        let mut score = 0.0;
        let mut words = Vec::new();
        let mut amount_exact = false;
        // Amount: the order's total, an item's price, or a refund. The same currency to the
        // cent is strong evidence; another currency within 12% at fixed rates (the writer
        // converted, or rounded) is weaker: among many orders that fit a short masked id,
        // some other order's amount is usually that close.
        if !ctx.amounts.is_empty() {
            let mut exact: Option<String> = None;
            let mut near: Option<String> = None;
            'outer: for a in &ctx.amounts {
                let pc = cur3(a.currency);
                let mut known: Vec<(i64, [u8; 3], &str)> =
                    vec![(rec.amount_minor, rec.currency, "the order's total")];
                for &u in rec.units.iter().filter(|&&u| u > 0) {
                    known.push((i64::from(u), rec.currency, "an item's price"));
                }
                for r in refunds {
                    known.push((r.amount_minor, r.currency, "its refund"));
                }
                for (minor, c, what) in known {
                    for written in std::iter::once(a.hundredths).chain(a.alt_hundredths) {
                        let text = || {
                            format!(
                                "the amount {} ({what})",
                                money_text(post_minor(written, &pc), &pc)
                            )
                        };
                        if c == pc {
                            // `$849` is written for $849.00 to $849.99 (or rounded up).
                            let diff = (written - hundredths(minor, &c)).abs();
                            if if a.has_cents { diff <= 1 } else { diff < 100 } {
                                exact = Some(text());
                                break 'outer;
                            }
                        } else if near.is_none() {
                            let post_usd = usd_cents(post_minor(written, &pc), a.currency);
                            let usd = usd_cents(minor, cur_str(&c));
                            if usd > 0 && ((post_usd - usd).abs() as f64) <= 0.12 * usd as f64 {
                                near = Some(text());
                            }
                        }
                    }
                }
            }
            match (exact, near) {
                (Some(w), _) => {
                    words.push(w);
                    score += AMOUNT_EXACT;
                    amount_exact = true;
                }
                (None, Some(w)) => {
                    words.push(w);
                    score += AMOUNT_CONVERTED;
                }
                (None, None) => score += AMOUNT_MISMATCH,
            }
        }
        // Date: placed or refunded near a date the post gives.
        let date = if ctx.dates.is_empty() {
            Ev::Absent
        } else {
            let mut events: Vec<(i64, &str)> = vec![(rec.placed_ms, "placed")];
            for r in refunds {
                events.push((r.ms, "refund requested"));
            }
            let mut best: Option<(i64, &str, i64)> = None;
            for d in &ctx.dates {
                for &(ms, what) in &events {
                    let gap = (ms.div_euclid(DAY_MS) - d.day).abs();
                    if gap <= DATE_WINDOW + d.slack && best.is_none_or(|b| gap < b.2) {
                        best = Some((d.day, what, gap));
                    }
                }
            }
            match best {
                Some((day, what, gap)) => {
                    words.push(format!(
                        "the date {} ({what} {} day{} from it)",
                        day_text(day * DAY_MS),
                        gap,
                        if gap == 1 { "" } else { "s" }
                    ));
                    Ev::Match
                }
                None => Ev::Mismatch,
            }
        };
        score += match date {
            Ev::Match => 1.5,
            Ev::Mismatch => -1.5,
            Ev::Absent => 0.0,
        };
        // Product words against the order's item categories.
        let product = if ctx.cats == 0 || rec.cats == 0 {
            Ev::Absent
        } else if ctx.cats & rec.cats != 0 {
            words.push(format!("the product ({})", ctx.words.join(" ")));
            Ev::Match
        } else {
            Ev::Mismatch
        };
        score += match product {
            Ev::Match => 1.0,
            Ev::Mismatch => -1.0,
            Ev::Absent => 0.0,
        };
        if refunds.iter().any(|r| r.ms <= posted_ms) {
            score += 0.5;
            words.push("a refund before the post".to_string());
        }
        (score, words, amount_exact)
    }

    /// Orders whose digits agree with the pattern, placed before the post (with two days'
    /// slack) and not long before.
    fn candidates(&self, p: &OrderPattern, posted_ms: i64) -> Vec<u32> {
        let mut out = Vec::new();
        let ok = |rec: &OrderRec| {
            rec.placed_ms <= posted_ms + 2 * DAY_MS
                && rec.placed_ms >= posted_ms - MAX_AGE_DAYS * DAY_MS
                && p.fits(&unpack(rec.packed))
        };
        let walk = |head: Option<&u32>, next: &[u32], out: &mut Vec<u32>| {
            let mut i = head.copied().unwrap_or(NONE);
            while i != NONE {
                if let Some(rec) = self.recs.get(i as usize)
                    && ok(rec)
                {
                    out.push(i);
                }
                i = next.get(i as usize).copied().unwrap_or(NONE);
            }
        };
        if let Some(b3) = p.block(2) {
            walk(self.by_block3.get(&b3), &self.next3, &mut out);
        } else if let Some(b2) = p.block(1) {
            walk(self.by_block2.get(&b2), &self.next2, &mut out);
        } else {
            // Neither long block is whole: a scan, bounded by the orders held (rare).
            for (i, rec) in self.recs.iter().enumerate() {
                if ok(rec) {
                    out.push(i as u32);
                }
            }
        }
        // The same id placed twice (a corrected event) is one candidate.
        out.sort_by_key(|&i| (self.recs[i as usize].packed, std::cmp::Reverse(i)));
        out.dedup_by_key(|i| self.recs[*i as usize].packed);
        out.sort_unstable();
        out
    }

    fn post(&mut self, facts: &Facts, p: &IntelPost, ev: &Event, sink: &mut AlertSink) {
        self.stats.posts += 1;
        let now = ev.ts.unix_ms;
        let today = now.div_euclid(DAY_MS);
        let x = extract(&p.text, today);
        let text = clawback_intel::cut(&p.text);
        let (key, name) = channel_key(p);
        if !self.channels.contains_key(&key) && self.channels.len() < MAX_CHANNELS {
            self.channels.insert(
                key.clone(),
                Channel {
                    name,
                    ..Channel::default()
                },
            );
        }
        if let Some(c) = self.channels.get_mut(&key) {
            c.posts += 1;
        }
        let post = PostRef {
            post_id: p.post_id.clone(),
            channel_key: key,
            posted_ms: now,
        };
        let in_window = |rec: &OrderRec| {
            rec.placed_ms <= now + 2 * DAY_MS && rec.placed_ms >= now - MAX_AGE_DAYS * DAY_MS
        };
        // What each token can be: a distinctive id is its order; a short or plain one (or
        // one that is also read as a tracking number) is weighed like a masked id.
        let inside_id = |s: usize, e: usize| x.order_ids.iter().any(|m| s >= m.start && e <= m.end);
        let mut readings: Vec<(usize, usize, Reading)> = Vec::new();
        for &(s, e) in &x.tokens {
            let Some(tok) = text.get(s..e) else { continue };
            if inside_id(s, e) {
                continue;
            }
            let plain = !x.tracking.iter().any(|t| s < t.end && t.start < e);
            let exact = facts.orders.get_key_value(tok).map(|(k, _)| k.clone());
            if let Some(id) = &exact
                && plain
                && is_distinctive(id)
            {
                readings.push((s, e, Reading::Strong(id.clone())));
                continue;
            }
            // Masked tokens are not looked up loosely: their hidden characters would vanish.
            if x.masked_ids.iter().any(|m| s < m.end && m.start < e) {
                continue;
            }
            let cands = self.others.by_loose(&loose_key(tok));
            match cands.as_slice() {
                [] => {}
                [one] if plain && is_distinctive(&self.others.ids[*one as usize]) => {
                    let id = self.others.ids[*one as usize].clone();
                    readings.push((s, e, Reading::Strong(id)));
                }
                _ => {
                    let near: Vec<u32> = cands
                        .into_iter()
                        .filter(|&i| in_window(&self.others.recs[i as usize]))
                        .collect();
                    if !near.is_empty() {
                        readings.push((s, e, Reading::Weak(near)));
                    }
                }
            }
        }
        let mut masked_other: Vec<(usize, Vec<u32>)> = Vec::new();
        for (k, m) in x.masked_ids.iter().enumerate() {
            if let Some(cands) = self.others.fitting(m, in_window, MAX_FITTING_OTHER)
                && !cands.is_empty()
            {
                masked_other.push((k, cands));
            }
        }
        // What the post says next to each id: 3-7-7 ids, then tokens, then masked tokens.
        let mut anchors: Vec<(usize, usize)> =
            x.order_ids.iter().map(|m| (m.start, m.end)).collect();
        anchors.extend(readings.iter().map(|&(s, e, _)| (s, e)));
        anchors.extend(
            masked_other
                .iter()
                .map(|(k, _)| (x.masked_ids[*k].start, x.masked_ids[*k].end)),
        );
        let contexts = x.contexts_for(text, &anchors);
        let ctx_of = |i: usize| contexts.get(i).cloned().unwrap_or_default();
        let (n_ids, n_tokens) = (x.order_ids.len(), readings.len());

        // First what names an order on its own: full 3-7-7 ids, distinctive tokens, return
        // parcels' tracking numbers.
        let mut named: Vec<Id> = Vec::new();
        for m in &x.order_ids {
            if let Some(full) = m.pattern.full_id() {
                let id = Id::from(full.as_str());
                if facts.orders.contains_key(&id) {
                    if !named.contains(&id) {
                        named.push(id.clone());
                        self.raise_match(facts, ev, &post, &id, 0.99, How::Full, sink);
                    }
                } else {
                    self.remember_full(id, &post, full);
                }
            }
        }
        for (s, e, r) in &readings {
            if let Reading::Strong(id) = r
                && !named.contains(id)
            {
                named.push(id.clone());
                let shown = text.get(*s..*e).unwrap_or_default().to_string();
                self.raise_match(facts, ev, &post, id, 0.97, How::Token(shown), sink);
            }
        }
        for t in &x.tracking {
            let order = facts
                .return_by_tracking
                .get(t.number.as_str())
                .and_then(|r| facts.returns.get(r))
                .map(|r| r.order_id.clone());
            if let Some(id) = order.filter(|o| !o.is_empty())
                && !named.contains(&id)
            {
                named.push(id.clone());
                self.raise_match(
                    facts,
                    ev,
                    &post,
                    &id,
                    0.95,
                    How::Tracking(t.carrier.name(), t.number.clone()),
                    sink,
                );
            }
        }
        // The accounts those orders belong to: another id of the post that fits an order
        // of one of them is corroborated by it.
        let mut accounts: Vec<Id> = Vec::new();
        for id in &named {
            if let Some(o) = facts.orders.get(id)
                && !o.account_id.is_empty()
                && !accounts.contains(&o.account_id)
            {
                accounts.push(o.account_id.clone());
            }
        }

        // Then what needs the post's corroboration: masked 3-7-7 ids, masked ids of other
        // shapes, short or plain tokens.
        for (k, m) in x.order_ids.iter().enumerate() {
            if m.pattern.is_full() || m.pattern.visible() < MIN_VISIBLE {
                continue;
            }
            let ctx = ctx_of(k);
            let cands = self.candidates(&m.pattern, now);
            if cands.is_empty() {
                self.remember_masked(&m.pattern, ctx, &post);
                continue;
            }
            let list: Vec<(u32, Id, OrderRec)> = cands
                .iter()
                .map(|&i| {
                    let rec = self.recs[i as usize];
                    (i, Id::from(packed_id(rec.packed)), rec)
                })
                .collect();
            let scored = self.score(facts, &list, &ctx, now, &accounts);
            let best = scored[0].score;
            let second = scored.get(1).map_or(f64::NEG_INFINITY, |s| s.score);
            if best >= ACCEPT && best - second >= LEAD {
                let Some(top) = scored.into_iter().next() else {
                    continue;
                };
                if named.contains(&top.id) {
                    continue;
                }
                named.push(top.id.clone());
                let conf = confidence(top.score, m.pattern.visible(), cands.len());
                self.raise_match(
                    facts,
                    ev,
                    &post,
                    &top.id,
                    conf,
                    How::Masked {
                        pattern: m.pattern,
                        evidence: top.words,
                        fitting: cands.len(),
                    },
                    sink,
                );
            } else if best >= ACCEPT || cands.len() > 1 {
                // Several orders fit and nothing singles one out: say so, name none.
                let what = format!(
                    "{} ({} of 17 digits)",
                    m.pattern.display(),
                    m.pattern.visible()
                );
                self.raise_ambiguous(ev, &post, &k.to_string(), &what, &scored, sink);
            }
            // One candidate with nothing agreeing (or against it): not a match.
        }
        for (j, (k, cands)) in masked_other.iter().enumerate() {
            let m = &x.masked_ids[*k];
            let ctx = ctx_of(n_ids + n_tokens + j);
            let list = self.others.list(cands);
            let scored = self.score(facts, &list, &ctx, now, &accounts);
            let whole = is_distinctive(&scored[0].id) && m.visible() >= 6;
            let shown = text.get(m.start..m.end).unwrap_or_default().to_string();
            let what = format!(
                "{shown} ({} of {} characters)",
                m.visible(),
                m.pattern.len()
            );
            let how = |words: Vec<String>| How::MaskedOther {
                what: what.clone(),
                evidence: words,
                fitting: cands.len(),
            };
            self.decide(
                facts,
                ev,
                &post,
                scored,
                Bars::masked_other(whole),
                m.visible(),
                &format!("m{k}"),
                &what,
                how,
                &mut named,
                sink,
            );
        }
        for (j, (s, e, r)) in readings.iter().enumerate() {
            let Reading::Weak(cands) = r else { continue };
            let ctx = ctx_of(n_ids + j);
            let list = self.others.list(cands);
            let scored = self.score(facts, &list, &ctx, now, &accounts);
            let shown = text.get(*s..*e).unwrap_or_default().to_string();
            let what = format!(
                "{shown:?} (a short or plain id: it could also be a price, a postcode, a quantity or another number)"
            );
            let visible = loose_key(&shown).chars().count();
            let how = |words: Vec<String>| How::Weak {
                shown: shown.clone(),
                evidence: words,
            };
            self.decide(
                facts,
                ev,
                &post,
                scored,
                Bars::weak(),
                visible,
                &format!("t{j}"),
                &what,
                how,
                &mut named,
                sink,
            );
        }
    }

    /// Weighs each candidate order on what the post says next to the id, and on the post's
    /// other ids naming an order of the same account. Best first (ties: the earlier index).
    fn score(
        &self,
        facts: &Facts,
        cands: &[(u32, Id, OrderRec)],
        ctx: &Context,
        posted_ms: i64,
        accounts: &[Id],
    ) -> Vec<Scored> {
        let mut scored: Vec<Scored> = cands
            .iter()
            .map(|(i, id, rec)| {
                let refunds = self.refunds.get(id).map_or(&[][..], Vec::as_slice);
                let (mut score, mut words, mut strong) = self.weigh(rec, refunds, ctx, posted_ms);
                if let Some(o) = facts.orders.get(id)
                    && !o.account_id.is_empty()
                    && accounts.contains(&o.account_id)
                {
                    score += SAME_ACCOUNT;
                    strong = true;
                    words.push(format!(
                        "its account {}, which another id in the post names",
                        o.account_id
                    ));
                }
                Scored {
                    score,
                    strong,
                    index: *i,
                    id: id.clone(),
                    words,
                }
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        scored
    }

    /// Names the best candidate if it clears the bar and leads the next; else reports the
    /// id as ambiguous when something in the post does agree; else nothing.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        facts: &Facts,
        ev: &Event,
        post: &PostRef,
        scored: Vec<Scored>,
        bars: Bars,
        visible: usize,
        key: &str,
        what: &str,
        how: impl FnOnce(Vec<String>) -> How,
        named: &mut Vec<Id>,
        sink: &mut AlertSink,
    ) {
        let Some(best) = scored.first().map(|s| s.score) else {
            return;
        };
        let second = scored.get(1).map_or(f64::NEG_INFINITY, |s| s.score);
        let fitting = scored.len();
        let strong = scored.first().is_some_and(|s| s.strong);
        if best >= bars.accept && best - second >= LEAD && (strong || !bars.needs_strong) {
            let Some(top) = scored.into_iter().next() else {
                return;
            };
            if named.contains(&top.id) {
                return;
            }
            named.push(top.id.clone());
            let visible = u32::try_from(visible).unwrap_or(u32::MAX);
            let conf = confidence(top.score, visible, fitting);
            self.raise_match(facts, ev, post, &top.id, conf, how(top.words), sink);
        } else if best >= bars.ambiguous {
            self.raise_ambiguous(ev, post, key, what, &scored, sink);
        }
    }

    /// An `intel_match` on the post alone: it shows an id that several orders fit (or that
    /// one order's id equals, without enough in the post to confirm it); names no order.
    fn raise_ambiguous(
        &mut self,
        ev: &Event,
        post: &PostRef,
        key: &str,
        what: &str,
        scored: &[Scored],
        sink: &mut AlertSink,
    ) {
        let Some(best) = scored.first().map(|s| s.score) else {
            return;
        };
        self.stats.ambiguous += 1;
        let close: Vec<&str> = scored
            .iter()
            .filter(|s| s.score >= best - LEAD)
            .take(MAX_CANDIDATES_LISTED)
            .map(|s| s.id.as_str())
            .collect();
        let more = scored.iter().filter(|s| s.score >= best - LEAD).count();
        let alert_id = Id::from(format!("intel_match:{}:ambiguous:{key}", post.post_id));
        let channel = self
            .channels
            .get(&post.channel_key)
            .map_or_else(String::new, |c| c.name.clone());
        let fit = if scored.len() == 1 {
            "1 order fits and the amount, date and product do not confirm it".to_string()
        } else {
            format!(
                "{} orders fit and the amount, date and product do not single one out",
                scored.len()
            )
        };
        sink.raise(
            ev,
            alert_id,
            "intel_match",
            0.3,
            vec![EntityRef::new(EntityType::Post, post.post_id.clone())],
            vec![Reason::new(
                "ambiguous_order_id",
                format!(
                    "post {} in {channel} shows {what}: {fit} ({}{}); none is named",
                    post.post_id,
                    close.join(", "),
                    if more > close.len() { ", …" } else { "" }
                ),
            )],
        );
    }

    fn remember_full(&mut self, id: Id, post: &PostRef, shown: String) {
        if self.pending_full.contains_key(&id) {
            return;
        }
        while self.pending_full.len() >= MAX_PENDING_FULL {
            match self.pending_full_order.pop_front() {
                Some(old) => {
                    self.pending_full.remove(&old);
                }
                None => break,
            }
        }
        self.pending_full_order.push_back(id.clone());
        self.pending_full.insert(
            id,
            PendingFull {
                post: post.clone(),
                shown,
            },
        );
    }

    fn remember_masked(&mut self, pattern: &OrderPattern, ctx: Context, post: &PostRef) {
        // Only ids whose last block is whole are remembered: that block is the index key.
        let Some(b3) = pattern.block(2) else {
            return;
        };
        while self.pending_masked_order.len() >= MAX_PENDING_MASKED {
            let Some((key, seq)) = self.pending_masked_order.pop_front() else {
                break;
            };
            if let Some(list) = self.pending_masked.get_mut(&key) {
                list.retain(|p| p.seq != seq);
                if list.is_empty() {
                    self.pending_masked.remove(&key);
                }
            }
        }
        self.pending_seq += 1;
        self.pending_masked_order.push_back((b3, self.pending_seq));
        self.pending_masked
            .entry(b3)
            .or_default()
            .push(PendingMasked {
                seq: self.pending_seq,
                post: post.clone(),
                pattern: *pattern,
                ctx,
            });
    }

    /// Sets the refund features that intel knows: whether the order or the account was
    /// named in a post before this request, and how many other accounts of the account's
    /// operator ring were.
    pub fn refund_features(
        &mut self,
        r: &RefundRequested,
        now_ms: i64,
        facts: &Facts,
        graph: &mut IdentityGraph,
        v: &mut RefundFeatures,
    ) {
        let order_named = self.matches.contains_key(&r.order_id);
        let account_named = self.named_accounts.contains_key(&r.account_id)
            || facts
                .orders
                .get(&r.order_id)
                .is_some_and(|o| self.named_accounts.contains_key(&o.account_id));
        v[F::IntelNamed as usize] = if order_named || account_named {
            1.0
        } else {
            0.0
        };
        let mut ring = 0u32;
        if !self.named_list.is_empty()
            && let Some(root) = graph.ring_of(&r.account_id)
        {
            let fresh = self
                .ring_cache_at
                .is_some_and(|(at, n)| n == self.named_list.len() && now_ms - at < RING_CACHE_MS);
            if !fresh {
                self.ring_cache.clear();
                for a in &self.named_list {
                    if let Some(r) = graph.ring_of(a) {
                        *self.ring_cache.entry(r).or_insert(0) += 1;
                    }
                }
                self.ring_cache_at = Some((now_ms, self.named_list.len()));
            }
            ring = self.ring_cache.get(&root).copied().unwrap_or(0);
            if self.named_accounts.contains_key(&r.account_id) {
                ring = ring.saturating_sub(1);
            }
        }
        v[F::RingIntelAccounts as usize] = ring as f32;
    }

    /// Orders indexed, refunds held, pending ids: for memory reporting.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (
            self.recs.len(),
            self.refunds.len(),
            self.pending_full.len() + self.pending_masked_order.len(),
        )
    }
}

/// A masked match's confidence in [0.5, 0.97]: the corroboration score, more visible
/// digits, fewer orders that fit.
fn confidence(score: f64, visible: u32, fitting: usize) -> f64 {
    let digits = 0.3 * (f64::from(visible.min(14)) - 8.0);
    let crowd = (fitting.max(1) as f64).ln();
    let z = score + digits - crowd;
    (1.0 / (1.0 + (-z).exp())).clamp(0.5, 0.97)
}

#[cfg(test)]
mod tests;
