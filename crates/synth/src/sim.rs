//! The generator proper: an agenda of small timed tasks, worked off one time bucket at a
//! time.
//!
//! Every piece of behaviour (a customer's next visit, a parcel's next scan, an employee's
//! shift) is a task with an event time. Tasks run in time order; each writes its events and
//! schedules its successors. Events due before the end of the current bucket go to the
//! bucket, later ones wait in the agenda as pre-rendered lines (only short-range follow-ups
//! are rendered early; long chains such as a return's scans stay compact tasks). When the
//! agenda has nothing left before the bucket's end, the bucket is sorted, lightly shuffled
//! (bounded disorder) and emitted. Memory is therefore the customer table plus in-flight
//! work plus one bucket (an hour, or twice the disorder window) of lines.
//!
//! Refund-service gangs and the ground truth of labelled runs live in [`gang`], stolen
//! employee credentials in [`creds`], ban evasion in [`evasion`], data-selling rings in
//! [`datasell`] and phishing campaigns in [`phishing`]. They hook in only where an order
//! is delivered, a review is posted, a refund is requested, a message is reported and a
//! post quotes an order (plus tasks of their own), and touch nothing (not even the random
//! stream) unless enabled.

use crate::Config;
use crate::clock::{DAY, HOUR, MIN, date_text};
use crate::json::Line;
use crate::rates::NOMINAL_RETURN_SHARE;
use crate::rng::R;
use crate::world::{
    self, APPAREL_REASON_WEIGHTS, Address, CARRIERS, CATEGORIES, COUNTRIES, COUNTRY_WEIGHTS,
    Country, FORUM_NAMES, LOOKALIKE_DOMAINS, Lang, REDDIT_USERS, RETURN_REASON_WEIGHTS,
    RETURN_REASONS, TELEGRAM_HANDLES, address_style, email, money_text, names, new_address,
    phone_number, review_text, tracking_number, write_address, write_ipv4, write_phone,
};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt::{self, Write as _};
use std::rc::Rc;

mod creds;
mod datasell;
mod evasion;
mod gang;
mod phishing;

/// The retailer's own storefront, for reviews of first-party items (reviews need a seller).
const RETAIL_SELLER: &str = "sel-0000";
const CATALOGUE_SIZE: usize = 1_500;
/// Refunded orders kept (a sample spanning about ten days) for intel posts that show
/// "proof" of refunds.
const RECENT_REFUNDS: usize = 256;
/// Line buffers kept for reuse.
const POOL_MAX: usize = 8_192;

// ---------------------------------------------------------------------------------------
// Identifiers

/// Account ids are a bijective scramble of the customer index: unique, but not sequential.
struct Acct(u32);
impl fmt::Display for Acct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = u64::from(self.0)
            .wrapping_mul(0x9E37_79B1)
            .wrapping_add(0x5BD1_E995) as u32;
        write!(f, "acct-{x:08x}")
    }
}

struct Emp(u32);
impl fmt::Display for Emp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "emp-{:04}", self.0 + 1)
    }
}

struct Seller(u32);
impl fmt::Display for Seller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            f.write_str(RETAIL_SELLER)
        } else {
            write!(f, "sel-{:04}", self.0)
        }
    }
}

struct Dev(u64);
impl fmt::Display for Dev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dev-{:012x}", self.0 & 0xffff_ffff_ffff)
    }
}

struct Card(u64);
impl fmt::Display for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pf_{:016x}", self.0)
    }
}

// ---------------------------------------------------------------------------------------
// World state

#[derive(Debug)]
struct Product {
    sku: String,
    cat: u8,
    name: &'static str,
    /// List price in US cents.
    usd_cents: i64,
    grams: u32,
    /// 0 = the retailer itself.
    seller: u32,
    seller_fulfilled: bool,
}

#[derive(Debug)]
struct Customer {
    country: u8,
    first: u8,
    last: u8,
    email: String,
    phone: Option<u64>,
    phone_style: u8,
    addr: Address,
    addr_style: u8,
    devices: Vec<u64>,
    home_ip: u32,
    home_v6: bool,
    cards: Vec<u64>,
    /// Visits per day relative to the average customer.
    activity: f64,
    created: bool,
    closed: bool,
    last_order: Option<Rc<Order>>,
}

#[derive(Debug)]
struct Employee {
    device: u32,
    home_ip: u32,
    warehouse: bool,
}

#[derive(Debug)]
struct Item {
    prod: u32,
    qty: u32,
    unit: i64,
}

#[derive(Debug)]
struct Order {
    id: String,
    cust: u32,
    country: u8,
    items: Vec<Item>,
    amount: i64,
    grams: u32,
    carrier: usize,
    tracking: String,
    dest_postal: String,
    /// The refund-service gang (1-based) that placed this order through a client, if any.
    gang: Option<u16>,
}

#[derive(Debug)]
struct Return {
    id: u64,
    order: Rc<Order>,
    /// (index into the order's items, quantity)
    items: Vec<(usize, u32)>,
    reason: &'static str,
    channel: &'static str,
    contact: Option<(u64, u32)>,
    carrier: usize,
    tracking: String,
    amount: i64,
    grams: u32,
    /// Refund requested at the carrier's acceptance scan rather than at receipt.
    on_scan: bool,
    never_scanned: bool,
    /// Never-scanned parcels whose owner later chases a refund.
    chase: bool,
    /// Delivered to the warehouse but never booked in.
    lost_at_dock: bool,
    warehouse: usize,
}

#[derive(Debug)]
enum Kind {
    /// A line rendered earlier, due now.
    Line(String),
    Signup(u32),
    Session(u32),
    /// Outbound parcel stage: 0 label, 1 accepted, 2 in transit, 3 exception, 4 out for
    /// delivery, 5 delivered.
    Ship(Rc<Order>, u8),
    ReturnStart(Rc<Order>),
    /// Return parcel stage: 0 label scan, 1 accepted, 2 in transit, 3 out for delivery,
    /// 4 delivered, 5 received, 6 chased although never scanned.
    Ret(Rc<Return>, u8),
    NotReceived(Rc<Order>),
    Chargeback(Rc<Order>),
    Review(Rc<Order>),
    ReviewChange(u64),
    Shift(u32, i64),
    Intel,
    /// A gang client's high-value order: (gang, customer).
    GangOrder(u16, u32),
    /// The next step of a gang's refund claim.
    GangStep(Box<gang::Case>),
    /// A gang's next vouch post.
    Vouch(u16),
    /// The retailer bans an abusive account.
    Ban,
    /// A banned customer comes back under a new account.
    Evade(u32),
    /// A household member of a banned customer signs up (honest).
    Housemate(u32),
    /// A phishing campaign's next message.
    Phish(u16),
    /// A data-selling ring's seller gets an order from a future unhappy buyer: (ring,
    /// customer).
    DsBuy(u16, u32),
    /// That buyer's low review.
    DsReview(Rc<Order>, u16),
    /// A ring's agent looks up reviewers without a ticket.
    DsLookup(u16),
    /// The ring's seller writes to a reviewer: (ring, customer, review number).
    DsMessage(u16, u32, u64),
    /// A bought-off review is raised or removed.
    DsRevise(u64),
}

#[derive(Debug)]
struct Task {
    ts: i64,
    seq: u64,
    kind: Kind,
}

