//! Insiders: employees who collude with a refund service, and employee logins used by
//! someone else. (Data selling lives in its own detector.)
//!
//! Every employee has a bounded [`profile::Employee`]: what they do (support contacts,
//! refunds raised, approvals, overrides, returns booked in, receipts keyed by hand,
//! look-ups, logins), from which their role is inferred, and the evidence so far.
//!
//! **Collusion** ([`collusion`]) judges *cases* — a refund or a return an employee acted
//! on, however many acts (raise, approve, issue) they did on it — by three indicators, each
//! against the rate of the employee's *peers in the same role* (pooled, shrunk toward all
//! staff, then toward a weak prior — empirical Bayes):
//! 1. the case was risky when they acted (Clawback flagged the refund for review or
//!    denial, the receipt was keyed by hand for a
//!    parcel the carrier never scanned or that weighed far too little), or turned out bad
//!    later (the return came back empty, a chargeback);
//! 2. a risky case came through a contacting operator (device, IP, phone not the
//!    account holder's) already behind an earlier risky case of theirs: concentration (the
//!    same *ring* is not enough: a ring of a hundred clients calls honest agents again by
//!    chance, and counting it accused honest agents);
//! 3. they issued or released a flagged refund against Clawback's decision;
//! 4. they approved or issued a flagged refund themselves (judged among flagged cases).
//!
//! The evidence is a **Bernoulli CUSUM** (Page 1954): per case, the log-likelihood ratio
//! of "colluding" (a rate several times the peers') against "like peers" is added and the
//! sum is floored at zero. CUSUM rather than a one-shot SPRT because insiders are honest
//! for weeks before they are bribed: a floor at zero means a long honest past cannot hide
//! a sudden run of risky approvals, while a posterior on the lifetime rate would. An alert
//! needs the sum over a threshold *and* corroboration (concentration, flagged overrides or
//! receipts of parcels that never travelled) *and* the employee's own risky rate, shrunk
//! toward the peers' with a Beta prior, to stand clearly above the peers': an honest agent
//! on a hard queue sees many risky claims, but not from the same operators, and does not
//! push them through against Clawback.
//!
//! **Credential misuse** ([`credentials`]) compares each login with the employee's own
//! history (devices, IPs, hours of work, failures before it) and with the customers' side
//! (devices and IPs that contacted support, devices held by customer accounts). Acts done
//! in a suspicious session are attributed to the session, listed in the alert, and kept out
//! of the employee's collusion evidence and of the peer pools.
//!
//! Cost per event is O(1) in the number of employees: one hash look-up per employee,
//! refund or contact, bounded lists per employee.

mod collusion;
mod credentials;
mod profile;

use crate::detector::AlertSink;
use crate::facts::Facts;
use crate::graph::IdentityGraph;
use clawback_events::output::Outcome;
use clawback_events::*;
use clawback_table::GrowMap;
use profile::{Employee, Peers};

/// What is kept about a refund request for the employees who later act on it.
#[derive(Debug, Clone, Default)]
struct RefundNote {
    score: f32,
    /// Clawback decided review or deny: a person should look, or it should not be paid.
    flagged: bool,
    /// Clawback decided hold: pay once the return is inspected.
    held: bool,
    /// Accounts in the claimant's operator ring when it was requested (0: none).
    ring: u32,
    account: Id,
    /// The contacting identifiers of the support contact behind it that are not the
    /// account holder's (operators).
    operators: Vec<(u64, &'static str, Id)>,
    /// Employees who acted on it, for outcomes that arrive later.
    actors: Vec<Id>,
    /// An outcome said it was bad (empty return, chargeback).
    bad_outcome: bool,
}

impl RefundNote {
    /// Risky when Clawback flagged it or an outcome proved it bad. Ring membership alone
    /// is not enough: a ring's clients are ordinary customers who also claim honestly.
    fn risky(&self) -> bool {
        self.flagged || self.bad_outcome
    }
}

/// The insider detector. See the module documentation.
#[derive(Debug, Default)]
pub struct Insiders {
    employees: GrowMap<Id, Employee>,
    refunds: GrowMap<Id, RefundNote>,
    refund_by_order: GrowMap<Id, Id>,
    refund_by_return: GrowMap<Id, Id>,
    /// Support contacts' operator identifiers, until a refund refers to the contact.
    contacts: GrowMap<Id, Vec<(u64, &'static str, Id)>>,
    /// Devices and IPs that contacted support (by hash), and how often.
    contacting: GrowMap<u64, u32>,
    peers: Peers,
    /// The refund decision just made, waiting for its event to be observed.
    pending: Option<(Id, f64, Outcome)>,
    /// Notes in arrival order, so that old ones are forgotten (see [`NOTE_WINDOW_MS`]):
    /// (requested at, refund, order, return) and (contacted at, contact).
    refund_order: std::collections::VecDeque<(i64, Id, Id, Option<Id>)>,
    contact_order: std::collections::VecDeque<(i64, Id)>,
}

/// How long a refund's note is kept for the employees who act on it and the outcomes that
/// judge it: chargebacks arrive within about 120 days of the charge, acts within days. Past
/// it the note is dropped, so memory follows the retailer's volume, not the run's length.
pub const NOTE_WINDOW_MS: i64 = 180 * 86_400_000;
/// A support contact's operators wait this long for the refund that cites the contact.
pub const CONTACT_WINDOW_MS: i64 = 30 * 86_400_000;

fn ident_hash(kind: &str, value: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(value.as_bytes(), kind.len() as u64 * 7919)
}

impl Insiders {
    /// Tells the detector Clawback's decision on a refund request (called before the
    /// request is observed).
    pub fn note_refund_decision(&mut self, refund_id: &Id, score: f64, outcome: Outcome) {
        self.pending = Some((refund_id.clone(), score, outcome));
    }

