//! The contract's field table: for every event type, its fields, their kinds and whether
//! they are required.
//!
//! The fast parser in `parse.rs` is typed code; this table is the same contract as data.
//! The slow path uses it to say *which* field has the wrong JSON type, and the tests use it
//! to prove the two agree (every required field, removed, is reported by name; every field,
//! given a wrong type, is reported by name).

use crate::EventType;

/// What a field holds, as far as validation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An opaque identifier: a string of 1..=128 printable characters.
    Id,
    /// Free text written by people.
    Text,
    /// A short value that retailers write as a string or a number (postal codes, card
    /// BINs, phone numbers); numbers are accepted and kept as their decimal text.
    LooseText,
    /// An integer >= 0 in a currency's minor unit.
    Money,
    /// An ISO 4217 currency code.
    Currency,
    /// An integer count >= 0.
    Count,
    /// A measurement >= 0 (grams, seconds); integer or decimal.
    Measure,
    /// An integer rating from 1 to 5.
    Rating,
    Bool,
    /// An RFC 3339 timestamp with offset.
    Timestamp,
    /// One of a listed set of strings (unlisted values are kept, not rejected).
    Enum,
    Address,
    OrderItems,
    ReturnItems,
    ReceivedItems,
    IdList,
    TextList,
}

impl FieldKind {
    /// How the kind is described in error messages ("expected …").
    pub fn expected(self) -> &'static str {
        match self {
            FieldKind::Id | FieldKind::Text | FieldKind::Currency | FieldKind::Enum => "a string",
            FieldKind::Timestamp => "an RFC 3339 timestamp string",
            FieldKind::LooseText => "a string or a number",
            FieldKind::Money | FieldKind::Count | FieldKind::Rating => "an integer",
            FieldKind::Measure => "a number",
            FieldKind::Bool => "true or false",
            FieldKind::Address => "an address object",
            FieldKind::OrderItems | FieldKind::ReturnItems | FieldKind::ReceivedItems => {
                "an array of item objects"
            }
            FieldKind::IdList | FieldKind::TextList => "an array of strings",
        }
    }
}

/// One field of an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

const fn r(name: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: true,
    }
}
const fn o(name: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: false,
    }
}

use FieldKind::*;

/// The envelope every event carries.
pub const ENVELOPE: &[FieldSpec] = &[r("event_id", Id), r("type", Enum), r("ts", Timestamp)];

/// Fields of an address object.
pub const ADDRESS: &[FieldSpec] = &[
    r("line1", Text),
    o("line2", Text),
    r("city", Text),
    o("region", Text),
    r("postal_code", LooseText),
    r("country", Text),
];

/// Fields of an item of `order_placed.items`.
pub const ORDER_ITEM: &[FieldSpec] = &[
    r("sku", Id),
    r("category", Text),
    r("unit_price_minor", Money),
    r("quantity", Count),
    o("seller_id", Id),
    o("fulfilled_by", Enum),
];

/// Fields of an item of `return_requested.items`.
pub const RETURN_ITEM: &[FieldSpec] = &[r("sku", Id), r("quantity", Count)];

/// Fields of an item of `return_received.items`.
pub const RECEIVED_ITEM: &[FieldSpec] = &[r("sku", Id), r("quantity", Count), r("condition", Enum)];

