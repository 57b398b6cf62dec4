//! The console's entity pages: an account, an employee, an order, and any other entity's
//! graph; the evidence export from a case page. Each shows a timeline and the entity graph
//! drawn from the same walk as `GET /v1/graph` ([`super::graph::neighbourhood`]). Rows that
//! lead somewhere carry `data-href`, so `j`/`k`/`Enter` move through them as in the queue.

use super::console::{Fail, ok, path_err, query_err, session, who};
use super::graph::{neighbourhood, node_key, node_label, parse_node_kind, picture};
use super::orders::{money, order_events, order_view};
use super::{
    ANY, AlertView, AppState, Caller, account_view, alert_view, audit_entry, core_err, justify,
    with_core,
};
use crate::detail::NodeKind;
use crate::error::{ApiError, ErrorCode};
use crate::html::{self, esc, url};
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use clawback_cases::{CaseFilter, Role};
use clawback_events::Id;
use serde::Deserialize;
use std::fmt::Write as _;

const WORK: &[Role] = &[Role::Investigator, Role::Admin];
/// Nodes drawn on an entity page.
const PAGE_NODES: usize = 80;
/// Rows of an entity page's timeline.
const TIMELINE_ROWS: usize = 300;

#[derive(Debug, Deserialize)]
pub(super) struct JustQuery {
    justification: Option<String>,
}

fn ts_of(ms: i64) -> String {
    clawback_events::Timestamp::from_unix_ms(ms).raw.to_string()
}

/// Where the console shows an entity, when it has a page.
pub(super) fn href(kind: NodeKind, id: &str) -> String {
    match kind {
        NodeKind::Account => format!("/console/accounts/{}", url(id)),
        NodeKind::Employee => format!("/console/employees/{}", url(id)),
        NodeKind::Order => format!("/console/orders/{}", url(id)),
        k => format!("/console/graph/{}/{}", k.as_str(), url(id)),
    }
}

/// The graph section of a page: legend, picture, and the entities next to the root as
/// links (PII ones only when shown).
fn graph_section(core: &crate::Core, root: (NodeKind, Id), depth: u32, open: bool) -> String {
    let n = neighbourhood(core, &[root], depth, PAGE_NODES);
    let (svg, left_out) = picture(&n, open, PAGE_NODES);
    let mut b = String::from("<h2>Entity graph</h2>");
    b.push_str(&html::legend());
    b.push_str(&svg);
    if left_out > 0 || n.truncated {
        let _ = write!(
            b,
            "<p class=\"mut\">Only the first {PAGE_NODES} entities within {depth} hops are drawn.</p>"
        );
    }
    let mut near = String::new();
    for (k, id, d, deg) in n.nodes.iter().skip(1).filter(|x| x.2 == 1) {
        let label = node_label(*k, id, open);
        if k.is_pii() && !open {
            let _ = write!(
                near,
                "<span class=\"tag\">{} {}</span> ",
                k.as_str(),
                esc(&label)
            );
        } else {
            let _ = write!(
                near,
                "<a class=\"tag\" href=\"{}\">{} {}</a><span class=\"mut\">({deg})</span> ",
                esc(&href(*k, id)),
                k.as_str(),
                esc(&label)
            );
        }
        let _ = d;
    }
    if !near.is_empty() {
        let _ = write!(b, "<p>Linked: {near}</p>");
    }
    b
}

/// Alerts naming an id, with the case holding each.
fn alerts_section(core: &mut crate::Core, id: &str) -> Result<String, ApiError> {
    let cases = core
        .cases
        .list_cases(&CaseFilter::default())
        .map_err(super::cases::cases_err)?;
    let alerts: Vec<AlertView> = core
        .index
        .alerts_naming(id)
        .into_iter()
        .map(|a| alert_view(a, false))
        .collect();
    Ok(alerts_table("Alerts naming it", &alerts, |alert_id| {
        cases
            .iter()
            .find(|c| c.alert_ids.iter().any(|a| a == alert_id))
            .map(|c| c.case_id.clone())
    }))
}

