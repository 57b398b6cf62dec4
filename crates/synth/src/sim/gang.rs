//! Refund-service gangs (REKK-style) and the ground truth of a labelled run.
//!
//! A gang is a few operators with their own devices, IPs (some behind proxies) and phones,
//! a list of client accounts (ordinary customers of the simulation, some with long clean
//! histories, some new) and usually one bribed employee. A client places a high-value,
//! retailer-fulfilled order and gets it delivered; then an operator contacts support by
//! chat or phone *from the operator's own device or phone* and claims a refund in one of
//! five ways: (0) "never arrived" despite delivery evidence, (1) a return whose parcel is
//! never scanned, (2) an empty box (or a parcel far lighter than what was shipped),
//! (3) a return marked received by hand by the bribed warehouse worker, (4) a refund raised
//! and approved by the bribed support agent, sometimes as an override. A few days later the
//! gang shows off some of its refunded orders in vouch posts, ids often masked.
//!
//! Everything here draws from the simulator's one random stream, but only when gangs are
//! configured, so the honest stream of a config without gangs is unchanged.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// Telegram channels the gangs post their vouches in.
const VOUCH_CHANNELS: &[&str] = &[
    "@rekk_vouches",
    "@refund_kings",
    "@boxed_method",
    "@ftid_plug",
    "@refundgod",
];
/// Leading octets of hosting and proxy ranges operators hide behind.
const PROXY_OCTETS: &[u8] = &[5, 45, 104, 138, 185, 193];

/// One refund-service gang.
#[derive(Debug)]
pub(super) struct Gang {
    /// Index into `VOUCH_CHANNELS` / `TELEGRAM_HANDLES`.
    brand: usize,
    operators: usize,
    /// The operators' devices; operator `k` uses `k` and `k + 1` (so neighbours share one).
    devices: Vec<u64>,
    /// The operators' IPs, rendered; the same sharing as devices.
    ips: Vec<String>,
    /// One phone per operator, rendered.
    phones: Vec<String>,
    agent: Option<u32>,
    clerk: Option<u32>,
    /// Refunded orders not shown in a vouch post yet: (order, refund time, amount, item).
    proofs: Vec<(Rc<Order>, i64, i64, &'static str)>,
}

/// Ground truth gathered during a labelled run (ids only; labels are written at the end).
#[derive(Debug, Default)]
pub(super) struct Truth {
    /// (refund number, gang or 0 for honest)
    pub(super) refunds: Vec<(u64, u16)>,
    /// (report number, phishing)
    pub(super) reports: Vec<(u64, bool)>,
    /// (order id, post number, gang or 0 for the honest world's reposts)
    pub(super) mentions: Vec<(String, u64, u16)>,
    /// Customers who placed at least one order for a gang.
    pub(super) clients: BTreeMap<u32, u16>,
}

/// One claim of a gang, carried from step to step.
#[derive(Debug)]
pub(crate) struct Case {
    gang: u16,
    order: Rc<Order>,
    /// 0 not arrived, 1 return never scanned, 2 empty box, 3 insider receipt, 4 insider refund.
    variant: u8,
    stage: u8,
    op: usize,
    /// (index into the order's items, quantity)
    items: Vec<(usize, u32)>,
    reason: &'static str,
    channel: &'static str,
    contact: Option<(u64, u32)>,
    ret: Option<u64>,
    carrier: usize,
    tracking: String,
    amount: i64,
    /// Weight of the parcel sent back.
    grams: u32,
    warehouse: usize,
    refunded: bool,
}

/// What an operator talks to support about.
#[derive(Debug, Clone, Copy)]
enum Script {
    Claim,
    Chase,
}

impl Sim<'_> {
    /// Builds the configured gangs: operators, bribed employees, clients and their orders.
    pub(super) fn setup_gangs(&mut self, signups: &[i64]) {
        let n = self.customers.len();
        let gangs = self.cfg.refund_gangs.min(u32::from(u16::MAX - 1));
        // 20-60 clients per gang when there are 2,000 customers per three gangs over 30
        // days: the number of clients follows the customers, whatever the gang count.
        let scale = (n as f64 * 3.0 / (2_000.0 * f64::from(gangs.max(1))))
            * (f64::from(self.cfg.days) / 30.0);
        let span = self.end - self.start;
        let mut taken: BTreeSet<u32> = BTreeSet::new();
        let mut bribed: BTreeSet<u32> = BTreeSet::new();
        for k in 0..gangs {
            let g = (k + 1) as u16;
            let cfg: &Config = self.cfg;
            let rates = &cfg.rates;
            let operators = self
                .r
                .range(
                    i64::from(rates.gang_operators_min),
                    i64::from(rates.gang_operators_max),
                )
                .max(1) as usize;
            let devices: Vec<u64> = (0..=operators).map(|_| self.r.u64()).collect();
            let mut ips = Vec::with_capacity(operators + 1);
            for _ in 0..=operators {
                let first = if self.r.chance(0.5) {
                    *self.r.pick(PROXY_OCTETS)
                } else {
                    *self.r.pick(COUNTRIES[0].res_octets)
                };
                let ip = u32::from(first) << 24 | (self.r.u64() as u32 & 0x00ff_ffff);
                let mut s = String::with_capacity(16);
                write_ipv4(&mut s, ip);
                ips.push(s);
            }
            let mut phones = Vec::with_capacity(operators);
            for _ in 0..operators {
                let cities = COUNTRIES[0].cities;
                let city = &cities[self.r.below(cities.len())];
                let num = phone_number(0, city, &mut self.r);
                let mut s = String::with_capacity(16);
                write_phone(&mut s, 0, num, 0);
                phones.push(s);
            }
            let has_agent = self.r.chance(rates.gang_bribed_agent_share);
            let has_clerk = !has_agent || self.r.chance(rates.gang_bribed_clerk_share);
            let agent = if has_agent {
                self.pick_employee(false, &mut bribed)
            } else {
                None
            };
            let clerk = if has_clerk {
                self.pick_employee(true, &mut bribed)
            } else {
                None
            };
            let clients = ((self.r.range(
                i64::from(rates.gang_clients_min),
                i64::from(rates.gang_clients_max),
            ) as f64
                * scale)
                .round() as usize)
                .clamp(1, (n / 8).max(1));
            for _ in 0..clients {
                let mut pick = None;
                for _ in 0..20 {
                    let i = self.r.below(n) as u32;
                    if !taken.contains(&i) {
                        pick = Some(i);
                        break;
                    }
                }
                let Some(i) = pick else { continue };
                taken.insert(i);
                let created = signups.get(i as usize).copied().unwrap_or(self.start);
                for _ in 0..1 + usize::from(self.r.chance(0.25)) {
                    let t = if self.r.chance(0.6) {
                        // An established customer: the account has a clean history first.
                        (created + self.r.range(3 * DAY, 10 * DAY))
                            .max(self.start + self.r.range(4 * DAY, span - 8 * DAY))
                    } else {
                        created + self.r.range(2 * HOUR, 2 * DAY)
                    };
                    self.push(t, Kind::GangOrder(g, i));
                }
            }
            let t = self.start + self.r.range(3 * DAY, 6 * DAY);
            self.push(t, Kind::Vouch(g));
            self.gangs.push(Gang {
                brand: k as usize % VOUCH_CHANNELS.len(),
                operators,
                devices,
                ips,
                phones,
                agent,
                clerk,
                proofs: Vec::new(),
            });
        }
    }

