//! Clawback's engine: a deterministic function from the ordered event log to decisions and
//! alerts.
//!
//! ```text
//! event ──► decision point? ──► every detector's assess() ──► policy ──► Decision
//!   │                                   (facts *before* the event)
//!   └─────► facts.absorb() ──► every detector's observe() ──► alerts
//! ```
//! Invariants: no I/O, no clock, no randomness; hash maps are looked up, never iterated
//! into output; a decision sees only events applied before it (the caller orders them
//! with [`Sequencer`]).

mod baseline;
mod communities;
mod detector;
mod exfil;
mod facts;
pub mod features;
mod graph;
mod insider;
mod intel;
mod keys;
mod money;
mod policy;
mod refund;
mod scam;
mod sequencer;

pub use baseline::{RefundRules, ReturnAnomalies};
pub use clawback_scam::Protected;
pub use detector::{AlertSink, Detector, Signal};
pub use exfil::Exfiltration;
pub use facts::{Account, Delivery, FactSizes, Facts, Order, Receipt, Return};
pub use graph::{GraphFacts, IdentityGraph};
pub use insider::Insiders;
pub use intel::{Intel, IntelStats};
pub use money::usd_cents;
pub use policy::{PointPolicy, Policy, RefundCosts, Verdict};
pub use refund::{RefundScorer, RuleHit, rules_schema};
pub use scam::{
    Campaigns, DEFAULT_CONFIDENT_LOGIT, MAX_CONFIDENT_LOGIT, MIN_CONFIDENT_LOGIT, PHISHING_WEIGHT,
    ScamReports, TEXT_MODEL_MAX, TEXT_MODEL_MIN, UnknownTextFeatures, report_text_features,
    scam_signals, text_model_scale, text_model_weight,
};
pub use sequencer::{DEFAULT_SLACK_MS, Sequencer};

use clawback_events::output::{Alert, Decision, Point};
use clawback_events::{Body, Event};

/// What one event produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outputs {
    pub decisions: Vec<Decision>,
    pub alerts: Vec<Alert>,
    /// The refund request's feature vector, when capture is on (training export).
    pub features: Option<Box<features::RefundFeatures>>,
    /// Analyst rules that fired on the refund request, enforced or in shadow.
    pub rule_hits: Vec<RuleHit>,
}

/// Counters for the run summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    pub events: u64,
    pub decisions: u64,
    pub alerts: u64,
}

/// The engine: facts, detectors and the policy. See the crate documentation.
#[derive(Debug)]
pub struct Engine {
    facts: Facts,
    detectors: Vec<Box<dyn Detector>>,
    policy: Policy,
    refund: RefundScorer,
    graph: IdentityGraph,
    /// Employees: collusion and credential misuse (needs refund scores and the graph, so
    /// it is not a plain [`Detector`]).
    insiders: Insiders,
    insiders_on: bool,
    /// Threat intelligence: posts matched to orders (owned here, not a plain [`Detector`],
    /// because the refund features and the ring read what it matched).
    intel: Intel,
    stats: EngineStats,
}

impl Default for Engine {
    fn default() -> Self {
        Self::baseline()
    }
}

/// A decision point: which point, the id the decision answers, and whether there is a
/// return to hold the refund for.
#[derive(Debug, Clone, Copy)]
pub struct PointOf<'a> {
    pub point: Point,
    pub id: &'a clawback_events::Id,
    pub can_hold: bool,
}

/// Which decision point an event is, if any.
pub fn decision_point(ev: &Event) -> Option<PointOf<'_>> {
    match &ev.body {
        Body::RefundRequested(r) => Some(PointOf {
            point: Point::Refund,
            id: &r.refund_id,
            can_hold: r.return_id.is_some(),
        }),
        Body::AccountCreated(a) => Some(PointOf {
            point: Point::Signup,
            id: &a.account_id,
            can_hold: false,
        }),
        Body::MessageReported(m) => Some(PointOf {
            point: Point::Report,
            id: &m.report_id,
            can_hold: false,
        }),
        _ => None,
    }
}

impl Engine {
    /// The engine with the baseline detectors and the default policy.
    pub fn baseline() -> Self {
        Self::with_detectors(
            vec![
                Box::new(RefundRules),
                Box::new(ScamReports::default()),
                Box::new(ReturnAnomalies),
                Box::new(Exfiltration::default()),
            ],
            Policy::default(),
        )
    }

    /// An engine with the given detectors, called in this order.
    pub fn with_detectors(detectors: Vec<Box<dyn Detector>>, policy: Policy) -> Self {
        Self {
            facts: Facts::default(),
            detectors,
            policy,
            refund: RefundScorer::default(),
            graph: IdentityGraph::default(),
            insiders: Insiders::default(),
            insiders_on: true,
            intel: Intel::default(),
            stats: EngineStats::default(),
        }
    }

    /// The refund side: set a trained model, analyst rules or costs here.
    pub fn refund_mut(&mut self) -> &mut RefundScorer {
        &mut self.refund
    }

    pub fn refund(&self) -> &RefundScorer {
        &self.refund
    }

