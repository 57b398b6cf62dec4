//! Collusion: per-case evidence against peer rates, a Bernoulli CUSUM, and the
//! `insider_collusion` alert. See the parent module for the method.

use super::profile::{Act, Employee, INDICATORS, Indicator, Peers, Role, llr};
use super::{Insiders, RefundNote};
use crate::detector::AlertSink;
use crate::facts::{Facts, expected_return_weight};
use clawback_events::output::{EntityRef, EntityType, Reason};
use clawback_events::{Event, Id};

/// CUSUM alarm level, in natural log-likelihood ratio: about e^7 ≈ 1,100 to 1 that the
/// recent run of cases came from a colluding rate rather than the peers'.
pub const THRESHOLD: f64 = 7.0;
/// Corroborating facts needed besides the sum: cases sharing an operator with an earlier
/// risky case, flagged refunds pushed through, receipts of parcels that never travelled.
pub const MIN_CORROBORATION: u32 = 2;
/// Risky cases needed before anyone is accused.
pub const MIN_RISKY: u32 = 3;
/// Weight, in cases, of the peers' rate in the Beta prior of an employee's own rate.
const PRIOR_WEIGHT: f64 = 10.0;
/// The employee's shrunk rate must stand this many posterior standard deviations above the
/// peers' (one-sided 95%).
const MIN_Z: f64 = 1.645;
/// Alerts per employee: the first, then each time the risky cases grew by
/// [`REEMIT_EVERY`], up to this many.
const MAX_ALERTS: u32 = 8;
const REEMIT_EVERY: u32 = 5;

/// What an employee did to a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActKind {
    Raise,
    Approve,
    OverrideHold,
    Issue,
    IssueOverride,
}

impl ActKind {
    fn words(self) -> &'static str {
        match self {
            ActKind::Raise => "raised",
            ActKind::Approve => "approved",
            ActKind::OverrideHold => "released the hold on",
            ActKind::Issue => "issued",
            ActKind::IssueOverride => "issued against Clawback's decision",
        }
    }
}

/// One case's indicators.
struct Case {
    risky: bool,
    overrode: bool,
    same_operator: Option<bool>,
    pushed: Option<bool>,
}

impl Insiders {
    /// An employee acted on a refund.
    pub(super) fn refund_act(
        &mut self,
        emp_id: &Id,
        kind: ActKind,
        refund: &Id,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        let note = self.refunds.get_mut(refund);
        let emp = self.employees.entry(emp_id.clone()).or_default();
        match kind {
            ActKind::Raise => emp.raised += 1,
            ActKind::Approve => emp.approvals += 1,
            ActKind::OverrideHold | ActKind::IssueOverride => emp.overrides += 1,
            ActKind::Issue => emp.issued += 1,
        }
        let Some(note) = note else {
            return;
        };
        if !note.actors.contains(emp_id) && note.actors.len() < 4 {
            note.actors.push(emp_id.clone());
        }
        let note = note.clone();
        let risky = note.risky();
        let overrode = match kind {
            ActKind::OverrideHold => note.flagged || note.held,
            ActKind::IssueOverride => note.flagged,
            _ => false,
        };
        let act = Act {
            ts: ev.ts.raw.clone(),
            what: kind.words(),
            id: refund.clone(),
            detail: refund_detail(&note),
        };
        // Acts in a session someone else opened belong to that session.
        if emp.session.suspicious {
            self.session_act(emp_id, act, risky || overrode, ev, sink);
            return;
        }
        let role = emp.role();
        let suspected = under_suspicion(emp);
        let pushing = kind != ActKind::Raise;
        if let Some(seen) = emp.case(refund) {
            // A later act on a case already counted: pushing a flagged refund through, or
            // overriding, adds evidence.
            let (was_overrode, was_pushed, was_risky) = (seen.overrode, seen.pushed, seen.risky);
            seen.overrode |= overrode;
            seen.pushed |= pushing && was_risky;
            let mut more = false;
            if overrode && !was_overrode {
                flip(emp, &mut self.peers, role, Indicator::FlaggedOverride);
                more = true;
            }
            if pushing && was_risky && !was_pushed {
                flip(emp, &mut self.peers, role, Indicator::PushedThrough);
                more = true;
            }
            if more {
                emp.remember(act);
                self.check(emp_id, role, ev, sink);
            }
            return;
        }
        let mut same_operator = None;
        if risky {
            // The same contacting operator (device, IP, phone) as an earlier risky case.
            // Sharing only a *ring* is not counted: a ring of a hundred clients calls
            // the same honest agents again by chance, and counting it accused three
            // honest agents on seed 23 (none with operators alone, on seven seeds).
            let same = !note.operators.is_empty() && emp.note_operators(&note.operators).is_some();
            same_operator = Some(same);
        }
        let case = Case {
            risky,
            overrode,
            same_operator,
            pushed: risky.then_some(pushing),
        };
        if let Some(seen) = emp.recent.back_mut() {
            seen.risky = risky;
            seen.overrode = overrode;
            seen.pushed = risky && pushing;
        }
        count(emp, &mut self.peers, role, &case, suspected);
        if risky || overrode {
            emp.remember(act);
        }
        self.check(emp_id, role, ev, sink);
    }

