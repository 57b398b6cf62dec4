//! Routes, authentication, roles, masking and the OpenAPI document.

use crate::core::{Core, CoreError, IngestOutcome, Position};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::mask;
use crate::metrics::{Metrics, RateLimiter};
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clawback_cases::{ApiKey, AuditEntry, AuditRecord, Role, key_digest};
use clawback_events::output::{Alert, Decision, Point};
use clawback_events::{Address, Id};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[path = "api_cases.rs"]
mod cases;
#[path = "api_console.rs"]
mod console;
#[path = "api_export.rs"]
mod export;
pub(crate) use export::EXPORT_RESOURCE;
#[path = "api_advisories.rs"]
mod advisories;
#[path = "api_graph.rs"]
pub(crate) mod graph;
#[path = "api_orders.rs"]
mod orders;
#[path = "api_pages.rs"]
mod pages;

/// Limits of the service.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Requests per second per key, sustained.
    pub rate_per_sec: f64,
    /// Requests a key may send at once.
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            rate_per_sec: 1000.0,
            burst: 2000.0,
        }
    }
}

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    core: Mutex<Core>,
    keys: Mutex<HashMap<[u8; 32], ApiKey>>,
    limiter: RateLimiter,
    limits: Limits,
    metrics: Metrics,
    /// The console's logged-in sessions, by session id.
    sessions: console::Sessions,
    /// `POST /v1/events` bodies waiting for the core (see [`ingest_queued`]).
    ingest_queue: Mutex<Vec<IngestJob>>,
}

/// One `POST /v1/events` body and where its answer goes.
struct IngestJob {
    bytes: axum::body::Bytes,
    content_type: Option<String>,
    reply: IngestReply,
}

impl std::fmt::Debug for IngestJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestJob")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Group commit: whoever holds the core takes every body queued so far, appends them all,
/// makes them durable with one fsync and answers each. While one request's fsync runs,
/// the requests arriving meanwhile queue up and share the next one, so the disk's cost is
/// paid once per batch instead of once per request (`bench/load.sh`: single refunds at
/// 5,000/s on disk saturated at 2,300-4,200/s with one fsync each).
/// Answers waiting for the disk: sent once the ticket is synced (see [`ingest_queued`]).
struct Unsynced {
    ticket: Option<clawback_store::SyncTicket>,
    answers: Vec<(IngestOutcome, IngestReply)>,
}

type IngestReply = tokio::sync::oneshot::Sender<Result<IngestOutcome, ApiError>>;

impl Unsynced {
    /// Waits for the disk (one fsync, or none if another thread's covered these records),
    /// then answers every request; on failure every one gets the error.
    fn answer(self, st: &AppState) {
        if let Some(Err(e)) = self.ticket.map(|t| t.sync()) {
            let err = core_err(crate::core::CoreError::from(e));
            for (_, reply) in self.answers {
                let _ = reply.send(Err(err.clone()));
            }
            return;
        }
        for (out, reply) in self.answers {
            Metrics::add(&st.inner.metrics.accepted, out.accepted);
            Metrics::add(&st.inner.metrics.duplicates, out.duplicates);
            Metrics::add(&st.inner.metrics.rejected, out.rejected.len() as u64);
            let _ = reply.send(Ok(out));
        }
    }
}

/// Group commit: whoever holds the core takes every queued body, appends them all, writes
/// them to the log and applies them; the caller then releases the core and makes them
/// durable with one fsync ([`Unsynced::answer`]) while the next group is appended. Bodies
/// that cannot be split or staged are answered at once with their error.
fn ingest_queued(st: &AppState, core: &mut Core) -> Option<Unsynced> {
    let jobs = match st.inner.ingest_queue.lock() {
        Ok(mut q) => std::mem::take(&mut *q),
        Err(_) => return None,
    };
    if jobs.is_empty() {
        return None;
    }
    let mut staged = Vec::with_capacity(jobs.len());
    for job in jobs {
        let items = match split_body(job.content_type.as_deref(), &job.bytes) {
            Ok(items) => items,
            Err(e) => {
                let _ = job.reply.send(Err(e));
                continue;
            }
        };
        match core.stage(&items) {
            Ok(s) => staged.push((s, job.reply)),
            Err(e) => {
                let _ = job.reply.send(Err(core_err(e)));
            }
        }
    }
    if staged.is_empty() {
        return None;
    }
    let (parts, replies): (Vec<_>, Vec<_>) = staged.into_iter().unzip();
    match core.finish_unsynced(parts) {
        Ok((outcomes, ticket)) => Some(Unsynced {
            ticket,
            answers: outcomes.into_iter().zip(replies).collect(),
        }),
        Err(e) => {
            let err = core_err(e);
            for reply in replies {
                let _ = reply.send(Err(err.clone()));
            }
            None
        }
    }
}