/// A table of alerts; `case_of` names the case holding an alert, when known.
fn alerts_table(
    title: &str,
    alerts: &[AlertView],
    case_of: impl Fn(&str) -> Option<String>,
) -> String {
    let mut b = format!(
        "<h2>{} <span class=\"mut\">({})</span></h2>",
        esc(title),
        alerts.len()
    );
    if alerts.is_empty() {
        b.push_str("<p class=\"mut\">None.</p>");
        return b;
    }
    b.push_str("<table id=\"entity-alerts\"><thead><tr><th>alert</th><th>kind</th><th>score</th><th>case</th><th>reasons</th></tr></thead><tbody>");
    for a in alerts {
        let reasons = html::reasons_list(
            a.reasons
                .iter()
                .map(|r| (r.code.as_str(), r.detail.as_str())),
        );
        let (row, cell) = match case_of(&a.alert_id) {
            Some(c) => {
                let h = format!("/console/cases/{}", url(&c));
                (
                    format!(" data-href=\"{}\"", esc(&h)),
                    format!("<a href=\"{}\">{}</a>", esc(&h), esc(&c)),
                )
            }
            None => (String::new(), "—".into()),
        };
        let _ = write!(
            b,
            "<tr{row}><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td><td>{cell}</td><td>{reasons}</td></tr>",
            esc(&a.alert_id),
            esc(&a.kind),
            a.score
        );
    }
    b.push_str("</tbody></table>");
    b
}

/// A timeline table: `(ts_ms, what, detail, link)`, newest first.
fn timeline_table(mut rows: Vec<(i64, String, String, Option<String>)>, note: &str) -> String {
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total = rows.len();
    rows.truncate(TIMELINE_ROWS);
    let mut b = format!("<h2>Timeline <span class=\"mut\">({total} events{note})</span></h2>");
    b.push_str("<table id=\"timeline\"><thead><tr><th>event time</th><th>what</th><th>detail</th></tr></thead><tbody>");
    for (ts, what, detail, link) in &rows {
        let (attr, what) = match link {
            Some(h) => (
                format!(" data-href=\"{}\"", esc(h)),
                format!("<a href=\"{}\">{}</a>", esc(h), esc(what)),
            ),
            None => (String::new(), esc(what)),
        };
        let _ = write!(
            b,
            "<tr{attr}><td class=\"mut\">{}</td><td>{what}</td><td>{}</td></tr>",
            esc(&ts_of(*ts)),
            esc(detail)
        );
    }
    if rows.is_empty() {
        b.push_str("<tr><td colspan=\"3\" class=\"mut\">Nothing yet.</td></tr>");
    }
    if total > rows.len() {
        let _ = write!(
            b,
            "<tr><td colspan=\"3\" class=\"mut\">{} older events not shown.</td></tr>",
            total - rows.len()
        );
    }
    b.push_str("</tbody></table>");
    b
}

fn justified(caller: &Caller, q: &JustQuery) -> Result<Option<String>, ApiError> {
    match q.justification.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => justify(caller, t),
    }
}

/// The form that asks for a justification to see PII (not for viewers).
fn justify_form(caller: &Caller, base: &str, shown: bool) -> String {
    if shown {
        return format!(
            "<p class=\"err\">PII shown: this read was written to the audit log. <a href=\"{}\">Mask again</a></p>",
            esc(base)
        );
    }
    if caller.role == Role::Viewer {
        return "<p class=\"mut\">PII is masked.</p>".into();
    }
    format!(
        "<form method=\"get\" action=\"{}\"><label>Justification to see PII (audited) \
         <input name=\"justification\" size=\"20\" maxlength=\"128\" accesskey=\"u\"></label> <button type=\"submit\">Show PII</button></form>",
        esc(base)
    )
}

// ---------------------------------------------------------------- account

