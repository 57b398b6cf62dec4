//! `GET /v1/orders/{id}`: one order as the events tell it, with what Clawback made of it.
//!
//! An investigator holding an order id (from a gang's post, a chargeback, a customer's
//! call) needs the whole story in one read: what was bought and where it went, the
//! delivery, each return and what the warehouse found in the parcel, each refund with the
//! decision Clawback made and its reasons, chargebacks, the support contacts and employee
//! actions that touched it, the gang posts that showed it, the alerts naming it and the
//! cases holding those alerts.
//!
//! [`order_events`] is the one description of an order's events: the API's `timeline`,
//! the console's order and account pages and the evidence export's `timeline.csv` all
//! read it, so the three cannot tell an order's story differently.
//!
//! PII (the shipping address, and PII entity ids in the alerts) is masked unless the
//! caller is an investigator or admin and sends `X-Justification`; such a read is written
//! to the audit log and fed to the insider detectors as a `data_access` event, through the
//! same [`crate::Core::record_access`] as every other unmasked read.

use super::cases::{CaseView, cases_err};
use super::{
    ANY, AddressView, AlertView, AppState, Caller, DecisionView, address_view, alert_view,
    audit_entry, authorize, core_err, justification, path_err, pii_entity, with_core,
};
use crate::detail::{Name, OrderEv, OrderRec, clip, conditions_text, scan_words};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use clawback_cases::CaseFilter;
use clawback_events::Id;
use clawback_events::output::Point;
use serde::Serialize;
use utoipa::ToSchema;

/// The audit `resource` of an unmasked order read: the contract's name for reads of a
/// customer's orders, so the insider detectors weigh it like any other.
pub const ORDER_RESOURCE: &str = "order_history";

fn ts_of(ms: i64) -> String {
    clawback_events::Timestamp::from_unix_ms(ms).raw.to_string()
}

/// An amount for people: `12.50 USD`.
pub(super) fn money(minor: i64, currency: &str) -> String {
    format!("{:.2} {currency}", minor as f64 / 100.0)
}

// ---------------------------------------------------------------- the describer

/// One thing that happened to an order, described once for every view of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OrderEvent {
    pub ts_ms: i64,
    /// The contract's event type (`refund_requested`, …).
    pub kind: &'static str,
    /// What the event is about, for a sentence: `("refund", "r-1")`.
    pub subject: Option<(&'static str, String)>,
    /// The ids it involves (the export's `ids` column).
    pub ids: Vec<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<Name>,
    /// For people; names no PII.
    pub detail: String,
    /// The employee it names, for a link.
    pub employee: Option<Name>,
}

impl OrderEvent {
    /// The event as one line of a page: `refund r-1: 12.50 USD, reason damaged, …`.
    pub fn sentence(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let (Some(a), Some(c)) = (self.amount_minor, &self.currency) {
            parts.push(money(a, c));
        }
        if !self.detail.is_empty() {
            parts.push(self.detail.clone());
        }
        let body = parts.join(", ");
        match &self.subject {
            Some((what, id)) => format!("{what} {id}: {body}"),
            None => body,
        }
    }
}

/// The events of an order, oldest first in the order the service applied them: its
/// placing, its delivery (from the engine's facts), then everything the read model kept
/// (returns, refunds with their decisions, chargebacks, contacts, employee actions).
pub(super) fn order_events(core: &crate::Core, order_id: &str, o: &OrderRec) -> Vec<OrderEvent> {
    let mut out = Vec::with_capacity(o.events.len() + 2);
    let items: Vec<String> = o
        .items
        .iter()
        .map(|i| format!("{}x {} ({})", i.quantity, i.sku, i.category))
        .collect();
    out.push(OrderEvent {
        ts_ms: o.placed_ms,
        kind: "order_placed",
        subject: None,
        ids: o.payment.iter().map(ToString::to_string).collect(),
        amount_minor: Some(o.amount_minor),
        currency: Some(o.currency.clone()),
        detail: clip(&items.join("; "), 300),
        employee: None,
    });
    if let Some(del) = core
        .engine()
        .facts()
        .orders
        .get(order_id)
        .and_then(|f| f.delivery.as_ref())
    {
        out.push(OrderEvent {
            ts_ms: del.delivered_ms,
            kind: "shipment_delivered",
            subject: None,
            ids: Vec::new(),
            amount_minor: None,
            currency: None,
            detail: format!(
                "by {}; weight {}; proof photo {}; GPS match {}; signature {}",
                o.carrier.as_deref().unwrap_or("?"),
                del.weight_grams
                    .map_or_else(|| "?".into(), |w| format!("{w} g")),
                del.proof_photo,
                del.gps_match,
                del.signature
            ),
            employee: None,
        });
    }
    for (ts, ev) in &o.events {
        out.push(describe(core, *ts, ev));
    }
    out
}

