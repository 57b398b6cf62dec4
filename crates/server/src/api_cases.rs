//! The case routes: the queue, a case with its alerts, notes and actions, and the writes
//! that work a case (investigators and admins).

use super::{
    ANY, AlertView, AppState, Caller, alert_view, audit_entry, authorize, core_err, entity_kind,
    justification, mask_entity, now_rfc3339, path_err, pii_entity, query_err, with_core,
};
use crate::core::CoreError;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use clawback_cases::{
    ActionKind, Case, CaseAction, CaseError, CaseFilter, CaseKind, CaseStatus, NewAction, Note,
    Role,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who may work cases.
const WORK: &[Role] = &[Role::Investigator, Role::Admin];

pub(super) fn cases_err(e: CaseError) -> ApiError {
    match e {
        CaseError::CaseNotFound(_) => ApiError::new(ErrorCode::CaseNotFound, e.to_string()),
        CaseError::InvalidTransition { .. } => {
            ApiError::new(ErrorCode::InvalidTransition, e.to_string())
        }
        CaseError::BadText { .. } | CaseError::BadKeyName(_) => {
            ApiError::new(ErrorCode::InvalidParameter, e.to_string())
        }
        _ => ApiError::new(ErrorCode::StorageUnavailable, e.to_string()),
    }
}

fn core_cases_err(e: CoreError) -> ApiError {
    match e {
        CoreError::Cases(c) => cases_err(c),
        other => core_err(other),
    }
}

fn body_err(e: JsonRejection) -> ApiError {
    ApiError::new(
        ErrorCode::MalformedBody,
        format!(
            "{} (see the request schema in /openapi.json)",
            e.body_text()
        ),
    )
}

/// A case in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    /// `case-N`.
    pub case_id: String,
    /// `ring`, `insider`, `campaign`, `ban_evasion`, `intel` or `other`.
    pub kind: String,
    pub title: String,
    /// `open`, `investigating`, `actioned` or `closed`.
    pub status: String,
    /// The key name the case is assigned to.
    pub assignee: Option<String>,
    /// Refund value requested by the accounts its alerts name, summed over its alerts.
    pub money_at_risk_usd: f64,
    /// Highest score of its alerts.
    pub score: f64,
    pub created: String,
    pub updated: String,
    /// How many alerts the case groups.
    pub alerts: usize,
    /// The statuses it may move to.
    pub next_statuses: Vec<String>,
}

impl From<&Case> for CaseView {
    fn from(c: &Case) -> Self {
        Self {
            case_id: c.case_id.clone(),
            kind: c.kind.as_str().into(),
            title: c.title.clone(),
            status: c.status.as_str().into(),
            assignee: c.assignee.clone(),
            money_at_risk_usd: c.money_at_risk_usd_cents as f64 / 100.0,
            score: c.score,
            created: c.created.clone(),
            updated: c.updated.clone(),
            alerts: c.alert_ids.len(),
            next_statuses: c.status.next().iter().map(|s| s.as_str().into()).collect(),
        }
    }
}

/// The queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasesPage {
    pub cases: Vec<CaseView>,
}

/// A note on a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub author: String,
    pub text: String,
    pub ts: String,
}

/// A recorded action (also written to `outbound.jsonl`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub action_id: u64,
    pub case_id: String,
    /// `close_account`, `ban_identity`, `hold_refunds`, `alert_customer`, `mark_legit` or `escalate`.
    pub action: String,
    pub target: String,
    pub who: String,
    pub ts: String,
    pub note: Option<String>,
    /// Only in the answer to `POST /v1/cases/{id}/actions`: the ids of the contract events
    /// the action appended to the event log (an `account_closed` by the retailer for
    /// `close_account` on an account; a `label` for `close_account`, `escalate` and
    /// `mark_legit`), which the engine applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
}

impl From<&CaseAction> for ActionView {
    fn from(a: &CaseAction) -> Self {
        Self {
            action_id: a.action_id,
            case_id: a.case_id.clone(),
            action: a.action.as_str().into(),
            target: a.target.clone(),
            who: a.who.clone(),
            ts: a.ts.clone(),
            note: a.note.clone(),
            events: None,
        }
    }
}

/// A status or assignee change, with who made it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub who: String,
    pub ts: String,
    /// `status open → investigating`, `assignee alice`, `unassigned`.
    pub change: String,
}

