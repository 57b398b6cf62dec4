//! `GET /v1/cases/{id}/export`: a case's evidence bundle, fit to hand to law enforcement.
//!
//! A POSIX tar (readable everywhere, `tar -xf`, 7-Zip, Windows' own `tar`) of one folder
//! `case-N/` holding:
//! - `case.json`: the case, its alerts (latest emission of each, unmasked), notes, actions,
//!   status history, and the audit records of reads justified by this case (the export's
//!   own record included);
//! - `entities.csv`: every entity the alerts name, with what the events say of accounts;
//! - `timeline.csv`: event time, type, ids, amounts and a detail, oldest first: the alerts,
//!   and the named accounts' and employees' own events and orders;
//! - `manifest.json`: the SHA-256 and size of every other file and the generation metadata
//!   (case, who exported it, justification, the audit record's `seq` and `hash`).
//!
//! The export is an unmasked read: investigators and admins only, with `X-Justification`,
//! written to the audit log first and fed to the insider detectors as a `data_access` event
//! with `export: true`.

use super::{
    AlertView, AppState, AuditRecordView, Caller, alert_view, audit_entry, authorize, core_err,
    entity_kind, justification, path_err, with_core,
};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use clawback_cases::Role;
use clawback_events::Id;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

const WORK: &[Role] = &[Role::Investigator, Role::Admin];

/// The audit `resource` of an export (its `data_access` event carries `export: true`).
pub const EXPORT_RESOURCE: &str = "case_export";

/// One CSV field, quoted when it must be (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_row(out: &mut String, fields: &[&str]) {
    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

fn ts_of(ms: i64) -> String {
    clawback_events::Timestamp::from_unix_ms(ms).raw.to_string()
}

fn usd(cents: i64) -> String {
    format!("{:.2}", cents as f64 / 100.0)
}

/// The bundle's files, in order, before the manifest.
struct Files(Vec<(String, Vec<u8>)>);

fn tar_bytes(dir: &str, files: &[(String, Vec<u8>)], mtime: u64) -> Result<Vec<u8>, ApiError> {
    let fail = |e: std::io::Error| ApiError::internal(format!("writing the evidence tar: {e}"));
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_path(format!("{dir}/{name}")).map_err(fail)?;
        h.set_cksum();
        b.append(&h, data.as_slice()).map_err(fail)?;
    }
    b.into_inner().map_err(fail)
}