/// The fields (other than the envelope) of an event type.
pub fn schema_of(t: EventType) -> &'static [FieldSpec] {
    match t {
        EventType::AccountCreated => {
            const F: &[FieldSpec] = &[
                r("account_id", Id),
                r("email", Text),
                o("phone", LooseText),
                o("name", Text),
                o("device_id", Id),
                o("ip", Id),
                o("address", Address),
            ];
            F
        }
        EventType::AccountUpdated => {
            const F: &[FieldSpec] = &[
                r("account_id", Id),
                o("email", Text),
                o("phone", LooseText),
                o("name", Text),
                o("address", Address),
                o("device_id", Id),
                o("ip", Id),
            ];
            F
        }
        EventType::Login => {
            const F: &[FieldSpec] = &[
                r("account_id", Id),
                r("success", Bool),
                o("device_id", Id),
                o("ip", Id),
            ];
            F
        }
        EventType::PaymentMethodAdded => {
            const F: &[FieldSpec] = &[
                r("account_id", Id),
                r("payment_fingerprint", Id),
                o("card_bin", LooseText),
                o("last4", LooseText),
            ];
            F
        }
        EventType::AccountClosed => {
            const F: &[FieldSpec] = &[r("account_id", Id), o("reason", Text), o("by", Enum)];
            F
        }
        EventType::OrderPlaced => {
            const F: &[FieldSpec] = &[
                r("order_id", Id),
                r("account_id", Id),
                r("items", OrderItems),
                r("amount_minor", Money),
                r("currency", Currency),
                r("shipping_address", Address),
                o("payment_fingerprint", Id),
                o("device_id", Id),
                o("ip", Id),
            ];
            F
        }
        EventType::ShipmentDelivered => {
            const F: &[FieldSpec] = &[
                r("order_id", Id),
                r("carrier", Id),
                r("tracking_number", Id),
                o("weight_grams", Measure),
                o("proof_photo", Bool),
                o("gps_match", Bool),
                o("signature", Bool),
            ];
            F
        }
        EventType::ReturnRequested => {
            const F: &[FieldSpec] = &[
                r("return_id", Id),
                r("order_id", Id),
                r("account_id", Id),
                r("items", ReturnItems),
                r("reason", Enum),
                r("channel", Enum),
                o("contact_id", Id),
            ];
            F
        }
        EventType::ReturnLabelCreated => {
            const F: &[FieldSpec] = &[
                r("return_id", Id),
                r("carrier", Id),
                r("tracking_number", Id),
            ];
            F
        }
        EventType::CarrierScan => {
            const F: &[FieldSpec] = &[
                r("carrier", Id),
                r("tracking_number", Id),
                r("status", Enum),
                o("postal_code", LooseText),
                o("weight_grams", Measure),
            ];
            F
        }
        EventType::ReturnReceived => {
            const F: &[FieldSpec] = &[
                r("return_id", Id),
                r("warehouse_id", Id),
                r("employee_id", Id),
                r("items", ReceivedItems),
                r("barcode_scanned", Bool),
                o("weight_grams", Measure),
            ];
            F
        }
        EventType::RefundRequested => {
            const F: &[FieldSpec] = &[
                r("refund_id", Id),
                r("order_id", Id),
                r("account_id", Id),
                r("amount_minor", Money),
                r("currency", Currency),
                r("reason", Enum),
                r("channel", Enum),
                o("return_id", Id),
                o("contact_id", Id),
                o("employee_id", Id),
            ];
            F
        }
        EventType::RefundIssued => {
            const F: &[FieldSpec] = &[
                r("refund_id", Id),
                r("amount_minor", Money),
                r("currency", Currency),
                r("override", Bool),
                o("employee_id", Id),
            ];
            F
        }
        EventType::Chargeback => {
            const F: &[FieldSpec] = &[
                r("order_id", Id),
                r("amount_minor", Money),
                r("currency", Currency),
                o("reason", Text),
            ];
            F
        }
        EventType::SupportContact => {
            const F: &[FieldSpec] = &[
                r("contact_id", Id),
                r("employee_id", Id),
                r("channel", Enum),
                r("identity_verified", Bool),
                o("account_id", Id),
                o("order_id", Id),
                o("caller_phone", LooseText),
                o("device_id", Id),
                o("ip", Id),
                o("duration_s", Measure),
                o("transcript", Text),
            ];
            F
        }
        EventType::EmployeeLogin => {
            const F: &[FieldSpec] = &[
                r("employee_id", Id),
                r("success", Bool),
                o("ip", Id),
                o("device_id", Id),
            ];
            F
        }
        EventType::EmployeeAction => {
            const F: &[FieldSpec] = &[
                r("employee_id", Id),
                r("action", Enum),
                o("account_id", Id),
                o("order_id", Id),
                o("return_id", Id),
                o("refund_id", Id),
                o("ticket_id", Id),
            ];
            F
        }
        EventType::DataAccess => {
            const F: &[FieldSpec] = &[
                r("employee_id", Id),
                r("resource", Enum),
                r("account_ids", IdList),
                o("ticket_id", Id),
                o("export", Bool),
            ];
            F
        }
        EventType::ReviewPosted => {
            const F: &[FieldSpec] = &[
                r("review_id", Id),
                r("account_id", Id),
                r("sku", Id),
                r("seller_id", Id),
                r("rating", Rating),
                o("text", Text),
            ];
            F
        }
        EventType::ReviewChanged => {
            const F: &[FieldSpec] = &[r("review_id", Id), r("removed", Bool), o("rating", Rating)];
            F
        }
        EventType::SellerMessage => {
            const F: &[FieldSpec] = &[
                r("message_id", Id),
                r("seller_id", Id),
                r("account_id", Id),
                o("text", Text),
            ];
            F
        }
        EventType::MessageReported => {
            const F: &[FieldSpec] = &[
                r("report_id", Id),
                r("channel", Enum),
                r("text", Text),
                o("account_id", Id),
                o("sender", Text),
                o("subject", Text),
                o("urls", TextList),
            ];
            F
        }
        EventType::IntelPost => {
            const F: &[FieldSpec] = &[
                r("post_id", Id),
                r("source", Enum),
                r("text", Text),
                o("channel", Text),
                o("author", Text),
            ];
            F
        }
        EventType::Label => {
            const F: &[FieldSpec] = &[
                r("entity", Enum),
                r("id", Id),
                r("label", Enum),
                o("kind", Text),
                o("group", Text),
                o("source", Text),
            ];
            F
        }
    }
}

/// The sub-fields of a nested kind, if it has any.
pub(crate) fn nested_fields(kind: FieldKind) -> Option<&'static [FieldSpec]> {
    match kind {
        FieldKind::Address => Some(ADDRESS),
        FieldKind::OrderItems => Some(ORDER_ITEM),
        FieldKind::ReturnItems => Some(RETURN_ITEM),
        FieldKind::ReceivedItems => Some(RECEIVED_ITEM),
        _ => None,
    }
}