    /// An employee of the role not bribed by another gang yet.
    pub(super) fn pick_employee(
        &mut self,
        warehouse: bool,
        bribed: &mut BTreeSet<u32>,
    ) -> Option<u32> {
        let n = self.employees.len();
        for _ in 0..64 {
            let e = self.r.below(n) as u32;
            if self.employees[e as usize].warehouse == warehouse && !bribed.contains(&e) {
                bribed.insert(e);
                return Some(e);
            }
        }
        None
    }

    /// One of the gang's operator devices and its IP, for a session of its own.
    pub(super) fn operator_kit(&mut self, g: u16) -> (u64, String) {
        let gi = self.gang_index(g);
        let gang = &self.gangs[gi];
        let k = self.r.below(gang.devices.len());
        (gang.devices[k], gang.ips[k % gang.ips.len()].clone())
    }

    /// The employees the gangs bribed.
    pub(super) fn gang_insiders(&self) -> BTreeSet<u32> {
        self.gangs
            .iter()
            .flat_map(|g| [g.agent, g.clerk])
            .flatten()
            .collect()
    }

    fn gang_index(&self, g: u16) -> usize {
        usize::from(g.saturating_sub(1)).min(self.gangs.len().saturating_sub(1))
    }

    /// A time in the employee's next shift that ends after `after`.
    pub(super) fn on_shift(&mut self, e: u32, after: i64) -> i64 {
        let day0 = self.day_of(after);
        for d in day0..day0 + 8 {
            let s = self.start + d * DAY + i64::from(e % 3) * 8 * HOUR;
            if Self::works(e, d) && s + 7 * HOUR > after {
                return (s + self.r.range(30 * MIN, 7 * HOUR)).max(after);
            }
        }
        after
    }

