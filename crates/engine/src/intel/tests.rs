use crate::{Engine, Outputs};
use clawback_events::output::{Alert, EntityType};
use clawback_events::{Event, parse_line};

fn ev(json: &str) -> Event {
    parse_line(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

const ADDR: &str =
    r#"{"line1":"1 Main St","city":"Austin","region":"TX","postal_code":"78701","country":"US"}"#;

struct W {
    e: Engine,
    n: u32,
}

impl W {
    fn new() -> Self {
        Self {
            e: Engine::baseline(),
            n: 0,
        }
    }

    fn apply(&mut self, ty: &str, ts: &str, fields: &str) -> Outputs {
        self.n += 1;
        let line = format!(
            r#"{{"event_id":"e{}","type":"{ty}","ts":"{ts}",{fields}}}"#,
            self.n
        );
        self.e.apply(&ev(&line))
    }

    fn order(&mut self, id: &str, acct: &str, ts: &str, cat: &str, minor: i64, cur: &str) {
        self.apply(
            "order_placed",
            ts,
            &format!(
                r#""order_id":"{id}","account_id":"{acct}","items":[{{"sku":"s1","category":"{cat}","unit_price_minor":{minor},"quantity":1}}],"amount_minor":{minor},"currency":"{cur}","shipping_address":{ADDR}"#
            ),
        );
    }

    fn refund(
        &mut self,
        rid: &str,
        oid: &str,
        acct: &str,
        ts: &str,
        minor: i64,
        cur: &str,
    ) -> Outputs {
        self.apply(
            "refund_requested",
            ts,
            &format!(
                r#""refund_id":"{rid}","order_id":"{oid}","account_id":"{acct}","amount_minor":{minor},"currency":"{cur}","reason":"not_received","channel":"web""#
            ),
        )
    }

    fn post(&mut self, pid: &str, ts: &str, channel: &str, text: &str) -> Vec<Alert> {
        let text = serde_json::to_string(text).unwrap_or_default();
        self.apply(
            "intel_post",
            ts,
            &format!(
                r#""post_id":"{pid}","source":"telegram","channel":"{channel}","text":{text}"#
            ),
        )
        .alerts
    }
}

fn orders_named(alerts: &[Alert]) -> Vec<String> {
    alerts
        .iter()
        .filter(|a| a.kind == "intel_match")
        .flat_map(|a| a.entities.iter())
        .filter(|e| e.kind == EntityType::Order)
        .map(|e| e.id.to_string())
        .collect()
}

/// A small world: two customers with refunded orders and many look-alike orders.
fn world() -> W {
    let mut w = W::new();
    w.order(
        "114-5542991-7731994",
        "a1",
        "2026-11-01T10:00:00Z",
        "phones",
        119_900,
        "USD",
    );
    w.order(
        "113-4829175-0038261",
        "a2",
        "2026-11-01T11:00:00Z",
        "computers",
        129_900,
        "EUR",
    );
    // Same last block and first digits as the first order, different amount and category.
    w.order(
        "114-5598812-7731994",
        "a3",
        "2026-11-01T12:00:00Z",
        "apparel",
        4_999,
        "USD",
    );
    // Twins: same visible digits under a middle mask, same amount, same day, same category.
    w.order(
        "111-2200001-5550001",
        "a4",
        "2026-11-02T10:00:00Z",
        "electronics",
        29_999,
        "USD",
    );
    w.order(
        "111-2299999-5550001",
        "a5",
        "2026-11-02T10:30:00Z",
        "electronics",
        29_999,
        "USD",
    );
    w.order(
        "ORD-88812345",
        "a6",
        "2026-11-02T11:00:00Z",
        "toys",
        5_000,
        "USD",
    );
    w.refund(
        "r1",
        "114-5542991-7731994",
        "a1",
        "2026-11-04T09:00:00Z",
        119_900,
        "USD",
    );
    w.refund(
        "r2",
        "113-4829175-0038261",
        "a2",
        "2026-11-04T10:00:00Z",
        129_900,
        "EUR",
    );
    w.refund(
        "r4",
        "111-2200001-5550001",
        "a4",
        "2026-11-04T11:00:00Z",
        29_999,
        "USD",
    );
    w.refund(
        "r5",
        "111-2299999-5550001",
        "a5",
        "2026-11-04T11:30:00Z",
        29_999,
        "USD",
    );
    w
}

#[test]
fn a_full_id_names_the_order_its_account_its_refunds_and_the_channel() {
    let mut w = world();
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "✅ VOUCH | Order 113-4829175-0038261 — MacBook 1.299,00 € refunded 2026-11-04",
    );
    assert_eq!(orders_named(&alerts), ["113-4829175-0038261"]);
    let a = &alerts[0];
    assert_eq!(a.alert_id, "intel_match:p1:113-4829175-0038261");
    assert!(a.score > 0.95);
    let ids: Vec<String> = a.entities.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["p1", "113-4829175-0038261", "a2", "r2"]);
    let codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        ["order_id_in_post", "order_refunded", "channel_history"]
    );
    assert!(
        a.reasons[2]
            .detail
            .contains("@refund_kings has shown 1 of our orders in 1 posts")
    );
    // The channel's history grows.
    let again = w.post(
        "p2",
        "2026-11-07T12:00:00Z",
        "refund_kings",
        "another one: 114-5542991-7731994",
    );
    assert!(
        again[0].reasons[2]
            .detail
            .contains("2 of our orders in 2 posts"),
        "{:?}",
        again[0].reasons
    );
}

