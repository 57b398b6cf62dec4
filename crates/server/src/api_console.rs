//! The console: server-rendered HTML pages under `/console/` for investigators, served by
//! the same binary and working offline (no CDN; CSS and JS inline).
//!
//! Login takes an API key and keeps, server-side, a session (random id → the key's digest
//! and a CSRF token); the browser only holds the session id, in an `HttpOnly`,
//! `SameSite=Strict` cookie. Every page checks the session's key with the API's own check
//! ([`authorize_digest`]: role and rate limit), reads and writes through the functions behind
//! the JSON API (so masking, audit and role checks are the API's), and every form that
//! writes carries the session's CSRF token.

use super::cases::{
    CaseDetailView, case_detail, cases_err, parse_action, parse_kind, parse_status, write_action,
    write_assign, write_note, write_status,
};
use super::{
    ANY, AppState, Caller, authorize_digest, entity_kind, justify, mask_entity, pii_entity,
    with_core,
};
use crate::error::{ApiError, ErrorCode};
use crate::html::{self, Who, esc, url};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clawback_cases::{CaseFilter, Role, key_digest};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const COOKIE: &str = "cb_session";
/// A session lasts a shift.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Who may work cases (as in the API).
const WORK: &[Role] = &[Role::Investigator, Role::Admin];
/// Nodes drawn in a case's graph at most.
const MAX_NODES: usize = 160;

/// The logged-in sessions (in memory: a restart logs everyone out).
#[derive(Debug, Default)]
pub(super) struct Sessions(Mutex<HashMap<String, Session>>);

#[derive(Debug, Clone)]
struct Session {
    digest: [u8; 32],
    csrf: String,
    created: Instant,
}

/// 32 random bytes as hex.
fn token() -> Result<String, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)
        .map_err(|e| ApiError::internal(format!("the system RNG failed: {e}")))?;
    Ok(clawback_cases::hex(&b))
}

/// Compares two tokens in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a console request was not served.
pub(super) enum Fail {
    /// No (live) session: to the login page.
    Login,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    Api(ApiError),
}

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Self {
        match e.code {
            ErrorCode::InvalidApiKey | ErrorCode::MissingApiKey => Fail::Login,
            _ => Fail::Api(e),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::Login => Redirect::to("/console/login").into_response(),
            Fail::Csrf => html_response(
                StatusCode::FORBIDDEN,
                html::error(
                    None,
                    403,
                    "this form's CSRF token is missing or does not match your session; reload the page and try again",
                ),
            ),
            Fail::Api(e) => {
                let status = e.code.status();
                let mut r = html_response(status, html::error(None, status.as_u16(), &e.message));
                if let Some(secs) = e.retry_after {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                r
            }
        }
    }
}

