//! Typed events back to contract JSON.
//!
//! Whatever writes events (the simulator, tests, an HTTP client library) writes them through
//! this, so that what Clawback emits always parses back to the same event. Optional fields
//! that are `None` are left out.

use crate::types::*;
use serde_json::{Map, Value};

struct Obj(Map<String, Value>);

impl Obj {
    fn put(&mut self, k: &str, v: impl Into<Value>) -> &mut Self {
        self.0.insert(k.to_string(), v.into());
        self
    }
    fn opt<V: Into<Value>>(&mut self, k: &str, v: Option<V>) -> &mut Self {
        if let Some(v) = v {
            self.0.insert(k.to_string(), v.into());
        }
        self
    }
}

fn s(v: &impl AsRef<str>) -> Value {
    Value::from(v.as_ref())
}

fn os<T: AsRef<str>>(v: &Option<T>) -> Option<Value> {
    v.as_ref().map(s)
}

fn address(a: &Address) -> Value {
    let mut o = Obj(Map::new());
    o.put("line1", s(&a.line1))
        .opt("line2", os(&a.line2))
        .put("city", s(&a.city))
        .opt("region", os(&a.region))
        .put("postal_code", s(&a.postal_code))
        .put("country", s(&a.country));
    Value::Object(o.0)
}

fn money(o: &mut Obj, m: &Money) {
    o.put("amount_minor", m.amount_minor)
        .put("currency", s(&m.currency));
}

