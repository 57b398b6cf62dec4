//! What a user of the insider detector notices: who is alerted, how soon, and what the
//! alert says.

use crate::Engine;
use clawback_events::output::Alert;
use clawback_events::{Event, parse_line};

/// A small world written event by event, minutes apart.
#[derive(Default)]
struct World {
    events: Vec<Event>,
    minute: i64,
    n: u64,
}

impl World {
    fn ts(&self) -> String {
        let m = self.minute;
        let (d, h, mi) = (1 + m / 1440, (m / 60) % 24, m % 60);
        format!("2026-11-{d:02}T{h:02}:{mi:02}:00Z")
    }

    fn at(&mut self, minute: i64) -> &mut Self {
        self.minute = self.minute.max(minute);
        self
    }

    fn push(&mut self, ty: &str, fields: &str) {
        self.n += 1;
        self.minute += 1;
        let line = format!(
            r#"{{"event_id":"e{}","type":"{ty}","ts":"{}",{fields}}}"#,
            self.n,
            self.ts()
        );
        let ev = parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"));
        self.events.push(ev);
    }

    /// An order and its delivery. `risky` makes a high-value order delivered with a photo
    /// and a GPS match (a "not received" claim on it is flagged); otherwise a cheap one.
    fn order(&mut self, acct: &str, order: &str, risky: bool) {
        let price = if risky { 250_000 } else { 3_000 };
        self.push(
            "account_created",
            &format!(
                r#""account_id":"{acct}","email":"{acct}@example.com","device_id":"own-{acct}""#
            ),
        );
        self.push(
            "order_placed",
            &format!(
                r#""order_id":"{order}","account_id":"{acct}","items":[{{"sku":"s1","category":"electronics","unit_price_minor":{price},"quantity":1}}],"amount_minor":{price},"currency":"USD","shipping_address":{{"line1":"1 Main St","city":"Austin","postal_code":"78701","country":"US"}}"#
            ),
        );
        self.push(
            "shipment_delivered",
            &format!(
                r#""order_id":"{order}","carrier":"UPS","tracking_number":"t-{order}","weight_grams":900,"proof_photo":{risky},"gps_match":{risky}"#
            ),
        );
    }

