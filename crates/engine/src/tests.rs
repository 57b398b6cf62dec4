use super::*;
use clawback_events::output::Outcome;
use clawback_events::parse_line;
use clawback_events::samples::SAMPLE_EVENTS;

fn ev(json: &str) -> Event {
    parse_line(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Builds a line from a type, a timestamp and the type's own fields.
fn line(id: &str, ty: &str, ts: &str, fields: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"{ty}","ts":"{ts}",{fields}}}"#
    ))
}

const ADDR: &str = r#"{"line1":"1 High St","city":"Leeds","postal_code":"LS1 1AA","country":"GB"}"#;

fn world() -> Vec<Event> {
    vec![
        line(
            "1",
            "account_created",
            "2026-10-01T09:00:00Z",
            r#""account_id":"a1","email":"a1@example.com""#,
        ),
        line(
            "2",
            "order_placed",
            "2026-11-01T09:00:00Z",
            &format!(
                r#""order_id":"o1","account_id":"a1","items":[{{"sku":"mbp","category":"computers","unit_price_minor":240000,"quantity":1,"fulfilled_by":"retailer"}}],"amount_minor":240000,"currency":"GBP","shipping_address":{ADDR}"#
            ),
        ),
        line(
            "3",
            "shipment_delivered",
            "2026-11-03T09:00:00Z",
            r#""order_id":"o1","carrier":"DPD","tracking_number":"T1","weight_grams":2100,"proof_photo":true,"gps_match":true"#,
        ),
    ]
}

fn run(events: &[Event]) -> Vec<Outputs> {
    let mut e = Engine::baseline();
    events.iter().map(|x| e.apply(x)).collect()
}

#[test]
fn every_decision_point_gets_exactly_one_decision_and_others_none() {
    let mut e = Engine::baseline();
    for (name, l) in SAMPLE_EVENTS {
        let out = e.apply(&ev(l));
        let want = usize::from(matches!(
            *name,
            "refund_requested" | "account_created" | "message_reported"
        ));
        assert_eq!(out.decisions.len(), want, "{name}");
        for d in &out.decisions {
            assert!(
                d.decision.is_passing() || !d.reasons.is_empty(),
                "{name}: {d:?}"
            );
            assert!((0.0..=1.0).contains(&d.score));
        }
    }
}

