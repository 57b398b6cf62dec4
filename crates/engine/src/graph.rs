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
use rustc_hash::FxHashMap;

/// An identifier held by more accounts than this is a hub (carrier IP, apartment block,
/// shared device) and links nobody.
pub const HUB: usize = 25;
/// A contacting identifier starts tying accounts into a ring once it asked about this many.
pub const OPERATOR_MIN_ACCOUNTS: usize = 3;
/// Smallest group reported as a `fraud_ring`.
pub const RING_MIN_ACCOUNTS: usize = 3;
/// A group is reported once this many of its members have claimed refunds: someone who
/// helps three relatives with their accounts ties them too, but does not claim for them.
pub const RING_MIN_CLAIMANTS: usize = 2;
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
    fn push(&mut self, account: u32) {
        if self.count == 0 {
            self.first = account;
        } else if (self.count as usize) <= HUB {
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
    country: Option<Id>,
}

/// Union-find over accounts for operator rings.
#[derive(Debug, Default)]
struct Rings {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Members per root, for groups of two or more (smaller lists are moved into larger).
    members: FxHashMap<u32, Vec<u32>>,
    /// Per root: the alert id once the ring was reported, and its size then.
    alerted: FxHashMap<u32, (Id, u32)>,
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

    /// Joins two groups; the older alert id (if any) survives.
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
        let moved = self.alerted.remove(&small);
        match (self.alerted.get(&big).cloned(), moved) {
            (None, Some(m)) => {
                self.alerted.insert(big, m);
            }
            (Some(b), Some(m)) if m.0 < b.0 => {
                self.alerted.insert(big, m);
            }
            _ => {}
        }
        big
    }
}

/// The identity graph. See the module documentation.
#[derive(Debug, Default)]
pub struct IdentityGraph {
    index: FxHashMap<Id, u32>,
    accounts: Vec<AccountNode>,
    holders: FxHashMap<KeyHash, Holders>,
    /// Text of every identifier, once (see [`Holders`]).
    arena: Vec<u8>,
    /// Operator identifiers (contacting device/IP/phone) → accounts asked about.
    operators: FxHashMap<KeyHash, Holders>,
    /// Accounts tied together by operators.
    rings: Rings,
    /// Keys computed while assessing a signup, reused when the same event is absorbed.
    pending: Option<(Id, Id, Vec<Key>)>,
    links: u64,
}

