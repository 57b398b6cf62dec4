//! Turns signals into a score and a decision.
//!
//! The score is a logistic function of a per-point prior plus the signals' log-odds, so
//! each signal's weight reads directly as "how much more likely fraud" and the most
//! important reasons are simply the largest weights. Thresholds map the score to the
//! contract's outcomes. A later issue replaces the hand weights with a trained model and a
//! cost-based policy; this shape (signals in, score + ordered reasons out) stays.

use crate::detector::Signal;
use clawback_events::output::{Outcome, Point, Reason};

/// Prior log-odds and outcome thresholds for one decision point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointPolicy {
    /// Log-odds of fraud before any signal.
    pub prior: f64,
    /// Score at or above which the second, third and fourth outcomes of the point apply
    /// (`hold`/`review`/`deny`, `review`/`block`, `suspicious`/`phishing`); unused entries
    /// are above 1.
    pub thresholds: [f64; 3],
}

/// Policies for every point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub refund: PointPolicy,
    pub signup: PointPolicy,
    pub report: PointPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            // approve < 0.5 <= hold < 0.8 <= review < 0.97 <= deny
            refund: PointPolicy {
                prior: -3.0,
                thresholds: [0.5, 0.8, 0.97],
            },
            // allow < 0.5 <= review < 0.9 <= block
            signup: PointPolicy {
                prior: -4.0,
                thresholds: [0.5, 0.9, 2.0],
            },
            // benign < 0.4 <= suspicious < 0.75 <= phishing
            report: PointPolicy {
                prior: -2.0,
                thresholds: [0.4, 0.75, 2.0],
            },
        }
    }
}

/// A scored decision before it is stamped with an id and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Policy {
    pub fn for_point(&self, point: Point) -> &PointPolicy {
        match point {
            Point::Refund => &self.refund,
            Point::Signup => &self.signup,
            Point::Report => &self.report,
        }
    }

    /// Scores `signals` and picks the outcome. `can_hold` is false when there is no return
    /// to wait for (a "not received" claim), in which case a hold becomes a review.
    pub fn decide(&self, point: Point, mut signals: Vec<Signal>, can_hold: bool) -> Verdict {
        let p = self.for_point(point);
        let logit = p.prior + signals.iter().map(|s| s.weight).sum::<f64>();
        let score = sigmoid(logit);
        let outcomes = point.outcomes();
        let level = p.thresholds.iter().take_while(|&&t| score >= t).count();
        let mut outcome = outcomes[level.min(outcomes.len() - 1)];
        if outcome == Outcome::Hold && !can_hold {
            outcome = Outcome::Review;
        }
        // Most important first; ties broken by code so the order is deterministic.
        signals.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.code.cmp(b.code))
        });
        let mut reasons: Vec<Reason> = signals
            .into_iter()
            .filter(|s| s.weight > 0.0)
            .map(|s| Reason::new(s.code, s.detail))
            .collect();
        if !outcome.is_passing() && reasons.is_empty() {
            reasons.push(Reason::new(
                "score_above_threshold",
                format!(
                    "score {score:.2} is above the {point:?} threshold {:.2}",
                    p.thresholds[0]
                ),
            ));
        }
        Verdict {
            outcome,
            score,
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_evidence_passes_and_strong_evidence_escalates_with_reasons_in_weight_order() {
        let p = Policy::default();
        let v = p.decide(Point::Refund, vec![], true);
        assert_eq!(v.outcome, Outcome::Approve);
        assert!(v.reasons.is_empty());
        let v = p.decide(
            Point::Refund,
            vec![
                Signal::new("assisted_channel", 0.4, "chat"),
                Signal::new("no_carrier_scan", 3.5, "9 days"),
            ],
            true,
        );
        assert_eq!(v.outcome, Outcome::Hold);
        assert_eq!(v.reasons[0].code, "no_carrier_scan");
        let v = p.decide(Point::Refund, vec![Signal::new("x", 3.5, "")], false);
        assert_eq!(v.outcome, Outcome::Review, "nothing to hold for");
        let v = p.decide(
            Point::Signup,
            vec![Signal::new("linked_to_banned_account", 9.0, "")],
            true,
        );
        assert_eq!(v.outcome, Outcome::Block);
    }
}

