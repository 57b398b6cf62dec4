//! Typed events. Required contract fields are plain fields, optional ones are `Option`s;
//! a value of these types has passed validation, so consumers never re-check it.

use crate::enums::*;
use crate::{Id, Timestamp};

/// One validated event: the envelope and its typed body.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: Id,
    pub ts: Timestamp,
    pub body: Body,
}

impl Event {
    /// The contract name of this event's type.
    pub fn event_type(&self) -> EventType {
        self.body.event_type()
    }
}

/// A postal address as a person typed it (normalisation is the identity graph's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper-cased on parse.
    pub country: Id,
}

/// An order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub sku: Id,
    pub category: Id,
    pub unit_price_minor: i64,
    pub quantity: i64,
    pub seller_id: Option<Id>,
    pub fulfilled_by: Option<FulfilledBy>,
}

/// A line of a return request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnItem {
    pub sku: Id,
    pub quantity: i64,
}

/// A line of a warehouse receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedItem {
    pub sku: Id,
    pub quantity: i64,
    pub condition: Condition,
}

/// Money in a currency's minor unit; `currency` is an upper-cased ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Id,
}

macro_rules! event_types {
    ($($variant:ident($ty:ident) => $text:literal),+ $(,)?) => {
        /// The contract's event types.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType { $($variant,)+ }

        impl EventType {
            /// Every event type, in contract order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            /// The `type` string of this event type.
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $text,)+ }
            }

            /// The event type named by a `type` string, if the contract has it.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($text => Some(EventType::$variant),)+ _ => None }
            }
        }

        /// The typed payload of an event, one variant per event type.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Body { $($variant($ty),)+ }

        impl Body {
            /// The event type of this body.
            pub fn event_type(&self) -> EventType {
                match self { $(Body::$variant(_) => EventType::$variant,)+ }
            }
        }
    };
}

event_types! {
    AccountCreated(AccountCreated) => "account_created",
    AccountUpdated(AccountUpdated) => "account_updated",
    Login(Login) => "login",
    PaymentMethodAdded(PaymentMethodAdded) => "payment_method_added",
    AccountClosed(AccountClosed) => "account_closed",
    OrderPlaced(OrderPlaced) => "order_placed",
    ShipmentDelivered(ShipmentDelivered) => "shipment_delivered",
    ReturnRequested(ReturnRequested) => "return_requested",
    ReturnLabelCreated(ReturnLabelCreated) => "return_label_created",
    CarrierScan(CarrierScan) => "carrier_scan",
    ReturnReceived(ReturnReceived) => "return_received",
    RefundRequested(RefundRequested) => "refund_requested",
    RefundIssued(RefundIssued) => "refund_issued",
    Chargeback(Chargeback) => "chargeback",
    SupportContact(SupportContact) => "support_contact",
    EmployeeLogin(EmployeeLogin) => "employee_login",
    EmployeeAction(EmployeeAction) => "employee_action",
    DataAccess(DataAccess) => "data_access",
    ReviewPosted(ReviewPosted) => "review_posted",
    ReviewChanged(ReviewChanged) => "review_changed",
    SellerMessage(SellerMessage) => "seller_message",
    MessageReported(MessageReported) => "message_reported",
    IntelPost(IntelPost) => "intel_post",
    Label(Label) => "label",
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountCreated {
    pub account_id: Id,
    pub email: String,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub device_id: Option<Id>,
    pub ip: Option<Id>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountUpdated {
    pub account_id: Id,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub address: Option<Address>,
    pub device_id: Option<Id>,
    pub ip: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub account_id: Id,
    pub success: bool,
    pub device_id: Option<Id>,
    pub ip: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentMethodAdded {
    pub account_id: Id,
    pub payment_fingerprint: Id,
    pub card_bin: Option<Id>,
    pub last4: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountClosed {
    pub account_id: Id,
    pub reason: Option<String>,
    pub by: Option<ClosedBy>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderPlaced {
    pub order_id: Id,
    pub account_id: Id,
    pub items: Vec<OrderItem>,
    pub money: Money,
    pub shipping_address: Address,
    pub payment_fingerprint: Option<Id>,
    pub device_id: Option<Id>,
    pub ip: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentDelivered {
    pub order_id: Id,
    pub carrier: Id,
    pub tracking_number: Id,
    pub weight_grams: Option<i64>,
    pub proof_photo: Option<bool>,
    pub gps_match: Option<bool>,
    pub signature: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnRequested {
    pub return_id: Id,
    pub order_id: Id,
    pub account_id: Id,
    pub items: Vec<ReturnItem>,
    pub reason: ClaimReason,
    pub channel: Channel,
    pub contact_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnLabelCreated {
    pub return_id: Id,
    pub carrier: Id,
    pub tracking_number: Id,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CarrierScan {
    pub carrier: Id,
    pub tracking_number: Id,
    pub status: ScanStatus,
    pub postal_code: Option<Id>,
    pub weight_grams: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnReceived {
    pub return_id: Id,
    pub warehouse_id: Id,
    pub employee_id: Id,
    pub items: Vec<ReceivedItem>,
    pub barcode_scanned: bool,
    pub weight_grams: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequested {
    pub refund_id: Id,
    pub order_id: Id,
    pub account_id: Id,
    pub money: Money,
    pub reason: ClaimReason,
    pub channel: Channel,
    pub return_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub employee_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundIssued {
    pub refund_id: Id,
    pub money: Money,
    pub override_: bool,
    pub employee_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chargeback {
    pub order_id: Id,
    pub money: Money,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupportContact {
    pub contact_id: Id,
    pub employee_id: Id,
    pub channel: Channel,
    pub identity_verified: bool,
    pub account_id: Option<Id>,
    pub order_id: Option<Id>,
    pub caller_phone: Option<String>,
    pub device_id: Option<Id>,
    pub ip: Option<Id>,
    pub duration_s: Option<i64>,
    pub transcript: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeLogin {
    pub employee_id: Id,
    pub success: bool,
    pub ip: Option<Id>,
    pub device_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeAction {
    pub employee_id: Id,
    pub action: EmployeeActionKind,
    pub account_id: Option<Id>,
    pub order_id: Option<Id>,
    pub return_id: Option<Id>,
    pub refund_id: Option<Id>,
    pub ticket_id: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataAccess {
    pub employee_id: Id,
    pub resource: Resource,
    pub account_ids: Vec<Id>,
    pub ticket_id: Option<Id>,
    pub export: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewPosted {
    pub review_id: Id,
    pub account_id: Id,
    pub sku: Id,
    pub seller_id: Id,
    pub rating: i64,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewChanged {
    pub review_id: Id,
    pub removed: bool,
    pub rating: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SellerMessage {
    pub message_id: Id,
    pub seller_id: Id,
    pub account_id: Id,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageReported {
    pub report_id: Id,
    pub channel: ReportChannel,
    pub text: String,
    pub account_id: Option<Id>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntelPost {
    pub post_id: Id,
    pub source: IntelSource,
    pub text: String,
    pub channel: Option<String>,
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub entity: LabelEntity,
    pub id: Id,
    pub label: Verdict,
    pub kind: Option<Id>,
    pub group: Option<Id>,
    pub source: Option<String>,
}