/// An HTML response with the console's security headers.
pub(super) fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null`
    // with the page's own form posts, which `cross_site` (rightly) refuses, so nobody could
    // log in (found by e2e/console.mjs in chromium). Other sites still get no referrer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

pub(super) fn ok(body: String) -> Response {
    html_response(StatusCode::OK, body)
}

/// After a successful form post: back to a page (303, so a reload does not repost).
pub(super) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A post from another site (its `Origin` names another host) is refused, login included
/// (so nobody can log a browser in under their own key). Without `Origin` (old browsers,
/// scripts) the CSRF token alone decides.
fn cross_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The live session the request's cookie names.
fn live_session(state: &AppState, headers: &HeaderMap) -> Result<Session, Fail> {
    let id = session_id(headers).ok_or(Fail::Login)?;
    let mut map = state
        .inner
        .sessions
        .0
        .lock()
        .map_err(|_| ApiError::internal("the session lock was poisoned by a panic"))?;
    map.retain(|_, s| s.created.elapsed() < SESSION_TTL);
    map.get(&id).cloned().ok_or(Fail::Login)
}

/// The logged-in caller and the session's CSRF token, the key checked for `allowed` with
/// the API's own check.
pub(super) async fn session(
    state: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
) -> Result<(Caller, String), Fail> {
    let s = live_session(state, headers)?;
    let caller = authorize_digest(state, s.digest, allowed).await?;
    Ok((caller, s.csrf))
}

/// For a form post: the session, then the form's CSRF token (before the role check, so a
/// forged post learns nothing), then the key's role with the API's own check.
async fn session_form(
    state: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
    csrf: &str,
) -> Result<Caller, Fail> {
    let s = live_session(state, headers)?;
    if cross_site(headers) || csrf.is_empty() || !same(csrf, &s.csrf) {
        return Err(Fail::Csrf);
    }
    Ok(authorize_digest(state, s.digest, allowed).await?)
}

pub(super) fn who<'a>(c: &'a Caller, csrf: &'a str) -> Who<'a> {
    Who {
        name: &c.name,
        role: c.role.as_str(),
        csrf,
    }
}

fn form_err(e: FormRejection) -> Fail {
    Fail::Api(ApiError::new(
        ErrorCode::MalformedBody,
        format!("the form could not be read: {}", e.body_text()),
    ))
}

pub(super) fn query_err(e: QueryRejection) -> Fail {
    Fail::Api(ApiError::new(ErrorCode::InvalidParameter, e.body_text()))
}

pub(super) fn path_err(e: PathRejection) -> Fail {
    Fail::Api(ApiError::new(ErrorCode::InvalidParameter, e.body_text()))
}

// ---------------------------------------------------------------- login, logout

async fn login_page() -> Response {
    ok(html::login(None))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    key: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    if cross_site(&headers) {
        return Fail::Csrf.into_response();
    }
    let key = form.map(|Form(f)| f.key).unwrap_or_default();
    let key = key.trim();
    if key.is_empty() {
        return html_response(
            StatusCode::UNAUTHORIZED,
            html::login(Some("Enter an API key.")),
        );
    }
    let digest = key_digest(key);
    match authorize_digest(&state, digest, ANY).await {
        Ok(_) => {}
        Err(e) if matches!(e.code, ErrorCode::InvalidApiKey) => {
            return html_response(
                StatusCode::UNAUTHORIZED,
                html::login(Some("This API key is not known to this service.")),
            );
        }
        Err(e) => return Fail::Api(e).into_response(),
    }
    let (id, csrf) = match (token(), token()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Fail::Api(e).into_response(),
    };
    match state.inner.sessions.0.lock() {
        Ok(mut map) => {
            map.retain(|_, s| s.created.elapsed() < SESSION_TTL);
            map.insert(
                id.clone(),
                Session {
                    digest,
                    csrf,
                    created: Instant::now(),
                },
            );
        }
        Err(_) => {
            return Fail::Api(ApiError::internal(
                "the session lock was poisoned by a panic",
            ))
            .into_response();
        }
    }
    let mut r = see_other("/console/");
    let cookie = format!(
        "{COOKIE}={id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_TTL.as_secs()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, Fail> {
    let Form(f) = form.map_err(form_err)?;
    session_form(&state, &headers, ANY, &f.csrf).await?;
    if let (Some(id), Ok(mut map)) = (session_id(&headers), state.inner.sessions.0.lock()) {
        map.remove(&id);
    }
    let mut r = see_other("/console/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "cb_session=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(r)
}

// ---------------------------------------------------------------- the queue

#[derive(Debug, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    kind: Option<String>,
}

const STATUSES: &[&str] = &["open", "investigating", "actioned", "closed"];
const CASE_KINDS: &[&str] = &[
    "ring",
    "insider",
    "campaign",
    "ban_evasion",
    "intel",
    "other",
];

fn select(name: &str, options: &[&str], chosen: Option<&str>) -> String {
    let mut s = format!("<select name=\"{name}\"><option value=\"\">any {name}</option>");
    for o in options {
        let sel = if chosen == Some(*o) { " selected" } else { "" };
        let _ = write!(s, "<option{sel}>{}</option>", esc(o));
    }
    s.push_str("</select>");
    s
}

async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Query(q) = query.map_err(query_err)?;
    let status_s = q.status.filter(|s| !s.is_empty());
    let kind_s = q.kind.filter(|s| !s.is_empty());
    let status = status_s.as_deref().map(parse_status).transpose()?;
    let kind = kind_s.as_deref().map(parse_kind).transpose()?;
    let cases = with_core(&state, move |core| {
        core.cases
            .list_cases(&CaseFilter { status, kind })
            .map_err(cases_err)
    })
    .await?;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Case queue <span class=\"mut\">({})</span></h1>",
        cases.len()
    );
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/console/\">{} {} <button type=\"submit\">Filter</button></form>\
         <p class=\"mut\"><kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>/</kbd> search. Highest money at risk first, then score.</p>",
        select("status", STATUSES, status_s.as_deref()),
        select("kind", CASE_KINDS, kind_s.as_deref())
    );
    b.push_str(
        "<table id=\"queue\"><thead><tr><th>case</th><th>kind</th><th>title</th><th>status</th><th>assignee</th>\
         <th>at risk (USD)</th><th>score</th><th>alerts</th><th>updated</th></tr></thead><tbody>",
    );
    for c in &cases {
        let href = format!("/console/cases/{}", url(&c.case_id));
        let _ = write!(
            b,
            "<tr data-href=\"{h}\"><td><a href=\"{h}\">{id}</a></td><td><span class=\"tag\">{kind}</span></td><td>{title}</td>\
             <td>{status}</td><td>{assignee}</td><td class=\"num\">{money:.2}</td><td class=\"num\">{score:.3}</td>\
             <td class=\"num\">{alerts}</td><td class=\"mut\">{updated}</td></tr>",
            h = esc(&href),
            id = esc(&c.case_id),
            kind = esc(c.kind.as_str()),
            title = esc(&c.title),
            status = esc(c.status.as_str()),
            assignee = esc(c.assignee.as_deref().unwrap_or("—")),
            money = c.money_at_risk_usd_cents as f64 / 100.0,
            score = c.score,
            alerts = c.alert_ids.len(),
            updated = esc(&c.updated),
        );
    }
    b.push_str("</tbody></table>");
    if cases.is_empty() {
        b.push_str("<p class=\"mut\">No case matches.</p>");
    }
    Ok(ok(html::page("Queue", Some(&who(&caller, &csrf)), &b)))
}

// ---------------------------------------------------------------- a case

#[derive(Debug, Deserialize)]
struct CaseQuery {
    /// Investigators and admins: see PII, audited (as `X-Justification`).
    justification: Option<String>,
}

async fn case_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Path(id) = path.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let just = match q.justification.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => justify(&caller, t)?,
    };
    let c2 = caller.clone();
    let (view, svg, left_out) = with_core(&state, move |core| {
        let (view, latest) = case_detail(core, &c2, just.as_deref(), &id)?;
        let masked = view.masked;
        // Phones and e-mails as the entity graph keys them (digits, lower-case), so the
        // alerts' entities meet the graph's links.
        let alerts: Vec<Vec<(String, String)>> = latest
            .iter()
            .map(|a| {
                a.entities
                    .iter()
                    .map(|e| {
                        let kind = entity_kind(e);
                        let id = match crate::detail::NodeKind::parse(&kind) {
                            Some(k) => super::graph::node_key(k, &e.id).to_string(),
                            None => e.id.to_string(),
                        };
                        (kind, id)
                    })
                    .collect()
            })
            .collect();
        // What the events link each named account to (the read model's entity graph, as
        // `GET /v1/graph` walks it); only links between named entities are drawn.
        let mut links = Vec::new();
        let mut accounts: Vec<&str> = alerts
            .iter()
            .flatten()
            .filter(|e| e.0 == "account")
            .map(|e| e.1.as_str())
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        for a in accounts {
            let acct = ("account".to_string(), a.to_string());
            let (ns, _) = core
                .index
                .detail
                .graph
                .neighbours(crate::detail::NodeKind::Account, a);
            for (k, id) in ns {
                links.push((acct.clone(), (k.as_str().to_string(), id.to_string())));
            }
        }
        let label = |kind: &str, id: &str| -> String {
            if masked && pii_entity(kind) {
                mask_entity(kind, id)
            } else {
                id.to_string()
            }
        };
        let (nodes, edges, left_out) = html::build_graph(&alerts, &links, &label, MAX_NODES);
        Ok((view, html::graph_svg(&nodes, &edges), left_out))
    })
    .await?;
    let body = render_case(&view, &svg, left_out, &caller, &csrf);
    Ok(ok(html::page(
        &view.case.case_id,
        Some(&who(&caller, &csrf)),
        &body,
    )))
}

/// The case page's status control. It shows the case's current status, selected (a
/// `closed` preselected on an `actioned` case was one careless Enter from closing it), then
/// the statuses it may move to, the usual next step first. The current one has no value
/// and the select is `required`, so the browser will not post "move to where it is".
fn status_select(current: &str, next: &[String]) -> String {
    let mut s = format!(
        "<select name=\"status\" required><option value=\"\" selected disabled>{} (current)</option>",
        esc(current)
    );
    for to in next {
        let hint = match (current, to.as_str()) {
            ("closed", "open") => " (reopen)",
            ("investigating", "open") => " (back to the queue)",
            ("actioned", "investigating") => " (more work)",
            _ => "",
        };
        let _ = write!(s, "<option value=\"{v}\">{v}{hint}</option>", v = esc(to));
    }
    s.push_str("</select>");
    s
}

fn render_case(
    v: &CaseDetailView,
    svg: &str,
    left_out: usize,
    caller: &Caller,
    csrf: &str,
) -> String {
    let c = &v.case;
    let base = format!("/console/cases/{}", url(&c.case_id));
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{id} · {title}</h1><p><span class=\"tag\">{kind}</span> status <b>{status}</b> · assignee {assignee} · \
         at risk <b>{money:.2} USD</b> · score <b>{score:.3}</b> · {n} alerts · opened {created}</p>",
        id = esc(&c.case_id),
        title = esc(&c.title),
        kind = esc(&c.kind),
        status = esc(&c.status),
        assignee = esc(c.assignee.as_deref().unwrap_or("—")),
        money = c.money_at_risk_usd,
        score = c.score,
        n = c.alerts,
        created = esc(&c.created),
    );
    if v.masked {
        b.push_str("<p class=\"mut\">PII is masked.");
        if caller.role != Role::Viewer {
            let _ = write!(
                b,
                "</p><form method=\"get\" action=\"{}\" id=\"pii-form\"><label>Justification to see PII (audited) \
                 <input name=\"justification\" value=\"{}\" size=\"20\" maxlength=\"128\"></label> <button type=\"submit\">Show PII</button></form>",
                esc(&base),
                esc(&c.case_id)
            );
        } else {
            b.push_str("</p>");
        }
    } else {
        let _ = write!(
            b,
            "<p class=\"err\">PII shown: this read was written to the audit log. <a href=\"{}\">Mask again</a></p>",
            esc(&base)
        );
    }

    // Actions first for those who may act: a shift is spent here.
    if WORK.contains(&caller.role) {
        b.push_str("<h2>Work the case</h2><div class=\"forms\">");
        let hidden = format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            esc(csrf)
        );
        if !c.next_statuses.is_empty() {
            let _ = write!(
                b,
                "<form method=\"post\" action=\"{base}/status\" id=\"status-form\">{hidden}<label>Status \
                 {select}</label> <button type=\"submit\">Move</button></form>",
                base = esc(&base),
                select = status_select(&c.status, &c.next_statuses)
            );
        }
        let _ = write!(
            b,
            "<form method=\"post\" action=\"{base}/assign\">{hidden}<label>Assignee \
             <input name=\"assignee\" value=\"{me}\" size=\"14\"></label> <button type=\"submit\">Assign</button> \
             <span class=\"mut\">(empty: unassign)</span></form>",
            base = esc(&base),
            me = esc(&caller.name)
        );
        let _ = write!(
            b,
            "<form method=\"post\" action=\"{base}/notes\">{hidden}<label>Note<br>\
             <textarea name=\"text\" rows=\"2\" cols=\"40\" required maxlength=\"10000\"></textarea></label><br>\
             <button type=\"submit\">Add note</button></form>",
            base = esc(&base)
        );
        let mut actions = String::new();
        for a in [
            "hold_refunds",
            "close_account",
            "ban_identity",
            "alert_customer",
            "mark_legit",
            "escalate",
        ] {
            let _ = write!(actions, "<option>{a}</option>");
        }
        let _ = write!(
            b,
            "<form method=\"post\" action=\"{base}/actions\">{hidden}<label>Action <select name=\"action\">{actions}</select></label> \
             <label>on <input name=\"target\" required size=\"16\" placeholder=\"acct-9, emp-042\"></label><br>\
             <label>Note <input name=\"note\" size=\"30\"></label> <button type=\"submit\">Record action</button></form>",
            base = esc(&base)
        );
        let _ = write!(
            b,
            "<form method=\"get\" action=\"{base}/export\" id=\"export-form\"><label>Evidence bundle: justification \
             <input name=\"justification\" value=\"{id}\" size=\"14\" maxlength=\"128\" required></label> \
             <button type=\"submit\">Export (audited)</button></form>",
            base = esc(&base),
            id = esc(&c.case_id)
        );
        b.push_str("</div>");
    }

    b.push_str("<h2>Entity graph</h2>");
    b.push_str(&html::legend());
    b.push_str(svg);
    if left_out > 0 {
        let _ = write!(
            b,
            "<p class=\"mut\">{left_out} more entities not drawn.</p>"
        );
    }

    b.push_str("<h2>Alerts</h2><table id=\"alerts\"><thead><tr><th>alert</th><th>kind</th><th>score</th><th>entities</th><th>reasons</th></tr></thead><tbody>");
    for a in &v.alerts {
        let mut ents = String::new();
        for e in &a.entities {
            let _ = write!(
                ents,
                "<span class=\"tag\">{} {}</span> ",
                esc(&e.kind),
                esc(&e.id)
            );
        }
        let reasons = html::reasons_list(
            a.reasons
                .iter()
                .map(|r| (r.code.as_str(), r.detail.as_str())),
        );
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td><td>{ents}</td><td>{reasons}</td></tr>",
            esc(&a.alert_id),
            esc(&a.kind),
            a.score
        );
    }
    b.push_str("</tbody></table>");

    // A campaign's drafted customer advisory (the latest draft of each alert), to copy.
    let mut n = 0;
    for a in &v.alerts {
        let Some((lang, text)) = a
            .reasons
            .iter()
            .rev()
            .find(|r| r.code == super::advisories::ADVISORY_CODE)
            .and_then(|r| super::advisories::parse_draft(&r.detail))
        else {
            continue;
        };
        n += 1;
        let _ = write!(
            b,
            "<h2>Customer advisory (draft, {lang})</h2><div class=\"advisory\"><pre id=\"advisory-{n}\">{text}</pre>\
             <button type=\"button\" data-copy=\"advisory-{n}\" accesskey=\"c\">Copy advisory</button> \
             <span class=\"mut\">for {alert}; all drafts: <code>GET /v1/advisories</code></span></div>",
            lang = esc(&lang),
            text = esc(&text),
            alert = esc(&a.alert_id),
        );
    }

    // The evidence timeline: alerts by event time, then notes, actions and changes.
    let mut events: Vec<(String, String, String)> = Vec::new();
    for a in &v.alerts {
        let first = a
            .reasons
            .first()
            .map(|r| r.detail.clone())
            .unwrap_or_default();
        events.push((a.ts.clone(), format!("alert {}", a.kind), first));
    }
    events.sort();
    b.push_str("<h2>Evidence timeline</h2><table id=\"timeline\"><thead><tr><th>event time</th><th>what</th><th>detail</th></tr></thead><tbody>");
    for (ts, what, detail) in &events {
        let _ = write!(
            b,
            "<tr><td class=\"mut\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(ts),
            esc(what),
            esc(detail)
        );
    }
    b.push_str("</tbody></table>");

    b.push_str("<h2>Work log</h2><table id=\"worklog\"><thead><tr><th>when</th><th>who</th><th>what</th></tr></thead><tbody>");
    let mut log: Vec<(String, String, String)> = Vec::new();
    for n in &v.notes {
        log.push((n.ts.clone(), n.author.clone(), format!("note: {}", n.text)));
    }
    for a in &v.actions {
        let mut t = format!("action {} on {}", a.action, a.target);
        if let Some(n) = &a.note {
            t.push_str(&format!(" ({n})"));
        }
        log.push((a.ts.clone(), a.who.clone(), t));
    }
    for h in &v.history {
        log.push((h.ts.clone(), h.who.clone(), h.change.clone()));
    }
    log.sort();
    for (ts, who, what) in &log {
        let _ = write!(
            b,
            "<tr><td class=\"mut\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(ts),
            esc(who),
            esc(what)
        );
    }
    if log.is_empty() {
        b.push_str("<tr><td colspan=\"3\" class=\"mut\">Nothing yet.</td></tr>");
    }
    b.push_str("</tbody></table>");
    b
}

// ---------------------------------------------------------------- case writes

#[derive(Debug, Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    action: String,
    target: String,
    #[serde(default)]
    note: String,
}

async fn post_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<StatusForm>, FormRejection>,
) -> Result<Response, Fail> {
    let Path(id) = path.map_err(path_err)?;
    let Form(f) = form.map_err(form_err)?;
    let caller = session_form(&state, &headers, WORK, &f.csrf).await?;
    let to = parse_status(&f.status)?;
    let back = format!("/console/cases/{}", url(&id));
    with_core(&state, move |core| write_status(core, &caller, &id, to)).await?;
    Ok(see_other(&back))
}

async fn post_assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<AssignForm>, FormRejection>,
) -> Result<Response, Fail> {
    let Path(id) = path.map_err(path_err)?;
    let Form(f) = form.map_err(form_err)?;
    let caller = session_form(&state, &headers, WORK, &f.csrf).await?;
    let back = format!("/console/cases/{}", url(&id));
    let assignee = Some(f.assignee.trim().to_string()).filter(|a| !a.is_empty());
    with_core(&state, move |core| {
        write_assign(core, &caller, &id, assignee.as_deref())
    })
    .await?;
    Ok(see_other(&back))
}

async fn post_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<NoteForm>, FormRejection>,
) -> Result<Response, Fail> {
    let Path(id) = path.map_err(path_err)?;
    let Form(f) = form.map_err(form_err)?;
    let caller = session_form(&state, &headers, WORK, &f.csrf).await?;
    let back = format!("/console/cases/{}", url(&id));
    with_core(&state, move |core| write_note(core, &caller, &id, f.text)).await?;
    Ok(see_other(&back))
}

async fn post_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, Fail> {
    let Path(id) = path.map_err(path_err)?;
    let Form(f) = form.map_err(form_err)?;
    let caller = session_form(&state, &headers, WORK, &f.csrf).await?;
    let action = parse_action(&f.action)?;
    let back = format!("/console/cases/{}", url(&id));
    let note = Some(f.note).filter(|n| !n.trim().is_empty());
    with_core(&state, move |core| {
        write_action(core, &caller, &id, action, f.target, note)
    })
    .await?;
    Ok(see_other(&back))
}

// ---------------------------------------------------------------- search, entities

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A case id, an order, an account, an employee, a device (IP, payment, seller, phone,
/// e-mail) lands on its page; else the first case in queue order holding an alert that
/// names the id or has it as alert id (a report, a post…); else a 404 page.
async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, Fail> {
    let (caller, csrf) = session(&state, &headers, ANY).await?;
    let Query(q) = query.map_err(query_err)?;
    let q = q.q.trim().to_string();
    if q.is_empty() {
        return Ok(see_other("/console/"));
    }
    let q2 = q.clone();
    let found = with_core(&state, move |core| super::pages::search_target(core, &q2)).await?;
    Ok(match found {
        Some(to) => see_other(&to),
        None => html_response(
            StatusCode::NOT_FOUND,
            html::page(
                "Not found",
                Some(&who(&caller, &csrf)),
                &format!(
                    "<h1>Nothing found</h1><p>No case, order, account, employee, device or alert is named {}.</p>",
                    esc(&q)
                ),
            ),
        ),
    })
}

/// The console's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(queue))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/search", get(search))
        .route("/console/cases/{id}", get(case_page))
        .route("/console/cases/{id}/status", post(post_status))
        .route("/console/cases/{id}/assign", post(post_assign))
        .route("/console/cases/{id}/notes", post(post_note))
        .route("/console/cases/{id}/actions", post(post_action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_filters_by_every_case_kind() {
        let kinds: Vec<&str> = clawback_cases::CaseKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(CASE_KINDS, kinds.as_slice());
        let html = select("kind", CASE_KINDS, Some("intel"));
        assert!(html.contains("<option selected>intel</option>"), "{html}");
    }

    #[test]
    fn the_status_select_shows_the_current_status_and_offers_the_next() {
        for status in clawback_cases::CaseStatus::ALL {
            let next: Vec<String> = status.next().iter().map(|s| s.as_str().into()).collect();
            let html = status_select(status.as_str(), &next);
            assert_eq!(
                html.matches(" selected").count(),
                1,
                "{status}: one selected option: {html}"
            );
            assert!(
                html.contains(&format!(
                    "<option value=\"\" selected disabled>{status} (current)</option>"
                )),
                "{status}: the current status is preselected: {html}"
            );
            assert!(html.contains(" required>"), "{html}");
            for to in &next {
                assert!(
                    html.contains(&format!("<option value=\"{to}\">{to}")),
                    "{html}"
                );
            }
            assert!(
                !html.contains(&format!("<option value=\"{status}\">")),
                "{status}: not offered as a move: {html}"
            );
        }
        let actioned = status_select("actioned", &["closed".into(), "investigating".into()]);
        assert!(
            actioned.starts_with(
                "<select name=\"status\" required><option value=\"\" selected disabled>actioned (current)</option><option value=\"closed\">closed</option>"
            ),
            "{actioned}"
        );
    }
}
