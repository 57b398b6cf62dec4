//! Facts the engine keeps about the retailer's world: accounts, orders, deliveries, returns.
//!
//! These are shared, read-only inputs for every detector. They are keyed by entity, so
//! memory grows with the number of accounts, orders and returns, never with the number of
//! events. Detectors keep their own state beside them.

use crate::money::usd_cents;
use clawback_events::*;
use clawback_table::GrowMap;

/// Most identifiers of one kind remembered per account; a cap so that one noisy account
/// cannot grow without bound.
const MAX_IDENTIFIERS: usize = 8;

/// What the engine knows about an account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub created_ms: Option<i64>,
    /// Closed by the retailer: a ban.
    pub banned: bool,
    pub closed: bool,
    pub orders: u32,
    pub order_value_usd_cents: i64,
    pub refunds_requested: u32,
    pub refund_value_usd_cents: i64,
    /// Phone keys (digits only) and devices seen; the identity graph keeps the normalised
    /// identifiers, these are for the refund features' "is the contact the holder" tests.
    pub phones: Vec<Id>,
    pub devices: Vec<Id>,
    /// IP addresses the account holder used (signup, logins, orders).
    pub ips: Vec<Id>,
    /// Earlier refunds claimed as "not received".
    pub claims_not_received: u32,
    pub chargebacks: u32,
    /// Event time of the latest refund request, to measure bursts.
    pub last_refund_ms: Option<i64>,
}

fn remember(list: &mut Vec<Id>, value: Id) {
    if !list.contains(&value) && list.len() < MAX_IDENTIFIERS {
        list.push(value);
    }
}

/// A light key for a phone number: its digits. E.164 normalisation belongs to the identity
/// graph.
pub fn phone_key(phone: &str) -> Option<Id> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 6).then(|| Id::from(digits))
}

