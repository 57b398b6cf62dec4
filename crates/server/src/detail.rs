//! The read model's detail for investigators: what the console's order, account and
//! employee pages, the entity graph (`GET /v1/graph/…`) and the evidence export show, and
//! what the engine does not keep (it keeps only what its detectors need).
//!
//! Memory grows with entities, not with events: one compact record per order (its items and
//! the few events that happen to it), an adjacency list per identifier with at most
//! [`MAX_NEIGHBOURS`] neighbours (a hub IP's thousandth account is counted, not listed),
//! and per account and per employee a capped list of their own events. Logins and carrier
//! scans, the bulk of a retailer's events, are counted, never listed.

use clawback_events::{Body, Event, Id};
use clawback_table::GrowMap;
use rustc_hash::FxHashSet;
use std::collections::VecDeque;

/// A short string shared by many records (a category, currency, carrier, employee id…):
/// stored once, 16 bytes per use.
pub type Name = std::sync::Arc<str>;

/// Interns [`Name`]s.
#[derive(Debug, Default)]
pub struct Names(FxHashSet<Name>);

impl Names {
    pub fn get(&mut self, s: &str) -> Name {
        if let Some(n) = self.0.get(s) {
            return std::sync::Arc::clone(n);
        }
        let n: Name = std::sync::Arc::from(s);
        self.0.insert(std::sync::Arc::clone(&n));
        n
    }
}

/// Neighbours listed per graph node; further ones only raise its degree.
pub const MAX_NEIGHBOURS: usize = 256;
/// Entries kept per account and per employee timeline (the latest).
pub const MAX_TIMELINE: usize = 200;

/// The kinds of node of the entity graph (orders are nodes too, but kept in
/// [`Detail::orders`], not in the adjacency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Account,
    Device,
    Ip,
    Phone,
    Email,
    Address,
    Payment,
    Employee,
    Seller,
    Order,
}

impl NodeKind {
    pub const ALL: [NodeKind; 10] = [
        NodeKind::Account,
        NodeKind::Device,
        NodeKind::Ip,
        NodeKind::Phone,
        NodeKind::Email,
        NodeKind::Address,
        NodeKind::Payment,
        NodeKind::Employee,
        NodeKind::Seller,
        NodeKind::Order,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Account => "account",
            NodeKind::Device => "device",
            NodeKind::Ip => "ip",
            NodeKind::Phone => "phone",
            NodeKind::Email => "email",
            NodeKind::Address => "address",
            NodeKind::Payment => "payment",
            NodeKind::Employee => "employee",
            NodeKind::Seller => "seller",
            NodeKind::Order => "order",
        }
    }

    pub fn parse(s: &str) -> Option<NodeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the node's id is PII (masked without a justification).
    pub fn is_pii(self) -> bool {
        matches!(self, NodeKind::Phone | NodeKind::Email | NodeKind::Address)
    }
}

/// A phone number as the graph keys it: its digits (the same light key as the engine's
/// facts), or nothing for fewer than 6 digits.
pub fn phone_key(phone: &str) -> Option<Id> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 6).then(|| Id::from(digits))
}

/// An e-mail address as the graph keys it: trimmed, lower-case.
pub fn email_key(email: &str) -> Option<Id> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then(|| Id::from(e))
}

/// A postal address as the graph keys it: first line, postal code and country, lower-case
/// with runs of spaces folded, so two spellings of one flat meet.
pub fn address_key(a: &clawback_events::Address) -> Id {
    let mut s = String::new();
    address_key_into(a, &mut s);
    Id::from(s)
}

