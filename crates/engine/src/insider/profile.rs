//! Employee profiles and peer pools: what each employee does, by role, and how often their
//! peers' acts touch risky things.

use clawback_events::Id;
use std::collections::VecDeque;

/// Acts kept per employee for the reasons of an alert.
pub const MAX_EVIDENCE: usize = 8;
/// Cases (refunds or returns) remembered per employee, so that several acts on one case
/// (raise, approve, issue) count once.
pub const RECENT_CASES: usize = 32;
/// Contacting operators remembered per employee (most recent kept).
pub const MAX_OPERATORS: usize = 32;
/// Devices and IPs remembered per employee for logins.
pub const MAX_IDENTIFIERS: usize = 8;

/// What an employee mostly does, inferred from their acts (never from their id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Support contacts, refunds raised, approvals, overrides.
    Support = 0,
    /// Returns booked in at a warehouse.
    Warehouse = 1,
    /// Anything else seen (look-ups only, other actions).
    Other = 2,
}

impl Role {
    pub fn words(self) -> &'static str {
        match self {
            Role::Support => "support",
            Role::Warehouse => "warehouse",
            Role::Other => "other staff",
        }
    }
}

/// The evidence indicators judged per case, each against its own peer rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// The case looked risky when the employee acted: a refund Clawback flagged, an
    /// account in an operator ring, a receipt keyed by hand for a parcel the carrier never
    /// scanned or far too light.
    Risky = 0,
    /// A risky case that came through a contacting operator (device, IP, phone) already
    /// behind an earlier risky case of the same employee: concentration. (Not the same
    /// *ring*: a ring of a hundred clients calls honest agents again by chance.)
    SameOperator = 1,
    /// Issued or released a flagged refund against Clawback's decision.
    FlaggedOverride = 2,
    /// Approved or issued a flagged refund (rather than only raising it for someone else
    /// to judge); judged among flagged cases only.
    PushedThrough = 3,
}

pub const INDICATORS: usize = 4;

/// Cases and hits per indicator, for one role (or all roles).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pool {
    pub cases: [u64; INDICATORS],
    pub hits: [u64; INDICATORS],
}

/// Peer pools per role plus one over everyone, updated in O(1) per case.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    pub by_role: [Pool; 3],
    pub all: Pool,
}

/// A weak starting belief for each indicator's peer rate, worth [`PRIOR_CASES`] cases; the
/// pools' own counts swamp it within the first few hundred cases.
const PRIOR_RATE: [f64; INDICATORS] = [0.1, 0.05, 0.01, 0.3];
const PRIOR_CASES: f64 = 50.0;
/// How many of the role's cases the all-staff rate is worth when shrinking a small role's
/// rate (empirical Bayes: a role with few cases borrows from everyone).
const ROLE_SHRINK: f64 = 200.0;
/// Peer rates are kept inside this range so that one act never moves the evidence by more
/// than about ln(0.9 / 0.005) ≈ 5.2.
const MIN_RATE: f64 = 0.005;
const MAX_RATE: f64 = 0.6;

impl Peers {
    /// Counts one case of an employee not under suspicion.
    pub fn add(&mut self, role: Role, ind: Indicator, hit: bool) {
        for p in [&mut self.by_role[role as usize], &mut self.all] {
            p.cases[ind as usize] += 1;
            p.hits[ind as usize] += u64::from(hit);
        }
    }

    /// A miss counted earlier turned out a hit (a later act on the same case).
    pub fn flip(&mut self, role: Role, ind: Indicator) {
        for p in [&mut self.by_role[role as usize], &mut self.all] {
            let i = ind as usize;
            p.hits[i] = (p.hits[i] + 1).min(p.cases[i]);
        }
    }

    /// The peer rate of an indicator for a role: the role's pooled rate shrunk toward
    /// everyone's, which is itself shrunk toward a weak prior.
    pub fn rate(&self, role: Role, ind: Indicator) -> f64 {
        let i = ind as usize;
        let all = (self.all.hits[i] as f64 + PRIOR_RATE[i] * PRIOR_CASES)
            / (self.all.cases[i] as f64 + PRIOR_CASES);
        let r = &self.by_role[role as usize];
        let rate = (r.hits[i] as f64 + all * ROLE_SHRINK) / (r.cases[i] as f64 + ROLE_SHRINK);
        rate.clamp(MIN_RATE, MAX_RATE)
    }
}

/// The alternative rate a colluding employee is assumed to have: four times the peers'
/// rate and at least 20 points above it, but no more than halfway from the peers' rate to
/// certainty (so that a common indicator is not expected to be universal).
pub fn alternative(p0: f64) -> f64 {
    (p0 * 4.0).max(p0 + 0.2).min(p0 + 0.5 * (1.0 - p0))
}

/// Log-likelihood ratio of one Bernoulli observation, colluding (p1) against peers (p0).
pub fn llr(hit: bool, p0: f64) -> f64 {
    let p1 = alternative(p0);
    if hit {
        (p1 / p0).ln()
    } else {
        ((1.0 - p1) / (1.0 - p0)).ln()
    }
}

