//! Ban evasion: the retailer closes abusive accounts, and some of the people behind them
//! come back days later under a new account.
//!
//! The banned are refund-gang clients or ordinary-looking customers (closed for "abuse of
//! returns" and the like). A share of them sign up again with a variant of something the
//! retailer already knows: the same mailbox written differently (dots, `+tag`, case,
//! `googlemail.com` for `gmail.com`), the same phone written another way, the same device,
//! the same card, or the same address restyled (abbreviations, unit marker) — alone or
//! combined — and then shop like anyone else. Other bans are followed by an honest
//! look-alike: a household member who opens an account at the same address, sometimes on
//! the family's device or card.
//!
//! Everything here draws from the simulator's one random stream, but only when bans are
//! configured, so the honest stream of a config without them is unchanged.

use super::*;
use crate::rng::R;
use std::collections::BTreeMap;

/// What an evader's new account shares with the banned one (bit flags).
const SAME_EMAIL: u8 = 1;
const SAME_PHONE: u8 = 2;
const SAME_DEVICE: u8 = 4;
const SAME_CARD: u8 = 8;
const SAME_ADDRESS: u8 = 16;

/// Ban-evasion state and ground truth.
#[derive(Debug, Default)]
pub(super) struct Evasion {
    /// Evader's new account (customer index) → the banned original.
    pub(super) evaders: BTreeMap<u32, u32>,
}

/// The same mailbox, written differently: a `+tag`, another casing, and for Gmail dots
/// moved or `googlemail.com`.
pub(super) fn email_variant(e: &str, r: &mut R) -> String {
    let Some((local, domain)) = e.split_once('@') else {
        return e.to_string();
    };
    let base = local.split('+').next().unwrap_or(local);
    let dom = domain.to_ascii_lowercase();
    let gmail = dom == "gmail.com" || dom == "googlemail.com";
    let mut out_local = base.to_string();
    let mut out_domain = domain.to_string();
    let ops = if gmail { 4 } else { 2 };
    let mut changed = false;
    for _ in 0..1 + r.below(2) {
        match r.below(ops) {
            0 => {
                let tag = *r.pick(&["shop", "new", "2", "amz", "deals", "x"]);
                out_local = format!("{}+{tag}", out_local.split('+').next().unwrap_or(""));
            }
            1 => {
                out_local = if out_local.chars().any(|c| c.is_ascii_uppercase()) {
                    out_local.to_ascii_lowercase()
                } else if r.chance(0.5) {
                    out_local.to_ascii_uppercase()
                } else {
                    let mut s = String::with_capacity(out_local.len());
                    capitalise_first(&out_local, &mut s);
                    s
                };
            }
            2 => {
                let (name, tag) = match out_local.split_once('+') {
                    Some((n, t)) => (n.to_string(), format!("+{t}")),
                    None => (out_local.clone(), String::new()),
                };
                let name = if name.contains('.') {
                    name.replace('.', "")
                } else if name.len() >= 3 && name.is_ascii() {
                    let k = 1 + r.below(name.len() - 2);
                    format!("{}.{}", &name[..k], &name[k..])
                } else {
                    name
                };
                out_local = name + &tag;
            }
            _ => {
                out_domain = if dom == "gmail.com" {
                    "googlemail.com".to_string()
                } else {
                    "gmail.com".to_string()
                };
            }
        }
        changed = true;
    }
    if !changed || format!("{out_local}@{out_domain}") == e {
        out_local = format!("{}+1", out_local.split('+').next().unwrap_or(""));
    }
    format!("{out_local}@{out_domain}")
}

fn capitalise_first(s: &str, out: &mut String) {
    let mut first = true;
    for c in s.chars() {
        if first {
            out.push(c.to_ascii_uppercase());
            first = false;
        } else {
            out.push(c);
        }
    }
}