/// [`address_key`] into a reused buffer (one per order otherwise).
fn address_key_into(a: &clawback_events::Address, out: &mut String) {
    fn fold(s: &str, upper: bool, out: &mut String) {
        let mut first = true;
        for w in s.split_whitespace() {
            if !first {
                out.push(' ');
            }
            first = false;
            for c in w.chars() {
                if upper {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
            }
        }
    }
    out.clear();
    fold(&a.line1, false, out);
    out.push_str(", ");
    fold(&a.postal_code, true, out);
    out.push(' ');
    out.push_str(&a.country);
}

/// The undirected entity graph: interned nodes and capped adjacency lists.
#[derive(Debug, Default)]
pub struct Graph {
    /// Node number by id, one map per kind (looked up by `&str`, no key is built).
    ix: [GrowMap<Id, u32>; 10],
    nodes: Vec<(NodeKind, Id)>,
    adj: Vec<Vec<u32>>,
    /// Distinct neighbours ever linked (may exceed the listed ones).
    degree: Vec<u32>,
}

impl Graph {
    fn node(&mut self, kind: NodeKind, id: &str) -> u32 {
        let map = &mut self.ix[kind as usize];
        if let Some(&n) = map.get(id) {
            return n;
        }
        let n = self.nodes.len() as u32;
        let id = Id::from(id);
        map.insert(id.clone(), n);
        self.nodes.push((kind, id));
        self.adj.push(Vec::new());
        self.degree.push(0);
        n
    }

    /// Links two entities (idempotent; empty ids are ignored).
    pub fn link(&mut self, a: (NodeKind, &str), b: (NodeKind, &str)) {
        if a.1.is_empty() || b.1.is_empty() || (a.0 == b.0 && a.1 == b.1) {
            return;
        }
        let x = self.node(a.0, a.1);
        let y = self.node(b.0, b.1);
        // Lists never shrink, so a link made before is listed on any side that is not full
        // (two full hubs linked again are counted again: their degree is approximate).
        if self.adj[x as usize].contains(&y) || self.adj[y as usize].contains(&x) {
            return;
        }
        for (p, q) in [(x, y), (y, x)] {
            let list = &mut self.adj[p as usize];
            if list.len() < MAX_NEIGHBOURS {
                list.push(q);
            }
            self.degree[p as usize] += 1;
        }
    }

    /// The listed neighbours of an entity and its full degree.
    pub fn neighbours(&self, kind: NodeKind, id: &str) -> (Vec<(NodeKind, &Id)>, u32) {
        let Some(&n) = self.ix[kind as usize].get(id) else {
            return (Vec::new(), 0);
        };
        let list = self.adj[n as usize]
            .iter()
            .map(|&m| {
                let (k, id) = &self.nodes[m as usize];
                (*k, id)
            })
            .collect();
        (list, self.degree[n as usize])
    }

    pub fn contains(&self, kind: NodeKind, id: &str) -> bool {
        self.ix[kind as usize].contains_key(id)
    }

    /// The node of an entity, when it is in the graph.
    pub fn find(&self, kind: NodeKind, id: &str) -> Option<NodeRef> {
        self.ix[kind as usize]
            .get(id)
            .and_then(|&n| std::num::NonZeroU32::new(n.wrapping_add(1)))
            .map(NodeRef)
    }

    /// The id of a node found by [`Graph::find`].
    pub fn id(&self, r: NodeRef) -> Option<&Id> {
        self.nodes.get(r.0.get() as usize - 1).map(|(_, id)| id)
    }
}

/// A node of the [`Graph`] by number: an order keeps its device and IP as one of these
/// (4 bytes) instead of a copy of the id (24), since the graph holds the id already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRef(std::num::NonZeroU32);

/// Shipping addresses, each distinct one stored once (most orders go where the account's
/// previous ones went): an order keeps a 4-byte number instead of the address.
#[derive(Debug, Default)]
pub struct Addresses {
    ix: GrowMap<Box<str>, u32>,
    list: Vec<clawback_events::Address>,
    /// Scratch for the key.
    buf: String,
}

impl Addresses {
    fn intern(&mut self, a: &clawback_events::Address) -> u32 {
        let b = &mut self.buf;
        b.clear();
        for part in [
            a.line1.as_str(),
            a.line2.as_deref().unwrap_or(""),
            a.city.as_str(),
            a.region.as_deref().unwrap_or(""),
            a.postal_code.as_str(),
            a.country.as_str(),
        ] {
            b.push_str(part);
            b.push('\u{1f}');
        }
        if let Some(&n) = self.ix.get(b.as_str()) {
            return n;
        }
        let n = self.list.len() as u32;
        self.ix.insert(Box::from(b.as_str()), n);
        self.list.push(a.clone());
        n
    }

    pub fn get(&self, n: u32) -> Option<&clawback_events::Address> {
        self.list.get(n as usize)
    }
}

/// An order line.
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: Id,
    pub category: Name,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub seller_id: Option<Name>,
}

