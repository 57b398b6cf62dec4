//! One line of JSON in, one validated [`Event`] or one precise [`Invalid`] out.
//!
//! Two paths, one contract:
//! - the **fast path** deserialises straight into a flat struct of every field any event
//!   type has (one pass, no intermediate tree, short strings inline) and then builds the
//!   typed event, checking required fields and value rules;
//! - the **slow path** runs only when the fast path's deserialiser fails (bad JSON, a field
//!   of the wrong JSON type, or an unknown field whose name another event type uses with a
//!   different type). It parses into a `serde_json::Value`, checks every field the event
//!   type has against the schema table to name the offending one, and otherwise re-parses
//!   only the type's own fields.
//!
//! Invalid input never panics: every failure becomes an `Invalid` naming the field.

use crate::enums::*;
use crate::schema::{ENVELOPE, FieldKind, FieldSpec, nested_fields, schema_of};
use crate::types::*;
use crate::{Id, Timestamp};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

/// Why a line is not a valid event: the field at fault (`type.field`, with `[i]` for array
/// elements) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    /// `refund_requested.amount_minor`, `order_placed.items[1].sku`, or `None` when the line
    /// as a whole is unusable (not JSON, not an object).
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl Invalid {
    fn line(reason: impl Into<String>) -> Self {
        Self {
            field: None,
            reason: reason.into(),
        }
    }
}

/// Parses and validates one JSON Lines record (without its line terminator).
pub fn parse_line(line: &[u8]) -> Result<Event, Invalid> {
    // One UTF-8 check of the whole line (std's has a fast ASCII path) lets serde_json parse
    // from `&str` without re-validating every string; it measured ~10% of replay.
    let Ok(text) = std::str::from_utf8(line) else {
        return slow_path(line, None);
    };
    match serde_json::from_str::<Raw>(text) {
        Ok(raw) => build(raw),
        Err(first) => slow_path(line, Some(&first)),
    }
}

// ---------------------------------------------------------------------------------------
// Fast path

/// A string or a number, kept as text (postal codes and card BINs arrive as both).
#[derive(Debug, Clone)]
struct LooseText(Id);

