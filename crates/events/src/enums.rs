//! The contract's enumerated string fields.
//!
//! The contract may grow, and it lists "an unknown type, a missing required field, a wrong
//! type, an unparsable timestamp or negative money" as what makes a line invalid — not an
//! unlisted value of an enumerated field. So every enumeration here is *open*: listed values
//! get a variant, anything else is kept verbatim in `Other` and detectors treat it as
//! unknown rather than rejecting the retailer's data.

use crate::Id;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
            /// A value the contract does not list (yet); kept as written.
            Other(Id),
        }

        impl $name {
            /// Every value the contract lists, in contract order.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// Maps contract text to a variant; unlisted text becomes `Other`.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Other(Id::from(other)),
                }
            }

            /// The contract text of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

open_enum!(
    /// Why a customer asks for a return or refund.
    ClaimReason {
        Damaged => "damaged",
        Defective => "defective",
        WrongItem => "wrong_item",
        NotAsDescribed => "not_as_described",
        MissingParts => "missing_parts",
        NotReceived => "not_received",
        NoLongerNeeded => "no_longer_needed",
        Unspecified => "other",
    }
);

open_enum!(
    /// How a customer (or someone posing as one) reached the retailer.
    Channel {
        Web => "web",
        App => "app",
        Chat => "chat",
        Phone => "phone",
        Email => "email",
    }
);

open_enum!(
    /// How a reported scam message reached the customer.
    ReportChannel {
        Sms => "sms",
        Email => "email",
        Call => "call",
        Unspecified => "other",
    }
);

open_enum!(
    /// A carrier's tracking status.
    ScanStatus {
        LabelCreated => "label_created",
        Accepted => "accepted",
        InTransit => "in_transit",
        OutForDelivery => "out_for_delivery",
        Delivered => "delivered",
        Exception => "exception",
    }
);

open_enum!(
    /// The state of a returned item as the warehouse recorded it.
    Condition {
        New => "new",
        Used => "used",
        Damaged => "damaged",
        WrongItem => "wrong_item",
        Empty => "empty",
    }
);

open_enum!(
    /// Who closed an account; `retailer` means a ban.
    ClosedBy {
        Retailer => "retailer",
        Customer => "customer",
    }
);

open_enum!(
    /// Who shipped an item: the retailer itself or a marketplace seller.
    FulfilledBy {
        Retailer => "retailer",
        Seller => "seller",
    }
);

open_enum!(
    /// Where a threat-intelligence post was collected.
    IntelSource {
        Telegram => "telegram",
        Reddit => "reddit",
        Discord => "discord",
        Forum => "forum",
        Unspecified => "other",
    }
);

open_enum!(
    /// What an employee did in a back-office tool.
    EmployeeActionKind {
        ApproveRefund => "approve_refund",
        OverrideHold => "override_hold",
        MarkReturnReceived => "mark_return_received",
        ChangeShippingAddress => "change_shipping_address",
        ResetCredentials => "reset_credentials",
        AddNote => "add_note",
        CloseCase => "close_case",
    }
);

open_enum!(
    /// What kind of customer data an employee looked up.
    Resource {
        CustomerProfile => "customer_profile",
        ContactDetails => "contact_details",
        OrderHistory => "order_history",
        PaymentDetails => "payment_details",
        ReviewerContact => "reviewer_contact",
    }
);

open_enum!(
    /// The kind of entity a ground-truth label is about.
    LabelEntity {
        Refund => "refund",
        Account => "account",
        Employee => "employee",
        Seller => "seller",
        Report => "report",
        Order => "order",
    }
);

open_enum!(
    /// A ground-truth verdict.
    Verdict {
        Fraud => "fraud",
        Legit => "legit",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_values_are_kept() {
        for s in ClaimReason::KNOWN {
            assert_eq!(ClaimReason::parse(s).as_str(), *s);
            assert!(!matches!(ClaimReason::parse(s), ClaimReason::Other(_)));
        }
        let odd = ClaimReason::parse("arrived_late");
        assert_eq!(odd, ClaimReason::Other(Id::from("arrived_late")));
        assert_eq!(odd.as_str(), "arrived_late");
    }
}