/// Something that happened to an order after it was placed (its delivery is in the
/// engine's facts, so it is not repeated here: most orders then need no event at all).
#[derive(Debug, Clone)]
pub enum OrderEv {
    ReturnRequested {
        return_id: Id,
        reason: Name,
        units: i64,
    },
    ReturnLabel {
        return_id: Id,
        carrier: Name,
    },
    ReturnReceived {
        return_id: Id,
        employee_id: Name,
        barcode_scanned: bool,
        /// The conditions of the received lines, e.g. `["empty"]`.
        conditions: Vec<Name>,
    },
    RefundRequested {
        refund_id: Id,
        amount_minor: i64,
        currency: Name,
        reason: Name,
        channel: Name,
        employee_id: Option<Name>,
    },
    RefundIssued {
        refund_id: Id,
        amount_minor: i64,
        currency: Name,
        override_: bool,
        employee_id: Option<Name>,
    },
    Chargeback {
        amount_minor: i64,
        currency: Name,
    },
    Contact {
        contact_id: Id,
        employee_id: Name,
        channel: Name,
        identity_verified: bool,
    },
    EmployeeAction {
        employee_id: Name,
        action: Name,
    },
}

/// An order as the events describe it.
#[derive(Debug, Clone)]
pub struct OrderRec {
    pub account_id: Id,
    pub placed_ms: i64,
    pub amount_minor: i64,
    pub currency: Name,
    pub items: Box<[Item]>,
    /// Where it was shipped: a number in [`Detail::addresses`] (PII: masked unless
    /// justified).
    pub ship_to: u32,
    pub payment: Option<Id>,
    /// The device and IP it was placed from, as graph nodes.
    pub device: Option<NodeRef>,
    pub ip: Option<NodeRef>,
    /// The carrier that delivered it and its tracking number (the delivery itself is in
    /// the engine's facts).
    pub carrier: Option<Name>,
    pub tracking: Option<Id>,
    /// Oldest first (in the order the service applied them).
    pub events: Vec<(i64, OrderEv)>,
}

/// The orders: records in a vector and an index by id (a hash map of whole records would
/// double at some size, and orders are the one table here that grows into millions).
#[derive(Debug, Default)]
pub struct Orders {
    ix: GrowMap<Id, u32>,
    ids: Vec<Id>,
    recs: Vec<OrderRec>,
}

impl Orders {
    pub fn get(&self, id: &str) -> Option<&OrderRec> {
        self.ix.get(id).map(|&i| &self.recs[i as usize])
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut OrderRec> {
        self.ix.get(id).map(|&i| &mut self.recs[i as usize])
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.ix.contains_key(id)
    }

    /// Inserts or replaces; returns the order's number.
    fn insert(&mut self, id: &Id, rec: OrderRec) -> (u32, bool) {
        if let Some(&i) = self.ix.get(id.as_str()) {
            self.recs[i as usize] = rec;
            return (i, false);
        }
        let i = self.recs.len() as u32;
        self.ix.insert(id.clone(), i);
        self.ids.push(id.clone());
        self.recs.push(rec);
        (i, true)
    }

    /// The id and record of order number `i`.
    pub fn at(&self, i: u32) -> Option<(&Id, &OrderRec)> {
        Some((self.ids.get(i as usize)?, self.recs.get(i as usize)?))
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }
}

/// One line of an account's or employee's own timeline.
#[derive(Debug, Clone)]
pub struct Entry {
    pub ts_ms: i64,
    /// The event type (`account_created`, `data_access`, …).
    pub what: &'static str,
    /// A short description without PII (ids, counts, enumerated values).
    pub detail: String,
}

/// A capped timeline (the latest entries) and how many were dropped.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub entries: VecDeque<Entry>,
    pub dropped: u64,
    /// Successful and failed logins, counted rather than listed.
    pub logins: u64,
    pub failed_logins: u64,
    /// The device and IP of the latest successful login (a repeat links nothing new).
    last_login: (Option<Id>, Option<Id>),
    /// A hash of the address, card, device and IP of the latest order (likewise).
    last_order: u64,
}