    /// A client's high-value, retailer-fulfilled order, placed from the client's own
    /// device like any other.
    pub(super) fn gang_order(&mut self, ts: i64, g: u16, i: u32) {
        let c = &self.customers[i as usize];
        if c.closed || self.gangs.is_empty() {
            return;
        }
        if !c.created {
            self.push(ts + DAY, Kind::GangOrder(g, i));
            return;
        }
        let ci = c.country;
        let cc = country(ci);
        let dev = self.device_of(i);
        let ip = self.ip_text(i);
        self.login(ts, i, true, dev, &ip);
        let ts = ts + self.r.range(60, 900);

        let n = 1 + self.r.weighted(&[30, 30, 20, 12, 8]);
        let mut items: Vec<Item> = Vec::with_capacity(n);
        let mut usd = 0i64;
        let mut grams = self.r.range(200, 500) as u32;
        for _ in 0..n {
            let cat = [0usize, 1, 2, 3][self.r.weighted(&[35, 25, 20, 20])];
            let len = self.by_category[cat].len();
            let mut best: Option<u32> = None;
            for _ in 0..12 {
                if len == 0 {
                    break;
                }
                let prod = self.by_category[cat][self.r.below(len)];
                let p = &self.catalogue[prod as usize];
                if p.seller_fulfilled {
                    continue;
                }
                if best.is_none_or(|b| self.catalogue[b as usize].usd_cents < p.usd_cents) {
                    best = Some(prod);
                }
                if p.usd_cents >= 25_000 {
                    break;
                }
            }
            let Some(prod) = best else { continue };
            let p = &self.catalogue[prod as usize];
            if usd + p.usd_cents > 1_000_000 || items.iter().any(|it| it.prod == prod) {
                continue;
            }
            usd += p.usd_cents;
            grams += p.grams;
            items.push(Item {
                prod,
                qty: 1,
                unit: price_in(p, cc),
            });
        }
        if items.is_empty() {
            return;
        }
        let amount = items.iter().map(|it| it.unit * i64::from(it.qty)).sum();
        let (id, carrier, tracking) = self.new_order_ids(cc);

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
            }
            j.str("fulfilled_by", "retailer");
            j.end_obj();
        }
        j.end_arr();
        j.int("amount_minor", amount);
        j.str("currency", cc.currency);
        let dest_postal = self.ship_home_and_pay(&mut j, i, dev, &ip);
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
            gang: Some(g),
        });
        let t = ts + self.r.range(HOUR, 10 * HOUR);
        self.push(t, Kind::Ship(o.clone(), 0));
        self.truth.clients.entry(i).or_insert(g);
        self.customers[i as usize].last_order = Some(o);
    }

    /// The parcel arrived (with its proof photo and GPS, usually): plan the claim.
    pub(super) fn gang_delivered(&mut self, ts: i64, o: Rc<Order>, g: u16) {
        let gi = self.gang_index(g);
        let (agent, clerk, operators) = {
            let gang = &self.gangs[gi];
            (gang.agent, gang.clerk, gang.operators)
        };
        let w = self.cfg.rates.gang_claim_weights;
        let variant = self.r.weighted(&[
            w[0],
            w[1],
            w[2],
            if clerk.is_some() { w[3] } else { 0 },
            if agent.is_some() { w[4] } else { 0 },
        ]) as u8;
        let mut t = ts + self.r.range(DAY, 4 * DAY);
        if let (4, Some(a)) = (variant, agent) {
            t = self.on_shift(a, t);
        }
        let reason = match variant {
            0 => "not_received",
            4 => ["not_received", "damaged", "missing_parts"][self.r.weighted(&[50, 25, 25])],
            _ => ["damaged", "missing_parts", "wrong_item", "defective"]
                [self.r.weighted(&[35, 25, 30, 10])],
        };
        // Returns send everything back (on paper); other claims cover the whole order.
        let items: Vec<(usize, u32)> = o
            .items
            .iter()
            .enumerate()
            .map(|(k, it)| (k, it.qty))
            .collect();
        let amount = o.amount;
        let shipped: u32 = items
            .iter()
            .map(|&(k, q)| self.catalogue[o.items[k].prod as usize].grams * q)
            .sum::<u32>()
            + self.r.range(150, 500) as u32;
        let grams = if variant == 2 {
            // An empty box, or one with a brick of paper in it.
            self.r.range(150, 700) as u32
        } else {
            shipped
        };
        let cc = country(o.country);
        let case = Case {
            gang: g,
            variant,
            stage: 0,
            op: self.r.below(operators),
            items,
            reason,
            channel: ["chat", "phone"][self.r.weighted(&[55, 45])],
            contact: None,
            ret: None,
            carrier: *self.r.pick(cc.return_carriers),
            tracking: String::new(),
            amount,
            grams,
            warehouse: self.r.below(cc.warehouses.len()),
            refunded: false,
            order: o,
        };
        self.push(t, Kind::GangStep(Box::new(case)));
    }

    pub(super) fn gang_step(&mut self, ts: i64, mut case: Box<Case>) {
        let stage = case.stage;
        match stage {
            0 => {
                let c = self.op_contact(ts, &case, Script::Claim);
                case.contact = Some((c.id, c.agent));
                case.channel = c.channel;
                let t = c.end + self.r.range(10, 120);
                match case.variant {
                    0 => self.gang_refund(t, &case, false),
                    4 => self.gang_refund(t, &case, true),
                    v => {
                        self.gang_return(t, &mut case);
                        let t = t + self.r.range(10 * MIN, 4 * HOUR);
                        if v != 3 || self.r.chance(0.5) {
                            self.scan(t, case.carrier, &case.tracking, "label_created", None, None);
                        }
                        let (next, stage) = match v {
                            1 => (t + self.r.range(3 * DAY, 9 * DAY), 1),
                            2 => (t + self.r.range(6 * HOUR, 2 * DAY), 2),
                            _ => {
                                let after = t + self.r.range(DAY, 4 * DAY);
                                let clerk = self.gangs[self.gang_index(case.gang)].clerk;
                                (clerk.map_or(after, |e| self.on_shift(e, after)), 3)
                            }
                        };
                        case.stage = stage;
                        self.push(next, Kind::GangStep(case));
                    }
                }
            }
            1 => {
                // "I dropped it off two weeks ago": the parcel was never handed over.
                let c = self.op_contact(ts, &case, Script::Chase);
                case.contact = Some((c.id, c.agent));
                case.channel = c.channel;
                let t = c.end + self.r.range(10, 120);
                self.gang_refund(t, &case, false);
            }
            2 => {
                // The carrier weighs what was really sent back.
                let postal = self.customers[case.order.cust as usize].addr.postal.clone();
                let g = (f64::from(case.grams) * (0.97 + 0.06 * self.r.f64())) as u32;
                self.scan(
                    ts,
                    case.carrier,
                    &case.tracking,
                    "accepted",
                    Some(&postal),
                    Some(g),
                );
                let mut t = ts + self.r.range(4 * HOUR, 20 * HOUR);
                if self.r.chance(0.4) {
                    // Refunded at the carrier's acceptance scan, before anyone opens it.
                    let at = ts + self.r.range(MIN, 30 * MIN);
                    self.gang_refund(at, &case, false);
                    case.refunded = true;
                }
                self.scan(t, case.carrier, &case.tracking, "in_transit", None, None);
                t += self.r.range(12 * HOUR, 60 * HOUR);
                let cc = country(case.order.country);
                let wh = cc.warehouses[case.warehouse % cc.warehouses.len()].postal;
                self.scan(t, case.carrier, &case.tracking, "delivered", Some(wh), None);
                case.stage = 3;
                let next = t + self.r.range(2 * HOUR, 2 * DAY);
                self.push(next, Kind::GangStep(case));
            }
            _ => self.gang_receipt(ts, &mut case),
        }
    }

    /// The return request and its label, after the operator's claim.
    fn gang_return(&mut self, ts: i64, case: &mut Case) {
        self.ids.ret += 1;
        let id = self.ids.ret;
        self.ids.parcel += 1;
        case.tracking = tracking_number(case.carrier, self.ids.parcel, &mut self.r);
        case.ret = Some(id);
        let mut j = self.ev(ts, "return_requested");
        j.fmt("return_id", format_args!("ret-{id:08}"));
        j.str("order_id", &case.order.id);
        j.disp("account_id", &Acct(case.order.cust));
        j.begin_arr("items");
        for &(k, q) in &case.items {
            j.elem_obj();
            j.str(
                "sku",
                &self.catalogue[case.order.items[k].prod as usize].sku,
            );
            j.int("quantity", i64::from(q));
            j.end_obj();
        }
        j.end_arr();
        j.str("reason", case.reason);
        j.str("channel", case.channel);
        if let Some((cid, _)) = case.contact {
            j.fmt("contact_id", format_args!("ct-{cid:08}"));
        }
        self.emit(j);
        let t = ts + self.r.range(5, 90);
        let mut j = self.ev(t, "return_label_created");
        j.fmt("return_id", format_args!("ret-{id:08}"));
        j.str("carrier", CARRIERS[case.carrier]);
        j.str("tracking_number", &case.tracking);
        self.emit(j);
    }

    /// The warehouse books the return in: an empty box scanned honestly, or a parcel that
    /// never came keyed in by hand by the bribed clerk.
    fn gang_receipt(&mut self, ts: i64, case: &mut Case) {
        let Some(ret) = case.ret else { return };
        let insider = case.variant == 3;
        let clerk = match self.gangs[self.gang_index(case.gang)].clerk {
            Some(e) if insider => e,
            _ => self.agent(ts, true),
        };
        let cc = country(case.order.country);
        let mut j = self.ev(ts, "return_received");
        j.fmt("return_id", format_args!("ret-{ret:08}"));
        j.str(
            "warehouse_id",
            cc.warehouses[case.warehouse % cc.warehouses.len()].id,
        );
        j.disp("employee_id", &Emp(clerk));
        j.begin_arr("items");
        for &(k, q) in &case.items {
            let condition = if !insider && self.r.chance(0.65) {
                "empty"
            } else {
                "new"
            };
            j.elem_obj();
            j.str(
                "sku",
                &self.catalogue[case.order.items[k].prod as usize].sku,
            );
            j.int("quantity", i64::from(q));
            j.str("condition", condition);
            j.end_obj();
        }
        j.end_arr();
        j.bool(
            "barcode_scanned",
            !insider && self.r.chance(self.cfg.rates.receipt_barcode_share),
        );
        if !insider || self.r.chance(0.4) {
            j.int(
                "weight_grams",
                (f64::from(case.grams) * (0.98 + 0.04 * self.r.f64())) as i64,
            );
        }
        self.emit(j);

        let t = ts + self.r.range(20, 300);
        let mut j = self.ev(t, "employee_action");
        j.disp("employee_id", &Emp(clerk));
        j.str("action", "mark_return_received");
        j.fmt("return_id", format_args!("ret-{ret:08}"));
        if self.r.chance(0.7) {
            j.str("order_id", &case.order.id);
        }
        if self.r.chance(0.5) {
            j.disp("account_id", &Acct(case.order.cust));
        }
        self.emit(j);
        if !case.refunded {
            let t = t + self.r.range(10 * MIN, 20 * HOUR);
            self.gang_refund(t, case, false);
            case.refunded = true;
        }
    }

    /// The operator, not the account holder, contacts support: from the operator's own
    /// device and IP on chat, from the operator's phone on a call.
    fn op_contact(&mut self, ts: i64, case: &Case, script: Script) -> Contact {
        self.ids.contact += 1;
        let id = self.ids.contact;
        let gi = self.gang_index(case.gang);
        let insider = case.variant == 4;
        let agent = match self.gangs[gi].agent {
            Some(a) if insider || self.r.chance(0.2) => a,
            _ => self.agent(ts, false),
        };
        let channel = case.channel;
        let (device, ip, phone) = {
            let gang = &self.gangs[gi];
            let k = case.op + self.r.below(2);
            (
                gang.devices[k % gang.devices.len()],
                gang.ips[k % gang.ips.len()].clone(),
                gang.phones[case.op % gang.phones.len()].clone(),
            )
        };
        let verified = self.r.chance(if insider { 0.5 } else { 0.3 });
        let duration = match channel {
            "chat" => self.r.range(4 * MIN, 30 * MIN),
            _ => self.r.range(3 * MIN, 25 * MIN),
        };
        let transcript = self.op_transcript(case, script, verified);
        let o = &case.order;
        let mut j = self.ev(ts, "support_contact");
        j.fmt("contact_id", format_args!("ct-{id:08}"));
        j.disp("employee_id", &Emp(agent));
        j.str("channel", channel);
        j.bool("identity_verified", verified);
        if self.r.chance(0.97) {
            j.disp("account_id", &Acct(o.cust));
        }
        if self.r.chance(0.9) {
            j.str("order_id", &o.id);
        }
        if channel == "phone" {
            j.str("caller_phone", &phone);
        } else {
            j.disp("device_id", &Dev(device));
            j.str("ip", &ip);
        }
        j.int("duration_s", duration);
        if self.r.chance(0.9) {
            j.str("transcript", &transcript);
        }
        self.emit(j);

        let t = ts + self.r.range(15, 90);
        let mut j = self.ev(t, "data_access");
        j.disp("employee_id", &Emp(agent));
        j.str("resource", "order_history");
        j.begin_arr("account_ids");
        j.elem_fmt(format_args!("{}", Acct(o.cust)));
        j.end_arr();
        j.fmt("ticket_id", format_args!("ct-{id:08}"));
        self.emit(j);

        let end = ts + duration;
        let mut j = self.ev(end, "employee_action");
        j.disp("employee_id", &Emp(agent));
        j.str("action", "add_note");
        j.disp("account_id", &Acct(o.cust));
        j.str("order_id", &o.id);
        j.fmt("ticket_id", format_args!("ct-{id:08}"));
        self.emit(j);
        Contact {
            id,
            agent,
            channel,
            end,
        }
    }

    /// A few scripts, varied enough not to be one string, the same in spirit.
    fn op_transcript(&mut self, case: &Case, script: Script, verified: bool) -> String {
        let o = &case.order;
        let item = o
            .items
            .iter()
            .max_by_key(|it| it.unit)
            .map_or("order", |it| self.catalogue[it.prod as usize].name);
        let who = *self
            .r
            .pick(&["Customer", "Caller", "Account holder", "Customer"]);
        let amount = money_text(case.amount, country(o.country).currency);
        let mut s = match (script, case.reason) {
            (Script::Chase, _) => format!(
                "{who} says return ret-{:08} was dropped off {} days ago and the refund has not arrived. No carrier scans found. Says they have a drop-off receipt but cannot upload it.",
                case.ret.unwrap_or(0),
                3 + self.r.below(9)
            ),
            (Script::Claim, "not_received") => match self.r.below(3) {
                0 => format!(
                    "{who} says order {} was marked delivered but never arrived. Checked the delivery photo; says it is not their door. Wants a refund, not a replacement.",
                    o.id
                ),
                1 => format!(
                    "{who} reports the {item} never came. Tracking shows delivered; says neighbours and the building lobby were checked. Asked for the full {amount} back."
                ),
                _ => format!(
                    "{who} states the package for order {} is missing and that they were home all day. Insists on a refund to the original payment method, no reship.",
                    o.id
                ),
            },
            (Script::Claim, reason) => {
                let what = match reason {
                    "damaged" => "with a cracked screen and a crushed box",
                    "missing_parts" => "without the main unit, only accessories inside",
                    "wrong_item" => "as a different, much cheaper product",
                    _ => "dead on arrival, will not power on",
                };
                match self.r.below(2) {
                    0 => format!(
                        "{who} says the {item} arrived {what}. Wants a refund of {amount}; will drop the parcel off."
                    ),
                    _ => format!(
                        "{who} reports order {} came {what}. Had all order details ready. Refund requested, return label sent.",
                        o.id
                    ),
                }
            }
        };
        if verified {
            s.push_str(" Identity verified with the billing address.");
        } else {
            s.push_str(
                [
                    " Could not verify identity.",
                    " SMS code not received; verified name and address only.",
                    " Caller had the full order details; security questions skipped.",
                ][self.r.below(3)],
            );
        }
        s
    }

    /// The gang's decision point, and the refund that (usually) follows.
    fn gang_refund(&mut self, ts: i64, case: &Case, insider: bool) {
        let gi = self.gang_index(case.gang);
        let bribed_agent = self.gangs[gi].agent;
        self.ids.refund += 1;
        let id = self.ids.refund;
        let o = &case.order;
        let currency = country(o.country).currency;
        let mut j = self.ev(ts, "refund_requested");
        j.fmt("refund_id", format_args!("ref-{id:08}"));
        j.str("order_id", &o.id);
        j.disp("account_id", &Acct(o.cust));
        j.int("amount_minor", case.amount);
        j.str("currency", currency);
        j.str("reason", case.reason);
        j.str("channel", case.channel);
        if let Some(r) = case.ret {
            j.fmt("return_id", format_args!("ret-{r:08}"));
        }
        let agent = case.contact.map(|(_, a)| a);
        if let Some((cid, a)) = case.contact {
            j.fmt("contact_id", format_args!("ct-{cid:08}"));
            if insider || self.r.chance(0.9) {
                j.disp("employee_id", &Emp(a));
            }
        }
        if self.labels && j.at < self.end {
            self.truth.refunds.push((id, case.gang));
        }
        self.emit(j);

        // A gang holding an honest agent's credentials often pushes the refund through
        // itself, off shift, from its own machines.
        if !insider
            && let Some(e) = self.stolen_login(case.gang)
            && self.r.chance(0.6)
        {
            let t = self.misuse_refund(ts, case.gang, e, o, case.ret, id, case.amount);
            if t < self.end {
                let item = o
                    .items
                    .iter()
                    .max_by_key(|it| it.unit)
                    .map_or("order", |it| self.catalogue[it.prod as usize].name);
                self.gangs[gi]
                    .proofs
                    .push((o.clone(), t, case.amount, item));
            }
            return;
        }
        if !self.r.chance(if insider { 0.97 } else { 0.85 }) {
            return;
        }
        let t = ts + self.r.range(60, if insider { 2 * HOUR } else { 12 * HOUR });
        let approver = match agent {
            Some(a) if insider || Some(a) == bribed_agent || self.r.chance(0.5) => Some(a),
            _ => None,
        };
        if let Some(a) = approver {
            let at = t - self.r.range(0, 20);
            let mut j = self.ev(at, "employee_action");
            j.disp("employee_id", &Emp(a));
            j.str("action", "approve_refund");
            j.fmt("refund_id", format_args!("ref-{id:08}"));
            j.str("order_id", &o.id);
            if let Some(r) = case.ret {
                j.fmt("return_id", format_args!("ret-{r:08}"));
            }
            if let Some((cid, _)) = case.contact {
                j.fmt("ticket_id", format_args!("ct-{cid:08}"));
            }
            self.emit(j);
        }
        let mut j = self.ev(t, "refund_issued");
        j.fmt("refund_id", format_args!("ref-{id:08}"));
        j.int("amount_minor", case.amount);
        j.str("currency", currency);
        j.bool(
            "override",
            approver.is_some() && approver == bribed_agent && self.r.chance(0.45),
        );
        if let Some(a) = approver {
            j.disp("employee_id", &Emp(a));
        }
        let t = j.at;
        self.emit(j);
        if t < self.end {
            let item = o
                .items
                .iter()
                .max_by_key(|it| it.unit)
                .map_or("order", |it| self.catalogue[it.prod as usize].name);
            self.gangs[gi]
                .proofs
                .push((o.clone(), t, case.amount, item));
        }
    }

    /// A vouch post showing one to three of the gang's refunds from a few days ago.
    pub(super) fn vouch(&mut self, ts: i64, g: u16) {
        let next = ts + self.r.range(2 * DAY, 5 * DAY);
        self.push(next, Kind::Vouch(g));
        let gi = self.gang_index(g);
        let want = 1 + self.r.weighted(&[50, 30, 20]);
        let mut shown = Vec::with_capacity(want);
        let proofs = &mut self.gangs[gi].proofs;
        let mut k = 0;
        while k < proofs.len() && shown.len() < want {
            if proofs[k].1 + 2 * DAY <= ts {
                shown.push(proofs.remove(k));
            } else {
                k += 1;
            }
        }
        if shown.is_empty() {
            return;
        }
        self.ids.post += 1;
        let post = self.ids.post;
        let brand = self.gangs[gi].brand;
        let mut text = String::from(
            [
                "✅ VOUCH",
                "💸 More W's for the team",
                "📦 Refunds landing",
                "🔥 Another batch done",
            ][self.r.below(4)],
        );
        for (o, at, amount, item) in &shown {
            let oid = match self.r.weighted(&[45, 20, 35]) {
                0 => mask_order_id(&o.id, "•"),
                1 => mask_order_id(&o.id, "X"),
                _ => o.id.clone(),
            };
            let _ = write!(
                text,
                " | Order {oid} — {item} {} refunded {}, item kept",
                money_text(*amount, country(o.country).currency),
                date_text(*at)
            );
            if self.labels {
                self.truth.mentions.push((o.id.clone(), post, g));
            }
        }
        let _ = write!(
            text,
            " | fee {}% after refund, DM {}",
            [25, 30, 30, 35][self.r.below(4)],
            TELEGRAM_HANDLES[brand % TELEGRAM_HANDLES.len()]
        );
        let telegram = self.r.chance(0.85);
        let mut j = self.ev(ts, "intel_post");
        j.fmt("post_id", format_args!("post-{post:06}"));
        j.str("source", if telegram { "telegram" } else { "discord" });
        j.str("text", &text);
        j.str(
            "channel",
            if telegram {
                VOUCH_CHANNELS[brand]
            } else {
                "#vouches"
            },
        );
        if self.r.chance(0.85) {
            j.str("author", TELEGRAM_HANDLES[brand % TELEGRAM_HANDLES.len()]);
        }
        self.emit(j);
    }

    /// Writes the ground truth as contract `label` lines, dated at the end of the period
    /// (truth arrives late). Returns the number written; stops if `out` returns false.
    pub(super) fn write_labels(&mut self, out: &mut dyn FnMut(&str) -> bool) -> u64 {
        let ts = self.end;
        let mut n = 0u64;
        let mut buf = String::with_capacity(256);
        let mut put = |entity: &str,
                       id: &dyn fmt::Display,
                       fraud: bool,
                       kind: Option<&str>,
                       group: Option<&dyn fmt::Display>|
         -> bool {
            let mut j = Line::new(std::mem::take(&mut buf));
            n += 1;
            j.fmt("event_id", format_args!("lbl-{n:09}"));
            j.str("type", "label");
            j.ts("ts", ts);
            j.str("entity", entity);
            j.disp("id", id);
            j.str("label", if fraud { "fraud" } else { "legit" });
            if let Some(k) = kind {
                j.str("kind", k);
            }
            if let Some(g) = group {
                j.disp("group", g);
            }
            buf = j.finish();
            out(&buf)
        };
        let gang = |g: u16| format!("gang-{g}");
        for &(id, g) in &self.truth.refunds {
            let ok = if g == 0 {
                put("refund", &format_args!("ref-{id:08}"), false, None, None)
            } else {
                put(
                    "refund",
                    &format_args!("ref-{id:08}"),
                    true,
                    Some("refund_service"),
                    Some(&gang(g)),
                )
            };
            if !ok {
                return n;
            }
        }
        for (i, c) in self.customers.iter().enumerate() {
            if !c.created {
                continue;
            }
            let evaded = self.evasion.evaders.get(&(i as u32));
            let ok = match self.truth.clients.get(&(i as u32)) {
                _ if evaded.is_some() => put(
                    "account",
                    &Acct(i as u32),
                    true,
                    Some("ban_evasion"),
                    evaded
                        .map(|&o| Acct(o))
                        .as_ref()
                        .map(|a| a as &dyn fmt::Display),
                ),
                Some(&g) => put(
                    "account",
                    &Acct(i as u32),
                    true,
                    Some("refund_service"),
                    Some(&gang(g)),
                ),
                None => put("account", &Acct(i as u32), false, None, None),
            };
            if !ok {
                return n;
            }
        }
        let mut corrupt: BTreeMap<u32, u16> = BTreeMap::new();
        for (k, gg) in self.gangs.iter().enumerate() {
            for e in [gg.agent, gg.clerk].into_iter().flatten() {
                corrupt.entry(e).or_insert(k as u16 + 1);
            }
        }
        let mut sellers: BTreeMap<u32, String> = BTreeMap::new();
        let mut sellers_staff: BTreeMap<u32, String> = BTreeMap::new();
        for (k, ring) in self.ds.rings.iter().enumerate() {
            sellers.insert(ring.seller, format!("ds-{}", k + 1));
            for &e in &ring.employees {
                sellers_staff.insert(e, format!("ds-{}", k + 1));
            }
        }
        let victims: BTreeMap<u32, String> = self
            .creds
            .stolen
            .iter()
            .map(|&(g, e)| (e, gang(g)))
            .collect();
        for e in 0..self.employees.len() as u32 {
            let ok = match corrupt.get(&e) {
                None if victims.contains_key(&e) => put(
                    "employee",
                    &Emp(e),
                    true,
                    Some("credential_misuse"),
                    victims.get(&e).map(|g| g as &dyn fmt::Display),
                ),
                None if sellers_staff.contains_key(&e) => put(
                    "employee",
                    &Emp(e),
                    true,
                    Some("data_selling"),
                    sellers_staff.get(&e).map(|g| g as &dyn fmt::Display),
                ),
                Some(&g) => put(
                    "employee",
                    &Emp(e),
                    true,
                    Some("insider_collusion"),
                    Some(&gang(g)),
                ),
                None => put("employee", &Emp(e), false, None, None),
            };
            if !ok {
                return n;
            }
        }
        for s in 0..=self.cfg.sellers.max(1) {
            let ok = match sellers.get(&s) {
                Some(g) => put(
                    "seller",
                    &Seller(s),
                    true,
                    Some("data_selling"),
                    Some(g as &dyn fmt::Display),
                ),
                None => put("seller", &Seller(s), false, None, None),
            };
            if !ok {
                return n;
            }
        }
        for &(id, phishing) in &self.truth.reports {
            let ok = if phishing {
                // A campaign's group, or a group of its own for a one-off text.
                let group = match self.phish.campaign_of.get(&id) {
                    Some(k) => format!("campaign-{k}"),
                    None => format!("oneoff-rep-{id:07}"),
                };
                put(
                    "report",
                    &format_args!("rep-{id:07}"),
                    true,
                    Some("phishing"),
                    Some(&group),
                )
            } else {
                put("report", &format_args!("rep-{id:07}"), false, None, None)
            };
            if !ok {
                return n;
            }
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (oid, post, g) in &self.truth.mentions {
            if !seen.insert(oid.as_str()) {
                continue;
            }
            if !put(
                "order",
                oid,
                *g != 0,
                Some("intel_mentioned"),
                Some(&format_args!("post-{post:06}")),
            ) {
                return n;
            }
        }
        n
    }
}