    /// Sees one event after the facts and the graph absorbed it; may raise
    /// `insider_collusion` and `credential_misuse` alerts.
    pub fn observe(
        &mut self,
        facts: &Facts,
        graph: &mut IdentityGraph,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        self.forget_before(ev.ts.unix_ms);
        match &ev.body {
            Body::SupportContact(c) => self.on_contact(facts, c, ev.ts.unix_ms),
            Body::RefundRequested(r) => {
                self.on_refund(graph, r, ev.ts.unix_ms);
                if let Some(e) = &r.employee_id {
                    self.refund_act(e, collusion::ActKind::Raise, &r.refund_id, ev, sink);
                }
            }
            Body::RefundIssued(ri) => {
                if let Some(e) = &ri.employee_id {
                    let kind = if ri.override_ {
                        collusion::ActKind::IssueOverride
                    } else {
                        collusion::ActKind::Issue
                    };
                    self.refund_act(e, kind, &ri.refund_id, ev, sink);
                }
            }
            Body::EmployeeAction(a) => self.on_action(facts, a, ev, sink),
            Body::ReturnReceived(rr) => {
                self.receipt_act(facts, &rr.employee_id, &rr.return_id, ev, sink);
                let empty = rr
                    .items
                    .iter()
                    .any(|i| matches!(i.condition, Condition::Empty | Condition::WrongItem));
                if empty && let Some(rid) = self.refund_by_return.get(&rr.return_id).cloned() {
                    self.outcome(
                        &rid,
                        "the return came back empty or as another item",
                        ev,
                        sink,
                    );
                }
            }
            Body::Chargeback(c) => {
                if let Some(rid) = self.refund_by_order.get(&c.order_id).cloned() {
                    self.outcome(&rid, "the order was charged back", ev, sink);
                }
            }
            Body::EmployeeLogin(l) => self.on_login(graph, l, ev, sink),
            Body::DataAccess(d) => {
                self.employees
                    .entry(d.employee_id.clone())
                    .or_default()
                    .lookups += 1;
            }
            _ => {}
        }
    }

    /// Drops refund notes older than [`NOTE_WINDOW_MS`] and unclaimed contact notes older
    /// than [`CONTACT_WINDOW_MS`]. Events come in time order (the sequencer), so the
    /// oldest are at the front.
    fn forget_before(&mut self, now: i64) {
        while let Some((at, _, _, _)) = self.refund_order.front()
            && *at + NOTE_WINDOW_MS < now
        {
            let Some((_, refund, order, ret)) = self.refund_order.pop_front() else {
                break;
            };
            self.refunds.remove(&refund);
            // Only when they still point at this refund (an order can be refunded again).
            if self.refund_by_order.get(&order) == Some(&refund) {
                self.refund_by_order.remove(&order);
            }
            if let Some(ret) = ret
                && self.refund_by_return.get(&ret) == Some(&refund)
            {
                self.refund_by_return.remove(&ret);
            }
        }
        while let Some((at, _)) = self.contact_order.front()
            && *at + CONTACT_WINDOW_MS < now
        {
            if let Some((_, contact)) = self.contact_order.pop_front() {
                self.contacts.remove(&contact);
            }
        }
    }