    /// An employee booked a return in (a `return_received`, or marking it received).
    pub(super) fn receipt_act(
        &mut self,
        facts: &Facts,
        emp_id: &Id,
        return_id: &Id,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        let emp = self.employees.entry(emp_id.clone()).or_default();
        let Some(ret) = facts.returns.get(return_id) else {
            return;
        };
        let Some(rc) = &ret.receipt else {
            return;
        };
        let keyed = !rc.barcode_scanned;
        let unscanned = !ret.carrier_scanned;
        let expected = facts
            .orders
            .get(&ret.order_id)
            .and_then(|o| expected_return_weight(o, ret));
        let light = match (rc.weight_grams, expected) {
            (Some(got), Some(want)) => (got as f64) * 2.0 < want,
            _ => false,
        };
        let risky = keyed && (unscanned || light);
        let seen = emp.case(return_id).is_some();
        if !seen {
            emp.receipts += 1;
            emp.keyed += u32::from(keyed);
            emp.keyed_unscanned += u32::from(keyed && unscanned);
        }
        let mut detail = String::from(if keyed { "keyed in by hand" } else { "scanned" });
        if unscanned {
            detail.push_str(", the carrier never scanned the parcel");
        }
        if let (true, Some(got), Some(want)) = (light, rc.weight_grams, expected) {
            detail.push_str(&format!(", {got} g for items of about {want:.0} g"));
        }
        let act = Act {
            ts: ev.ts.raw.clone(),
            what: "booked in return",
            id: return_id.clone(),
            detail,
        };
        if emp.session.suspicious {
            if !seen {
                self.session_act(emp_id, act, risky, ev, sink);
            }
            return;
        }
        if seen {
            return;
        }
        let role = emp.role();
        let suspected = under_suspicion(emp);
        if let Some(c) = emp.recent.back_mut() {
            c.risky = risky;
        }
        let case = Case {
            risky,
            overrode: false,
            same_operator: None,
            pushed: None,
        };
        count(emp, &mut self.peers, role, &case, suspected);
        if risky {
            emp.remember(act);
        }
        self.check(emp_id, role, ev, sink);
    }

    /// An outcome showed a refund was bad: employees who acted on it, and counted it as a
    /// safe case, have that case turned into a risky one.
    pub(super) fn outcome(&mut self, refund: &Id, what: &str, ev: &Event, sink: &mut AlertSink) {
        let Some(note) = self.refunds.get_mut(refund) else {
            return;
        };
        if note.bad_outcome {
            return;
        }
        note.bad_outcome = true;
        let actors = note.actors.clone();
        for emp_id in actors {
            let Some(emp) = self.employees.get_mut(&emp_id) else {
                continue;
            };
            let role = emp.role();
            let Some(seen) = emp.recent.iter_mut().find(|c| c.id == *refund) else {
                continue;
            };
            if seen.risky {
                continue;
            }
            seen.risky = true;
            flip(emp, &mut self.peers, role, Indicator::Risky);
            emp.remember(Act {
                ts: ev.ts.raw.clone(),
                what: "acted on",
                id: refund.clone(),
                detail: format!("later {what}"),
            });
            self.check(&emp_id, role, ev, sink);
        }
    }

