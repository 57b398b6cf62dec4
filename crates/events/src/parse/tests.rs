use super::*;
use crate::samples::SAMPLE_EVENTS;
use proptest::prelude::*;

fn obj(line: &str) -> Map<String, Value> {
    match serde_json::from_str(line).unwrap() {
        Value::Object(m) => m,
        _ => unreachable!("samples are objects"),
    }
}

fn parse_value(m: &Map<String, Value>) -> R<Event> {
    parse_line(&serde_json::to_vec(m).unwrap())
}

#[test]
fn every_sample_parses_to_its_type() {
    assert_eq!(
        SAMPLE_EVENTS.len(),
        EventType::ALL.len(),
        "one sample per event type"
    );
    for (name, line) in SAMPLE_EVENTS {
        let ev = parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ev.event_type().as_str(), *name);
    }
}

#[test]
fn values_are_normalised_only_where_the_contract_allows() {
    let ev = parse_line(SAMPLE_EVENTS[0].1.as_bytes()).unwrap();
    let Body::AccountCreated(a) = ev.body else {
        unreachable!()
    };
    // emails are kept as typed (normalisation is the identity graph's job) …
    assert_eq!(a.email, "John.Smith+deals@Gmail.com");
    // … codes are upper-cased
    assert_eq!(a.address.unwrap().country, "US");
    let ev = parse_line(SAMPLE_EVENTS[1].1.as_bytes()).unwrap();
    let Body::AccountUpdated(u) = ev.body else {
        unreachable!()
    };
    assert_eq!(
        u.address.unwrap().postal_code,
        "98101",
        "numeric postal codes are kept as text"
    );
    let ev = parse_line(SAMPLE_EVENTS[5].1.as_bytes()).unwrap();
    let Body::OrderPlaced(o) = ev.body else {
        unreachable!()
    };
    assert_eq!(o.money.currency, "USD");
    assert_eq!(o.items[0].fulfilled_by, Some(FulfilledBy::Retailer));
}

#[test]
fn removing_any_required_field_is_reported_by_name() {
    for (name, line) in SAMPLE_EVENTS {
        let ty = EventType::from_name(name).unwrap();
        for spec in ENVELOPE.iter().chain(schema_of(ty)).filter(|s| s.required) {
            let mut m = obj(line);
            m.remove(spec.name);
            let err = parse_value(&m).unwrap_err();
            let want = if spec.name == "type" {
                "type".to_string()
            } else {
                format!("{name}.{}", spec.name)
            };
            assert_eq!(
                err.field.as_deref(),
                Some(want.as_str()),
                "{name} without {}: {err}",
                spec.name
            );
            // null is the same as absent
            let mut m = obj(line);
            m.insert(spec.name.to_string(), Value::Null);
            assert!(parse_value(&m).is_err(), "{name} with null {}", spec.name);
        }
    }
}

/// A JSON value of the wrong type for `kind`.
fn wrong_value(kind: FieldKind) -> Value {
    match kind {
        FieldKind::Bool => Value::from("yes"),
        FieldKind::Money | FieldKind::Count | FieldKind::Rating | FieldKind::Measure => {
            Value::from("12")
        }
        FieldKind::LooseText => Value::from(true),
        _ => Value::from(12),
    }
}

#[test]
fn a_wrong_type_in_any_field_is_reported_by_name() {
    for (name, line) in SAMPLE_EVENTS {
        let ty = EventType::from_name(name).unwrap();
        for spec in ENVELOPE
            .iter()
            .chain(schema_of(ty))
            .filter(|s| s.name != "type")
        {
            let mut m = obj(line);
            m.insert(spec.name.to_string(), wrong_value(spec.kind));
            let err = parse_value(&m).unwrap_err();
            assert_eq!(
                err.field.as_deref(),
                Some(format!("{name}.{}", spec.name).as_str()),
                "{name} with a wrong {}: {err}",
                spec.name
            );
            assert!(
                err.reason.contains("expected") || err.reason.contains("timestamp"),
                "{err}"
            );
        }
    }
}