impl Shared {
    /// The core, on a blocking thread (whoever holds it may append and decide).
    fn lock_core(&self) -> Result<std::sync::MutexGuard<'_, Core>, ApiError> {
        self.core
            .lock()
            .map_err(|_| ApiError::internal("the service state lock was poisoned by a panic"))
    }
}

impl AppState {
    /// Lets `/metrics` report the webhook's deliveries.
    pub fn set_webhook_stats(&self, stats: Arc<crate::webhook::WebhookStats>) {
        let _ = self.inner.metrics.webhook.set(stats);
    }

    pub fn new(core: Core, limits: Limits) -> Self {
        Self {
            inner: Arc::new(Shared {
                core: Mutex::new(core),
                keys: Mutex::new(HashMap::new()),
                limiter: RateLimiter::new(limits.rate_per_sec, limits.burst),
                limits,
                metrics: Metrics::default(),
                sessions: console::Sessions::default(),
                ingest_queue: Mutex::new(Vec::new()),
            }),
        }
    }
}

/// Runs `f` on the core, on a blocking thread (it may fsync).
async fn with_core<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Core) -> Result<T, ApiError> + Send + 'static,
{
    let inner = Arc::clone(&state.inner);
    tokio::task::spawn_blocking(move || f(&mut *inner.lock_core()?))
        .await
        .map_err(|e| ApiError::internal(format!("a request task failed: {e}")))?
}

fn core_err(e: CoreError) -> ApiError {
    match e {
        CoreError::Quarantine(_) | CoreError::AuditEvent { .. } => {
            ApiError::internal(e.to_string())
        }
        _ => ApiError::new(ErrorCode::StorageUnavailable, e.to_string()),
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
struct Caller {
    name: String,
    role: Role,
}

/// Checks the key and the role, then the key's rate limit.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::new(
            ErrorCode::MissingApiKey,
            "send the API key as `Authorization: Bearer KEY` (create one with `clawback keys create`)",
        ));
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidApiKey,
                "the Authorization header must be `Bearer KEY`",
            )
        })?;
    authorize_digest(state, key_digest(secret), allowed).await
}

/// Checks a key given by its digest (the console's session holds the digest, never the
/// key), the role, then the key's rate limit: the one check of the API and the console.
async fn authorize_digest(
    state: &AppState,
    digest: [u8; 32],
    allowed: &[Role],
) -> Result<Caller, ApiError> {
    let cached = state
        .inner
        .keys
        .lock()
        .ok()
        .and_then(|k| k.get(&digest).cloned());
    let key = match cached {
        Some(k) => k,
        None => {
            let found = with_core(state, move |core| {
                core.cases
                    .key_by_digest(&digest)
                    .map_err(|e| ApiError::new(ErrorCode::StorageUnavailable, e.to_string()))
            })
            .await?;
            let Some(k) = found else {
                return Err(ApiError::new(
                    ErrorCode::InvalidApiKey,
                    "this API key is not known to this service",
                ));
            };
            if let Ok(mut keys) = state.inner.keys.lock() {
                keys.insert(digest, k.clone());
            }
            k
        }
    };
    if !allowed.contains(&key.role) {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "key {:?} has role {}; this needs {}",
                key.name,
                key.role,
                names.join(" or ")
            ),
        ));
    }
    if let Err(secs) = state.inner.limiter.take(&key.name) {
        let mut e = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "key {:?} is over its rate limit of {} requests per second; retry in {secs} s",
                key.name, state.inner.limits.rate_per_sec
            ),
        );
        e.retry_after = Some(secs);
        return Err(e);
    }
    Ok(Caller {
        name: key.name,
        role: key.role,
    })
}