impl Timeline {
    fn push(&mut self, ts_ms: i64, what: &'static str, detail: String) {
        if self.entries.len() == MAX_TIMELINE {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Entry {
            ts_ms,
            what,
            detail,
        });
    }
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Detail {
    pub graph: Graph,
    pub orders: Orders,
    /// Orders of each account (numbers in [`Orders`]), in the order placed.
    pub account_orders: GrowMap<Id, Vec<u32>>,
    pub accounts: GrowMap<Id, Timeline>,
    pub employees: GrowMap<Id, Timeline>,
    /// The orders' shipping addresses.
    pub addresses: Addresses,
    return_order: GrowMap<Id, Id>,
    refund_order: GrowMap<Id, Id>,
    /// The channel of each reported message (`sms`, `email`, …), for advisories.
    pub report_channels: GrowMap<Id, Id>,
    /// The highest action id whose fed-back events were seen (see [`crate::feedback`]).
    pub last_fed_action: u64,
    names: Names,
    /// Scratch for address keys.
    buf: String,
}

impl Detail {
    /// An account's orders, oldest first.
    pub fn orders_of(&self, account: &str) -> impl Iterator<Item = (&Id, &OrderRec)> {
        self.account_orders
            .get(account)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.orders.at(i))
    }

    fn order_ev(&mut self, order: &Id, ts: i64, ev: OrderEv) {
        if let Some(o) = self.orders.get_mut(order) {
            o.events.push((ts, ev));
        }
    }

    fn account(&mut self, id: &Id) -> &mut Timeline {
        timeline(&mut self.accounts, id)
    }

    fn employee(&mut self, id: &Id) -> &mut Timeline {
        timeline(&mut self.employees, id)
    }

