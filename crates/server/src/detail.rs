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
use std::collections::{HashMap, VecDeque};

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
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    Id::from(format!(
        "{}, {} {}",
        fold(&a.line1.to_lowercase()),
        fold(&a.postal_code.to_uppercase()),
        a.country
    ))
}

/// The undirected entity graph: interned nodes and capped adjacency lists.
#[derive(Debug, Default)]
pub struct Graph {
    ix: HashMap<(NodeKind, Id), u32>,
    nodes: Vec<(NodeKind, Id)>,
    adj: Vec<Vec<u32>>,
    /// Distinct neighbours ever linked (may exceed the listed ones).
    degree: Vec<u32>,
}

impl Graph {
    fn node(&mut self, kind: NodeKind, id: &Id) -> u32 {
        if let Some(&n) = self.ix.get(&(kind, id.clone())) {
            return n;
        }
        let n = self.nodes.len() as u32;
        self.ix.insert((kind, id.clone()), n);
        self.nodes.push((kind, id.clone()));
        self.adj.push(Vec::new());
        self.degree.push(0);
        n
    }

    /// Links two entities (idempotent; empty ids are ignored).
    pub fn link(&mut self, a: (NodeKind, &Id), b: (NodeKind, &Id)) {
        if a.1.is_empty() || b.1.is_empty() || (a.0 == b.0 && a.1 == b.1) {
            return;
        }
        let x = self.node(a.0, a.1);
        let y = self.node(b.0, b.1);
        for (p, q) in [(x, y), (y, x)] {
            let list = &mut self.adj[p as usize];
            if list.contains(&q) {
                return;
            }
            if list.len() < MAX_NEIGHBOURS {
                list.push(q);
            }
            self.degree[p as usize] += 1;
        }
    }

    /// The listed neighbours of an entity and its full degree.
    pub fn neighbours(&self, kind: NodeKind, id: &str) -> (Vec<(NodeKind, &Id)>, u32) {
        let Some(&n) = self.ix.get(&(kind, Id::from(id))) else {
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
        self.ix.contains_key(&(kind, Id::from(id)))
    }
}

/// An order line.
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: Id,
    pub category: Id,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub seller_id: Option<Id>,
}

/// Something that happened to an order after it was placed.
#[derive(Debug, Clone)]
pub enum OrderEv {
    Delivered {
        carrier: Id,
    },
    ReturnRequested {
        return_id: Id,
        reason: Id,
        units: i64,
    },
    ReturnLabel {
        return_id: Id,
        carrier: Id,
    },
    ReturnReceived {
        return_id: Id,
        employee_id: Id,
        barcode_scanned: bool,
        /// The conditions of the received lines, e.g. `["empty"]`.
        conditions: Vec<Id>,
    },
    RefundRequested {
        refund_id: Id,
        amount_minor: i64,
        currency: Id,
        reason: Id,
        channel: Id,
        employee_id: Option<Id>,
    },
    RefundIssued {
        refund_id: Id,
        amount_minor: i64,
        currency: Id,
        override_: bool,
        employee_id: Option<Id>,
    },
    Chargeback {
        amount_minor: i64,
        currency: Id,
    },
    Contact {
        contact_id: Id,
        employee_id: Id,
        channel: Id,
    },
    EmployeeAction {
        employee_id: Id,
        action: Id,
    },
}

/// An order as the events describe it.
#[derive(Debug, Clone, Default)]
pub struct OrderRec {
    pub account_id: Id,
    pub placed_ms: i64,
    pub amount_minor: i64,
    pub currency: Id,
    pub items: Box<[Item]>,
    /// Where it was shipped: country and postal code (the rest is PII, in the graph).
    pub ship_country: Id,
    pub ship_postal: Id,
    pub payment: Option<Id>,
    /// Oldest first (in the order the service applied them).
    pub events: Vec<(i64, OrderEv)>,
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
    pub orders: HashMap<Id, OrderRec>,
    /// Orders of each account, in the order placed.
    pub account_orders: HashMap<Id, Vec<Id>>,
    pub accounts: HashMap<Id, Timeline>,
    pub employees: HashMap<Id, Timeline>,
    return_order: HashMap<Id, Id>,
    refund_order: HashMap<Id, Id>,
    /// The channel of each reported message (`sms`, `email`, …), for advisories.
    pub report_channels: HashMap<Id, Id>,
}

impl Detail {
    fn order_ev(&mut self, order: &Id, ts: i64, ev: OrderEv) {
        if let Some(o) = self.orders.get_mut(order) {
            o.events.push((ts, ev));
        }
    }

    fn account(&mut self, id: &Id) -> &mut Timeline {
        self.accounts.entry(id.clone()).or_default()
    }

    fn employee(&mut self, id: &Id) -> &mut Timeline {
        self.employees.entry(id.clone()).or_default()
    }