#[test]
fn nested_fields_are_named_with_their_path() {
    let line = r#"{"event_id":"e","type":"order_placed","ts":"2026-11-02T14:09:00Z","order_id":"o","account_id":"a","items":[{"sku":"s","category":"c","unit_price_minor":1,"quantity":1},{"sku":"s2","category":"c","unit_price_minor":"9.99","quantity":1}],"amount_minor":1,"currency":"USD","shipping_address":{"line1":"x","city":"y","postal_code":"1","country":"US"}}"#;
    let err = parse_line(line.as_bytes()).unwrap_err();
    assert_eq!(
        err.field.as_deref(),
        Some("order_placed.items[1].unit_price_minor")
    );
    let neg = line.replace(r#""9.99""#, "-5");
    let err = parse_line(neg.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order_placed.items[1].unit_price_minor: must be >= 0 (money is an amount in minor units)"
    );
    let no_city = line.replace(r#""city":"y","#, "").replace(r#""9.99""#, "5");
    let err = parse_line(no_city.as_bytes()).unwrap_err();
    assert_eq!(
        err.field.as_deref(),
        Some("order_placed.shipping_address.city")
    );
}

#[test]
fn each_kind_of_bad_line_gets_a_precise_reason() {
    let refund = SAMPLE_EVENTS[11].1;
    let cases: Vec<(Vec<u8>, Option<&str>, &str)> = vec![
        (
            refund.replace("199900", "-1").into_bytes(),
            Some("refund_requested.amount_minor"),
            "must be >= 0",
        ),
        (
            refund
                .replace("refund_requested", "refund_requestd")
                .into_bytes(),
            Some("type"),
            "unknown event type",
        ),
        (
            refund
                .replace("2026-11-05T10:02:00Z", "05/11/2026")
                .into_bytes(),
            Some("refund_requested.ts"),
            "RFC 3339",
        ),
        (
            refund
                .replace(r#""currency":"USD""#, r#""currency":"dollars""#)
                .into_bytes(),
            Some("refund_requested.currency"),
            "ISO 4217",
        ),
        (
            refund
                .replace(r#""refund_id":"ref-1""#, r#""refund_id":"""#)
                .into_bytes(),
            Some("refund_requested.refund_id"),
            "empty",
        ),
        (
            refund
                .replace(
                    r#""refund_id":"ref-1""#,
                    &format!(r#""refund_id":"{}""#, "x".repeat(129)),
                )
                .into_bytes(),
            Some("refund_requested.refund_id"),
            "128",
        ),
        (
            refund.replace("199900", "1e3").into_bytes(),
            Some("refund_requested.amount_minor"),
            "expected an integer",
        ),
        (
            refund
                .replace("199900", "99999999999999999999")
                .into_bytes(),
            Some("refund_requested.amount_minor"),
            "expected an integer",
        ),
        (
            b"{\"event_id\": \"e\", \"type\": ".to_vec(),
            None,
            "not valid JSON",
        ),
        (b"[1,2,3]".to_vec(), None, "expected a JSON object"),
        (
            b"\x00\xff\xfe\x01binary junk".to_vec(),
            None,
            "not UTF-8 JSON",
        ),
        (b"{}".to_vec(), Some("type"), "missing"),
        (br#"{"type":7}"#.to_vec(), Some("type"), "expected a string"),
        (
            SAMPLE_EVENTS[18]
                .1
                .replace(r#""rating":1"#, r#""rating":6"#)
                .into_bytes(),
            Some("review_posted.rating"),
            "between 1 and 5",
        ),
    ];
    for (line, field, reason) in cases {
        let err = parse_line(&line).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            field,
            "{}: {err}",
            String::from_utf8_lossy(&line)
        );
        assert!(
            err.reason.contains(reason),
            "{err} should mention {reason:?}"
        );
    }
}

#[test]
fn unknown_fields_are_ignored_even_when_another_type_uses_the_name() {
    // `items` means an array elsewhere; an account_closed line may carry anything there.
    let line = r#"{"event_id":"e","type":"account_closed","ts":"2026-11-02T14:09:00Z","account_id":"a","items":"whatever","x_retailer_flag":{"deep":[1,2]}}"#;
    let ev = parse_line(line.as_bytes()).unwrap();
    assert_eq!(ev.event_type(), EventType::AccountClosed);
}

#[test]
fn optional_fields_may_be_null_or_absent_and_unlisted_enum_values_are_kept() {
    let line = r#"{"event_id":"e","type":"refund_requested","ts":"2026-11-02T14:09:00+02:00","refund_id":"r","order_id":"o","account_id":"a","amount_minor":0,"currency":"EUR","reason":"arrived_late","channel":"kiosk","return_id":null,"contact_id":null}"#;
    let ev = parse_line(line.as_bytes()).unwrap();
    let Body::RefundRequested(r) = ev.body else {
        unreachable!()
    };
    assert_eq!(r.return_id, None);
    assert_eq!(r.reason, ClaimReason::Other(Id::from("arrived_late")));
    assert_eq!(r.channel, Channel::Other(Id::from("kiosk")));
    assert_eq!(ev.ts.raw, "2026-11-02T14:09:00+02:00");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_line(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic(idx in 0..SAMPLE_EVENTS.len(), pos in 0usize..400, byte in any::<u8>()) {
        let mut line = SAMPLE_EVENTS[idx].1.as_bytes().to_vec();
        let p = pos % line.len();
        line[p] = byte;
        if let Err(e) = parse_line(&line) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn amounts_are_accepted_exactly_when_non_negative(amount in any::<i64>()) {
        let line = SAMPLE_EVENTS[11].1.replace("199900", &amount.to_string());
        let res = parse_line(line.as_bytes());
        prop_assert_eq!(res.is_ok(), amount >= 0);
    }
}