/// One act kept for the reasons of an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Act {
    pub ts: Id,
    pub what: &'static str,
    pub id: Id,
    pub detail: String,
}

/// A case the employee already acted on (refund or return id), and what was counted.
#[derive(Debug, Clone)]
pub struct SeenCase {
    pub id: Id,
    pub risky: bool,
    pub overrode: bool,
    pub pushed: bool,
}

/// A contacting operator identifier behind the employee's risky cases.
#[derive(Debug, Clone)]
pub struct Operator {
    pub hash: u64,
    pub kind: &'static str,
    pub text: Id,
    pub cases: u32,
}

/// An employee's session, from one successful login to the next.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub suspicious: bool,
    /// Points of evidence that the login was not the employee's own.
    pub points: f64,
    pub device: Option<Id>,
    pub ip: Option<Id>,
    pub reasons: Vec<(&'static str, String)>,
    /// Acts done in a suspicious session, for the alert.
    pub acts: Vec<Act>,
    pub risky_acts: u32,
    pub alerted: bool,
    pub emitted_acts: usize,
}

/// Everything kept about one employee; bounded whatever their volume.
#[derive(Debug, Clone, Default)]
pub struct Employee {
    // What they do, for the role.
    pub contacts: u32,
    pub raised: u32,
    pub approvals: u32,
    pub overrides: u32,
    pub issued: u32,
    pub receipts: u32,
    pub keyed: u32,
    pub keyed_unscanned: u32,
    pub lookups: u32,
    pub other_actions: u32,
    // Collusion evidence.
    pub cases: [u32; INDICATORS],
    pub hits: [u32; INDICATORS],
    /// Sum over cases of the peer rate at the time (expected hits), per indicator.
    pub expected: [f64; INDICATORS],
    pub cusum: f64,
    pub recent: VecDeque<SeenCase>,
    pub operators: Vec<Operator>,
    pub evidence: VecDeque<Act>,
    pub collusion_alerts: u32,
    pub last_alert_cusum: f64,
    pub last_alert_hits: u32,
    // Logins.
    pub logins: u32,
    pub failures: u32,
    pub devices: Vec<(Id, u32)>,
    pub ips: Vec<(Id, u32)>,
    pub hours: [u32; 24],
    pub session: Session,
    pub credential_alerts: u32,
}

impl Employee {
    pub fn role(&self) -> Role {
        let support = self.contacts + self.raised + self.approvals + self.overrides + self.issued;
        if self.receipts > support {
            Role::Warehouse
        } else if support > 0 {
            Role::Support
        } else {
            Role::Other
        }
    }

    /// Whether the case was seen before; remembers it if not.
    pub fn case(&mut self, id: &Id) -> Option<&mut SeenCase> {
        let pos = self.recent.iter().position(|c| c.id == *id);
        match pos {
            Some(i) => self.recent.get_mut(i),
            None => {
                if self.recent.len() >= RECENT_CASES {
                    self.recent.pop_front();
                }
                self.recent.push_back(SeenCase {
                    id: id.clone(),
                    risky: false,
                    overrode: false,
                    pushed: false,
                });
                None
            }
        }
    }

    pub fn remember(&mut self, act: Act) {
        if self.evidence.len() >= MAX_EVIDENCE {
            self.evidence.pop_front();
        }
        self.evidence.push_back(act);
    }

    /// Notes the operators behind a risky case; returns the operator already seen on an
    /// earlier risky case, if any.
    pub fn note_operators(&mut self, ops: &[(u64, &'static str, Id)]) -> Option<usize> {
        let mut repeat = None;
        for (hash, kind, text) in ops {
            if let Some(i) = self.operators.iter().position(|o| o.hash == *hash) {
                self.operators[i].cases += 1;
                if repeat.is_none_or(|r: usize| self.operators[i].cases > self.operators[r].cases) {
                    repeat = Some(i);
                }
            } else {
                if self.operators.len() >= MAX_OPERATORS {
                    // Forget the least used (the oldest among equals).
                    if let Some(i) =
                        (0..self.operators.len()).min_by_key(|&i| self.operators[i].cases)
                    {
                        self.operators.remove(i);
                    }
                }
                self.operators.push(Operator {
                    hash: *hash,
                    kind,
                    text: text.clone(),
                    cases: 1,
                });
            }
        }
        repeat
    }
}

/// Bumps a bounded (identifier, uses) list; returns whether the identifier was known.
pub fn bump(list: &mut Vec<(Id, u32)>, id: &Id) -> bool {
    if let Some(e) = list.iter_mut().find(|(x, _)| x == id) {
        e.1 += 1;
        return true;
    }
    if list.len() >= MAX_IDENTIFIERS
        && let Some(i) = (0..list.len()).min_by_key(|&i| list[i].1)
    {
        list.remove(i);
    }
    list.push((id.clone(), 1));
    false
}
