//! The identity graph: accounts linked by what they share, updated as events arrive.
//!
//! Two kinds of link, kept apart because they mean different things:
//! - **holder links**: identifiers an account's holder used (signup and profile e-mail,
//!   phone, address; devices and IPs of logins and orders; cards). They tie a banned person
//!   to a new account (ban evasion) and also tie honest households together, so they are
//!   weighted by type (card, device, e-mail, phone strong; an address weak; a building
//!   weaker still) and by rarity: an identifier held by more than [`HUB`] accounts (a
//!   shared office device, a warehouse address) links nobody. IP addresses are not holder
//!   links: carrier NAT and proxies put unrelated people behind one, and keeping every
//!   login's IP doubled the replay's time for no measured gain in ban evasion.
//! - **operator links**: the device, IP and phone that *contacted support about* an account
//!   (the contract says these are the contacting person's, who may not be the holder). A
//!   refund service's operators ask about dozens of client accounts from the same few
//!   devices; an honest person asks about their own. Rings are the connected groups of
//!   accounts joined by operator identifiers ([`OPERATOR_MIN_ACCOUNTS`] or more), found with
//!   a union-find that never merges through a hub.
//!
//! Keys are normalised by `crate::keys` (e-mail provider rules, E.164 phones, address
//! place and building), so the same identity written differently is one node.

use crate::detector::{AlertSink, Signal};
use crate::keys;
use clawback_events::output::{EntityRef, EntityType, Reason};
use clawback_events::*;
use clawback_table::GrowMap;
use rustc_hash::FxHashMap;

/// An identifier held by more accounts than this is a hub (carrier IP, apartment block,
/// shared device) and links nobody.
pub const HUB: usize = 25;
/// A contacting identifier starts tying accounts into a ring once it asked about this many.
pub const OPERATOR_MIN_ACCOUNTS: usize = 3;
/// A contacting identifier that asked about more accounts than this is infrastructure (a
/// VoIP gateway, a withheld-number placeholder, a partner's switchboard) and ties nobody.
/// It is far above [`HUB`] on purpose: touching many accounts is exactly what a refund
/// service's operator does (REKK: tens of thousands of clients, a few dozen operators),
/// while honest people ask about their own account or a relative's. With the holder hub
/// (25) here, a fifth of ring members, those served by the busiest operators, went unnamed.
pub const OPERATOR_HUB: usize = 2_000;
/// Smallest group reported as a `fraud_ring`.
pub const RING_MIN_ACCOUNTS: usize = 3;
/// A group is reported once this many of its members have claimed refunds: someone who
/// helps three relatives with their accounts ties them too, but does not claim for them.
pub const RING_MIN_CLAIMANTS: usize = 2;
/// Operator groups up to this size are rings as they stand; larger ones (and any over 1% of
/// accounts) are split into communities by label propagation. Below it, community
/// detection cuts a refund service into its operators, who share clients only thinly
/// (measured on seeds 7 and 11: partition pairwise F1 0.97 as groups, see ARCHITECTURE.md);
/// above it, a group is more likely two services bridged by infrastructure.
pub const RING_SPLIT_MIN: usize = 250;
/// Label propagation rounds (it settles in a handful on operator graphs).
const LP_ROUNDS: usize = 20;
/// Operator identifiers remembered per account.
const MAX_OPERATOR_KEYS: usize = 16;
/// Evidence listed on a ring alert.
const MAX_EVIDENCE: usize = 12;

/// What an identifier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Phone,
    Device,
    Card,
    /// A unit-level address (the household).
    Place,
    /// The street address without the unit (a building).
    Building,
}

impl Kind {
    /// Strong identifiers belong to one person or household: sharing one with a banned
    /// account is enough to block.
    pub fn strong(self) -> bool {
        matches!(self, Kind::Email | Kind::Phone | Kind::Device | Kind::Card)
    }

    fn words(self) -> &'static str {
        match self {
            Kind::Email => "e-mail address (normalised)",
            Kind::Phone => "phone number",
            Kind::Device => "device",
            Kind::Card => "payment card",
            Kind::Place => "address",
            Kind::Building => "building",
        }
    }

    fn entity(self) -> EntityType {
        match self {
            Kind::Email => EntityType::Email,
            Kind::Phone => EntityType::Phone,
            Kind::Device => EntityType::Device,
            Kind::Card => EntityType::Payment,
            Kind::Place | Kind::Building => EntityType::Address,
        }
    }
}

type Key = (Kind, Id);

/// Identifiers are held by their 64-bit hash (xxh3 of kind and key): an account's list of
/// identifiers is then 8 bytes per link instead of a copy of the key, which kept 1M
/// accounts with 10M links under 2 GB (measured with `clawback bench-graph`). At 10M
/// identifiers a collision has odds of about 1 in 300,000; the key is kept once, in
/// [`Holders`], for reasons and evidence.
type KeyHash = u64;

fn key_hash(k: &Key) -> KeyHash {
    let mut buf = [0u8; 1];
    buf[0] = k.0 as u8;
    xxhash_rust::xxh3::xxh3_64_with_seed(k.1.as_bytes(), u64::from(buf[0]))
}

/// Appends a key's text to the arena. Keys are capped at 64 KiB and the arena at 4 GiB;
/// past either, the text reads back shortened or empty (the hash still tells keys apart).
fn store_key(arena: &mut Vec<u8>, key: &Key) -> Holders {
    let bytes = key.1.as_bytes();
    let len = bytes.len().min(u16::MAX as usize);
    let off = u32::try_from(arena.len())
        .ok()
        .filter(|o| o.checked_add(len as u32).is_some());
    if off.is_some() {
        arena.extend_from_slice(&bytes[..len]);
    }
    Holders {
        off: off.unwrap_or(0),
        len: if off.is_some() { len as u16 } else { 0 },
        kind: key.0,
        count: 0,
        first: 0,
        more: None,
    }
}

/// Accounts holding one identifier, in first-seen order; past [`HUB`] only the count grows.
/// The first holder is stored inline: most identifiers have exactly one.
/// The key's text lives in the graph's arena (`off`, `len`), 24 bytes in all.
#[derive(Debug, Clone)]
struct Holders {
    off: u32,
    len: u16,
    kind: Kind,
    count: u32,
    first: u32,
    /// Boxed on purpose: 8 bytes instead of a `Vec`'s 24 in the 10M-entry table, and most
    /// identifiers never need it (measured: 2.13 → 1.20 GB peak with the arena).
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<u32>>>,
}

impl Holders {
    /// Adds a holder; past `cap` holders only the count grows.
    fn push(&mut self, account: u32, cap: usize) {
        if self.count == 0 {
            self.first = account;
        } else if (self.count as usize) <= cap {
            self.more.get_or_insert_with(Box::default).push(account);
        }
        self.count = self.count.saturating_add(1);
    }

