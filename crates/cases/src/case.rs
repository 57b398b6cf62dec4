//! Cases: alerts grouped by what they are about (a ring, an insider, a campaign), worked by
//! investigators through a small status machine, with notes and recorded actions.

use crate::{CaseError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a case is about, from the kind of the alert that opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Ring,
    Insider,
    Campaign,
    BanEvasion,
    /// A refund service's post showed one of our orders (`intel_match`): the order, its
    /// account and its refunds are the leads, not a ring or an employee yet.
    Intel,
    Other,
}

impl CaseKind {
    pub const ALL: [CaseKind; 6] = [
        CaseKind::Ring,
        CaseKind::Insider,
        CaseKind::Campaign,
        CaseKind::BanEvasion,
        CaseKind::Intel,
        CaseKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Ring => "ring",
            CaseKind::Insider => "insider",
            CaseKind::Campaign => "campaign",
            CaseKind::BanEvasion => "ban_evasion",
            CaseKind::Intel => "intel",
            CaseKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<CaseKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The case kind of an alert kind: `fraud_ring` → ring; `insider_*`,
    /// `credential_misuse` and `data_exfiltration` (alerts about an employee) → insider;
    /// kinds containing `campaign` → campaign; `ban_evasion` → ban_evasion; `intel_match`
    /// (and any `intel_*`) → intel; else other.
    pub fn of_alert_kind(kind: &str) -> CaseKind {
        if kind == "fraud_ring" {
            CaseKind::Ring
        } else if is_insider_kind(kind) {
            CaseKind::Insider
        } else if kind.contains("campaign") {
            CaseKind::Campaign
        } else if kind == "ban_evasion" {
            CaseKind::BanEvasion
        } else if is_intel_kind(kind) {
            CaseKind::Intel
        } else {
            CaseKind::Other
        }
    }
}

/// Whether an alert kind comes from threat intelligence (`intel_match`).
pub fn is_intel_kind(kind: &str) -> bool {
    kind.starts_with("intel_")
}

/// Whether an alert kind is about an employee (grouped per employee).
pub fn is_insider_kind(kind: &str) -> bool {
    kind.starts_with("insider_") || matches!(kind, "credential_misuse" | "data_exfiltration")
}

impl fmt::Display for CaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Investigating,
    Actioned,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [
        CaseStatus::Open,
        CaseStatus::Investigating,
        CaseStatus::Actioned,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Investigating => "investigating",
            CaseStatus::Actioned => "actioned",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The statuses a case may move to from this one:
    ///
    /// | from | to |
    /// |---|---|
    /// | open | investigating, closed |
    /// | investigating | actioned, closed, open |
    /// | actioned | closed, investigating |
    /// | closed | open (reopen) |
    pub fn next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Open => &[Investigating, Closed],
            Investigating => &[Actioned, Closed, Open],
            Actioned => &[Closed, Investigating],
            Closed => &[Open],
        }
    }

    pub fn can_move_to(self, to: CaseStatus) -> bool {
        self.next().contains(&to)
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an investigator did about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    CloseAccount,
    BanIdentity,
    HoldRefunds,
    AlertCustomer,
    MarkLegit,
    Escalate,
}

