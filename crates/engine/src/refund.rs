//! The refund decision: features, the trained model (when there is one), the cost-based
//! policy and the analyst rules, in that order.
//!
//! ```text
//! refund_requested ─► features (point in time) ─► model score + attributions ─┐
//!        └──────────► baseline rules' signals (reason codes, evidence risk) ───┼─► costs ─► analyst rules ─► Decision
//! ```
//! Without a model the baseline rules' logistic score decides, as documented in
//! `policy.rs`; with one, the rules still supply reason codes an investigator recognises.

use crate::detector::Signal;
use crate::features::{
    F, FeatureKind, N_REFUND_FEATURES, REFUND_FEATURES, RefundFeatureState, RefundFeatures,
    describe, refund_feature_index,
};
use crate::policy::{RefundCosts, Verdict};
use clawback_events::output::{Outcome, Reason};
use clawback_events::{Id, RefundRequested};
use clawback_model::TreeModel;
use clawback_rules::{Action, Mode, RuleSet, Schema, Value, VarType};

/// Attributions below this many log-odds are not worth an investigator's attention.
const MIN_ATTRIBUTION: f64 = 0.15;
/// Model-derived reasons per decision.
const MAX_MODEL_REASONS: usize = 3;
/// Reasons per decision: enough to act on, few enough to read.
const MAX_REASONS: usize = 5;
/// A baseline rule and the feature that carries the same evidence: when the rule fired,
/// the feature is not repeated as a second reason.
const SAME_EVIDENCE: &[(&str, &str)] = &[
    ("new_account", "account_age_days"),
    ("high_value", "amount_usd"),
    ("high_value", "order_value_usd"),
    ("assisted_channel", "channel_assisted"),
    ("claim_contradicts_delivery", "delivery_proof_photo"),
    ("claim_contradicts_delivery", "delivery_gps_match"),
    ("claim_contradicts_delivery", "delivery_signature"),
    ("no_carrier_scan", "return_unscanned_days"),
    ("no_carrier_scan", "return_carrier_scanned"),
    ("operator_footprint", "contact_operator_accounts_30d"),
    ("carrier_weight_mismatch", "return_accepted_weight_ratio"),
    ("return_weight_mismatch", "receipt_weight_ratio"),
    ("empty_or_wrong_return", "receipt_empty_or_wrong"),
    ("frequent_refunds", "account_refund_rate"),
];

/// Names of the rule variables that are not features.
const EXTRA_VARS: &[(&str, VarType, &str)] = &[
    (
        "score",
        VarType::Number,
        "the fraud score in [0, 1] (the model's, or the baseline rules' without a model)",
    ),
    (
        "reason",
        VarType::String,
        "the claim's reason as written in the event (e.g. not_received)",
    ),
    (
        "channel",
        VarType::String,
        "the channel of the request (web, app, chat, phone, email)",
    ),
    (
        "currency",
        VarType::String,
        "the refund's ISO 4217 currency code",
    ),
];

/// The variables analyst rules may read: every refund feature, then [`EXTRA_VARS`].
pub fn rules_schema() -> Schema {
    let mut vars: Vec<(String, VarType, String)> = REFUND_FEATURES
        .iter()
        .map(|f| {
            let t = match f.kind {
                FeatureKind::Number => VarType::Number,
                FeatureKind::Bool => VarType::Bool,
            };
            (f.name.to_string(), t, f.meaning.to_string())
        })
        .collect();
    vars.extend(
        EXTRA_VARS
            .iter()
            .map(|(n, t, m)| (n.to_string(), *t, m.to_string())),
    );
    Schema::new(vars)
}