fn describe(core: &crate::Core, ts_ms: i64, ev: &OrderEv) -> OrderEvent {
    let e = |kind, subject: Option<(&'static str, &Id)>, ids: Vec<String>, detail| OrderEvent {
        ts_ms,
        kind,
        subject: subject.map(|(w, id)| (w, id.to_string())),
        ids,
        amount_minor: None,
        currency: None,
        detail,
        employee: None,
    };
    match ev {
        OrderEv::ReturnRequested {
            return_id,
            reason,
            units,
        } => e(
            "return_requested",
            Some(("return", return_id)),
            vec![return_id.to_string()],
            format!("{units} units, reason {reason}"),
        ),
        OrderEv::ReturnLabel { return_id, carrier } => e(
            "return_label_created",
            Some(("return", return_id)),
            vec![return_id.to_string()],
            format!("by {carrier}"),
        ),
        OrderEv::ReturnReceived {
            return_id,
            employee_id,
            barcode_scanned,
            conditions,
        } => OrderEvent {
            employee: Some(employee_id.clone()),
            ..e(
                "return_received",
                Some(("return", return_id)),
                vec![return_id.to_string(), employee_id.to_string()],
                format!(
                    "received by {employee_id} ({}), lines: {}",
                    scan_words(*barcode_scanned),
                    conditions_text(conditions)
                ),
            )
        },
        OrderEv::RefundRequested {
            refund_id,
            amount_minor,
            currency,
            reason,
            channel,
            employee_id,
        } => {
            let decision = core
                .index
                .decisions
                .get(&(Point::Refund, refund_id.clone()))
                .map(|d| {
                    let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
                    format!(
                        "; decision {} (score {:.3}{}{})",
                        d.decision.as_str(),
                        d.score,
                        if codes.is_empty() { "" } else { ": " },
                        codes.join(", ")
                    )
                })
                .unwrap_or_default();
            let by = employee_id
                .as_ref()
                .map(|e| format!(", raised by {e}"))
                .unwrap_or_default();
            OrderEvent {
                amount_minor: Some(*amount_minor),
                currency: Some(currency.clone()),
                employee: employee_id.clone(),
                ..e(
                    "refund_requested",
                    Some(("refund", refund_id)),
                    vec![refund_id.to_string()],
                    format!("reason {reason}, via {channel}{by}{decision}"),
                )
            }
        }
        OrderEv::RefundIssued {
            refund_id,
            amount_minor,
            currency,
            override_,
            employee_id,
        } => OrderEvent {
            amount_minor: Some(*amount_minor),
            currency: Some(currency.clone()),
            employee: employee_id.clone(),
            ..e(
                "refund_issued",
                Some(("refund", refund_id)),
                vec![refund_id.to_string()],
                format!(
                    "{}{}",
                    if *override_ { "override" } else { "issued" },
                    employee_id
                        .as_ref()
                        .map(|e| format!(" by {e}"))
                        .unwrap_or_default()
                ),
            )
        },
        OrderEv::Chargeback {
            amount_minor,
            currency,
        } => OrderEvent {
            amount_minor: Some(*amount_minor),
            currency: Some(currency.clone()),
            ..e("chargeback", None, Vec::new(), String::new())
        },
        OrderEv::Contact {
            contact_id,
            employee_id,
            channel,
            ..
        } => OrderEvent {
            employee: Some(employee_id.clone()),
            ..e(
                "support_contact",
                Some(("contact", contact_id)),
                vec![contact_id.to_string(), employee_id.to_string()],
                format!("by {channel} with {employee_id}"),
            )
        },
        OrderEv::EmployeeAction {
            employee_id,
            action,
        } => OrderEvent {
            employee: Some(employee_id.clone()),
            ..e(
                "employee_action",
                None,
                vec![employee_id.to_string()],
                format!("{action} by {employee_id}"),
            )
        },
    }
}

