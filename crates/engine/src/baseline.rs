//! The baseline detectors: a handful of transparent rules over facts the engine already
//! tracks. They are the floor later detectors must beat, and they are written so an
//! investigator can check every weight against the evidence it names.
//!
//! Weights are log-odds added to the point's prior (see `policy.rs`). They were set by
//! hand from the signals in `shared/docs/domain.md`, not fitted to any data set.

use crate::detector::{AlertSink, Detector, Signal};
use crate::facts::{Facts, expected_return_weight};
use crate::money::{dollars, usd_cents};
use clawback_events::output::{EntityRef, EntityType, Point, Reason};
use clawback_events::*;

const DAY_MS: i64 = 86_400_000;

/// The refund rules: value, the claim against the delivery evidence, the return's trail,
/// the channel and the account's age and history.
#[derive(Debug, Default)]
pub struct RefundRules;

impl Detector for RefundRules {
    fn name(&self) -> &'static str {
        "refund_rules"
    }

    fn assess(&mut self, facts: &Facts, point: Point, ev: &Event, out: &mut Vec<Signal>) {
        let (Point::Refund, Body::RefundRequested(r)) = (point, &ev.body) else {
            return;
        };
        let now = ev.ts.unix_ms;
        let value = usd_cents(r.money.amount_minor, &r.money.currency);
        if value >= 1_500 * 100 {
            out.push(Signal::new(
                "high_value",
                1.8,
                format!("refund of {}", dollars(value)),
            ));
        } else if value >= 500 * 100 {
            out.push(Signal::new(
                "high_value",
                1.0,
                format!("refund of {}", dollars(value)),
            ));
        }

        let order = facts.orders.get(&r.order_id);
        match order {
            None => out.push(Signal::new(
                "unknown_order",
                0.5,
                format!("order {} was never seen", r.order_id),
            )),
            Some(o) => {
                if o.value_usd_cents > 0 && value > o.value_usd_cents + 100 {
                    out.push(Signal::new(
                        "refund_exceeds_order",
                        1.0,
                        format!(
                            "refund {} is more than the order's {}",
                            dollars(value),
                            dollars(o.value_usd_cents)
                        ),
                    ));
                }
                if o.account_id != r.account_id && !o.account_id.is_empty() {
                    out.push(Signal::new(
                        "order_of_another_account",
                        1.5,
                        format!("order {} belongs to {}", r.order_id, o.account_id),
                    ));
                }
            }
        }

        if r.reason == ClaimReason::NotReceived
            && let Some(d) = order.and_then(|o| o.delivery.as_ref())
        {
            let proofs: Vec<&str> = [
                (d.proof_photo, "a proof photo"),
                (d.gps_match, "a GPS match"),
                (d.signature, "a signature"),
            ]
            .iter()
            .filter(|(p, _)| *p)
            .map(|(_, s)| *s)
            .collect();
            if !proofs.is_empty() {
                out.push(Signal::new(
                    "claim_contradicts_delivery",
                    0.9 + 0.7 * proofs.len() as f64,
                    format!(
                        "claimed not received, but delivered with {}",
                        proofs.join(" and ")
                    ),
                ));
            }
        }

        if let Some(ret) = r.return_id.as_ref().and_then(|id| facts.returns.get(id)) {
            match &ret.receipt {
                Some(rc) => {
                    if rc.empty_or_wrong {
                        out.push(Signal::new(
                            "empty_or_wrong_return",
                            3.0,
                            "the warehouse received an empty box or a different item",
                        ));
                    }
                    let expected = order.and_then(|o| expected_return_weight(o, ret));
                    if let (Some(got), Some(want)) = (rc.weight_grams, expected)
                        && (got as f64) * 2.0 < want
                    {
                        out.push(Signal::new(
                            "return_weight_mismatch",
                            2.0,
                            format!(
                                "return weighed {got} g, the returned items should weigh about {want:.0} g"
                            ),
                        ));
                    }
                    if !rc.barcode_scanned && !ret.carrier_scanned {
                        out.push(Signal::new(
                            "keyed_receipt_without_carrier_scan",
                            1.5,
                            format!("receipt keyed in by hand by {}, parcel never scanned by the carrier", rc.employee_id),
                        ));
                    }
                }
                None => match ret.label_ms {
                    Some(label_ms) if !ret.carrier_scanned => {
                        let days = (now - label_ms) / DAY_MS;
                        if days >= 3 {
                            out.push(Signal::new(
                                "no_carrier_scan",
                                1.5,
                                format!("return label created {days} days ago, never scanned"),
                            ));
                        } else {
                            out.push(Signal::new(
                                "return_not_shipped",
                                0.5,
                                "return label created, parcel not yet scanned",
                            ));
                        }
                    }
                    None => out.push(Signal::new(
                        "no_return_label",
                        0.5,
                        "refund requested before any return label",
                    )),
                    _ => {}
                },
            }
        }

        if matches!(r.channel, Channel::Chat | Channel::Phone) {
            out.push(Signal::new(
                "assisted_channel",
                0.4,
                format!("requested by {}", r.channel),
            ));
        }

        if let Some(a) = facts.accounts.get(&r.account_id) {
            if let Some(created) = a.created_ms {
                let days = (now - created) / DAY_MS;
                if days < 30 {
                    out.push(Signal::new(
                        "new_account",
                        0.6,
                        format!("account is {days} days old"),
                    ));
                }
            }
            if a.refunds_requested >= 2 && a.refunds_requested * 2 > a.orders {
                out.push(Signal::new(
                    "frequent_refunds",
                    0.8,
                    format!(
                        "{} earlier refunds on {} orders",
                        a.refunds_requested, a.orders
                    ),
                ));
            }
            if a.banned {
                out.push(Signal::new(
                    "account_banned",
                    3.0,
                    "the account was closed by the retailer",
                ));
            }
        }
    }
}