/// A postal code compared across events: upper-case, letters and digits only.
pub fn postal_key(code: &str) -> Id {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Categories whose goods resell quickly for cash; domain.md names them as the refund
/// services' targets. Matched case-insensitively on the free-text category.
pub fn is_resale_category(category: &str) -> bool {
    const RESALE: &[&str] = &[
        "electronics",
        "computers",
        "phones",
        "video_games",
        "cameras",
        "jewelry",
        "watches",
    ];
    RESALE.iter().any(|c| category.eq_ignore_ascii_case(c))
}

/// How an order was delivered, as the carrier reported it.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub delivered_ms: i64,
    pub weight_grams: Option<i64>,
    pub proof_photo: bool,
    pub gps_match: bool,
    pub signature: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Order {
    pub account_id: Id,
    pub placed_ms: i64,
    pub value_usd_cents: i64,
    pub items: u32,
    pub retailer_fulfilled: bool,
    /// Share of the order's value in categories that resell easily (electronics,
    /// computers, phones, video games), the refund services' favourite goods.
    pub resale_share: f32,
    /// Most expensive single unit, US cents.
    pub max_unit_usd_cents: i64,
    /// Shipping postal code, upper-case without spaces, to compare with where a return
    /// parcel was handed to the carrier.
    pub postal_code: Id,
    pub delivery: Option<Delivery>,
}

/// The warehouse's record of a return.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    pub received_ms: i64,
    pub employee_id: Id,
    pub barcode_scanned: bool,
    pub weight_grams: Option<i64>,
    /// Some line came back empty or as a different item.
    pub empty_or_wrong: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Return {
    pub order_id: Id,
    pub requested_ms: i64,
    pub label_ms: Option<i64>,
    pub tracking_number: Option<Id>,
    /// The carrier scanned the parcel after the label was made (accepted, in transit, …).
    pub carrier_scanned: bool,
    pub accepted_weight_grams: Option<i64>,
    pub delivered_to_warehouse: bool,
    /// Units the customer said they were sending back.
    pub returned_units: u32,
    /// Postal code where the carrier first accepted the parcel, normalised like
    /// [`Order::postal_code`].
    pub accepted_postal_code: Option<Id>,
    pub receipt: Option<Receipt>,
}

/// What a return parcel should weigh: the shipped weight times the share of the order's
/// units sent back (a customer returning one of three items sends a lighter box, honestly).
/// `None` when the shipped weight is unknown.
pub fn expected_return_weight(order: &Order, ret: &Return) -> Option<f64> {
    let shipped = order.delivery.as_ref()?.weight_grams.filter(|w| *w > 0)? as f64;
    let share = if order.items > 0 && ret.returned_units > 0 {
        (f64::from(ret.returned_units) / f64::from(order.items)).min(1.0)
    } else {
        1.0
    };
    Some(shipped * share)
}

/// Everything detectors may read.
#[derive(Debug, Default)]
pub struct Facts {
    pub accounts: GrowMap<Id, Account>,
    pub orders: GrowMap<Id, Order>,
    pub returns: GrowMap<Id, Return>,
    /// Return parcels by tracking number (from `return_label_created`).
    pub return_by_tracking: GrowMap<Id, Id>,
    /// Event time of the newest event absorbed.
    pub now_ms: i64,
}

impl Facts {
    /// Absorbs one event. Decision points are absorbed *after* they are decided, so a
    /// decision never counts itself.
    pub fn absorb(&mut self, ev: &Event) {
        self.now_ms = self.now_ms.max(ev.ts.unix_ms);
        let t = ev.ts.unix_ms;
        match &ev.body {
            Body::AccountCreated(e) => {
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                a.created_ms = Some(a.created_ms.map_or(t, |c| c.min(t)));
                if let Some(p) = e.phone.as_deref().and_then(phone_key) {
                    remember(&mut a.phones, p);
                }
                if let Some(d) = &e.device_id {
                    remember(&mut a.devices, d.clone());
                }
                if let Some(ip) = &e.ip {
                    remember(&mut a.ips, ip.clone());
                }
            }
            Body::AccountUpdated(e) => {
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                if let Some(p) = e.phone.as_deref().and_then(phone_key) {
                    remember(&mut a.phones, p);
                }
                if let Some(d) = &e.device_id {
                    remember(&mut a.devices, d.clone());
                }
            }
            Body::Login(e) if e.success => {
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                if let Some(d) = &e.device_id {
                    remember(&mut a.devices, d.clone());
                }
                if let Some(ip) = &e.ip {
                    remember(&mut a.ips, ip.clone());
                }
            }
            Body::AccountClosed(e) => {
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                a.closed = true;
                a.banned |= e.by == Some(ClosedBy::Retailer);
            }
            Body::OrderPlaced(e) => {
                let value = usd_cents(e.money.amount_minor, &e.money.currency);
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                a.orders += 1;
                a.order_value_usd_cents += value;
                if let Some(d) = &e.device_id {
                    remember(&mut a.devices, d.clone());
                }
                if let Some(ip) = &e.ip {
                    remember(&mut a.ips, ip.clone());
                }
                let mut resale = 0i64;
                let mut total = 0i64;
                let mut max_unit = 0i64;
                for i in &e.items {
                    let unit = usd_cents(i.unit_price_minor, &e.money.currency);
                    let line = unit.saturating_mul(i.quantity.clamp(0, 1000));
                    total = total.saturating_add(line);
                    max_unit = max_unit.max(unit);
                    if is_resale_category(&i.category) {
                        resale = resale.saturating_add(line);
                    }
                }
                let retailer_fulfilled = !e.items.is_empty()
                    && e.items
                        .iter()
                        .all(|i| i.fulfilled_by.as_ref() != Some(&FulfilledBy::Seller));
                self.orders.insert(
                    e.order_id.clone(),
                    Order {
                        account_id: e.account_id.clone(),
                        placed_ms: t,
                        value_usd_cents: value,
                        items: e
                            .items
                            .iter()
                            .map(|i| i.quantity.clamp(0, 1000) as u32)
                            .sum(),
                        retailer_fulfilled,
                        resale_share: if total > 0 {
                            (resale as f64 / total as f64) as f32
                        } else {
                            0.0
                        },
                        max_unit_usd_cents: max_unit,
                        postal_code: postal_key(&e.shipping_address.postal_code),
                        delivery: None,
                    },
                );
            }
            Body::ShipmentDelivered(e) => {
                let o = self.orders.entry(e.order_id.clone()).or_default();
                o.delivery = Some(Delivery {
                    delivered_ms: t,
                    weight_grams: e.weight_grams,
                    proof_photo: e.proof_photo.unwrap_or(false),
                    gps_match: e.gps_match.unwrap_or(false),
                    signature: e.signature.unwrap_or(false),
                });
            }
            Body::ReturnRequested(e) => {
                let r = self.returns.entry(e.return_id.clone()).or_default();
                r.order_id = e.order_id.clone();
                r.requested_ms = t;
                r.returned_units = e
                    .items
                    .iter()
                    .map(|i| i.quantity.clamp(0, 1000) as u32)
                    .sum();
            }
            Body::ReturnLabelCreated(e) => {
                let r = self.returns.entry(e.return_id.clone()).or_default();
                r.label_ms = Some(t);
                r.tracking_number = Some(e.tracking_number.clone());
                self.return_by_tracking
                    .insert(e.tracking_number.clone(), e.return_id.clone());
            }
            Body::CarrierScan(e) => {
                let Some(rid) = self.return_by_tracking.get(&e.tracking_number) else {
                    return;
                };
                let Some(r) = self.returns.get_mut(rid) else {
                    return;
                };
                match e.status {
                    ScanStatus::LabelCreated => {}
                    ScanStatus::Delivered => {
                        r.carrier_scanned = true;
                        r.delivered_to_warehouse = true;
                    }
                    ScanStatus::Accepted => {
                        r.carrier_scanned = true;
                        r.accepted_weight_grams = e.weight_grams.or(r.accepted_weight_grams);
                        if r.accepted_postal_code.is_none() {
                            r.accepted_postal_code = e.postal_code.as_deref().map(postal_key);
                        }
                    }
                    _ => r.carrier_scanned = true,
                }
            }
            Body::ReturnReceived(e) => {
                let r = self.returns.entry(e.return_id.clone()).or_default();
                r.receipt = Some(Receipt {
                    received_ms: t,
                    employee_id: e.employee_id.clone(),
                    barcode_scanned: e.barcode_scanned,
                    weight_grams: e.weight_grams,
                    empty_or_wrong: e
                        .items
                        .iter()
                        .any(|i| matches!(i.condition, Condition::Empty | Condition::WrongItem)),
                });
            }
            Body::RefundRequested(e) => {
                let a = self.accounts.entry(e.account_id.clone()).or_default();
                a.refunds_requested += 1;
                a.refund_value_usd_cents += usd_cents(e.money.amount_minor, &e.money.currency);
                a.claims_not_received += u32::from(e.reason == ClaimReason::NotReceived);
                a.last_refund_ms = Some(t);
            }
            Body::Chargeback(e) => {
                if let Some(o) = self.orders.get(&e.order_id) {
                    let acct = o.account_id.clone();
                    self.accounts.entry(acct).or_default().chargebacks += 1;
                }
            }
            // Labels are ground truth for training; a run being judged must not learn from
            // them, so the engine never reads them.
            Body::Label(_) => {}
            _ => {}
        }
    }

    /// Sizes of the fact tables, for memory reporting.
    pub fn sizes(&self) -> FactSizes {
        FactSizes {
            accounts: self.accounts.len(),
            orders: self.orders.len(),
            returns: self.returns.len(),
        }
    }
}

/// Entity counts held by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FactSizes {
    pub accounts: usize,
    pub orders: usize,
    pub returns: usize,
}