// `BinaryHeap` is a max-heap: order tasks so the earliest (then first scheduled) is on top.
impl Ord for Task {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.ts, other.seq).cmp(&(self.ts, self.seq))
    }
}
impl PartialOrd for Task {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Task {
    fn eq(&self, other: &Self) -> bool {
        (self.ts, self.seq) == (other.ts, other.seq)
    }
}
impl Eq for Task {}

#[derive(Debug, Default)]
struct Ids {
    event: u64,
    order: u64,
    ret: u64,
    refund: u64,
    contact: u64,
    review: u64,
    message: u64,
    report: u64,
    post: u64,
    ticket: u64,
    parcel: u64,
}

#[derive(Debug, Clone, Copy)]
enum Topic {
    Return {
        reason: &'static str,
        item: &'static str,
    },
    NotReceived,
    WhereIsOrder,
    Password,
    AddressChange,
    Chase {
        ret: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Contact {
    id: u64,
    agent: u32,
    channel: &'static str,
    end: i64,
}

#[derive(Debug)]
pub(crate) struct Sim<'c> {
    cfg: &'c Config,
    r: R,
    start: i64,
    end: i64,
    now: i64,
    bucket_end: i64,
    heap: BinaryHeap<Task>,
    seq: u64,
    /// (emission key, event time, line)
    bucket: Vec<(i64, i64, String)>,
    pool: Vec<String>,
    customers: Vec<Customer>,
    employees: Vec<Employee>,
    catalogue: Vec<Product>,
    by_category: Vec<Vec<u32>>,
    ids: Ids,
    /// Per-run key so that order ids differ between seeds.
    order_key: u64,
    /// (order, time of its refund, amount refunded, main item refunded)
    refunded: VecDeque<(Rc<Order>, i64, i64, &'static str)>,
    /// Whether to record ground truth for `label` lines (off for the plain stream).
    labels: bool,
    /// Ground truth gathered during a labelled run.
    truth: gang::Truth,
    /// Refund-service gangs (empty unless `Config::refund_gangs` > 0).
    gangs: Vec<gang::Gang>,
    /// Ban evaders and their banned originals.
    evasion: evasion::Evasion,
    /// Phishing campaigns (empty unless `Config::phishing_campaigns` > 0).
    phish: phishing::Phishing,
    /// Data-selling rings (empty unless `Config::data_selling` > 0).
    ds: datasell::DataSelling,
    /// Employees whose credentials a gang holds.
    creds: creds::Creds,
}

fn country(c: u8) -> &'static Country {
    &COUNTRIES[c as usize % COUNTRIES.len()]
}

fn price_in(p: &Product, c: &Country) -> i64 {
    let units = (p.usd_cents as f64 * c.fx / 100.0).round() as i64;
    (units * 100 - 1).max(99)
}

fn mask_order_id(id: &str, mask: &str) -> String {
    match (id.get(..6), id.get(11..)) {
        (Some(head), Some(tail)) => format!("{head}{}{tail}", mask.repeat(5)),
        _ => id.to_string(),
    }
}

impl<'c> Sim<'c> {
    pub(crate) fn new(cfg: &'c Config) -> Self {
        let days = i64::from(cfg.days);
        let mut sim = Sim {
            cfg,
            r: R::new(cfg.seed),
            start: cfg.start_unix,
            end: cfg.start_unix + days * DAY,
            now: cfg.start_unix,
            bucket_end: cfg.start_unix,
            heap: BinaryHeap::new(),
            seq: 0,
            bucket: Vec::new(),
            pool: Vec::new(),
            customers: Vec::with_capacity(cfg.customers as usize),
            employees: Vec::new(),
            catalogue: Vec::with_capacity(CATALOGUE_SIZE),
            by_category: vec![Vec::new(); CATEGORIES.len()],
            ids: Ids::default(),
            order_key: 0,
            refunded: VecDeque::with_capacity(RECENT_REFUNDS),
            labels: false,
            truth: gang::Truth::default(),
            gangs: Vec::new(),
            evasion: evasion::Evasion::default(),
            phish: phishing::Phishing::default(),
            ds: datasell::DataSelling::default(),
            creds: creds::Creds::default(),
        };
        sim.order_key = sim.r.u64() % 10_000_000;
        sim.build_catalogue();
        let mut signups = Vec::new();
        for i in 0..cfg.customers {
            let c = sim.new_customer(i as usize);
            sim.customers.push(c);
            let span = sim.end - sim.start;
            let created = sim.start
                + if sim.r.chance(0.55) {
                    sim.r.range(0, (2 * DAY).min(span.max(1) - 1))
                } else {
                    sim.r.range(0, (span as f64 * 0.9) as i64)
                };
            sim.push(created, Kind::Signup(i));
            if cfg.refund_gangs > 0 {
                signups.push(created);
            }
        }
        for e in 0..cfg.employees.max(1) {
            let warehouse = (e / 3) % 5 == 4;
            sim.employees.push(Employee {
                device: sim.r.u64() as u32,
                home_ip: sim.r.u64() as u32,
                warehouse,
            });
            let t = sim.shift_start(e, 0);
            sim.push(t, Kind::Shift(e, 0));
        }
        if cfg.customers > 0 {
            let t = sim.start + sim.intel_gap();
            sim.push(t, Kind::Intel);
        }
        if cfg.refund_gangs > 0 && cfg.customers > 0 {
            sim.setup_gangs(&signups);
        }
        // Employees already working for one scheme are not picked by another.
        let mut staff = sim.gang_insiders();
        if cfg.data_selling > 0 && cfg.customers > 0 {
            sim.setup_data_selling(&mut staff);
        }
        if cfg.stolen_credentials > 0 && !sim.gangs.is_empty() {
            sim.setup_creds(&mut staff);
        }
        if cfg.ban_evasion > 0 && cfg.customers > 0 {
            sim.setup_bans();
        }
        if cfg.phishing_campaigns > 0 && cfg.customers > 0 {
            sim.setup_phishing();
        }
        sim
    }

    /// A simulator that also records the ground truth for `label` lines.
    pub(crate) fn labelled(cfg: &'c Config) -> Self {
        let mut sim = Self::new(cfg);
        sim.labels = true;
        sim
    }

    fn build_catalogue(&mut self) {
        let popularity: Vec<u32> = CATEGORIES.iter().map(|c| c.popularity).collect();
        let sellers = self.cfg.sellers.max(1) as usize;
        let offset = self.r.u64() % 2_821_109_907_456;
        for i in 0..CATALOGUE_SIZE {
            let cat = self.r.weighted(&popularity);
            let c = &CATEGORIES[cat];
            let usd = self.r.log_uniform(c.usd.0, c.usd.1);
            let grams = self.r.log_uniform(c.grams.0, c.grams.1) as u32;
            let seller = if self.r.chance(0.45) {
                0
            } else {
                1 + self.r.below(sellers) as u32
            };
            let seller_fulfilled = seller != 0 && self.r.chance(0.4);
            // 36^8 ids; the multiplier is coprime with 36, so SKUs are unique.
            let mut x =
                (i as u64).wrapping_mul(2_654_435_761).wrapping_add(offset) % 2_821_109_907_456;
            let mut sku = String::from("B0");
            let mut tail = [b'0'; 8];
            for slot in tail.iter_mut().rev() {
                let d = (x % 36) as u8;
                *slot = if d < 10 { b'0' + d } else { b'A' + d - 10 };
                x /= 36;
            }
            sku.extend(tail.iter().map(|&b| char::from(b)));
            self.by_category[cat].push(i as u32);
            self.catalogue.push(Product {
                sku,
                cat: cat as u8,
                name: self.r.pick::<&str>(c.items),
                usd_cents: (usd.round() as i64).max(1) * 100,
                grams,
                seller,
                seller_fulfilled,
            });
        }
    }

    fn new_customer(&mut self, i: usize) -> Customer {
        let household_share = self.cfg.rates.household_share;
        let r = &mut self.r;
        let household = if i > 0 && r.chance(household_share) {
            self.customers.get(r.below(i))
        } else {
            None
        };
        let (ci, addr, last, shared_card) = match household {
            Some(h) => (
                h.country as usize,
                h.addr.clone(),
                Some(h.last),
                if r.chance(0.3) {
                    h.cards.first().copied()
                } else {
                    None
                },
            ),
            None => {
                let ci = r.weighted(COUNTRY_WEIGHTS);
                (ci, new_address(ci, r), None, None)
            }
        };
        let c = &COUNTRIES[ci];
        let (firsts, lasts) = names(c.lang);
        let first = r.below(firsts.len()) as u8;
        let last = last.unwrap_or_else(|| r.below(lasts.len()) as u8);
        let unique = i as u64 * 37 + r.below(37) as u64 + 10;
        let email = email(
            firsts[first as usize],
            lasts[last as usize % lasts.len()],
            unique,
            c,
            r,
        );
        let city = &c.cities[addr.city as usize % c.cities.len()];
        let phone = if r.chance(0.75) {
            Some(phone_number(ci, city, r))
        } else {
            None
        };
        let phone_style = if r.chance(0.55) {
            0
        } else {
            1 + r.below(3) as u8
        };
        let mut devices = Vec::with_capacity(2);
        for _ in 0..1 + r.weighted(&[60, 30, 10]) {
            devices.push(r.u64());
        }
        let mut cards = vec![shared_card.unwrap_or_else(|| r.u64())];
        if r.chance(0.3) {
            cards.push(r.u64());
        }
        let home_ip = u32::from(*r.pick(c.res_octets)) << 24 | (r.u64() as u32 & 0x00ff_ffff);
        Customer {
            country: ci as u8,
            first,
            last,
            email,
            phone,
            phone_style,
            addr,
            addr_style: address_style(r),
            devices,
            home_ip,
            home_v6: r.chance(0.08),
            cards,
            activity: [0.4, 0.7, 1.0, 1.4, 2.2][r.weighted(&[20, 25, 30, 15, 10])],
            created: false,
            closed: false,
            last_order: None,
        }
    }

    // -----------------------------------------------------------------------------------
    // Agenda and output

    fn push(&mut self, ts: i64, kind: Kind) {
        if ts >= self.end {
            return;
        }
        self.seq += 1;
        self.heap.push(Task {
            ts: ts.max(self.now),
            seq: self.seq,
            kind,
        });
    }

    /// Starts an event line with its envelope.
    fn ev(&mut self, ts: i64, ty: &str) -> Line {
        let ts = ts.max(self.now);
        let buf = self
            .pool
            .pop()
            .unwrap_or_else(|| String::with_capacity(512));
        let mut j = Line::new(buf);
        j.at = ts;
        self.ids.event += 1;
        j.fmt("event_id", format_args!("ev-{:010}", self.ids.event));
        j.str("type", ty);
        j.ts("ts", ts);
        j
    }

    /// A new order id, the outbound carrier and its tracking number. Every order path
    /// (honest, gang, data-selling ring) draws them the same way and in the same order.
    fn new_order_ids(&mut self, cc: &Country) -> (String, usize, String) {
        self.ids.order += 1;
        let mut id = String::with_capacity(19);
        let _ = write!(
            id,
            "11{}-{:07}-{:07}",
            1 + self.r.below(4),
            self.r.below(10_000_000),
            world::permute((self.ids.order + self.order_key) % 10_000_000, 10_000_000)
        );
        let carrier = *self.r.pick(cc.carriers);
        self.ids.parcel += 1;
        let tracking = tracking_number(carrier, self.ids.parcel, &mut self.r);
        (id, carrier, tracking)
    }

    /// Writes an order's shipping address (the customer's own), a card of theirs, the
    /// device and IP; returns the destination postal code.
    fn ship_home_and_pay(&mut self, j: &mut Line, i: u32, dev: u64, ip: &str) -> String {
        let cust = &self.customers[i as usize];
        write_address(j, "shipping_address", &cust.addr, cust.addr_style, false);
        let dest_postal = cust.addr.postal.clone();
        let fp = *self.r.pick(&cust.cards);
        j.disp("payment_fingerprint", &Card(fp));
        j.disp("device_id", &Dev(dev));
        j.str("ip", ip);
        dest_postal
    }

    fn emit(&mut self, j: Line) {
        let ts = j.at;
        let s = j.finish();
        if ts >= self.end {
            self.recycle(s);
        } else if ts < self.bucket_end {
            self.bucket.push((ts, ts, s));
        } else {
            self.push(ts, Kind::Line(s));
        }
    }

    fn recycle(&mut self, s: String) {
        if self.pool.len() < POOL_MAX {
            self.pool.push(s);
        }
    }

    /// Runs the whole stream; `out` returns false to stop early (e.g. a closed pipe).
    pub(crate) fn run(mut self, out: &mut dyn FnMut(&str) -> bool) -> u64 {
        self.run_events(out).0
    }

    /// Runs the whole stream, then writes the ground truth as `label` lines (one object
    /// per call) unless `out` stopped the run early. Returns (events, labels).
    pub(crate) fn run_labelled(
        mut self,
        out: &mut dyn FnMut(&str) -> bool,
        label: &mut dyn FnMut(&str) -> bool,
    ) -> (u64, u64) {
        let (n, complete) = self.run_events(out);
        if !complete {
            return (n, 0);
        }
        (n, self.write_labels(label))
    }

