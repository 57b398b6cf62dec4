//! What Clawback emits: decisions, alerts and quarantine records, in exactly the JSON shape
//! of the contract's "Outputs" section (field names and order included), plus a JSON Lines
//! writer shared by every sink.

use crate::Id;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

/// One reason behind a decision or an alert: a stable code for machines, a detail for
/// people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable `snake_case` identifier; dashboards and rules key on it, so never rename one.
    pub code: Id,
    pub detail: String,
}

impl Reason {
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        Self {
            code: Id::from(code),
            detail: detail.into(),
        }
    }
}

/// Which decision point a decision answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Point {
    Refund,
    Signup,
    Report,
}

impl Point {
    /// The contract name of the point.
    pub fn as_str(self) -> &'static str {
        match self {
            Point::Refund => "refund",
            Point::Signup => "signup",
            Point::Report => "report",
        }
    }

    /// The outcomes the contract allows at this point, from most to least permissive.
    pub fn outcomes(self) -> &'static [Outcome] {
        match self {
            Point::Refund => &[
                Outcome::Approve,
                Outcome::Hold,
                Outcome::Review,
                Outcome::Deny,
            ],
            Point::Signup => &[Outcome::Allow, Outcome::Review, Outcome::Block],
            Point::Report => &[Outcome::Benign, Outcome::Suspicious, Outcome::Phishing],
        }
    }
}

/// A decision value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approve,
    Hold,
    Review,
    Deny,
    Allow,
    Block,
    Benign,
    Suspicious,
    Phishing,
}

impl Outcome {
    /// The contract name of the outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Hold => "hold",
            Outcome::Review => "review",
            Outcome::Deny => "deny",
            Outcome::Allow => "allow",
            Outcome::Block => "block",
            Outcome::Benign => "benign",
            Outcome::Suspicious => "suspicious",
            Outcome::Phishing => "phishing",
        }
    }

    /// Whether this outcome lets the customer through untouched; every other outcome must
    /// carry at least one reason.
    pub fn is_passing(self) -> bool {
        matches!(self, Outcome::Approve | Outcome::Allow | Outcome::Benign)
    }
}

/// Why a decision could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecisionError {
    #[error("decision {outcome:?} is not allowed at the {point:?} point")]
    OutcomeNotAllowed { point: Point, outcome: Outcome },
    #[error("decision {0:?} needs at least one reason")]
    MissingReason(Outcome),
}

/// The answer to one decision point (`decisions.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub point: Point,
    pub id: Id,
    pub decision: Outcome,
    /// Fraud score in [0, 1], higher is riskier.
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// The event time of the decision point, as the retailer wrote it.
    pub ts: Id,
}

/// Clamps to [0, 1] (NaN counts as maximal risk, so a broken score never waves fraud
/// through) and rounds to 6 decimals so outputs stay short and byte-stable.
pub fn clamp_score(score: f64) -> f64 {
    if score.is_nan() {
        return 1.0;
    }
    (score.clamp(0.0, 1.0) * 1e6).round() / 1e6
}

impl Decision {
    /// Builds a decision, enforcing what the contract requires of one: an outcome allowed at
    /// the point, a score in [0, 1], a reason for every non-passing outcome.
    pub fn new(
        point: Point,
        id: Id,
        decision: Outcome,
        score: f64,
        reasons: Vec<Reason>,
        ts: Id,
    ) -> Result<Self, DecisionError> {
        if !point.outcomes().contains(&decision) {
            return Err(DecisionError::OutcomeNotAllowed {
                point,
                outcome: decision,
            });
        }
        if !decision.is_passing() && reasons.is_empty() {
            return Err(DecisionError::MissingReason(decision));
        }
        Ok(Self {
            point,
            id,
            decision,
            score: clamp_score(score),
            reasons,
            ts,
        })
    }
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Account,
    Employee,
    Seller,
    Order,
    Refund,
    Report,
    Device,
    Ip,
    Phone,
    Email,
    Address,
    Payment,
    Post,
    Domain,
}

/// A reference to an entity named by an alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    #[serde(rename = "type")]
    pub kind: EntityType,
    pub id: Id,
}