const ANY: &[Role] = &[Role::Viewer, Role::Investigator, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

/// The justification of an unmasked read, when the caller may have one and gave one.
fn justification(caller: &Caller, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("x-justification") else {
        return Ok(None);
    };
    justify(caller, v.to_str().unwrap_or(""))
}

/// A justification given as text (the header's, or the console's form field).
fn justify(caller: &Caller, text: &str) -> Result<Option<String>, ApiError> {
    let text = text.trim();
    let ok = !text.is_empty() && text.chars().count() <= 128 && !text.chars().any(char::is_control);
    if !ok {
        return Err(ApiError::new(
            ErrorCode::InvalidJustification,
            "X-Justification must be 1..=128 printable characters (a case or ticket id, e.g. case-17)",
        ));
    }
    // A viewer never sees PII, justified or not.
    Ok((caller.role != Role::Viewer).then(|| text.to_string()))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn audit_entry(
    caller: &Caller,
    justification: &str,
    resource: &str,
    ids: Vec<String>,
) -> AuditEntry {
    AuditEntry {
        ts: now_rfc3339(),
        key_name: caller.name.clone(),
        role: caller.role,
        justification: justification.to_string(),
        resource: resource.to_string(),
        entity_ids: ids,
    }
}

// ---------------------------------------------------------------- response shapes

/// One reason behind a decision or an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// Stable snake_case identifier.
    pub code: String,
    pub detail: String,
}

/// A decision, in the contract's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// `refund`, `signup` or `report`.
    pub point: String,
    pub id: String,
    /// `approve`/`hold`/`review`/`deny`, `allow`/`review`/`block` or `benign`/`suspicious`/`phishing`.
    pub decision: String,
    /// Fraud score in [0, 1].
    pub score: f64,
    pub reasons: Vec<ReasonView>,
    /// Event time of the decision point.
    pub ts: String,
}

impl From<&Decision> for DecisionView {
    fn from(d: &Decision) -> Self {
        Self {
            point: d.point.as_str().into(),
            id: d.id.to_string(),
            decision: d.decision.as_str().into(),
            score: d.score,
            reasons: d
                .reasons
                .iter()
                .map(|r| ReasonView {
                    code: r.code.to_string(),
                    detail: r.detail.clone(),
                })
                .collect(),
            ts: d.ts.to_string(),
        }
    }
}

/// An entity named by an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityView {
    /// `account`, `employee`, `device`, `phone`, `email`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Masked for `phone`, `email` and `address` entities without a justification.
    pub id: String,
}

/// An alert, in the contract's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub alert_id: String,
    pub kind: String,
    pub score: f64,
    pub entities: Vec<EntityView>,
    pub reasons: Vec<ReasonView>,
    pub ts: String,
}

/// Entity types whose ids are PII.
fn pii_entity(kind: &str) -> bool {
    matches!(kind, "email" | "phone" | "address")
}

fn entity_kind(e: &clawback_events::output::EntityRef) -> String {
    serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn mask_entity(kind: &str, id: &str) -> String {
    match kind {
        "email" => mask::email(id),
        "phone" => mask::phone(id),
        _ => mask::word(id),
    }
}

/// An alert for the API. Masked, the ids of PII entities are masked, and so is their text
/// wherever a reason's detail quotes it (ring reasons name the shared identifiers).
fn alert_view(a: &Alert, unmasked: bool) -> AlertView {
    let pii: Vec<(String, String)> = if unmasked {
        Vec::new()
    } else {
        let mut v: Vec<(String, String)> = a
            .entities
            .iter()
            .filter_map(|e| {
                let kind = entity_kind(e);
                (pii_entity(&kind) && !e.id.is_empty())
                    .then(|| (e.id.to_string(), mask_entity(&kind, &e.id)))
            })
            .collect();
        // Longest first, so that an id inside another id is not replaced first.
        v.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
        v
    };
    let scrub = |text: &str| -> String {
        let mut t = text.to_string();
        for (id, masked) in &pii {
            t = t.replace(id.as_str(), masked);
        }
        t
    };
    AlertView {
        // Some alert ids are built from the identifier they are about (`fraud_ring:+1619…`).
        alert_id: scrub(&a.alert_id),
        kind: a.kind.to_string(),
        score: a.score,
        entities: a
            .entities
            .iter()
            .map(|e| {
                let kind = entity_kind(e);
                let id = if unmasked || !pii_entity(&kind) {
                    e.id.to_string()
                } else {
                    mask_entity(&kind, &e.id)
                };
                EntityView { kind, id }
            })
            .collect(),
        reasons: a
            .reasons
            .iter()
            .map(|r| ReasonView {
                code: r.code.to_string(),
                detail: scrub(&r.detail),
            })
            .collect(),
        ts: a.ts.to_string(),
    }
}

/// Where a rejected item was and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedView {
    /// 0-based index in a JSON array (0 for a single object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// 1-based line of a JSON Lines body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The offending field (`refund_requested.amount_minor`), when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The same message replay writes to its quarantine.
    pub error: String,
}

/// What `POST /v1/events` did; sent once every accepted event is fsync'd.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    pub accepted: u64,
    /// Events whose `event_id` was already stored (idempotent retries).
    pub duplicates: u64,
    pub rejected: Vec<RejectedView>,
    /// The decisions for the decision points among the accepted events.
    pub decisions: Vec<DecisionView>,
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsPage {
    pub alerts: Vec<AlertView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Whether PII entity ids were masked.
    pub masked: bool,
}