/// How a new account is tied to banned ones.
#[derive(Debug, Clone, PartialEq)]
pub struct BanLink {
    pub banned: Id,
    pub kind: Kind,
    pub key: Id,
    /// Through another account (one strong hop), named here.
    pub via: Option<Id>,
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
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(store_key(&mut self.arena, &key))
            }
        };
        h.push(account);
        self.links += 1;
        true
    }

    /// Holders of an identifier other than `account`, or nothing for a hub.
    fn others(&self, key: KeyHash, account: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        let h = self.holders.get(&key).filter(|h| h.count as usize <= HUB);
        h.into_iter()
            .flat_map(|h| h.accounts())
            .filter(move |a| Some(*a) != account)
    }

    fn kind_of(&self, key: KeyHash) -> Option<Kind> {
        self.holders.get(&key).map(|h| h.kind)
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
            let Some(key) = self.holders.get(&hash).map(|h| (h.kind, self.key_text(h))) else {
                continue;
            };
            for other in self.others(hash, me) {
                let o = &self.accounts[other as usize];
                if o.banned {
                    out.push(BanLink {
                        banned: o.id.clone(),
                        kind: key.0,
                        key: key.1.clone(),
                        via: None,
                    });
                } else if key.0.strong() {
                    let strong = o
                        .keys
                        .iter()
                        .copied()
                        .filter(|k| *k != hash && self.kind_of(*k).is_some_and(Kind::strong));
                    for k2 in strong {
                        for far in self.others(k2, Some(other)) {
                            let f = &self.accounts[far as usize];
                            if f.banned && Some(far) != me {
                                out.push(BanLink {
                                    banned: f.id.clone(),
                                    kind: key.0,
                                    key: key.1.clone(),
                                    via: Some(o.id.clone()),
                                });
                            }
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            (a.via.is_some(), !a.kind.strong(), &a.banned, a.kind).cmp(&(
                b.via.is_some(),
                !b.kind.strong(),
                &b.banned,
                b.kind,
            ))
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
            let (code, weight): (&str, f64) = match (l.via.is_some(), l.kind.strong(), l.kind) {
                (false, true, _) if !strong_direct => {
                    strong_direct = true;
                    ("linked_to_banned_account", 7.0)
                }
                (false, true, _) => continue,
                (true, true, _) => ("linked_to_banned_account_via_strong_hop", 4.2),
                (_, false, Kind::Place) => ("address_of_banned_account", 4.2),
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
                self.accounts[n as usize].banned = true;
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
            if self.accounts[n as usize].keys.contains(&hash) {
                continue;
            }
            let h = match self.operators.entry(hash) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(store_key(&mut self.arena, &key))
                }
            };
            if h.contains(n) {
                continue;
            }
            h.push(n);
            let count = h.count as usize;
            let members: Vec<u32> = h.accounts().collect();
            let node = &mut self.accounts[n as usize];
            if node.operator_keys.len() < 16 {
                node.operator_keys.push(hash);
            }
            if (OPERATOR_MIN_ACCOUNTS..=HUB).contains(&count) {
                for m in members {
                    touched = Some(self.rings.union(m, n));
                }
            }
        }
        if let Some(root) = touched {
            self.maybe_alert_ring(root, ev, sink);
        }
    }

    fn maybe_alert_ring(&mut self, root: u32, ev: &Event, sink: &mut AlertSink) {
        let root = self.rings.find(root);
        let size = self.rings.size[root as usize];
        if (size as usize) < RING_MIN_ACCOUNTS {
            return;
        }
        let prev = self.rings.alerted.get(&root).cloned();
        if let Some((_, at)) = &prev
            && *at >= size
        {
            return;
        }
        // Members and the identifiers that tie them, for the investigator.
        let mut members: Vec<u32> = self.rings.members.get(&root).cloned().unwrap_or_default();
        members.sort_unstable();
        let claimants = members
            .iter()
            .filter(|&&m| self.accounts[m as usize].claims > 0)
            .count();
        if claimants < RING_MIN_CLAIMANTS {
            return;
        }
        let claims: u32 = members
            .iter()
            .map(|&m| self.accounts[m as usize].claims)
            .sum();
        let value: i64 = members
            .iter()
            .map(|&m| self.accounts[m as usize].claim_usd_cents)
            .sum();
        let mut evidence: Vec<Key> = Vec::new();
        for &m in &members {
            for k in &self.accounts[m as usize].operator_keys {
                if let Some(h) = self.operators.get(k)
                    && evidence.len() < MAX_EVIDENCE
                    && (OPERATOR_MIN_ACCOUNTS..=HUB).contains(&(h.count as usize))
                {
                    let key = (h.kind, self.key_text(h));
                    if !evidence.contains(&key) {
                        evidence.push(key);
                    }
                }
            }
        }
        let id = match prev {
            Some((id, _)) => id,
            None => {
                let first = evidence
                    .first()
                    .map_or_else(|| self.accounts[root as usize].id.clone(), |k| k.1.clone());
                Id::from(format!("fraud_ring:{first}"))
            }
        };
        self.rings.alerted.insert(root, (id.clone(), size));
        let mut entities: Vec<EntityRef> = members
            .iter()
            .map(|&m| EntityRef::new(EntityType::Account, self.accounts[m as usize].id.clone()))
            .collect();
        entities.extend(
            evidence
                .iter()
                .map(|k| EntityRef::new(k.0.entity(), k.1.clone())),
        );
        let words: Vec<String> = evidence
            .iter()
            .take(3)
            .map(|k| format!("{} {}", k.0.words(), k.1))
            .collect();
        let reasons = vec![
            Reason::new(
                "shared_support_operators",
                format!(
                    "{} accounts whose support contacts came from the same operators ({})",
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
        // Risk grows with how many members claim: operators with one claimant are helpers,
        // with many they are a service.
        let score = 1.0 - 0.5f64.powf(claimants as f64 / 2.0);
        sink.raise(ev, id, "fraud_ring", score, entities, reasons);
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
            ..GraphFacts::default()
        };
        // Counting only, without building reasons: this runs for every refund request.
        for &k in &self.accounts[n as usize].keys {
            let Some(h) = self.holders.get(&k).filter(|h| h.count as usize <= HUB) else {
                continue;
            };
            let strong = h.kind.strong();
            for other in h.accounts().filter(|&a| a != n) {
                let o = &self.accounts[other as usize];
                facts.linked_accounts += u32::from(strong);
                if o.banned {
                    if strong {
                        facts.banned_strong += 1;
                    } else {
                        facts.banned_weak += 1;
                    }
                } else if strong {
                    for &k2 in &o.keys {
                        if k2 == k || !self.kind_of(k2).is_some_and(Kind::strong) {
                            continue;
                        }
                        facts.banned_weak += self
                            .others(k2, Some(other))
                            .filter(|&far| far != n && self.accounts[far as usize].banned)
                            .count() as u32;
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

    /// Accounts, holder links and operator identifiers held, for memory reporting.
    pub fn sizes(&self) -> (usize, u64, usize) {
        (self.accounts.len(), self.links, self.operators.len())
    }
}

/// What the graph says about one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphFacts {
    /// Accounts in its operator ring (0 when not in one).
    pub ring_accounts: u32,
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
