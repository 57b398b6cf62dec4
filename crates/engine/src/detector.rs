//! The seam for detectors.
//!
//! A detector owns its state, reads the shared [`Facts`], contributes [`Signal`]s to
//! decision points and raises alerts. The engine calls every detector in registration order
//! for every event, so adding one (rings, insiders, phishing, intel) touches no other.

use crate::facts::Facts;
use clawback_events::output::{Alert, Point, Reason};
use clawback_events::{Event, Id};

/// One piece of evidence for a decision, in log-odds: positive raises the fraud score,
/// negative lowers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Stable `snake_case` reason code.
    pub code: &'static str,
    pub weight: f64,
    pub detail: String,
}

impl Signal {
    pub fn new(code: &'static str, weight: f64, detail: impl Into<String>) -> Self {
        Self {
            code,
            weight,
            detail: detail.into(),
        }
    }
}

/// Collects alerts, giving each new one a stable id.
#[derive(Debug, Default)]
pub struct AlertSink {
    pub(crate) alerts: Vec<Alert>,
}

impl AlertSink {
    /// Drops collected alerts (benchmarks that only build state).
    pub fn clear(&mut self) {
        self.alerts.clear();
    }

    /// Raises (or re-raises, when `alert_id` was used before) an alert at the time of `ev`.
    /// `alert_id` must be derived from what the alert is about (the ring, the employee, the
    /// return), so that a growing alert keeps its id across runs.
    pub fn raise(
        &mut self,
        ev: &Event,
        alert_id: Id,
        kind: &str,
        score: f64,
        entities: Vec<clawback_events::output::EntityRef>,
        reasons: Vec<Reason>,
    ) {
        self.alerts.push(Alert {
            alert_id,
            kind: Id::from(kind),
            score: clawback_events::output::clamp_score(score),
            entities,
            reasons,
            ts: ev.ts.raw.clone(),
        });
    }
}

/// A detector: see the module documentation.
pub trait Detector: std::fmt::Debug + Send {
    /// A short stable name, used in docs and diagnostics.
    fn name(&self) -> &'static str;

    /// Evidence about a decision point. Called *before* the facts absorb the event, so the
    /// decision sees only what happened before it.
    fn assess(&mut self, _facts: &Facts, _point: Point, _ev: &Event, _signals: &mut Vec<Signal>) {}

    /// Sees every event after the facts absorbed it; may raise alerts.
    fn observe(&mut self, _facts: &Facts, _ev: &Event, _alerts: &mut AlertSink) {}

    /// The input has ended (a replay's last event was applied): raise what a live stream
    /// would have raised on a later event, such as reports waiting for a digest.
    /// `last` is the last event applied; its time stamps the alerts.
    fn finish(&mut self, _last: &Event, _alerts: &mut AlertSink) {}
}