/// A postal address (masked without a justification).
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    pub line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

fn address_view(a: &Address, unmasked: bool) -> AddressView {
    if unmasked {
        AddressView {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.to_string(),
        }
    } else {
        AddressView {
            line1: "***".into(),
            line2: a.line2.as_ref().map(|_| "***".into()),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: mask::postal(&a.postal_code),
            country: a.country.to_string(),
        }
    }
}

/// An account as the engine and the events know it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub account_id: String,
    /// Whether PII (email, phone, name, address, phones) is masked.
    pub masked: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub address: Option<AddressView>,
    /// Event time of the signup, when seen.
    pub created: Option<String>,
    /// Closed by the retailer.
    pub banned: bool,
    pub closed: bool,
    pub orders: u32,
    pub order_value_usd_cents: i64,
    pub refunds_requested: u32,
    pub refund_value_usd_cents: i64,
    pub claims_not_received: u32,
    pub chargebacks: u32,
    /// Phone numbers seen on the account (digits; masked without a justification).
    pub phones: Vec<String>,
    pub devices: Vec<String>,
    pub ips: Vec<String>,
    /// The signup decision, when the signup was seen.
    pub signup_decision: Option<DecisionView>,
    /// Ids of the alerts naming the account (PII in an id masked as in `masked`).
    pub alerts: Vec<String>,
}

/// What the events say an employee did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployeeView {
    pub employee_id: String,
    #[serde(flatten)]
    pub activity: crate::index::EmployeeActivity,
    /// Ids of the alerts naming the employee (PII in an id masked).
    pub alerts: Vec<String>,
}

/// One audit record: an unmasked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordView {
    pub seq: u64,
    pub ts: String,
    pub key_name: String,
    pub role: String,
    pub justification: String,
    pub resource: String,
    pub entity_ids: Vec<String>,
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and the record's canonical JSON.
    pub hash: String,
}

impl From<AuditRecord> for AuditRecordView {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            ts: r.entry.ts,
            key_name: r.entry.key_name,
            role: r.entry.role.as_str().into(),
            justification: r.entry.justification,
            resource: r.entry.resource,
            entity_ids: r.entry.entity_ids,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditRecordView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    /// Events in the durable log.
    pub stored_events: u64,
}

// ---------------------------------------------------------------- handlers

/// Splits a body into events: a JSON array, one object, or JSON Lines (by Content-Type,
/// else by sniffing: several values on separate lines are JSON Lines).
fn split_body<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
) -> Result<Vec<(Position, &'a [u8])>, ApiError> {
    let trimmed_start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = trimmed_start else {
        return Err(ApiError::new(
            ErrorCode::EmptyBody,
            "the body holds no event: send one JSON object, an array of them, or JSON Lines",
        ));
    };
    let ct = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    let jsonl_type = matches!(
        ct.as_deref(),
        Some(
            "application/x-ndjson"
                | "application/jsonl"
                | "application/x-jsonlines"
                | "application/jsonlines"
        )
    );
    let lines = |body: &'a [u8]| -> Vec<(Position, &'a [u8])> {
        body.split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .map(|(i, l)| (Position::Line(i as u64 + 1), l))
            .collect()
    };
    if jsonl_type {
        return Ok(lines(body));
    }
    if body[start] == b'[' {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_slice(body).map_err(|e| {
                ApiError::new(
                    ErrorCode::MalformedBody,
                    format!("the body starts with '[' but is not a JSON array: {e}"),
                )
            })?;
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Position::Index(i as u64), v.get().as_bytes()))
            .collect());
    }
    // One object, unless there are several non-blank lines: then JSON Lines.
    let all = lines(body);
    if all.len() > 1 {
        Ok(all)
    } else {
        Ok(vec![(Position::Index(0), body)])
    }
}

fn rejected_view(r: crate::core::Rejection) -> RejectedView {
    let (index, line) = match r.position {
        Position::Index(i) => (Some(i), None),
        Position::Line(l) => (None, Some(l)),
    };
    RejectedView {
        index,
        line,
        field: r.field,
        error: r.error,
    }
}