/// Raises `return_anomaly` when the warehouse books a return that the evidence says did
/// not come back: keyed in by hand with no carrier scan, far too light, or empty.
#[derive(Debug, Default)]
pub struct ReturnAnomalies;

impl Detector for ReturnAnomalies {
    fn name(&self) -> &'static str {
        "return_anomalies"
    }

    fn observe(&mut self, facts: &Facts, ev: &Event, alerts: &mut AlertSink) {
        let Body::ReturnReceived(rr) = &ev.body else {
            return;
        };
        let Some(ret) = facts.returns.get(&rr.return_id) else {
            return;
        };
        let order = facts.orders.get(&ret.order_id);
        let mut reasons = Vec::new();
        let mut score: f64 = 0.0;
        if !rr.barcode_scanned && !ret.carrier_scanned {
            reasons.push(Reason::new(
                "keyed_receipt_without_carrier_scan",
                format!(
                    "{} keyed the receipt in by hand; the carrier never scanned the parcel",
                    rr.employee_id
                ),
            ));
            score = score.max(0.7);
        }
        let expected = order.and_then(|o| expected_return_weight(o, ret));
        if let (Some(got), Some(want)) = (rr.weight_grams, expected)
            && (got as f64) * 2.0 < want
            && !rr.barcode_scanned
        {
            reasons.push(Reason::new(
                "receipt_weight_mismatch",
                format!(
                    "hand-keyed receipt of {got} g for items that should weigh about {want:.0} g"
                ),
            ));
            score = score.max(0.8);
        }
        if reasons.is_empty() {
            return;
        }
        let mut entities = vec![EntityRef::new(EntityType::Employee, rr.employee_id.clone())];
        entities.push(EntityRef::new(EntityType::Order, ret.order_id.clone()));
        if let Some(o) = order.filter(|o| !o.account_id.is_empty()) {
            entities.push(EntityRef::new(EntityType::Account, o.account_id.clone()));
        }
        let id = Id::from(format!("return_anomaly:{}", rr.return_id));
        alerts.raise(ev, id, "return_anomaly", score, entities, reasons);
    }
}
