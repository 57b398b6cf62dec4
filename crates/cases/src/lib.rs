//! The case store: API keys and the hash-chained audit log of unmasked reads.
//!
//! [`CaseStore`] is the seam: the service talks only to the trait, [`SqliteStore`] is the
//! embedded default, and a PostgreSQL implementation can follow. [`conformance`] holds one
//! set of checks that any implementation must pass (run it from that implementation's
//! tests).
//!
//! Cases ([`case`]): alerts grouped into cases, their status machine, assignee, notes and
//! recorded actions, in the same store (schema version 3).

pub mod case;
pub mod conformance;
mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

pub use case::{
    ActionKind, AlertLink, Case, CaseAction, CaseChange, CaseDetail, CaseFilter, CaseKind,
    CaseStatus, NewAction, Note,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// What went wrong in a case store.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("an API key named {0:?} already exists; choose another --name")]
    DuplicateKeyName(String),
    #[error(
        "key name {0:?} is not usable: give 1..=64 printable characters without spaces (it is written to the audit log as the reader's employee_id)"
    )]
    BadKeyName(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("the in-memory case store's lock was poisoned by a panic")]
    Poisoned,
    #[error("encoding an audit record: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("no case {0:?}; list the cases with GET /v1/cases")]
    CaseNotFound(String),
    #[error(
        "case {case_id} is {from}; it cannot move to {to} (from {from} it may move to: {allowed})"
    )]
    InvalidTransition {
        case_id: String,
        from: CaseStatus,
        to: CaseStatus,
        allowed: String,
    },
    #[error("{field} must be 1..={max} characters and not blank")]
    BadText { field: &'static str, max: usize },
    #[error(
        "case store {path}: migrating to schema version {version} failed: {reason}; the file was left at the version before it (keep a copy and report this)"
    )]
    Migration {
        path: String,
        version: i64,
        reason: String,
    },
    #[error("case store {path} has schema version {found}, this build knows up to {known}")]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
}

pub type Result<T> = std::result::Result<T, CaseError>;

/// What a key may do. `viewer` reads decisions, alerts and profiles with PII masked;
/// `investigator` may also read PII with a justification; `admin` may do everything,
/// including posting events and reading the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Investigator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Investigator => "investigator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "investigator" => Some(Role::Investigator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored API key (the key itself is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub name: String,
    pub role: Role,
    pub created: String,
}

/// A new API key: the secret to hand to its user once, and its digest to store.
#[derive(Debug)]
pub struct NewKey {
    /// `cbk_` and 64 hex digits (32 random bytes).
    pub secret: String,
    pub digest: [u8; 32],
}

/// Makes a key from 32 bytes of the operating system's RNG.
pub fn generate_key() -> Result<NewKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CaseError::Random(e.to_string()))?;
    let secret = format!("cbk_{}", hex(&bytes));
    let digest = key_digest(&secret);
    Ok(NewKey { secret, digest })
}

/// The stored form of a key: plain SHA-256. Keys are 256 random bits, so nobody can guess
/// one from its hash and a slow password KDF (argon2, scrypt) would buy nothing; a fast hash
/// keeps the per-request check cheap.
pub fn key_digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Checks a key name: it becomes the `employee_id` of `data_access` events.
pub fn check_key_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| {
            c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
        });
    if ok {
        Ok(())
    } else {
        Err(CaseError::BadKeyName(name.to_string()))
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The `prev_hash` of the first audit record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One unmasked read, as the reader asks for it to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC, when the read was served.
    pub ts: String,
    pub key_name: String,
    pub role: Role,
    pub justification: String,
    /// What was read: `customer_profile`, `alerts`, …
    pub resource: String,
    /// The entities whose PII was shown (account ids for profiles).
    pub entity_ids: Vec<String>,
}

/// A record of the audit log: the entry, its place in the chain and the chain's hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The previous record's `hash` ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of `prev_hash` (its hex text) followed by [`canonical`] of the record.
    pub hash: String,
}

