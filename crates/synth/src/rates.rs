//! The behavioural rates and sizes of the simulator, so that a scenario can override any
//! of them. [`Rates::default`] is exactly the world the generator always produced: with
//! default rates a config gives the same bytes as before rates were configurable.

use serde::{Deserialize, Serialize};

/// The return share the category return rates are calibrated to: each category's rate is
/// scaled by `return_share / NOMINAL_RETURN_SHARE` (exactly 1 by default).
pub(crate) const NOMINAL_RETURN_SHARE: f64 = 0.1;

/// Behavioural rates and sizes. Shares are probabilities in `[0, 1]`; `*_weights` are
/// relative integer weights of the listed outcomes (at least one must be positive); `_min`
/// / `_max` pairs are inclusive ranges.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rates {
    // --- Honest world -------------------------------------------------------------------
    /// Share of emitted lines delivered late, by up to `disorder_secs` (probability).
    pub disorder_share: f64,
    /// Share of new customers who join an existing customer's household (shared address,
    /// sometimes device or card) (probability).
    pub household_share: f64,
    /// Nominal share of delivered honest orders that are returned (probability); every
    /// category's return rate is scaled by `return_share / 0.1` (the default world returns
    /// about 0.087 of all orders placed).
    pub return_share: f64,
    /// Share of delivered honest orders claimed as "not received" (probability).
    pub not_received_share: f64,
    /// Share of delivered honest orders that end in a chargeback (probability).
    pub chargeback_share: f64,
    /// Share of delivered honest orders that get a review (probability).
    pub review_share: f64,
    /// Share of delivery records reporting `proof_photo` that have a photo (probability).
    pub proof_photo_share: f64,
    /// Weights of a delivery's GPS field: `gps_match` given / absent / null (weights).
    pub gps_field_weights: [u32; 3],
    /// Share of given GPS checks that match (the rest are GPS errors) (probability).
    pub gps_match_share: f64,
    /// Share of honest returns whose parcel the carrier never scans: lost in the post
    /// (probability).
    pub return_lost_share: f64,
    /// Share of honest returns lost at the warehouse dock after scanning (probability).
    pub return_lost_at_dock_share: f64,
    /// Share of honest returns refunded instantly at the first carrier scan rather than on
    /// receipt (probability).
    pub instant_refund_share: f64,
    /// Share of return receipts whose barcode is scanned; the rest are keyed in by hand
    /// (probability).
    pub receipt_barcode_share: f64,
    /// Share of refunds an approver marks as an override (probability).
    pub refund_override_share: f64,
    /// Share of a support agent's routine customer look-ups tied to a ticket; the rest are
    /// ticketless (probability).
    pub lookup_ticket_share: f64,
    /// Share of customer-reported messages that are phishing; the rest are genuine
    /// retailer messages reported as suspicious (probability).
    pub reported_phishing_share: f64,

    // --- Refund-service gangs -----------------------------------------------------------
    /// Fewest operators per gang (people).
    pub gang_operators_min: u32,
    /// Most operators per gang (people).
    pub gang_operators_max: u32,
    /// Fewest clients per gang, before scaling with the world (2,000 customers, 30 days,
    /// three gangs) (accounts).
    pub gang_clients_min: u32,
    /// Most clients per gang, before the same scaling (accounts).
    pub gang_clients_max: u32,
    /// Share of gangs with a bribed support agent (probability).
    pub gang_bribed_agent_share: f64,
    /// Share of gangs with an agent that also bribe a warehouse worker (those without an
    /// agent always do) (probability).
    pub gang_bribed_clerk_share: f64,
    /// Weights of a gang claim's variant: not received / return never scanned / empty box
    /// / hand-keyed by the bribed clerk / raised by the bribed agent (weights; the last two
    /// apply only to gangs with that insider).
    pub gang_claim_weights: [u32; 5],

    // --- Ban evasion ----------------------------------------------------------------------
    /// Share of bans aimed at a gang client rather than an honest-looking customer
    /// (probability).
    pub ban_gang_client_share: f64,
    /// Share of banned people who come back under a new account (probability).
    pub ban_return_share: f64,
    /// Share of bans followed by an honest household member signing up (probability).
    pub ban_housemate_share: f64,
    /// Chance an evader's new account reuses the banned one's email (restyled)
    /// (probability).
    pub evasion_same_email: f64,
    /// Chance it reuses the phone, written differently (probability).
    pub evasion_same_phone: f64,
    /// Chance it reuses the device (probability).
    pub evasion_same_device: f64,
    /// Chance it reuses the card (probability).
    pub evasion_same_card: f64,
    /// Chance it reuses the address, restyled (probability).
    pub evasion_same_address: f64,

    // --- Data selling -------------------------------------------------------------------
    /// Share of rings with a second corrupt agent (probability).
    pub datasell_second_agent_share: f64,
    /// Fewest unhappy buyers per ring, before scaling with the world (accounts).
    pub datasell_buyers_min: u32,
    /// Most unhappy buyers per ring, before the same scaling (accounts).
    pub datasell_buyers_max: u32,
    /// Fewest accounts an agent looks up in one sitting (accounts).
    pub datasell_lookups_min: u32,
    /// Most accounts an agent looks up in one sitting (accounts).
    pub datasell_lookups_max: u32,

    // --- Phishing -----------------------------------------------------------------------
    /// Lowest multiplier of a campaign's volume over the sales event (×).
    pub phishing_spike_min: u32,
    /// Highest multiplier of a campaign's volume over the sales event (×).
    pub phishing_spike_max: u32,
    /// Shortest sales event (days).
    pub sale_days_min: u32,
    /// Longest sales event (days).
    pub sale_days_max: u32,

    // --- Stolen credentials -------------------------------------------------------------
    /// Weights of the number of failed logins before a gang's successful one with stolen
    /// credentials: 1 / 2 / 3 failures (weights).
    pub credential_failure_weights: [u32; 3],
    /// Share of stolen-credential sessions that override a hold (probability).
    pub credential_override_share: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            disorder_share: 0.02,
            household_share: 0.06,
            return_share: NOMINAL_RETURN_SHARE,
            not_received_share: 0.01,
            chargeback_share: 0.005,
            review_share: 0.12,
            proof_photo_share: 0.9,
            gps_field_weights: [80, 15, 5],
            gps_match_share: 0.97,
            return_lost_share: 0.05,
            return_lost_at_dock_share: 0.01,
            instant_refund_share: 0.35,
            receipt_barcode_share: 0.95,
            refund_override_share: 0.03,
            lookup_ticket_share: 0.55,
            reported_phishing_share: 0.55,
            gang_operators_min: 2,
            gang_operators_max: 4,
            gang_clients_min: 20,
            gang_clients_max: 60,
            gang_bribed_agent_share: 0.7,
            gang_bribed_clerk_share: 0.5,
            gang_claim_weights: [34, 20, 20, 18, 18],
            ban_gang_client_share: 0.5,
            ban_return_share: 0.65,
            ban_housemate_share: 0.35,
            evasion_same_email: 0.45,
            evasion_same_phone: 0.35,
            evasion_same_device: 0.4,
            evasion_same_card: 0.4,
            evasion_same_address: 0.45,
            datasell_second_agent_share: 0.5,
            datasell_buyers_min: 18,
            datasell_buyers_max: 30,
            datasell_lookups_min: 2,
            datasell_lookups_max: 6,
            phishing_spike_min: 5,
            phishing_spike_max: 16,
            sale_days_min: 3,
            sale_days_max: 4,
            credential_failure_weights: [40, 35, 25],
            credential_override_share: 0.5,
        }
    }
}