/// Validate, de-duplicate and durably store events; answer with the decisions.
#[utoipa::path(
    post, path = "/v1/events", tag = "events",
    request_body(description = "One event object, a JSON array of them, or JSON Lines (`application/x-ndjson`), as in the event contract.",
        content((serde_json::Value = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Every accepted event is durable (fsync'd); some items may be rejected or duplicates.", body = IngestResponse),
        (status = 400, description = "Empty or malformed body, or no valid event.", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn post_events(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    authorize(&state, &parts.headers, ADMIN).await?;
    let max = state.inner.limits.max_body_bytes;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is over the {max} byte limit; send fewer events per request"),
        )
    };
    if parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > max)
    {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| too_large())?;
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (reply, answer) = tokio::sync::oneshot::channel();
    state
        .inner
        .ingest_queue
        .lock()
        .map_err(|_| ApiError::internal("the ingest queue lock was poisoned by a panic"))?
        .push(IngestJob {
            bytes,
            content_type: ct,
            reply,
        });
    // This request's body may already have been taken by another request holding the
    // core; then this one finds the queue empty and its answer is on the way. The fsync
    // runs after the core is released, on this blocking thread.
    let st = state.clone();
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        // The core's guard is a temporary: released at the end of this statement.
        let unsynced = ingest_queued(&st, &mut *st.inner.lock_core()?);
        if let Some(u) = unsynced {
            u.answer(&st);
        }
        Ok(())
    })
    .await
    .map_err(|e| ApiError::internal(format!("a request task failed: {e}")))??;
    let outcome: IngestOutcome = answer
        .await
        .map_err(|_| ApiError::internal("the request was dropped before it was ingested"))??;
    if let (0, 0, Some(first)) = (
        outcome.accepted,
        outcome.duplicates,
        outcome.rejected.first(),
    ) {
        let at = match first.position {
            Position::Index(i) => format!("item {i}"),
            Position::Line(l) => format!("line {l}"),
        };
        return Err(ApiError::new(
            ErrorCode::InvalidEvent,
            format!("{at}: {} (nothing was stored)", first.error),
        ));
    }
    let resp = IngestResponse {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        rejected: outcome.rejected.into_iter().map(rejected_view).collect(),
        decisions: outcome.decisions.iter().map(DecisionView::from).collect(),
    };
    Ok(axum::Json(resp).into_response())
}

fn path_err(e: PathRejection) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, e.body_text())
}

fn query_err(e: QueryRejection) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, e.body_text())
}

/// The decision made for a decision point.
#[utoipa::path(
    get, path = "/v1/decisions/{point}/{id}", tag = "decisions",
    params(("point" = String, Path, description = "`refund`, `signup` or `report`", pattern = "^(refund|signup|report)$"),
           ("id" = String, Path, description = "The refund_id, account_id or report_id")),
    responses((status = 200, body = DecisionView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn get_decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<axum::Json<DecisionView>, ApiError> {
    authorize(&state, &headers, ANY).await?;
    let Path((point, id)) = path.map_err(path_err)?;
    let point = match point.as_str() {
        "refund" => Point::Refund,
        "signup" => Point::Signup,
        "report" => Point::Report,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("point {other:?}: expected refund, signup or report"),
            ));
        }
    };
    with_core(&state, move |core| {
        core.index
            .decisions
            .get(&(point, Id::from(id.as_str())))
            .map(|d| axum::Json(DecisionView::from(d)))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::DecisionNotFound,
                    format!("no {} decision for id {id:?}", point.as_str()),
                )
            })
    })
    .await
}

/// Filters of `GET /v1/alerts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Only alerts of this kind (`fraud_ring`, `insider_collusion`, …).
    pub kind: Option<String>,
    /// Only alerts at or after this event time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only alerts naming this entity: `ID` (any type) or `TYPE:ID` (`employee:emp-042`).
    pub entity: Option<String>,
    /// From `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Alerts, oldest emission first, paged.