/// A case with its alerts (latest emission of each), notes, actions and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetailView {
    pub case: CaseView,
    pub alerts: Vec<AlertView>,
    pub notes: Vec<NoteView>,
    pub actions: Vec<ActionView>,
    /// Status and assignee changes, oldest first.
    pub history: Vec<ChangeView>,
    /// Whether PII in alerts, notes and action targets was masked.
    pub masked: bool,
}

/// Filters of `GET /v1/cases`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// `open`, `investigating`, `actioned` or `closed`.
    #[param(pattern = "^(open|investigating|actioned|closed)?$")]
    pub status: Option<String>,
    /// `ring`, `insider`, `campaign`, `ban_evasion`, `intel` or `other`.
    #[param(pattern = "^(ring|insider|campaign|ban_evasion|intel|other)?$")]
    pub kind: Option<String>,
}

/// The case queue: highest money at risk first, then highest score.
#[utoipa::path(
    get, path = "/v1/cases", tag = "cases", params(CasesQuery),
    responses((status = 200, body = CasesPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn list_cases(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CasesQuery>, QueryRejection>,
) -> Result<axum::Json<CasesPage>, ApiError> {
    authorize(&state, &headers, ANY).await?;
    let Query(q) = query.map_err(query_err)?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(parse_status(s)?),
    };
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(parse_kind(k)?),
    };
    with_core(&state, move |core| {
        let cases = core
            .cases
            .list_cases(&CaseFilter { status, kind })
            .map_err(cases_err)?;
        Ok(axum::Json(CasesPage {
            cases: cases.iter().map(CaseView::from).collect(),
        }))
    })
    .await
}

/// A case: its alerts, notes and actions.
#[utoipa::path(
    get, path = "/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case-N"),
        ("X-Justification" = Option<String>, Header, description = "Investigators and admins then see PII in the case's alerts; the read is audited", min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses((status = 200, body = CaseDetailView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn get_case(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<CaseDetailView>, ApiError> {
    let caller = authorize(&state, &headers, ANY).await?;
    let just = justification(&caller, &headers)?;
    let Path(id) = path.map_err(path_err)?;
    with_core(&state, move |core| {
        case_detail(core, &caller, just.as_deref(), &id).map(|(v, _)| axum::Json(v))
    })
    .await
}

/// A case as `GET /v1/cases/{id}` shows it, with the latest emission of each of its
/// alerts (unmasked, for the console's graph). Justified (`just`), PII is shown and the
/// read audited when the case names PII; the console calls this too, so both mask alike.
pub(super) fn case_detail(
    core: &mut crate::Core,
    caller: &Caller,
    just: Option<&str>,
    id: &str,
) -> Result<(CaseDetailView, Vec<clawback_events::output::Alert>), ApiError> {
    let Some(d) = core.cases.get_case(id).map_err(cases_err)? else {
        return Err(cases_err(CaseError::CaseNotFound(id.to_string())));
    };
    let open = just.is_some();
    // The latest emission of each of the case's alerts.
    let mut alerts = Vec::new();
    let mut latest = Vec::new();
    let mut pii_accounts: Vec<String> = Vec::new();
    for aid in &d.case.alert_ids {
        let Some(a) = core
            .index
            .alerts
            .iter()
            .rev()
            .find(|s| s.alert.alert_id == aid.as_str())
        else {
            continue;
        };
        latest.push(a.alert.clone());
        let view = alert_view(&a.alert, open);
        if open && view.entities.iter().any(|e| pii_entity(&e.kind)) {
            for e in &view.entities {
                if e.kind == "account" && !pii_accounts.contains(&e.id) {
                    pii_accounts.push(e.id.clone());
                }
            }
        }
        alerts.push(view);
    }
    // Masked: notes and action targets may quote the PII the alerts name (a ring's
    // phone); it is masked there the same way, longest id first.
    let mut pii: Vec<(String, String)> = Vec::new();
    if !open {
        for s in latest.iter() {
            for e in &s.entities {
                let kind = entity_kind(e);
                if pii_entity(&kind) && !e.id.is_empty() {
                    pii.push((e.id.to_string(), mask_entity(&kind, &e.id)));
                }
            }
        }
        pii.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
    }
    let scrub = |t: &str| -> String {
        let mut t = t.to_string();
        for (id, m) in &pii {
            t = t.replace(id.as_str(), m);
        }
        t
    };
    let view = CaseDetailView {
        case: CaseView::from(&d.case),
        alerts,
        notes: d
            .notes
            .iter()
            .map(|n| NoteView {
                author: n.author.clone(),
                text: scrub(&n.text),
                ts: n.ts.clone(),
            })
            .collect(),
        actions: d
            .actions
            .iter()
            .map(|a| {
                let mut v = ActionView::from(a);
                v.target = scrub(&v.target);
                v.note = v.note.as_deref().map(&scrub);
                v
            })
            .collect(),
        history: d
            .history
            .iter()
            .map(|h| ChangeView {
                who: h.who.clone(),
                ts: h.ts.clone(),
                change: h.change.clone(),
            })
            .collect(),
        masked: !open,
    };
    if let (false, Some(j)) = (pii_accounts.is_empty(), just) {
        core.record_access(&audit_entry(caller, j, "case", pii_accounts))
            .map_err(core_err)?;
    }
    Ok((view, latest))
}

/// `POST /v1/cases/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// `open`, `investigating`, `actioned` or `closed`; allowed moves: open → investigating
    /// or closed; investigating → actioned, closed or open; actioned → closed or
    /// investigating; closed → open.
    #[schema(pattern = "^(open|investigating|actioned|closed)$")]
    pub status: String,
}

/// `POST /v1/cases/{id}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// A key name; `null` to unassign.
    #[schema(pattern = "^[^\\s\\x00-\\x1f\\x7f-\\x9f]{1,64}$")]
    pub assignee: Option<String>,
}

/// `POST /v1/cases/{id}/notes`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteRequest {
    /// 1..=10,000 characters, not all blank.
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub text: String,
}

/// `POST /v1/cases/{id}/actions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// `close_account`, `ban_identity`, `hold_refunds`, `alert_customer`, `mark_legit` or `escalate`.
    #[schema(
        pattern = "^(close_account|ban_identity|hold_refunds|alert_customer|mark_legit|escalate)$"
    )]
    pub action: String,
    /// The entity acted on (`acct-9`, `emp-042`, …), 1..=256 characters, not all blank.
    #[schema(min_length = 1, max_length = 256, pattern = "\\S")]
    pub target: String,
    /// 1..=10,000 characters, not all blank.
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub note: Option<String>,
}