async fn account_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<JustQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Path(id) = path.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let just = justified(&caller, &q)?;
    let c2 = caller.clone();
    let body = with_core(&state, move |core| {
        let view = account_view(core, &c2, just.as_deref(), &id)?;
        let open = just.is_some();
        let base = format!("/console/accounts/{}", url(&id));
        let mut b = format!("<h1>Account {}</h1>", esc(&id));
        b.push_str(&justify_form(&c2, &base, open));
        let addr = view
            .address
            .as_ref()
            .map(|a| format!("{}, {} {}, {}", a.line1, a.postal_code, a.city, a.country))
            .unwrap_or_default();
        let _ = write!(
            b,
            "<table id=\"profile\"><tbody>\
             <tr><th>email</th><td>{}</td><th>phone</th><td>{}</td></tr>\
             <tr><th>name</th><td>{}</td><th>address</th><td>{}</td></tr>\
             <tr><th>created</th><td>{}</td><th>status</th><td>{}</td></tr>\
             <tr><th>orders</th><td class=\"num\">{} ({:.2} USD)</td><th>refunds asked</th><td class=\"num\">{} ({:.2} USD)</td></tr>\
             <tr><th>not received claims</th><td class=\"num\">{}</td><th>chargebacks</th><td class=\"num\">{}</td></tr>\
             <tr><th>signup decision</th><td colspan=\"3\">{}</td></tr>\
             </tbody></table>",
            esc(view.email.as_deref().unwrap_or("—")),
            esc(view.phone.as_deref().unwrap_or("—")),
            esc(view.name.as_deref().unwrap_or("—")),
            esc(&addr),
            esc(view.created.as_deref().unwrap_or("—")),
            if view.banned {
                "<b>banned (closed by the retailer)</b>"
            } else if view.closed {
                "closed"
            } else {
                "open"
            },
            view.orders,
            view.order_value_usd_cents as f64 / 100.0,
            view.refunds_requested,
            view.refund_value_usd_cents as f64 / 100.0,
            view.claims_not_received,
            view.chargebacks,
            view.signup_decision
                .as_ref()
                .map(|d| {
                    let codes: Vec<String> = d
                        .reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.code, r.detail))
                        .collect();
                    esc(&format!("{} (score {:.3}) {}", d.decision, d.score, codes.join("; ")))
                })
                .unwrap_or_else(|| "—".into()),
        );
        b.push_str(&alerts_section(core, &id)?);
        let key = Id::from(id.as_str());
        b.push_str(&graph_section(core, (NodeKind::Account, key.clone()), 2, open));
        if let Some(j) = &just {
            let n = neighbourhood(core, &[(NodeKind::Account, key.clone())], 2, PAGE_NODES);
            if n.nodes.iter().any(|x| x.0.is_pii()) {
                let accounts: Vec<String> = n
                    .nodes
                    .iter()
                    .filter(|x| x.0 == NodeKind::Account)
                    .map(|x| x.1.to_string())
                    .collect();
                core.record_access(&audit_entry(&c2, j, "graph", accounts))
                    .map_err(core_err)?;
            }
        }
        let d = &core.index.detail;
        let mut rows: Vec<(i64, String, String, Option<String>)> = Vec::new();
        let mut note = String::new();
        if let Some(t) = d.accounts.get(&key) {
            for e in &t.entries {
                rows.push((e.ts_ms, e.what.to_string(), e.detail.clone(), None));
            }
            note = format!("; {} logins, {} failed, counted not listed", t.logins, t.failed_logins);
        }
        for (oid, o) in d.orders_of(&key) {
            let link = Some(format!("/console/orders/{}", url(oid)));
            for e in order_events(core, oid, o) {
                rows.push((e.ts_ms, e.kind.to_string(), format!("order {oid}: {}", e.sentence()), link.clone()));
            }
        }
        b.push_str(&timeline_table(rows, &note));
        Ok(b)
    })
    .await?;
    Ok(ok(html::page("Account", Some(&who(&caller, &csrf)), &body)))
}

// ---------------------------------------------------------------- employee