    /// The event loop; the flag says whether it ran to the end of the period.
    fn run_events(&mut self, out: &mut dyn FnMut(&str) -> bool) -> (u64, bool) {
        let disorder = self.cfg.disorder_secs.max(0);
        let bucket_len = (2 * disorder).max(HOUR);
        let mut count = 0u64;
        let mut b0 = self.start;
        while b0 < self.end {
            let b1 = b0.saturating_add(bucket_len).min(self.end);
            self.bucket_end = b1;
            while self.heap.peek().is_some_and(|t| t.ts < b1) {
                let Some(task) = self.heap.pop() else { break };
                self.now = task.ts;
                self.run_task(task);
            }
            // True time order first, then a few lines slip later by up to `disorder`.
            self.bucket.sort_by_key(|e| e.1);
            if disorder > 0 {
                for e in &mut self.bucket {
                    if self.r.chance(self.cfg.rates.disorder_share) {
                        e.0 = e.1 + self.r.range(1, disorder);
                    }
                }
                self.bucket.sort_by_key(|e| e.0);
            }
            let mut lines = std::mem::take(&mut self.bucket);
            for (_, _, s) in lines.drain(..) {
                if !out(&s) {
                    return (count, false);
                }
                count += 1;
                self.recycle(s);
            }
            self.bucket = lines;
            b0 = b1;
        }
        (count, true)
    }

    fn run_task(&mut self, t: Task) {
        match t.kind {
            Kind::Line(s) => self.bucket.push((t.ts, t.ts, s)),
            Kind::Signup(i) => self.signup(t.ts, i),
            Kind::Session(i) => self.session(t.ts, i),
            Kind::Ship(o, stage) => self.ship(t.ts, o, stage),
            Kind::ReturnStart(o) => self.return_start(t.ts, o),
            Kind::Ret(ret, stage) => self.return_stage(t.ts, ret, stage),
            Kind::NotReceived(o) => self.not_received(t.ts, o),
            Kind::Chargeback(o) => self.chargeback(t.ts, &o),
            Kind::Review(o) => self.review(t.ts, &o),
            Kind::ReviewChange(id) => self.review_change(t.ts, id),
            Kind::Shift(e, day) => self.shift(t.ts, e, day),
            Kind::Intel => self.intel(t.ts),
            Kind::GangOrder(g, i) => self.gang_order(t.ts, g, i),
            Kind::GangStep(case) => self.gang_step(t.ts, case),
            Kind::Vouch(g) => self.vouch(t.ts, g),
            Kind::Ban => self.ban(t.ts),
            Kind::Evade(i) => self.evade(t.ts, i),
            Kind::Housemate(i) => self.housemate(t.ts, i),
            Kind::Phish(k) => self.phish(t.ts, k),
            Kind::DsBuy(k, i) => self.ds_buy(t.ts, k, i),
            Kind::DsReview(o, k) => self.ds_review(t.ts, &o, k),
            Kind::DsLookup(k) => self.ds_lookup(t.ts, k),
            Kind::DsMessage(k, i, rev) => self.ds_message(t.ts, k, i, rev),
            Kind::DsRevise(rev) => self.ds_revise(t.ts, rev),
        }
    }

    // -----------------------------------------------------------------------------------
    // Small helpers

    /// Optional fields are usually present; when absent, a few exporters write `null`.
    fn absent(&mut self, j: &mut Line, k: &str) {
        if self.r.chance(0.25) {
            j.null(k);
        }
    }

    fn ip_text(&mut self, i: u32) -> String {
        let c = &self.customers[i as usize];
        let cc = country(c.country);
        let mut s = String::with_capacity(24);
        match self.r.weighted(&[60, 35, 5]) {
            0 if c.home_v6 => {
                let x = c.home_ip;
                let _ = write!(
                    s,
                    "2600:1700:{:x}:{:x}::{:x}",
                    x >> 16,
                    x & 0xffff,
                    1 + (x % 250)
                );
            }
            0 => write_ipv4(&mut s, c.home_ip),
            1 => {
                let (a, b) = cc.mobile_prefix;
                let ip = u32::from(a) << 24
                    | u32::from(b) << 16
                    | (self.r.below(4) as u32) << 8
                    | self.r.below(256) as u32;
                write_ipv4(&mut s, ip);
            }
            _ => write_ipv4(&mut s, (self.r.u64() as u32) | 0x0100_0000),
        }
        s
    }

    fn device_of(&mut self, i: u32) -> u64 {
        let c = &self.customers[i as usize];
        if self.r.chance(0.8) {
            c.devices[0]
        } else {
            *self.r.pick(&c.devices)
        }
    }

    fn day_of(&self, ts: i64) -> i64 {
        (ts - self.start).div_euclid(DAY)
    }

    fn works(e: u32, day: i64) -> bool {
        (day + i64::from(e)).rem_euclid(7) >= 2
    }

    fn shift_start(&mut self, e: u32, day: i64) -> i64 {
        let jitter = self.r.range(-10 * MIN, 15 * MIN);
        (self.start + day * DAY + i64::from(e % 3) * 8 * HOUR + jitter).max(self.now)
    }

    /// An employee of the given role on shift at `ts` (or any of the role, or anyone).
    fn agent(&mut self, ts: i64, warehouse: bool) -> u32 {
        let n = self.employees.len();
        let day = self.day_of(ts);
        let shift = ((ts - self.start).rem_euclid(DAY) / (8 * HOUR)) as u32;
        for _ in 0..24 {
            let e = self.r.below(n) as u32;
            if e % 3 == shift
                && Self::works(e, day)
                && self.employees[e as usize].warehouse == warehouse
            {
                return e;
            }
        }
        for _ in 0..24 {
            let e = self.r.below(n) as u32;
            if self.employees[e as usize].warehouse == warehouse {
                return e;
            }
        }
        self.r.below(n) as u32
    }

    /// A customer whose account exists, for look-ups without a case behind them.
    fn some_customer(&mut self) -> Option<u32> {
        for _ in 0..8 {
            let i = self.r.below(self.customers.len()) as u32;
            if self.customers.get(i as usize).is_some_and(|c| c.created) {
                return Some(i);
            }
        }
        None
    }

    fn account_ids(&mut self, j: &mut Line, first: u32) {
        j.begin_arr("account_ids");
        j.elem_fmt(format_args!("{}", Acct(first)));
        let extra = self.r.weighted(&[80, 14, 6]);
        for _ in 0..extra {
            if let Some(i) = self.some_customer() {
                j.elem_fmt(format_args!("{}", Acct(i)));
            }
        }
        j.end_arr();
    }

    fn write_card(&mut self, j: &mut Line, fp: u64) {
        j.disp("payment_fingerprint", &Card(fp));
        if self.r.chance(0.9) {
            let body = fp >> 8;
            let bin = match fp % 10 {
                0..=5 => 400_000 + body % 100_000,
                6..=8 => 510_000 + body % 50_000,
                _ => {
                    (if body.is_multiple_of(2) {
                        340_000
                    } else {
                        370_000
                    }) + body % 10_000
                }
            };
            j.fmt("card_bin", format_args!("{bin}"));
        }
        if self.r.chance(0.9) {
            j.fmt("last4", format_args!("{:04}", (fp >> 24) % 10_000));
        } else {
            self.absent(j, "last4");
        }
    }

    // -----------------------------------------------------------------------------------
    // Accounts

    fn signup(&mut self, ts: i64, i: u32) {
        self.customers[i as usize].created = true;
        let dev = self.device_of(i);
        let ip = self.ip_text(i);
        let mut j = self.ev(ts, "account_created");
        j.disp("account_id", &Acct(i));
        let c = &self.customers[i as usize];
        let ci = c.country as usize;
        let (firsts, lasts) = names(COUNTRIES[ci].lang);
        j.str("email", &c.email);
        match (c.phone, self.r.weighted(&[90, 5, 5])) {
            (Some(n), 0) => {
                let mut p = String::with_capacity(20);
                write_phone(&mut p, ci, n, c.phone_style);
                j.str("phone", &p);
            }
            (_, 1) => j.null("phone"),
            _ => {}
        }
        if self.r.chance(0.9) {
            let name = format!(
                "{} {}",
                firsts[c.first as usize % firsts.len()],
                lasts[c.last as usize % lasts.len()]
            );
            match self.r.weighted(&[90, 7, 3]) {
                0 => j.str("name", &name),
                1 => j.str("name", &name.to_lowercase()),
                _ => j.str("name", &name.to_uppercase()),
            }
        }
        if self.r.chance(0.95) {
            j.disp("device_id", &Dev(dev));
        }
        if self.r.chance(0.92) {
            j.str("ip", &ip);
        }
        match self.r.weighted(&[85, 10, 5]) {
            0 => write_address(&mut j, "address", &c.addr, c.addr_style, self.r.chance(0.1)),
            1 => {}
            _ => j.null("address"),
        }
        self.emit(j);
        if self.r.chance(0.85) {
            let t = ts + self.r.range(MIN, 40 * MIN);
            let fp = self.customers[i as usize].cards[0];
            self.payment_method(t, i, fp);
        }
        let first_visit = ts + self.r.range(5 * MIN, 36 * HOUR);
        self.push(first_visit, Kind::Session(i));
    }

    fn payment_method(&mut self, ts: i64, i: u32, fp: u64) {
        let mut j = self.ev(ts, "payment_method_added");
        j.disp("account_id", &Acct(i));
        self.write_card(&mut j, fp);
        self.emit(j);
    }

    fn login(&mut self, ts: i64, i: u32, success: bool, dev: u64, ip: &str) {
        let mut j = self.ev(ts, "login");
        j.disp("account_id", &Acct(i));
        j.bool("success", success);
        if self.r.chance(0.96) {
            j.disp("device_id", &Dev(dev));
        }
        if self.r.chance(0.97) {
            j.str("ip", ip);
        } else {
            self.absent(&mut j, "ip");
        }
        self.emit(j);
    }

