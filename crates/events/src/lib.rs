//! The Clawback event contract, version 1 (`shared/spec/events.md`), as Rust types.
//!
//! Everything that enters Clawback — a JSON Lines file, a stored log record, an HTTP body —
//! goes through [`parse_line`], so there is exactly one definition of "valid". Everything
//! that leaves it — decisions, alerts, quarantine records — is one of the types in
//! [`output`], serialised in exactly the shape the contract promises.
//!
//! This crate does no I/O beyond (de)serialisation of byte slices.

mod enums;
mod parse;
mod schema;
mod timestamp;
mod types;
mod write;

pub mod output;
pub mod samples;

pub use enums::*;
pub use parse::{Invalid, parse_line};
pub use schema::{FieldKind, FieldSpec, schema_of};
pub use timestamp::Timestamp;
pub use types::*;

/// Identifiers are short opaque strings; `CompactString` keeps those up to 24 bytes inline,
/// so events own their strings without a heap allocation per field.
pub type Id = compact_str::CompactString;

/// The version of the contract these types implement.
pub const CONTRACT_VERSION: u32 = 1;
