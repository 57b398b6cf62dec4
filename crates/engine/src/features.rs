//! Point-in-time features of a refund request.
//!
//! One registry ([`REFUND_FEATURES`]) names every feature with a one-line meaning and the
//! words used when it explains a decision; the trained model, the training export, the
//! analyst rules and `docs/features.md` all read this one table, so a feature cannot mean
//! one thing to the model and another to the investigator.
//!
//! Every value is computed from facts absorbed *before* the request (the engine assesses a
//! decision point before absorbing it), so training sees exactly what serving saw. Missing
//! evidence is `NaN`, not zero: "no delivery weight recorded" is not "weighed 0 g".

use crate::facts::{Facts, expected_return_weight, phone_key};
use crate::money::usd_cents;
use clawback_events::*;
use clawback_table::GrowMap;

const DAY_MS: f64 = 86_400_000.0;
/// Distinct accounts remembered per contacting identifier or wording; enough to tell an
/// operator (dozens) from a household (two or three) without unbounded memory.
const MAX_FOOTPRINT: usize = 32;
/// Window for "recent" counts: an operator works many accounts within days.
const WINDOW_MS: i64 = 30 * 86_400_000;

/// How a feature's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// A count, an amount, a ratio or a duration.
    Number,
    /// 1 for yes, 0 for no.
    Bool,
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct FeatureDef {
    /// Stable `snake_case` name: the model file, the rules and the export use it.
    pub name: &'static str,
    pub kind: FeatureKind,
    /// One line for the docs and the model file.
    pub meaning: &'static str,
    /// Words for an explanation: `{}` is replaced by the value for numbers; for booleans
    /// this reads when the value is 1 (yes).
    pub say: &'static str,
    /// For booleans, the words when the value is 0 (no); unused for numbers.
    pub say_no: &'static str,
}

macro_rules! registry {
    ($( $var:ident $name:literal $kind:ident $meaning:literal $say:literal $say_no:literal; )*) => {
        /// Index of each refund feature in the vector.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum F { $( $var, )* }

        /// The refund feature registry, in vector order.
        pub const REFUND_FEATURES: &[FeatureDef] = &[
            $( FeatureDef { name: $name, kind: FeatureKind::$kind, meaning: $meaning, say: $say, say_no: $say_no }, )*
        ];
    };
}