    fn session(&mut self, ts: i64, i: u32) {
        if self.customers[i as usize].closed {
            return;
        }
        let dev = if self.r.chance(0.02) {
            // A new phone or laptop.
            let d = self.r.u64();
            let c = &mut self.customers[i as usize];
            if c.devices.len() < 4 {
                c.devices.push(d);
            } else {
                c.devices[0] = d;
            }
            d
        } else {
            self.device_of(i)
        };
        let ip = self.ip_text(i);
        let mut t = ts;
        if self.r.chance(0.04) {
            self.login(t, i, false, dev, &ip);
            t += self.r.range(15, 120);
            if self.r.chance(0.1) {
                // Gave up for now.
                self.schedule_session(t, i);
                return;
            }
        }
        self.login(t, i, true, dev, &ip);
        t += self.r.range(20, 600);
        if self.r.chance(0.38) {
            self.place_order(t, i, dev, &ip);
            t += self.r.range(60, 900);
        }
        if self.r.chance(0.015) {
            self.account_update(t, i, dev, &ip);
            t += self.r.range(30, 300);
        }
        if self.r.chance(0.03) {
            let fp = self.r.u64();
            let c = &mut self.customers[i as usize];
            if c.cards.len() < 4 {
                c.cards.push(fp);
            }
            self.payment_method(t, i, fp);
            t += self.r.range(30, 300);
        }
        if self.r.chance(0.02) {
            let last = self.customers[i as usize].last_order.clone();
            let topic = match (self.r.weighted(&[50, 30, 20]), &last) {
                (0, Some(_)) => Topic::WhereIsOrder,
                (2, Some(_)) => Topic::AddressChange,
                _ => Topic::Password,
            };
            let c = self.contact(t, i, last.as_deref(), topic);
            t = c.end + self.r.range(60, 600);
        }
        if self.r.chance(0.006) {
            self.report(t, i);
            t += self.r.range(60, 600);
        }
        if self.r.chance(0.0004) {
            self.close(t, i, false);
            return;
        }
        if self.r.chance(0.00015) {
            let t = t + self.r.range(HOUR, 20 * HOUR);
            self.close(t, i, true);
            return;
        }
        self.schedule_session(t, i);
    }

    fn schedule_session(&mut self, after: i64, i: u32) {
        let c = &self.customers[i as usize];
        let offset = country(c.country).utc_offset;
        let mean = 0.95 * DAY as f64 / c.activity;
        let mut t = after + 10 * MIN + self.r.exp(mean) as i64;
        // People shop while awake.
        let local_hour = (t + offset * HOUR).rem_euclid(DAY) / HOUR;
        if local_hour < 7 && self.r.chance(0.8) {
            t += (8 - local_hour) * HOUR + self.r.range(0, 13 * HOUR);
        }
        self.push(t, Kind::Session(i));
    }

    fn account_update(&mut self, ts: i64, i: u32, dev: u64, ip: &str) {
        let what = self.r.weighted(&[30, 25, 30, 5, 10]);
        let mut j = self.ev(ts, "account_updated");
        j.disp("account_id", &Acct(i));
        let ci = self.customers[i as usize].country as usize;
        let c = &COUNTRIES[ci];
        match what {
            0 => {
                let cust = &self.customers[i as usize];
                let (firsts, lasts) = names(c.lang);
                let unique = u64::from(i) * 37 + self.r.below(37) as u64 + 10;
                let e = email(
                    firsts[cust.first as usize],
                    lasts[cust.last as usize % lasts.len()],
                    unique,
                    c,
                    &mut self.r,
                );
                j.str("email", &e);
                self.customers[i as usize].email = e;
            }
            1 => {
                let city =
                    &c.cities[self.customers[i as usize].addr.city as usize % c.cities.len()];
                let n = phone_number(ci, city, &mut self.r);
                let style = if self.r.chance(0.55) {
                    0
                } else {
                    1 + self.r.below(3) as u8
                };
                let mut p = String::new();
                write_phone(&mut p, ci, n, style);
                j.str("phone", &p);
                let cust = &mut self.customers[i as usize];
                cust.phone = Some(n);
                cust.phone_style = style;
            }
            2 => {
                let a = new_address(ci, &mut self.r);
                let style = address_style(&mut self.r);
                write_address(&mut j, "address", &a, style, false);
                self.customers[i as usize].addr = a;
            }
            3 => {
                let cust = &self.customers[i as usize];
                let (firsts, lasts) = names(c.lang);
                let name = format!(
                    "{} {}",
                    firsts[cust.first as usize],
                    lasts[self.r.below(lasts.len())]
                );
                j.str("name", &name);
            }
            _ => {}
        }
        if what == 4 || self.r.chance(0.7) {
            j.disp("device_id", &Dev(dev));
            j.str("ip", ip);
        }
        self.emit(j);
    }

    fn close(&mut self, ts: i64, i: u32, by_retailer: bool) {
        self.customers[i as usize].closed = true;
        let mut j = self.ev(ts, "account_closed");
        j.disp("account_id", &Acct(i));
        if by_retailer {
            j.str("by", "retailer");
            if self.r.chance(0.9) {
                let reason = *self.r.pick(&[
                    "abuse_of_returns",
                    "payment_fraud",
                    "terms_violation",
                    "chargeback_abuse",
                    "suspicious_activity",
                ]);
                j.str("reason", reason);
            }
        } else {
            if self.r.chance(0.9) {
                j.str("by", "customer");
            } else {
                self.absent(&mut j, "by");
            }
            if self.r.chance(0.4) {
                let reason = *self.r.pick(&[
                    "no_longer_needed",
                    "privacy",
                    "duplicate_account",
                    "moving_abroad",
                ]);
                j.str("reason", reason);
            }
        }
        self.emit(j);
    }

    // -----------------------------------------------------------------------------------
    // Orders and delivery

    fn place_order(&mut self, ts: i64, i: u32, dev: u64, ip: &str) {
        let ci = self.customers[i as usize].country;
        let cc = country(ci);
        let popularity: [u32; 10] = std::array::from_fn(|k| CATEGORIES[k].popularity);
        let n = 1 + self.r.weighted(&[55, 25, 12, 5, 3]);
        let mut items = Vec::with_capacity(n);
        let mut grams = self.r.range(100, 400) as u32;
        for _ in 0..n {
            let cat = self.r.weighted(&popularity);
            let list = &self.by_category[cat];
            let prod = if list.is_empty() {
                self.r.below(self.catalogue.len()) as u32
            } else {
                *self.r.pick(list)
            };
            let p = &self.catalogue[prod as usize];
            let qty = if matches!(p.cat, 6 | 7 | 9) && self.r.chance(0.25) {
                2 + self.r.below(2) as u32
            } else {
                1
            };
            grams += p.grams * qty;
            items.push(Item {
                prod,
                qty,
                unit: price_in(p, cc),
            });
        }
        let amount = items.iter().map(|it| it.unit * i64::from(it.qty)).sum();
        let (id, carrier, tracking) = self.new_order_ids(cc);
        let gift = self
            .r
            .chance(0.07)
            .then(|| new_address(ci as usize, &mut self.r));

        let mut j = self.ev(ts, "order_placed");
        j.str("order_id", &id);
        j.disp("account_id", &Acct(i));
        j.begin_arr("items");
        for it in &items {
            let p = &self.catalogue[it.prod as usize];
            j.elem_obj();
            j.str("sku", &p.sku);
            j.str("category", CATEGORIES[p.cat as usize].name);
            j.int("unit_price_minor", it.unit);
            j.int("quantity", i64::from(it.qty));
            if p.seller != 0 {
                j.disp("seller_id", &Seller(p.seller));
            } else if self.r.chance(0.15) {
                j.null("seller_id");
            }
            if self.r.chance(0.95) {
                j.str(
                    "fulfilled_by",
                    if p.seller_fulfilled {
                        "seller"
                    } else {
                        "retailer"
                    },
                );
            }
            j.end_obj();
        }
        j.end_arr();
        j.int("amount_minor", amount);
        j.str("currency", cc.currency);
        let cust = &self.customers[i as usize];
        let dest_postal = match &gift {
            Some(a) => {
                let style = address_style(&mut self.r);
                write_address(&mut j, "shipping_address", a, style, false);
                a.postal.clone()
            }
            None => {
                let style = if self.r.chance(0.85) {
                    cust.addr_style
                } else {
                    address_style(&mut self.r)
                };
                write_address(
                    &mut j,
                    "shipping_address",
                    &cust.addr,
                    style,
                    self.r.chance(0.05),
                );
                cust.addr.postal.clone()
            }
        };
        if self.r.chance(0.95) {
            let fp = *self.r.pick(&cust.cards);
            j.disp("payment_fingerprint", &Card(fp));
        }
        if self.r.chance(0.95) {
            j.disp("device_id", &Dev(dev));
        }
        if self.r.chance(0.95) {
            j.str("ip", ip);
        } else {
            self.absent(&mut j, "ip");
        }
        self.emit(j);

        let o = Rc::new(Order {
            id,
            cust: i,
            country: ci,
            items,
            amount,
            grams,
            carrier,
            tracking,
            dest_postal,
            gang: None,
        });
        if self.r.chance(0.5) {
            let t = ts + self.r.range(HOUR, 10 * HOUR);
            self.push(t, Kind::Ship(o.clone(), 0));
        } else {
            let t = ts + self.r.range(20 * HOUR, 5 * DAY);
            self.push(t, Kind::Ship(o.clone(), 5));
        }
        let third_party = o
            .items
            .iter()
            .find(|it| self.catalogue[it.prod as usize].seller != 0)
            .map(|it| it.prod);
        if let Some(prod) = third_party
            && self.r.chance(0.1)
        {
            let t = ts + self.r.range(HOUR, 20 * HOUR);
            self.seller_message(t, i, prod);
        }
        self.customers[i as usize].last_order = Some(o);
    }