#[test]
fn a_masked_id_is_matched_on_its_digits_amount_date_and_product() {
    let mut w = world();
    // 114-55•••••-7731994 fits two orders; the amount, the date and "iPhone" single one out.
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "Order 114-55•••••-7731994 — iPhone 15 Pro $1,199.00 refunded 2 days ago, item kept",
    );
    assert_eq!(orders_named(&alerts), ["114-5542991-7731994"]);
    let r = &alerts[0].reasons[0];
    assert_eq!(r.code, "masked_order_id_in_post");
    assert!(r.detail.contains("of 2 orders that fit"), "{}", r.detail);
    assert!(r.detail.contains("USD 1199.00"), "{}", r.detail);
    // Other formats of the same facts.
    for (k, text) in [
        "Commande 114-55XXXXX-7731994 remboursée le 4 nov. — 1 199 $ (iPhone)",
        "order 114-55*****-7731994, USD 1199, Nov 4",
    ]
    .iter()
    .enumerate()
    {
        let alerts = w.post(&format!("q{k}"), "2026-11-06T12:00:00Z", "other", text);
        assert_eq!(orders_named(&alerts), ["114-5542991-7731994"], "{text}");
    }
}

#[test]
fn a_masked_id_that_fits_twins_is_ambiguous_and_names_no_order() {
    let mut w = world();
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "Order 111-22•••••-5550001 — headphones $299.99 refunded 2026-11-04",
    );
    assert!(orders_named(&alerts).is_empty());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].reasons[0].code, "ambiguous_order_id");
    assert!(alerts[0].reasons[0].detail.contains("111-2200001-5550001"));
    assert!(alerts[0].reasons[0].detail.contains("111-2299999-5550001"));
    assert!(alerts[0].score < 0.5);
}