    fn accounts(&self) -> impl Iterator<Item = u32> + '_ {
        let first = (self.count > 0).then_some(self.first);
        first
            .into_iter()
            .chain(self.more.iter().flat_map(|m| m.iter().copied()))
    }

    fn contains(&self, account: u32) -> bool {
        self.accounts().any(|a| a == account)
    }
}

#[derive(Debug, Default, Clone)]
struct AccountNode {
    id: Id,
    keys: Vec<KeyHash>,
    /// Identifiers that contacted support about this account and are not the holder's.
    operator_keys: Vec<KeyHash>,
    /// Refunds claimed, and their value in US cents: what makes a group of accounts tied by
    /// operators a ring worth an investigator's time.
    claims: u32,
    claim_usd_cents: i64,
    banned: bool,
    /// Shares a strong identifier with a banned account (may stay set after the identifier
    /// becomes a hub: it only lets a walk through this account happen). The one-hop walk
    /// to banned accounts looks up every identifier of every neighbour, a cache miss each:
    /// it was 90% of the slowest 2% of signups. With this flag only neighbours that can
    /// lead to a banned account are walked, and the answers are the same.
    near_banned: bool,
    /// A fraud outcome so far: a chargeback or an empty return (bans are `banned`).
    flagged: bool,
    /// Score of the last ring alert naming the account (0 when none).
    ring_score: f32,
    country: Option<Id>,
}

/// Union-find over accounts for operator rings: the connected groups that communities are
/// looked for in.
#[derive(Debug, Default)]
struct Rings {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Members per root, for groups of two or more (smaller lists are moved into larger).
    members: FxHashMap<u32, Vec<u32>>,
}

impl Rings {
    fn grow(&mut self, n: usize) {
        while self.parent.len() < n {
            self.parent.push(self.parent.len() as u32);
            self.size.push(1);
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return ra;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        let moved_members = self.members.remove(&small).unwrap_or_else(|| vec![small]);
        self.members
            .entry(big)
            .or_insert_with(|| vec![big])
            .extend(moved_members);
        big
    }
}

/// Communities found in one large operator group, reused until it grows by a tenth.
#[derive(Debug, Default)]
struct Split {
    at_size: u32,
    label: FxHashMap<u32, u32>,
}

/// Strength of a direct tie through an identifier of this kind held by `holders` accounts:
/// the type's weight (strong 1, an address half) times its [`rarity`].
fn direct_strength(kind: Kind, holders: u32) -> f64 {
    rarity(holders, HUB) * if kind.strong() { 1.0 } else { 0.5 }
}

/// Strength of a tie one strong hop further, through an identifier held by `holders`.
fn hop_strength(direct: f64, holders: u32) -> f64 {
    0.5 * direct * rarity(holders, HUB)
}

/// How much a shared identifier says about two accounts being one person (or one
/// operation), by how many accounts hold it: 1 up to three holders (a person, a
/// household), falling with the logarithm beyond, 0 past `hub`. Continuous on purpose:
/// a device shared by five accounts is weaker evidence than one shared by two, long before
/// it is a kiosk.
pub fn rarity(holders: u32, hub: usize) -> f64 {
    if holders as usize > hub {
        0.0
    } else if holders <= 3 {
        1.0
    } else {
        1.0 / (1.0 + (f64::from(holders) / 3.0).ln())
    }
}

/// The identity graph. See the module documentation.
#[derive(Debug, Default)]
pub struct IdentityGraph {
    index: GrowMap<Id, u32>,
    accounts: Vec<AccountNode>,
    holders: GrowMap<KeyHash, Holders>,
    /// Text of every identifier, once (see [`Holders`]).
    arena: Vec<u8>,
    /// Operator identifiers (contacting device/IP/phone) → accounts asked about.
    operators: GrowMap<KeyHash, Holders>,
    /// Accounts tied together by operators.
    rings: Rings,
    /// The ring alert id each reported account was last named in.
    ring_id_of: GrowMap<u32, Id>,
    /// Members of each ring alert when last emitted.
    ring_reported: GrowMap<Id, u32>,
    /// Communities of operator groups above the split bar, by union-find root.
    splits: GrowMap<u32, Split>,
    /// Operator groups larger than this (and than 1% of accounts) are split into
    /// communities; `None` means [`RING_SPLIT_MIN`].
    split_min: Option<usize>,
    /// Keys computed while assessing a signup, reused when the same event is absorbed.
    pending: Option<(Id, Id, Vec<Key>)>,
    links: u64,
    /// A banned account had more identifiers than its list keeps: `near_banned` may miss
    /// neighbours, so one-hop walks ignore it.
    walk_all: bool,
}

/// How a new account is tied to banned ones.
#[derive(Debug, Clone, PartialEq)]
pub struct BanLink {
    pub banned: Id,
    pub kind: Kind,
    pub key: Id,
    /// Through another account (one strong hop), named here.
    pub via: Option<Id>,
    /// How much the link says, in (0, 1]: the type's weight (strong 1, address 0.5, a
    /// hop halves) times the [`rarity`] of each identifier on the path.
    pub strength: f64,
}

/// Keeps `near_banned` true for every account with a strong, non-hub identifier in common
/// with a banned account, when `account` is added to the identifier's holders `h` (a free
/// function so that the caller's holder entry is used as it is, without a second lookup).
fn note_strong_link(accounts: &mut [AccountNode], h: &Holders, account: u32) {
    if accounts[account as usize].banned {
        for o in h.accounts().filter(|&a| a != account) {
            accounts[o as usize].near_banned = true;
        }
    } else if h
        .accounts()
        .any(|a| a != account && accounts[a as usize].banned)
    {
        accounts[account as usize].near_banned = true;
    }
}

impl IdentityGraph {
    fn node(&mut self, id: &Id) -> u32 {
        if let Some(&n) = self.index.get(id) {
            return n;
        }
        let n = self.accounts.len() as u32;
        self.index.insert(id.clone(), n);
        self.accounts.push(AccountNode {
            id: id.clone(),
            ..AccountNode::default()
        });
        self.rings.grow(self.accounts.len());
        n
    }

    /// Adds a holder link; returns whether it is new.
    fn link(&mut self, account: u32, key: Key) -> bool {
        let hash = key_hash(&key);
        let node = &mut self.accounts[account as usize];
        if node.keys.contains(&hash) {
            return false;
        }
        if node.keys.len() < 64 {
            node.keys.push(hash);
        }
        let h = match self.holders.entry(hash) {
            clawback_table::griddle::hash_map::Entry::Occupied(e) => e.into_mut(),
            clawback_table::griddle::hash_map::Entry::Vacant(e) => {
                e.insert(store_key(&mut self.arena, &key))
            }
        };
        h.push(account, HUB);
        self.links += 1;
        if key.0.strong() && h.count as usize <= HUB {
            note_strong_link(&mut self.accounts, h, account);
        }
        true
    }