#[utoipa::path(
    get, path = "/v1/alerts", tag = "alerts", params(AlertsQuery,
        ("X-Justification" = Option<String>, Header, description = "Case or ticket id: investigators and admins then see PII entity ids, and the read is audited", min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses((status = 200, body = AlertsPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn get_alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AlertsQuery>, QueryRejection>,
) -> Result<axum::Json<AlertsPage>, ApiError> {
    let caller = authorize(&state, &headers, ANY).await?;
    let just = justification(&caller, &headers)?;
    let Query(q) = query.map_err(query_err)?;
    let since = match &q.since {
        Some(s) => Some(
            clawback_events::Timestamp::parse(s)
                .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("since: {e}")))?
                .unix_ms,
        ),
        None => None,
    };
    let start = match &q.cursor {
        Some(c) => c.parse::<usize>().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                "cursor: pass the next_cursor of the previous page",
            )
        })?,
        None => 0,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "limit: must be 1..=1000",
        ));
    }
    let entity = q.entity.clone().map(|e| match e.split_once(':') {
        Some((t, id)) if !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase()) => {
            (Some(t.to_string()), id.to_string())
        }
        _ => (None, e),
    });
    with_core(&state, move |core| {
        let mut alerts = Vec::new();
        let mut next = None;
        let mut pii_accounts: Vec<String> = Vec::new();
        let mut revealed = false;
        for (i, a) in core.index.alerts.iter().enumerate().skip(start) {
            if q.kind.as_deref().is_some_and(|k| a.alert.kind != k)
                || since.is_some_and(|s| a.ts_ms < s)
            {
                continue;
            }
            if let Some((t, id)) = &entity {
                let hit = a.alert.entities.iter().any(|e| {
                    e.id == id.as_str() && t.as_ref().is_none_or(|t| entity_kind(e) == *t)
                });
                if !hit {
                    continue;
                }
            }
            if alerts.len() == limit {
                next = Some(i.to_string());
                break;
            }
            let view = alert_view(&a.alert, just.is_some());
            if just.is_some() && view.entities.iter().any(|e| pii_entity(&e.kind)) {
                revealed = true;
                for e in &view.entities {
                    if e.kind == "account" && !pii_accounts.contains(&e.id) {
                        pii_accounts.push(e.id.clone());
                    }
                }
            }
            alerts.push(view);
        }
        if let (true, Some(j)) = (revealed, &just) {
            core.record_access(&audit_entry(&caller, j, "alerts", pii_accounts))
                .map_err(core_err)?;
        }
        Ok(axum::Json(AlertsPage {
            alerts,
            next_cursor: next,
            masked: just.is_none(),
        }))
    })
    .await
}

/// An account's profile: PII (masked unless justified), what the engine knows, its
/// signup decision and alerts.
#[utoipa::path(
    get, path = "/v1/accounts/{id}", tag = "entities",
    params(("id" = String, Path, description = "account_id"),
        ("X-Justification" = Option<String>, Header, description = "Case or ticket id: investigators and admins then see PII unmasked, and the read is audited and fed to the insider detectors as a data_access event", min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn get_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<AccountView>, ApiError> {
    let caller = authorize(&state, &headers, ANY).await?;
    let just = justification(&caller, &headers)?;
    let Path(id) = path.map_err(path_err)?;
    with_core(&state, move |core| {
        account_view(core, &caller, just.as_deref(), &id).map(axum::Json)
    })
    .await
}

/// An account as `GET /v1/accounts/{id}` shows it; justified, unmasked and audited.
fn account_view(
    core: &mut Core,
    caller: &Caller,
    just: Option<&str>,
    id: &str,
) -> Result<AccountView, ApiError> {
    let key = Id::from(id);
    let facts = core.engine().facts().accounts.get(&key).cloned();
    let pii = core.index.accounts.get(&key).cloned();
    if facts.is_none() && pii.is_none() {
        return Err(ApiError::new(
            ErrorCode::AccountNotFound,
            format!("no event named account {id:?}"),
        ));
    }
    let facts = facts.unwrap_or_default();
    let pii = pii.unwrap_or_default();
    let open = just.is_some();
    let m = |v: &Option<String>, f: fn(&str) -> String| {
        v.as_ref().map(|s| if open { s.clone() } else { f(s) })
    };
    let view = AccountView {
        account_id: id.to_string(),
        masked: !open,
        email: m(&pii.email, mask::email),
        phone: m(&pii.phone, mask::phone),
        name: m(&pii.name, mask::name),
        address: pii.address.as_ref().map(|a| address_view(a, open)),
        created: facts
            .created_ms
            .map(|ms| clawback_events::Timestamp::from_unix_ms(ms).raw.to_string()),
        banned: facts.banned,
        closed: facts.closed,
        orders: facts.orders,
        order_value_usd_cents: facts.order_value_usd_cents,
        refunds_requested: facts.refunds_requested,
        refund_value_usd_cents: facts.refund_value_usd_cents,
        claims_not_received: facts.claims_not_received,
        chargebacks: facts.chargebacks,
        phones: facts
            .phones
            .iter()
            .map(|p| if open { p.to_string() } else { mask::phone(p) })
            .collect(),
        devices: facts.devices.iter().map(ToString::to_string).collect(),
        ips: facts.ips.iter().map(ToString::to_string).collect(),
        signup_decision: core
            .index
            .decisions
            .get(&(Point::Signup, key.clone()))
            .map(DecisionView::from),
        alerts: core
            .index
            .alerts_naming(id)
            .into_iter()
            .map(|a| alert_view(a, open).alert_id)
            .collect(),
    };
    if let Some(j) = just {
        core.record_access(&audit_entry(
            caller,
            j,
            "customer_profile",
            vec![id.to_string()],
        ))
        .map_err(core_err)?;
    }
    Ok(view)
}

/// What the events say an employee did, and the alerts naming them.
#[utoipa::path(
    get, path = "/v1/employees/{id}", tag = "entities",
    params(("id" = String, Path, description = "employee_id")),
    responses((status = 200, body = EmployeeView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn get_employee(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<EmployeeView>, ApiError> {
    authorize(&state, &headers, ANY).await?;
    let Path(id) = path.map_err(path_err)?;
    with_core(&state, move |core| employee_view(core, &id).map(axum::Json)).await
}

/// An employee as `GET /v1/employees/{id}` shows it.
fn employee_view(core: &Core, id: &str) -> Result<EmployeeView, ApiError> {
    let alerts: Vec<String> = core
        .index
        .alerts_naming(id)
        .into_iter()
        .map(|a| alert_view(a, false).alert_id)
        .collect();
    let Some(e) = core.index.employees.get(id) else {
        return Err(ApiError::new(
            ErrorCode::EmployeeNotFound,
            format!("no event named employee {id:?}"),
        ));
    };
    Ok(EmployeeView {
        employee_id: id.to_string(),
        activity: e.clone(),
        alerts,
    })
}

/// Paging of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records after this `seq` (default 0: from the start); at most 2^63 − 1, as the
    /// schema's `int64` says.
    pub after: Option<u64>,
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// The audit log of unmasked reads (admin only).
#[utoipa::path(
    get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []))
)]
async fn get_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    authorize(&state, &headers, ADMIN).await?;
    let Query(q) = query.map_err(query_err)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "limit: must be 1..=1000",
        ));
    }
    let after = q.after.unwrap_or(0);
    if i64::try_from(after).is_err() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "after: must be 0..=9223372036854775807 (the seq of a record, or next_after)",
        ));
    }
    with_core(&state, move |core| {
        let records = core
            .cases
            .audit_page(after, limit)
            .map_err(|e| ApiError::new(ErrorCode::StorageUnavailable, e.to_string()))?;
        let next_after = (records.len() == limit)
            .then(|| records.last().map(|r| r.seq))
            .flatten();
        Ok(axum::Json(AuditPage {
            records: records.into_iter().map(AuditRecordView::from).collect(),
            next_after,
        }))
    })
    .await
}