// ---------------------------------------------------------------- the read model

/// An order line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub sku: String,
    pub category: String,
    pub quantity: i64,
    /// In the order's currency's minor unit.
    pub unit_price_minor: i64,
    /// Absent: sold by the retailer.
    pub seller_id: Option<String>,
}

/// The outbound parcel's delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Event time of the `shipment_delivered`.
    pub delivered: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub weight_grams: Option<i64>,
    pub proof_photo: bool,
    pub gps_match: bool,
    pub signature: bool,
}

/// A return's label.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnLabelView {
    pub created: String,
    pub carrier: String,
    pub tracking_number: Option<String>,
}

/// What the warehouse recorded on receiving a return.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    pub received: String,
    pub employee_id: String,
    /// `false`: keyed in by hand.
    pub barcode_scanned: bool,
    /// The condition of each received line (`new`, `used`, `damaged`, `wrong_item`, `empty`).
    pub conditions: Vec<String>,
    /// Some line came back empty or as a different item.
    pub empty_or_wrong: bool,
    pub weight_grams: Option<i64>,
}

/// A return and what happened to its parcel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnView {
    pub return_id: String,
    /// Event time of the `return_requested`.
    pub requested: String,
    pub reason: String,
    /// Units the customer said they were sending back.
    pub units: i64,
    pub label: Option<ReturnLabelView>,
    /// The carrier scanned the parcel after the label was made.
    pub carrier_scanned: bool,
    /// The carrier delivered it to the warehouse.
    pub delivered_to_warehouse: bool,
    pub receipt: Option<ReceiptView>,
}

/// What the retailer then paid out for a refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundIssuedView {
    pub issued: String,
    pub amount_minor: i64,
    pub currency: String,
    /// Issued by an employee against Clawback's decision.
    #[serde(rename = "override")]
    pub override_: bool,
    pub employee_id: Option<String>,
}

/// A refund request, Clawback's decision on it, and what was paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub refund_id: String,
    /// Event time of the `refund_requested`.
    pub requested: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub channel: String,
    /// The support agent who raised it for the customer.
    pub raised_by: Option<String>,
    /// The decision Clawback made (outcome, score, reasons).
    pub decision: Option<DecisionView>,
    /// The latest `refund_issued` for it.
    pub issued: Option<RefundIssuedView>,
}

/// A chargeback on the order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargebackView {
    pub ts: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// A support contact about the order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub ts: String,
    pub contact_id: String,
    pub employee_id: String,
    pub channel: String,
    pub identity_verified: bool,
}

/// An employee action on the order, or on one of its refunds or returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeeActionView {
    pub ts: String,
    pub employee_id: String,
    pub action: String,
}

/// A post (a refund service's advertisement) that an alert found showing the order.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntelPostView {
    pub post_id: String,
    pub alert_id: String,
    /// Event time of the alert's first emission.
    pub detected: String,
    /// The alert's first reason.
    pub detail: String,
}

/// One line of the order's timeline (the same description as the console's pages and the
/// evidence export's `timeline.csv`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryView {
    pub ts: String,
    /// The contract's event type.
    #[serde(rename = "type")]
    pub kind: String,
    pub ids: Vec<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub detail: String,
}