    fn seller_message(&mut self, ts: i64, i: u32, prod: u32) {
        self.ids.message += 1;
        let mut j = self.ev(ts, "seller_message");
        j.fmt("message_id", format_args!("msg-{:08}", self.ids.message));
        let p = &self.catalogue[prod as usize];
        j.disp("seller_id", &Seller(p.seller));
        j.disp("account_id", &Acct(i));
        if self.r.chance(0.9) {
            let c = &self.customers[i as usize];
            let first = names(country(c.country).lang).0[c.first as usize];
            let text = match self.r.below(4) {
                0 => format!("Hi {first}, thanks for your order of the {}! Let us know if you need anything.", p.name),
                1 => format!("Your {} has been dispatched. We'd appreciate a review once it arrives.", p.name),
                2 => "Hello, there is a short delay with your order; we have upgraded the shipping at no cost.".to_string(),
                _ => format!("Hi {first}, please check the size chart before opening the {}. Happy to help with exchanges.", p.name),
            };
            j.str("text", &text);
        }
        self.emit(j);
    }

    fn scan(
        &mut self,
        ts: i64,
        carrier: usize,
        tracking: &str,
        status: &str,
        postal: Option<&str>,
        grams: Option<u32>,
    ) {
        let mut j = self.ev(ts, "carrier_scan");
        j.str("carrier", CARRIERS[carrier]);
        j.str("tracking_number", tracking);
        j.str("status", status);
        if let Some(p) = postal {
            j.str("postal_code", p);
        }
        if let Some(g) = grams {
            j.int("weight_grams", i64::from(g));
        }
        self.emit(j);
    }

    fn ship(&mut self, ts: i64, o: Rc<Order>, stage: u8) {
        let cc = country(o.country);
        match stage {
            0 => {
                self.scan(ts, o.carrier, &o.tracking, "label_created", None, None);
                let t = ts + self.r.range(2 * HOUR, 20 * HOUR);
                self.push(t, Kind::Ship(o, 1));
            }
            1 => {
                let wh = self.r.pick(cc.warehouses).postal;
                let g = (f64::from(o.grams) * (0.98 + 0.04 * self.r.f64())) as u32;
                self.scan(ts, o.carrier, &o.tracking, "accepted", Some(wh), Some(g));
                let t = ts + self.r.range(3 * HOUR, 12 * HOUR);
                self.push(t, Kind::Ship(o, 2));
            }
            2 => {
                self.scan(ts, o.carrier, &o.tracking, "in_transit", None, None);
                if self.r.chance(0.02) {
                    let t = ts + self.r.range(6 * HOUR, DAY);
                    self.push(t, Kind::Ship(o, 3));
                } else {
                    let t = ts + self.r.range(12 * HOUR, 3 * DAY);
                    self.push(t, Kind::Ship(o, 4));
                }
            }
            3 => {
                self.scan(ts, o.carrier, &o.tracking, "exception", None, None);
                let t = ts + self.r.range(DAY, 2 * DAY);
                self.push(t, Kind::Ship(o, 4));
            }
            4 => {
                self.scan(
                    ts,
                    o.carrier,
                    &o.tracking,
                    "out_for_delivery",
                    Some(&o.dest_postal),
                    None,
                );
                let t = ts + self.r.range(2 * HOUR, 9 * HOUR);
                self.push(t, Kind::Ship(o, 5));
            }
            _ => self.delivered(ts, o),
        }
    }

    fn delivered(&mut self, ts: i64, o: Rc<Order>) {
        let mut j = self.ev(ts, "shipment_delivered");
        j.str("order_id", &o.id);
        j.str("carrier", CARRIERS[o.carrier]);
        j.str("tracking_number", &o.tracking);
        if self.r.chance(0.9) {
            j.int("weight_grams", i64::from(o.grams));
        }
        if self.r.chance(0.85) {
            j.bool(
                "proof_photo",
                self.r.chance(self.cfg.rates.proof_photo_share),
            );
        }
        match self.r.weighted(&self.cfg.rates.gps_field_weights) {
            0 => j.bool("gps_match", self.r.chance(self.cfg.rates.gps_match_share)),
            1 => {}
            _ => j.null("gps_match"),
        }
        if self.r.chance(0.7) {
            let high_value = o.amount >= 50_000;
            j.bool("signature", high_value && self.r.chance(0.8));
        }
        self.emit(j);
        if let Some(g) = o.gang {
            self.gang_delivered(ts, o, g);
            return;
        }
        if !self.ds.rings.is_empty() && self.ds_delivered(ts, &o) {
            return;
        }

        let return_rate = o
            .items
            .iter()
            .map(|it| CATEGORIES[self.catalogue[it.prod as usize].cat as usize].return_rate)
            .fold(0.0, f64::max)
            * (self.cfg.rates.return_share / NOMINAL_RETURN_SHARE);
        let not_received = self.cfg.rates.not_received_share;
        let u = self.r.f64();
        if u < not_received {
            let t = ts + self.r.range(DAY, 4 * DAY);
            self.push(t, Kind::NotReceived(o.clone()));
        } else if u < not_received + return_rate * 1.2 {
            let t = ts + self.r.range(12 * HOUR, 14 * DAY);
            self.push(t, Kind::ReturnStart(o.clone()));
        }
        if self.r.chance(self.cfg.rates.chargeback_share) {
            let t = ts + self.r.range(3 * DAY, 25 * DAY);
            self.push(t, Kind::Chargeback(o.clone()));
        }
        if self.r.chance(self.cfg.rates.review_share) {
            let t = ts + self.r.range(DAY, 12 * DAY);
            self.push(t, Kind::Review(o));
        }
    }

    fn chargeback(&mut self, ts: i64, o: &Order) {
        let mut j = self.ev(ts, "chargeback");
        j.str("order_id", &o.id);
        let amount = if self.r.chance(0.8) {
            o.amount
        } else {
            o.items.first().map_or(o.amount, |it| it.unit)
        };
        j.int("amount_minor", amount);
        j.str("currency", country(o.country).currency);
        if self.r.chance(0.8) {
            let reason = *self.r.pick(&[
                "fraudulent",
                "product_not_received",
                "not_as_described",
                "duplicate",
                "credit_not_processed",
            ]);
            j.str("reason", reason);
        }
        self.emit(j);
    }

    // -----------------------------------------------------------------------------------
    // Reviews

    fn review(&mut self, ts: i64, o: &Order) {
        let prod = o.items[self.r.below(o.items.len())].prod;
        let rating = [5u8, 4, 3, 2, 1][self.r.weighted(&[55, 20, 8, 6, 11])];
        self.ids.review += 1;
        let id = self.ids.review;
        let mut j = self.ev(ts, "review_posted");
        let p = &self.catalogue[prod as usize];
        j.fmt("review_id", format_args!("rev-{id:08}"));
        j.disp("account_id", &Acct(o.cust));
        j.str("sku", &p.sku);
        j.disp("seller_id", &Seller(p.seller));
        j.int("rating", i64::from(rating));
        if self.r.chance(0.85) {
            let text = review_text(rating, p.name, country(o.country).lang, &mut self.r);
            j.str("text", &text);
        }
        self.emit(j);
        if !self.ds.rings.is_empty() {
            let seller = self.catalogue[prod as usize].seller;
            self.ds_note_review(seller, rating, o.cust, id);
        }
        if self.r.chance(0.03) {
            let t = ts + self.r.range(HOUR, 10 * DAY);
            self.push(t, Kind::ReviewChange(id));
        }
    }

    fn review_change(&mut self, ts: i64, id: u64) {
        let mut j = self.ev(ts, "review_changed");
        j.fmt("review_id", format_args!("rev-{id:08}"));
        let removed = self.r.chance(0.25);
        j.bool("removed", removed);
        if !removed {
            j.int("rating", 1 + self.r.below(5) as i64);
        } else {
            self.absent(&mut j, "rating");
        }
        self.emit(j);
    }

    // -----------------------------------------------------------------------------------
    // Support, returns and refunds

