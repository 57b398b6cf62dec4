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