    /// Marks the accounts sharing a strong identifier with a newly banned one.
    fn note_ban(&mut self, account: u32) {
        // Past 64 identifiers an account's list stops growing, so its neighbours cannot
        // all be found: walk every neighbour from then on, as before the flag existed.
        if self.accounts[account as usize].keys.len() >= 64 {
            self.walk_all = true;
        }
        let mut near: Vec<u32> = Vec::new();
        for k in &self.accounts[account as usize].keys {
            if let Some(h) = self
                .holders
                .get(k)
                .filter(|h| h.kind.strong() && h.count as usize <= HUB)
            {
                near.extend(h.accounts().filter(|&a| a != account));
            }
        }
        for o in near {
            self.accounts[o as usize].near_banned = true;
        }
    }

    /// Holders of an identifier other than `account`, or nothing for a hub.
    fn others(&self, key: KeyHash, account: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        let h = self.holders.get(&key).filter(|h| h.count as usize <= HUB);
        h.into_iter()
            .flat_map(|h| h.accounts())
            .filter(move |a| Some(*a) != account)
    }

    fn key_text(&self, h: &Holders) -> Id {
        let start = h.off as usize;
        let bytes = self.arena.get(start..start + h.len as usize).unwrap_or(&[]);
        Id::from(String::from_utf8_lossy(bytes))
    }

    /// Keys of an event's identifiers for the holder of `account`.
    fn holder_keys(&self, ev: &Event) -> Option<(Id, Vec<Key>)> {
        /// The identifiers an event may carry about the holder; each event sets its own.
        #[derive(Default)]
        struct Profile<'a> {
            email: Option<&'a str>,
            phone: Option<&'a str>,
            device: Option<&'a str>,
            card: Option<&'a str>,
            address: Option<&'a Address>,
        }
        fn keys_of(p: Profile<'_>, country: Option<&str>) -> Vec<Key> {
            let mut out = Vec::new();
            out.extend(p.email.and_then(keys::email).map(|k| (Kind::Email, k)));
            out.extend(
                p.phone
                    .and_then(|x| keys::phone(x, country))
                    .map(|k| (Kind::Phone, k)),
            );
            out.extend(p.device.and_then(keys::opaque).map(|k| (Kind::Device, k)));
            out.extend(p.card.and_then(keys::opaque).map(|k| (Kind::Card, k)));
            if let Some((place, building)) = p.address.and_then(keys::address) {
                out.push((Kind::Place, place));
                out.push((Kind::Building, building));
            }
            out
        }
        let (acct, profile, country) = match &ev.body {
            Body::AccountCreated(e) => (
                &e.account_id,
                Profile {
                    email: Some(&e.email),
                    phone: e.phone.as_deref(),
                    device: e.device_id.as_deref(),
                    address: e.address.as_ref(),
                    ..Profile::default()
                },
                e.address.as_ref().map(|a| a.country.clone()),
            ),
            Body::AccountUpdated(e) => (
                &e.account_id,
                Profile {
                    email: e.email.as_deref(),
                    phone: e.phone.as_deref(),
                    device: e.device_id.as_deref(),
                    address: e.address.as_ref(),
                    ..Profile::default()
                },
                e.address.as_ref().map(|a| a.country.clone()).or_else(|| {
                    self.index
                        .get(&e.account_id)
                        .and_then(|&n| self.accounts[n as usize].country.clone())
                }),
            ),
            Body::Login(e) if e.success => (
                &e.account_id,
                Profile {
                    device: e.device_id.as_deref(),
                    ..Profile::default()
                },
                None,
            ),
            Body::PaymentMethodAdded(e) => (
                &e.account_id,
                Profile {
                    card: Some(&e.payment_fingerprint),
                    ..Profile::default()
                },
                None,
            ),
            Body::OrderPlaced(e) => (
                &e.account_id,
                Profile {
                    device: e.device_id.as_deref(),
                    card: e.payment_fingerprint.as_deref(),
                    address: Some(&e.shipping_address),
                    ..Profile::default()
                },
                None,
            ),
            _ => return None,
        };
        Some((acct.clone(), keys_of(profile, country.as_deref())))
    }

    /// Banned accounts tied to these keys: directly, or through one strong hop (an account
    /// sharing a strong identifier with a banned one). Hubs are skipped.
    pub fn ban_links(&self, keys: &[Key], me: Option<u32>) -> Vec<BanLink> {
        let hashes: Vec<KeyHash> = keys.iter().map(key_hash).collect();
        self.ban_links_hashed(&hashes, me)
    }