    /// A support contact handled by an agent, with the agent's look-up and case note.
    fn contact(&mut self, ts: i64, i: u32, order: Option<&Order>, topic: Topic) -> Contact {
        self.ids.contact += 1;
        let id = self.ids.contact;
        let agent = self.agent(ts, false);
        let channel = match topic {
            Topic::Password => ["chat", "phone"][self.r.below(2)],
            _ => ["chat", "phone", "email"][self.r.weighted(&[50, 35, 15])],
        };
        let duration = match channel {
            "chat" => self.r.range(3 * MIN, 25 * MIN),
            "phone" => self.r.range(90, 20 * MIN),
            _ => 0,
        };
        let verified = self.r.chance(if channel == "email" { 0.85 } else { 0.94 });
        let method = *self.r.pick(&[
            "an email code",
            "an SMS code",
            "the last 4 of the card",
            "the billing address",
        ]);
        let order_id = order.map(|o| o.id.as_str());
        let mut transcript = match topic {
            Topic::Return { reason, item } => match reason {
                "damaged" => format!(
                    "Customer reports the {item} arrived damaged (box crushed). Return label sent."
                ),
                "defective" => format!(
                    "The {item} stopped working after a few days. Basic troubleshooting done, return approved."
                ),
                "wrong_item" => format!(
                    "Customer received a different item instead of the {item}. Return label issued."
                ),
                "not_as_described" => format!(
                    "The {item} does not match the listing (colour/size). Customer wants to return it."
                ),
                "missing_parts" => {
                    format!("The {item} is missing parts (charger/manual). Offered a return.")
                }
                "no_longer_needed" => {
                    format!("Customer no longer needs the {item}; still within the return window.")
                }
                _ => format!("Customer asked to return the {item}."),
            },
            Topic::NotReceived => format!(
                "Customer says order {} was marked delivered but never arrived. Checked the delivery photo and GPS; refund raised.",
                order_id.unwrap_or("(unknown)")
            ),
            Topic::WhereIsOrder => format!(
                "Customer asked where order {} is; gave a tracking update.",
                order_id.unwrap_or("(unknown)")
            ),
            Topic::Password => {
                "Customer locked out of the account; password reset link sent.".to_string()
            }
            Topic::AddressChange => format!(
                "Customer asked to change the delivery address of order {}.",
                order_id.unwrap_or("(unknown)")
            ),
            Topic::Chase { ret } => format!(
                "Customer says return ret-{ret:08} was dropped off two weeks ago and no refund has arrived. No carrier scans found."
            ),
        };
        if verified {
            let _ = write!(transcript, " Identity verified with {method}.");
        } else {
            transcript.push_str(" Could not verify identity.");
        }

        let caller = self.customers[i as usize].phone;
        let ci = self.customers[i as usize].country as usize;
        let dev = self.device_of(i);
        let ip = self.ip_text(i);
        let mut j = self.ev(ts, "support_contact");
        j.fmt("contact_id", format_args!("ct-{id:08}"));
        j.disp("employee_id", &Emp(agent));
        j.str("channel", channel);
        j.bool("identity_verified", verified);
        match self.r.weighted(&[97, 2, 1]) {
            0 => j.disp("account_id", &Acct(i)),
            1 => j.null("account_id"),
            _ => {}
        }
        if let Some(oid) = order_id
            && self.r.chance(0.85)
        {
            j.str("order_id", oid);
        }
        match channel {
            "phone" => {
                let mut p = String::with_capacity(16);
                match caller {
                    Some(n) if self.r.chance(0.9) => write_phone(&mut p, ci, n, 0),
                    _ => {
                        // Called from another phone (work, a partner's).
                        let city = &COUNTRIES[ci].cities[0];
                        let n = phone_number(ci, city, &mut self.r);
                        write_phone(&mut p, ci, n, 0);
                    }
                }
                j.str("caller_phone", &p);
            }
            "chat" => {
                if self.r.chance(0.9) {
                    j.disp("device_id", &Dev(dev));
                }
                if self.r.chance(0.9) {
                    j.str("ip", &ip);
                }
            }
            _ => {}
        }
        if duration > 0 {
            j.int("duration_s", duration);
        }
        if self.r.chance(0.9) {
            j.str("transcript", &transcript);
        }
        self.emit(j);

        // The agent opens the customer's records for this case.
        let resource = match topic {
            Topic::Password => "contact_details",
            _ if order.is_some() => "order_history",
            _ => "customer_profile",
        };
        let t = ts + self.r.range(15, 90);
        let mut j = self.ev(t, "data_access");
        j.disp("employee_id", &Emp(agent));
        j.str("resource", resource);
        j.begin_arr("account_ids");
        j.elem_fmt(format_args!("{}", Acct(i)));
        j.end_arr();
        if self.r.chance(0.95) {
            j.fmt("ticket_id", format_args!("ct-{id:08}"));
        }
        if self.r.chance(0.3) {
            j.bool("export", false);
        }
        self.emit(j);

        let end = ts
            + if duration > 0 {
                duration
            } else {
                self.r.range(5 * MIN, 40 * MIN)
            };
        let action = match topic {
            Topic::Password => Some("reset_credentials"),
            Topic::AddressChange => Some("change_shipping_address"),
            Topic::WhereIsOrder => Some("close_case"),
            _ => None,
        };
        for act in std::iter::once("add_note").chain(action) {
            let mut j = self.ev(end, "employee_action");
            j.disp("employee_id", &Emp(agent));
            j.str("action", act);
            j.disp("account_id", &Acct(i));
            if let Some(oid) = order_id
                && act != "reset_credentials"
            {
                j.str("order_id", oid);
            }
            j.fmt("ticket_id", format_args!("ct-{id:08}"));
            self.emit(j);
        }
        Contact {
            id,
            agent,
            channel,
            end,
        }
    }

    fn return_start(&mut self, ts: i64, o: Rc<Order>) {
        let i = o.cust;
        let ci = o.country as usize;
        let cc = &COUNTRIES[ci];
        // Mostly one line of the order comes back, sometimes all of it.
        let n = o.items.len();
        let mut picked: Vec<(usize, u32)> = Vec::with_capacity(n);
        if n > 1 && self.r.chance(0.15) {
            picked.extend(o.items.iter().enumerate().map(|(k, it)| (k, it.qty)));
        } else {
            let k = self.r.below(n);
            let qty = o.items[k].qty;
            picked.push((
                k,
                if qty > 1 && self.r.chance(0.5) {
                    1
                } else {
                    qty
                },
            ));
        }
        let first = &self.catalogue[o.items[picked[0].0].prod as usize];
        let item_name = first.name;
        let weights = if first.cat == 4 {
            APPAREL_REASON_WEIGHTS
        } else {
            RETURN_REASON_WEIGHTS
        };
        let reason = RETURN_REASONS[self.r.weighted(weights)];
        let amount = picked
            .iter()
            .map(|&(k, q)| o.items[k].unit * i64::from(q))
            .sum();
        let grams = picked
            .iter()
            .map(|&(k, q)| self.catalogue[o.items[k].prod as usize].grams * q)
            .sum::<u32>()
            + self.r.range(150, 500) as u32;

        let mut t = ts;
        let (channel, contact) = if self.r.chance(0.3) {
            let c = self.contact(
                t,
                i,
                Some(&*o),
                Topic::Return {
                    reason,
                    item: item_name,
                },
            );
            t = c.end + self.r.range(10, 120);
            (c.channel, Some((c.id, c.agent)))
        } else {
            (["web", "app", "email"][self.r.weighted(&[58, 38, 4])], None)
        };
        self.ids.ret += 1;
        let id = self.ids.ret;
        let carrier = *self.r.pick(cc.return_carriers);
        self.ids.parcel += 1;
        let tracking = tracking_number(carrier, self.ids.parcel, &mut self.r);
        let never_scanned = self.r.chance(self.cfg.rates.return_lost_share);
        let ret = Rc::new(Return {
            id,
            order: o,
            items: picked,
            reason,
            channel,
            contact,
            carrier,
            tracking,
            amount,
            grams,
            on_scan: self.r.chance(self.cfg.rates.instant_refund_share),
            never_scanned,
            chase: never_scanned && self.r.chance(0.4),
            lost_at_dock: self.r.chance(self.cfg.rates.return_lost_at_dock_share),
            warehouse: self.r.below(cc.warehouses.len()),
        });

        let mut j = self.ev(t, "return_requested");
        j.fmt("return_id", format_args!("ret-{id:08}"));
        j.str("order_id", &ret.order.id);
        j.disp("account_id", &Acct(i));
        j.begin_arr("items");
        for &(k, q) in &ret.items {
            j.elem_obj();
            j.str("sku", &self.catalogue[ret.order.items[k].prod as usize].sku);
            j.int("quantity", i64::from(q));
            j.end_obj();
        }
        j.end_arr();
        j.str("reason", reason);
        j.str("channel", channel);
        match contact {
            Some((cid, _)) => j.fmt("contact_id", format_args!("ct-{cid:08}")),
            None => self.absent(&mut j, "contact_id"),
        }
        self.emit(j);

        let t = t + self.r.range(5, 90);
        let mut j = self.ev(t, "return_label_created");
        j.fmt("return_id", format_args!("ret-{id:08}"));
        j.str("carrier", CARRIERS[ret.carrier]);
        j.str("tracking_number", &ret.tracking);
        self.emit(j);

        let t = t + self.r.range(10 * MIN, 4 * HOUR);
        self.push(t, Kind::Ret(ret, 0));
    }

    fn return_stage(&mut self, ts: i64, ret: Rc<Return>, stage: u8) {
        let cc = country(ret.order.country);
        match stage {
            0 => {
                self.scan(ts, ret.carrier, &ret.tracking, "label_created", None, None);
                if ret.never_scanned {
                    if ret.chase {
                        let t = ts + self.r.range(7 * DAY, 20 * DAY);
                        self.push(t, Kind::Ret(ret, 6));
                    }
                } else {
                    let t = ts + self.r.range(6 * HOUR, 5 * DAY);
                    self.push(t, Kind::Ret(ret, 1));
                }
            }
            1 => {
                let postal = self.customers[ret.order.cust as usize].addr.postal.clone();
                let g = (f64::from(ret.grams) * (0.97 + 0.06 * self.r.f64())) as u32;
                let postal = self.r.chance(0.9).then_some(postal);
                self.scan(
                    ts,
                    ret.carrier,
                    &ret.tracking,
                    "accepted",
                    postal.as_deref(),
                    Some(g),
                );
                if ret.on_scan {
                    let t = ts + self.r.range(MIN, 30 * MIN);
                    self.refund(
                        t,
                        &ret.order,
                        ret.amount,
                        ret.reason,
                        ret.channel,
                        Some(ret.id),
                        ret.contact,
                        0.97,
                        20 * MIN,
                    );
                }
                let t = ts + self.r.range(4 * HOUR, 20 * HOUR);
                self.push(t, Kind::Ret(ret, 2));
            }
            2 => {
                self.scan(ts, ret.carrier, &ret.tracking, "in_transit", None, None);
                if self.r.chance(0.01) {
                    let t = ts + self.r.range(2 * HOUR, 10 * HOUR);
                    self.scan(t, ret.carrier, &ret.tracking, "exception", None, None);
                }
                if self.r.chance(0.3) {
                    let t = ts + self.r.range(12 * HOUR, 36 * HOUR);
                    self.push(t, Kind::Ret(ret, 3));
                } else {
                    let t = ts + self.r.range(12 * HOUR, 60 * HOUR);
                    self.push(t, Kind::Ret(ret, 4));
                }
            }
            3 => {
                self.scan(
                    ts,
                    ret.carrier,
                    &ret.tracking,
                    "out_for_delivery",
                    None,
                    None,
                );
                let t = ts + self.r.range(2 * HOUR, 8 * HOUR);
                self.push(t, Kind::Ret(ret, 4));
            }
            4 => {
                let wh = cc.warehouses[ret.warehouse % cc.warehouses.len()].postal;
                self.scan(ts, ret.carrier, &ret.tracking, "delivered", Some(wh), None);
                if !ret.lost_at_dock {
                    let t = ts + self.r.range(2 * HOUR, 2 * DAY);
                    self.push(t, Kind::Ret(ret, 5));
                }
            }
            5 => self.return_received(ts, &ret),
            _ => {
                let c = self.contact(
                    ts,
                    ret.order.cust,
                    Some(&*ret.order),
                    Topic::Chase { ret: ret.id },
                );
                let t = c.end + self.r.range(10, 120);
                self.refund(
                    t,
                    &ret.order,
                    ret.amount,
                    ret.reason,
                    c.channel,
                    Some(ret.id),
                    Some((c.id, c.agent)),
                    0.5,
                    12 * HOUR,
                );
            }
        }
    }

