//! Case actions fed back as what the engine and training learn from.
//!
//! An investigator's verdict is the late truth the contract's `label` events describe, and
//! closing an account is the retailer's ban that the signup checks look for. So an action
//! appends contract events to the durable log (and the engine applies them like any other):
//!
//! | action | events |
//! |---|---|
//! | `close_account` | `account_closed` with `by: retailer` (the account's signup checks and ban-evasion links see it), and a `fraud` label |
//! | `escalate` | a `fraud` label |
//! | `mark_legit` | a `legit` label |
//! | `ban_identity`, `hold_refunds`, `alert_customer` | none (they change nothing the engine could learn) |
//!
//! A label names the action's target as the contract's `entity` (`account`, `employee`,
//! `seller`, `order`, `refund` or `report`: the type the case's alerts give it, else what the
//! events know it as), its `kind` from the alert kind (see [`label_kind`]), its `group` the
//! case id and its `source` `case_action`. A target that is none of those gets no label.
//!
//! Event ids are derived from the action id (`clawback-action-<N>-closed`,
//! `clawback-action-<N>-label`), so feeding an action again after a restart finds them
//! already in the log: exactly once. The engine never reads labels (a run being judged must
//! not learn from them); they are in the log for `clawback train` and exports.

use clawback_cases::{ActionKind, CaseAction};

/// Prefix of the event ids of the events fed back from case actions.
pub const ACTION_EVENT_PREFIX: &str = "clawback-action-";

/// The contract's label entities.
pub const LABEL_ENTITIES: &[&str] = &["account", "employee", "seller", "order", "refund", "report"];

/// What the target of an action is, as far as the service can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// One of [`LABEL_ENTITIES`], or `None` when the target is none of them.
    pub entity: Option<&'static str>,
    /// The contract `kind` of the scheme (from the alert naming the target, else the case's
    /// first alert).
    pub kind: Option<String>,
}

/// The label `kind` of an alert kind: the contract's scheme names where one alert kind
/// corresponds to one (`fraud_ring` → `refund_service`, `phishing_campaign` → `phishing`,
/// `data_exfiltration` → `data_selling`), else the alert kind itself (`insider_collusion`,
/// `ban_evasion`, … are already scheme names).
pub fn label_kind(alert_kind: &str) -> String {
    match alert_kind {
        "fraud_ring" => "refund_service",
        "phishing_campaign" => "phishing",
        "data_exfiltration" => "data_selling",
        other => other,
    }
    .to_string()
}

/// Whether an action kind appends any event.
pub fn feeds_back(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::CloseAccount | ActionKind::Escalate | ActionKind::MarkLegit
    )
}

/// The contract lines (JSON) an action appends to the log, in order.
pub fn action_events(a: &CaseAction, target: &Target) -> Vec<String> {
    let mut out = Vec::new();
    let verdict = match a.action {
        ActionKind::CloseAccount | ActionKind::Escalate => Some("fraud"),
        ActionKind::MarkLegit => Some("legit"),
        _ => None,
    };
    if a.action == ActionKind::CloseAccount && target.entity == Some("account") {
        let v = serde_json::json!({
            "event_id": format!("{ACTION_EVENT_PREFIX}{}-closed", a.action_id),
            "type": "account_closed",
            "ts": a.ts,
            "account_id": a.target,
            "reason": format!("{}: close_account by {}", a.case_id, a.who),
            "by": "retailer",
        });
        out.push(v.to_string());
    }
    if let (Some(verdict), Some(entity)) = (verdict, target.entity) {
        let mut v = serde_json::json!({
            "event_id": format!("{ACTION_EVENT_PREFIX}{}-label", a.action_id),
            "type": "label",
            "ts": a.ts,
            "entity": entity,
            "id": a.target,
            "label": verdict,
            "group": a.case_id,
            "source": "case_action",
        });
        if let (Some(k), Some(obj)) = (&target.kind, v.as_object_mut()) {
            obj.insert("kind".into(), serde_json::Value::String(k.clone()));
        }
        out.push(v.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clawback_events::{Body, parse_line};

    fn action(kind: ActionKind) -> CaseAction {
        CaseAction {
            action_id: 7,
            case_id: "case-3".into(),
            action: kind,
            target: "acct-9".into(),
            who: "ivy".into(),
            ts: "2026-11-23T10:00:00Z".into(),
            note: None,
        }
    }

    #[test]
    fn close_account_bans_and_labels_with_contract_events() {
        let t = Target {
            entity: Some("account"),
            kind: Some(label_kind("fraud_ring")),
        };
        let lines = action_events(&action(ActionKind::CloseAccount), &t);
        assert_eq!(lines.len(), 2);
        let closed = parse_line(lines[0].as_bytes()).unwrap();
        assert_eq!(closed.event_id, "clawback-action-7-closed");
        match closed.body {
            Body::AccountClosed(c) => {
                assert_eq!(c.account_id, "acct-9");
                assert_eq!(
                    c.by.map(|b| b.as_str().to_string()).as_deref(),
                    Some("retailer")
                );
            }
            other => panic!("{other:?}"),
        }
        let label = parse_line(lines[1].as_bytes()).unwrap();
        match label.body {
            Body::Label(l) => {
                assert_eq!(l.id, "acct-9");
                assert_eq!(l.label.as_str(), "fraud");
                assert_eq!(l.kind.as_deref(), Some("refund_service"));
                assert_eq!(l.group.as_deref(), Some("case-3"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn verdicts_by_action_and_no_label_for_unknown_targets() {
        let t = Target {
            entity: Some("employee"),
            kind: Some("insider_collusion".into()),
        };
        let legit = action_events(&action(ActionKind::MarkLegit), &t);
        assert_eq!(legit.len(), 1, "no account_closed for an employee");
        assert!(legit[0].contains("\"label\":\"legit\""));
        assert!(action_events(&action(ActionKind::Escalate), &t)[0].contains("\"fraud\""));
        assert!(action_events(&action(ActionKind::HoldRefunds), &t).is_empty());
        let unknown = Target {
            entity: None,
            kind: None,
        };
        assert!(action_events(&action(ActionKind::CloseAccount), &unknown).is_empty());
        assert_eq!(label_kind("insider_collusion"), "insider_collusion");
    }
}