    /// Takes one applied event.
    pub fn observe(&mut self, ev: &Event) {
        use NodeKind as K;
        let t = ev.ts.unix_ms;
        let g = &mut self.graph;
        match &ev.body {
            Body::AccountCreated(a) => {
                let acct = (K::Account, &a.account_id);
                if let Some(e) = email_key(&a.email) {
                    g.link(acct, (K::Email, &e));
                }
                if let Some(p) = a.phone.as_deref().and_then(phone_key) {
                    g.link(acct, (K::Phone, &p));
                }
                if let Some(addr) = &a.address {
                    g.link(acct, (K::Address, &address_key(addr)));
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
                let acct = (K::Account, &a.account_id);
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
                    g.link(acct, (K::Address, &address_key(addr)));
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
                if l.success {
                    let acct = (K::Account, &l.account_id);
                    if let Some(d) = &l.device_id {
                        g.link(acct, (K::Device, d));
                    }
                    if let Some(ip) = &l.ip {
                        g.link(acct, (K::Ip, ip));
                    }
                    self.account(&l.account_id).logins += 1;
                } else {
                    self.account(&l.account_id).failed_logins += 1;
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
                let acct = (K::Account, &o.account_id);
                g.link(acct, (K::Address, &address_key(&o.shipping_address)));
                if let Some(p) = &o.payment_fingerprint {
                    g.link(acct, (K::Payment, p));
                }
                if let Some(d) = &o.device_id {
                    g.link(acct, (K::Device, d));
                }
                if let Some(ip) = &o.ip {
                    g.link(acct, (K::Ip, ip));
                }
                for i in &o.items {
                    if let Some(s) = &i.seller_id {
                        g.link(acct, (K::Seller, s));
                    }
                }
                if !self.orders.contains_key(&o.order_id) {
                    self.account_orders
                        .entry(o.account_id.clone())
                        .or_default()
                        .push(o.order_id.clone());
                }
                self.orders.insert(
                    o.order_id.clone(),
                    OrderRec {
                        account_id: o.account_id.clone(),
                        placed_ms: t,
                        amount_minor: o.money.amount_minor,
                        currency: o.money.currency.clone(),
                        items: o
                            .items
                            .iter()
                            .map(|i| Item {
                                sku: i.sku.clone(),
                                category: i.category.clone(),
                                quantity: i.quantity,
                                unit_price_minor: i.unit_price_minor,
                                seller_id: i.seller_id.clone(),
                            })
                            .collect(),
                        ship_country: o.shipping_address.country.clone(),
                        ship_postal: Id::from(o.shipping_address.postal_code.as_str()),
                        payment: o.payment_fingerprint.clone(),
                        events: Vec::new(),
                    },
                );
            }
            Body::ShipmentDelivered(s) => {
                let carrier = s.carrier.clone();
                self.order_ev(&s.order_id, t, OrderEv::Delivered { carrier });
            }
            Body::ReturnRequested(r) => {
                self.return_order
                    .insert(r.return_id.clone(), r.order_id.clone());
                self.order_ev(
                    &r.order_id,
                    t,
                    OrderEv::ReturnRequested {
                        return_id: r.return_id.clone(),
                        reason: Id::from(r.reason.as_str()),
                        units: r.items.iter().map(|i| i.quantity).sum(),
                    },
                );
            }
            Body::ReturnLabelCreated(r) => {
                if let Some(o) = self.return_order.get(&r.return_id).cloned() {
                    self.order_ev(
                        &o,
                        t,
                        OrderEv::ReturnLabel {
                            return_id: r.return_id.clone(),
                            carrier: r.carrier.clone(),
                        },
                    );
                }
            }
            Body::ReturnReceived(r) => {
                if let Some(o) = self.return_order.get(&r.return_id).cloned() {
                    if let Some(acct) = self.orders.get(&o).map(|x| x.account_id.clone()) {
                        self.graph
                            .link((K::Employee, &r.employee_id), (K::Account, &acct));
                    }
                    self.order_ev(
                        &o,
                        t,
                        OrderEv::ReturnReceived {
                            return_id: r.return_id.clone(),
                            employee_id: r.employee_id.clone(),
                            barcode_scanned: r.barcode_scanned,
                            conditions: r
                                .items
                                .iter()
                                .map(|i| Id::from(i.condition.as_str()))
                                .collect(),
                        },
                    );
                }
                let scanned = if r.barcode_scanned {
                    "barcode scanned"
                } else {
                    "keyed by hand"
                };
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
                self.order_ev(
                    &r.order_id,
                    t,
                    OrderEv::RefundRequested {
                        refund_id: r.refund_id.clone(),
                        amount_minor: r.money.amount_minor,
                        currency: r.money.currency.clone(),
                        reason: Id::from(r.reason.as_str()),
                        channel: Id::from(r.channel.as_str()),
                        employee_id: r.employee_id.clone(),
                    },
                );
            }
            Body::RefundIssued(r) => {
                if let Some(e) = &r.employee_id {
                    let o = if r.override_ { " (override)" } else { "" };
                    self.employee(e)
                        .push(t, "refund_issued", format!("refund {}{o}", r.refund_id));
                }
                if let Some(o) = self.refund_order.get(&r.refund_id).cloned() {
                    self.order_ev(
                        &o,
                        t,
                        OrderEv::RefundIssued {
                            refund_id: r.refund_id.clone(),
                            amount_minor: r.money.amount_minor,
                            currency: r.money.currency.clone(),
                            override_: r.override_,
                            employee_id: r.employee_id.clone(),
                        },
                    );
                }
            }
            Body::Chargeback(c) => {
                self.order_ev(
                    &c.order_id,
                    t,
                    OrderEv::Chargeback {
                        amount_minor: c.money.amount_minor,
                        currency: c.money.currency.clone(),
                    },
                );
            }
            Body::SupportContact(c) => {
                let emp = (K::Employee, &c.employee_id);
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
                    self.order_ev(
                        o,
                        t,
                        OrderEv::Contact {
                            contact_id: c.contact_id.clone(),
                            employee_id: c.employee_id.clone(),
                            channel: Id::from(c.channel.as_str()),
                        },
                    );
                }
            }
            Body::EmployeeLogin(l) => {
                let emp = (K::Employee, &l.employee_id);
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
                if let Some(o) = &a.order_id {
                    self.order_ev(
                        o,
                        t,
                        OrderEv::EmployeeAction {
                            employee_id: a.employee_id.clone(),
                            action: Id::from(a.action.as_str()),
                        },
                    );
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