    fn ban_links_hashed(&self, keys: &[KeyHash], me: Option<u32>) -> Vec<BanLink> {
        let mut out: Vec<BanLink> = Vec::new();
        for &hash in keys {
            let Some((kind, text, count)) = self
                .holders
                .get(&hash)
                .map(|h| (h.kind, self.key_text(h), h.count))
            else {
                continue;
            };
            let near = direct_strength(kind, count);
            for other in self.others(hash, me) {
                let o = &self.accounts[other as usize];
                if o.banned {
                    out.push(BanLink {
                        banned: o.id.clone(),
                        kind,
                        key: text.clone(),
                        via: None,
                        strength: near,
                    });
                } else if kind.strong() && (o.near_banned || self.walk_all) {
                    for &k2 in &o.keys {
                        let Some(h2) = self.holders.get(&k2) else {
                            continue;
                        };
                        if k2 == hash || !h2.kind.strong() {
                            continue;
                        }
                        for far in self.others(k2, Some(other)) {
                            let f = &self.accounts[far as usize];
                            if f.banned && Some(far) != me {
                                out.push(BanLink {
                                    banned: f.id.clone(),
                                    kind,
                                    key: text.clone(),
                                    via: Some(o.id.clone()),
                                    strength: hop_strength(near, h2.count),
                                });
                            }
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            (a.via.is_some(), !a.kind.strong(), &a.banned, a.kind)
                .cmp(&(b.via.is_some(), !b.kind.strong(), &b.banned, b.kind))
                .then(b.strength.total_cmp(&a.strength))
        });
        out.dedup_by(|a, b| a.banned == b.banned && a.kind == b.kind && a.via == b.via);
        out
    }

    /// Signals for a signup, before the account is absorbed.
    pub fn assess_signup(&mut self, e: &AccountCreated, ev: &Event, out: &mut Vec<Signal>) {
        let Some((acct, keys)) = self.holder_keys(ev) else {
            return;
        };
        let me = self.index.get(&e.account_id).copied();
        let links = self.ban_links(&keys, me);
        // Normalising (phone parsing above all) is the signup's main cost: keep the keys
        // for `observe` of the same event.
        self.pending = Some((ev.event_id.clone(), acct, keys));
        // One signal per kind of evidence, strongest first. Weak evidence (an address, one
        // hop through another account) adds up to at most WEAK_CAP log-odds: with the
        // signup prior of -4 that reaches `review` (0.5) but never `block` (0.9), so a
        // housemate of a banned person is looked at, not turned away.
        const WEAK_CAP: f64 = 4.5;
        let mut strong_direct = false;
        let mut weak_total = 0.0;
        for l in links.iter().take(4) {
            // Base weights are for a rare identifier; one shared by many accounts says
            // less (`rarity`), so a banned device that five accounts used is a review,
            // not a block.
            let (code, weight): (&str, f64) = match (l.via.is_some(), l.kind.strong(), l.kind) {
                (false, true, _) if !strong_direct => {
                    strong_direct = true;
                    // Never below a review: it is still the banned person's identifier.
                    ("linked_to_banned_account", (7.0 * l.strength).max(4.2))
                }
                (false, true, _) => continue,
                (true, true, _) => ("linked_to_banned_account_via_strong_hop", 8.4 * l.strength),
                (_, false, Kind::Place) => ("address_of_banned_account", 8.4 * l.strength),
                _ => continue,
            };
            let weight = if l.kind.strong() && l.via.is_none() {
                weight
            } else {
                let w = weight.min(WEAK_CAP - weak_total);
                if w <= 0.0 {
                    continue;
                }
                weak_total += w;
                w
            };
            let detail = match &l.via {
                None => format!(
                    "same {} as {}, closed by the retailer",
                    l.kind.words(),
                    l.banned
                ),
                Some(v) => format!(
                    "same {} as {}, which shares a strong identifier with {}, closed by the retailer",
                    l.kind.words(),
                    v,
                    l.banned
                ),
            };
            out.push(Signal::new(code, weight, detail));
        }
    }

    /// Absorbs one event; raises `ban_evasion` for strong links to banned accounts that
    /// appear after signup, and `fraud_ring` when operator links tie enough accounts.
    pub fn observe(&mut self, ev: &Event, sink: &mut AlertSink) {
        match &ev.body {
            Body::AccountClosed(c) if c.by == Some(ClosedBy::Retailer) => {
                let n = self.node(&c.account_id);
                if !self.accounts[n as usize].banned {
                    self.accounts[n as usize].banned = true;
                    self.note_ban(n);
                }
            }
            Body::SupportContact(c) => self.observe_contact(c, ev, sink),
            Body::RefundRequested(r) => {
                let n = self.node(&r.account_id);
                let a = &mut self.accounts[n as usize];
                a.claims += 1;
                a.claim_usd_cents +=
                    crate::money::usd_cents(r.money.amount_minor, &r.money.currency);
                // A first claim can carry the group over the risk bar.
                if a.claims == 1 {
                    self.maybe_alert_ring(n, ev, sink);
                }
            }
            _ => {}
        }
        let pending = self
            .pending
            .take()
            .filter(|(id, _, _)| *id == ev.event_id)
            .map(|(_, a, k)| (a, k));
        let Some((acct, keys)) = pending.or_else(|| self.holder_keys(ev)) else {
            return;
        };
        let n = self.node(&acct);
        if let Body::AccountCreated(e) = &ev.body
            && let Some(a) = &e.address
        {
            self.accounts[n as usize].country = Some(a.country.clone());
        }
        let is_signup = matches!(ev.body, Body::AccountCreated(_));
        let mut fresh: Vec<Key> = Vec::new();
        for k in keys {
            if self.link(n, k.clone()) {
                fresh.push(k);
            }
        }
        if is_signup || self.accounts[n as usize].banned {
            return;
        }
        // A strong identifier of a banned account turning up on this account later.
        let strong: Vec<Key> = fresh.into_iter().filter(|k| k.0.strong()).collect();
        let direct: Vec<BanLink> = self
            .ban_links(&strong, Some(n))
            .into_iter()
            .filter(|l| l.via.is_none())
            .collect();
        if let Some(l) = direct.first() {
            let entities = vec![
                EntityRef::new(EntityType::Account, acct.clone()),
                EntityRef::new(EntityType::Account, l.banned.clone()),
                EntityRef::new(l.kind.entity(), l.key.clone()),
            ];
            let reasons = vec![Reason::new(
                "banned_identifier_on_account",
                format!(
                    "{} now uses the {} of {}, closed by the retailer",
                    acct,
                    l.kind.words(),
                    l.banned
                ),
            )];
            sink.raise(
                ev,
                Id::from(format!("ban_evasion:{acct}")),
                "ban_evasion",
                0.9,
                entities,
                reasons,
            );
        }
    }

    fn observe_contact(&mut self, c: &SupportContact, ev: &Event, sink: &mut AlertSink) {
        let Some(acct) = &c.account_id else {
            return;
        };
        let n = self.node(acct);
        let country = self.accounts[n as usize].country.clone();
        let mut keys: Vec<Key> = Vec::new();
        if let Some(d) = c.device_id.as_deref().and_then(keys::opaque) {
            keys.push((Kind::Device, d));
        }
        if let Some(p) = c
            .caller_phone
            .as_deref()
            .and_then(|p| keys::phone(p, country.as_deref()))
        {
            keys.push((Kind::Phone, p));
        }
        // The contacting IP is left out: proxies and carrier NAT put unrelated people
        // behind one address, and a ring tied only by an IP welded honest accounts into
        // gangs (measured: ring precision 0.55 with IPs).
        let mut touched = None;
        for key in keys {
            let hash = key_hash(&key);
            // The holder's own identifier is not an operator's.
            let node = &self.accounts[n as usize];
            if node.keys.contains(&hash) {
                continue;
            }
            // Already asked about this account (the node's list is capped; past the cap,
            // the identifier's own list answers).
            let full = node.operator_keys.len() >= MAX_OPERATOR_KEYS;
            if node.operator_keys.contains(&hash) && !full {
                continue;
            }
            let h = match self.operators.entry(hash) {
                clawback_table::griddle::hash_map::Entry::Occupied(e) => e.into_mut(),
                clawback_table::griddle::hash_map::Entry::Vacant(e) => {
                    e.insert(store_key(&mut self.arena, &key))
                }
            };
            if full && h.contains(n) {
                continue;
            }
            h.push(n, OPERATOR_HUB);
            let count = h.count as usize;
            // When the identifier reaches the bar its holders are joined; after that they
            // are one group already and the newcomer joins the first of them.
            let members: Vec<u32> = if count == OPERATOR_MIN_ACCOUNTS {
                h.accounts().collect()
            } else {
                vec![h.first]
            };
            let node = &mut self.accounts[n as usize];
            if node.operator_keys.len() < MAX_OPERATOR_KEYS {
                node.operator_keys.push(hash);
            }
            if (OPERATOR_MIN_ACCOUNTS..=OPERATOR_HUB).contains(&count) {
                for m in members {
                    touched = Some(self.rings.union(m, n));
                }
            }
        }
        if let Some(root) = touched {
            self.maybe_alert_ring(root, ev, sink);
        }
    }

    /// The size above which an operator group is split into communities.
    fn split_bar(&self) -> usize {
        self.split_min
            .unwrap_or(RING_SPLIT_MIN)
            .max(self.accounts.len() / 100)
    }

    /// Sets the split bar (tests: small worlds never reach the default).
    pub fn set_split_min(&mut self, min: usize) {
        self.split_min = Some(min);
    }

    fn maybe_alert_ring(&mut self, root: u32, ev: &Event, sink: &mut AlertSink) {
        let root = self.rings.find(root);
        let size = self.rings.size[root as usize] as usize;
        if size < RING_MIN_ACCOUNTS {
            return;
        }
        let mut members: Vec<u32> = self.rings.members.get(&root).cloned().unwrap_or_default();
        members.sort_unstable();
        let claimants = members
            .iter()
            .filter(|&&m| self.accounts[m as usize].claims > 0)
            .count();
        if claimants < RING_MIN_CLAIMANTS {
            return;
        }
        let mut taken = std::collections::BTreeSet::new();
        if size <= self.split_bar() {
            self.report_ring(&members, &mut taken, ev, sink);
            return;
        }
        // Largest communities first: when a ring is split, its id stays with the bigger part.
        let mut groups = self.communities(root, &members);
        groups.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        for group in groups {
            self.report_ring(&group, &mut taken, ev, sink);
        }
    }

    /// Operator identifiers that tie accounts (between the bar and the hub), with their
    /// holder counts.
    fn tying_operator_keys(&self, account: u32) -> impl Iterator<Item = (KeyHash, u32)> + '_ {
        self.accounts[account as usize]
            .operator_keys
            .iter()
            .filter_map(|k| self.operators.get(k).map(|h| (*k, h.count)))
            .filter(|(_, c)| (OPERATOR_MIN_ACCOUNTS..=OPERATOR_HUB).contains(&(*c as usize)))
    }

    /// Splits a large operator group into communities (label propagation over accounts and
    /// their operator identifiers, each identifier weighted by its rarity). The split is
    /// recomputed when the group has grown by a tenth; in between, newcomers join the
    /// community their identifiers point to.
    fn communities(&mut self, root: u32, members: &[u32]) -> Vec<Vec<u32>> {
        let stale = self
            .splits
            .get(&root)
            .is_none_or(|s| members.len() as u64 * 10 >= u64::from(s.at_size) * 11);
        if stale {
            let mut key_index: FxHashMap<KeyHash, u32> = FxHashMap::default();
            let mut incidence: Vec<crate::communities::Incidence> =
                Vec::with_capacity(members.len());
            for &m in members {
                let mut inc = Vec::new();
                for (k, count) in self.tying_operator_keys(m) {
                    let next = key_index.len() as u32;
                    let ki = *key_index.entry(k).or_insert(next);
                    // A busier identifier ties each of its accounts more loosely.
                    inc.push((ki, (1.0 / (1.0 + f64::from(count)).ln()) as f32));
                }
                incidence.push(inc);
            }
            let labels =
                crate::communities::label_propagation(&incidence, key_index.len(), LP_ROUNDS);
            let label = members
                .iter()
                .zip(&labels)
                .map(|(&m, &l)| (m, members[l as usize]))
                .collect();
            self.splits.insert(
                root,
                Split {
                    at_size: members.len() as u32,
                    label,
                },
            );
        }
        let mut by_label: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
        for &m in members {
            let l = match self.splits.get(&root).and_then(|s| s.label.get(&m)) {
                Some(&l) => l,
                None => self.newcomer_label(root, m),
            };
            by_label.entry(l).or_default().push(m);
        }
        by_label.into_values().collect()
    }

    /// The community a member who joined since the last split belongs to: the label most of
    /// its operator identifiers' holders carry.
    fn newcomer_label(&self, root: u32, m: u32) -> u32 {
        let Some(split) = self.splits.get(&root) else {
            return m;
        };
        let mut tally: std::collections::BTreeMap<u32, u32> = Default::default();
        for (k, _) in self.tying_operator_keys(m) {
            if let Some(h) = self.operators.get(&k) {
                for a in h.accounts() {
                    if let Some(&l) = split.label.get(&a) {
                        *tally.entry(l).or_default() += 1;
                    }
                }
            }
        }
        tally
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map_or(m, |t| t.0)
    }

    /// Raises (or re-raises) the `fraud_ring` alert for one community when it crosses the
    /// bar or its membership changed. The alert continues the ring most of its members were
    /// last named in, so a growing ring keeps its id and rings that merge say so.
    fn report_ring(
        &mut self,
        members: &[u32],
        taken: &mut std::collections::BTreeSet<Id>,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        if members.len() < RING_MIN_ACCOUNTS {
            return;
        }
        // Claimants, claims and their value in one pass over the members.
        let (mut claimants, mut claims, mut value) = (0usize, 0u32, 0i64);
        for &m in members {
            let a = &self.accounts[m as usize];
            claimants += usize::from(a.claims > 0);
            claims += a.claims;
            value += a.claim_usd_cents;
        }
        if claimants < RING_MIN_CLAIMANTS {
            return;
        }
        let mut earlier: std::collections::BTreeMap<&Id, u32> = Default::default();
        let mut unnamed = 0usize;
        for m in members {
            match self.ring_id_of.get(m) {
                Some(id) => *earlier.entry(id).or_default() += 1,
                None => unnamed += 1,
            }
        }
        let continued: Option<Id> = earlier
            .iter()
            .filter(|(id, _)| !taken.contains(**id))
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(id, _)| (*id).clone());
        let moved = earlier.len() > 1
            || continued.as_ref().is_some_and(|id| {
                self.ring_reported.get(id).copied() != Some(members.len() as u32)
            });
        if continued.is_some() && unnamed == 0 && !moved {
            return;
        }
        let absorbed: Vec<Id> = earlier
            .keys()
            .filter(|id| Some(**id) != continued.as_ref())
            .map(|id| (*id).clone())
            .collect();
        // The identifiers that tie the most members, busiest first.
        let inside: rustc_hash::FxHashSet<u32> = members.iter().copied().collect();
        let mut tying: Vec<(u32, Kind, Id)> = Vec::new();
        let mut seen: rustc_hash::FxHashSet<KeyHash> = Default::default();
        for &m in members {
            for (k, _) in self.tying_operator_keys(m) {
                if !seen.insert(k) {
                    continue;
                }
                if let Some(h) = self.operators.get(&k) {
                    let n = h.accounts().filter(|a| inside.contains(a)).count() as u32;
                    if n >= 2 {
                        tying.push((n, h.kind, self.key_text(h)));
                    }
                }
            }
        }
        tying.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, &a.2).cmp(&(b.1, &b.2))));
        tying.truncate(MAX_EVIDENCE);
        let id = continued.unwrap_or_else(|| {
            let anchor = tying.first().map_or_else(
                || self.accounts[members[0] as usize].id.clone(),
                |t| t.2.clone(),
            );
            Id::from(format!("fraud_ring:{anchor}"))
        });
        let mut entities: Vec<EntityRef> = members
            .iter()
            .map(|&m| EntityRef::new(EntityType::Account, self.accounts[m as usize].id.clone()))
            .collect();
        entities.extend(
            tying
                .iter()
                .map(|t| EntityRef::new(t.1.entity(), t.2.clone())),
        );
        let words: Vec<String> = tying
            .iter()
            .take(3)
            .map(|t| format!("{} {} ({} accounts)", t.1.words(), t.2, t.0))
            .collect();
        let mut reasons = vec![
            Reason::new(
                "shared_support_operators",
                format!(
                    "{} accounts whose support contacts came from the same operators: {}",
                    members.len(),
                    words.join(", ")
                ),
            ),
            Reason::new(
                "ring_claims",
                format!(
                    "{claimants} of them claimed {claims} refunds worth {}",
                    crate::money::dollars(value)
                ),
            ),
        ];
        if !absorbed.is_empty() {
            let names: Vec<&str> = absorbed.iter().take(5).map(|i| i.as_str()).collect();
            reasons.push(Reason::new(
                "rings_merged",
                format!(
                    "continues {} and takes in {} earlier ring alert{}: {}{}",
                    id,
                    absorbed.len(),
                    if absorbed.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    if absorbed.len() > 5 { ", …" } else { "" }
                ),
            ));
        }
        // Risk grows with how many members claim: operators with one claimant are helpers,
        // with many they are a service.
        let score = 1.0 - 0.5f64.powf(claimants as f64 / 2.0);
        for &m in members {
            self.ring_id_of.insert(m, id.clone());
            self.accounts[m as usize].ring_score = score as f32;
        }
        self.ring_reported.insert(id.clone(), members.len() as u32);
        taken.insert(id.clone());
        sink.raise(ev, id, "fraud_ring", score, entities, reasons);
    }

    /// Records a fraud outcome on an account (a chargeback, a return received empty or
    /// wrong): its neighbours' refunds then see it in `neighbour_fraud_share`.
    pub fn note_outcome(&mut self, account: &Id) {
        if let Some(&n) = self.index.get(account) {
            self.accounts[n as usize].flagged = true;
        }
    }

    /// Graph facts about an account, for the refund features.
    pub fn account_facts(&mut self, account: &Id) -> GraphFacts {
        let Some(&n) = self.index.get(account) else {
            return GraphFacts::default();
        };
        let root = self.rings.find(n);
        let ring = self.rings.size[root as usize];
        let mut facts = GraphFacts {
            ring_accounts: if ring as usize >= RING_MIN_ACCOUNTS {
                ring
            } else {
                0
            },
            ring_score: self.accounts[n as usize].ring_score,
            ..GraphFacts::default()
        };
        // Counting only, without building reasons: this runs for every refund request.
        for &k in &self.accounts[n as usize].keys {
            let Some(h) = self.holders.get(&k).filter(|h| h.count as usize <= HUB) else {
                continue;
            };
            if h.kind == Kind::Building {
                continue;
            }
            let strong = h.kind.strong();
            let near = direct_strength(h.kind, h.count);
            for other in h.accounts().filter(|&a| a != n) {
                let o = &self.accounts[other as usize];
                facts.linked_accounts += u32::from(strong);
                facts.neighbours += 1;
                facts.neighbours_flagged += u32::from(o.banned || o.flagged);
                if o.banned {
                    if strong {
                        facts.banned_strong += 1;
                    } else {
                        facts.banned_weak += 1;
                    }
                    facts.banned_strength = facts.banned_strength.max(near as f32);
                } else if strong && (o.near_banned || self.walk_all) {
                    for &k2 in &o.keys {
                        if k2 == k {
                            continue;
                        }
                        let Some(h2) = self.holders.get(&k2).filter(|h2| h2.kind.strong()) else {
                            continue;
                        };
                        let far_banned = self
                            .others(k2, Some(other))
                            .filter(|&far| far != n && self.accounts[far as usize].banned)
                            .count() as u32;
                        if far_banned > 0 {
                            facts.banned_weak += far_banned;
                            let hop = hop_strength(near, h2.count);
                            facts.banned_strength = facts.banned_strength.max(hop as f32);
                        }
                    }
                }
            }
        }
        facts
    }

    /// Read-only look-up for the insider detector: how many accounts hold this device, and
    /// how many accounts it contacted support about as an operator.
    pub fn device_reach(&self, device: &str) -> (u32, u32) {
        let Some(key) = keys::opaque(device) else {
            return (0, 0);
        };
        let hash = key_hash(&(Kind::Device, key));
        let held = self.holders.get(&hash).map_or(0, |h| h.count);
        let asked = self.operators.get(&hash).map_or(0, |h| h.count);
        (held, asked)
    }

    /// Accounts in the account's operator ring (0 when not in one of
    /// [`RING_MIN_ACCOUNTS`] or more); cheap, unlike [`Self::account_facts`].
    pub fn ring_accounts(&mut self, account: &Id) -> u32 {
        let Some(&n) = self.index.get(account) else {
            return 0;
        };
        let root = self.rings.find(n);
        let size = self.rings.size[root as usize];
        if size as usize >= RING_MIN_ACCOUNTS {
            size
        } else {
            0
        }
    }

    /// The account's operator ring right now (a root that only compares equal with other
    /// accounts' roots at the same moment), or `None` when it is not in one.
    pub fn ring_of(&mut self, account: &Id) -> Option<u32> {
        let &n = self.index.get(account)?;
        let root = self.rings.find(n);
        (self.rings.size[root as usize] as usize >= RING_MIN_ACCOUNTS).then_some(root)
    }

    /// Sizes the graph for about `accounts` accounts with the holder links a signup brings
    /// (five: e-mail, phone, device, place, building). See `Engine::reserve_accounts`.
    pub fn reserve_accounts(&mut self, accounts: usize) {
        self.index.reserve(accounts);
        self.accounts.reserve(accounts);
        self.rings.parent.reserve(accounts);
        self.rings.size.reserve(accounts);
        self.holders.reserve(accounts * 5);
        self.arena.reserve(accounts * 5 * 24);
    }

    /// Accounts, holder links and operator identifiers held, for memory reporting.
    pub fn sizes(&self) -> (usize, u64, usize) {
        (self.accounts.len(), self.links, self.operators.len())
    }
}