/// The common path of the writes: the role first (so a viewer gets 403 whatever it sent),
/// then the body as `prepared` parsed it, then `f` on the core.
async fn case_write<P, T, F>(
    state: &AppState,
    headers: &HeaderMap,
    path: Result<Path<String>, PathRejection>,
    prepared: Result<P, ApiError>,
    f: F,
) -> Result<axum::Json<T>, ApiError>
where
    P: Send + 'static,
    T: Send + 'static,
    F: FnOnce(&mut crate::Core, &Caller, &str, P) -> Result<T, ApiError> + Send + 'static,
{
    let caller = authorize(state, headers, WORK).await?;
    let Path(id) = path.map_err(path_err)?;
    let p = prepared?;
    with_core(state, move |core| f(core, &caller, &id, p).map(axum::Json)).await
}

/// Moves a case to another status (investigators and admins).
#[utoipa::path(
    post, path = "/v1/cases/{id}/status", tag = "cases", request_body = StatusRequest,
    params(("id" = String, Path, description = "case-N")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn set_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<axum::Json<StatusRequest>, JsonRejection>,
) -> Result<axum::Json<CaseView>, ApiError> {
    let to = body
        .map_err(body_err)
        .and_then(|axum::Json(req)| parse_status(&req.status));
    case_write(&state, &headers, path, to, |core, caller, id, to| {
        write_status(core, caller, id, to)
    })
    .await
}

/// A case status from its name, or a 400 naming the allowed ones.
pub(super) fn parse_status(s: &str) -> Result<CaseStatus, ApiError> {
    CaseStatus::parse(s).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("status {s:?}: expected open, investigating, actioned or closed"),
        )
    })
}

/// A case kind from its name, or a 400 naming the allowed ones.
pub(super) fn parse_kind(k: &str) -> Result<CaseKind, ApiError> {
    CaseKind::parse(k).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("kind {k:?}: expected ring, insider, campaign, ban_evasion, intel or other"),
        )
    })
}

/// An action from its name, or a 400 naming the allowed ones.
pub(super) fn parse_action(a: &str) -> Result<ActionKind, ApiError> {
    ActionKind::parse(a).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "action {a:?}: expected close_account, ban_identity, hold_refunds, alert_customer, mark_legit or escalate"
            ),
        )
    })
}

