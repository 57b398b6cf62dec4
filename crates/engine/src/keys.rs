//! Normalised keys for identifiers, so the same identity written differently is one node
//! of the identity graph. Thin adapters from the contract's types to `clawback-identity`,
//! which holds the rules (provider e-mail rules, E.164 phones, address place and building)
//! and their property tests.

use clawback_events::{Address, Id};
use clawback_identity as identity;

pub fn email(raw: &str) -> Option<Id> {
    identity::email_key(raw).map(Id::from)
}

/// E.164, reading national formats in the account's country when it is known.
pub fn phone(raw: &str, country: Option<&str>) -> Option<Id> {
    identity::phone_key(raw, country).map(Id::from)
}

pub fn opaque(raw: &str) -> Option<Id> {
    identity::opaque_key(raw).map(Id::from)
}

/// (place, building): the unit-level address and the street address without the unit.
pub fn address(a: &Address) -> Option<(Id, Id)> {
    let k = identity::address_keys(
        &a.line1,
        a.line2.as_deref(),
        &a.city,
        &a.postal_code,
        &a.country,
    )?;
    Some((Id::from(k.place), Id::from(k.building)))
}