#[test]
fn chatter_and_look_alike_numbers_match_nothing() {
    let mut w = world();
    for (k, text) in [
        "Call me at +1 415-555-0123 or (415) 555-0199 for refunds",
        "UPS 1Z999AA10123456784 and FedEx tracking 123456789012 delivered",
        "prices: $1,199.00, 1.299,00 €, £849 — ordered 2026-11-01, 02/11/2026",
        "Order 114-5542991-7731995 refunded $1,199.00",
        "Order 999-9999999-9999999 done, 112-0000000-0000000 too",
        "masked 114-55•••••-7731995 refunded $1,199.00",
        "masked 114-55•••••-7731994 — dress $12.00 refunded 2026-10-01",
        "masked •••-•••••••-••31994",
        "5550001 and 7731994 and 4829175",
        "REFUND SERVICE OPEN orders $50-$5k, fee 25% after refund, 24/7. DM @ftid_plug",
        "ORD-8881234 is not ORD-88812345x",
    ]
    .iter()
    .enumerate()
    {
        let alerts = w.post(&format!("c{k}"), "2026-11-06T12:00:00Z", "r/amazon", text);
        assert!(orders_named(&alerts).is_empty(), "{text}: {alerts:?}");
    }
}

#[test]
fn opaque_ids_and_return_tracking_numbers_match_by_equality() {
    let mut w = world();
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "x",
        "done: order#ORD-88812345 ✅",
    );
    assert_eq!(orders_named(&alerts), ["ORD-88812345"]);
    w.apply(
        "return_requested",
        "2026-11-05T09:00:00Z",
        r#""return_id":"ret1","order_id":"113-4829175-0038261","account_id":"a2","items":[{"sku":"s1","quantity":1}],"reason":"damaged","channel":"web""#,
    );
    w.apply(
        "return_label_created",
        "2026-11-05T09:05:00Z",
        r#""return_id":"ret1","carrier":"UPS","tracking_number":"1ZA8B12C0398765432""#,
    );
    let alerts = w.post(
        "p2",
        "2026-11-06T12:00:00Z",
        "x",
        "empty box sent back, UPS 1za8b12c0398765432 lol",
    );
    assert_eq!(orders_named(&alerts), ["113-4829175-0038261"]);
    assert_eq!(alerts[0].reasons[0].code, "tracking_number_in_post");
}

#[test]
fn a_post_before_the_order_is_matched_when_the_order_arrives() {
    let mut w = world();
    let early = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "x",
        "Order 112-1234567-7654321 refunded $499.00, and 115-76•••••-1112223 — Xbox $59.99",
    );
    assert!(orders_named(&early).is_empty());
    let out = w.apply(
        "order_placed",
        "2026-11-06T13:00:00Z",
        &format!(
            r#""order_id":"112-1234567-7654321","account_id":"a9","items":[{{"sku":"s","category":"electronics","unit_price_minor":49900,"quantity":1}}],"amount_minor":49900,"currency":"USD","shipping_address":{ADDR}"#
        ),
    );
    assert_eq!(orders_named(&out.alerts), ["112-1234567-7654321"]);
    assert_eq!(out.alerts[0].reasons[0].code, "order_id_in_earlier_post");
    let out = w.apply(
        "order_placed",
        "2026-11-06T14:00:00Z",
        &format!(
            r#""order_id":"115-7600000-1112223","account_id":"a10","items":[{{"sku":"s","category":"video_games","unit_price_minor":5999,"quantity":1}}],"amount_minor":5999,"currency":"USD","shipping_address":{ADDR}"#
        ),
    );
    assert_eq!(orders_named(&out.alerts), ["115-7600000-1112223"]);
}