/// The baseline's signals from the refund-service footprint, which only the feature state
/// sees (support contacts across accounts, the carrier's weight). Hand-set log-odds like
/// the rest of the baseline (see `baseline.rs`); a trained model learns its own.
pub(crate) fn footprint_signals(v: &RefundFeatures, out: &mut Vec<Signal>) {
    let get = |f: F| v[f as usize];
    let operator = get(F::ContactOperatorAccounts30d);
    if operator >= 2.0 {
        out.push(Signal::new(
            "operator_footprint",
            1.0 + 0.4 * f64::from(operator.min(8.0)),
            describe(F::ContactOperatorAccounts30d as usize, operator),
        ));
    }
    let unverified = get(F::ContactVerified) < 0.5;
    for f in [F::ContactDeviceForeign, F::ContactPhoneForeign] {
        if get(f) >= 0.5 && unverified {
            out.push(Signal::new(
                "unverified_contact_from_stranger",
                0.8,
                format!("{}, identity not verified", describe(f as usize, 1.0)),
            ));
            break;
        }
    }
    let accepted = get(F::ReturnAcceptedWeightRatio);
    if accepted < 0.5 {
        out.push(Signal::new(
            "carrier_weight_mismatch",
            0.8,
            describe(F::ReturnAcceptedWeightRatio as usize, accepted),
        ));
    }
}

/// A rule that fired on a refund request.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub refund_id: Id,
    /// Index in the rule file.
    pub rule: usize,
    pub rule_id: String,
    pub action: Action,
    pub mode: Mode,
    /// The action changed the decision (enforce rules only).
    pub applied: bool,
}

/// A trained model bound to this build's feature registry by name, so a model trained on
/// an older registry still serves (a feature it knows that we no longer compute is fed as
/// missing).
#[derive(Debug)]
struct Bound {
    model: TreeModel,
    /// For each model feature, its index in our vector.
    map: Vec<Option<usize>>,
    x: Vec<f32>,
    contrib: Vec<f64>,
}

impl Bound {
    fn new(model: TreeModel) -> Self {
        let map: Vec<Option<usize>> = model
            .features
            .iter()
            .map(|f| refund_feature_index(&f.name))
            .collect();
        let n = model.forest.n_features();
        Self {
            model,
            map,
            x: vec![f32::NAN; n],
            contrib: vec![0.0; n],
        }
    }

    /// Score and attributions (indexed by *our* feature index).
    fn score(&mut self, v: &RefundFeatures, attributions: &mut [f64; N_REFUND_FEATURES]) -> f64 {
        for (j, m) in self.map.iter().enumerate() {
            if let Some(slot) = self.x.get_mut(j) {
                *slot = m.map_or(f32::NAN, |i| v[i]);
            }
        }
        // One walk per tree: path attributions sum exactly to the logit (the model crate
        // tests it), so scoring separately would walk every tree twice (measured: p99
        // 61 µs with both, see README).
        let bias = self.model.forest.contributions(&self.x, &mut self.contrib);
        let logit = bias + self.contrib.iter().sum::<f64>();
        attributions.fill(0.0);
        for (j, m) in self.map.iter().enumerate() {
            if let (Some(i), Some(c)) = (m, self.contrib.get(j)) {
                attributions[*i] += c;
            }
        }
        1.0 / (1.0 + (-logit).exp())
    }
}

/// Everything the refund decision needs besides the shared facts.
#[derive(Debug, Default)]
pub struct RefundScorer {
    pub(crate) state: RefundFeatureState,
    model: Option<Bound>,
    rules: Option<RuleSet>,
    costs: Option<RefundCosts>,
    /// Hand the feature vector of every request to the caller (training export).
    pub(crate) capture: bool,
    rule_errors: u64,
    fired: Vec<usize>,
}

/// What one refund decision produced besides the verdict.
#[derive(Debug, Default)]
pub(crate) struct RefundExtras {
    pub features: Option<Box<RefundFeatures>>,
    pub hits: Vec<RuleHit>,
}

fn severity(o: Outcome) -> u8 {
    match o {
        Outcome::Approve => 0,
        Outcome::Hold => 1,
        Outcome::Review => 2,
        Outcome::Deny => 3,
        _ => 0,
    }
}

impl RefundScorer {
    pub fn set_model(&mut self, model: Option<TreeModel>) {
        self.model = model.map(Bound::new);
    }

    pub fn model(&self) -> Option<&TreeModel> {
        self.model.as_ref().map(|b| &b.model)
    }

    pub fn set_rules(&mut self, rules: Option<RuleSet>) {
        self.rules = rules;
    }

