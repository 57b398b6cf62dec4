//! Data selling: support employees who sell customers' contact details to a seller.
//!
//! A ring is one third-party seller and one or two support agents. Buyers of the seller's
//! products who post 1–2 star reviews are the targets: the agents look up their reviewer
//! or contact details (`data_access`) without any ticket behind it, a few accounts at a
//! time, some as exports; a few days later the seller writes to those very accounts
//! (`seller_message`), offering refunds or gifts, and some of the reviews are raised or
//! removed (`review_changed`).
//!
//! Everything here draws from the simulator's one random stream, but only when rings are
//! configured, so the honest stream of a config without them is unchanged.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// One data-selling ring.
#[derive(Debug)]
pub(super) struct Ring {
    pub(super) seller: u32,
    pub(super) employees: Vec<u32>,
    /// The seller's products.
    products: Vec<u32>,
    /// Low-rated reviews not looked up yet: (account, review number).
    targets: Vec<(u32, u64)>,
}

/// Data-selling rings.
#[derive(Debug, Default)]
pub(super) struct DataSelling {
    pub(super) rings: Vec<Ring>,
    /// Orders placed by the seller's unhappy buyers, by order id → ring.
    orders: BTreeMap<String, u16>,
}

impl Sim<'_> {
    /// Builds the configured rings: a seller with a real catalogue, one or two support
    /// agents not bribed by anyone else, and the buyers who will be unhappy.
    pub(super) fn setup_data_selling(&mut self, taken: &mut BTreeSet<u32>) {
        let rings = self.cfg.data_selling.min(u32::from(u16::MAX - 1));
        let sellers = self.cfg.sellers.max(1);
        let mut by_seller: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (k, p) in self.catalogue.iter().enumerate() {
            if p.seller != 0 {
                by_seller.entry(p.seller).or_default().push(k as u32);
            }
        }
        let mut used: BTreeSet<u32> = BTreeSet::new();
        let span = self.end - self.start;
        let scale = f64::from(self.cfg.customers) / 2_000.0 / f64::from(rings.max(1));
        let n = self.customers.len();
        for _ in 0..rings {
            let mut seller = None;
            for _ in 0..64 {
                let s = 1 + self.r.below(sellers as usize) as u32;
                if !used.contains(&s) && by_seller.get(&s).is_some_and(|v| v.len() >= 3) {
                    seller = Some(s);
                    break;
                }
            }
            let Some(seller) = seller else { continue };
            used.insert(seller);
            let mut employees = Vec::with_capacity(2);
            for _ in 0..1 + usize::from(self.r.chance(self.cfg.rates.datasell_second_agent_share)) {
                if let Some(e) = self.pick_employee(false, taken) {
                    employees.push(e);
                }
            }
            if employees.is_empty() {
                continue;
            }
            // Numbered by the rings actually made: a ring skipped above (no seller with
            // reviews to spare, no free employee) must not leave a gap, or its successors'
            // events would point past the end of `rings` (a panic on large worlds).
            let ring = (self.ds.rings.len() + 1) as u16;
            let buyers = ((self.r.range(
                i64::from(self.cfg.rates.datasell_buyers_min),
                i64::from(self.cfg.rates.datasell_buyers_max),
            ) as f64
                * scale)
                .round() as usize)
                .max(3);
            for _ in 0..buyers {
                let i = self.r.below(n) as u32;
                let t = self.start + self.r.range(0, span * 3 / 5);
                self.push(t, Kind::DsBuy(ring, i));
            }
            let e = employees[0];
            let t = self.start + self.r.range(4 * DAY, 7 * DAY);
            let t = self.on_shift(e, t);
            self.push(t, Kind::DsLookup(ring));
            self.ds.rings.push(Ring {
                seller,
                employees,
                products: by_seller.remove(&seller).unwrap_or_default(),
                targets: Vec::new(),
            });
        }
    }

    /// A customer buys one of the ring seller's products (and will not like it).
    pub(super) fn ds_buy(&mut self, ts: i64, ring: u16, i: u32) {
        let Some(c) = self.customers.get(i as usize) else {
            return;
        };
        if c.closed {
            return;
        }
        if !c.created {
            self.push(ts + DAY, Kind::DsBuy(ring, i));
            return;
        }
        let ci = c.country;
        let cc = country(ci);
        let ri = usize::from(ring - 1);
        let prod = *self.r.pick(&self.ds.rings[ri].products);
        let dev = self.device_of(i);
        let ip = self.ip_text(i);
        self.login(ts, i, true, dev, &ip);
        let ts = ts + self.r.range(60, 900);
        let p = &self.catalogue[prod as usize];
        let unit = price_in(p, cc);
        let grams = p.grams + self.r.range(100, 400) as u32;
        let (id, carrier, tracking) = self.new_order_ids(cc);
        let mut j = self.ev(ts, "order_placed");
        j.str("order_id", &id);
        j.disp("account_id", &Acct(i));
        j.begin_arr("items");
        let p = &self.catalogue[prod as usize];
        j.elem_obj();
        j.str("sku", &p.sku);
        j.str("category", CATEGORIES[p.cat as usize].name);
        j.int("unit_price_minor", unit);
        j.int("quantity", 1);
        j.disp("seller_id", &Seller(p.seller));
        j.str(
            "fulfilled_by",
            if p.seller_fulfilled {
                "seller"
            } else {
                "retailer"
            },
        );
        j.end_obj();
        j.end_arr();
        j.int("amount_minor", unit);
        j.str("currency", cc.currency);
        let dest_postal = self.ship_home_and_pay(&mut j, i, dev, &ip);
        self.emit(j);
        let o = Rc::new(Order {
            id,
            cust: i,
            country: ci,
            items: vec![Item { prod, qty: 1, unit }],
            amount: unit,
            grams,
            carrier,
            tracking,
            dest_postal,
            gang: None,
        });
        self.ds.orders.insert(o.id.clone(), ring);
        let t = ts + self.r.range(HOUR, 10 * HOUR);
        self.push(t, Kind::Ship(o.clone(), 0));
        self.customers[i as usize].last_order = Some(o);
    }

    /// Whether a delivered order was an unhappy buyer's; if so its review is planned.
    pub(super) fn ds_delivered(&mut self, ts: i64, o: &Rc<Order>) -> bool {
        let Some(ring) = self.ds.orders.remove(&o.id) else {
            return false;
        };
        let t = ts + self.r.range(6 * HOUR, 4 * DAY);
        self.push(t, Kind::DsReview(o.clone(), ring));
        true
    }

    /// The unhappy buyer's 1–2 star review.
    pub(super) fn ds_review(&mut self, ts: i64, o: &Order, ring: u16) {
        let prod = o.items[0].prod;
        let rating = 1 + u8::from(self.r.chance(0.35));
        self.ids.review += 1;
        let id = self.ids.review;
        let mut j = self.ev(ts, "review_posted");
        let p = &self.catalogue[prod as usize];
        j.fmt("review_id", format_args!("rev-{id:08}"));
        j.disp("account_id", &Acct(o.cust));
        j.str("sku", &p.sku);
        j.disp("seller_id", &Seller(p.seller));
        j.int("rating", i64::from(rating));
        let text = review_text(rating, p.name, country(o.country).lang, &mut self.r);
        j.str("text", &text);
        self.emit(j);
        self.ds.rings[usize::from(ring - 1)]
            .targets
            .push((o.cust, id));
    }

    /// Notes an honest low review of a ring seller's product: a target too.
    pub(super) fn ds_note_review(&mut self, seller: u32, rating: u8, cust: u32, id: u64) {
        if rating > 2 {
            return;
        }
        if let Some(r) = self.ds.rings.iter_mut().find(|r| r.seller == seller) {
            r.targets.push((cust, id));
        }
    }

    /// An agent of the ring looks up a cluster of unhappy reviewers without a ticket; the
    /// seller writes to them days later.
    pub(super) fn ds_lookup(&mut self, ts: i64, ring: u16) {
        let ri = usize::from(ring - 1);
        let e = {
            let emps = &self.ds.rings[ri].employees;
            emps[self.r.below(emps.len())]
        };
        let next = ts + self.r.range(DAY, 3 * DAY);
        let next = self.on_shift(e, next);
        self.push(next, Kind::DsLookup(ring));
        let pending = self.ds.rings[ri].targets.len();
        if pending == 0 {
            return;
        }
        let (lo, hi) = (
            self.cfg.rates.datasell_lookups_min.max(1) as usize,
            self.cfg.rates.datasell_lookups_max as usize,
        );
        let take = pending.min(lo + self.r.below((hi + 1).saturating_sub(lo)));
        let batch: Vec<(u32, u64)> = self.ds.rings[ri].targets.drain(..take).collect();
        let mut t = ts;
        let mut k = 0;
        while k < batch.len() {
            let m = (batch.len() - k).min(1 + self.r.below(4));
            let chunk = &batch[k..k + m];
            let mut j = self.ev(t, "data_access");
            j.disp("employee_id", &Emp(e));
            j.str(
                "resource",
                ["reviewer_contact", "contact_details"][self.r.weighted(&[60, 40])],
            );
            j.begin_arr("account_ids");
            for &(a, _) in chunk {
                j.elem_fmt(format_args!("{}", Acct(a)));
            }
            j.end_arr();
            match self.r.weighted(&[35, 40, 25]) {
                0 => j.bool("export", true),
                1 => j.bool("export", false),
                _ => {}
            }
            self.emit(j);
            k += m;
            t += self.r.range(MIN, 20 * MIN);
        }
        for &(a, rev) in &batch {
            let at = t + self.r.range(2 * DAY, 6 * DAY);
            self.push(at, Kind::DsMessage(ring, a, rev));
        }
    }

    /// The seller writes to a reviewer whose details it bought; the review may change.
    pub(super) fn ds_message(&mut self, ts: i64, ring: u16, i: u32, review: u64) {
        let ri = usize::from(ring - 1);
        let seller = self.ds.rings[ri].seller;
        let c = &self.customers[i as usize];
        let cc = country(c.country);
        let first = names(cc.lang).0[c.first as usize];
        let amount = money_text(self.r.range(10, 80) * 100, cc.currency);
        self.ids.message += 1;
        let mut j = self.ev(ts, "seller_message");
        j.fmt("message_id", format_args!("msg-{:08}", self.ids.message));
        j.disp("seller_id", &Seller(seller));
        j.disp("account_id", &Acct(i));
        let text = match self.r.below(4) {
            0 => format!(
                "Hello {first}, we saw your review and are sorry. We will refund you in full ({amount}) if you update or remove it."
            ),
            1 => format!(
                "Hi {first}, we would like to make things right: a free replacement plus a {amount} gift card once your review is updated."
            ),
            2 => format!(
                "Dear {first}, your feedback hurts our small business. Please change your rating and we will send {amount} by PayPal."
            ),
            _ => format!(
                "Hi {first}, contact us at our WhatsApp number for a {amount} refund, no return needed. Just edit the review please."
            ),
        };
        j.str("text", &text);
        self.emit(j);
        if self.r.chance(0.55) {
            let t = ts + self.r.range(6 * HOUR, 3 * DAY);
            self.push(t, Kind::DsRevise(review));
        }
    }

    /// The bought-off reviewer raises or removes the review.
    pub(super) fn ds_revise(&mut self, ts: i64, review: u64) {
        let mut j = self.ev(ts, "review_changed");
        j.fmt("review_id", format_args!("rev-{review:08}"));
        let removed = self.r.chance(0.4);
        j.bool("removed", removed);
        if !removed {
            j.int("rating", 4 + i64::from(self.r.chance(0.6)));
        }
        self.emit(j);
    }
}