    fn return_received(&mut self, ts: i64, ret: &Return) {
        let cc = country(ret.order.country);
        let clerk = self.agent(ts, true);
        let mut j = self.ev(ts, "return_received");
        j.fmt("return_id", format_args!("ret-{:08}", ret.id));
        j.str(
            "warehouse_id",
            cc.warehouses[ret.warehouse % cc.warehouses.len()].id,
        );
        j.disp("employee_id", &Emp(clerk));
        j.begin_arr("items");
        for &(k, q) in &ret.items {
            let weights: &[u32] = match ret.reason {
                "damaged" => &[300, 200, 500, 0, 2],
                "defective" => &[450, 500, 50, 0, 2],
                "wrong_item" => &[700, 150, 20, 130, 2],
                _ => &[720, 240, 35, 3, 2],
            };
            let condition =
                ["new", "used", "damaged", "wrong_item", "empty"][self.r.weighted(weights)];
            j.elem_obj();
            j.str("sku", &self.catalogue[ret.order.items[k].prod as usize].sku);
            j.int("quantity", i64::from(q));
            j.str("condition", condition);
            j.end_obj();
        }
        j.end_arr();
        j.bool(
            "barcode_scanned",
            self.r.chance(self.cfg.rates.receipt_barcode_share),
        );
        if self.r.chance(0.85) {
            j.int(
                "weight_grams",
                (f64::from(ret.grams) * (0.98 + 0.04 * self.r.f64())) as i64,
            );
        }
        self.emit(j);

        let t = ts + self.r.range(20, 300);
        let mut j = self.ev(t, "employee_action");
        j.disp("employee_id", &Emp(clerk));
        j.str("action", "mark_return_received");
        j.fmt("return_id", format_args!("ret-{:08}", ret.id));
        if self.r.chance(0.7) {
            j.str("order_id", &ret.order.id);
        }
        if self.r.chance(0.5) {
            j.disp("account_id", &Acct(ret.order.cust));
        }
        self.emit(j);

        if !ret.on_scan {
            let t = t + self.r.range(10 * MIN, 20 * HOUR);
            self.refund(
                t,
                &ret.order,
                ret.amount,
                ret.reason,
                ret.channel,
                Some(ret.id),
                ret.contact,
                0.98,
                2 * HOUR,
            );
        }
    }

    fn not_received(&mut self, ts: i64, o: Rc<Order>) {
        let (channel, contact, t) = if self.r.chance(0.7) {
            let c = self.contact(ts, o.cust, Some(&*o), Topic::NotReceived);
            (
                c.channel,
                Some((c.id, c.agent)),
                c.end + self.r.range(10, 120),
            )
        } else {
            (["web", "app"][self.r.below(2)], None, ts)
        };
        let amount = if self.r.chance(0.9) {
            o.amount
        } else {
            o.items[0].unit
        };
        self.refund(
            t,
            &o,
            amount,
            "not_received",
            channel,
            None,
            contact,
            0.9,
            6 * HOUR,
        );
    }

    /// The decision point, then (usually) what the retailer did about it.
    #[allow(clippy::too_many_arguments)]
    fn refund(
        &mut self,
        ts: i64,
        o: &Rc<Order>,
        amount: i64,
        reason: &str,
        channel: &str,
        ret: Option<u64>,
        contact: Option<(u64, u32)>,
        issue_p: f64,
        max_delay: i64,
    ) {
        self.ids.refund += 1;
        let id = self.ids.refund;
        let currency = country(o.country).currency;
        let mut j = self.ev(ts, "refund_requested");
        j.fmt("refund_id", format_args!("ref-{id:08}"));
        j.str("order_id", &o.id);
        j.disp("account_id", &Acct(o.cust));
        j.int("amount_minor", amount);
        j.str("currency", currency);
        j.str("reason", reason);
        j.str("channel", channel);
        match ret {
            Some(r) => j.fmt("return_id", format_args!("ret-{r:08}")),
            None => self.absent(&mut j, "return_id"),
        }
        if let Some((cid, agent)) = contact {
            j.fmt("contact_id", format_args!("ct-{cid:08}"));
            if self.r.chance(0.9) {
                j.disp("employee_id", &Emp(agent));
            }
        }
        if self.labels && j.at < self.end {
            self.truth.refunds.push((id, 0));
        }
        self.emit(j);

        if !self.r.chance(issue_p) {
            return;
        }
        let t = ts + self.r.range(30, max_delay.max(60));
        let approver = match contact {
            Some((_, agent)) if self.r.chance(0.5) => Some(agent),
            _ if self.r.chance(0.06) => Some(self.agent(t, false)),
            _ => None,
        };
        if let Some(a) = approver {
            let at = t - self.r.range(0, 20);
            let mut j = self.ev(at, "employee_action");
            j.disp("employee_id", &Emp(a));
            j.str("action", "approve_refund");
            j.fmt("refund_id", format_args!("ref-{id:08}"));
            j.str("order_id", &o.id);
            if let Some(r) = ret {
                j.fmt("return_id", format_args!("ret-{r:08}"));
            }
            if let Some((cid, _)) = contact {
                j.fmt("ticket_id", format_args!("ct-{cid:08}"));
            }
            self.emit(j);
        }
        // About 18 refunds per 1,000 customers a day: sample so the ring spans ~10 days.
        let keep = (RECENT_REFUNDS as f64 / (f64::from(self.cfg.customers) * 0.18)).min(1.0);
        if self.r.chance(keep) {
            if self.refunded.len() >= RECENT_REFUNDS {
                self.refunded.pop_front();
            }
            // The dearest item the refund covers, as the vouch post would show it.
            let item = o
                .items
                .iter()
                .filter(|it| it.unit <= amount)
                .max_by_key(|it| it.unit)
                .or(o.items.first())
                .map_or("order", |it| self.catalogue[it.prod as usize].name);
            self.refunded.push_back((o.clone(), t, amount, item));
        }
        let mut j = self.ev(t, "refund_issued");
        j.fmt("refund_id", format_args!("ref-{id:08}"));
        j.int("amount_minor", amount);
        j.str("currency", currency);
        j.bool(
            "override",
            approver.is_some() && self.r.chance(self.cfg.rates.refund_override_share),
        );
        match approver {
            Some(a) => j.disp("employee_id", &Emp(a)),
            None => self.absent(&mut j, "employee_id"),
        }
        self.emit(j);
    }

    // -----------------------------------------------------------------------------------
    // Employees

    fn shift(&mut self, ts: i64, e: u32, day: i64) {
        let next = self.shift_start(e, day + 1).max(ts + HOUR);
        self.push(next, Kind::Shift(e, day + 1));
        if !Self::works(e, day) {
            return;
        }
        let emp = &self.employees[e as usize];
        let (device, warehouse) = (emp.device, emp.warehouse);
        let mut ip = String::with_capacity(16);
        if self.r.chance(0.85) {
            let _ = write!(
                ip,
                "10.{}.{}.{}",
                20 + e % 4,
                (emp.device >> 8) % 64,
                10 + emp.device % 200
            );
        } else {
            write_ipv4(&mut ip, emp.home_ip | 0x0100_0000);
        }
        let mut t = ts;
        if self.r.chance(0.03) {
            self.employee_login(t, e, false, device, &ip);
            t += self.r.range(20, 120);
        }
        self.employee_login(t, e, true, device, &ip);

        // Routine case work spread over the shift.
        let n = if warehouse {
            self.r.range(0, 2)
        } else {
            self.r.range(4, 10)
        };
        for _ in 0..n {
            let at = t + self.r.range(5 * MIN, 8 * HOUR - 10 * MIN);
            let Some(i) = self.some_customer() else {
                continue;
            };
            if warehouse || self.r.chance(self.cfg.rates.lookup_ticket_share) {
                self.ids.ticket += 1;
                let ticket = self.ids.ticket;
                let resource = if warehouse {
                    "order_history"
                } else {
                    [
                        "customer_profile",
                        "order_history",
                        "contact_details",
                        "payment_details",
                        "reviewer_contact",
                        "return_history",
                    ][self.r.weighted(&[40, 30, 12, 5, 6, 7])]
                };
                let mut j = self.ev(at, "data_access");
                j.disp("employee_id", &Emp(e));
                j.str("resource", resource);
                self.account_ids(&mut j, i);
                if self.r.chance(0.9) {
                    j.fmt("ticket_id", format_args!("tkt-{ticket:07}"));
                } else {
                    self.absent(&mut j, "ticket_id");
                }
                match self.r.weighted(&[1, 60, 39]) {
                    0 => j.bool("export", true),
                    1 => j.bool("export", false),
                    _ => {}
                }
                self.emit(j);
            } else {
                self.ids.ticket += 1;
                let ticket = self.ids.ticket;
                let action = [
                    "add_note",
                    "close_case",
                    "escalate_case",
                    "reset_credentials",
                    "change_shipping_address",
                    "override_hold",
                ][self.r.weighted(&[40, 35, 12, 6, 5, 2])];
                let order = self.customers[i as usize].last_order.clone();
                let mut j = self.ev(at, "employee_action");
                j.disp("employee_id", &Emp(e));
                j.str("action", action);
                if self.r.chance(0.85) {
                    j.disp("account_id", &Acct(i));
                }
                if let Some(o) = order
                    && self.r.chance(0.4)
                {
                    j.str("order_id", &o.id);
                }
                if self.r.chance(0.8) {
                    j.fmt("ticket_id", format_args!("tkt-{ticket:07}"));
                }
                self.emit(j);
            }
        }
    }

    fn employee_login(&mut self, ts: i64, e: u32, success: bool, device: u32, ip: &str) {
        let mut j = self.ev(ts, "employee_login");
        j.disp("employee_id", &Emp(e));
        j.bool("success", success);
        if self.r.chance(0.97) {
            j.str("ip", ip);
        }
        if self.r.chance(0.95) {
            j.fmt("device_id", format_args!("ws-{device:08x}"));
        }
        self.emit(j);
    }

    // -----------------------------------------------------------------------------------
    // Reported messages and threat intelligence