registry! {
    // The request itself.
    AmountUsd "amount_usd" Number "refund amount in US dollars (approximate conversion)" "a refund of ${}" "";
    AmountOverOrder "amount_over_order" Number "refund amount divided by the order's value" "the refund is {}× the order's value" "";
    ReasonNotReceived "reason_not_received" Bool "the claim is that the parcel never arrived" "claimed the parcel never arrived" "not a 'never arrived' claim";
    ReasonDamaged "reason_damaged" Bool "the claim is damage in transit" "claimed the item arrived damaged" "not a damage claim";
    ReasonDefective "reason_defective" Bool "the claim is a defective item" "claimed the item is defective" "not a defect claim";
    ReasonWrongItem "reason_wrong_item" Bool "the claim is that the wrong item came" "claimed the wrong item came" "not a wrong-item claim";
    ReasonMissingParts "reason_missing_parts" Bool "the claim is missing parts" "claimed parts were missing" "not a missing-parts claim";
    ReasonNotAsDescribed "reason_not_as_described" Bool "the claim is 'not as described'" "claimed the item was not as described" "not a 'not as described' claim";
    ReasonNoLongerNeeded "reason_no_longer_needed" Bool "an ordinary change-of-mind return" "a change-of-mind return" "not a change-of-mind return";
    ChannelAssisted "channel_assisted" Bool "requested through a person (chat or phone) rather than web or app" "requested through chat or phone" "requested on the web or app";
    ChannelEmail "channel_email" Bool "requested by e-mail" "requested by e-mail" "not requested by e-mail";
    HasReturn "has_return" Bool "the refund is tied to a return parcel" "tied to a return parcel" "no return parcel to wait for";
    RaisedByAgent "raised_by_agent" Bool "a support agent raised the refund for the customer" "raised by a support agent" "raised by the customer";
    // The account's history.
    AccountAgeDays "account_age_days" Number "days since the account was created" "the account is {} days old" "";
    AccountOrders "account_orders" Number "orders the account placed before" "{} earlier orders" "";
    AccountOrderValueUsd "account_order_value_usd" Number "value of the account's earlier orders, US dollars" "${} of earlier orders" "";
    AccountRefunds "account_refunds" Number "refunds the account requested before" "{} earlier refund requests" "";
    AccountRefundRate "account_refund_rate" Number "earlier refund requests per order" "{} refund requests per order" "";
    AccountRefundValueShare "account_refund_value_share" Number "value refunded before divided by value ordered" "{} of the money spent was refunded before" "";
    AccountNotReceivedClaims "account_not_received_claims" Number "earlier 'never arrived' claims" "{} earlier 'never arrived' claims" "";
    AccountChargebacks "account_chargebacks" Number "chargebacks on the account's orders" "{} chargebacks" "";
    DaysSinceLastRefund "days_since_last_refund" Number "days since the account's previous refund request" "previous refund request {} days ago" "";
    AccountDevices "account_devices" Number "distinct devices the holder used" "{} devices on the account" "";
    // The order.
    OrderKnown "order_known" Bool "the order was seen before the request" "the order is known" "the order was never seen";
    OrderOfOtherAccount "order_of_other_account" Bool "the order belongs to a different account" "the order belongs to another account" "the order is the account's own";
    OrderValueUsd "order_value_usd" Number "order value, US dollars" "an order of ${}" "";
    OrderItems "order_items" Number "units in the order" "{} units ordered" "";
    OrderMaxUnitUsd "order_max_unit_usd" Number "price of the dearest unit, US dollars" "dearest unit ${}" "";
    OrderResaleShare "order_resale_share" Number "share of the value in easily resold goods (electronics, computers, phones, games)" "{} of the order is easily resold goods" "";
    OrderRetailerFulfilled "order_retailer_fulfilled" Bool "every item shipped by the retailer itself" "shipped by the retailer" "shipped by a seller";
    OrderAgeDays "order_age_days" Number "days since the order was placed" "ordered {} days ago" "";
    // Delivery evidence.
    Delivered "delivered" Bool "the carrier reported the order delivered" "the carrier reported it delivered" "no delivery reported";
    DaysSinceDelivery "days_since_delivery" Number "days since delivery" "delivered {} days ago" "";
    DeliveryProofPhoto "delivery_proof_photo" Bool "the carrier has a photo of the parcel at the door" "delivered with a proof photo" "no proof photo";
    DeliveryGpsMatch "delivery_gps_match" Bool "the courier's GPS matched the address" "the courier's GPS matched the address" "no GPS match";
    DeliverySignature "delivery_signature" Bool "someone signed for the parcel" "someone signed for it" "no signature";
    ShippedWeightG "shipped_weight_g" Number "weight of the parcel shipped, grams" "shipped at {} g" "";
    // Return evidence.
    ReturnLabel "return_label" Bool "a return label was created" "a return label exists" "no return label";
    ReturnLabelAgeDays "return_label_age_days" Number "days since the return label was created" "return label created {} days ago" "";
    ReturnCarrierScanned "return_carrier_scanned" Bool "the carrier scanned the return parcel" "the carrier scanned the return" "the carrier never scanned the return";
    ReturnUnscannedDays "return_unscanned_days" Number "days a return label has existed without any carrier scan (0 once scanned)" "label unscanned for {} days" "";
    ReturnAcceptedWeightRatio "return_accepted_weight_ratio" Number "weight the carrier accepted divided by what the returned units should weigh (shipped weight × share of units returned)" "the return weighed {}× what the returned items should" "";
    ReturnScanPostalMatch "return_scan_postal_match" Bool "the carrier accepted the return in the order's postal code" "handed in at the customer's postal code" "handed in far from the customer's postal code";
    ReturnAtWarehouse "return_at_warehouse" Bool "the carrier delivered the return to the warehouse" "the carrier delivered it to the warehouse" "not delivered to the warehouse";
    // Receipt evidence.
    ReceiptPresent "receipt_present" Bool "the warehouse booked the return in" "the warehouse booked it in" "the warehouse has not booked it in";
    ReceiptKeyedByHand "receipt_keyed_by_hand" Bool "the receipt was keyed in by hand, not scanned" "the receipt was keyed in by hand" "the receipt was scanned";
    ReceiptWeightRatio "receipt_weight_ratio" Number "weight received divided by what the returned units should weigh" "received {}× what the returned items should weigh" "";
    ReceiptEmptyOrWrong "receipt_empty_or_wrong" Bool "an empty box or a different item came back" "an empty box or a different item came back" "the right item came back";
    ReceiverKeyedShare "receiver_keyed_share" Number "share of the receiving employee's earlier receipts keyed in by hand" "the receiver keys in {} of receipts by hand" "";
    // The support contact.
    ContactPresent "contact_present" Bool "a support contact led to the refund" "came through a support contact" "no support contact";
    ContactVerified "contact_verified" Bool "support verified the caller's identity" "identity verified" "identity not verified";
    ContactDurationMin "contact_duration_min" Number "length of the support contact, minutes" "a {}-minute contact" "";
    ContactDeviceForeign "contact_device_foreign" Bool "the contacting device was never used by the account holder" "contacted from a device the holder never used" "contacted from the holder's own device";
    ContactIpForeign "contact_ip_foreign" Bool "the contacting IP was never used by the account holder" "contacted from an IP the holder never used" "contacted from the holder's own IP";
    ContactPhoneForeign "contact_phone_foreign" Bool "the calling number is not the account's phone" "called from a number not on the account" "called from the account's own number";
    ContactDeviceOtherAccounts "contact_device_other_accounts" Number "other accounts the contacting device asked support about (an operator's footprint)" "the contacting device asked about {} other accounts" "";
    ContactIpOtherAccounts "contact_ip_other_accounts" Number "other accounts the contacting IP asked support about" "the contacting IP asked about {} other accounts" "";
    ContactPhoneOtherAccounts "contact_phone_other_accounts" Number "other accounts the calling number asked support about" "the calling number asked about {} other accounts" "";
    ContactOperatorAccounts30d "contact_operator_accounts_30d" Number "most other accounts any one contacting identifier asked about in the last 30 days" "one contacting identifier asked about {} other accounts in 30 days" "";
    ContactWordingAccounts30d "contact_wording_accounts_30d" Number "other accounts whose support transcript had the same wording (numbers masked) in the last 30 days" "{} other accounts told support the same story" "";
    AccountUnverifiedContacts "account_unverified_contacts" Number "earlier support contacts about the account without identity verification" "{} earlier unverified contacts" "";
    // The employees involved.
    AgentRaisedRefunds "agent_raised_refunds" Number "refunds the agent raised before" "the agent raised {} refunds before" "";
    AgentUnverifiedShare "agent_unverified_share" Number "share of the agent's contacts without identity verification" "the agent skips verification on {} of contacts" "";
    AgentRiskyActs "agent_risky_acts" Number "refunds the agent raised, approved or overrode whose evidence looked bad at the time" "the agent acted on {} refunds with bad evidence" "";
    AgentOverrides "agent_overrides" Number "refunds the agent issued against Clawback's decision" "the agent overrode Clawback {} times" "";
    // The identity graph.
    RingAccounts "ring_accounts" Number "accounts in the account's operator ring (accounts tied by the devices, IPs and phones that contacted support about them; 0 when none)" "the account is in a ring of {} accounts tied by support operators" "";
    BannedLinksStrong "banned_links_strong" Number "accounts closed by the retailer that share an e-mail, phone, device or card with this account" "shares a strong identifier with {} banned accounts" "";
    BannedLinksWeak "banned_links_weak" Number "banned accounts tied by an address or through one strong hop" "tied to {} banned accounts by an address or one hop" "";
    StrongLinkedAccounts "strong_linked_accounts" Number "other accounts sharing an e-mail, phone, device or card with this one (hubs excluded)" "shares a strong identifier with {} other accounts" "";
    RingScore "ring_score" Number "score of the fraud_ring alert that names the account (0 when none): grows with how many ring members claimed" "the account's ring scores {}" "";
    BannedLinkStrength "banned_link_strength" Number "strongest tie to a banned account, 0 to 1: identifier type weight times its rarity (shared by few accounts), halved for one hop" "its tie to a banned account has strength {}" "";
    NeighbourFraudShare "neighbour_fraud_share" Number "share of the accounts it shares an identifier with that have a fraud outcome so far (banned, a chargeback, a return received empty or wrong)" "{} of its linked accounts have fraud outcomes" "";
    AgentSessionSuspect "agent_session_suspect" Bool "the agent's current session began from a device new to them after failed logins or off their usual hours" "the agent's session looks hijacked" "the agent's session looks normal";
    // Threat intelligence (set by `intel.rs`).
    IntelNamed "intel_named" Bool "the order, or an order of the account, was shown in a refund service's post before the request" "the account or order was shown in a refund service's post" "never shown in a refund service's post";
    RingIntelAccounts "ring_intel_accounts" Number "other accounts of the account's operator ring whose orders were shown in refund services' posts" "{} other accounts of its ring were shown in refund services' posts" "";
}