/// Builds the bundle (see the module documentation). `record` is the export's audit record.
fn bundle(
    core: &mut crate::Core,
    case_id: &str,
    record: &clawback_cases::AuditRecord,
) -> Result<(String, Vec<u8>), ApiError> {
    let Some(d) = core
        .cases
        .get_case(case_id)
        .map_err(super::cases::cases_err)?
    else {
        return Err(ApiError::new(
            ErrorCode::CaseNotFound,
            format!("no case {case_id:?}"),
        ));
    };
    // The audit records of reads justified by this case, and the export's own.
    let mut audit: Vec<AuditRecordView> = Vec::new();
    let mut after = 0;
    loop {
        let page = core
            .cases
            .audit_page(after, 1000)
            .map_err(super::cases::cases_err)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        audit.extend(
            page.into_iter()
                .filter(|r| r.entry.justification == case_id || r.seq == record.seq)
                .map(AuditRecordView::from),
        );
    }
    let core = &*core;
    // Alerts: the latest emission of each.
    let mut latest = Vec::new();
    for aid in &d.case.alert_ids {
        if let Some(a) = core
            .index
            .alerts
            .iter()
            .rev()
            .find(|s| s.alert.alert_id == aid.as_str())
        {
            latest.push(a.alert.clone());
        }
    }
    let alerts: Vec<AlertView> = latest.iter().map(|a| alert_view(a, true)).collect();
    let case_json = serde_json::json!({
        "case": super::cases::CaseView::from(&d.case),
        "alerts": alerts,
        "notes": d.notes,
        "actions": d.actions,
        "history": d.history,
        "audit": audit,
    });
    let case_json = serde_json::to_vec_pretty(&case_json)
        .map_err(|e| ApiError::internal(format!("encoding case.json: {e}")))?;

    // Entities named by the alerts.
    let mut named: BTreeSet<(String, String)> = BTreeSet::new();
    for a in &latest {
        for e in &a.entities {
            named.insert((entity_kind(e), e.id.to_string()));
        }
    }
    let facts = &core.engine().facts().accounts;
    let mut entities = String::new();
    csv_row(
        &mut entities,
        &[
            "type",
            "id",
            "email",
            "phone",
            "name",
            "address",
            "created",
            "closed",
            "banned",
            "orders",
            "order_value_usd",
            "refunds_requested",
            "refund_value_usd",
            "chargebacks",
            "alerts",
        ],
    );
    for (kind, id) in &named {
        let alerts_naming: Vec<String> = latest
            .iter()
            .filter(|a| a.entities.iter().any(|e| e.id == id.as_str()))
            .map(|a| a.alert_id.to_string())
            .collect();
        let alerts_naming = alerts_naming.join(";");
        if kind == "account" {
            let key = Id::from(id.as_str());
            let f = facts.get(&key).cloned().unwrap_or_default();
            let p = core.index.accounts.get(&key).cloned().unwrap_or_default();
            let address = p
                .address
                .as_ref()
                .map(|a| {
                    let mut parts = vec![a.line1.clone()];
                    parts.extend(a.line2.clone());
                    parts.push(a.city.clone());
                    parts.extend(a.region.clone());
                    parts.push(a.postal_code.clone());
                    parts.push(a.country.to_string());
                    parts.join(", ")
                })
                .unwrap_or_default();
            csv_row(
                &mut entities,
                &[
                    kind,
                    id,
                    p.email.as_deref().unwrap_or(""),
                    p.phone.as_deref().unwrap_or(""),
                    p.name.as_deref().unwrap_or(""),
                    &address,
                    &f.created_ms.map(ts_of).unwrap_or_default(),
                    if f.closed { "true" } else { "false" },
                    if f.banned { "true" } else { "false" },
                    &f.orders.to_string(),
                    &usd(f.order_value_usd_cents),
                    &f.refunds_requested.to_string(),
                    &usd(f.refund_value_usd_cents),
                    &f.chargebacks.to_string(),
                    &alerts_naming,
                ],
            );
        } else {
            csv_row(
                &mut entities,
                &[
                    kind,
                    id,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    &alerts_naming,
                ],
            );
        }
    }

    // The timeline.
    type Row = (i64, String, String, String, String, String, String, String);
    let mut rows: Vec<Row> = Vec::new();
    for a in &latest {
        let ts = clawback_events::Timestamp::parse(&a.ts).map_or(0, |t| t.unix_ms);
        let ids: Vec<&str> = a.entities.iter().map(|e| e.id.as_str()).collect();
        let first = a
            .reasons
            .first()
            .map(|r| r.detail.clone())
            .unwrap_or_default();
        rows.push((
            ts,
            format!("alert:{}", a.kind),
            String::new(),
            String::new(),
            ids.join(";"),
            String::new(),
            String::new(),
            format!("{} (score {:.3}): {}", a.alert_id, a.score, first),
        ));
    }
    let detail = &core.index.detail;
    for (kind, id) in &named {
        let key = Id::from(id.as_str());
        let (acct, emp) = match kind.as_str() {
            "account" => (id.clone(), String::new()),
            "employee" => (String::new(), id.clone()),
            _ => continue,
        };
        let own = if acct.is_empty() {
            detail.employees.get(&key)
        } else {
            detail.accounts.get(&key)
        };
        for e in own.iter().flat_map(|t| t.entries.iter()) {
            rows.push((
                e.ts_ms,
                e.what.to_string(),
                acct.clone(),
                String::new(),
                emp.clone(),
                String::new(),
                String::new(),
                e.detail.clone(),
            ));
        }
        if acct.is_empty() {
            continue;
        }
        for (oid, o) in detail.orders_of(&key) {
            // The order's story as the API and the console tell it.
            for e in super::orders::order_events(core, oid, o) {
                rows.push((
                    e.ts_ms,
                    e.kind.into(),
                    acct.clone(),
                    oid.to_string(),
                    e.ids.join(";"),
                    e.amount_minor.map(|a| a.to_string()).unwrap_or_default(),
                    e.currency.map(|c| c.to_string()).unwrap_or_default(),
                    e.detail,
                ));
            }
        }
    }
    rows.sort();
    let mut timeline = String::new();
    csv_row(
        &mut timeline,
        &[
            "ts",
            "type",
            "account_id",
            "order_id",
            "ids",
            "amount_minor",
            "currency",
            "detail",
        ],
    );
    for (ts, ty, acct, order, ids, amount, currency, text) in &rows {
        csv_row(
            &mut timeline,
            &[&ts_of(*ts), ty, acct, order, ids, amount, currency, text],
        );
    }

    let files = Files(vec![
        ("case.json".into(), case_json),
        ("entities.csv".into(), entities.into_bytes()),
        ("timeline.csv".into(), timeline.into_bytes()),
    ]);
    let manifest = serde_json::json!({
        "format": "clawback-evidence/1",
        "case_id": case_id,
        "exported_by": record.entry.key_name,
        "role": record.entry.role.as_str(),
        "justification": record.entry.justification,
        "exported_at": record.entry.ts,
        "audit_seq": record.seq,
        "audit_hash": record.hash,
        "generator": format!("clawback {}", env!("CARGO_PKG_VERSION")),
        "hash_algorithm": "sha256",
        "files": files.0.iter().map(|(name, data)| serde_json::json!({
            "name": name,
            "bytes": data.len(),
            "sha256": clawback_cases::hex(&Sha256::digest(data)),
        })).collect::<Vec<_>>(),
    });
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ApiError::internal(format!("encoding manifest.json: {e}")))?;
    let mut all = files.0;
    all.push(("manifest.json".into(), manifest));
    let mtime = time::OffsetDateTime::parse(
        &record.entry.ts,
        &time::format_description::well_known::Rfc3339,
    )
    .map_or(0, |t| t.unix_timestamp().max(0) as u64);
    Ok((case_id.to_string(), tar_bytes(case_id, &all, mtime)?))
}

