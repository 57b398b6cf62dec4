//! Credential misuse: a login that does not look like the employee's own, and the acts
//! done in that session. See the parent module.

use super::profile::{Act, Session, bump};
use super::{Insiders, ident_hash};
use crate::detector::AlertSink;
use crate::graph::IdentityGraph;
use clawback_events::output::{EntityRef, EntityType, Reason};
use clawback_events::{EmployeeLogin, Event, Id};

/// Successful logins before the employee's own habits are trusted as a baseline.
const MIN_HISTORY: u32 = 5;
/// Logins before an hour never worked counts as unusual.
const MIN_HOURS_HISTORY: u32 = 10;
/// Points (roughly log-odds) for each way a login differs from the employee's own.
const NEW_DEVICE: f64 = 2.5;
const NEW_IP: f64 = 1.0;
const UNUSUAL_HOUR: f64 = 1.5;
const AFTER_FAILURE: f64 = 1.0;
const AFTER_FAILURES: f64 = 2.0;
const CUSTOMER_SIDE: f64 = 3.0;
/// A session is watched from this many points, and alerted at once from
/// [`ALERT_POINTS`] when a device or IP is foreign to the employee; a watched session is
/// alerted when an act in it touches something risky.
const WATCH_POINTS: f64 = 3.5;
const ALERT_POINTS: f64 = 5.0;
/// Acts listed per session, and alerts per employee.
const MAX_SESSION_ACTS: usize = 10;
const MAX_ALERTS: u32 = 24;

fn hour_of(t: i64) -> usize {
    (t.rem_euclid(86_400_000) / 3_600_000) as usize
}

impl Insiders {
    pub(super) fn on_login(
        &mut self,
        graph: &IdentityGraph,
        l: &EmployeeLogin,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        let contacting = &self.contacting;
        let emp = self.employees.entry(l.employee_id.clone()).or_default();
        if !l.success {
            emp.failures += 1;
            return;
        }
        // The session that ends now: a watched one that nobody alerted was probably the
        // employee's own (a new laptop, working from home): learn its identifiers.
        let ended = std::mem::take(&mut emp.session);
        if ended.suspicious && !ended.alerted {
            if let Some(d) = &ended.device {
                bump(&mut emp.devices, d);
            }
            if let Some(ip) = &ended.ip {
                bump(&mut emp.ips, ip);
            }
        }
        let hour = hour_of(ev.ts.unix_ms);
        let failures = std::mem::take(&mut emp.failures);
        let mut s = Session {
            device: l.device_id.clone(),
            ip: l.ip.clone(),
            ..Session::default()
        };
        if emp.logins >= MIN_HISTORY {
            let mut foreign = false;
            if let Some(d) = &l.device_id
                && !emp.devices.iter().any(|(x, _)| x == d)
            {
                s.points += NEW_DEVICE;
                foreign = true;
                s.reasons.push((
                    "login_from_new_device",
                    format!(
                        "device {d} never used by {} in {} logins ({} known devices)",
                        l.employee_id,
                        emp.logins,
                        emp.devices.len()
                    ),
                ));
            }
            if let Some(ip) = &l.ip
                && !emp.ips.iter().any(|(x, _)| x == ip)
            {
                s.points += NEW_IP;
                foreign = true;
                s.reasons.push((
                    "login_from_new_ip",
                    format!("IP {ip} never used by {}", l.employee_id),
                ));
            }
            let near = |h: usize| emp.hours[h % 24];
            if emp.logins >= MIN_HOURS_HISTORY && near(hour) + near(hour + 1) + near(hour + 23) == 0
            {
                s.points += UNUSUAL_HOUR;
                s.reasons.push((
                    "login_at_unusual_hour",
                    format!(
                        "at {hour:02}:00 UTC; {} never logged in within an hour of it in {} logins",
                        l.employee_id, emp.logins
                    ),
                ));
            }
            if failures > 0 {
                s.points += if failures >= 3 {
                    AFTER_FAILURES
                } else {
                    AFTER_FAILURE
                };
                s.reasons.push((
                    "login_after_failures",
                    format!("after {failures} failed attempts"),
                ));
            }
            // The customers' side: identifiers that contacted support or hold accounts.
            let mut customer = Vec::new();
            if let Some(d) = &l.device_id {
                let (held, asked) = graph.device_reach(d);
                let contacts = contacting
                    .get(&ident_hash("device", d))
                    .copied()
                    .unwrap_or(0);
                if held + asked + contacts > 0 {
                    customer.push(format!(
                        "device {d} held by {held} customer accounts, used in {contacts} support contacts"
                    ));
                }
            }
            if let Some(ip) = &l.ip {
                let contacts = contacting.get(&ident_hash("ip", ip)).copied().unwrap_or(0);
                if contacts > 0 {
                    customer.push(format!("IP {ip} used in {contacts} support contacts"));
                }
            }
            if !customer.is_empty() {
                s.points += CUSTOMER_SIDE;
                foreign = true;
                s.reasons
                    .push(("identifier_used_by_customers", customer.join("; ")));
            }
            s.suspicious = foreign && s.points >= WATCH_POINTS;
            if s.suspicious && s.points >= ALERT_POINTS {
                emp.session = s;
                self.credential_alert(&l.employee_id, ev, sink);
                return;
            }
        }
        if !s.suspicious {
            emp.logins += 1;
            emp.hours[hour] += 1;
            if let Some(d) = &l.device_id {
                bump(&mut emp.devices, d);
            }
            if let Some(ip) = &l.ip {
                bump(&mut emp.ips, ip);
            }
        }
        emp.session = s;
    }