#[test]
fn a_refund_after_the_post_grows_the_alert_and_sets_the_features() {
    let mut w = world();
    w.order(
        "112-1111111-2222222",
        "a7",
        "2026-11-05T10:00:00Z",
        "phones",
        99_900,
        "USD",
    );
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "x",
        "112-1111111-2222222 next up",
    );
    assert_eq!(alerts[0].reasons[1].code, "order_not_refunded_yet");
    w.e.capture_features(true);
    let out = w.refund(
        "r7",
        "112-1111111-2222222",
        "a7",
        "2026-11-07T10:00:00Z",
        99_900,
        "USD",
    );
    let again: Vec<&Alert> = out
        .alerts
        .iter()
        .filter(|a| a.kind == "intel_match")
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].alert_id, "intel_match:p1:112-1111111-2222222");
    assert!(again[0].entities.iter().any(|e| e.id == "r7"));
    let f = out.features.unwrap_or_else(|| unreachable!());
    assert_eq!(f[crate::features::F::IntelNamed as usize], 1.0);
    // An account never shown.
    let out = w.refund(
        "r8",
        "ORD-88812345",
        "a6",
        "2026-11-07T11:00:00Z",
        5_000,
        "USD",
    );
    let f = out.features.unwrap_or_else(|| unreachable!());
    assert_eq!(f[crate::features::F::IntelNamed as usize], 0.0);
    assert_eq!(f[crate::features::F::RingIntelAccounts as usize], 0.0);
}

/// A shop that numbers its orders like Shopify (`#1042`), and one with six-digit numbers
/// and `ORD-…` ids: ids that chatter's prices, postcodes and quantities collide with.
fn short_world() -> W {
    let mut w = W::new();
    for (id, acct, ts, cat, minor) in [
        ("#1042", "s1", "2026-11-01T10:00:00Z", "phones", 99_900),
        ("#1043", "s2", "2026-11-01T11:00:00Z", "computers", 129_900),
        ("#10115", "s3", "2026-10-01T11:00:00Z", "apparel", 4_500),
        (
            "104233",
            "s4",
            "2026-11-02T10:00:00Z",
            "video_games",
            49_999,
        ),
        (
            "104833",
            "s5",
            "2026-11-02T10:30:00Z",
            "video_games",
            12_000,
        ),
        ("104933", "s6", "2026-11-02T10:45:00Z", "books", 2_500),
        (
            "ORD-8F3K2-991",
            "s1",
            "2026-11-02T11:00:00Z",
            "electronics",
            19_900,
        ),
        ("ORD-8F3Q7-991", "s7", "2026-11-02T11:05:00Z", "toys", 3_000),
    ] {
        w.order(id, acct, ts, cat, minor, "USD");
    }
    w.refund("rs1", "#1042", "s1", "2026-11-04T09:00:00Z", 99_900, "USD");
    w.refund("rs4", "104233", "s4", "2026-11-04T09:30:00Z", 49_999, "USD");
    w
}

#[test]
fn short_ids_are_named_only_when_the_post_agrees() {
    let mut w = short_world();
    // The amount agrees: named, with what agreed.
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "✅ Order #1042 — iPhone 15 $999.00 refunded 2 days ago",
    );
    assert_eq!(orders_named(&alerts), ["#1042"]);
    assert_eq!(alerts[0].reasons[0].code, "order_id_in_post");
    assert!(
        alerts[0].reasons[0].detail.contains("USD 999.00"),
        "{:?}",
        alerts[0].reasons
    );
    let alerts = w.post(
        "p2",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "104233 | PS5 | $499.99 | done",
    );
    assert_eq!(orders_named(&alerts), ["104233"]);
    // Several ids in a list post, each with its own figures.
    let alerts = w.post(
        "p3",
        "2026-11-06T12:00:00Z",
        "@refund_kings",
        "#1042 iPhone $999.00\n#1043 MacBook $1,299.00",
    );
    assert_eq!(orders_named(&alerts), ["#1042", "#1043"]);
}

#[test]
fn prices_postcodes_and_quantities_equal_to_short_ids_name_nothing() {
    let mut w = short_world();
    for (k, text) in [
        "Parcel stuck at the depot in 10115 Berlin since Tuesday",
        "my ticket #1042 with support is still open",
        "bought 1043 stickers for the shop lol",
        "104233 views on the refund thread, nobody answers",
        // The number and a price, which belongs to another order.
        "104233 | PS5 | $120.00",
        // Only the week and a broad category agree: not enough for a short number.
        "got a PS5 on Nov 2, serial 104833",
    ]
    .iter()
    .enumerate()
    {
        let alerts = w.post(&format!("c{k}"), "2026-11-06T12:00:00Z", "r/amazon", text);
        assert!(orders_named(&alerts).is_empty(), "{text}: {alerts:?}");
    }
}