impl<'de> Deserialize<'de> for LooseText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LooseText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseText, E> {
                Ok(LooseText(Id::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseText, E> {
                Ok(LooseText(Id::from(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseText, E> {
                Ok(LooseText(Id::from(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseText, E> {
                Ok(LooseText(Id::from(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
struct RawAddress {
    line1: Option<Id>,
    line2: Option<Id>,
    city: Option<Id>,
    region: Option<Id>,
    postal_code: Option<LooseText>,
    country: Option<Id>,
}

#[derive(Debug, Deserialize)]
struct RawItem {
    sku: Option<Id>,
    category: Option<Id>,
    unit_price_minor: Option<i64>,
    quantity: Option<i64>,
    seller_id: Option<Id>,
    fulfilled_by: Option<Id>,
    condition: Option<Id>,
}

/// Every field of every event type. A field name means the same JSON type in every event
/// type that uses it, which is what makes one flat struct possible.
#[derive(Debug, Deserialize)]
struct Raw {
    event_id: Option<Id>,
    #[serde(rename = "type")]
    ty: Option<Id>,
    ts: Option<Id>,

    account_id: Option<Id>,
    email: Option<Id>,
    phone: Option<LooseText>,
    name: Option<Id>,
    device_id: Option<Id>,
    ip: Option<Id>,
    address: Option<RawAddress>,
    success: Option<bool>,
    payment_fingerprint: Option<Id>,
    card_bin: Option<LooseText>,
    last4: Option<LooseText>,
    reason: Option<Id>,
    by: Option<Id>,

    order_id: Option<Id>,
    items: Option<Vec<RawItem>>,
    amount_minor: Option<i64>,
    currency: Option<Id>,
    shipping_address: Option<RawAddress>,
    carrier: Option<Id>,
    tracking_number: Option<Id>,
    weight_grams: Option<f64>,
    proof_photo: Option<bool>,
    gps_match: Option<bool>,
    signature: Option<bool>,

    return_id: Option<Id>,
    channel: Option<Id>,
    contact_id: Option<Id>,
    status: Option<Id>,
    postal_code: Option<LooseText>,
    warehouse_id: Option<Id>,
    employee_id: Option<Id>,
    barcode_scanned: Option<bool>,
    refund_id: Option<Id>,
    #[serde(rename = "override")]
    override_: Option<bool>,

    identity_verified: Option<bool>,
    caller_phone: Option<LooseText>,
    duration_s: Option<f64>,
    transcript: Option<Id>,
    action: Option<Id>,
    ticket_id: Option<Id>,
    resource: Option<Id>,
    account_ids: Option<Vec<Id>>,
    export: Option<bool>,

    review_id: Option<Id>,
    sku: Option<Id>,
    seller_id: Option<Id>,
    rating: Option<i64>,
    text: Option<Id>,
    removed: Option<bool>,
    message_id: Option<Id>,

    report_id: Option<Id>,
    sender: Option<Id>,
    subject: Option<Id>,
    urls: Option<Vec<Id>>,
    post_id: Option<Id>,
    source: Option<Id>,
    author: Option<Id>,

    entity: Option<Id>,
    id: Option<Id>,
    label: Option<Id>,
    kind: Option<Id>,
    group: Option<Id>,
}

/// A field's name, rendered only when an error needs it: valid lines (nearly all of them)
/// never pay for formatting paths like `items[2].sku`.
trait Field: Copy {
    fn render(self) -> String;
}

impl Field for &str {
    fn render(self) -> String {
        self.to_string()
    }
}

/// `parent.name`, `parent[index].name` or `parent[index]`.
#[derive(Clone, Copy)]
struct Sub<'a> {
    parent: &'a str,
    index: Option<usize>,
    name: &'a str,
}

impl Field for Sub<'_> {
    fn render(self) -> String {
        let mut s = self.parent.to_string();
        if let Some(i) = self.index {
            s.push_str(&format!("[{i}]"));
        }
        if !self.name.is_empty() {
            s.push('.');
            s.push_str(self.name);
        }
        s
    }
}

fn item(index: usize, name: &'static str) -> Sub<'static> {
    Sub {
        parent: "items",
        index: Some(index),
        name,
    }
}

/// Builds typed values for one event type, naming fields as `type.field`.
struct Ctx {
    ty: EventType,
}

type R<T> = Result<T, Invalid>;

fn check_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("must not be empty (identifiers are 1..128 printable characters)");
    }
    // Byte length bounds the character count, so only long ids need counting.
    if s.len() > 128 && s.chars().count() > 128 {
        return Err("longer than 128 characters (identifiers are 1..128 printable characters)");
    }
    // C0 controls and DEL are single bytes; C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F.
    let b = s.as_bytes();
    let control = b.iter().enumerate().any(|(i, &c)| {
        c < 0x20
            || c == 0x7f
            || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
    });
    if control {
        return Err("contains control characters (identifiers are printable)");
    }
    Ok(())
}

impl Ctx {
    fn err(&self, field: impl Field, reason: impl Into<String>) -> Invalid {
        Invalid {
            field: Some(format!("{}.{}", self.ty.as_str(), field.render())),
            reason: reason.into(),
        }
    }

    fn req<T>(&self, v: Option<T>, field: impl Field) -> R<T> {
        v.ok_or_else(|| self.err(field, "missing required field"))
    }

    fn id(&self, v: Option<Id>, field: impl Field) -> R<Id> {
        let v = self.req(v, field)?;
        check_id(&v).map_err(|e| self.err(field, e))?;
        Ok(v)
    }

    fn opt_id(&self, v: Option<Id>, field: impl Field) -> R<Option<Id>> {
        match v {
            Some(v) => self.id(Some(v), field).map(Some),
            None => Ok(None),
        }
    }

    fn text(&self, v: Option<Id>, field: impl Field) -> R<String> {
        self.req(v, field).map(Id::into_string)
    }

    fn money(&self, v: Option<i64>, field: impl Field) -> R<i64> {
        let v = self.req(v, field)?;
        if v < 0 {
            return Err(self.err(field, "must be >= 0 (money is an amount in minor units)"));
        }
        Ok(v)
    }

    fn count(&self, v: Option<i64>, field: impl Field) -> R<i64> {
        let v = self.req(v, field)?;
        if v < 0 {
            return Err(self.err(field, "must be >= 0"));
        }
        Ok(v)
    }

    fn measure(&self, v: Option<f64>, field: impl Field) -> R<Option<i64>> {
        match v {
            None => Ok(None),
            Some(x) if (0.0..9.0e15).contains(&x) => Ok(Some(x.round() as i64)),
            Some(_) => Err(self.err(field, "must be a number >= 0")),
        }
    }

    fn rating(&self, v: Option<i64>, field: impl Field) -> R<i64> {
        let v = self.req(v, field)?;
        if !(1..=5).contains(&v) {
            return Err(self.err(field, format!("must be between 1 and 5, got {v}")));
        }
        Ok(v)
    }

    fn currency(&self, v: Option<Id>, field: impl Field) -> R<Id> {
        let v = self.req(v, field)?;
        if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(self.err(
                field,
                format!("{v:?} is not an ISO 4217 code such as \"USD\""),
            ));
        }
        Ok(v.to_ascii_uppercase())
    }

    fn money_pair(&self, amount: Option<i64>, currency: Option<Id>) -> R<Money> {
        Ok(Money {
            amount_minor: self.money(amount, "amount_minor")?,
            currency: self.currency(currency, "currency")?,
        })
    }

    fn address(&self, v: Option<RawAddress>, field: &'static str) -> R<Address> {
        let a = self.req(v, field)?;
        let sub = |name: &'static str| Sub {
            parent: field,
            index: None,
            name,
        };
        let country = self.req(a.country, sub("country"))?;
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(self.err(
                sub("country"),
                format!("{country:?} is not an ISO 3166-1 alpha-2 code such as \"US\""),
            ));
        }
        Ok(Address {
            line1: self.text(a.line1, sub("line1"))?,
            line2: a.line2.map(Id::into_string),
            city: self.text(a.city, sub("city"))?,
            region: a.region.map(Id::into_string),
            postal_code: self.req(a.postal_code, sub("postal_code"))?.0.into_string(),
            country: country.to_ascii_uppercase(),
        })
    }

    fn opt_address(&self, v: Option<RawAddress>, field: &'static str) -> R<Option<Address>> {
        match v {
            Some(a) => self.address(Some(a), field).map(Some),
            None => Ok(None),
        }
    }

    fn items<T>(
        &self,
        v: Option<Vec<RawItem>>,
        mut each: impl FnMut(usize, RawItem) -> R<T>,
    ) -> R<Vec<T>> {
        let items = self.req(v, "items")?;
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| each(i, item))
            .collect()
    }
}

fn loose(v: Option<LooseText>) -> Option<String> {
    v.map(|t| t.0.into_string())
}

fn string(v: Option<Id>) -> Option<String> {
    v.map(Id::into_string)
}

fn build(raw: Raw) -> R<Event> {
    let type_name = raw.ty.ok_or_else(|| Invalid {
        field: Some("type".into()),
        reason: "missing required field".into(),
    })?;
    let ty = EventType::from_name(&type_name).ok_or_else(|| Invalid {
        field: Some("type".into()),
        reason: format!("unknown event type {type_name:?}"),
    })?;
    let c = Ctx { ty };
    let event_id = c.id(raw.event_id, "event_id")?;
    let ts_text = c.req(raw.ts, "ts")?;
    let ts = Timestamp::parse(&ts_text).map_err(|e| c.err("ts", e))?;

    let body = match ty {
        EventType::AccountCreated => Body::AccountCreated(AccountCreated {
            account_id: c.id(raw.account_id, "account_id")?,
            email: c.text(raw.email, "email")?,
            phone: loose(raw.phone),
            name: string(raw.name),
            device_id: c.opt_id(raw.device_id, "device_id")?,
            ip: c.opt_id(raw.ip, "ip")?,
            address: c.opt_address(raw.address, "address")?,
        }),
        EventType::AccountUpdated => Body::AccountUpdated(AccountUpdated {
            account_id: c.id(raw.account_id, "account_id")?,
            email: string(raw.email),
            phone: loose(raw.phone),
            name: string(raw.name),
            address: c.opt_address(raw.address, "address")?,
            device_id: c.opt_id(raw.device_id, "device_id")?,
            ip: c.opt_id(raw.ip, "ip")?,
        }),
        EventType::Login => Body::Login(Login {
            account_id: c.id(raw.account_id, "account_id")?,
            success: c.req(raw.success, "success")?,
            device_id: c.opt_id(raw.device_id, "device_id")?,
            ip: c.opt_id(raw.ip, "ip")?,
        }),
        EventType::PaymentMethodAdded => Body::PaymentMethodAdded(PaymentMethodAdded {
            account_id: c.id(raw.account_id, "account_id")?,
            payment_fingerprint: c.id(raw.payment_fingerprint, "payment_fingerprint")?,
            card_bin: loose(raw.card_bin).map(Id::from),
            last4: loose(raw.last4).map(Id::from),
        }),
        EventType::AccountClosed => Body::AccountClosed(AccountClosed {
            account_id: c.id(raw.account_id, "account_id")?,
            reason: string(raw.reason),
            by: raw.by.as_deref().map(ClosedBy::parse),
        }),
        EventType::OrderPlaced => Body::OrderPlaced(OrderPlaced {
            order_id: c.id(raw.order_id, "order_id")?,
            account_id: c.id(raw.account_id, "account_id")?,
            items: c.items(raw.items, |p, it| {
                Ok(OrderItem {
                    sku: c.id(it.sku, item(p, "sku"))?,
                    category: c.req(it.category, item(p, "category"))?,
                    unit_price_minor: c.money(it.unit_price_minor, item(p, "unit_price_minor"))?,
                    quantity: c.count(it.quantity, item(p, "quantity"))?,
                    seller_id: c.opt_id(it.seller_id, item(p, "seller_id"))?,
                    fulfilled_by: it.fulfilled_by.as_deref().map(FulfilledBy::parse),
                })
            })?,
            money: c.money_pair(raw.amount_minor, raw.currency)?,
            shipping_address: c.address(raw.shipping_address, "shipping_address")?,
            payment_fingerprint: c.opt_id(raw.payment_fingerprint, "payment_fingerprint")?,
            device_id: c.opt_id(raw.device_id, "device_id")?,
            ip: c.opt_id(raw.ip, "ip")?,
        }),
        EventType::ShipmentDelivered => Body::ShipmentDelivered(ShipmentDelivered {
            order_id: c.id(raw.order_id, "order_id")?,
            carrier: c.id(raw.carrier, "carrier")?,
            tracking_number: c.id(raw.tracking_number, "tracking_number")?,
            weight_grams: c.measure(raw.weight_grams, "weight_grams")?,
            proof_photo: raw.proof_photo,
            gps_match: raw.gps_match,
            signature: raw.signature,
        }),
        EventType::ReturnRequested => Body::ReturnRequested(ReturnRequested {
            return_id: c.id(raw.return_id, "return_id")?,
            order_id: c.id(raw.order_id, "order_id")?,
            account_id: c.id(raw.account_id, "account_id")?,
            items: c.items(raw.items, |p, it| {
                Ok(ReturnItem {
                    sku: c.id(it.sku, item(p, "sku"))?,
                    quantity: c.count(it.quantity, item(p, "quantity"))?,
                })
            })?,
            reason: ClaimReason::parse(&c.req(raw.reason, "reason")?),
            channel: Channel::parse(&c.req(raw.channel, "channel")?),
            contact_id: c.opt_id(raw.contact_id, "contact_id")?,
        }),
        EventType::ReturnLabelCreated => Body::ReturnLabelCreated(ReturnLabelCreated {
            return_id: c.id(raw.return_id, "return_id")?,
            carrier: c.id(raw.carrier, "carrier")?,
            tracking_number: c.id(raw.tracking_number, "tracking_number")?,
        }),
        EventType::CarrierScan => Body::CarrierScan(CarrierScan {
            carrier: c.id(raw.carrier, "carrier")?,
            tracking_number: c.id(raw.tracking_number, "tracking_number")?,
            status: ScanStatus::parse(&c.req(raw.status, "status")?),
            postal_code: raw.postal_code.map(|p| p.0),
            weight_grams: c.measure(raw.weight_grams, "weight_grams")?,
        }),
        EventType::ReturnReceived => Body::ReturnReceived(ReturnReceived {
            return_id: c.id(raw.return_id, "return_id")?,
            warehouse_id: c.id(raw.warehouse_id, "warehouse_id")?,
            employee_id: c.id(raw.employee_id, "employee_id")?,
            items: c.items(raw.items, |p, it| {
                Ok(ReceivedItem {
                    sku: c.id(it.sku, item(p, "sku"))?,
                    quantity: c.count(it.quantity, item(p, "quantity"))?,
                    condition: Condition::parse(&c.req(it.condition, item(p, "condition"))?),
                })
            })?,
            barcode_scanned: c.req(raw.barcode_scanned, "barcode_scanned")?,
            weight_grams: c.measure(raw.weight_grams, "weight_grams")?,
        }),
        EventType::RefundRequested => Body::RefundRequested(RefundRequested {
            refund_id: c.id(raw.refund_id, "refund_id")?,
            order_id: c.id(raw.order_id, "order_id")?,
            account_id: c.id(raw.account_id, "account_id")?,
            money: c.money_pair(raw.amount_minor, raw.currency)?,
            reason: ClaimReason::parse(&c.req(raw.reason, "reason")?),
            channel: Channel::parse(&c.req(raw.channel, "channel")?),
            return_id: c.opt_id(raw.return_id, "return_id")?,
            contact_id: c.opt_id(raw.contact_id, "contact_id")?,
            employee_id: c.opt_id(raw.employee_id, "employee_id")?,
        }),
        EventType::RefundIssued => Body::RefundIssued(RefundIssued {
            refund_id: c.id(raw.refund_id, "refund_id")?,
            money: c.money_pair(raw.amount_minor, raw.currency)?,
            override_: c.req(raw.override_, "override")?,
            employee_id: c.opt_id(raw.employee_id, "employee_id")?,
        }),
        EventType::Chargeback => Body::Chargeback(Chargeback {
            order_id: c.id(raw.order_id, "order_id")?,
            money: c.money_pair(raw.amount_minor, raw.currency)?,
            reason: string(raw.reason),
        }),
        EventType::SupportContact => Body::SupportContact(SupportContact {
            contact_id: c.id(raw.contact_id, "contact_id")?,
            employee_id: c.id(raw.employee_id, "employee_id")?,
            channel: Channel::parse(&c.req(raw.channel, "channel")?),
            identity_verified: c.req(raw.identity_verified, "identity_verified")?,
            account_id: c.opt_id(raw.account_id, "account_id")?,
            order_id: c.opt_id(raw.order_id, "order_id")?,
            caller_phone: loose(raw.caller_phone),
            device_id: c.opt_id(raw.device_id, "device_id")?,
            ip: c.opt_id(raw.ip, "ip")?,
            duration_s: c.measure(raw.duration_s, "duration_s")?,
            transcript: string(raw.transcript),
        }),
        EventType::EmployeeLogin => Body::EmployeeLogin(EmployeeLogin {
            employee_id: c.id(raw.employee_id, "employee_id")?,
            success: c.req(raw.success, "success")?,
            ip: c.opt_id(raw.ip, "ip")?,
            device_id: c.opt_id(raw.device_id, "device_id")?,
        }),
        EventType::EmployeeAction => Body::EmployeeAction(EmployeeAction {
            employee_id: c.id(raw.employee_id, "employee_id")?,
            action: EmployeeActionKind::parse(&c.req(raw.action, "action")?),
            account_id: c.opt_id(raw.account_id, "account_id")?,
            order_id: c.opt_id(raw.order_id, "order_id")?,
            return_id: c.opt_id(raw.return_id, "return_id")?,
            refund_id: c.opt_id(raw.refund_id, "refund_id")?,
            ticket_id: c.opt_id(raw.ticket_id, "ticket_id")?,
        }),
        EventType::DataAccess => Body::DataAccess(DataAccess {
            employee_id: c.id(raw.employee_id, "employee_id")?,
            resource: Resource::parse(&c.req(raw.resource, "resource")?),
            account_ids: c
                .req(raw.account_ids, "account_ids")?
                .into_iter()
                .enumerate()
                .map(|(i, a)| {
                    c.id(
                        Some(a),
                        Sub {
                            parent: "account_ids",
                            index: Some(i),
                            name: "",
                        },
                    )
                })
                .collect::<R<Vec<_>>>()?,
            ticket_id: c.opt_id(raw.ticket_id, "ticket_id")?,
            export: raw.export,
        }),
        EventType::ReviewPosted => Body::ReviewPosted(ReviewPosted {
            review_id: c.id(raw.review_id, "review_id")?,
            account_id: c.id(raw.account_id, "account_id")?,
            sku: c.id(raw.sku, "sku")?,
            seller_id: c.id(raw.seller_id, "seller_id")?,
            rating: c.rating(raw.rating, "rating")?,
            text: string(raw.text),
        }),
        EventType::ReviewChanged => Body::ReviewChanged(ReviewChanged {
            review_id: c.id(raw.review_id, "review_id")?,
            removed: c.req(raw.removed, "removed")?,
            rating: match raw.rating {
                Some(r) => Some(c.rating(Some(r), "rating")?),
                None => None,
            },
        }),
        EventType::SellerMessage => Body::SellerMessage(SellerMessage {
            message_id: c.id(raw.message_id, "message_id")?,
            seller_id: c.id(raw.seller_id, "seller_id")?,
            account_id: c.id(raw.account_id, "account_id")?,
            text: string(raw.text),
        }),
        EventType::MessageReported => Body::MessageReported(MessageReported {
            report_id: c.id(raw.report_id, "report_id")?,
            channel: ReportChannel::parse(&c.req(raw.channel, "channel")?),
            text: c.text(raw.text, "text")?,
            account_id: c.opt_id(raw.account_id, "account_id")?,
            sender: string(raw.sender),
            subject: string(raw.subject),
            urls: raw
                .urls
                .unwrap_or_default()
                .into_iter()
                .map(Id::into_string)
                .collect(),
        }),
        EventType::IntelPost => Body::IntelPost(IntelPost {
            post_id: c.id(raw.post_id, "post_id")?,
            source: IntelSource::parse(&c.req(raw.source, "source")?),
            text: c.text(raw.text, "text")?,
            channel: string(raw.channel),
            author: string(raw.author),
        }),
        EventType::Label => Body::Label(Label {
            entity: LabelEntity::parse(&c.req(raw.entity, "entity")?),
            id: c.id(raw.id, "id")?,
            label: Verdict::parse(&c.req(raw.label, "label")?),
            kind: raw.kind,
            group: raw.group,
            source: string(raw.source),
        }),
    };
    Ok(Event { event_id, ts, body })
}

// ---------------------------------------------------------------------------------------
// Slow path

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Checks one present, non-null value against its kind; returns the path and reason of the
/// first mismatch.
fn check_value(path: &str, kind: FieldKind, v: &Value) -> Result<(), (String, String)> {
    let wrong = || {
        (
            path.to_string(),
            format!("expected {}, found {}", kind.expected(), describe(v)),
        )
    };
    let ok = match kind {
        FieldKind::Id
        | FieldKind::Text
        | FieldKind::Currency
        | FieldKind::Enum
        | FieldKind::Timestamp => v.is_string(),
        FieldKind::LooseText => v.is_string() || v.is_number(),
        FieldKind::Money | FieldKind::Count | FieldKind::Rating => {
            if v.is_u64() && !v.is_i64() {
                return Err((path.to_string(), "integer out of range".into()));
            }
            v.is_i64()
        }
        FieldKind::Measure => v.is_number(),
        FieldKind::Bool => v.is_boolean(),
        FieldKind::IdList | FieldKind::TextList => match v {
            Value::Array(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    if !x.is_string() {
                        return Err((
                            format!("{path}[{i}]"),
                            format!("expected a string, found {}", describe(x)),
                        ));
                    }
                }
                true
            }
            _ => false,
        },
        FieldKind::Address => match v {
            Value::Object(m) => return check_object(path, m, nested_fields(kind).unwrap_or(&[])),
            _ => false,
        },
        FieldKind::OrderItems | FieldKind::ReturnItems | FieldKind::ReceivedItems => match v {
            Value::Array(xs) => {
                let fields = nested_fields(kind).unwrap_or(&[]);
                for (i, x) in xs.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    match x {
                        Value::Object(m) => check_object(&p, m, fields)?,
                        other => {
                            return Err((
                                p,
                                format!("expected an object, found {}", describe(other)),
                            ));
                        }
                    }
                }
                true
            }
            _ => false,
        },
    };
    if ok { Ok(()) } else { Err(wrong()) }
}

fn check_object(
    path: &str,
    m: &Map<String, Value>,
    fields: &[FieldSpec],
) -> Result<(), (String, String)> {
    for f in fields {
        if let Some(v) = m.get(f.name).filter(|v| !v.is_null()) {
            check_value(&format!("{path}.{}", f.name), f.kind, v)?;
        }
    }
    Ok(())
}

fn slow_path(line: &[u8], first: Option<&serde_json::Error>) -> R<Event> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        let what = if std::str::from_utf8(line).is_err() {
            "not UTF-8 JSON"
        } else {
            "not valid JSON"
        };
        Invalid::line(format!("{what}: {e}"))
    })?;
    let Value::Object(map) = value else {
        return Err(Invalid::line(format!(
            "expected a JSON object (one event per line), found {}",
            describe(&value)
        )));
    };
    let ty = match map.get("type") {
        None | Some(Value::Null) => {
            return Err(Invalid {
                field: Some("type".into()),
                reason: "missing required field".into(),
            });
        }
        Some(Value::String(s)) => EventType::from_name(s).ok_or_else(|| Invalid {
            field: Some("type".into()),
            reason: format!("unknown event type {s:?}"),
        })?,
        Some(other) => {
            return Err(Invalid {
                field: Some("type".into()),
                reason: format!("expected a string, found {}", describe(other)),
            });
        }
    };
    let fields = || ENVELOPE.iter().chain(schema_of(ty));
    check_object(ty.as_str(), &map, &fields().copied().collect::<Vec<_>>()).map_err(
        |(field, reason)| Invalid {
            field: Some(field),
            reason,
        },
    )?;

    // Every field the type knows has the right JSON type, so what tripped the fast path is a
    // field this type does not have: drop the unknown fields and parse again.
    let mut own = Map::new();
    for f in fields() {
        if let Some(v) = map.get(f.name) {
            own.insert(f.name.to_string(), v.clone());
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(own))
        .map_err(|e| Invalid::line(format!("could not re-encode the line: {e}")))?;
    match serde_json::from_slice::<Raw>(&bytes) {
        Ok(raw) => build(raw),
        Err(second) => Err(Invalid {
            field: Some(ty.as_str().to_string()),
            reason: first.map_or_else(|| second.to_string(), ToString::to_string),
        }),
    }
}

#[cfg(test)]
mod tests;