    /// An act done in a suspicious session: listed, and alerted if it touched something
    /// risky.
    pub(super) fn session_act(
        &mut self,
        emp_id: &Id,
        act: Act,
        risky: bool,
        ev: &Event,
        sink: &mut AlertSink,
    ) {
        let Some(emp) = self.employees.get_mut(emp_id) else {
            return;
        };
        let s = &mut emp.session;
        if s.acts.len() < MAX_SESSION_ACTS {
            s.acts.push(act);
        }
        s.risky_acts += u32::from(risky);
        let grew = s.acts.len() > s.emitted_acts;
        if risky && (!s.alerted || grew) {
            self.credential_alert(emp_id, ev, sink);
        }
    }

    fn credential_alert(&mut self, emp_id: &Id, ev: &Event, sink: &mut AlertSink) {
        let Some(emp) = self.employees.get_mut(emp_id) else {
            return;
        };
        if emp.credential_alerts >= MAX_ALERTS {
            return;
        }
        emp.credential_alerts += 1;
        let s = &mut emp.session;
        s.alerted = true;
        s.emitted_acts = s.acts.len();
        let mut entities = vec![EntityRef::new(EntityType::Employee, emp_id.clone())];
        if let Some(d) = &s.device {
            entities.push(EntityRef::new(EntityType::Device, d.clone()));
        }
        if let Some(ip) = &s.ip {
            entities.push(EntityRef::new(EntityType::Ip, ip.clone()));
        }
        let mut reasons: Vec<Reason> = s
            .reasons
            .iter()
            .map(|(c, d)| Reason::new(c, d.clone()))
            .collect();
        if !s.acts.is_empty() {
            let acts: Vec<String> = s
                .acts
                .iter()
                .map(|a| format!("{} {} {} ({})", a.ts, a.what, a.id, a.detail))
                .collect();
            reasons.push(Reason::new(
                "acts_in_session",
                format!(
                    "{} acts in this session, {} on risky refunds or returns: {}",
                    s.acts.len(),
                    s.risky_acts,
                    acts.join("; ")
                ),
            ));
        }
        let score = 1.0 - (-(s.points + f64::from(s.risky_acts)) / 3.0).exp();
        sink.raise(
            ev,
            Id::from(format!("credential_misuse:{emp_id}")),
            "credential_misuse",
            score,
            entities,
            reasons,
        );
    }
}