    /// Raises (or re-raises) the alert when the evidence is sufficient.
    fn check(&mut self, emp_id: &Id, role: Role, ev: &Event, sink: &mut AlertSink) {
        let Some(emp) = self.employees.get_mut(emp_id) else {
            return;
        };
        let risky = emp.hits[Indicator::Risky as usize];
        if emp.cusum < THRESHOLD || risky < MIN_RISKY || corroboration(emp) < MIN_CORROBORATION {
            return;
        }
        let z = [
            Indicator::Risky,
            Indicator::SameOperator,
            Indicator::FlaggedOverride,
            Indicator::PushedThrough,
        ]
        .iter()
        .map(|&i| shrunk_z(emp, i, self.peers.rate(role, i)))
        .fold(f64::MIN, f64::max);
        if z < MIN_Z {
            return;
        }
        if emp.collusion_alerts >= MAX_ALERTS
            || (emp.collusion_alerts > 0 && risky < emp.last_alert_hits + REEMIT_EVERY)
        {
            return;
        }
        emp.collusion_alerts += 1;
        emp.last_alert_hits = risky;
        emp.last_alert_cusum = emp.cusum;
        let (entities, reasons) = explain(emp_id, emp, &self.peers, role);
        let score = 1.0 - 0.5f64.powf(emp.cusum / THRESHOLD);
        sink.raise(
            ev,
            Id::from(format!("insider_collusion:{emp_id}")),
            "insider_collusion",
            score.max(0.5),
            entities,
            reasons,
        );
    }
}

/// Employees whose evidence is building are left out of the peer pools, so that insiders
/// do not raise the bar they are measured against.
fn under_suspicion(emp: &Employee) -> bool {
    emp.cusum >= THRESHOLD / 2.0 || emp.collusion_alerts > 0
}

fn corroboration(emp: &Employee) -> u32 {
    emp.hits[Indicator::SameOperator as usize]
        + emp.hits[Indicator::FlaggedOverride as usize]
        + emp.keyed_unscanned
}

/// How far the employee's rate of an indicator, shrunk toward the peers' with a Beta prior
/// worth [`PRIOR_WEIGHT`] cases, stands above the peers' rate, in posterior standard
/// deviations.
fn shrunk_z(emp: &Employee, ind: Indicator, p0: f64) -> f64 {
    let i = ind as usize;
    let a = PRIOR_WEIGHT * p0 + f64::from(emp.hits[i]);
    let b = PRIOR_WEIGHT * (1.0 - p0) + f64::from(emp.cases[i] - emp.hits[i]);
    let mean = a / (a + b);
    let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
    if sd > 0.0 { (mean - p0) / sd } else { 0.0 }
}

/// Counts a new case: the employee's tallies, the CUSUM, and (when not under suspicion)
/// the peer pools.
fn count(emp: &mut Employee, peers: &mut Peers, role: Role, case: &Case, suspected: bool) {
    let mut step = 0.0;
    let mut observe = |ind: Indicator, hit: bool, emp: &mut Employee| {
        let p0 = peers.rate(role, ind);
        step += llr(hit, p0);
        emp.cases[ind as usize] += 1;
        emp.hits[ind as usize] += u32::from(hit);
        emp.expected[ind as usize] += p0;
        if !suspected {
            peers.add(role, ind, hit);
        }
    };
    observe(Indicator::Risky, case.risky, emp);
    observe(Indicator::FlaggedOverride, case.overrode, emp);
    if let Some(same) = case.same_operator {
        observe(Indicator::SameOperator, same, emp);
    }
    if let Some(pushed) = case.pushed {
        observe(Indicator::PushedThrough, pushed, emp);
    }
    emp.cusum = (emp.cusum + step).max(0.0);
}

/// Turns an indicator already counted as a miss on a case into a hit, in the employee's
/// tallies and (when not under suspicion) in the peer pools.
fn flip(emp: &mut Employee, peers: &mut Peers, role: Role, ind: Indicator) {
    let p0 = peers.rate(role, ind);
    if !under_suspicion(emp) {
        peers.flip(role, ind);
    }
    emp.hits[ind as usize] += 1;
    emp.cusum = (emp.cusum + llr(true, p0) - llr(false, p0)).max(0.0);
}