    /// Takes one applied event.
    pub fn observe(&mut self, ev: &Event) {
        use NodeKind as K;
        let t = ev.ts.unix_ms;
        if let Some(n) = ev
            .event_id
            .strip_prefix(crate::feedback::ACTION_EVENT_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|n| n.parse::<u64>().ok())
        {
            self.last_fed_action = self.last_fed_action.max(n);
        }
        let g = &mut self.graph;
        match &ev.body {
            Body::AccountCreated(a) => {
                let acct = (K::Account, a.account_id.as_str());
                if let Some(e) = email_key(&a.email) {
                    g.link(acct, (K::Email, &e));
                }
                if let Some(p) = a.phone.as_deref().and_then(phone_key) {
                    g.link(acct, (K::Phone, &p));
                }
                if let Some(addr) = &a.address {
                    address_key_into(addr, &mut self.buf);
                    g.link(acct, (K::Address, &self.buf));
                }
                if let Some(d) = &a.device_id {
                    g.link(acct, (K::Device, d));
                }
                if let Some(ip) = &a.ip {
                    g.link(acct, (K::Ip, ip));
                }
                self.account(&a.account_id)
                    .push(t, "account_created", String::new());
            }
            Body::AccountUpdated(a) => {
                let acct = (K::Account, a.account_id.as_str());
                let mut changed = Vec::new();
                if let Some(e) = a.email.as_deref().and_then(email_key) {
                    g.link(acct, (K::Email, &e));
                    changed.push("email");
                }
                if let Some(p) = a.phone.as_deref().and_then(phone_key) {
                    g.link(acct, (K::Phone, &p));
                    changed.push("phone");
                }
                if let Some(addr) = &a.address {
                    address_key_into(addr, &mut self.buf);
                    g.link(acct, (K::Address, &self.buf));
                    changed.push("address");
                }
                if a.name.is_some() {
                    changed.push("name");
                }
                if let Some(d) = &a.device_id {
                    g.link(acct, (K::Device, d));
                }
                if let Some(ip) = &a.ip {
                    g.link(acct, (K::Ip, ip));
                }
                self.account(&a.account_id)
                    .push(t, "account_updated", changed.join(", "));
            }
            Body::Login(l) => {
                let t = timeline(&mut self.accounts, &l.account_id);
                if !l.success {
                    t.failed_logins += 1;
                    return;
                }
                t.logins += 1;
                let seen = (l.device_id.clone(), l.ip.clone());
                if t.last_login == seen {
                    return;
                }
                t.last_login = seen;
                let acct = (K::Account, l.account_id.as_str());
                if let Some(d) = &l.device_id {
                    self.graph.link(acct, (K::Device, d));
                }
                if let Some(ip) = &l.ip {
                    self.graph.link(acct, (K::Ip, ip));
                }
            }
            Body::PaymentMethodAdded(p) => {
                g.link(
                    (K::Account, &p.account_id),
                    (K::Payment, &p.payment_fingerprint),
                );
                let detail = p
                    .last4
                    .as_ref()
                    .map(|l| format!("card ending {l}"))
                    .unwrap_or_default();
                self.account(&p.account_id)
                    .push(t, "payment_method_added", detail);
            }
            Body::AccountClosed(c) => {
                let by = c.by.as_ref().map_or("unknown", |b| b.as_str()).to_string();
                let detail = match &c.reason {
                    Some(r) => format!("by {by}: {}", clip(r, 80)),
                    None => format!("by {by}"),
                };
                self.account(&c.account_id)
                    .push(t, "account_closed", detail);
            }
            Body::OrderPlaced(o) => {
                use std::hash::{Hash, Hasher};
                address_key_into(&o.shipping_address, &mut self.buf);
                let mut h = rustc_hash::FxHasher::default();
                (&self.buf, &o.payment_fingerprint, &o.device_id, &o.ip).hash(&mut h);
                let keys = h.finish();
                let tl = timeline(&mut self.accounts, &o.account_id);
                // Most orders repeat the previous one's address, card, device and IP.
                if tl.last_order != keys {
                    tl.last_order = keys;
                    let acct = (K::Account, o.account_id.as_str());
                    let g = &mut self.graph;
                    g.link(acct, (K::Address, &self.buf));
                    if let Some(p) = &o.payment_fingerprint {
                        g.link(acct, (K::Payment, p));
                    }
                    if let Some(d) = &o.device_id {
                        g.link(acct, (K::Device, d));
                    }
                    if let Some(ip) = &o.ip {
                        g.link(acct, (K::Ip, ip));
                    }
                }
                let rec = OrderRec {
                    account_id: o.account_id.clone(),
                    placed_ms: t,
                    amount_minor: o.money.amount_minor,
                    currency: self.names.get(&o.money.currency),
                    items: o
                        .items
                        .iter()
                        .map(|i| Item {
                            sku: i.sku.clone(),
                            category: self.names.get(&i.category),
                            quantity: i.quantity,
                            unit_price_minor: i.unit_price_minor,
                            seller_id: i.seller_id.as_deref().map(|x| self.names.get(x)),
                        })
                        .collect(),
                    ship_to: self.addresses.intern(&o.shipping_address),
                    payment: o.payment_fingerprint.clone(),
                    device: o
                        .device_id
                        .as_deref()
                        .and_then(|d| self.graph.find(K::Device, d)),
                    ip: o.ip.as_deref().and_then(|ip| self.graph.find(K::Ip, ip)),
                    carrier: None,
                    tracking: None,
                    events: Vec::new(),
                };
                let (n, new) = self.orders.insert(&o.order_id, rec);
                if new {
                    self.account_orders
                        .entry(o.account_id.clone())
                        .or_default()
                        .push(n);
                }
            }
            Body::ShipmentDelivered(s) => {
                let carrier = self.names.get(&s.carrier);
                if let Some(o) = self.orders.get_mut(&s.order_id) {
                    o.carrier = Some(carrier);
                    o.tracking = Some(s.tracking_number.clone());
                }
            }
            Body::ReturnRequested(r) => {
                self.return_order
                    .insert(r.return_id.clone(), r.order_id.clone());
                let ev = OrderEv::ReturnRequested {
                    return_id: r.return_id.clone(),
                    reason: self.names.get(r.reason.as_str()),
                    units: r.items.iter().map(|i| i.quantity).sum(),
                };
                self.order_ev(&r.order_id, t, ev);
            }
            Body::ReturnLabelCreated(r) => {
                if let Some(o) = self.return_order.get(&r.return_id).cloned() {
                    let ev = OrderEv::ReturnLabel {
                        return_id: r.return_id.clone(),
                        carrier: self.names.get(&r.carrier),
                    };
                    self.order_ev(&o, t, ev);
                }
            }
            Body::ReturnReceived(r) => {
                if let Some(o) = self.return_order.get(&r.return_id).cloned() {
                    if let Some(acct) = self.orders.get(&o).map(|x| x.account_id.clone()) {
                        self.graph
                            .link((K::Employee, &r.employee_id), (K::Account, &acct));
                    }
                    let ev = OrderEv::ReturnReceived {
                        return_id: r.return_id.clone(),
                        employee_id: self.names.get(&r.employee_id),
                        barcode_scanned: r.barcode_scanned,
                        conditions: r
                            .items
                            .iter()
                            .map(|i| self.names.get(i.condition.as_str()))
                            .collect(),
                    };
                    self.order_ev(&o, t, ev);
                }
                let scanned = scan_words(r.barcode_scanned);
                self.employee(&r.employee_id).push(
                    t,
                    "return_received",
                    format!("return {} ({scanned})", r.return_id),
                );
            }
            Body::RefundRequested(r) => {
                self.refund_order
                    .insert(r.refund_id.clone(), r.order_id.clone());
                if let Some(e) = &r.employee_id {
                    g.link((K::Employee, e), (K::Account, &r.account_id));
                    self.employee(e).push(
                        t,
                        "refund_requested",
                        format!("refund {} for account {}", r.refund_id, r.account_id),
                    );
                }
                let ev = OrderEv::RefundRequested {
                    refund_id: r.refund_id.clone(),
                    amount_minor: r.money.amount_minor,
                    currency: self.names.get(&r.money.currency),
                    reason: self.names.get(r.reason.as_str()),
                    channel: self.names.get(r.channel.as_str()),
                    employee_id: r.employee_id.as_deref().map(|e| self.names.get(e)),
                };
                self.order_ev(&r.order_id, t, ev);
            }
            Body::RefundIssued(r) => {
                if let Some(e) = &r.employee_id {
                    let o = if r.override_ { " (override)" } else { "" };
                    self.employee(e)
                        .push(t, "refund_issued", format!("refund {}{o}", r.refund_id));
                }
                if let Some(o) = self.refund_order.get(&r.refund_id).cloned() {
                    let ev = OrderEv::RefundIssued {
                        refund_id: r.refund_id.clone(),
                        amount_minor: r.money.amount_minor,
                        currency: self.names.get(&r.money.currency),
                        override_: r.override_,
                        employee_id: r.employee_id.as_deref().map(|e| self.names.get(e)),
                    };
                    self.order_ev(&o, t, ev);
                }
            }
            Body::Chargeback(c) => {
                let ev = OrderEv::Chargeback {
                    amount_minor: c.money.amount_minor,
                    currency: self.names.get(&c.money.currency),
                };
                self.order_ev(&c.order_id, t, ev);
            }
            Body::SupportContact(c) => {
                let emp = (K::Employee, c.employee_id.as_str());
                if let Some(a) = &c.account_id {
                    g.link(emp, (K::Account, a));
                }
                if let Some(d) = &c.device_id {
                    g.link(emp, (K::Device, d));
                }
                let verified = if c.identity_verified {
                    "identity verified"
                } else {
                    "identity not verified"
                };
                let about = c
                    .account_id
                    .as_ref()
                    .map(|a| format!(" about account {a}"))
                    .unwrap_or_default();
                self.employee(&c.employee_id).push(
                    t,
                    "support_contact",
                    format!(
                        "contact {} by {}{about}, {verified}",
                        c.contact_id, c.channel
                    ),
                );
                if let Some(a) = &c.account_id {
                    self.account(a).push(
                        t,
                        "support_contact",
                        format!(
                            "contact {} with employee {}, {verified}",
                            c.contact_id, c.employee_id
                        ),
                    );
                }
                if let Some(o) = &c.order_id {
                    let ev = OrderEv::Contact {
                        contact_id: c.contact_id.clone(),
                        employee_id: self.names.get(&c.employee_id),
                        channel: self.names.get(c.channel.as_str()),
                        identity_verified: c.identity_verified,
                    };
                    self.order_ev(o, t, ev);
                }
            }
            Body::EmployeeLogin(l) => {
                let emp = (K::Employee, l.employee_id.as_str());
                if l.success {
                    if let Some(d) = &l.device_id {
                        g.link(emp, (K::Device, d));
                    }
                    if let Some(ip) = &l.ip {
                        g.link(emp, (K::Ip, ip));
                    }
                    self.employee(&l.employee_id).logins += 1;
                } else {
                    self.employee(&l.employee_id).failed_logins += 1;
                }
            }
            Body::EmployeeAction(a) => {
                if let Some(acct) = &a.account_id {
                    g.link((K::Employee, &a.employee_id), (K::Account, acct));
                }
                let mut on = Vec::new();
                for (what, v) in [
                    ("account", &a.account_id),
                    ("order", &a.order_id),
                    ("return", &a.return_id),
                    ("refund", &a.refund_id),
                    ("ticket", &a.ticket_id),
                ] {
                    if let Some(v) = v {
                        on.push(format!("{what} {v}"));
                    }
                }
                self.employee(&a.employee_id).push(
                    t,
                    "employee_action",
                    format!("{} {}", a.action, on.join(", ")),
                );
                // An action on one of the order's refunds or returns touched the order too.
                let order = a
                    .order_id
                    .clone()
                    .or_else(|| {
                        a.refund_id
                            .as_ref()
                            .and_then(|r| self.refund_order.get(r).cloned())
                    })
                    .or_else(|| {
                        a.return_id
                            .as_ref()
                            .and_then(|r| self.return_order.get(r).cloned())
                    });
                if let Some(o) = order {
                    let ev = OrderEv::EmployeeAction {
                        employee_id: self.names.get(&a.employee_id),
                        action: self.names.get(a.action.as_str()),
                    };
                    self.order_ev(&o, t, ev);
                }
            }
            Body::DataAccess(d) => {
                for acct in &d.account_ids {
                    self.graph
                        .link((K::Employee, &d.employee_id), (K::Account, acct));
                }
                let ticket = d
                    .ticket_id
                    .as_ref()
                    .map_or_else(|| "no ticket".to_string(), |t| format!("ticket {t}"));
                let export = if d.export == Some(true) {
                    ", export"
                } else {
                    ""
                };
                let first = d
                    .account_ids
                    .first()
                    .map(|a| format!(": {a}"))
                    .unwrap_or_default();
                let more = if d.account_ids.len() > 1 {
                    format!(" and {} more", d.account_ids.len() - 1)
                } else {
                    String::new()
                };
                self.employee(&d.employee_id).push(
                    t,
                    "data_access",
                    format!(
                        "{} of {} accounts{first}{more} ({ticket}{export})",
                        d.resource,
                        d.account_ids.len()
                    ),
                );
            }
            Body::ReviewPosted(r) => {
                g.link((K::Account, &r.account_id), (K::Seller, &r.seller_id));
                self.account(&r.account_id).push(
                    t,
                    "review_posted",
                    format!("{} stars on {} (seller {})", r.rating, r.sku, r.seller_id),
                );
            }
            Body::SellerMessage(m) => {
                g.link((K::Account, &m.account_id), (K::Seller, &m.seller_id));
            }
            Body::MessageReported(m) => {
                self.report_channels
                    .insert(m.report_id.clone(), Id::from(m.channel.as_str()));
            }
            _ => {}
        }
    }
}