/// Number of refund features.
pub const N_REFUND_FEATURES: usize = REFUND_FEATURES.len();

/// Looks a feature up by name.
pub fn refund_feature_index(name: &str) -> Option<usize> {
    REFUND_FEATURES.iter().position(|f| f.name == name)
}

/// A refund request's feature vector; `NaN` is missing.
pub type RefundFeatures = [f32; N_REFUND_FEATURES];

/// Words for one feature's value, for explanations.
pub fn describe(idx: usize, value: f32) -> String {
    let Some(def) = REFUND_FEATURES.get(idx) else {
        return String::new();
    };
    if value.is_nan() {
        return format!("{}: not known", def.meaning);
    }
    match def.kind {
        FeatureKind::Bool => {
            if value >= 0.5 {
                def.say.to_string()
            } else {
                def.say_no.to_string()
            }
        }
        FeatureKind::Number if def.name.ends_with("_share") => {
            def.say.replacen("{}", &format!("{:.0}%", value * 100.0), 1)
        }
        FeatureKind::Number => def.say.replacen("{}", &format_number(value), 1),
    }
}

/// Whole numbers as such, others with one decimal (two below 1), for people to read.
fn format_number(v: f32) -> String {
    let a = v.abs();
    if a >= 100.0 || (a - a.round()).abs() < 1e-6 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// What the engine remembers about one support contact until a refund refers to it.
#[derive(Debug, Clone, Default)]
struct Contact {
    verified: bool,
    duration_s: Option<i64>,
    device: Option<Id>,
    ip: Option<Id>,
    phone: Option<Id>,
    employee_id: Id,
    wording: Option<u64>,
}

/// Accounts one contacting identifier (or one wording) was used for.
#[derive(Debug, Clone, Default)]
struct Footprint {
    /// (account, last time), most recent last, at most [`MAX_FOOTPRINT`].
    accounts: Vec<(Id, i64)>,
}

impl Footprint {
    fn add(&mut self, account: &Id, t: i64) {
        if let Some(i) = self.accounts.iter().position(|(a, _)| a == account) {
            let mut e = self.accounts.remove(i);
            e.1 = e.1.max(t);
            self.accounts.push(e);
            return;
        }
        if self.accounts.len() >= MAX_FOOTPRINT {
            self.accounts.remove(0);
        }
        self.accounts.push((account.clone(), t));
    }

    /// Accounts other than `account`, all time and within the window before `now`.
    fn others(&self, account: &Id, now: i64) -> (usize, usize) {
        let mut all = 0;
        let mut recent = 0;
        for (a, t) in &self.accounts {
            if a != account {
                all += 1;
                recent += usize::from(now - t <= WINDOW_MS);
            }
        }
        (all, recent)
    }
}

/// An employee's record as it bears on refunds.
#[derive(Debug, Clone, Default)]
struct Employee {
    raised: u32,
    contacts: u32,
    unverified: u32,
    risky_acts: u32,
    overrides: u32,
    receipts: u32,
    keyed: u32,
    devices: Vec<Id>,
    ips: Vec<Id>,
    failures_in_row: u32,
    session_suspect: bool,
    /// Hours of the day (UTC) the employee logged in on, as a bit set.
    hours: u32,
    logins: u32,
}

/// The state behind refund features that [`Facts`] does not keep: support contacts, the
/// footprints of contacting identifiers, employees' records, and each refund's evidence
/// risk (for the employees who later act on it).
#[derive(Debug, Default)]
pub struct RefundFeatureState {
    contacts: GrowMap<Id, Contact>,
    by_device: GrowMap<Id, Footprint>,
    by_ip: GrowMap<Id, Footprint>,
    by_phone: GrowMap<Id, Footprint>,
    by_wording: GrowMap<u64, Footprint>,
    employees: GrowMap<Id, Employee>,
    /// Whether a refund's evidence looked bad when it was requested (the baseline rules'
    /// verdict, which does not depend on the trained model, so training and serving agree).
    risky_refund: GrowMap<Id, bool>,
    unverified_by_account: GrowMap<Id, u32>,
}

/// A transcript's wording with the particulars taken out (digits, ids), so that the same
/// script told about different orders hashes the same.
fn wording_key(text: &str) -> Option<u64> {
    let mut norm = String::with_capacity(text.len());
    let mut last_space = true;
    for word in text.split_whitespace() {
        if word.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if !last_space {
            norm.push(' ');
        }
        for c in word.chars().filter(|c| c.is_alphanumeric()) {
            norm.extend(c.to_lowercase());
        }
        last_space = false;
    }
    (norm.len() >= 20).then(|| xxhash_rust::xxh3::xxh3_64(norm.as_bytes()))
}

fn b(v: bool) -> f32 {
    if v { 1.0 } else { 0.0 }
}

fn hour_of(t: i64) -> u32 {
    (t.rem_euclid(86_400_000) / 3_600_000) as u32
}

impl RefundFeatureState {
    /// The feature vector of a refund request, from facts before it.
    pub fn compute(
        &self,
        facts: &Facts,
        r: &RefundRequested,
        now: i64,
        graph: crate::graph::GraphFacts,
    ) -> RefundFeatures {
        let mut v = [f32::NAN; N_REFUND_FEATURES];
        let mut set = |f: F, x: f32| v[f as usize] = x;
        set(F::RingAccounts, graph.ring_accounts as f32);
        set(F::BannedLinksStrong, graph.banned_strong as f32);
        set(F::BannedLinksWeak, graph.banned_weak as f32);
        set(F::StrongLinkedAccounts, graph.linked_accounts as f32);
        set(F::RingScore, graph.ring_score);
        set(F::BannedLinkStrength, graph.banned_strength);
        set(
            F::NeighbourFraudShare,
            if graph.neighbours == 0 {
                0.0
            } else {
                graph.neighbours_flagged as f32 / graph.neighbours as f32
            },
        );
        let amount = usd_cents(r.money.amount_minor, &r.money.currency) as f32 / 100.0;
        set(F::AmountUsd, amount);
        set(
            F::ReasonNotReceived,
            b(r.reason == ClaimReason::NotReceived),
        );
        set(F::ReasonDamaged, b(r.reason == ClaimReason::Damaged));
        set(F::ReasonDefective, b(r.reason == ClaimReason::Defective));
        set(F::ReasonWrongItem, b(r.reason == ClaimReason::WrongItem));
        set(
            F::ReasonMissingParts,
            b(r.reason == ClaimReason::MissingParts),
        );
        set(
            F::ReasonNotAsDescribed,
            b(r.reason == ClaimReason::NotAsDescribed),
        );
        set(
            F::ReasonNoLongerNeeded,
            b(r.reason == ClaimReason::NoLongerNeeded),
        );
        set(
            F::ChannelAssisted,
            b(matches!(r.channel, Channel::Chat | Channel::Phone)),
        );
        set(F::ChannelEmail, b(r.channel == Channel::Email));
        set(F::HasReturn, b(r.return_id.is_some()));
        set(F::RaisedByAgent, b(r.employee_id.is_some()));

        let account = facts.accounts.get(&r.account_id);
        if let Some(a) = account {
            if let Some(c) = a.created_ms {
                set(F::AccountAgeDays, ((now - c) as f64 / DAY_MS) as f32);
            }
            set(F::AccountOrders, a.orders as f32);
            set(
                F::AccountOrderValueUsd,
                a.order_value_usd_cents as f32 / 100.0,
            );
            set(F::AccountRefunds, a.refunds_requested as f32);
            set(
                F::AccountRefundRate,
                a.refunds_requested as f32 / a.orders.max(1) as f32,
            );
            if a.order_value_usd_cents > 0 {
                set(
                    F::AccountRefundValueShare,
                    (a.refund_value_usd_cents as f64 / a.order_value_usd_cents as f64) as f32,
                );
            }
            set(F::AccountNotReceivedClaims, a.claims_not_received as f32);
            set(F::AccountChargebacks, a.chargebacks as f32);
            if let Some(last) = a.last_refund_ms {
                set(
                    F::DaysSinceLastRefund,
                    ((now - last) as f64 / DAY_MS) as f32,
                );
            }
            set(F::AccountDevices, a.devices.len() as f32);
        }
        set(
            F::AccountUnverifiedContacts,
            self.unverified_by_account
                .get(&r.account_id)
                .copied()
                .unwrap_or(0) as f32,
        );

        let order = facts.orders.get(&r.order_id);
        set(F::OrderKnown, b(order.is_some()));
        if let Some(o) = order {
            set(
                F::OrderOfOtherAccount,
                b(!o.account_id.is_empty() && o.account_id != r.account_id),
            );
            if o.value_usd_cents > 0 {
                set(F::OrderValueUsd, o.value_usd_cents as f32 / 100.0);
                set(
                    F::AmountOverOrder,
                    amount / (o.value_usd_cents as f32 / 100.0),
                );
                set(F::OrderItems, o.items as f32);
                set(F::OrderMaxUnitUsd, o.max_unit_usd_cents as f32 / 100.0);
                set(F::OrderResaleShare, o.resale_share);
                set(F::OrderRetailerFulfilled, b(o.retailer_fulfilled));
                set(
                    F::OrderAgeDays,
                    ((now - o.placed_ms) as f64 / DAY_MS) as f32,
                );
            }
            set(F::Delivered, b(o.delivery.is_some()));
            if let Some(d) = &o.delivery {
                set(
                    F::DaysSinceDelivery,
                    ((now - d.delivered_ms) as f64 / DAY_MS) as f32,
                );
                set(F::DeliveryProofPhoto, b(d.proof_photo));
                set(F::DeliveryGpsMatch, b(d.gps_match));
                set(F::DeliverySignature, b(d.signature));
                if let Some(w) = d.weight_grams {
                    set(F::ShippedWeightG, w as f32);
                }
            }
        }
        if let Some(ret) = r.return_id.as_ref().and_then(|id| facts.returns.get(id)) {
            let expected = order.and_then(|o| expected_return_weight(o, ret));
            set(F::ReturnLabel, b(ret.label_ms.is_some()));
            if let Some(l) = ret.label_ms {
                let age = ((now - l) as f64 / DAY_MS) as f32;
                set(F::ReturnLabelAgeDays, age);
                set(
                    F::ReturnUnscannedDays,
                    if ret.carrier_scanned { 0.0 } else { age },
                );
                set(F::ReturnCarrierScanned, b(ret.carrier_scanned));
            }
            if let (Some(acc), Some(s)) = (ret.accepted_weight_grams, expected) {
                set(F::ReturnAcceptedWeightRatio, (acc as f64 / s) as f32);
            }
            if let (Some(pc), Some(o)) = (&ret.accepted_postal_code, order)
                && !pc.is_empty()
                && !o.postal_code.is_empty()
            {
                set(F::ReturnScanPostalMatch, b(*pc == o.postal_code));
            }
            set(F::ReturnAtWarehouse, b(ret.delivered_to_warehouse));
            set(F::ReceiptPresent, b(ret.receipt.is_some()));
            if let Some(rc) = &ret.receipt {
                set(F::ReceiptKeyedByHand, b(!rc.barcode_scanned));
                if let (Some(got), Some(s)) = (rc.weight_grams, expected) {
                    set(F::ReceiptWeightRatio, (got as f64 / s) as f32);
                }
                set(F::ReceiptEmptyOrWrong, b(rc.empty_or_wrong));
                if let Some(e) = self.employees.get(&rc.employee_id)
                    && e.receipts > 0
                {
                    set(F::ReceiverKeyedShare, e.keyed as f32 / e.receipts as f32);
                }
            }
        }

        let contact = r.contact_id.as_ref().and_then(|c| self.contacts.get(c));
        set(F::ContactPresent, b(contact.is_some()));
        if let Some(c) = contact {
            set(F::ContactVerified, b(c.verified));
            if let Some(d) = c.duration_s {
                set(F::ContactDurationMin, d as f32 / 60.0);
            }
            let foreign = |id: &Option<Id>, own: Option<&Vec<Id>>| -> f32 {
                match (id, own) {
                    (Some(x), Some(list)) if !list.is_empty() => b(!list.contains(x)),
                    _ => f32::NAN,
                }
            };
            set(
                F::ContactDeviceForeign,
                foreign(&c.device, account.map(|a| &a.devices)),
            );
            set(F::ContactIpForeign, foreign(&c.ip, account.map(|a| &a.ips)));
            set(
                F::ContactPhoneForeign,
                foreign(&c.phone, account.map(|a| &a.phones)),
            );
            let mut recent_max = 0usize;
            for (id, map, f) in [
                (&c.device, &self.by_device, F::ContactDeviceOtherAccounts),
                (&c.ip, &self.by_ip, F::ContactIpOtherAccounts),
                (&c.phone, &self.by_phone, F::ContactPhoneOtherAccounts),
            ] {
                if let Some(id) = id {
                    let (all, recent) = map
                        .get(id)
                        .map_or((0, 0), |fp| fp.others(&r.account_id, now));
                    set(f, all as f32);
                    recent_max = recent_max.max(recent);
                }
            }
            set(F::ContactOperatorAccounts30d, recent_max as f32);
            if let Some(w) = c.wording {
                let (_, recent) = self
                    .by_wording
                    .get(&w)
                    .map_or((0, 0), |fp| fp.others(&r.account_id, now));
                set(F::ContactWordingAccounts30d, recent as f32);
            }
        }

        let agent = r
            .employee_id
            .as_ref()
            .or(contact.map(|c| &c.employee_id))
            .and_then(|e| self.employees.get(e));
        if let Some(e) = agent {
            set(F::AgentRaisedRefunds, e.raised as f32);
            if e.contacts > 0 {
                set(
                    F::AgentUnverifiedShare,
                    e.unverified as f32 / e.contacts as f32,
                );
            }
            set(F::AgentRiskyActs, e.risky_acts as f32);
            set(F::AgentOverrides, e.overrides as f32);
            set(F::AgentSessionSuspect, b(e.session_suspect));
        }
        v
    }

    /// Records that `refund_id`'s evidence looked bad (or not) when it was requested.
    pub fn note_refund_risk(&mut self, r: &RefundRequested, risky: bool) {
        self.risky_refund.insert(r.refund_id.clone(), risky);
        if let Some(e) = &r.employee_id {
            let emp = self.employees.entry(e.clone()).or_default();
            emp.raised += 1;
            emp.risky_acts += u32::from(risky);
        }
    }

    /// Absorbs one event after every decision on it was made.
    pub fn absorb(&mut self, ev: &Event) {
        let t = ev.ts.unix_ms;
        match &ev.body {
            Body::SupportContact(c) => {
                let phone = c.caller_phone.as_deref().and_then(phone_key);
                let wording = c.transcript.as_deref().and_then(wording_key);
                let emp = self.employees.entry(c.employee_id.clone()).or_default();
                emp.contacts += 1;
                emp.unverified += u32::from(!c.identity_verified);
                if let Some(acct) = &c.account_id {
                    if !c.identity_verified {
                        *self.unverified_by_account.entry(acct.clone()).or_default() += 1;
                    }
                    for (id, map) in [
                        (&c.device_id, &mut self.by_device),
                        (&c.ip, &mut self.by_ip),
                        (&phone, &mut self.by_phone),
                    ] {
                        if let Some(id) = id {
                            map.entry(id.clone()).or_default().add(acct, t);
                        }
                    }
                    if let Some(w) = wording {
                        self.by_wording.entry(w).or_default().add(acct, t);
                    }
                }
                self.contacts.insert(
                    c.contact_id.clone(),
                    Contact {
                        verified: c.identity_verified,
                        duration_s: c.duration_s,
                        device: c.device_id.clone(),
                        ip: c.ip.clone(),
                        phone,
                        employee_id: c.employee_id.clone(),
                        wording,
                    },
                );
            }
            Body::ReturnReceived(rr) => {
                let emp = self.employees.entry(rr.employee_id.clone()).or_default();
                emp.receipts += 1;
                emp.keyed += u32::from(!rr.barcode_scanned);
            }
            Body::RefundIssued(ri) => {
                if let (true, Some(e)) = (ri.override_, &ri.employee_id) {
                    let risky = self.risky_refund.get(&ri.refund_id).copied() == Some(true);
                    let emp = self.employees.entry(e.clone()).or_default();
                    emp.overrides += 1;
                    emp.risky_acts += u32::from(risky);
                }
            }
            Body::EmployeeAction(a) => {
                if matches!(
                    a.action,
                    EmployeeActionKind::ApproveRefund | EmployeeActionKind::OverrideHold
                ) && let Some(rid) = &a.refund_id
                {
                    let risky = self.risky_refund.get(rid).copied() == Some(true);
                    let emp = self.employees.entry(a.employee_id.clone()).or_default();
                    emp.risky_acts += u32::from(risky);
                }
            }
            Body::EmployeeLogin(l) => {
                let emp = self.employees.entry(l.employee_id.clone()).or_default();
                if !l.success {
                    emp.failures_in_row += 1;
                    return;
                }
                let hour = hour_of(t);
                let new_device = l
                    .device_id
                    .as_ref()
                    .is_some_and(|d| !emp.devices.is_empty() && !emp.devices.contains(d));
                let off_hours = emp.logins >= 10 && emp.hours & (1 << hour) == 0;
                emp.session_suspect = new_device && (emp.failures_in_row > 0 || off_hours);
                emp.failures_in_row = 0;
                emp.logins += 1;
                emp.hours |= 1 << hour;
                if let Some(d) = &l.device_id
                    && !emp.devices.contains(d)
                    && emp.devices.len() < 16
                {
                    emp.devices.push(d.clone());
                }
                if let Some(ip) = &l.ip
                    && !emp.ips.contains(ip)
                    && emp.ips.len() < 16
                {
                    emp.ips.push(ip.clone());
                }
            }
            _ => {}
        }
    }

    /// Entry counts, for memory reporting.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (
            self.contacts.len(),
            self.by_device.len() + self.by_ip.len() + self.by_phone.len() + self.by_wording.len(),
            self.employees.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_snake_case_and_described() {
        let mut names: Vec<&str> = REFUND_FEATURES.iter().map(|f| f.name).collect();
        for f in REFUND_FEATURES {
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                f.name
            );
            assert!(!f.meaning.is_empty() && !f.say.is_empty(), "{}", f.name);
            if f.kind == FeatureKind::Number {
                assert!(f.say.contains("{}"), "{} has no value slot", f.name);
            } else {
                assert!(!f.say_no.is_empty(), "{}", f.name);
            }
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), N_REFUND_FEATURES);
        assert_eq!(
            refund_feature_index("contact_device_other_accounts"),
            Some(F::ContactDeviceOtherAccounts as usize)
        );
    }

    #[test]
    fn explanations_read_as_words() {
        assert_eq!(
            describe(F::ContactDeviceOtherAccounts as usize, 7.0),
            "the contacting device asked about 7 other accounts"
        );
        assert_eq!(
            describe(F::ReturnCarrierScanned as usize, 0.0),
            "the carrier never scanned the return"
        );
        assert_eq!(
            describe(F::ReceiptWeightRatio as usize, 0.125),
            "received 0.12× what the returned items should weigh"
        );
        assert!(describe(F::ShippedWeightG as usize, f32::NAN).contains("not known"));
        assert_eq!(
            describe(F::OrderResaleShare as usize, 1.0),
            "100% of the order is easily resold goods"
        );
        assert_eq!(
            describe(F::AccountAgeDays as usize, 6.06),
            "the account is 6.1 days old"
        );
    }

    #[test]
    fn wording_ignores_particulars() {
        let a = wording_key("Customer says order 113-1 never arrived, photo checked.");
        let b = wording_key("customer says ORDER 999-2 never arrived  photo checked");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(
            a,
            wording_key("Customer says the box was empty when opened.")
        );
        assert_eq!(wording_key("ok"), None);
    }

    #[test]
    fn footprint_counts_other_accounts_and_recent_ones() {
        let mut fp = Footprint::default();
        let (a, b2, c) = (Id::from("a"), Id::from("b"), Id::from("c"));
        fp.add(&a, 0);
        fp.add(&b2, 10);
        fp.add(&c, WINDOW_MS + 100);
        fp.add(&a, WINDOW_MS + 100);
        assert_eq!(fp.others(&a, WINDOW_MS + 100), (2, 1));
        for i in 0..100 {
            fp.add(&Id::from(format!("x{i}")), i);
        }
        assert_eq!(fp.accounts.len(), MAX_FOOTPRINT);
    }
}