fn refund_detail(note: &RefundNote) -> String {
    let mut parts = vec![format!("score {:.2}", note.score)];
    if note.flagged {
        parts.push("flagged by Clawback".into());
    } else if note.held {
        parts.push("held by Clawback".into());
    }
    if note.ring > 0 {
        parts.push(format!(
            "account {} in a ring of {}",
            note.account, note.ring
        ));
    }
    if let Some((_, kind, text)) = note.operators.first() {
        parts.push(format!("contacted from {kind} {text}"));
    }
    if note.bad_outcome {
        parts.push("known bad".into());
    }
    parts.join(", ")
}

/// "a of n" with the peers' expectation for the same n.
fn versus_peers(emp: &Employee, peers: &Peers, role: Role, ind: Indicator) -> String {
    let i = ind as usize;
    let n = emp.cases[i];
    let p = peers.rate(role, ind);
    format!(
        "{} of {}; {} peers: {:.0}% ({:.1} of {})",
        emp.hits[i],
        n,
        role.words(),
        p * 100.0,
        p * f64::from(n),
        n
    )
}

fn explain(
    emp_id: &Id,
    emp: &Employee,
    peers: &Peers,
    role: Role,
) -> (Vec<EntityRef>, Vec<Reason>) {
    let mut entities = vec![EntityRef::new(EntityType::Employee, emp_id.clone())];
    let mut reasons = Vec::new();
    let work = match role {
        Role::Warehouse => "returns booked in",
        _ => "refunds acted on",
    };
    reasons.push(Reason::new(
        "risky_cases",
        format!(
            "{work} that looked risky at the time: {}",
            versus_peers(emp, peers, role, Indicator::Risky)
        ),
    ));
    let same = emp.hits[Indicator::SameOperator as usize];
    let mut ops: Vec<&super::profile::Operator> =
        emp.operators.iter().filter(|o| o.cases > 1).collect();
    ops.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.text.cmp(&b.text)));
    ops.truncate(4);
    if same > 0 {
        let names: Vec<String> = ops
            .iter()
            .map(|o| format!("{} {} ({} cases)", o.kind, o.text, o.cases))
            .collect();
        reasons.push(Reason::new(
            "same_operators",
            format!(
                "risky cases from contacting operators already behind earlier ones: {}; contacting {}",
                versus_peers(emp, peers, role, Indicator::SameOperator),
                names.join(", ")
            ),
        ));
        for o in &ops {
            let t = match o.kind {
                "device" => EntityType::Device,
                "ip" => EntityType::Ip,
                _ => EntityType::Phone,
            };
            entities.push(EntityRef::new(t, o.text.clone()));
        }
    }
    if emp.hits[Indicator::PushedThrough as usize] > 0 {
        reasons.push(Reason::new(
            "flagged_refunds_approved",
            format!(
                "flagged refunds they approved or issued themselves: {}",
                versus_peers(emp, peers, role, Indicator::PushedThrough)
            ),
        ));
    }
    let ovr = emp.hits[Indicator::FlaggedOverride as usize];
    if ovr > 0 {
        reasons.push(Reason::new(
            "flagged_overrides",
            format!(
                "flagged refunds pushed through against Clawback: {}",
                versus_peers(emp, peers, role, Indicator::FlaggedOverride)
            ),
        ));
    }
    if emp.keyed_unscanned > 0 {
        reasons.push(Reason::new(
            "keyed_receipts_never_scanned",
            format!(
                "{} of {} returns booked in by hand for parcels the carrier never scanned ({} keyed in all)",
                emp.keyed_unscanned, emp.receipts, emp.keyed
            ),
        ));
    }
    let acts: Vec<String> = emp
        .evidence
        .iter()
        .rev()
        .map(|a| format!("{} {} {} ({})", a.ts, a.what, a.id, a.detail))
        .collect();
    reasons.push(Reason::new("acts", acts.join("; ")));
    reasons.push(Reason::new(
        "sequential_evidence",
        format!(
            "CUSUM of log-likelihood ratios {:.1} (alarm at {THRESHOLD:.1}) over {} cases",
            emp.cusum,
            emp.cases[Indicator::Risky as usize]
        ),
    ));
    let _ = INDICATORS;
    (entities, reasons)
}