    /// A customer (or an operator posing as one) contacts `agent`, who raises a refund and
    /// then approves and issues it.
    fn claim(&mut self, agent: &str, acct: &str, risky: bool, contact_device: &str, approve: bool) {
        let k = self.n;
        let order = format!("o-{k}");
        let refund = format!("r-{k}");
        let contact = format!("c-{k}");
        self.order(acct, &order, risky);
        let reason = if risky {
            "not_received"
        } else {
            "no_longer_needed"
        };
        let price = if risky { 250_000 } else { 3_000 };
        self.push(
            "support_contact",
            &format!(
                r#""contact_id":"{contact}","employee_id":"{agent}","channel":"chat","identity_verified":false,"account_id":"{acct}","device_id":"{contact_device}""#
            ),
        );
        self.push(
            "refund_requested",
            &format!(
                r#""refund_id":"{refund}","order_id":"{order}","account_id":"{acct}","amount_minor":{price},"currency":"USD","reason":"{reason}","channel":"chat","contact_id":"{contact}","employee_id":"{agent}""#
            ),
        );
        if approve {
            self.push(
                "employee_action",
                &format!(r#""employee_id":"{agent}","action":"approve_refund","refund_id":"{refund}","order_id":"{order}""#),
            );
            self.push(
                "refund_issued",
                &format!(r#""refund_id":"{refund}","amount_minor":{price},"currency":"USD","override":false,"employee_id":"{agent}""#),
            );
        }
    }

    fn login(&mut self, emp: &str, ok: bool, device: &str, ip: &str) {
        self.push(
            "employee_login",
            &format!(r#""employee_id":"{emp}","success":{ok},"device_id":"{device}","ip":"{ip}""#),
        );
    }

    /// Honest support work: peers who mostly see ordinary claims and now and then a risky
    /// one from some stranger, which they raise for review and do not approve.
    fn honest_day(&mut self, day: usize, agents: usize) {
        for a in 0..agents {
            let agent = format!("agent-{a}");
            for j in 0..4 {
                let acct = format!("cust-{day}-{a}-{j}");
                let own = format!("own-{acct}");
                self.claim(&agent, &acct, false, &own, true);
            }
            if (day + a).is_multiple_of(3) {
                let acct = format!("stranger-{day}-{a}");
                let dev = format!("dev-stranger-{day}-{a}");
                self.claim(&agent, &acct, true, &dev, false);
            }
        }
    }

    fn run(&self) -> Vec<Alert> {
        let mut e = Engine::baseline();
        self.events
            .iter()
            .flat_map(|ev| e.apply(ev).alerts)
            .collect()
    }
}

fn names(alert: &Alert, ty: &str) -> Vec<String> {
    alert
        .entities
        .iter()
        .filter(|x| format!("{:?}", x.kind).eq_ignore_ascii_case(ty))
        .map(|x| x.id.to_string())
        .collect()
}

fn alerted(alerts: &[Alert], kind: &str, emp: &str) -> Option<Alert> {
    alerts
        .iter()
        .find(|a| a.kind == kind && names(a, "employee").iter().any(|e| e == emp))
        .cloned()
}

/// Peers' history, then a bribed agent whose flagged refunds come from one ring's
/// operators, among honest peers who keep working.
fn bribed_world() -> (World, Vec<String>) {
    let mut w = World::default();
    for day in 0..6 {
        w.honest_day(day, 8);
    }
    let mut bribed_refunds = Vec::new();
    for i in 0..12 {
        let acct = format!("client-{i}");
        let dev = ["dev-op-1", "dev-op-2"][i % 2];
        bribed_refunds.push(format!("r-{}", w.n));
        w.claim("agent-b", &acct, true, dev, true);
        // Honest cover: the bribed agent also does ordinary work.
        let acct = format!("bcust-{i}");
        let own = format!("own-{acct}");
        w.claim("agent-b", &acct, false, &own, true);
        w.honest_day(100 + i, 8);
    }
    (w, bribed_refunds)
}

#[test]
fn bribed_agent_approving_one_rings_flagged_refunds_is_alerted_early_with_the_case() {
    let (w, refunds) = bribed_world();
    let alerts = w.run();
    let a = alerted(&alerts, "insider_collusion", "agent-b")
        .unwrap_or_else(|| panic!("no insider_collusion for agent-b: {alerts:#?}"));
    assert_eq!(a.alert_id, "insider_collusion:agent-b");
    // Within the first six bribed refunds.
    let text: String = a
        .reasons
        .iter()
        .map(|r| format!("{} {}\n", r.code, r.detail))
        .collect();
    let named = refunds
        .iter()
        .take(6)
        .filter(|r| text.contains(r.as_str()))
        .count();
    assert!(named >= 2, "reasons name the acts: {text}");
    assert!(
        refunds[6..]
            .iter()
            .all(|r| !text.contains(&format!("{r} "))),
        "alerted after the 6th bribed refund: {text}"
    );
    assert!(text.contains("peers"), "peer figures: {text}");
    assert!(text.contains("same_operators"), "concentration: {text}");
    assert!(
        names(&a, "device").iter().any(|d| d.starts_with("dev-op")),
        "operators named: {:?}",
        a.entities
    );
    // Honest peers who raised the odd risky claim are not accused.
    for x in &alerts {
        if x.kind == "insider_collusion" || x.kind == "credential_misuse" {
            assert_eq!(names(x, "employee"), vec!["agent-b".to_string()], "{x:#?}");
        }
    }
}

#[test]
fn honest_agent_on_a_hard_queue_is_not_alerted() {
    let mut w = World::default();
    for day in 0..4 {
        w.honest_day(day, 6);
    }
    // A queue of genuine high-value "not received" claims, each from the customer's own
    // device, all approved by the agent; and a warehouse clerk who keys in damaged labels
    // by hand for parcels the carrier did scan.
    for i in 0..40usize {
        let acct = format!("vip-{i}");
        let own = format!("own-{acct}");
        w.claim("agent-hard", &acct, true, &own, true);
        let order = format!("ord-ret-{i}");
        let ret = format!("ret-{i}");
        w.order(&format!("ret-cust-{i}"), &order, false);
        w.push(
            "return_requested",
            &format!(
                r#""return_id":"{ret}","order_id":"{order}","account_id":"ret-cust-{i}","items":[{{"sku":"s1","quantity":1}}],"reason":"damaged","channel":"web""#
            ),
        );
        w.push(
            "return_label_created",
            &format!(r#""return_id":"{ret}","carrier":"UPS","tracking_number":"rt-{i}""#),
        );
        w.push(
            "carrier_scan",
            r#""carrier":"UPS","tracking_number":"TRK","status":"in_transit""#
                .replace("TRK", &format!("rt-{i}"))
                .as_str(),
        );
        w.push(
            "return_received",
            &format!(
                r#""return_id":"{ret}","warehouse_id":"wh-1","employee_id":"clerk-hard","items":[{{"sku":"s1","quantity":1,"condition":"damaged"}}],"barcode_scanned":false,"weight_grams":880"#
            ),
        );
        if i.is_multiple_of(4) {
            w.honest_day(200 + i, 6);
        }
    }
    let alerts = w.run();
    for a in &alerts {
        assert!(
            a.kind != "insider_collusion" && a.kind != "credential_misuse",
            "honest staff accused: {a:#?}"
        );
    }
}

#[test]
fn login_from_a_new_device_and_ip_at_night_after_failures_is_credential_misuse() {
    let mut w = World::default();
    for day in 0..12 {
        w.at(day * 1440 + 9 * 60);
        w.login("agent-c", true, "ws-c", "10.0.0.7");
        w.honest_day(day as usize, 3);
    }
    w.at(12 * 1440 + 3 * 60);
    for _ in 0..3 {
        w.login("agent-c", false, "dev-gang", "203.0.113.9");
    }
    w.login("agent-c", true, "dev-gang", "203.0.113.9");
    w.claim("agent-c", "gang-client", true, "dev-op-9", true);
    let alerts = w.run();
    let a = alerted(&alerts, "credential_misuse", "agent-c")
        .unwrap_or_else(|| panic!("no credential_misuse: {alerts:#?}"));
    assert_eq!(names(&a, "device"), vec!["dev-gang".to_string()]);
    assert_eq!(names(&a, "ip"), vec!["203.0.113.9".to_string()]);
    let codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
    for c in [
        "login_from_new_device",
        "login_from_new_ip",
        "login_at_unusual_hour",
        "login_after_failures",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
    // The acts done in the session are listed when they happen.
    let last = alerts
        .iter()
        .rev()
        .find(|x| x.kind == "credential_misuse")
        .map(|x| x.reasons.iter().any(|r| r.code == "acts_in_session"));
    assert_eq!(last, Some(true), "{alerts:#?}");
    // The usual logins never raised anything.
    assert!(alerts.iter().all(|x| x.kind != "insider_collusion"));
}

#[test]
fn same_events_give_the_same_alerts() {
    let (w, _) = bribed_world();
    let a = w.run();
    let b = w.run();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// A refund's note lives as long as acts and chargebacks can still refer to it, then goes:
/// a service that runs for years keeps notes for its last half-year, not its whole history.
#[test]
fn refund_and_contact_notes_are_forgotten_after_their_window() {
    let line = |n: u32, ty: &str, ts: &str, fields: &str| {
        let l = format!(r#"{{"event_id":"e{n}","type":"{ty}","ts":"{ts}",{fields}}}"#);
        parse_line(l.as_bytes()).unwrap_or_else(|e| panic!("{e}: {l}"))
    };
    let mut e = Engine::baseline();
    e.apply(&line(
        1,
        "support_contact",
        "2026-01-01T00:00:00Z",
        r#""contact_id":"k1","employee_id":"emp","channel":"chat","identity_verified":false,"account_id":"a1","device_id":"op""#,
    ));
    e.apply(&line(
        2,
        "refund_requested",
        "2026-01-01T01:00:00Z",
        r#""refund_id":"r1","order_id":"o1","account_id":"a2","amount_minor":100,"currency":"USD","reason":"damaged","channel":"web""#,
    ));
    assert_eq!(e.insiders.notes(), (1, 1));
    // Forty days on, the unclaimed contact is gone; the refund is still judged by outcomes.
    e.apply(&line(
        3,
        "login",
        "2026-02-10T00:00:00Z",
        r#""account_id":"a3","success":true"#,
    ));
    assert_eq!(e.insiders.notes(), (1, 0));
    e.apply(&line(
        4,
        "login",
        "2026-07-10T00:00:00Z",
        r#""account_id":"a3","success":true"#,
    ));
    assert_eq!(e.insiders.notes(), (0, 0));
}