impl Event {
    /// The event as a contract JSON object.
    pub fn to_json(&self) -> Value {
        let mut o = Obj(Map::new());
        o.put("event_id", s(&self.event_id))
            .put("type", self.event_type().as_str())
            .put("ts", s(&self.ts.raw));
        match &self.body {
            Body::AccountCreated(e) => {
                o.put("account_id", s(&e.account_id))
                    .put("email", s(&e.email))
                    .opt("phone", os(&e.phone))
                    .opt("name", os(&e.name))
                    .opt("device_id", os(&e.device_id))
                    .opt("ip", os(&e.ip))
                    .opt("address", e.address.as_ref().map(address));
            }
            Body::AccountUpdated(e) => {
                o.put("account_id", s(&e.account_id))
                    .opt("email", os(&e.email))
                    .opt("phone", os(&e.phone))
                    .opt("name", os(&e.name))
                    .opt("address", e.address.as_ref().map(address))
                    .opt("device_id", os(&e.device_id))
                    .opt("ip", os(&e.ip));
            }
            Body::Login(e) => {
                o.put("account_id", s(&e.account_id))
                    .put("success", e.success)
                    .opt("device_id", os(&e.device_id))
                    .opt("ip", os(&e.ip));
            }
            Body::PaymentMethodAdded(e) => {
                o.put("account_id", s(&e.account_id))
                    .put("payment_fingerprint", s(&e.payment_fingerprint))
                    .opt("card_bin", os(&e.card_bin))
                    .opt("last4", os(&e.last4));
            }
            Body::AccountClosed(e) => {
                o.put("account_id", s(&e.account_id))
                    .opt("reason", os(&e.reason))
                    .opt("by", e.by.as_ref().map(|b| s(&b.as_str())));
            }
            Body::OrderPlaced(e) => {
                let items: Vec<Value> = e
                    .items
                    .iter()
                    .map(|i| {
                        let mut it = Obj(Map::new());
                        it.put("sku", s(&i.sku))
                            .put("category", s(&i.category))
                            .put("unit_price_minor", i.unit_price_minor)
                            .put("quantity", i.quantity)
                            .opt("seller_id", os(&i.seller_id))
                            .opt(
                                "fulfilled_by",
                                i.fulfilled_by.as_ref().map(|f| s(&f.as_str())),
                            );
                        Value::Object(it.0)
                    })
                    .collect();
                o.put("order_id", s(&e.order_id))
                    .put("account_id", s(&e.account_id))
                    .put("items", items);
                money(&mut o, &e.money);
                o.put("shipping_address", address(&e.shipping_address))
                    .opt("payment_fingerprint", os(&e.payment_fingerprint))
                    .opt("device_id", os(&e.device_id))
                    .opt("ip", os(&e.ip));
            }
            Body::ShipmentDelivered(e) => {
                o.put("order_id", s(&e.order_id))
                    .put("carrier", s(&e.carrier))
                    .put("tracking_number", s(&e.tracking_number))
                    .opt("weight_grams", e.weight_grams)
                    .opt("proof_photo", e.proof_photo)
                    .opt("gps_match", e.gps_match)
                    .opt("signature", e.signature);
            }
            Body::ReturnRequested(e) => {
                let items: Vec<Value> = e
                    .items
                    .iter()
                    .map(|i| serde_json::json!({"sku": i.sku.as_str(), "quantity": i.quantity}))
                    .collect();
                o.put("return_id", s(&e.return_id))
                    .put("order_id", s(&e.order_id))
                    .put("account_id", s(&e.account_id))
                    .put("items", items)
                    .put("reason", e.reason.as_str())
                    .put("channel", e.channel.as_str())
                    .opt("contact_id", os(&e.contact_id));
            }
            Body::ReturnLabelCreated(e) => {
                o.put("return_id", s(&e.return_id))
                    .put("carrier", s(&e.carrier))
                    .put("tracking_number", s(&e.tracking_number));
            }
            Body::CarrierScan(e) => {
                o.put("carrier", s(&e.carrier))
                    .put("tracking_number", s(&e.tracking_number))
                    .put("status", e.status.as_str())
                    .opt("postal_code", os(&e.postal_code))
                    .opt("weight_grams", e.weight_grams);
            }
            Body::ReturnReceived(e) => {
                let items: Vec<Value> = e
                    .items
                    .iter()
                    .map(|i| {
                        serde_json::json!({"sku": i.sku.as_str(), "quantity": i.quantity, "condition": i.condition.as_str()})
                    })
                    .collect();
                o.put("return_id", s(&e.return_id))
                    .put("warehouse_id", s(&e.warehouse_id))
                    .put("employee_id", s(&e.employee_id))
                    .put("items", items)
                    .put("barcode_scanned", e.barcode_scanned)
                    .opt("weight_grams", e.weight_grams);
            }
            Body::RefundRequested(e) => {
                o.put("refund_id", s(&e.refund_id))
                    .put("order_id", s(&e.order_id))
                    .put("account_id", s(&e.account_id));
                money(&mut o, &e.money);
                o.put("reason", e.reason.as_str())
                    .put("channel", e.channel.as_str())
                    .opt("return_id", os(&e.return_id))
                    .opt("contact_id", os(&e.contact_id))
                    .opt("employee_id", os(&e.employee_id));
            }
            Body::RefundIssued(e) => {
                o.put("refund_id", s(&e.refund_id));
                money(&mut o, &e.money);
                o.put("override", e.override_)
                    .opt("employee_id", os(&e.employee_id));
            }
            Body::Chargeback(e) => {
                o.put("order_id", s(&e.order_id));
                money(&mut o, &e.money);
                o.opt("reason", os(&e.reason));
            }
            Body::SupportContact(e) => {
                o.put("contact_id", s(&e.contact_id))
                    .put("employee_id", s(&e.employee_id))
                    .put("channel", e.channel.as_str())
                    .put("identity_verified", e.identity_verified)
                    .opt("account_id", os(&e.account_id))
                    .opt("order_id", os(&e.order_id))
                    .opt("caller_phone", os(&e.caller_phone))
                    .opt("device_id", os(&e.device_id))
                    .opt("ip", os(&e.ip))
                    .opt("duration_s", e.duration_s)
                    .opt("transcript", os(&e.transcript));
            }
            Body::EmployeeLogin(e) => {
                o.put("employee_id", s(&e.employee_id))
                    .put("success", e.success)
                    .opt("ip", os(&e.ip))
                    .opt("device_id", os(&e.device_id));
            }
            Body::EmployeeAction(e) => {
                o.put("employee_id", s(&e.employee_id))
                    .put("action", e.action.as_str())
                    .opt("account_id", os(&e.account_id))
                    .opt("order_id", os(&e.order_id))
                    .opt("return_id", os(&e.return_id))
                    .opt("refund_id", os(&e.refund_id))
                    .opt("ticket_id", os(&e.ticket_id));
            }
            Body::DataAccess(e) => {
                let ids: Vec<Value> = e.account_ids.iter().map(s).collect();
                o.put("employee_id", s(&e.employee_id))
                    .put("resource", e.resource.as_str())
                    .put("account_ids", ids)
                    .opt("ticket_id", os(&e.ticket_id))
                    .opt("export", e.export);
            }
            Body::ReviewPosted(e) => {
                o.put("review_id", s(&e.review_id))
                    .put("account_id", s(&e.account_id))
                    .put("sku", s(&e.sku))
                    .put("seller_id", s(&e.seller_id))
                    .put("rating", e.rating)
                    .opt("text", os(&e.text));
            }
            Body::ReviewChanged(e) => {
                o.put("review_id", s(&e.review_id))
                    .put("removed", e.removed)
                    .opt("rating", e.rating);
            }
            Body::SellerMessage(e) => {
                o.put("message_id", s(&e.message_id))
                    .put("seller_id", s(&e.seller_id))
                    .put("account_id", s(&e.account_id))
                    .opt("text", os(&e.text));
            }
            Body::MessageReported(e) => {
                let urls: Vec<Value> = e.urls.iter().map(s).collect();
                o.put("report_id", s(&e.report_id))
                    .put("channel", e.channel.as_str())
                    .put("text", s(&e.text))
                    .opt("account_id", os(&e.account_id))
                    .opt("sender", os(&e.sender))
                    .opt("subject", os(&e.subject));
                if !urls.is_empty() {
                    o.put("urls", urls);
                }
            }
            Body::IntelPost(e) => {
                o.put("post_id", s(&e.post_id))
                    .put("source", e.source.as_str())
                    .put("text", s(&e.text))
                    .opt("channel", os(&e.channel))
                    .opt("author", os(&e.author));
            }
            Body::Label(e) => {
                o.put("entity", e.entity.as_str())
                    .put("id", s(&e.id))
                    .put("label", e.label.as_str())
                    .opt("kind", os(&e.kind))
                    .opt("group", os(&e.group))
                    .opt("source", os(&e.source));
            }
        }
        Value::Object(o.0)
    }