/// Liveness (no key needed).
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    with_core(&state, |core| {
        Ok(axum::Json(Health {
            status: "ok".into(),
            stored_events: core.stored(),
        }))
    })
    .await
}

/// Prometheus metrics (any key).
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&state, &headers, ANY).await?;
    let st = state.clone();
    let text = with_core(&state, move |core| Ok(st.inner.metrics.render(&core.index))).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
        let mut desc = String::from(
            "Clawback's service API. Keys are created with `clawback keys create` and sent as \
             `Authorization: Bearer KEY`. Roles: `viewer` (PII masked; reads cases), `investigator` (PII \
             with `X-Justification`; works cases: status, assignee, notes, actions), `admin` (also posts events and reads the audit log). \
             Every unmasked read is written to a hash-chained audit log and fed to the insider \
             detectors as a `data_access` event.\n\n",
        );
        desc.push_str(&crate::error::table_markdown());
        openapi.info.description = Some(desc);
    }
}

/// The OpenAPI document, generated from the handlers and types above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Clawback", version = env!("CARGO_PKG_VERSION")),
    paths(post_events, get_decision, get_alerts, get_account, get_employee, orders::get_order, get_audit, healthz, metrics,
        cases::list_cases, cases::get_case, cases::set_status, cases::assign, cases::add_note, cases::add_action,
        export::export_case, graph::get_graph, advisories::list_advisories),
    components(schemas(ErrorBody, ErrorCode)),
    modifiers(&Security)
)]
#[derive(Debug)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => ApiError::internal(format!("encoding the OpenAPI document: {e}")).into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")
}