impl ActionKind {
    pub const ALL: [ActionKind; 6] = [
        ActionKind::CloseAccount,
        ActionKind::BanIdentity,
        ActionKind::HoldRefunds,
        ActionKind::AlertCustomer,
        ActionKind::MarkLegit,
        ActionKind::Escalate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::CloseAccount => "close_account",
            ActionKind::BanIdentity => "ban_identity",
            ActionKind::HoldRefunds => "hold_refunds",
            ActionKind::AlertCustomer => "alert_customer",
            ActionKind::MarkLegit => "mark_legit",
            ActionKind::Escalate => "escalate",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert emission to file into a case (see [`crate::CaseStore::attach_alerts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertLink {
    pub alert_id: String,
    /// Alerts with the same key share a case (`employee:ID`, `fraud_ring:ALERT_ID`,
    /// `alert:ALERT_ID`); the caller chooses it, the store only matches it.
    pub group_key: String,
    /// Used when the link opens a new case.
    pub kind: CaseKind,
    /// Used when the link opens a new case. Must not hold PII (viewers read it).
    pub title: String,
    pub score: f64,
    /// Money at risk this alert names, in US cents.
    pub money_at_risk_usd_cents: i64,
    /// Event time of the emission.
    pub ts: String,
}

/// A case, without its notes and actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// `case-N`, N from 1 in the order cases were opened.
    pub case_id: String,
    pub kind: CaseKind,
    pub title: String,
    pub status: CaseStatus,
    pub assignee: Option<String>,
    /// Sum over the case's alerts of what each (latest emission) names, in US cents.
    pub money_at_risk_usd_cents: i64,
    /// Highest score of the case's alerts (latest emission of each).
    pub score: f64,
    /// RFC 3339 wall-clock times.
    pub created: String,
    pub updated: String,
    /// In the order they joined.
    pub alert_ids: Vec<String>,
}

/// A note on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub author: String,
    pub text: String,
    pub ts: String,
}

/// An action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub action: ActionKind,
    /// The entity acted on (`acct-9`, `emp-042`, …).
    pub target: String,
    pub who: String,
    pub ts: String,
    pub note: Option<String>,
}

/// A recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseAction {
    /// 1, 2, 3, … over all cases, in the order recorded.
    pub action_id: u64,
    pub case_id: String,
    pub action: ActionKind,
    pub target: String,
    pub who: String,
    pub ts: String,
    pub note: Option<String>,
}

/// A change an investigator made to a case (status, assignee), as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChange {
    pub who: String,
    pub ts: String,
    /// `status open → investigating`, `assignee alice`, `unassigned`.
    pub change: String,
}

/// A case with everything recorded on it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDetail {
    pub case: Case,
    pub notes: Vec<Note>,
    pub actions: Vec<CaseAction>,
    /// Status and assignee changes, oldest first.
    pub history: Vec<CaseChange>,
}

/// The history text of a status change.
pub fn status_change(from: CaseStatus, to: CaseStatus) -> String {
    format!("status {from} → {to}")
}

/// The history text of an assignment.
pub fn assign_change(assignee: Option<&str>) -> String {
    match assignee {
        Some(a) => format!("assignee {a}"),
        None => "unassigned".to_string(),
    }
}

/// Filters of [`crate::CaseStore::list_cases`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub kind: Option<CaseKind>,
}

impl CaseFilter {
    pub fn admits(&self, c: &Case) -> bool {
        self.status.is_none_or(|s| s == c.status) && self.kind.is_none_or(|k| k == c.kind)
    }
}

/// The number of `case-N`.
pub fn case_number(case_id: &str) -> Option<u64> {
    case_id
        .strip_prefix("case-")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0 && *n <= i64::MAX as u64)
}

pub fn case_id_of(n: u64) -> String {
    format!("case-{n}")
}

/// Queue order: money at risk, then score, highest first; then oldest case first.
pub fn queue_order(a: &Case, b: &Case) -> std::cmp::Ordering {
    b.money_at_risk_usd_cents
        .cmp(&a.money_at_risk_usd_cents)
        .then(b.score.total_cmp(&a.score))
        .then(case_number(&a.case_id).cmp(&case_number(&b.case_id)))
}

/// Longest note or action note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Checks free text written to a case.
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<()> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(CaseError::BadText { field, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_kinds_map_to_case_kinds() {
        for (alert, case) in [
            ("fraud_ring", CaseKind::Ring),
            ("insider_collusion", CaseKind::Insider),
            ("credential_misuse", CaseKind::Insider),
            ("data_exfiltration", CaseKind::Insider),
            ("phishing_campaign", CaseKind::Campaign),
            ("ban_evasion", CaseKind::BanEvasion),
            ("intel_match", CaseKind::Intel),
            ("return_anomaly", CaseKind::Other),
            ("intelligence", CaseKind::Other),
        ] {
            assert_eq!(CaseKind::of_alert_kind(alert), case, "{alert}");
        }
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(CaseKind::parse("Intel"), None);
    }
}