/// The money behind refund decisions, read from the policy file (`clawback replay
/// --policy FILE`) or chosen by `clawback train` and stored in the model.
///
/// A refund is held when the expected loss of paying it now (score × amount) is larger
/// than what holding costs if the customer is honest ((1 − score) × `hold_cost_usd`):
/// dear, doubtful refunds wait for the parcel; cheap or clean ones are paid at once.
/// Review and deny are bars on the score alone, because they put a person or a refusal
/// in front of the customer whatever the amount.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RefundCosts {
    /// What delaying an honest customer's refund costs the retailer (contacts, goodwill),
    /// in US dollars.
    pub hold_cost_usd: f64,
    /// What a person's review costs, in US dollars; used instead of `hold_cost_usd` when
    /// there is no return parcel to wait for (a "never arrived" claim).
    pub review_cost_usd: f64,
    /// Never hold below this score, whatever the amount.
    pub min_hold_score: f64,
    /// Send to a person at or above this score.
    pub review_bar: f64,
    /// Deny at or above this score; kept very high because a wrong denial hurts an honest
    /// customer most.
    pub deny_bar: f64,
}

impl Default for RefundCosts {
    fn default() -> Self {
        Self {
            hold_cost_usd: 40.0,
            review_cost_usd: 80.0,
            min_hold_score: 0.05,
            review_bar: 0.9,
            deny_bar: 0.995,
        }
    }
}

impl RefundCosts {
    /// The outcome for a calibrated fraud probability `score` on `amount_usd`.
    pub fn outcome(&self, score: f64, amount_usd: f64, can_hold: bool) -> Outcome {
        if score >= self.deny_bar {
            return Outcome::Deny;
        }
        if score >= self.review_bar {
            return Outcome::Review;
        }
        let expected_loss = score * amount_usd;
        if score >= self.min_hold_score {
            if can_hold && expected_loss > (1.0 - score) * self.hold_cost_usd {
                return Outcome::Hold;
            }
            if !can_hold && expected_loss > (1.0 - score) * self.review_cost_usd {
                return Outcome::Review;
            }
        }
        Outcome::Approve
    }

    /// Checks the numbers make sense, naming the field to fix.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("hold_cost_usd", self.hold_cost_usd),
            ("review_cost_usd", self.review_cost_usd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "{name} must be a non-negative number of dollars, got {v}"
                ));
            }
        }
        for (name, v) in [
            ("min_hold_score", self.min_hold_score),
            ("review_bar", self.review_bar),
            ("deny_bar", self.deny_bar),
        ] {
            if !(0.0..=1.01).contains(&v) {
                return Err(format!("{name} must be a score between 0 and 1, got {v}"));
            }
        }
        if self.deny_bar < self.review_bar {
            return Err(format!(
                "deny_bar ({}) is below review_bar ({}): deny must need more confidence than review",
                self.deny_bar, self.review_bar
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn dear_doubtful_refunds_wait_and_cheap_ones_pass() {
        let c = RefundCosts::default();
        assert_eq!(c.outcome(0.2, 2_000.0, true), Outcome::Hold);
        assert_eq!(c.outcome(0.2, 20.0, true), Outcome::Approve);
        assert_eq!(
            c.outcome(0.01, 5_000.0, true),
            Outcome::Approve,
            "below min_hold_score"
        );
        assert_eq!(
            c.outcome(0.2, 2_000.0, false),
            Outcome::Review,
            "nothing to hold"
        );
        assert_eq!(c.outcome(0.95, 10.0, true), Outcome::Review);
        assert_eq!(c.outcome(0.999, 10.0, true), Outcome::Deny);
        assert!(c.validate().is_ok());
        let bad = RefundCosts { deny_bar: 0.5, ..c };
        assert!(bad.validate().unwrap_err().contains("deny_bar"));
    }
}