async fn track(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let mut resp = next.run(request).await;
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = ApiError::new(
            ErrorCode::MethodNotAllowed,
            "this route does not take that method",
        )
        .into_response();
        if let Some(a) = allow {
            resp.headers_mut().insert(header::ALLOW, a);
        }
    }
    state.inner.metrics.observe(
        &route,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

/// The case writes take one JSON object. serde would also read a struct from a JSON array
/// of its fields in order (`[null]` as `{"assignee": null}`), which the documented schema
/// does not allow (found by schemathesis); such a body gets 400 `malformed_body`, before
/// the key is checked (it says nothing about the case). Bodies that are not JSON pass
/// through to the handler's own check.
async fn json_object_body(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
    if !json {
        return Ok(next.run(request).await);
    }
    let (parts, body) = request.into_parts();
    let max = state.inner.limits.max_body_bytes;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is over the {max} byte limit"),
        )
    })?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            ErrorCode::MalformedBody,
            "the body must be one JSON object ({...}); see the request schema in /openapi.json",
        ));
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// The service's routes.
pub fn router(state: AppState) -> Router {
    let object_body = || axum::middleware::from_fn_with_state(state.clone(), json_object_body);
    Router::new()
        .route("/v1/events", post(post_events))
        .route("/v1/decisions/{point}/{id}", get(get_decision))
        .route("/v1/alerts", get(get_alerts))
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/employees/{id}", get(get_employee))
        .route("/v1/orders/{id}", get(orders::get_order))
        .route("/v1/audit", get(get_audit))
        .route("/v1/cases", get(cases::list_cases))
        .route("/v1/cases/{id}", get(cases::get_case))
        .route(
            "/v1/cases/{id}/status",
            post(cases::set_status).layer(object_body()),
        )
        .route(
            "/v1/cases/{id}/assign",
            post(cases::assign).layer(object_body()),
        )
        .route(
            "/v1/cases/{id}/notes",
            post(cases::add_note).layer(object_body()),
        )
        .route(
            "/v1/cases/{id}/actions",
            post(cases::add_action).layer(object_body()),
        )
        .route("/v1/cases/{id}/export", get(export::export_case))
        .route("/v1/graph/{type}/{id}", get(graph::get_graph))
        .route("/v1/advisories", get(advisories::list_advisories))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .merge(console::routes())
        .merge(pages::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .fallback(not_found)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(ct: Option<&str>, body: &str) -> Vec<(Position, String)> {
        split_body(ct, body.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(p, b)| (p, String::from_utf8(b.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn bodies_split_into_events() {
        assert_eq!(
            positions(Some("application/json"), r#"{"a":1}"#),
            [(Position::Index(0), r#"{"a":1}"#.to_string())]
        );
        assert_eq!(
            positions(None, " [ {\"a\":1} , 7 ]"),
            [
                (Position::Index(0), "{\"a\":1}".to_string()),
                (Position::Index(1), "7".to_string())
            ]
        );
        assert_eq!(
            positions(Some("application/json"), "{\"a\":1}\n\n{\"b\":2}\n"),
            [
                (Position::Line(1), "{\"a\":1}".to_string()),
                (Position::Line(3), "{\"b\":2}".to_string())
            ]
        );
        assert_eq!(
            positions(Some("application/x-ndjson; charset=utf-8"), "[1]"),
            [(Position::Line(1), "[1]".to_string())]
        );
        let e = split_body(None, b" \n ").unwrap_err();
        assert_eq!(e.code, ErrorCode::EmptyBody);
        let e = split_body(None, b"[{\"a\":").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedBody);
    }

    #[test]
    fn the_documented_case_kinds_and_statuses_are_the_stores() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let params = doc["paths"]["/v1/cases"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let pattern = |name: &str| {
            params.iter().find(|p| p["name"] == name).unwrap()["schema"]["pattern"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let kinds: Vec<&str> = clawback_cases::CaseKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(pattern("kind"), format!("^({})?$", kinds.join("|")));
        let statuses: Vec<&str> = clawback_cases::CaseStatus::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(pattern("status"), format!("^({})?$", statuses.join("|")));
    }

    #[test]
    fn pii_entities_are_masked_without_justification() {
        let a = Alert {
            alert_id: "a-1".into(),
            kind: "fraud_ring".into(),
            score: 0.9,
            entities: vec![
                clawback_events::output::EntityRef::new(
                    clawback_events::output::EntityType::Account,
                    "acct-1",
                ),
                clawback_events::output::EntityRef::new(
                    clawback_events::output::EntityType::Phone,
                    "+14155550142",
                ),
            ],
            reasons: vec![clawback_events::output::Reason::new(
                "shared_support_operators",
                "2 accounts whose support contacts came from the same operators: phone +14155550142 (2 accounts)",
            )],
            ts: "2026-11-02T10:00:00Z".into(),
        };
        let v = alert_view(&a, false);
        assert_eq!(
            v.reasons[0].detail,
            "2 accounts whose support contacts came from the same operators: phone ***42 (2 accounts)"
        );
        assert_eq!(v.entities[0].id, "acct-1");
        assert_eq!(v.entities[1].id, "***42");
        assert_eq!(alert_view(&a, true).entities[1].id, "+14155550142");
    }
}