/// The bytes a record's hash covers: compact JSON of `seq` and the entry with fields in a
/// fixed order. Changing this breaks every stored chain, so it is versioned by its shape.
pub fn canonical(seq: u64, e: &AuditEntry) -> Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Canon<'a> {
        seq: u64,
        ts: &'a str,
        key_name: &'a str,
        role: &'a str,
        justification: &'a str,
        resource: &'a str,
        entity_ids: &'a [String],
    }
    Ok(serde_json::to_vec(&Canon {
        seq,
        ts: &e.ts,
        key_name: &e.key_name,
        role: e.role.as_str(),
        justification: &e.justification,
        resource: &e.resource,
        entity_ids: &e.entity_ids,
    })?)
}

/// The hash of a record chained after `prev_hash`.
pub fn chain_hash(prev_hash: &str, seq: u64, e: &AuditEntry) -> Result<String> {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical(seq, e)?);
    Ok(hex(&h.finalize()))
}

/// The first record where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Checks records in `seq` order: numbering without gaps from 1, each `prev_hash` equal to
/// the previous `hash`, each `hash` recomputed from the record. Returns how many records
/// were checked.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> std::result::Result<u64, ChainBreak> {
    let mut prev = GENESIS_HASH.to_string();
    let mut n = 0u64;
    for r in records {
        n += 1;
        let fail = |reason: String| ChainBreak { seq: r.seq, reason };
        if r.seq != n {
            return Err(fail(format!(
                "expected record number {n} (a record was removed or inserted)"
            )));
        }
        if r.prev_hash != prev {
            return Err(fail(format!(
                "prev_hash {} does not match the previous record's hash {prev}",
                r.prev_hash
            )));
        }
        let want = chain_hash(&prev, r.seq, &r.entry).map_err(|e| fail(e.to_string()))?;
        if r.hash != want {
            return Err(fail(format!(
                "hash {} does not match its contents (recomputed {want}): the record was altered",
                r.hash
            )));
        }
        prev = r.hash.clone();
    }
    Ok(n)
}

/// Where keys and the audit log live. Implementations must be safe to share between
/// threads behind a mutex; every method is one transaction.
pub trait CaseStore: Send + fmt::Debug {
    /// Stores a new key's digest under a unique name.
    fn create_key(
        &mut self,
        name: &str,
        role: Role,
        digest: &[u8; 32],
        created: &str,
    ) -> Result<()>;
    /// The key with this digest, if any.
    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<ApiKey>>;
    /// Keys, by name.
    fn list_keys(&mut self) -> Result<Vec<ApiKey>>;
    /// Appends one record to the audit chain (numbered and hashed after the last one).
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord>;
    /// Up to `limit` records with `seq > after`, in order.
    fn audit_page(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRecord>>;
    /// Checks the whole chain (see [`verify_chain`]): `Ok(Ok(n))` for an intact chain of
    /// `n` records, `Ok(Err(break))` for the first bad record.
    fn verify_audit(&mut self) -> Result<std::result::Result<u64, ChainBreak>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self.audit_page(after, 10_000)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            all.extend(page);
        }
        Ok(verify_chain(&all))
    }

    /// Files alert emissions into cases, in order, in one transaction: an `alert_id` seen
    /// before goes to its case again (its score, money and time replaced); otherwise the
    /// case holding an alert with the same `group_key` takes it; otherwise a new `open` case
    /// is made with the link's kind and title. The title follows the latest emission of the
    /// case's first alert (a ring's title counts its accounts as it grows). A case's score is the highest of its alerts',
    /// its money the sum. Returns the case id of each link.
    fn attach_alerts(&mut self, links: &[AlertLink], now: &str) -> Result<Vec<String>>;
    /// Cases passing `filter`, in queue order ([`case::queue_order`]).
    fn list_cases(&mut self, filter: &CaseFilter) -> Result<Vec<Case>>;
    /// A case with its notes, actions and history (oldest first).
    fn get_case(&mut self, case_id: &str) -> Result<Option<CaseDetail>>;
    /// Moves a case to `to` if [`CaseStatus::can_move_to`] allows it, else
    /// [`CaseError::InvalidTransition`]; the change is recorded in the case's history as
    /// made by `who`.
    fn set_status(&mut self, case_id: &str, to: CaseStatus, who: &str, now: &str) -> Result<Case>;
    /// Sets (or with `None` clears) the assignee, recorded in the history as by `who`.
    fn assign(
        &mut self,
        case_id: &str,
        assignee: Option<&str>,
        who: &str,
        now: &str,
    ) -> Result<Case>;
    /// Adds a note.
    fn add_note(&mut self, case_id: &str, note: &Note) -> Result<()>;
    /// Records an action (numbered after every action recorded before, on any case).
    fn add_action(&mut self, case_id: &str, action: &NewAction) -> Result<CaseAction>;
    /// Up to `limit` actions with `action_id > after`, in order (to re-emit outbound events
    /// a crash left unwritten).
    fn actions_after(&mut self, after: u64, limit: usize) -> Result<Vec<CaseAction>>;
}