/// An order as `GET /v1/orders/{id}` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub order_id: String,
    /// Whether PII (the shipping address, PII entity ids in alerts) is masked.
    pub masked: bool,
    pub account_id: String,
    /// Event time of the `order_placed`.
    pub placed: String,
    pub amount_minor: i64,
    pub currency: String,
    pub items: Vec<ItemView>,
    pub shipping_address: AddressView,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    pub payment_fingerprint: Option<String>,
    pub delivery: Option<DeliveryView>,
    pub returns: Vec<ReturnView>,
    pub refunds: Vec<RefundView>,
    pub chargebacks: Vec<ChargebackView>,
    pub support_contacts: Vec<ContactView>,
    pub employee_actions: Vec<EmployeeActionView>,
    pub intel_posts: Vec<IntelPostView>,
    /// Alerts naming the order, latest emission of each, in order of first emission.
    pub alerts: Vec<AlertView>,
    /// The cases holding those alerts, in queue order.
    pub cases: Vec<CaseView>,
    /// Everything above as events, oldest first.
    pub timeline: Vec<TimelineEntryView>,
}

/// The alerts naming an id: `(first emission, latest emission)` of each alert id, in
/// order of first emission.
fn alerts_about<'a>(
    core: &'a crate::Core,
    id: &str,
) -> Vec<(&'a crate::index::StoredAlert, &'a crate::index::StoredAlert)> {
    let mut out: Vec<(&crate::index::StoredAlert, &crate::index::StoredAlert)> = Vec::new();
    for a in &core.index.alerts {
        if !a.alert.entities.iter().any(|e| e.id == id) {
            continue;
        }
        match out
            .iter_mut()
            .find(|(first, _)| first.alert.alert_id == a.alert.alert_id)
        {
            Some(slot) => slot.1 = a,
            None => out.push((a, a)),
        }
    }
    out
}