impl EntityRef {
    pub fn new(kind: EntityType, id: impl Into<Id>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

/// An alert (`alerts.jsonl`). An alert that grows is emitted again with the same
/// `alert_id` and a later `ts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub alert_id: Id,
    /// `fraud_ring`, `insider_collusion`, `return_anomaly`, … (`snake_case`).
    pub kind: Id,
    pub score: f64,
    pub entities: Vec<EntityRef>,
    pub reasons: Vec<Reason>,
    /// The event time of the event that made the evidence sufficient.
    pub ts: Id,
}

/// Longest `raw` excerpt kept in a quarantine record, in bytes of the lossy UTF-8 text.
pub const QUARANTINE_RAW_MAX: usize = 1024;

/// A rejected input line (`quarantine.jsonl`): where it was, what was wrong, what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineRecord {
    /// 1-based line number in the input.
    pub line: u64,
    /// `type.field` at fault, when one field is.
    pub field: Option<String>,
    /// `type.field: reason`, readable on its own.
    pub error: String,
    /// The line as text (invalid UTF-8 replaced by U+FFFD), cut to
    /// [`QUARANTINE_RAW_MAX`] bytes with `…` appended when longer.
    pub raw: String,
    /// The input the line came from, where one quarantine file collects several inputs
    /// (a data directory's `quarantine.jsonl` across `ingest` runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl QuarantineRecord {
    pub fn new(line: u64, invalid: &crate::Invalid, raw: &[u8]) -> Self {
        Self {
            line,
            field: invalid.field.clone(),
            error: invalid.to_string(),
            raw: excerpt(raw, QUARANTINE_RAW_MAX),
            source: None,
        }
    }
}

/// A printable excerpt of untrusted bytes: lossy UTF-8, cut on a character boundary.
pub fn excerpt(raw: &[u8], max: usize) -> String {
    let head = &raw[..raw.len().min(max)];
    let mut text = String::from_utf8_lossy(head).into_owned();
    if raw.len() > max {
        // The cut may have split a multi-byte character into a replacement character;
        // either way mark the cut.
        text.push('…');
    }
    text
}

/// Writes one JSON object per line. Shared by every file sink so that every output has
/// the same framing.
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, written: 0 }
    }

    pub fn write<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.inner, item)?;
        self.inner.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// How many records were written.
    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_serialises_exactly_as_the_contract_shows() {
        let d = Decision::new(
            Point::Refund,
            Id::from("r-1"),
            Outcome::Hold,
            0.93,
            vec![Reason::new(
                "no_carrier_scan",
                "return label created 9 days ago, never scanned",
            )],
            Id::from("2026-11-02T14:03:11Z"),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"point":"refund","id":"r-1","decision":"hold","score":0.93,"reasons":[{"code":"no_carrier_scan","detail":"return label created 9 days ago, never scanned"}],"ts":"2026-11-02T14:03:11Z"}"#
        );
    }

    #[test]
    fn alert_serialises_exactly_as_the_contract_shows() {
        let a = Alert {
            alert_id: Id::from("a-17"),
            kind: Id::from("insider_collusion"),
            score: 0.97,
            entities: vec![EntityRef::new(EntityType::Employee, "emp-042")],
            reasons: vec![Reason::new(
                "risky_approvals",
                "14 approvals of high-risk refunds, peer median 0",
            )],
            ts: Id::from("2026-11-05T09:12:00Z"),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"alert_id":"a-17","kind":"insider_collusion","score":0.97,"entities":[{"type":"employee","id":"emp-042"}],"reasons":[{"code":"risky_approvals","detail":"14 approvals of high-risk refunds, peer median 0"}],"ts":"2026-11-05T09:12:00Z"}"#
        );
    }

    #[test]
    fn decisions_refuse_what_the_contract_forbids() {
        let ts = Id::from("2026-11-02T14:03:11Z");
        assert!(matches!(
            Decision::new(
                Point::Signup,
                Id::from("a"),
                Outcome::Hold,
                0.5,
                vec![],
                ts.clone()
            ),
            Err(DecisionError::OutcomeNotAllowed { .. })
        ));
        assert!(matches!(
            Decision::new(
                Point::Refund,
                Id::from("r"),
                Outcome::Deny,
                0.9,
                vec![],
                ts.clone()
            ),
            Err(DecisionError::MissingReason(Outcome::Deny))
        ));
        let d = Decision::new(
            Point::Report,
            Id::from("p"),
            Outcome::Benign,
            f64::NAN,
            vec![],
            ts,
        )
        .unwrap();
        assert_eq!(d.score, 1.0);
    }

    #[test]
    fn excerpt_survives_invalid_utf8_and_nul_and_is_bounded() {
        let mut raw = vec![0u8, 0xff, 0xfe, b'{'];
        raw.extend(std::iter::repeat_n(b'x', 5000));
        let e = excerpt(&raw, QUARANTINE_RAW_MAX);
        assert!(e.len() <= QUARANTINE_RAW_MAX + 8);
        assert!(e.starts_with('\0'));
        assert!(e.contains('\u{fffd}'));
        assert!(e.ends_with('…'));
        // and it serialises to valid JSON
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), e);
    }
}
