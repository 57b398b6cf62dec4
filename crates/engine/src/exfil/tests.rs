use crate::Engine;
use clawback_events::output::{Alert, EntityType};
use clawback_events::{Event, parse_line};

fn ev(json: &str) -> Event {
    parse_line(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// A timestamp `hours` after 2026-11-01T00:00:00Z.
fn ts(hours: u32) -> String {
    format!("2026-11-{:02}T{:02}:00:00Z", 1 + hours / 24, hours % 24)
}

/// Builds events with unique ids and the given hour offsets.
#[derive(Default)]
struct World {
    events: Vec<Event>,
}

impl World {
    fn push(&mut self, ty: &str, hour: u32, fields: &str) {
        let id = self.events.len();
        let t = ts(hour);
        self.events.push(ev(&format!(
            r#"{{"event_id":"e{id}","type":"{ty}","ts":"{t}",{fields}}}"#
        )));
    }
    fn review(&mut self, hour: u32, review: &str, account: &str, seller: &str, rating: u8) {
        self.push(
            "review_posted",
            hour,
            &format!(
                r#""review_id":"{review}","account_id":"{account}","sku":"sku1","seller_id":"{seller}","rating":{rating}"#
            ),
        );
    }
    fn lookup(&mut self, hour: u32, employee: &str, resource: &str, account: &str, ticket: bool) {
        let ticket = if ticket {
            r#","ticket_id":"case-1""#
        } else {
            ""
        };
        self.push(
            "data_access",
            hour,
            &format!(
                r#""employee_id":"{employee}","resource":"{resource}","account_ids":["{account}"]{ticket}"#
            ),
        );
    }
    fn message(&mut self, hour: u32, seller: &str, account: &str) {
        let id = self.events.len();
        self.push(
            "seller_message",
            hour,
            &format!(
                r#""message_id":"m{id}","seller_id":"{seller}","account_id":"{account}","text":"hello""#
            ),
        );
    }
    fn raised(&mut self, hour: u32, review: &str) {
        self.push(
            "review_changed",
            hour,
            &format!(r#""review_id":"{review}","removed":false,"rating":5"#),
        );
    }

    /// A marketplace: a large seller with 200 happy and a few unhappy reviewers, a small
    /// seller with 40 reviewers of whom 8 unhappy; honest agents' ticketed look-ups.
    fn marketplace() -> Self {
        let mut w = World::default();
        for i in 0..200 {
            let rating = if i % 10 == 0 { 2 } else { 5 };
            w.review(
                1,
                &format!("rb{i}"),
                &format!("big-buyer-{i}"),
                "MegaStore",
                rating,
            );
        }
        for i in 0..40 {
            let rating = if i < 8 { 1 } else { 4 };
            w.review(
                2,
                &format!("rs{i}"),
                &format!("small-buyer-{i}"),
                "TinyShop",
                rating,
            );
        }
        for agent in ["alice", "bob", "carol", "dave"] {
            for i in 0..30 {
                w.lookup(3, agent, "order_history", &format!("big-buyer-{i}"), true);
            }
        }
        w
    }

    fn alerts(&self) -> Vec<Alert> {
        let mut e = Engine::baseline();
        self.events
            .iter()
            .flat_map(|x| e.apply(x).alerts)
            .filter(|a| a.kind == "data_exfiltration")
            .collect()
    }
}

fn names(a: &Alert, kind: EntityType, id: &str) -> bool {
    a.entities.iter().any(|e| e.kind == kind && e.id == id)
}

/// The seed-002 sequence: an agent looks up unhappy reviewers of one seller without a
/// ticket, the seller then writes to them, and the reviews go up.
fn data_selling() -> World {
    let mut w = World::marketplace();
    for i in 0..5 {
        w.lookup(
            10 + i,
            "mallory",
            "reviewer_contact",
            &format!("small-buyer-{i}"),
            false,
        );
    }
    for i in 0..5 {
        w.message(40 + 5 * i, "TinyShop", &format!("small-buyer-{i}"));
    }
    for i in 0..3 {
        w.raised(80 + i, &format!("rs{i}"));
    }
    w
}

#[test]
fn agent_selling_unhappy_reviewers_to_their_seller_is_alerted_with_the_seller() {
    let alerts = data_selling().alerts();
    assert!(!alerts.is_empty(), "no data_exfiltration alert");
    let first = &alerts[0];
    assert!(names(first, EntityType::Employee, "mallory"), "{first:?}");
    assert!(names(first, EntityType::Seller, "TinyShop"), "{first:?}");
    // Raised once the seller had written to two looked-up reviewers, not at the end.
    assert_eq!(first.ts, ts(45));
    let codes: Vec<&str> = first.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(
        codes.contains(&"seller_contacted_looked_up_reviewers"),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ticketless_lookups_of_sellers_reviewers"),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ticketless_contact_lookups_vs_peers"),
        "{codes:?}"
    );
    // The alert grows with the same id and says the reviews changed.
    let last = alerts.last().unwrap_or_else(|| panic!("no alerts"));
    assert_eq!(last.alert_id, first.alert_id);
    assert!(last.score >= first.score);
    assert!(
        last.reasons
            .iter()
            .any(|r| r.code == "reviews_changed_after_contact" && r.detail.starts_with('3')),
        "{:?}",
        last.reasons
    );
    // Nobody else is named.
    for a in &alerts {
        for e in &a.entities {
            assert!(e.id == "mallory" || e.id == "TinyShop", "{a:?}");
        }
    }
}

#[test]
fn honest_agent_with_ticketless_lookups_of_random_accounts_is_not_alerted() {
    let mut w = World::marketplace();
    // Many ticketless contact look-ups, mostly of the big seller's reviewers (as chance
    // makes them), some unhappy, some of the small seller; sellers write to some buyers.
    for i in 0..60 {
        w.lookup(
            10 + i,
            "erin",
            "contact_details",
            &format!("big-buyer-{}", 3 * i),
            false,
        );
    }
    w.lookup(80, "erin", "contact_details", "small-buyer-0", false);
    w.lookup(81, "erin", "reviewer_contact", "small-buyer-20", false);
    for i in 0..40 {
        w.message(90 + i, "MegaStore", &format!("big-buyer-{}", 5 * i));
    }
    w.message(140, "TinyShop", "small-buyer-0");
    assert!(w.alerts().is_empty(), "{:?}", w.alerts());
}

#[test]
fn seller_messaging_buyers_without_prior_lookups_is_not_alerted() {
    let mut w = World::marketplace();
    for i in 0..40 {
        w.message(10 + i, "TinyShop", &format!("small-buyer-{i}"));
        w.raised(60 + i, &format!("rs{i}"));
    }
    // Look-ups with a ticket are casework, not exfiltration.
    for i in 0..8 {
        w.lookup(
            120 + i,
            "frank",
            "reviewer_contact",
            &format!("small-buyer-{i}"),
            true,
        );
        w.message(130 + i, "TinyShop", &format!("small-buyer-{i}"));
    }
    assert!(w.alerts().is_empty(), "{:?}", w.alerts());
}

#[test]
fn one_coincidence_is_not_a_case() {
    let mut w = World::marketplace();
    w.lookup(10, "grace", "reviewer_contact", "small-buyer-1", false);
    w.message(20, "TinyShop", "small-buyer-1");
    w.raised(30, "rs1");
    assert!(w.alerts().is_empty(), "{:?}", w.alerts());
}

#[test]
fn messages_before_the_lookup_do_not_count() {
    let mut w = World::marketplace();
    for i in 0..5 {
        w.message(10 + i, "TinyShop", &format!("small-buyer-{i}"));
    }
    for i in 0..5 {
        w.lookup(
            40 + i,
            "heidi",
            "reviewer_contact",
            &format!("small-buyer-{i}"),
            false,
        );
    }
    assert!(w.alerts().is_empty(), "{:?}", w.alerts());
}

#[test]
fn same_input_gives_the_same_alerts() {
    let w = data_selling();
    assert_eq!(w.alerts(), w.alerts());
}

#[test]
fn two_lookups_that_a_seller_followed_up_are_not_yet_a_cluster() {
    // An honest agent's ticketless look-ups happen to include two unhappy reviewers of a
    // small seller, and that seller (which bought them elsewhere) writes to both.
    let mut w = World::marketplace();
    for i in 0..5 {
        let rating = if i < 2 { 1 } else { 5 };
        w.review(
            4,
            &format!("rn{i}"),
            &format!("niche-buyer-{i}"),
            "NicheShop",
            rating,
        );
    }
    for i in 0..10 {
        w.lookup(
            10 + i,
            "ivan",
            "contact_details",
            &format!("big-buyer-{}", 7 * i),
            false,
        );
    }
    w.lookup(30, "ivan", "contact_details", "niche-buyer-0", false);
    w.lookup(31, "ivan", "contact_details", "niche-buyer-1", false);
    w.message(50, "NicheShop", "niche-buyer-0");
    w.message(51, "NicheShop", "niche-buyer-1");
    w.raised(60, "rn0");
    assert!(w.alerts().is_empty(), "{:?}", w.alerts());
    // A third such look-up followed up by the seller makes the case.
    w.lookup(70, "ivan", "reviewer_contact", "niche-buyer-2", false);
    w.message(80, "NicheShop", "niche-buyer-2");
    let alerts = w.alerts();
    assert!(
        alerts
            .iter()
            .any(|a| names(a, EntityType::Employee, "ivan")
                && names(a, EntityType::Seller, "NicheShop")),
        "{alerts:?}"
    );
}