async fn employee_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Path(id) = path.map_err(path_err)?;
    let body = with_core(&state, move |core| {
        let key = Id::from(id.as_str());
        let activity = core.index.employees.get(&key).cloned();
        let in_graph = core.index.detail.graph.contains(NodeKind::Employee, &id);
        let Some(e) = activity.or_else(|| in_graph.then(Default::default)) else {
            return Err(ApiError::new(
                ErrorCode::EmployeeNotFound,
                format!("no event named employee {id:?}"),
            ));
        };
        let mut b = format!("<h1>Employee {}</h1>", esc(&id));
        let mut actions = String::new();
        for (k, v) in &e.actions {
            let _ = write!(actions, "{} {v}, ", esc(k));
        }
        let _ = write!(
            b,
            "<table id=\"profile\"><tbody>\
             <tr><th>logins</th><td class=\"num\">{} ({} failed)</td><th>first / last seen</th><td>{} / {}</td></tr>\
             <tr><th>support contacts</th><td class=\"num\">{} ({} unverified)</td><th>returns received</th><td class=\"num\">{} ({} keyed by hand)</td></tr>\
             <tr><th>refunds raised</th><td class=\"num\">{} ({} overrides)</td><th>data accesses</th><td class=\"num\">{} ({} without ticket, {} records, {} exports)</td></tr>\
             <tr><th>actions</th><td colspan=\"3\">{}</td></tr></tbody></table>",
            e.logins,
            e.failed_logins,
            esc(e.first_seen.as_deref().unwrap_or("—")),
            esc(e.last_seen.as_deref().unwrap_or("—")),
            e.support_contacts,
            e.unverified_contacts,
            e.returns_received,
            e.receipts_keyed_by_hand,
            e.refunds_raised,
            e.refund_overrides,
            e.data_accesses,
            e.data_accesses_without_ticket,
            e.records_viewed,
            e.exports,
            actions.trim_end_matches(", "),
        );
        b.push_str(&alerts_section(core, &id)?);
        b.push_str(&graph_section(core, (NodeKind::Employee, key.clone()), 1, false));
        let mut rows = Vec::new();
        let mut note = String::new();
        if let Some(t) = core.index.detail.employees.get(&key) {
            for e in &t.entries {
                rows.push((e.ts_ms, e.what.to_string(), e.detail.clone(), None));
            }
            if t.dropped > 0 {
                note = format!("; the latest {} kept", t.entries.len());
            }
        }
        b.push_str(&timeline_table(rows, &note));
        Ok(b)
    })
    .await?;
    Ok(ok(html::page(
        "Employee",
        Some(&who(&caller, &csrf)),
        &body,
    )))
}

// ---------------------------------------------------------------- order