    /// Notes held: refunds and unclaimed contacts (for memory tests and reporting).
    pub fn notes(&self) -> (usize, usize) {
        (self.refunds.len(), self.contacts.len())
    }

    fn on_contact(&mut self, facts: &Facts, c: &SupportContact, now: i64) {
        self.employees
            .entry(c.employee_id.clone())
            .or_default()
            .contacts += 1;
        for (kind, v) in [("device", &c.device_id), ("ip", &c.ip)] {
            if let Some(v) = v {
                *self.contacting.entry(ident_hash(kind, v)).or_default() += 1;
            }
        }
        let Some(acct) = &c.account_id else {
            return;
        };
        // Operators: the contacting identifiers the account holder never used.
        let holder = facts.accounts.get(acct);
        let phone = c.caller_phone.as_deref().and_then(crate::facts::phone_key);
        let mut ops = Vec::new();
        if let Some(d) = &c.device_id
            && !holder.is_some_and(|a| a.devices.contains(d))
        {
            ops.push((ident_hash("device", d), "device", d.clone()));
        }
        if let Some(ip) = &c.ip
            && !holder.is_some_and(|a| a.ips.contains(ip))
        {
            ops.push((ident_hash("ip", ip), "ip", ip.clone()));
        }
        if let Some(p) = &phone
            && !holder.is_some_and(|a| a.phones.contains(p))
        {
            ops.push((ident_hash("phone", p), "phone", p.clone()));
        }
        if !ops.is_empty() {
            self.contacts.insert(c.contact_id.clone(), ops);
            self.contact_order.push_back((now, c.contact_id.clone()));
        }
    }

    fn on_refund(&mut self, graph: &mut IdentityGraph, r: &RefundRequested, now: i64) {
        let (score, outcome) = match self.pending.take() {
            Some((id, s, o)) if id == r.refund_id => (s, Some(o)),
            _ => (0.0, None),
        };
        let note = RefundNote {
            score: score as f32,
            flagged: matches!(outcome, Some(Outcome::Review | Outcome::Deny)),
            held: outcome == Some(Outcome::Hold),
            ring: graph.ring_accounts(&r.account_id),
            account: r.account_id.clone(),
            operators: r
                .contact_id
                .as_ref()
                .and_then(|c| self.contacts.remove(c))
                .unwrap_or_default(),
            actors: Vec::new(),
            bad_outcome: false,
        };
        self.refunds.insert(r.refund_id.clone(), note);
        self.refund_order.push_back((
            now,
            r.refund_id.clone(),
            r.order_id.clone(),
            r.return_id.clone(),
        ));
        self.refund_by_order
            .insert(r.order_id.clone(), r.refund_id.clone());
        if let Some(ret) = &r.return_id {
            self.refund_by_return
                .insert(ret.clone(), r.refund_id.clone());
        }
    }

    fn on_action(&mut self, facts: &Facts, a: &EmployeeAction, ev: &Event, sink: &mut AlertSink) {
        use collusion::ActKind;
        let kind = match a.action {
            EmployeeActionKind::ApproveRefund => Some(ActKind::Approve),
            EmployeeActionKind::OverrideHold => Some(ActKind::OverrideHold),
            EmployeeActionKind::MarkReturnReceived => {
                if let Some(ret) = &a.return_id {
                    self.receipt_act(facts, &a.employee_id, ret, ev, sink);
                    return;
                }
                None
            }
            _ => None,
        };
        let refund = a
            .refund_id
            .clone()
            .or_else(|| {
                a.return_id
                    .as_ref()
                    .and_then(|r| self.refund_by_return.get(r).cloned())
            })
            .or_else(|| {
                a.order_id
                    .as_ref()
                    .and_then(|o| self.refund_by_order.get(o).cloned())
            });
        match (kind, refund) {
            (Some(k), Some(rid)) => self.refund_act(&a.employee_id, k, &rid, ev, sink),
            _ => {
                self.employees
                    .entry(a.employee_id.clone())
                    .or_default()
                    .other_actions += 1;
            }
        }
    }

    /// Employees with a profile, for memory reporting.
    pub fn sizes(&self) -> (usize, usize) {
        (self.employees.len(), self.refunds.len())
    }
}

#[cfg(test)]
mod tests;