/// An order as `GET /v1/orders/{id}` and the console's order page show it; justified
/// (`just`), unmasked and audited.
pub(super) fn order_view(
    core: &mut crate::Core,
    caller: &Caller,
    just: Option<&str>,
    id: &str,
) -> Result<OrderView, ApiError> {
    let open = just.is_some();
    let (mut view, alerts, accounts) = {
        let core = &*core;
        let d = &core.index.detail;
        let Some(o) = d.orders.get(id) else {
            let why = if core.index.detail_off {
                " (this service runs with --no-entity-detail, which keeps no orders)"
            } else {
                ""
            };
            return Err(ApiError::new(
                ErrorCode::EntityNotFound,
                format!("no order_placed event for order {id:?}{why}"),
            ));
        };
        let facts = core.engine().facts();
        let Some(addr) = d.addresses.get(o.ship_to) else {
            return Err(ApiError::internal(format!(
                "order {id:?} refers to shipping address {} that the read model does not hold",
                o.ship_to
            )));
        };
        let delivery = facts
            .orders
            .get(id)
            .and_then(|f| f.delivery.as_ref())
            .map(|del| DeliveryView {
                delivered: ts_of(del.delivered_ms),
                carrier: o.carrier.as_ref().map(ToString::to_string),
                tracking_number: o.tracking.as_ref().map(ToString::to_string),
                weight_grams: del.weight_grams,
                proof_photo: del.proof_photo,
                gps_match: del.gps_match,
                signature: del.signature,
            });
        let mut returns: Vec<ReturnView> = Vec::new();
        let mut refunds: Vec<RefundView> = Vec::new();
        let mut chargebacks = Vec::new();
        let mut support_contacts = Vec::new();
        let mut employee_actions = Vec::new();
        for (ts, ev) in &o.events {
            match ev {
                OrderEv::ReturnRequested {
                    return_id,
                    reason,
                    units,
                } => {
                    let f = facts.returns.get(return_id);
                    returns.push(ReturnView {
                        return_id: return_id.to_string(),
                        requested: ts_of(*ts),
                        reason: reason.to_string(),
                        units: *units,
                        label: None,
                        carrier_scanned: f.is_some_and(|f| f.carrier_scanned),
                        delivered_to_warehouse: f.is_some_and(|f| f.delivered_to_warehouse),
                        receipt: None,
                    });
                }
                OrderEv::ReturnLabel { return_id, carrier } => {
                    if let Some(r) = returns.iter_mut().find(|r| r.return_id == *return_id) {
                        r.label = Some(ReturnLabelView {
                            created: ts_of(*ts),
                            carrier: carrier.to_string(),
                            tracking_number: facts
                                .returns
                                .get(return_id)
                                .and_then(|f| f.tracking_number.as_ref())
                                .map(ToString::to_string),
                        });
                    }
                }
                OrderEv::ReturnReceived {
                    return_id,
                    employee_id,
                    barcode_scanned,
                    conditions,
                } => {
                    let receipt = facts
                        .returns
                        .get(return_id)
                        .and_then(|f| f.receipt.as_ref());
                    if let Some(r) = returns.iter_mut().find(|r| r.return_id == *return_id) {
                        r.receipt = Some(ReceiptView {
                            received: ts_of(*ts),
                            employee_id: employee_id.to_string(),
                            barcode_scanned: *barcode_scanned,
                            conditions: conditions.iter().map(ToString::to_string).collect(),
                            empty_or_wrong: receipt.map_or_else(
                                || {
                                    conditions
                                        .iter()
                                        .any(|c| matches!(&**c, "empty" | "wrong_item"))
                                },
                                |x| x.empty_or_wrong,
                            ),
                            weight_grams: receipt.and_then(|x| x.weight_grams),
                        });
                    }
                }
                OrderEv::RefundRequested {
                    refund_id,
                    amount_minor,
                    currency,
                    reason,
                    channel,
                    employee_id,
                } => refunds.push(RefundView {
                    refund_id: refund_id.to_string(),
                    requested: ts_of(*ts),
                    amount_minor: *amount_minor,
                    currency: currency.to_string(),
                    reason: reason.to_string(),
                    channel: channel.to_string(),
                    raised_by: employee_id.as_ref().map(ToString::to_string),
                    decision: core
                        .index
                        .decisions
                        .get(&(Point::Refund, refund_id.clone()))
                        .map(DecisionView::from),
                    issued: None,
                }),
                OrderEv::RefundIssued {
                    refund_id,
                    amount_minor,
                    currency,
                    override_,
                    employee_id,
                } => {
                    if let Some(r) = refunds.iter_mut().find(|r| r.refund_id == *refund_id) {
                        r.issued = Some(RefundIssuedView {
                            issued: ts_of(*ts),
                            amount_minor: *amount_minor,
                            currency: currency.to_string(),
                            override_: *override_,
                            employee_id: employee_id.as_ref().map(ToString::to_string),
                        });
                    }
                }
                OrderEv::Chargeback {
                    amount_minor,
                    currency,
                } => chargebacks.push(ChargebackView {
                    ts: ts_of(*ts),
                    amount_minor: *amount_minor,
                    currency: currency.to_string(),
                }),
                OrderEv::Contact {
                    contact_id,
                    employee_id,
                    channel,
                    identity_verified,
                } => support_contacts.push(ContactView {
                    ts: ts_of(*ts),
                    contact_id: contact_id.to_string(),
                    employee_id: employee_id.to_string(),
                    channel: channel.to_string(),
                    identity_verified: *identity_verified,
                }),
                OrderEv::EmployeeAction {
                    employee_id,
                    action,
                } => employee_actions.push(EmployeeActionView {
                    ts: ts_of(*ts),
                    employee_id: employee_id.to_string(),
                    action: action.to_string(),
                }),
            }
        }
        // Alerts naming the order (latest emission of each), the posts they found it in,
        // and (unmasked) the accounts whose PII they show.
        let mut accounts = vec![o.account_id.to_string()];
        let mut alerts = Vec::new();
        let mut intel_posts = Vec::new();
        for (first, latest) in alerts_about(core, id) {
            let view = alert_view(&latest.alert, open);
            if open && view.entities.iter().any(|e| pii_entity(&e.kind)) {
                for e in &view.entities {
                    if e.kind == "account" && !accounts.contains(&e.id) {
                        accounts.push(e.id.clone());
                    }
                }
            }
            for e in view.entities.iter().filter(|e| e.kind == "post") {
                intel_posts.push(IntelPostView {
                    post_id: e.id.clone(),
                    alert_id: view.alert_id.clone(),
                    detected: first.alert.ts.to_string(),
                    detail: view
                        .reasons
                        .first()
                        .map(|r| r.detail.clone())
                        .unwrap_or_default(),
                });
            }
            alerts.push((latest.alert.alert_id.to_string(), view));
        }
        let graph = &d.graph;
        let timeline = order_events(core, id, o)
            .into_iter()
            .map(|e| TimelineEntryView {
                ts: ts_of(e.ts_ms),
                kind: e.kind.to_string(),
                ids: e.ids,
                amount_minor: e.amount_minor,
                currency: e.currency.as_ref().map(ToString::to_string),
                detail: e.detail,
            })
            .collect();
        let view = OrderView {
            order_id: id.to_string(),
            masked: !open,
            account_id: o.account_id.to_string(),
            placed: ts_of(o.placed_ms),
            amount_minor: o.amount_minor,
            currency: o.currency.to_string(),
            items: o
                .items
                .iter()
                .map(|i| ItemView {
                    sku: i.sku.to_string(),
                    category: i.category.to_string(),
                    quantity: i.quantity,
                    unit_price_minor: i.unit_price_minor,
                    seller_id: i.seller_id.as_ref().map(ToString::to_string),
                })
                .collect(),
            shipping_address: address_view(addr, open),
            device_id: o.device.and_then(|n| graph.id(n)).map(ToString::to_string),
            ip: o.ip.and_then(|n| graph.id(n)).map(ToString::to_string),
            payment_fingerprint: o.payment.as_ref().map(ToString::to_string),
            delivery,
            returns,
            refunds,
            chargebacks,
            support_contacts,
            employee_actions,
            intel_posts,
            // Filled below with the cases, which need the store.
            alerts: Vec::new(),
            cases: Vec::new(),
            timeline,
        };
        (view, alerts, accounts)
    };
    let ids: Vec<&str> = alerts.iter().map(|(raw, _)| raw.as_str()).collect();
    if !ids.is_empty() {
        let cases = core
            .cases
            .list_cases(&CaseFilter::default())
            .map_err(cases_err)?;
        view.cases = cases
            .iter()
            .filter(|c| c.alert_ids.iter().any(|a| ids.contains(&a.as_str())))
            .map(CaseView::from)
            .collect();
    }
    view.alerts = alerts.into_iter().map(|(_, v)| v).collect();
    if let Some(j) = just {
        core.record_access(&audit_entry(caller, j, ORDER_RESOURCE, accounts))
            .map_err(core_err)?;
    }
    Ok(view)
}