/// The write behind `POST /v1/cases/{id}/status` (and the console's form).
pub(super) fn write_status(
    core: &mut crate::Core,
    caller: &Caller,
    id: &str,
    to: CaseStatus,
) -> Result<CaseView, ApiError> {
    let c = core
        .cases
        .set_status(id, to, &caller.name, &now_rfc3339())
        .map_err(cases_err)?;
    Ok(CaseView::from(&c))
}

/// The write behind `POST /v1/cases/{id}/assign` (and the console's form).
pub(super) fn write_assign(
    core: &mut crate::Core,
    caller: &Caller,
    id: &str,
    assignee: Option<&str>,
) -> Result<CaseView, ApiError> {
    let c = core
        .cases
        .assign(id, assignee, &caller.name, &now_rfc3339())
        .map_err(cases_err)?;
    Ok(CaseView::from(&c))
}

/// The write behind `POST /v1/cases/{id}/notes` (and the console's form).
pub(super) fn write_note(
    core: &mut crate::Core,
    caller: &Caller,
    id: &str,
    text: String,
) -> Result<NoteView, ApiError> {
    let note = Note {
        author: caller.name.clone(),
        text,
        ts: now_rfc3339(),
    };
    core.cases.add_note(id, &note).map_err(cases_err)?;
    Ok(NoteView {
        author: note.author,
        text: note.text,
        ts: note.ts,
    })
}

/// The write behind `POST /v1/cases/{id}/actions` (and the console's form): recorded, then
/// written as an outbound event.
pub(super) fn write_action(
    core: &mut crate::Core,
    caller: &Caller,
    id: &str,
    action: ActionKind,
    target: String,
    note: Option<String>,
) -> Result<ActionView, ApiError> {
    let (rec, events) = core
        .record_action(
            id,
            &NewAction {
                action,
                target,
                who: caller.name.clone(),
                ts: now_rfc3339(),
                note,
            },
        )
        .map_err(core_cases_err)?;
    let mut view = ActionView::from(&rec);
    view.events = Some(events);
    Ok(view)
}

/// Assigns a case (investigators and admins).
#[utoipa::path(
    post, path = "/v1/cases/{id}/assign", tag = "cases", request_body = AssignRequest,
    params(("id" = String, Path, description = "case-N")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<axum::Json<AssignRequest>, JsonRejection>,
) -> Result<axum::Json<CaseView>, ApiError> {
    let req = body.map_err(body_err).map(|axum::Json(r)| r);
    case_write(&state, &headers, path, req, |core, caller, id, req| {
        write_assign(core, caller, id, req.assignee.as_deref())
    })
    .await
}

/// Adds a note to a case (investigators and admins); the author is the key's name.
#[utoipa::path(
    post, path = "/v1/cases/{id}/notes", tag = "cases", request_body = NoteRequest,
    params(("id" = String, Path, description = "case-N")),
    responses((status = 200, body = NoteView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn add_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<axum::Json<NoteRequest>, JsonRejection>,
) -> Result<axum::Json<NoteView>, ApiError> {
    let req = body.map_err(body_err).map(|axum::Json(r)| r);
    case_write(&state, &headers, path, req, |core, caller, id, req| {
        write_note(core, caller, id, req.text)
    })
    .await
}

/// Records an action on a case (investigators and admins), feeds it back to the engine as
/// contract events (`close_account` → `account_closed` by the retailer and a `fraud` label;
/// `escalate` → a `fraud` label; `mark_legit` → a `legit` label; the label's entity is the
/// target's type, its `group` the case id), and writes it as an outbound event to
/// `DIR/outbound.jsonl` (fsync'd before the answer), delivered to the webhook when one is
/// configured.
#[utoipa::path(
    post, path = "/v1/cases/{id}/actions", tag = "cases", request_body = ActionRequest,
    params(("id" = String, Path, description = "case-N")),
    responses((status = 200, body = ActionView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn add_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<axum::Json<ActionRequest>, JsonRejection>,
) -> Result<axum::Json<ActionView>, ApiError> {
    let req = body.map_err(body_err).and_then(|axum::Json(req)| {
        let action = parse_action(&req.action)?;
        Ok((action, req))
    });
    case_write(
        &state,
        &headers,
        path,
        req,
        |core, caller, id, (action, req)| {
            write_action(core, caller, id, action, req.target, req.note)
        },
    )
    .await
}