/// The checks every store runs before writing a case.
fn check_assignee(a: &str) -> Result<()> {
    check_key_name(a).map_err(|_| CaseError::BadText {
        field: "assignee (a key name: printable, no spaces)",
        max: 64,
    })
}

/// A key name for `keys create` without `--name`: the role and 8 random hex digits.
pub fn default_key_name(role: Role) -> Result<String> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| CaseError::Random(e.to_string()))?;
    Ok(format!("{}-{}", role.as_str(), hex(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_store_conforms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.sqlite");
        conformance::run_all(&mut || Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    }

    #[test]
    fn a_database_of_schema_version_1_opens_and_keeps_its_keys_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.sqlite");
        {
            // The schema as the previous release created it, with a key and a record.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(sqlite::SCHEMA_V1).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO api_keys (name, role, key_sha256, created) VALUES ('old', 'admin', ?1, 't')",
                rusqlite::params![&key_digest("cbk_old")[..]],
            )
            .unwrap();
        }
        let e = AuditEntry {
            ts: "2026-11-23T10:00:00Z".into(),
            key_name: "old".into(),
            role: Role::Admin,
            justification: "case-1".into(),
            resource: "customer_profile".into(),
            entity_ids: vec!["a".into()],
        };
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let h = chain_hash(GENESIS_HASH, 1, &e).unwrap();
            conn.execute(
                "INSERT INTO audit VALUES (1, ?1, 'old', 'admin', 'case-1', 'customer_profile', '[\"a\"]', ?2, ?3)",
                rusqlite::params![e.ts, GENESIS_HASH, h],
            )
            .unwrap();
        }
        let mut s = SqliteStore::open(&path).unwrap();
        assert_eq!(
            s.key_by_digest(&key_digest("cbk_old"))
                .unwrap()
                .unwrap()
                .name,
            "old"
        );
        assert_eq!(s.verify_audit().unwrap(), Ok(1));
        assert!(s.list_cases(&CaseFilter::default()).unwrap().is_empty());
        drop(s);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 3);
        drop(conn);
        // And it works as a current store from there on.
        conformance::cases(&mut || Box::new(SqliteStore::open(&path).unwrap())).unwrap();
    }

    #[test]
    fn memory_store_conforms() {
        let store = MemoryStore::default();
        conformance::run_all(&mut || Box::new(store.clone())).unwrap();
    }

    #[test]
    fn an_altered_record_breaks_the_chain_at_that_record() {
        let mut s = MemoryStore::default();
        for i in 0..3 {
            s.append_audit(&AuditEntry {
                ts: format!("2026-11-23T10:00:0{i}Z"),
                key_name: "k".into(),
                role: Role::Admin,
                justification: "case-1".into(),
                resource: "customer_profile".into(),
                entity_ids: vec!["a".into()],
            })
            .unwrap();
        }
        let mut all = s.audit_page(0, 10).unwrap();
        assert_eq!(verify_chain(&all), Ok(3));
        all[1].entry.entity_ids.push("b".into());
        assert_eq!(verify_chain(&all).unwrap_err().seq, 2);
        all.remove(1);
        assert_eq!(verify_chain(&all).unwrap_err().seq, 3);
    }

    #[test]
    fn keys_are_random_and_hash_to_their_digest() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 4 + 64);
        assert_eq!(key_digest(&a.secret), a.digest);
    }

    #[test]
    fn key_names_are_checked() {
        assert!(check_key_name("alice").is_ok());
        assert!(check_key_name("emp-042").is_ok());
        assert!(check_key_name("").is_err());
        assert!(check_key_name("has space").is_err());
        assert!(check_key_name(&"x".repeat(65)).is_err());
    }
}