#[test]
fn a_return_label_never_scanned_for_days_holds_the_refund_and_says_why() {
    let mut evs = world();
    evs.push(line("4", "return_requested", "2026-11-04T09:00:00Z", r#""return_id":"r1","order_id":"o1","account_id":"a1","items":[{"sku":"mbp","quantity":1}],"reason":"defective","channel":"web""#));
    evs.push(line(
        "5",
        "return_label_created",
        "2026-11-04T09:01:00Z",
        r#""return_id":"r1","carrier":"DPD","tracking_number":"RT1""#,
    ));
    evs.push(line("6", "refund_requested", "2026-11-13T09:00:00Z", r#""refund_id":"f1","order_id":"o1","account_id":"a1","amount_minor":240000,"currency":"GBP","reason":"defective","channel":"chat","return_id":"r1""#));
    let out = run(&evs);
    let d = &out[5].decisions[0];
    assert_eq!(d.decision, Outcome::Hold, "{d:?}");
    let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes[0], "high_value", "{codes:?}");
    assert!(codes.contains(&"no_carrier_scan"));
    assert!(
        d.reasons
            .iter()
            .any(|r| r.detail == "return label created 8 days ago, never scanned"),
        "{:?}",
        d.reasons
    );

    // the same request once the carrier has the parcel is approved
    let mut evs2 = evs.clone();
    evs2.insert(
        5,
        line(
            "5b",
            "carrier_scan",
            "2026-11-05T09:00:00Z",
            r#""carrier":"DPD","tracking_number":"RT1","status":"accepted","weight_grams":2050"#,
        ),
    );
    let out = run(&evs2);
    assert!(out[6].decisions[0].score < d.score);
}

#[test]
fn not_received_despite_photo_and_gps_goes_to_review_not_hold() {
    let mut evs = world();
    evs.push(line("4", "refund_requested", "2026-11-04T09:00:00Z", r#""refund_id":"f1","order_id":"o1","account_id":"a1","amount_minor":240000,"currency":"GBP","reason":"not_received","channel":"phone""#));
    let d = &run(&evs)[3].decisions[0];
    assert_eq!(d.decision, Outcome::Review, "nothing to hold for: {d:?}");
    assert_eq!(d.reasons[0].code, "claim_contradicts_delivery");
    assert!(
        d.reasons[0]
            .detail
            .contains("a proof photo and a GPS match")
    );
}

#[test]
fn an_empty_box_keyed_in_by_hand_raises_a_return_anomaly_naming_the_employee() {
    let mut evs = world();
    evs.push(line("4", "return_requested", "2026-11-04T09:00:00Z", r#""return_id":"r1","order_id":"o1","account_id":"a1","items":[{"sku":"mbp","quantity":1}],"reason":"defective","channel":"web""#));
    evs.push(line(
        "5",
        "return_label_created",
        "2026-11-04T09:01:00Z",
        r#""return_id":"r1","carrier":"DPD","tracking_number":"RT1""#,
    ));
    evs.push(line("6", "return_received", "2026-11-06T09:00:00Z", r#""return_id":"r1","warehouse_id":"w1","employee_id":"emp-9","items":[{"sku":"mbp","quantity":1,"condition":"empty"}],"barcode_scanned":false,"weight_grams":300"#));
    evs.push(line("7", "refund_requested", "2026-11-06T10:00:00Z", r#""refund_id":"f1","order_id":"o1","account_id":"a1","amount_minor":240000,"currency":"GBP","reason":"defective","channel":"web","return_id":"r1""#));
    let out = run(&evs);
    let a = &out[5].alerts[0];
    assert_eq!(a.kind, "return_anomaly");
    assert_eq!(a.alert_id, "return_anomaly:r1");
    assert!(a.entities.iter().any(|e| e.id == "emp-9"));
    assert_eq!(a.ts, "2026-11-06T09:00:00Z");
    let d = &out[6].decisions[0];
    assert!(
        matches!(d.decision, Outcome::Review | Outcome::Deny),
        "{d:?}"
    );
    assert_eq!(d.reasons[0].code, "empty_or_wrong_return");
}

#[test]
fn a_signup_reusing_a_banned_accounts_email_is_blocked() {
    let evs = vec![
        line(
            "1",
            "account_created",
            "2026-10-01T09:00:00Z",
            r#""account_id":"bad","email":"Fraud@Example.com","device_id":"d1""#,
        ),
        line(
            "2",
            "account_closed",
            "2026-10-05T09:00:00Z",
            r#""account_id":"bad","by":"retailer","reason":"refund abuse""#,
        ),
        line(
            "3",
            "account_created",
            "2026-10-09T09:00:00Z",
            r#""account_id":"new","email":"fraud@example.com ""#,
        ),
        line(
            "4",
            "account_created",
            "2026-10-09T10:00:00Z",
            r#""account_id":"other","email":"someone@example.com","device_id":"d2""#,
        ),
    ];
    let out = run(&evs);
    let d = &out[2].decisions[0];
    assert_eq!(d.decision, Outcome::Block, "{d:?}");
    assert_eq!(
        d.reasons[0].detail,
        "same e-mail address (normalised) as bad, closed by the retailer"
    );
    assert_eq!(out[3].decisions[0].decision, Outcome::Allow);
    // closing by the customer is not a ban
    let mut evs2 = evs.clone();
    evs2[1] = line(
        "2",
        "account_closed",
        "2026-10-05T09:00:00Z",
        r#""account_id":"bad","by":"customer""#,
    );
    assert_eq!(run(&evs2)[2].decisions[0].decision, Outcome::Allow);
}

#[test]
fn a_bank_details_scam_is_phishing_and_a_shipping_notice_is_benign() {
    let scam = line(
        "1",
        "message_reported",
        "2026-11-03T09:30:00Z",
        r#""report_id":"p1","channel":"sms","text":"Payment problem with your order. Confirm your bank details within 24 hours: http://192.0.2.7/verify""#,
    );
    let notice = line(
        "2",
        "message_reported",
        "2026-11-03T09:31:00Z",
        r#""report_id":"p2","channel":"email","text":"Your parcel has shipped and will arrive on Tuesday.""#,
    );
    let out = run(&[scam, notice]);
    assert_eq!(
        out[0].decisions[0].decision,
        Outcome::Phishing,
        "{:?}",
        out[0].decisions[0]
    );
    let codes: Vec<&str> = out[0].decisions[0]
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(codes[0], "link_to_ip_address");
    assert!(
        codes.contains(&"requests_card_or_bank_details"),
        "{codes:?}"
    );
    assert_eq!(out[1].decisions[0].decision, Outcome::Benign);
}

fn report(n: usize, ts: &str, channel: &str, sender: &str, text: &str, urls: &[&str]) -> Event {
    let sender = if sender.is_empty() {
        String::new()
    } else {
        format!(r#","sender":"{sender}""#)
    };
    let urls = if urls.is_empty() {
        String::new()
    } else {
        format!(
            r#","urls":[{}]"#,
            urls.iter()
                .map(|u| format!("\"{u}\""))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    line(
        &format!("m{n}"),
        "message_reported",
        ts,
        &format!(r#""report_id":"rep-{n}","channel":"{channel}","text":"{text}"{sender}{urls}"#),
    )
}

#[test]
fn reports_are_judged_by_links_senders_and_words_in_four_languages() {
    let evs = [
        report(
            1,
            "2026-11-03T09:00:00Z",
            "email",
            "billing@amazon-account-help.net",
            "Your Amazon payment failed. Update your card now: https://amazon-account-help.net/pay",
            &[],
        ),
        report(
            2,
            "2026-11-03T09:01:00Z",
            "sms",
            "+33612345678",
            "Amazon : votre colis est bloqué, réglez 1,99 € de frais de livraison sous 24h",
            &["https://xn--amzon-r6k.shop/fr"],
        ),
        report(
            3,
            "2026-11-03T09:02:00Z",
            "call",
            "+4915112345678",
            "Der Anrufer sagte, er sei von Amazon, und wollte, dass ich AnyDesk installiere",
            &[],
        ),
        report(
            4,
            "2026-11-03T09:03:00Z",
            "sms",
            "Amazon",
            "Hola Ana, tu pedido 111-2845081-8644942 ha sido enviado: https://www.amazon.de/gp/your-account",
            &[],
        ),
        report(
            5,
            "2026-11-03T09:04:00Z",
            "email",
            "",
            "Su cuenta de Amazon ha sido bloqueada. Confirme los datos de su tarjeta ahora: http://203.0.113.9/es",
            &[],
        ),
        report(
            6,
            "2026-11-03T09:05:00Z",
            "email",
            "news@example.org",
            "Our spring newsletter: ten recipes for the weekend",
            &["https://example.org/news"],
        ),
    ];
    let out = run(&evs);
    let d: Vec<&str> = out
        .iter()
        .map(|o| o.decisions[0].decision.as_str())
        .collect();
    assert_eq!(
        d,
        [
            "phishing", "phishing", "phishing", "benign", "phishing", "benign"
        ],
        "{out:?}"
    );
    let first = &out[0].decisions[0].reasons[0];
    assert_eq!(first.code, "lookalike_domain");
    assert!(
        first.detail.contains("amazon-account-help.net") && first.detail.contains("amazon.com"),
        "{first:?}"
    );
    assert!(
        out[1].decisions[0]
            .reasons
            .iter()
            .any(|r| r.code == "small_fee_request")
    );
    assert!(
        out[2].decisions[0]
            .reasons
            .iter()
            .any(|r| r.code == "remote_access_request")
    );
}

#[test]
fn campaigns_group_by_domain_sender_and_text_with_a_stable_id() {
    let mut evs = Vec::new();
    // Campaign A: one lookalike domain, then the same text from a number that also sends
    // the domain, then the same text behind a shortener with no sender (text only).
    for i in 0..4 {
        evs.push(report(i, &format!("2026-11-03T09:0{i}:00Z"), "sms", "+447700900001", "Amazon: there is a payment problem with your order. Confirm your bank details within 24h", &[&format!("https://amaz0n-pay.co/x{i}")]));
    }
    evs.push(report(
        10,
        "2026-11-03T10:00:00Z",
        "sms",
        "",
        "Amazon: there is a payment problem with your order. Confirm your bank details within 12h",
        &["https://bit.ly/abc"],
    ));
    // Campaign B: another domain and other words.
    for i in 20..24 {
        evs.push(report(
            i,
            &format!("2026-11-04T09:{i}:00Z"),
            "email",
            "win@arnazon-gifts.info",
            "Congratulations! You have been selected for a gift card. Claim before midnight",
            &["https://arnazon-gifts.info/claim"],
        ));
    }
    let out = run(&evs);
    let mut camp: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for o in &out {
        for a in &o.alerts {
            assert_eq!(a.kind.as_str(), "phishing_campaign");
            for e in &a.entities {
                if e.kind == clawback_events::output::EntityType::Report {
                    camp.entry(a.alert_id.to_string())
                        .or_default()
                        .push(e.id.to_string());
                }
            }
        }
    }
    let want: std::collections::BTreeMap<String, Vec<String>> = [
        (
            "phishing_campaign:rep-0",
            vec!["rep-0", "rep-1", "rep-2", "rep-3", "rep-10"],
        ),
        (
            "phishing_campaign:rep-20",
            vec!["rep-20", "rep-21", "rep-22", "rep-23"],
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(camp, want);
    let last = out.iter().rev().find_map(|o| o.alerts.first()).unwrap();
    assert!(
        last.entities
            .iter()
            .any(|e| e.id.as_str() == "arnazon-gifts.info")
    );
    assert!(last.reasons.iter().any(|r| r.code == "campaign_volume"));
    let advisory = out
        .iter()
        .flat_map(|o| &o.alerts)
        .flat_map(|a| &a.reasons)
        .find(|r| r.code == "customer_advisory")
        .map(|r| r.detail.clone())
        .unwrap_or_default();
    assert!(
        advisory.starts_with("draft (en)") && advisory.contains("amaz0n-pay.co"),
        "{advisory}"
    );
}

#[test]
fn a_decision_does_not_count_itself_and_labels_change_nothing() {
    let mut evs = world();
    evs.push(line("4", "refund_requested", "2026-11-04T09:00:00Z", r#""refund_id":"f1","order_id":"o1","account_id":"a1","amount_minor":1000,"currency":"GBP","reason":"defective","channel":"web","return_id":"none""#));
    let plain = run(&evs);
    assert!(
        !plain[3].decisions[0]
            .reasons
            .iter()
            .any(|r| r.code == "frequent_refunds")
    );
    let mut labelled = evs.clone();
    labelled.insert(
        0,
        line(
            "L",
            "label",
            "2026-09-01T00:00:00Z",
            r#""entity":"refund","id":"f1","label":"fraud""#,
        ),
    );
    assert_eq!(run(&labelled)[1..], plain[..]);
}

#[test]
fn the_same_events_give_the_same_outputs() {
    let evs: Vec<Event> = SAMPLE_EVENTS.iter().map(|(_, l)| ev(l)).collect();
    assert_eq!(run(&evs), run(&evs));
}
