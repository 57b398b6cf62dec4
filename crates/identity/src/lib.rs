//! Identity keys: the same identity written differently maps to one key.
//!
//! Fraud detection links accounts through what they share (a mailbox, a phone, a flat, a
//! network, a device, a card). People and fraudsters write those identifiers in many ways
//! (`John.Smith+deals@Gmail.com`, `0044 20 7946 0958`, `12 Main St. Apt 4`), so exact string
//! equality misses links; every normaliser here turns one identifier into a compact key that
//! is equal for all renderings of the same identity and different for different identities.
//!
//! Keys are plain strings meant for hash maps; they are not prefixed by kind (the caller keeps
//! kinds apart). Every function is pure: no I/O, no clock, no randomness, and no panic on any
//! input (a property test checks it); `None` means "nothing usable to key on".

mod address;
mod email;
mod ip;
mod phone;
mod text;

#[cfg(test)]
mod proptests;

pub use address::{AddressKeys, address_keys};
pub use email::email_key;
pub use ip::{IpKeys, ip_keys};
pub use phone::phone_key;

/// Key for opaque identifiers (device ids, card fingerprints): the value trimmed.
///
/// Their issuers define them byte for byte, so anything more than trimming the whitespace a
/// transport may add could merge two different devices or cards. `None` when nothing is left.
pub fn opaque_key(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_trims_only() {
        assert_eq!(opaque_key("  dev-ABC123\n").as_deref(), Some("dev-ABC123"));
        assert_eq!(opaque_key("fp_9f8e"), opaque_key(" fp_9f8e "));
        assert_ne!(opaque_key("dev-abc123"), opaque_key("dev-ABC123"));
        assert_eq!(opaque_key("   "), None);
        assert_eq!(opaque_key(""), None);
    }
}