async fn order_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<JustQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Path(id) = path.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let just = justified(&caller, &q)?;
    let c2 = caller.clone();
    let body = with_core(&state, move |core| {
        // The API's read model: masking and audit are `GET /v1/orders/{id}`'s.
        let v = order_view(core, &c2, just.as_deref(), &id)?;
        let base = format!("/console/orders/{}", url(&id));
        let mut b = format!("<h1>Order {}</h1>", esc(&id));
        b.push_str(&justify_form(&c2, &base, !v.masked));
        let a = &v.shipping_address;
        let addr: Vec<&str> = [
            Some(a.line1.as_str()),
            a.line2.as_deref(),
            Some(a.postal_code.as_str()),
            Some(a.city.as_str()),
            a.region.as_deref(),
            Some(a.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let link = |kind: NodeKind, id: &Option<String>| {
            id.as_ref().map_or_else(
                || "—".to_string(),
                |i| format!("<a href=\"{}\">{}</a>", esc(&href(kind, i)), esc(i)),
            )
        };
        let _ = write!(
            b,
            "<table id=\"profile\"><tbody>\
             <tr><th>account</th><td><a href=\"{}\" accesskey=\"a\">{}</a></td><th>placed</th><td>{}</td></tr>\
             <tr><th>amount</th><td class=\"num\"><b>{}</b></td><th>shipped to</th><td id=\"ship-to\">{}</td></tr>\
             <tr><th>payment</th><td>{}</td><th>device / IP</th><td>{} / {}</td></tr>\
             </tbody></table>",
            esc(&href(NodeKind::Account, &v.account_id)),
            esc(&v.account_id),
            esc(&v.placed),
            esc(&money(v.amount_minor, &v.currency)),
            esc(&addr.join(", ")),
            link(NodeKind::Payment, &v.payment_fingerprint),
            link(NodeKind::Device, &v.device_id),
            link(NodeKind::Ip, &v.ip),
        );
        b.push_str("<h2>Items</h2><table id=\"items\"><thead><tr><th>sku</th><th>category</th><th>quantity</th><th>unit price</th><th>seller</th></tr></thead><tbody>");
        for i in &v.items {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&i.sku),
                esc(&i.category),
                i.quantity,
                esc(&money(i.unit_price_minor, &v.currency)),
                esc(i.seller_id.as_deref().unwrap_or("retailer"))
            );
        }
        b.push_str("</tbody></table>");
        let yes = |x: bool| if x { "yes" } else { "no" };
        if let Some(del) = &v.delivery {
            let _ = write!(
                b,
                "<h2>Delivery</h2><p id=\"delivery\">delivered {} by {}{} · weight {} · proof photo {} · GPS match {} · signature {}</p>",
                esc(&del.delivered),
                esc(del.carrier.as_deref().unwrap_or("?")),
                del.tracking_number
                    .as_ref()
                    .map(|t| format!(" (tracking {})", esc(t)))
                    .unwrap_or_default(),
                del.weight_grams.map_or_else(|| "—".into(), |w| format!("{w} g")),
                yes(del.proof_photo),
                yes(del.gps_match),
                yes(del.signature),
            );
        }
        if !v.returns.is_empty() {
            b.push_str("<h2>Returns</h2><table id=\"returns\"><thead><tr><th>return</th><th>requested</th><th>label</th><th>carrier scanned</th><th>at warehouse</th><th>received</th></tr></thead><tbody>");
            for r in &v.returns {
                let label = r
                    .label
                    .as_ref()
                    .map(|l| {
                        format!(
                            "{} by {}{}",
                            l.created,
                            l.carrier,
                            l.tracking_number
                                .as_ref()
                                .map(|t| format!(" ({t})"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "—".into());
                let received = r
                    .receipt
                    .as_ref()
                    .map(|x| {
                        format!(
                            "{} by {} ({}): {}{}",
                            x.received,
                            x.employee_id,
                            crate::detail::scan_words(x.barcode_scanned),
                            x.conditions.join(", "),
                            if x.empty_or_wrong { " — EMPTY OR WRONG ITEM" } else { "" }
                        )
                    })
                    .unwrap_or_else(|| "—".into());
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}: {} units, {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.return_id),
                    esc(&r.requested),
                    r.units,
                    esc(&r.reason),
                    esc(&label),
                    yes(r.carrier_scanned),
                    yes(r.delivered_to_warehouse),
                    esc(&received)
                );
            }
            b.push_str("</tbody></table>");
        }
        if !v.refunds.is_empty() {
            b.push_str("<h2>Refunds</h2><table id=\"refunds\"><thead><tr><th>refund</th><th>requested</th><th>amount</th><th>decision</th><th>reasons</th><th>issued</th></tr></thead><tbody>");
            for r in &v.refunds {
                let (decision, reasons) = match &r.decision {
                    Some(d) => (
                        format!("<b>{}</b> <span class=\"mut\">score {:.3}</span>", esc(&d.decision), d.score),
                        html::reasons_list(d.reasons.iter().map(|x| (x.code.as_str(), x.detail.as_str()))),
                    ),
                    None => ("—".into(), String::new()),
                };
                let issued = r
                    .issued
                    .as_ref()
                    .map(|i| {
                        format!(
                            "{} {}{}{}",
                            i.issued,
                            money(i.amount_minor, &i.currency),
                            if i.override_ { ", OVERRIDE" } else { "" },
                            i.employee_id.as_ref().map(|e| format!(" by {e}")).unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "—".into());
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}: reason {}, via {}{}</td><td class=\"num\">{}</td><td>{decision}</td><td>{reasons}</td><td>{}</td></tr>",
                    esc(&r.refund_id),
                    esc(&r.requested),
                    esc(&r.reason),
                    esc(&r.channel),
                    r.raised_by.as_ref().map(|e| format!(", raised by {}", esc(e))).unwrap_or_default(),
                    esc(&money(r.amount_minor, &r.currency)),
                    esc(&issued)
                );
            }
            b.push_str("</tbody></table>");
        }
        if !v.intel_posts.is_empty() {
            b.push_str("<h2>Gang posts showing it</h2><table id=\"intel\"><thead><tr><th>post</th><th>alert</th><th>detected</th><th>detail</th></tr></thead><tbody>");
            for p in &v.intel_posts {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&p.post_id),
                    esc(&p.alert_id),
                    esc(&p.detected),
                    esc(&p.detail)
                );
            }
            b.push_str("</tbody></table>");
        }
        // The timeline: the same description as the API's `timeline` and the export's.
        let mut rows = Vec::new();
        if let Some(o) = core.index.detail.orders.get(id.as_str()) {
            for e in order_events(core, &id, o) {
                let link = e.employee.as_ref().map(|x| href(NodeKind::Employee, x));
                rows.push((e.ts_ms, e.kind.to_string(), e.sentence(), link));
            }
        }
        b.push_str(&timeline_table(rows, ""));
        b.push_str(&alerts_table(
            "Alerts and intel mentions naming it",
            &v.alerts,
            |_| None,
        ));
        if !v.cases.is_empty() {
            b.push_str("<h2>Cases holding them</h2><table id=\"order-cases\"><thead><tr><th>case</th><th>kind</th><th>status</th><th>title</th></tr></thead><tbody>");
            for c in &v.cases {
                let h = format!("/console/cases/{}", url(&c.case_id));
                let _ = write!(
                    b,
                    "<tr data-href=\"{h}\"><td><a href=\"{h}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&c.case_id),
                    esc(&c.kind),
                    esc(&c.status),
                    esc(&c.title),
                    h = esc(&h),
                );
            }
            b.push_str("</tbody></table>");
        }
        b.push_str(&graph_section(core, (NodeKind::Order, Id::from(id.as_str())), 2, false));
        Ok(b)
    })
    .await?;
    Ok(ok(html::page("Order", Some(&who(&caller, &csrf)), &body)))
}