#[test]
fn a_short_id_next_to_a_distinctive_id_of_the_same_account_is_named() {
    let mut w = short_world();
    let alerts = w.post(
        "p1",
        "2026-11-06T12:00:00Z",
        "x",
        "same customer: ORD-8F3K2-991 and 1042",
    );
    assert_eq!(orders_named(&alerts), ["ORD-8F3K2-991", "#1042"]);
    assert!(
        alerts[1].reasons[0].detail.contains("its account s1"),
        "{:?}",
        alerts[1].reasons
    );
}

#[test]
fn distinctive_ids_of_other_shapes_match_alone_and_masked() {
    let mut w = short_world();
    let alerts = w.post("p1", "2026-11-06T12:00:00Z", "x", "ord-8f3k2-991 done");
    assert_eq!(orders_named(&alerts), ["ORD-8F3K2-991"]);
    // Masked: both ORD-8F3…-991 orders fit; the amount singles one out.
    let alerts = w.post(
        "p2",
        "2026-11-06T12:00:00Z",
        "x",
        "Order ORD-8F3•••-991 — soundbar $199.00 refunded",
    );
    assert_eq!(orders_named(&alerts), ["ORD-8F3K2-991"]);
    assert_eq!(alerts[0].reasons[0].code, "masked_order_id_in_post");
    assert!(
        alerts[0].reasons[0].detail.contains("of 2 orders that fit"),
        "{:?}",
        alerts[0].reasons
    );
    // Nothing agrees: both fit, none is named, and the post is reported as ambiguous only
    // when something agrees.
    let alerts = w.post("p3", "2026-11-06T12:00:00Z", "x", "ORD-8F3XXX-991 lol");
    assert!(orders_named(&alerts).is_empty(), "{alerts:?}");
    // A masked short number: three orders fit, the amount singles one out.
    let alerts = w.post(
        "p4",
        "2026-11-06T12:00:00Z",
        "x",
        "10••33 — PS5 $499.99 refunded Nov 4",
    );
    assert_eq!(orders_named(&alerts), ["104233"]);
    // The same with a price of none of them: nothing.
    let alerts = w.post("p5", "2026-11-06T12:00:00Z", "x", "10••33 — $77.00");
    assert!(orders_named(&alerts).is_empty(), "{alerts:?}");
}

#[test]
fn a_short_id_with_two_things_agreeing_is_reported_as_ambiguous() {
    let mut w = short_world();
    // The date (placed) and the product agree, no amount and no refund: below the bar for
    // a short number, so the post is reported without naming the order.
    let alerts = w.post("p1", "2026-11-06T12:00:00Z", "x", "104833 — PS5 — Nov 2");
    assert!(orders_named(&alerts).is_empty(), "{alerts:?}");
    let amb: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.reasons[0].code == "ambiguous_order_id")
        .collect();
    assert_eq!(amb.len(), 1, "{alerts:?}");
    assert!(amb[0].reasons[0].detail.contains("104833"));
    // Date, product and a refund before the post all agree: still ambiguous for a short
    // number (chatter gets that far by chance); the amount names it.
    let alerts = w.post("p2", "2026-11-06T12:00:00Z", "x", "104233 — PS5 — Nov 4");
    assert!(orders_named(&alerts).is_empty(), "{alerts:?}");
    assert_eq!(alerts.len(), 1);
    let alerts = w.post(
        "p3",
        "2026-11-06T12:00:00Z",
        "x",
        "104233 — PS5 — Nov 4 — $499.99",
    );
    assert_eq!(orders_named(&alerts), ["104233"]);
    assert_eq!(amb[0].alert_id, "intel_match:p1:ambiguous:t0");
}