/// Audits the export, then builds the bundle: the one path of the API and the console.
pub(super) fn export(
    core: &mut crate::Core,
    caller: &Caller,
    just: &str,
    case_id: &str,
) -> Result<(String, Vec<u8>), ApiError> {
    let accounts: Vec<String> = match core.cases.get_case(case_id) {
        Ok(Some(d)) => {
            let mut v: Vec<String> = Vec::new();
            for aid in &d.case.alert_ids {
                for a in core
                    .index
                    .alerts
                    .iter()
                    .filter(|s| s.alert.alert_id == aid.as_str())
                {
                    for e in &a.alert.entities {
                        if entity_kind(e) == "account" && !v.contains(&e.id.to_string()) {
                            v.push(e.id.to_string());
                        }
                    }
                }
            }
            v
        }
        Ok(None) => {
            return Err(ApiError::new(
                ErrorCode::CaseNotFound,
                format!("no case {case_id:?}; list the cases with GET /v1/cases"),
            ));
        }
        Err(e) => return Err(super::cases::cases_err(e)),
    };
    let record = core
        .record_access(&audit_entry(caller, just, EXPORT_RESOURCE, accounts))
        .map_err(core_err)?;
    bundle(core, case_id, &record)
}

/// The tar as a download, with its SHA-256 in `X-Clawback-Bundle-Sha256`.
pub(super) fn tar_response(case_id: &str, bytes: Vec<u8>) -> Response {
    let sum = clawback_cases::hex(&Sha256::digest(&bytes));
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let safe: String = case_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}-evidence.tar\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&sum) {
        h.insert("x-clawback-bundle-sha256", v);
    }
    r
}

/// A case's evidence bundle (investigators and admins, with `X-Justification`; audited).
#[utoipa::path(
    get, path = "/v1/cases/{id}/export", tag = "cases",
    params(("id" = String, Path, description = "case-N"),
        ("X-Justification" = String, Header, description = "Required: why the evidence is exported (a case, ticket or request number). The export is written to the audit log and fed to the insider detectors as a data_access export.",
            min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses(
        (status = 200, description = "A POSIX tar of `case-N/case.json`, `entities.csv`, `timeline.csv` and `manifest.json` (SHA-256 of every file, who exported it, the audit record). The tar's own SHA-256 is in `X-Clawback-Bundle-Sha256`.",
            content_type = "application/x-tar", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn export_case(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let caller = authorize(&state, &headers, WORK).await?;
    let Some(just) = justification(&caller, &headers)? else {
        return Err(ApiError::new(
            ErrorCode::InvalidJustification,
            "an evidence export shows PII: send X-Justification (the case, ticket or request it is for)",
        ));
    };
    let Path(id) = path.map_err(path_err)?;
    let (case_id, bytes) = with_core(&state, move |core| export(core, &caller, &just, &id)).await?;
    Ok(tar_response(&case_id, bytes))
}