/// The timeline of an id, made on first use (ids are short: the key's clone is a copy).
fn timeline<'a>(map: &'a mut GrowMap<Id, Timeline>, id: &Id) -> &'a mut Timeline {
    map.entry(id.clone()).or_default()
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// How a return's receipt was recorded, in words: a hand-keyed receipt is what a clerk
/// covering for a gang would do, so every view says which it was.
pub fn scan_words(barcode_scanned: bool) -> &'static str {
    if barcode_scanned {
        "barcode scanned"
    } else {
        "keyed by hand"
    }
}

/// The conditions of a return's received lines, joined for people.
pub fn conditions_text(conditions: &[Name]) -> String {
    conditions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::from(s)
    }

    #[test]
    fn links_are_undirected_deduplicated_and_capped() {
        let mut g = Graph::default();
        let ip = id("10.0.0.1");
        for i in 0..(MAX_NEIGHBOURS + 10) {
            let a = id(&format!("a{i}"));
            g.link((NodeKind::Account, &a), (NodeKind::Ip, &ip));
            g.link((NodeKind::Account, &a), (NodeKind::Ip, &ip));
        }
        let (list, degree) = g.neighbours(NodeKind::Ip, "10.0.0.1");
        assert_eq!(list.len(), MAX_NEIGHBOURS);
        assert_eq!(degree as usize, MAX_NEIGHBOURS + 10);
        let (list, degree) = g.neighbours(NodeKind::Account, "a3");
        assert_eq!((list.len(), degree), (1, 1));
        assert_eq!(list[0], (NodeKind::Ip, &ip));
        assert!(g.neighbours(NodeKind::Device, "a3").0.is_empty());
    }

    #[test]
    fn order_records_stay_small() {
        // Orders are the table that grows into millions (docs/service.md: the order read
        // model's cost); the device, IP and address are kept by number.
        assert_eq!(std::mem::size_of::<OrderRec>(), 176);
        assert_eq!(std::mem::size_of::<Option<NodeRef>>(), 4);
    }

    #[test]
    fn addresses_are_stored_once() {
        let a = clawback_events::Address {
            line1: "1 High St".into(),
            line2: None,
            city: "London".into(),
            region: None,
            postal_code: "SW1A 1AA".into(),
            country: id("GB"),
        };
        let mut b = a.clone();
        b.line2 = Some("Flat 2".into());
        let mut book = Addresses::default();
        let (x, y, z) = (book.intern(&a), book.intern(&b), book.intern(&a));
        assert_eq!((x, z), (0, 0));
        assert_eq!(y, 1);
        assert_eq!(book.get(y), Some(&b));
        assert_eq!(book.get(2), None);
    }

    #[test]
    fn keys_fold_spelling() {
        assert_eq!(phone_key("+1 (415) 555-0142").unwrap(), "14155550142");
        assert!(phone_key("123").is_none());
        assert_eq!(email_key(" J@X.com ").unwrap(), "j@x.com");
        let a = clawback_events::Address {
            line1: "1  High  St".into(),
            line2: None,
            city: "London".into(),
            region: None,
            postal_code: "sw1a 1aa".into(),
            country: id("GB"),
        };
        assert_eq!(address_key(&a), "1 high st, SW1A 1AA GB");
    }
}