    /// Turns the insider detector on (the default) or off; benchmarks compare the two.
    pub fn set_insiders(&mut self, on: bool) {
        self.insiders_on = on;
    }

    /// Makes every refund decision hand its feature vector back in [`Outputs::features`].
    pub fn capture_features(&mut self, on: bool) {
        self.refund.capture = on;
    }

    /// Applies one event: decides it if it is a decision point, then absorbs it.
    pub fn apply(&mut self, ev: &Event) -> Outputs {
        let mut out = Outputs::default();
        self.stats.events += 1;
        if let Some(PointOf {
            point,
            id,
            can_hold,
        }) = decision_point(ev)
        {
            let mut signals = Vec::new();
            for d in &mut self.detectors {
                d.assess(&self.facts, point, ev, &mut signals);
            }
            if let Body::AccountCreated(a) = &ev.body {
                self.graph.assess_signup(a, ev, &mut signals);
            }
            let v = if let Body::RefundRequested(r) = &ev.body {
                // Only the model, analyst rules and the training export read the graph
                // features; the baseline's signals do not, so it skips the walk.
                let graph = if self.refund.reads_graph_features() {
                    self.graph.account_facts(&r.account_id)
                } else {
                    GraphFacts::default()
                };
                let mut features = self
                    .refund
                    .state
                    .compute(&self.facts, r, ev.ts.unix_ms, graph);
                self.intel.refund_features(
                    r,
                    ev.ts.unix_ms,
                    &self.facts,
                    &mut self.graph,
                    &mut features,
                );
                refund::footprint_signals(&features, &mut signals);
                let baseline = self.policy.decide(point, signals.clone(), can_hold);
                let (verdict, extras) = self
                    .refund
                    .decide(r, features, baseline, &signals, can_hold);
                out.features = extras.features;
                out.rule_hits = extras.hits;
                // Insiders: the employees who act on this refund are judged by its score.
                self.insiders
                    .note_refund_decision(&r.refund_id, verdict.score, verdict.outcome);
                verdict
            } else {
                self.policy.decide(point, signals, can_hold)
            };
            // The policy always supplies a reason for non-passing outcomes and picks
            // outcomes from the point's own list, so this cannot fail; if it ever did, the
            // decision point would be reported as missing rather than crash the run.
            if let Ok(d) = Decision::new(
                point,
                id.clone(),
                v.outcome,
                v.score,
                v.reasons,
                ev.ts.raw.clone(),
            ) {
                out.decisions.push(d);
            }
        }
        self.facts.absorb(ev);
        self.refund.state.absorb(ev);
        self.note_outcomes(ev);
        let mut sink = AlertSink::default();
        self.graph.observe(ev, &mut sink);
        for d in &mut self.detectors {
            d.observe(&self.facts, ev, &mut sink);
        }
        self.intel.observe(&self.facts, ev, &mut sink);
        // Insiders: after the graph, so that a refund sees its account's ring.
        if self.insiders_on {
            self.insiders
                .observe(&self.facts, &mut self.graph, ev, &mut sink);
        }
        out.alerts = sink.alerts;
        self.stats.decisions += out.decisions.len() as u64;
        self.stats.alerts += out.alerts.len() as u64;
        out
    }

    /// Ends a finite input (replay, demo): what detectors hold back for later events is
    /// raised now, stamped with `last`'s time (the last event applied). A live service
    /// never calls it: its stream goes on. Call it once, after the last `apply`.
    pub fn finish(&mut self, last: &Event) -> Outputs {
        let mut sink = AlertSink::default();
        for d in &mut self.detectors {
            d.finish(last, &mut sink);
        }
        let out = Outputs {
            alerts: sink.alerts,
            ..Outputs::default()
        };
        self.stats.alerts += out.alerts.len() as u64;
        out
    }

    /// Tells the graph about fraud outcomes the facts just learnt, so that the accounts
    /// linked to this one see them (`neighbour_fraud_share`).
    fn note_outcomes(&mut self, ev: &Event) {
        let order = match &ev.body {
            Body::Chargeback(c) => Some(&c.order_id),
            Body::ReturnReceived(r) => self
                .facts
                .returns
                .get(&r.return_id)
                .filter(|x| x.receipt.as_ref().is_some_and(|p| p.empty_or_wrong))
                .map(|x| &x.order_id),
            _ => None,
        };
        if let Some(account) = order
            .and_then(|o| self.facts.orders.get(o))
            .map(|o| &o.account_id)
        {
            self.graph.note_outcome(account);
        }
    }

    /// Sizes the tables that grow with accounts for about `accounts` of them, so that the
    /// first hours of a service do not pay for rehashing multi-megabyte tables inside a
    /// decision (growing a table is what the slowest signups were doing). Optional: without
    /// it the tables grow as they must, with the same outputs.
    pub fn reserve_accounts(&mut self, accounts: usize) {
        self.facts.accounts.reserve(accounts);
        self.graph.reserve_accounts(accounts);
    }

    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Threat intelligence counters (posts read, matches, ambiguous ids).
    pub fn intel_stats(&self) -> IntelStats {
        self.intel.stats()
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Names of the registered detectors, in call order.
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.name()).collect()
    }
}

#[cfg(test)]
mod tests;