// ---------------------------------------------------------------- any entity's graph

async fn graph_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Path((t, id)) = path.map_err(path_err)?;
    let kind = parse_node_kind(&t)?;
    let body = with_core(&state, move |core| {
        let key = node_key(kind, &id);
        if !super::graph::known(core, kind, &key) {
            return Err(ApiError::new(
                ErrorCode::EntityNotFound,
                format!("no event linked {} {id:?} to anything", kind.as_str()),
            ));
        }
        let mut b = format!(
            "<h1>{} {}</h1>",
            esc(kind.as_str()),
            esc(&node_label(kind, &key, false))
        );
        b.push_str(&graph_section(core, (kind, key.clone()), 2, false));
        b.push_str(&alerts_section(core, &key)?);
        Ok(b)
    })
    .await?;
    Ok(ok(html::page("Graph", Some(&who(&caller, &csrf)), &body)))
}

// ---------------------------------------------------------------- export

async fn export_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<JustQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, _) = session(&state, &headers, WORK).await?;
    let Path(id) = path.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let Some(just) = justified(&caller, &q)? else {
        return Err(Fail::Api(ApiError::new(
            ErrorCode::InvalidJustification,
            "an evidence export shows PII: give a justification (the case, ticket or request it is for)",
        )));
    };
    let (case_id, bytes) = with_core(&state, move |core| {
        super::export::export(core, &caller, &just, &id)
    })
    .await?;
    Ok(super::export::tar_response(&case_id, bytes))
}

/// Where a console search leads (see [`super::console`]'s search).
pub(super) fn search_target(core: &mut crate::Core, q: &str) -> Result<Option<String>, ApiError> {
    if core
        .cases
        .get_case(q)
        .map_err(super::cases::cases_err)?
        .is_some()
    {
        return Ok(Some(format!("/console/cases/{}", url(q))));
    }
    let d = &core.index.detail;
    let key = Id::from(q);
    if d.orders.contains_key(&key) {
        return Ok(Some(href(NodeKind::Order, q)));
    }
    if core.engine().facts().accounts.contains_key(&key) || core.index.accounts.contains_key(&key) {
        return Ok(Some(href(NodeKind::Account, q)));
    }
    if core.index.employees.contains_key(&key) || d.graph.contains(NodeKind::Employee, q) {
        return Ok(Some(href(NodeKind::Employee, q)));
    }
    for kind in [
        NodeKind::Device,
        NodeKind::Ip,
        NodeKind::Payment,
        NodeKind::Seller,
        NodeKind::Phone,
        NodeKind::Email,
    ] {
        let k = node_key(kind, q);
        if d.graph.contains(kind, &k) {
            return Ok(Some(href(kind, &k)));
        }
    }
    let naming: Vec<String> = core
        .index
        .alerts_naming(q)
        .into_iter()
        .map(|a| a.alert_id.to_string())
        .chain(
            core.index
                .alerts
                .iter()
                .filter(|a| a.alert.alert_id == q)
                .map(|a| a.alert.alert_id.to_string())
                .take(1),
        )
        .collect();
    if !naming.is_empty() {
        let cases = core
            .cases
            .list_cases(&CaseFilter::default())
            .map_err(super::cases::cases_err)?;
        if let Some(c) = cases
            .iter()
            .find(|c| c.alert_ids.iter().any(|a| naming.contains(a)))
        {
            return Ok(Some(format!("/console/cases/{}", url(&c.case_id))));
        }
    }
    Ok(None)
}

/// The entity pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/accounts/{id}", get(account_page))
        .route("/console/employees/{id}", get(employee_page))
        .route("/console/orders/{id}", get(order_page))
        .route("/console/graph/{type}/{id}", get(graph_page))
        .route("/console/cases/{id}/export", get(export_page))
}