    /// The event as one JSON Lines record (no trailing newline).
    pub fn to_json_line(&self) -> String {
        self.to_json().to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::samples::SAMPLE_EVENTS;
    use crate::{Body, parse_line};
    use proptest::prelude::*;

    #[test]
    fn every_event_type_round_trips_through_json() {
        for (name, line) in SAMPLE_EVENTS {
            let ev = parse_line(line.as_bytes()).unwrap();
            let again =
                parse_line(ev.to_json_line().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(again, ev, "{name}");
        }
    }

    proptest! {
        /// Arbitrary printable ids, amounts and texts survive the trip.
        #[test]
        fn refund_requests_round_trip(
            id in "[ -~]{1,128}",
            amount in 0i64..=i64::MAX,
            transcript in "\\PC{0,200}",
        ) {
            let line = SAMPLE_EVENTS[11].1;
            let mut ev = parse_line(line.as_bytes()).unwrap();
            if let Body::RefundRequested(r) = &mut ev.body {
                r.refund_id = id.as_str().into();
                r.money.amount_minor = amount;
            }
            let back = parse_line(ev.to_json_line().as_bytes()).unwrap();
            prop_assert_eq!(back, ev);
            let contact = SAMPLE_EVENTS[14].1;
            let mut ev = parse_line(contact.as_bytes()).unwrap();
            if let Body::SupportContact(c) = &mut ev.body {
                c.transcript = Some(transcript);
            }
            let back = parse_line(ev.to_json_line().as_bytes()).unwrap();
            prop_assert_eq!(back, ev);
        }
    }
}