    fn report(&mut self, ts: i64, i: u32) {
        self.ids.report += 1;
        let c = &self.customers[i as usize];
        let cc = country(c.country);
        let lang = cc.lang;
        let first = names(lang).0[c.first as usize];
        let phishing = self.r.chance(self.cfg.rates.reported_phishing_share);
        if phishing && !self.phish.campaigns.is_empty() {
            // Every phishing text in circulation comes from one of the campaigns.
            let k = self.campaign_for(ts, i);
            let id = self.ids.report;
            self.campaign_report(ts, i, k, id);
            return;
        }
        let channel = ["sms", "email", "call", "other"][self.r.weighted(&[50, 40, 5, 5])];
        let last_order = c
            .last_order
            .as_ref()
            .map(|o| (o.id.clone(), o.amount, o.country));
        let fake_order = format!(
            "11{}-{:07}-{:07}",
            1 + self.r.below(4),
            self.r.below(10_000_000),
            self.r.below(10_000_000)
        );
        let amount = money_text(self.r.range(20, 1_600) * 100 - 1, cc.currency);
        let mut sender = String::new();
        let mut subject: Option<String> = None;
        let mut urls: Vec<String> = Vec::new();
        let text = if phishing {
            let domain = *self.r.pick(LOOKALIKE_DOMAINS);
            let mut url = format!(
                "https://{domain}/{}",
                ["verify", "login", "billing", "refund", "secure"][self.r.below(5)]
            );
            if self.r.chance(0.3) {
                let _ = write!(url, "?id={:06x}", self.r.below(0xff_ffff));
            }
            if self.r.chance(0.15) {
                url = format!("https://bit.ly/3{:x}", self.r.below(0xf_ffff));
            }
            match channel {
                "email" => {
                    let _ = write!(
                        sender,
                        "{}@{domain}",
                        ["no-reply", "billing", "support", "security"][self.r.below(4)]
                    );
                }
                _ => write_phone(
                    &mut sender,
                    c.country as usize,
                    phone_number(c.country as usize, &cc.cities[0], &mut self.r),
                    0,
                ),
            }
            let text = match (channel, lang, self.r.below(4)) {
                ("call", ..) => format!(
                    "Caller said they were from Amazon's fraud department about an iPhone order for {amount} and asked me to install AnyDesk to cancel it."
                ),
                (_, Lang::Fr, 0 | 1) => format!(
                    "Votre compte Amazon sera définitivement fermé sous 48 heures. Confirmez vos informations : {url}"
                ),
                (_, Lang::De, 0 | 1) => format!(
                    "Ihr Amazon-Konto wurde gesperrt. Bitte bestätigen Sie Ihre Zahlungsdaten: {url}"
                ),
                (_, _, 0) => format!(
                    "Amazon: There is a payment problem with your order {fake_order}. Please confirm your bank details within 24h or it will be cancelled: {url}"
                ),
                (_, _, 1) => format!(
                    "Your Amazon account has been locked due to unusual activity. Verify now: {url}"
                ),
                (_, _, 2) => format!(
                    "Amazon Prime: your membership renewal of {amount} failed. Update your payment info at {url}"
                ),
                _ => format!(
                    "Dear customer, a refund of {amount} is pending. Reply 1 to obtain a secure link to claim it."
                ),
            };
            if channel != "call" && text.contains(&url) {
                urls.push(url);
            }
            if channel == "email" {
                subject = Some(
                    [
                        "Action required: payment problem with your order",
                        "Your account has been suspended",
                        "Refund notification",
                    ][self.r.below(3)]
                    .to_string(),
                );
            }
            text
        } else {
            let shop = cc.shop_domain;
            let url = format!("https://www.{shop}/gp/your-account/order-history");
            match channel {
                "email" => {
                    let _ = write!(sender, "shipment-tracking@{shop}");
                }
                "call" => write_phone(
                    &mut sender,
                    c.country as usize,
                    phone_number(c.country as usize, &cc.cities[0], &mut self.r),
                    0,
                ),
                _ => sender.push_str(if c.country == 0 { "262966" } else { "Amazon" }),
            }
            let text = match &last_order {
                Some((oid, amt, oc)) if self.r.chance(0.7) => {
                    if channel == "email" {
                        subject = Some(format!("Your order {oid} has shipped"));
                    }
                    format!(
                        "Hello {first}, your order {oid} ({}) has shipped. Track your package: {url}",
                        money_text(*amt, country(*oc).currency)
                    )
                }
                _ => {
                    if channel == "email" {
                        subject = Some("Your refund has been issued".to_string());
                    }
                    format!(
                        "We've received your return. Your refund of {amount} has been issued. Details: {url}"
                    )
                }
            };
            if channel != "call" {
                urls.push(url);
            }
            text
        };

        let id = self.ids.report;
        let mut j = self.ev(ts, "message_reported");
        j.fmt("report_id", format_args!("rep-{id:07}"));
        j.str("channel", channel);
        j.str("text", &text);
        if self.r.chance(0.9) {
            j.disp("account_id", &Acct(i));
        } else {
            self.absent(&mut j, "account_id");
        }
        if !sender.is_empty() && self.r.chance(0.9) {
            j.str("sender", &sender);
        }
        match subject {
            Some(s) => j.str("subject", &s),
            None if channel == "email" => self.absent(&mut j, "subject"),
            None => {}
        }
        if !urls.is_empty() || self.r.chance(0.3) {
            j.begin_arr("urls");
            for u in &urls {
                j.elem_str(u);
            }
            j.end_arr();
        }
        if self.labels && j.at < self.end {
            self.truth.reports.push((id, phishing));
        }
        self.emit(j);
    }

    fn intel_gap(&mut self) -> i64 {
        let per_day = f64::from(self.cfg.customers) / 400.0;
        (self.r.exp(DAY as f64 / per_day.max(1e-9)) as i64).max(1)
    }

    fn intel(&mut self, ts: i64) {
        let next = ts + self.intel_gap();
        self.push(next, Kind::Intel);
        self.ids.post += 1;
        let kind = self.r.weighted(&[30, 40, 30]);
        let source;
        let mut channel: Option<&str> = None;
        let handle = *self.r.pick(TELEGRAM_HANDLES);
        let text = match kind {
            // A refund service's advertisement.
            0 => {
                source =
                    ["telegram", "discord", "forum", "other"][self.r.weighted(&[45, 25, 25, 5])];
                channel = match source {
                    "telegram" => {
                        Some(["@refund_kings", "@rekk_vouches", "Refund Hub"][self.r.below(3)])
                    }
                    "discord" => Some("#services"),
                    "forum" => Some("Marketplace > Refunding"),
                    _ => None,
                };
                format!(
                    "🔥 REFUND SERVICE OPEN 🔥 Amazon US/UK/DE/CA, orders ${}-${}k, fee {}% after refund. Electronics, laptops, consoles. DM {handle}",
                    [50, 100, 150][self.r.below(3)],
                    [3, 5, 10][self.r.below(3)],
                    [15, 20, 25, 30][self.r.below(4)]
                )
            }
            // Proof ("vouch") posts showing finished refunds.
            1 => {
                source = ["telegram", "discord"][self.r.weighted(&[65, 35])];
                channel = Some(if source == "telegram" {
                    "@rekk_vouches"
                } else {
                    "#vouches"
                });
                // A refund at least a day old (refunds are rendered ahead of their time),
                // preferably a big one; each is shown once.
                let mut pick = None;
                for _ in 0..8 {
                    let k = self.r.below(self.refunded.len());
                    if let Some(&(_, at, amount, _)) = self.refunded.get(k)
                        && at + DAY <= ts
                    {
                        let big = amount >= 5_000;
                        if pick.is_none() || big {
                            pick = Some(k);
                        }
                        if big {
                            break;
                        }
                    }
                }
                match pick.and_then(|k| self.refunded.remove(k)) {
                    Some((o, at, amount, item)) => {
                        let ago = (ts - at) / DAY;
                        let style = self.r.weighted(&[40, 20, 25, 15]);
                        if self.labels && style < 3 {
                            self.truth.mentions.push((o.id.clone(), self.ids.post, 0));
                        }
                        let oid = match style {
                            0 => mask_order_id(&o.id, "•"),
                            1 => mask_order_id(&o.id, "X"),
                            2 => o.id.clone(),
                            _ => format!(
                                "11{}-{:07}-{:07}",
                                1 + self.r.below(4),
                                self.r.below(10_000_000),
                                self.r.below(10_000_000)
                            ),
                        };
                        format!(
                            "✅ Another one done! Order {oid} — {item} {} refunded {ago} day(s) ago, item kept. Vouch for {handle}",
                            money_text(amount, country(o.country).currency),
                        )
                    }
                    None => format!(
                        "✅ Another refund done, {} days, item kept. Vouch for {handle}",
                        2 + self.r.below(8)
                    ),
                }
            }
            // Ordinary customers talking about orders and scams.
            _ => {
                source = ["reddit", "forum", "other"][self.r.weighted(&[75, 15, 10])];
                if source == "reddit" {
                    channel = Some(["r/amazon", "r/AmazonPrime", "r/Scams"][self.r.below(3)]);
                }
                let date = date_text(ts - self.r.range(DAY, 10 * DAY));
                [
                    "Got a text saying my Amazon payment failed and to confirm my bank details. Is this a scam?".to_string(),
                    "My return was marked delivered at the warehouse but still no refund after two weeks. Anyone else?".to_string(),
                    format!("Package marked delivered on {date} but it is not at my door. What do I do?"),
                    "PSA: someone called pretending to be Amazon support and asked for remote access. Hang up!".to_string(),
                    "How long does a refund usually take after the return is dropped off?".to_string(),
                ][self.r.below(5)]
                .clone()
            }
        };
        let mut j = self.ev(ts, "intel_post");
        j.fmt("post_id", format_args!("post-{:06}", self.ids.post));
        j.str("source", source);
        j.str("text", &text);
        match channel {
            Some(c) => j.str("channel", c),
            None => self.absent(&mut j, "channel"),
        }
        if self.r.chance(0.85) {
            let author = match source {
                "reddit" => *self.r.pick(REDDIT_USERS),
                "telegram" => *self.r.pick(TELEGRAM_HANDLES),
                _ => *self.r.pick(FORUM_NAMES),
            };
            j.str("author", author);
        }
        self.emit(j);
    }
}