impl Sim<'_> {
    /// Plans the configured bans over the middle of the period.
    pub(super) fn setup_bans(&mut self) {
        let span = self.end - self.start;
        for _ in 0..self.cfg.ban_evasion {
            let t = self.start + self.r.range(span / 6, span * 2 / 3);
            self.push(t, Kind::Ban);
        }
    }

    /// The retailer bans an abusive account (a gang client, or a customer who looks
    /// honest); the person may come back, or a household member may sign up.
    pub(super) fn ban(&mut self, ts: i64) {
        let n = (self.cfg.customers as usize).min(self.customers.len());
        let usable = |s: &Self, i: u32| {
            s.customers
                .get(i as usize)
                .is_some_and(|c| c.created && !c.closed)
        };
        let mut pick = None;
        if !self.truth.clients.is_empty() && self.r.chance(self.cfg.rates.ban_gang_client_share) {
            for _ in 0..8 {
                let k = self.r.below(self.truth.clients.len());
                if let Some(&i) = self.truth.clients.keys().nth(k)
                    && usable(self, i)
                {
                    pick = Some(i);
                    break;
                }
            }
        }
        if pick.is_none() {
            for _ in 0..16 {
                let i = self.r.below(n) as u32;
                if usable(self, i) {
                    pick = Some(i);
                    break;
                }
            }
        }
        let Some(i) = pick else { return };
        self.close(ts, i, true);
        if self.r.chance(self.cfg.rates.ban_return_share) {
            let t = ts + self.r.range(2 * DAY, 9 * DAY);
            self.push(t, Kind::Evade(i));
        }
        if self.r.chance(self.cfg.rates.ban_housemate_share) {
            let t = ts + self.r.range(DAY, 12 * DAY);
            self.push(t, Kind::Housemate(i));
        }
    }

    /// The banned person's new account, sharing one or more identifiers with the old one.
    pub(super) fn evade(&mut self, ts: i64, orig: u32) {
        let o = &self.customers[orig as usize];
        let has_phone = o.phone.is_some();
        let cfg: &Config = self.cfg;
        let rates = &cfg.rates;
        let mut mask = 0u8;
        for (bit, p) in [
            (SAME_EMAIL, rates.evasion_same_email),
            (
                SAME_PHONE,
                if has_phone {
                    rates.evasion_same_phone
                } else {
                    0.0
                },
            ),
            (SAME_DEVICE, rates.evasion_same_device),
            (SAME_CARD, rates.evasion_same_card),
            (SAME_ADDRESS, rates.evasion_same_address),
        ] {
            if self.r.chance(p) {
                mask |= bit;
            }
        }
        if mask == 0 {
            mask = [SAME_EMAIL, SAME_DEVICE, SAME_CARD, SAME_ADDRESS][self.r.below(4)];
        }
        let idx = self.customers.len() as u32;
        let o = &self.customers[orig as usize];
        let ci = o.country as usize;
        let c = &COUNTRIES[ci];
        let (firsts, lasts) = names(c.lang);
        let first = if self.r.chance(0.75) {
            o.first
        } else {
            self.r.below(firsts.len()) as u8
        };
        let last = o.last;
        let email = if mask & SAME_EMAIL != 0 {
            email_variant(&o.email, &mut self.r)
        } else {
            let unique = u64::from(idx) * 37 + self.r.below(37) as u64 + 10;
            email(
                firsts[first as usize % firsts.len()],
                lasts[last as usize % lasts.len()],
                unique,
                c,
                &mut self.r,
            )
        };
        let addr = if mask & SAME_ADDRESS != 0 {
            o.addr.clone()
        } else {
            new_address(ci, &mut self.r)
        };
        // A restyled address: other abbreviations and unit marker, same place.
        let addr_style = if mask & SAME_ADDRESS != 0 {
            let s = o.addr_style;
            let abbr = ((s & 3) + 1 + self.r.below(2) as u8) % 3;
            let unit = ((s >> 4 & 3) + 1 + self.r.below(3) as u8) % 4;
            (s & !3 & !(3 << 4)) | abbr | unit << 4
        } else {
            address_style(&mut self.r)
        };
        let (phone, phone_style) = if mask & SAME_PHONE != 0 {
            (o.phone, (o.phone_style + 1 + self.r.below(3) as u8) % 4)
        } else {
            let city = &c.cities[addr.city as usize % c.cities.len()];
            (
                self.r
                    .chance(0.7)
                    .then(|| phone_number(ci, city, &mut self.r)),
                self.r.below(4) as u8,
            )
        };
        let o = &self.customers[orig as usize];
        let device = if mask & SAME_DEVICE != 0 {
            o.devices[0]
        } else {
            self.r.u64()
        };
        let card = if mask & SAME_CARD != 0 {
            o.cards[0]
        } else {
            self.r.u64()
        };
        let home_ip = if self.r.chance(0.5) {
            o.home_ip
        } else {
            u32::from(*self.r.pick(c.res_octets)) << 24 | (self.r.u64() as u32 & 0x00ff_ffff)
        };
        let cust = Customer {
            country: ci as u8,
            first,
            last,
            email,
            phone,
            phone_style,
            addr,
            addr_style,
            devices: vec![device],
            home_ip,
            home_v6: false,
            cards: vec![card],
            activity: o.activity,
            created: true,
            closed: false,
            last_order: None,
        };
        self.customers.push(cust);
        self.evasion.evaders.insert(idx, orig);

        let ip = self.ip_text(idx);
        let mut j = self.ev(ts, "account_created");
        j.disp("account_id", &Acct(idx));
        let c = &self.customers[idx as usize];
        j.str("email", &c.email);
        if let Some(p) = c.phone {
            let mut s = String::with_capacity(20);
            write_phone(&mut s, ci, p, c.phone_style);
            j.str("phone", &s);
        }
        let name = format!(
            "{} {}",
            firsts[c.first as usize % firsts.len()],
            lasts[c.last as usize % lasts.len()]
        );
        j.str("name", &name);
        if mask & SAME_DEVICE != 0 || self.r.chance(0.9) {
            j.disp("device_id", &Dev(device));
        }
        if self.r.chance(0.9) {
            j.str("ip", &ip);
        }
        let c = &self.customers[idx as usize];
        if mask & SAME_ADDRESS != 0 || self.r.chance(0.8) {
            write_address(&mut j, "address", &c.addr, c.addr_style, false);
        }
        self.emit(j);
        let t = ts + self.r.range(MIN, 30 * MIN);
        self.payment_method(t, idx, card);
        let first_visit = t + self.r.range(5 * MIN, 2 * DAY);
        self.push(first_visit, Kind::Session(idx));
    }

    /// An honest household member of a banned account opens an account of their own at
    /// the same address, sometimes on the family's device or card.
    pub(super) fn housemate(&mut self, ts: i64, orig: u32) {
        let idx = self.customers.len() as u32;
        let o = &self.customers[orig as usize];
        let ci = o.country as usize;
        let c = &COUNTRIES[ci];
        let (firsts, lasts) = names(c.lang);
        let mut first = self.r.below(firsts.len()) as u8;
        if first == o.first {
            first = ((first as usize + 1) % firsts.len()) as u8;
        }
        let last = o.last;
        let addr = o.addr.clone();
        let shared_device = self.r.chance(0.35).then(|| o.devices[0]);
        let shared_card = self.r.chance(0.3).then(|| o.cards[0]);
        let home_ip = o.home_ip;
        let activity = o.activity;
        let unique = u64::from(idx) * 37 + self.r.below(37) as u64 + 10;
        let email = email(
            firsts[first as usize],
            lasts[last as usize % lasts.len()],
            unique,
            c,
            &mut self.r,
        );
        let city = &c.cities[addr.city as usize % c.cities.len()];
        let phone = self
            .r
            .chance(0.75)
            .then(|| phone_number(ci, city, &mut self.r));
        let phone_style = self.r.below(4) as u8;
        let device = shared_device.unwrap_or_else(|| self.r.u64());
        let card = shared_card.unwrap_or_else(|| self.r.u64());
        let addr_style = address_style(&mut self.r);
        self.customers.push(Customer {
            country: ci as u8,
            first,
            last,
            email,
            phone,
            phone_style,
            addr,
            addr_style,
            devices: vec![device],
            home_ip,
            home_v6: false,
            cards: vec![card],
            activity,
            created: false,
            closed: false,
            last_order: None,
        });
        self.signup(ts, idx);
    }
}
