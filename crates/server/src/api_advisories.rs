//! `GET /v1/advisories`: the customer advisories the phishing-campaign detector drafts
//! (issue 8 item 3), one per campaign: the latest draft, its language and channel, and how
//! many reports the campaign holds, for the retailer's communications team to review and
//! send. The text never quotes a customer's message (the detector builds it from the
//! campaign's cues and domains), so it is not masked.

use super::{ANY, AppState, authorize, with_core};
use crate::error::{ApiError, ErrorBody};
use axum::extract::State;
use axum::http::HeaderMap;
use clawback_events::output::EntityType;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

/// The reason code that carries a drafted advisory: `draft (LANG): TEXT`.
pub const ADVISORY_CODE: &str = "customer_advisory";

/// A drafted customer advisory for one phishing campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdvisoryView {
    /// The `phishing_campaign` alert.
    pub alert_id: String,
    /// The case holding the alert.
    pub case_id: Option<String>,
    /// `en`, `fr`, `de` or `es`: the campaign's main language.
    pub language: String,
    /// `sms`, `email`, `call` or `other`: the campaign's main channel (most of its reports).
    pub channel: String,
    /// The draft, ready to review and send.
    pub text: String,
    /// Reports the campaign groups (over all its emissions).
    pub reports: usize,
    /// Domains the campaign links to or sends from.
    pub domains: Vec<String>,
    /// Event time of the emission that carried this draft.
    pub ts: String,
}

/// The advisories, newest campaign first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoriesPage {
    pub advisories: Vec<AdvisoryView>,
}

/// Splits `draft (en): text` into language and text.
pub fn parse_draft(detail: &str) -> Option<(String, String)> {
    let rest = detail.strip_prefix("draft (")?;
    let (lang, text) = rest.split_once("): ")?;
    Some((lang.to_string(), text.to_string()))
}

/// Every campaign's latest draft (see the module documentation).
pub fn advisories(core: &mut crate::Core) -> Result<Vec<AdvisoryView>, ApiError> {
    let cases = core
        .cases
        .list_cases(&clawback_cases::CaseFilter::default())
        .map_err(super::cases::cases_err)?;
    let case_of: HashMap<&str, &str> = cases
        .iter()
        .flat_map(|c| c.alert_ids.iter().map(|a| (a.as_str(), c.case_id.as_str())))
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut reports: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut drafts: HashMap<String, AdvisoryView> = HashMap::new();
    for s in &core.index.alerts {
        let a = &s.alert;
        if a.kind != "phishing_campaign" {
            continue;
        }
        let id = a.alert_id.to_string();
        let seen = reports.entry(id.clone()).or_default();
        if seen.is_empty() && !drafts.contains_key(&id) {
            order.push(id.clone());
        }
        seen.extend(
            a.entities
                .iter()
                .filter(|e| e.kind == EntityType::Report)
                .map(|e| e.id.to_string()),
        );
        if let Some((language, text)) = a
            .reasons
            .iter()
            .rev()
            .find(|r| r.code == ADVISORY_CODE)
            .and_then(|r| parse_draft(&r.detail))
        {
            drafts.insert(
                id.clone(),
                AdvisoryView {
                    alert_id: id.clone(),
                    case_id: case_of.get(id.as_str()).map(|c| c.to_string()),
                    language,
                    channel: String::new(),
                    text,
                    reports: 0,
                    domains: a
                        .entities
                        .iter()
                        .filter(|e| e.kind == EntityType::Domain)
                        .map(|e| e.id.to_string())
                        .collect(),
                    ts: a.ts.to_string(),
                },
            );
        }
    }
    let channels = &core.index.detail.report_channels;
    let mut out = Vec::new();
    for id in order.iter().rev() {
        let Some(mut v) = drafts.remove(id) else {
            continue;
        };
        let members = reports.remove(id).unwrap_or_default();
        v.reports = members.len();
        // The main channel: most reports; ties in the order sms, email, call, other.
        let mut counts = [0usize; 4];
        const NAMES: [&str; 4] = ["sms", "email", "call", "other"];
        for r in &members {
            let c = channels.get(r.as_str()).map_or("other", |c| c.as_str());
            let i = NAMES.iter().position(|n| *n == c).unwrap_or(3);
            counts[i] += 1;
        }
        let best = (0..4)
            .max_by(|&x, &y| counts[x].cmp(&counts[y]).then(y.cmp(&x)))
            .unwrap_or(3);
        v.channel = NAMES[best].to_string();
        out.push(v);
    }
    Ok(out)
}

/// The drafted customer advisories of the phishing campaigns (any key).
#[utoipa::path(
    get, path = "/v1/advisories", tag = "alerts",
    responses((status = 200, body = AdvisoriesPage), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn list_advisories(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<AdvisoriesPage>, ApiError> {
    authorize(&state, &headers, ANY).await?;
    with_core(&state, |core| {
        Ok(axum::Json(AdvisoriesPage {
            advisories: advisories(core)?,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_split_into_language_and_text() {
        assert_eq!(
            parse_draft("draft (fr): Méfiez-vous des SMS"),
            Some(("fr".into(), "Méfiez-vous des SMS".into()))
        );
        assert_eq!(parse_draft("nothing"), None);
    }
}
