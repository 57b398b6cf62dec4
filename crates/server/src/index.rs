//! The service's read model: what the API answers from, built from every event the engine
//! applied and what it produced. It is derived state, rebuilt on start by replaying the
//! log, so it needs no storage of its own.

use clawback_engine::Outputs;
use clawback_events::output::{Alert, Decision, Point};
use clawback_events::{Address, Body, Event, Id};
use clawback_table::GrowMap;
use std::collections::BTreeMap;

/// The PII the contract carries about an account holder (the engine keeps none of it).
#[derive(Debug, Clone, Default)]
pub struct Pii {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub address: Option<Address>,
}

/// What the events say an employee did (also the body of `GET /v1/employees/{id}`).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct EmployeeActivity {
    pub logins: u64,
    pub failed_logins: u64,
    /// `employee_action` counts by action.
    pub actions: BTreeMap<String, u64>,
    pub support_contacts: u64,
    pub unverified_contacts: u64,
    pub returns_received: u64,
    pub receipts_keyed_by_hand: u64,
    pub refunds_raised: u64,
    pub refund_overrides: u64,
    pub data_accesses: u64,
    pub data_accesses_without_ticket: u64,
    pub records_viewed: u64,
    pub exports: u64,
    /// Event times of the first and last event naming the employee.
    #[schema(value_type = Option<String>)]
    pub first_seen: Option<Id>,
    #[schema(value_type = Option<String>)]
    pub last_seen: Option<Id>,
}

/// An alert as emitted, with its event time for filtering.
#[derive(Debug, Clone)]
pub struct StoredAlert {
    pub ts_ms: i64,
    pub alert: Alert,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Index {
    pub decisions: GrowMap<(Point, Id), Decision>,
    /// Every alert emission in the order the engine produced them (a growing alert appears
    /// again with the same id and a later `ts`).
    pub alerts: Vec<StoredAlert>,
    pub accounts: GrowMap<Id, Pii>,
    pub employees: GrowMap<Id, EmployeeActivity>,
    /// Decisions by `(point, outcome)`, alerts by kind: the metrics' counters.
    pub decisions_by_outcome: BTreeMap<(&'static str, &'static str), u64>,
    pub alerts_by_kind: BTreeMap<String, u64>,
    pub events_applied: u64,
    /// Orders, timelines and the entity graph (see [`crate::detail`]).
    pub detail: crate::detail::Detail,
    /// `serve --no-entity-detail`: keep no [`crate::detail`] (saves its memory, about 0.1 KB
    /// per event on a retailer's mix; the graph, entity pages and export timelines are then
    /// empty).
    pub detail_off: bool,
}

fn set(slot: &mut Option<String>, v: &Option<String>) {
    if let Some(v) = v {
        *slot = Some(v.clone());
    }
}

impl Index {
    /// Takes one applied event and what the engine made of it.
    pub fn observe(&mut self, ev: &Event, out: &Outputs) {
        self.events_applied += 1;
        if !self.detail_off {
            self.detail.observe(ev);
        }
        for d in &out.decisions {
            *self
                .decisions_by_outcome
                .entry((d.point.as_str(), d.decision.as_str()))
                .or_default() += 1;
            self.decisions.insert((d.point, d.id.clone()), d.clone());
        }
        for a in &out.alerts {
            *self.alerts_by_kind.entry(a.kind.to_string()).or_default() += 1;
            let ts_ms =
                clawback_events::Timestamp::parse(&a.ts).map_or(ev.ts.unix_ms, |t| t.unix_ms);
            self.alerts.push(StoredAlert {
                ts_ms,
                alert: a.clone(),
            });
        }
        match &ev.body {
            Body::AccountCreated(a) => {
                let p = self.accounts.entry(a.account_id.clone()).or_default();
                p.email = Some(a.email.clone());
                set(&mut p.phone, &a.phone);
                set(&mut p.name, &a.name);
                if a.address.is_some() {
                    p.address.clone_from(&a.address);
                }
            }
            Body::AccountUpdated(a) => {
                let p = self.accounts.entry(a.account_id.clone()).or_default();
                set(&mut p.email, &a.email);
                set(&mut p.phone, &a.phone);
                set(&mut p.name, &a.name);
                if a.address.is_some() {
                    p.address.clone_from(&a.address);
                }
            }
            Body::EmployeeLogin(l) => {
                let e = self.employee(&l.employee_id, ev);
                if l.success {
                    e.logins += 1;
                } else {
                    e.failed_logins += 1;
                }
            }
            Body::EmployeeAction(a) => {
                let e = self.employee(&a.employee_id, ev);
                *e.actions.entry(a.action.as_str().to_string()).or_default() += 1;
            }
            Body::SupportContact(c) => {
                let e = self.employee(&c.employee_id, ev);
                e.support_contacts += 1;
                e.unverified_contacts += u64::from(!c.identity_verified);
            }
            Body::ReturnReceived(r) => {
                let e = self.employee(&r.employee_id, ev);
                e.returns_received += 1;
                e.receipts_keyed_by_hand += u64::from(!r.barcode_scanned);
            }
            Body::RefundRequested(r) => {
                if let Some(id) = &r.employee_id {
                    self.employee(id, ev).refunds_raised += 1;
                }
            }
            Body::RefundIssued(r) => {
                if let (true, Some(id)) = (r.override_, &r.employee_id) {
                    self.employee(id, ev).refund_overrides += 1;
                }
            }
            Body::DataAccess(d) => {
                let e = self.employee(&d.employee_id, ev);
                e.data_accesses += 1;
                e.data_accesses_without_ticket += u64::from(d.ticket_id.is_none());
                e.records_viewed += d.account_ids.len() as u64;
                e.exports += u64::from(d.export == Some(true));
            }
            _ => {}
        }
    }

    fn employee(&mut self, id: &Id, ev: &Event) -> &mut EmployeeActivity {
        let e = self.employees.entry(id.clone()).or_default();
        if e.first_seen.is_none() {
            e.first_seen = Some(ev.ts.raw.clone());
        }
        e.last_seen = Some(ev.ts.raw.clone());
        e
    }

    /// The alerts naming an entity (any type) with this id: the first emission of each
    /// alert id, in emission order.
    pub fn alerts_naming(&self, id: &str) -> Vec<&Alert> {
        let mut out: Vec<&Alert> = Vec::new();
        for a in &self.alerts {
            if a.alert.entities.iter().any(|e| e.id == id)
                && !out.iter().any(|x| x.alert_id == a.alert.alert_id)
            {
                out.push(&a.alert);
            }
        }
        out
    }
}