    /// Whether anything downstream reads the identity-graph features.
    pub(crate) fn reads_graph_features(&self) -> bool {
        self.model.is_some() || self.rules.is_some() || self.capture
    }

    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// Costs from the policy file override the ones the model was trained with.
    pub fn set_costs(&mut self, costs: Option<RefundCosts>) {
        self.costs = costs;
    }

    /// The costs in force: the policy file's, else the model's chosen ones, else defaults.
    pub fn costs(&self) -> RefundCosts {
        if let Some(c) = self.costs {
            return c;
        }
        let mut c = RefundCosts::default();
        if let Some(m) = self.model() {
            let t = &m.thresholds;
            for (key, slot) in [
                ("hold_cost_usd", &mut c.hold_cost_usd),
                ("review_cost_usd", &mut c.review_cost_usd),
                ("min_hold_score", &mut c.min_hold_score),
                ("review_bar", &mut c.review_bar),
                ("deny_bar", &mut c.deny_bar),
            ] {
                if let Some(v) = t.get(key) {
                    *slot = *v;
                }
            }
        }
        c
    }

    /// Runtime errors of rule evaluation so far (a rule comparing a missing value).
    pub fn rule_errors(&self) -> u64 {
        self.rule_errors
    }

    /// Decides one refund request. `baseline` is the baseline verdict from the signals
    /// (used as the decision without a model); `signals` are the rules' reason codes.
    pub(crate) fn decide(
        &mut self,
        r: &RefundRequested,
        v: RefundFeatures,
        baseline: Verdict,
        signals: &[Signal],
        can_hold: bool,
    ) -> (Verdict, RefundExtras) {
        let mut extras = RefundExtras::default();
        let amount = v[F::AmountUsd as usize] as f64;
        // The evidence risk the employees who act on this refund are later judged by: the
        // baseline rules' verdict, independent of the model in use.
        self.state.note_refund_risk(r, baseline.score >= 0.5);
        let costs = self.costs();
        let mut verdict = match self.model.as_mut() {
            None => baseline,
            Some(bound) => {
                let mut attr = [0.0f64; N_REFUND_FEATURES];
                let score = bound.score(&v, &mut attr);
                let mut outcome = costs.outcome(score, amount, can_hold);
                if outcome == Outcome::Hold && !can_hold {
                    outcome = Outcome::Review;
                }
                let mut weighted: Vec<(f64, Reason)> = signals
                    .iter()
                    .filter(|s| s.weight > 0.0)
                    .map(|s| (s.weight, Reason::new(s.code, s.detail.clone())))
                    .collect();
                let mut top: Vec<(usize, f64)> = attr
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, c)| *c >= MIN_ATTRIBUTION)
                    .collect();
                top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                for (i, c) in top.into_iter().take(MAX_MODEL_REASONS) {
                    let name = REFUND_FEATURES[i].name;
                    let covered = weighted.iter().any(|(_, r)| {
                        r.code == name
                            || SAME_EVIDENCE
                                .iter()
                                .any(|(code, f)| *f == name && r.code == *code)
                    });
                    if covered {
                        continue;
                    }
                    weighted.push((c, Reason::new(name, describe(i, v[i]))));
                }
                weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.code.cmp(&b.1.code)));
                let mut reasons: Vec<Reason> = weighted
                    .into_iter()
                    .take(MAX_REASONS)
                    .map(|(_, r)| r)
                    .collect();
                if !outcome.is_passing() && reasons.is_empty() {
                    reasons.push(Reason::new(
                        "model_score",
                        format!("the model scores this refund {score:.2}"),
                    ));
                }
                Verdict {
                    outcome,
                    score,
                    reasons,
                }
            }
        };
        if let Some(rules) = &self.rules {
            self.fired.clear();
            let mut errors = 0;
            {
                let mut values: Vec<Value<'_>> = Vec::with_capacity(N_REFUND_FEATURES + 4);
                for (def, x) in REFUND_FEATURES.iter().zip(v.iter()) {
                    values.push(if x.is_nan() {
                        Value::Missing
                    } else {
                        match def.kind {
                            FeatureKind::Number => Value::Number(*x as f64),
                            FeatureKind::Bool => Value::Bool(*x >= 0.5),
                        }
                    });
                }
                values.push(Value::Number(verdict.score));
                values.push(Value::Str(r.reason.as_str()));
                values.push(Value::Str(r.channel.as_str()));
                values.push(Value::Str(r.money.currency.as_str()));
                rules.evaluate(&values, &mut self.fired, &mut errors);
            }
            self.rule_errors += errors;
            let mut strongest: Option<(Outcome, usize)> = None;
            let mut approve: Option<usize> = None;
            let mut tags: Vec<usize> = Vec::new();
            for &i in &self.fired {
                let Some(rule) = rules.rules().get(i) else {
                    continue;
                };
                if rule.mode == Mode::Shadow {
                    continue;
                }
                match &rule.action {
                    Action::Approve => approve = approve.or(Some(i)),
                    Action::Tag(_) => tags.push(i),
                    a => {
                        let o = match a {
                            Action::Hold if can_hold => Outcome::Hold,
                            Action::Hold | Action::Review => Outcome::Review,
                            _ => Outcome::Deny,
                        };
                        if strongest.is_none_or(|(s, _)| severity(o) > severity(s)) {
                            strongest = Some((o, i));
                        }
                    }
                }
            }
            let mut applied: Vec<usize> = Vec::new();
            match (strongest, approve) {
                (Some((o, i)), _) => {
                    if severity(o) > severity(verdict.outcome) {
                        verdict.outcome = o;
                    }
                    applied.push(i);
                }
                (None, Some(i)) => {
                    verdict.outcome = Outcome::Approve;
                    applied.push(i);
                }
                (None, None) => {}
            }
            applied.extend(tags.iter().copied());
            // Rule reasons go first: the analyst's words are what the investigator acts on.
            let mut first: Vec<Reason> = applied
                .iter()
                .filter_map(|&i| rules.rules().get(i))
                .map(|rule| {
                    Reason::new(
                        &rule.reason,
                        rule.detail
                            .clone()
                            .unwrap_or_else(|| format!("analyst rule {}", rule.id)),
                    )
                })
                .collect();
            if !first.is_empty() {
                first.extend(verdict.reasons.drain(..).filter(|r| {
                    !applied
                        .iter()
                        .filter_map(|&i| rules.rules().get(i))
                        .any(|rule| rule.reason == r.code.as_str())
                }));
                verdict.reasons = first;
            }
            for &i in &self.fired {
                if let Some(rule) = rules.rules().get(i) {
                    extras.hits.push(RuleHit {
                        refund_id: r.refund_id.clone(),
                        rule: i,
                        rule_id: rule.id.clone(),
                        action: rule.action.clone(),
                        mode: rule.mode,
                        applied: applied.contains(&i),
                    });
                }
            }
        }
        if self.capture {
            extras.features = Some(Box::new(v));
        }
        (verdict, extras)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_rules_load_against_the_engines_variables() {
        let src = include_str!("../../rules/examples/rules.toml");
        let set = RuleSet::parse(src, "rules.toml", &rules_schema());
        assert!(set.is_ok(), "{:?}", set.err().map(|e| e.to_string()));
    }

    #[test]
    fn footprint_signals_name_the_operator_and_the_light_parcel() {
        let mut v = [f32::NAN; N_REFUND_FEATURES];
        v[F::ContactOperatorAccounts30d as usize] = 5.0;
        v[F::ContactVerified as usize] = 0.0;
        v[F::ContactDeviceForeign as usize] = 1.0;
        v[F::ReturnAcceptedWeightRatio as usize] = 0.1;
        let mut out = Vec::new();
        footprint_signals(&v, &mut out);
        let codes: Vec<&str> = out.iter().map(|s| s.code).collect();
        assert_eq!(
            codes,
            [
                "operator_footprint",
                "unverified_contact_from_stranger",
                "carrier_weight_mismatch"
            ]
        );
        assert!(
            out[0].detail.contains("5 other accounts"),
            "{}",
            out[0].detail
        );
        let mut none = Vec::new();
        footprint_signals(&[f32::NAN; N_REFUND_FEATURES], &mut none);
        assert!(none.is_empty(), "missing evidence is not evidence");
    }
}