/// What the graph says about one account.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GraphFacts {
    /// Accounts in its operator ring (0 when not in one).
    pub ring_accounts: u32,
    /// Score of the last `fraud_ring` alert naming it (0 when none).
    pub ring_score: f32,
    /// Strongest tie to a banned account, in [0, 1]: type weight × rarity, a hop halves.
    pub banned_strength: f32,
    /// Holder links to other accounts (e-mail, phone, device, card, household address;
    /// hubs and buildings excluded), and how many of those accounts have a fraud outcome
    /// so far (banned, a chargeback, an empty return).
    pub neighbours: u32,
    pub neighbours_flagged: u32,
    /// Banned accounts sharing a strong identifier with it.
    pub banned_strong: u32,
    /// Banned accounts tied by an address or one strong hop.
    pub banned_weak: u32,
    /// Other accounts sharing a strong identifier (not hubs).
    pub linked_accounts: u32,
}

#[cfg(test)]
mod tests {
    use crate::Engine;
    use clawback_events::output::{Alert, Outcome};
    use clawback_events::{Event, parse_line};

    fn ev(n: u32, ty: &str, ts_min: u32, fields: &str) -> Event {
        let line = format!(
            r#"{{"event_id":"e{n}","type":"{ty}","ts":"2026-11-01T{:02}:{:02}:00Z",{fields}}}"#,
            ts_min / 60,
            ts_min % 60
        );
        parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn signup(n: u32, t: u32, acct: &str, extra: &str) -> Event {
        ev(
            n,
            "account_created",
            t,
            &format!(r#""account_id":"{acct}",{extra}"#),
        )
    }

    fn ban(n: u32, t: u32, acct: &str) -> Event {
        ev(
            n,
            "account_closed",
            t,
            &format!(r#""account_id":"{acct}","by":"retailer""#),
        )
    }

    fn decide(e: &mut Engine, x: &Event) -> (Outcome, Vec<String>) {
        let out = e.apply(x);
        let d = &out.decisions[0];
        (
            d.decision,
            d.reasons.iter().map(|r| r.code.to_string()).collect(),
        )
    }

    const ADDR_A: &str = r#""address":{"line1":"12 Main Street","line2":"Apt 4","city":"Leeds","postal_code":"LS1 1AA","country":"GB"}"#;

    /// The one-hop tie is found whichever came first: the ban, or the links that make the
    /// hop (the walk only visits neighbours known to touch a banned account).
    #[test]
    fn a_strong_hop_to_a_banned_account_is_found_whether_the_ban_came_first_or_last() {
        let hop = |ban_first: bool| {
            let mut e = Engine::baseline();
            let mut n = 0;
            let mut next = || {
                n += 1;
                n
            };
            e.apply(&signup(next(), 0, "bad", r#""email":"bad@example.com""#));
            if ban_first {
                e.apply(&ban(next(), 1, "bad"));
            }
            // The banned person's device, then a friend's account on the same device with
            // the friend's own phone.
            e.apply(&signup(
                next(),
                2,
                "friend",
                r#""email":"friend@example.com","phone":"+447700900123","device_id":"dev-shared""#,
            ));
            e.apply(&ev(
                next(),
                "login",
                3,
                r#""account_id":"bad","success":true,"device_id":"dev-shared""#,
            ));
            if !ban_first {
                e.apply(&ban(next(), 4, "bad"));
            }
            let id = next();
            decide(
                &mut e,
                &signup(
                    id,
                    10,
                    "new",
                    r#""email":"n@example.com","phone":"07700 900123",
                    "address":{"line1":"1 High St","city":"York","postal_code":"YO1 7HH","country":"GB"}"#,
                ),
            )
        };
        for ban_first in [true, false] {
            let (o, why) = hop(ban_first);
            assert_ne!(o, Outcome::Allow, "ban first: {ban_first}");
            assert!(
                why.iter()
                    .any(|w| w == "linked_to_banned_account_via_strong_hop"),
                "ban first: {ban_first}: {why:?}"
            );
        }
    }

    #[test]
    fn a_banned_device_blocks_and_an_address_alone_is_only_a_review() {
        let mut e = Engine::baseline();
        e.apply(&signup(
            1,
            0,
            "bad",
            &format!(r#""email":"bad@example.com","device_id":"dev-x",{ADDR_A}"#),
        ));
        e.apply(&ban(2, 10, "bad"));
        let (o, why) = decide(
            &mut e,
            &signup(
                3,
                20,
                "back",
                r#""email":"new@example.com","device_id":"dev-x""#,
            ),
        );
        assert_eq!(o, Outcome::Block, "{why:?}");
        assert_eq!(why[0], "linked_to_banned_account");
        // A housemate: same flat, nothing else shared.
        let (o, why) = decide(
            &mut e,
            &signup(
                4,
                30,
                "mate",
                &format!(r#""email":"mate@example.com",{ADDR_A}"#),
            ),
        );
        assert_eq!(o, Outcome::Review, "{why:?}");
        assert_eq!(why[0], "address_of_banned_account");
        // A neighbour in another flat of the building: nothing.
        let (o, _) = decide(
            &mut e,
            &signup(
                5,
                40,
                "nb",
                r#""email":"nb@example.com","address":{"line1":"12 Main Street","line2":"Apt 9","city":"Leeds","postal_code":"LS1 1AA","country":"GB"}"#,
            ),
        );
        assert_eq!(o, Outcome::Allow);
    }

    #[test]
    fn a_banned_card_turning_up_later_raises_ban_evasion() {
        let mut e = Engine::baseline();
        e.apply(&ev(
            1,
            "payment_method_added",
            0,
            r#""account_id":"bad","payment_fingerprint":"pf-1""#,
        ));
        e.apply(&ban(2, 5, "bad"));
        let (o, _) = decide(&mut e, &signup(3, 10, "new", r#""email":"n@example.com""#));
        assert_eq!(o, Outcome::Allow);
        let out = e.apply(&ev(
            4,
            "payment_method_added",
            20,
            r#""account_id":"new","payment_fingerprint":"pf-1""#,
        ));
        let a: Vec<&Alert> = out
            .alerts
            .iter()
            .filter(|a| a.kind == "ban_evasion")
            .collect();
        assert_eq!(a.len(), 1);
        assert!(a[0].entities.iter().any(|x| x.id == "bad"));
        assert!(a[0].entities.iter().any(|x| x.id == "pf-1"));
    }

    #[test]
    fn operators_tie_accounts_into_one_ring_whose_alert_keeps_its_id_as_it_grows() {
        let mut e = Engine::baseline();
        let mut n = 0;
        let mut rings: Vec<Alert> = Vec::new();
        let contact = |e: &mut Engine, n: &mut u32, i: u32, acct: &str| -> Vec<Alert> {
            *n += 1;
            e.apply(&signup(
                *n,
                i,
                acct,
                &format!(r#""email":"{acct}@example.com","device_id":"own-{acct}""#),
            ));
            *n += 1;
            let out = e.apply(&ev(
                *n,
                "support_contact",
                100 + i,
                &format!(
                    r#""contact_id":"k{i}","employee_id":"emp","channel":"chat","identity_verified":false,"account_id":"{acct}","device_id":"op-dev""#
                ),
            ));
            out.alerts
                .into_iter()
                .filter(|a| a.kind == "fraud_ring")
                .collect()
        };
        for (i, acct) in ["c1", "c2", "c3", "c4"].iter().enumerate() {
            rings.extend(contact(&mut e, &mut n, i as u32, acct));
        }
        assert!(
            rings.is_empty(),
            "tied by an operator but nobody claimed: a helper, not a ring"
        );
        for (i, acct) in ["c1", "c2"].iter().enumerate() {
            let out = e.apply(&ev(
                500 + i as u32,
                "refund_requested",
                300 + i as u32,
                &format!(
                    r#""refund_id":"r{i}","order_id":"o{i}","account_id":"{acct}","amount_minor":99900,"currency":"USD","reason":"not_received","channel":"chat""#
                ),
            ));
            rings.extend(out.alerts.into_iter().filter(|a| a.kind == "fraud_ring"));
        }
        assert_eq!(rings.len(), 1, "raised when the second member claims");
        rings.extend(contact(&mut e, &mut n, 9, "c5"));
        assert_eq!(rings.len(), 2, "re-raised as it grows");
        assert!(rings.iter().all(|a| a.alert_id == rings[0].alert_id));
        let last = &rings[1];
        let accounts = last
            .entities
            .iter()
            .filter(|x| x.kind == clawback_events::output::EntityType::Account)
            .count();
        assert_eq!(accounts, 5);
        assert!(last.entities.iter().any(|x| x.id == "op-dev"));
        assert!(
            last.reasons[1]
                .detail
                .contains("2 of them claimed 2 refunds"),
            "{:?}",
            last.reasons
        );
        // The holder contacting about their own account adds nothing.
        let out = e.apply(&ev(
            99,
            "support_contact",
            200,
            r#""contact_id":"own","employee_id":"emp","channel":"chat","identity_verified":true,"account_id":"c1","device_id":"own-c1""#,
        ));
        assert!(out.alerts.iter().all(|a| a.kind != "fraud_ring"));
    }

    /// Support contact about `acct` from an operator's device.
    fn contact(n: u32, t: u32, acct: &str, device: &str) -> Event {
        ev(
            n,
            "support_contact",
            t,
            &format!(
                r#""contact_id":"k{n}","employee_id":"emp","channel":"chat","identity_verified":false,"account_id":"{acct}","device_id":"{device}""#
            ),
        )
    }

    fn claim(n: u32, t: u32, acct: &str) -> Event {
        ev(
            n,
            "refund_requested",
            t,
            &format!(
                r#""refund_id":"r{n}","order_id":"o{n}","account_id":"{acct}","amount_minor":99900,"currency":"USD","reason":"not_received","channel":"chat""#
            ),
        )
    }

    #[test]
    fn a_large_group_bridged_by_one_gateway_is_reported_as_two_rings() {
        let mut e = Engine::baseline();
        e.graph.set_split_min(8);
        let mut n = 0;
        let mut alerts: Vec<Alert> = Vec::new();
        // Two services of eight clients, each served by its own two operator devices.
        for (svc, ops) in [("a", ["op-a1", "op-a2"]), ("b", ["op-b1", "op-b2"])] {
            for i in 0..8 {
                let acct = format!("{svc}{i}");
                for op in ops {
                    n += 1;
                    alerts.extend(e.apply(&contact(n, n, &acct, op)).alerts);
                }
                n += 1;
                alerts.extend(e.apply(&claim(n, n, &acct)).alerts);
            }
        }
        // A VoIP gateway both services' callers went through: it joins the two groups.
        for acct in ["a0", "a1", "b0"] {
            n += 1;
            alerts.extend(e.apply(&contact(n, n, acct, "gateway")).alerts);
        }
        let rings: Vec<&Alert> = alerts.iter().filter(|a| a.kind == "fraud_ring").collect();
        // The last alert per id names that ring's members.
        let mut last: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for a in &rings {
            let members = a
                .entities
                .iter()
                .filter(|x| x.kind == clawback_events::output::EntityType::Account)
                .map(|x| x.id.to_string())
                .collect();
            last.insert(a.alert_id.as_str(), members);
        }
        let ids: Vec<&&str> = last.keys().collect();
        assert_eq!(last.len(), 2, "{ids:?}");
        for members in last.values() {
            let svc = &members[0][..1];
            assert_eq!(members.len(), 8, "{members:?}");
            assert!(members.iter().all(|m| m.starts_with(svc)), "{members:?}");
        }
    }

    #[test]
    fn a_banned_device_shared_by_many_accounts_is_a_review_not_a_block() {
        let mut e = Engine::baseline();
        for i in 0..7 {
            e.apply(&signup(
                i,
                i,
                &format!("s{i}"),
                &format!(r#""email":"s{i}@example.com","device_id":"family-tablet""#),
            ));
        }
        e.apply(&ban(100, 50, "s0"));
        let (o, why) = decide(
            &mut e,
            &signup(
                101,
                60,
                "new",
                r#""email":"new@example.com","device_id":"family-tablet""#,
            ),
        );
        assert_eq!(o, Outcome::Review, "{why:?}");
        assert_eq!(why[0], "linked_to_banned_account");
    }

    #[test]
    fn a_chargeback_on_a_linked_account_shows_in_the_neighbours_share() {
        use crate::features::F;
        let mut e = Engine::baseline();
        e.capture_features(true);
        let card = r#""payment_fingerprint":"pf-shared""#;
        for (i, acct) in ["x", "y"].iter().enumerate() {
            let i = i as u32;
            e.apply(&signup(
                i,
                i,
                acct,
                &format!(r#""email":"{acct}@example.com""#),
            ));
            e.apply(&ev(
                10 + i,
                "order_placed",
                10 + i,
                &format!(
                    r#""order_id":"o-{acct}","account_id":"{acct}","items":[],"amount_minor":5000,"currency":"USD","shipping_address":{{"line1":"1 A St","city":"York","postal_code":"YO1 1AA","country":"GB"}},{card}"#
                ),
            ));
        }
        let share = |e: &mut Engine, n: u32| -> f32 {
            let out = e.apply(&ev(
                n,
                "refund_requested",
                n,
                r#""refund_id":"rf","order_id":"o-y","account_id":"y","amount_minor":5000,"currency":"USD","reason":"damaged","channel":"web""#,
            ));
            out.features
                .map_or(-1.0, |f| f[F::NeighbourFraudShare as usize])
        };
        assert_eq!(share(&mut e, 30), 0.0);
        e.apply(&ev(
            40,
            "chargeback",
            40,
            r#""order_id":"o-x","amount_minor":5000,"currency":"USD""#,
        ));
        assert_eq!(share(&mut e, 50), 1.0);
    }

    #[test]
    fn a_hub_links_nobody() {
        let mut e = Engine::baseline();
        for i in 0..(super::HUB as u32 + 5) {
            e.apply(&signup(
                i,
                i,
                &format!("a{i}"),
                &format!(r#""email":"a{i}@example.com","device_id":"kiosk""#),
            ));
        }
        e.apply(&ban(1000, 200, "a0"));
        let (o, _) = decide(
            &mut e,
            &signup(
                1001,
                300,
                "z",
                r#""email":"z@example.com","device_id":"kiosk""#,
            ),
        );
        assert_eq!(
            o,
            Outcome::Allow,
            "a device shared by dozens is a kiosk, not a person"
        );
    }
}