/// An order: its lines, shipping (PII masked unless justified), delivery, returns with
/// their receipts, refunds with Clawback's decisions, chargebacks, the support contacts
/// and employee actions on it, the gang posts that showed it, the alerts naming it and the
/// cases holding them, and its timeline.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "entities",
    params(("id" = String, Path, description = "order_id"),
        ("X-Justification" = Option<String>, Header, description = "Case or ticket id: investigators and admins then see the shipping address and PII in the alerts unmasked, and the read is audited and fed to the insider detectors as a data_access event (resource order_history)", min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn get_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<OrderView>, ApiError> {
    let caller = authorize(&state, &headers, ANY).await?;
    let just = justification(&caller, &headers)?;
    let Path(id) = path.map_err(path_err)?;
    with_core(&state, move |core| {
        order_view(core, &caller, just.as_deref(), &id).map(axum::Json)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_is_subject_money_then_detail() {
        let e = OrderEvent {
            ts_ms: 0,
            kind: "refund_issued",
            subject: Some(("refund", "r-1".into())),
            ids: vec!["r-1".into()],
            amount_minor: Some(1250),
            currency: Some(Name::from("USD")),
            detail: "override by emp-1".into(),
            employee: Some(Name::from("emp-1")),
        };
        assert_eq!(e.sentence(), "refund r-1: 12.50 USD, override by emp-1");
        let bare = OrderEvent {
            subject: None,
            amount_minor: None,
            detail: "by UPS".into(),
            ..e.clone()
        };
        assert_eq!(bare.sentence(), "by UPS");
        let money_only = OrderEvent {
            subject: None,
            detail: String::new(),
            ..e
        };
        assert_eq!(money_only.sentence(), "12.50 USD");
    }
}
