//! One complete, valid line per event type, every optional field filled in.
//!
//! Tests across the workspace use these as the canonical example of each type, so a change
//! to the contract shows up in one place.

/// `(type, line)` for every event type of the contract, in contract order.
pub const SAMPLE_EVENTS: &[(&str, &str)] = &[
    (
        "account_created",
        r#"{"event_id":"e-1","type":"account_created","ts":"2026-11-02T14:03:11Z","account_id":"acct-1","email":"John.Smith+deals@Gmail.com","phone":"+1 206 555 0100","name":"John Smith","device_id":"dev-1","ip":"203.0.113.7","address":{"line1":"12 Main Street","line2":"Apt 4","city":"Seattle","region":"WA","postal_code":"98101","country":"us"}}"#,
    ),
    (
        "account_updated",
        r#"{"event_id":"e-2","type":"account_updated","ts":"2026-11-02T14:05:00Z","account_id":"acct-1","email":"js@example.com","phone":"2065550100","name":"J Smith","address":{"line1":"12 Main St.","city":"Seattle","postal_code":98101,"country":"US"},"device_id":"dev-2","ip":"203.0.113.8"}"#,
    ),
    (
        "login",
        r#"{"event_id":"e-3","type":"login","ts":"2026-11-02T14:06:00Z","account_id":"acct-1","success":true,"device_id":"dev-1","ip":"203.0.113.7"}"#,
    ),
    (
        "payment_method_added",
        r#"{"event_id":"e-4","type":"payment_method_added","ts":"2026-11-02T14:07:00Z","account_id":"acct-1","payment_fingerprint":"fp-1","card_bin":"411111","last4":"1111"}"#,
    ),
    (
        "account_closed",
        r#"{"event_id":"e-5","type":"account_closed","ts":"2026-11-02T14:08:00Z","account_id":"acct-9","reason":"refund abuse","by":"retailer"}"#,
    ),
    (
        "order_placed",
        r#"{"event_id":"e-6","type":"order_placed","ts":"2026-11-02T14:09:00Z","order_id":"113-4829175-0038261","account_id":"acct-1","items":[{"sku":"sku-1","category":"computers","unit_price_minor":199900,"quantity":1,"seller_id":"sel-1","fulfilled_by":"retailer"}],"amount_minor":199900,"currency":"usd","shipping_address":{"line1":"12 Main Street","city":"Seattle","postal_code":"98101","country":"US"},"payment_fingerprint":"fp-1","device_id":"dev-1","ip":"203.0.113.7"}"#,
    ),
    (
        "shipment_delivered",
        r#"{"event_id":"e-7","type":"shipment_delivered","ts":"2026-11-04T10:00:00Z","order_id":"113-4829175-0038261","carrier":"UPS","tracking_number":"1Z5R89390357567127","weight_grams":2300,"proof_photo":true,"gps_match":true,"signature":false}"#,
    ),
    (
        "return_requested",
        r#"{"event_id":"e-8","type":"return_requested","ts":"2026-11-05T10:00:00Z","return_id":"ret-1","order_id":"113-4829175-0038261","account_id":"acct-1","items":[{"sku":"sku-1","quantity":1}],"reason":"defective","channel":"chat","contact_id":"ct-1"}"#,
    ),
    (
        "return_label_created",
        r#"{"event_id":"e-9","type":"return_label_created","ts":"2026-11-05T10:01:00Z","return_id":"ret-1","carrier":"UPS","tracking_number":"1Z999AA10123456784"}"#,
    ),
    (
        "carrier_scan",
        r#"{"event_id":"e-10","type":"carrier_scan","ts":"2026-11-06T09:00:00Z","carrier":"UPS","tracking_number":"1Z999AA10123456784","status":"accepted","postal_code":"98101","weight_grams":2250.5}"#,
    ),
    (
        "return_received",
        r#"{"event_id":"e-11","type":"return_received","ts":"2026-11-08T09:00:00Z","return_id":"ret-1","warehouse_id":"wh-1","employee_id":"emp-7","items":[{"sku":"sku-1","quantity":1,"condition":"used"}],"barcode_scanned":false,"weight_grams":2240}"#,
    ),
    (
        "refund_requested",
        r#"{"event_id":"e-12","type":"refund_requested","ts":"2026-11-05T10:02:00Z","refund_id":"ref-1","order_id":"113-4829175-0038261","account_id":"acct-1","amount_minor":199900,"currency":"USD","reason":"defective","channel":"chat","return_id":"ret-1","contact_id":"ct-1","employee_id":"emp-3"}"#,
    ),
    (
        "refund_issued",
        r#"{"event_id":"e-13","type":"refund_issued","ts":"2026-11-08T10:00:00Z","refund_id":"ref-1","amount_minor":199900,"currency":"USD","override":true,"employee_id":"emp-3"}"#,
    ),
    (
        "chargeback",
        r#"{"event_id":"e-14","type":"chargeback","ts":"2026-12-01T10:00:00Z","order_id":"113-4829175-0038261","amount_minor":199900,"currency":"USD","reason":"13.1"}"#,
    ),
    (
        "support_contact",
        r#"{"event_id":"e-15","type":"support_contact","ts":"2026-11-05T09:55:00Z","contact_id":"ct-1","employee_id":"emp-3","channel":"chat","identity_verified":false,"account_id":"acct-1","order_id":"113-4829175-0038261","caller_phone":"+44 20 7946 0000","device_id":"dev-op-1","ip":"198.51.100.4","duration_s":420,"transcript":"Hi, my laptop arrived broken and I need a refund today."}"#,
    ),
    (
        "employee_login",
        r#"{"event_id":"e-16","type":"employee_login","ts":"2026-11-05T08:00:00Z","employee_id":"emp-3","success":true,"ip":"10.0.0.5","device_id":"corp-3"}"#,
    ),
    (
        "employee_action",
        r#"{"event_id":"e-17","type":"employee_action","ts":"2026-11-05T10:03:00Z","employee_id":"emp-3","action":"approve_refund","account_id":"acct-1","order_id":"113-4829175-0038261","return_id":"ret-1","refund_id":"ref-1","ticket_id":"t-1"}"#,
    ),
    (
        "data_access",
        r#"{"event_id":"e-18","type":"data_access","ts":"2026-11-05T11:00:00Z","employee_id":"emp-4","resource":"reviewer_contact","account_ids":["acct-1","acct-2"],"ticket_id":"t-2","export":false}"#,
    ),
    (
        "review_posted",
        r#"{"event_id":"e-19","type":"review_posted","ts":"2026-11-06T11:00:00Z","review_id":"rev-1","account_id":"acct-2","sku":"sku-9","seller_id":"sel-1","rating":1,"text":"Broke after a day."}"#,
    ),
    (
        "review_changed",
        r#"{"event_id":"e-20","type":"review_changed","ts":"2026-11-09T11:00:00Z","review_id":"rev-1","removed":false,"rating":5}"#,
    ),
    (
        "seller_message",
        r#"{"event_id":"e-21","type":"seller_message","ts":"2026-11-08T11:00:00Z","message_id":"msg-1","seller_id":"sel-1","account_id":"acct-2","text":"We would love to make this right, free replacement if you update your review."}"#,
    ),
    (
        "message_reported",
        r#"{"event_id":"e-22","type":"message_reported","ts":"2026-11-03T09:30:00Z","report_id":"rep-3","channel":"sms","text":"Amazon: payment problem with your order, confirm your bank details within 24h: https://amaz0n-billing.com/verify","account_id":"acct-1","sender":"+44 7700 900000","subject":null,"urls":["https://amaz0n-billing.com/verify"]}"#,
    ),
    (
        "intel_post",
        r#"{"event_id":"e-23","type":"intel_post","ts":"2026-11-10T12:00:00Z","post_id":"post-1","source":"telegram","text":"Another one refunded! MacBook $2,399 order 113-48291••-0038261 #vouch","channel":"@refundingclub","author":"rekk"}"#,
    ),
    (
        "label",
        r#"{"event_id":"e-24","type":"label","ts":"2026-12-15T00:00:00Z","entity":"refund","id":"ref-1","label":"fraud","kind":"refund_service","group":"ring-1","source":"investigation"}"#,
    ),
];
