//! Checks every [`CaseStore`] implementation must pass. An implementation's tests call
//! [`run_all`] with a function that opens its store on one empty backing database (each
//! call opens it again, so persistence is checked too):
//!
//! ```ignore
//! conformance::run_all(&mut || Box::new(SqliteStore::open(&path)?)).unwrap();
//! ```
//!
//! The checks return a message instead of panicking so that they can live outside
//! `#[cfg(test)]` and be reused by other crates.

use crate::{AuditEntry, CaseError, CaseStore, GENESIS_HASH, Role, chain_hash, key_digest};

type Open<'a> = &'a mut dyn FnMut() -> Box<dyn CaseStore>;

fn check(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

fn store_err(what: &str) -> impl Fn(CaseError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Runs every check on a store that starts empty.
pub fn run_all(open: Open<'_>) -> Result<(), String> {
    keys(open)?;
    audit_chain(open)?;
    Ok(())
}

/// Keys: stored by digest, found by digest only, names unique, kept across reopen.
pub fn keys(open: Open<'_>) -> Result<(), String> {
    let mut s = open();
    let d1 = key_digest("cbk_one");
    let d2 = key_digest("cbk_two");
    s.create_key("alice", Role::Investigator, &d1, "2026-11-23T00:00:00Z")
        .map_err(store_err("create alice"))?;
    s.create_key("bob", Role::Viewer, &d2, "2026-11-23T00:00:01Z")
        .map_err(store_err("create bob"))?;
    let dup = s.create_key("alice", Role::Admin, &key_digest("cbk_three"), "x");
    check(
        matches!(dup, Err(CaseError::DuplicateKeyName(_))),
        "a second key named alice must be refused with DuplicateKeyName",
    )?;
    drop(s);
    let mut s = open();
    let a = s.key_by_digest(&d1).map_err(store_err("find alice"))?;
    check(
        a.as_ref().map(|k| (k.name.as_str(), k.role)) == Some(("alice", Role::Investigator)),
        "alice's key must be found by its digest after reopening",
    )?;
    let none = s
        .key_by_digest(&key_digest("cbk_unknown"))
        .map_err(store_err("find unknown"))?;
    check(none.is_none(), "an unknown digest must find no key")?;
    let names: Vec<String> = s
        .list_keys()
        .map_err(store_err("list keys"))?
        .into_iter()
        .map(|k| k.name)
        .collect();
    check(
        names == ["alice", "bob"],
        "list_keys must return keys by name",
    )?;
    Ok(())
}

fn entry(i: u32) -> AuditEntry {
    AuditEntry {
        ts: format!("2026-11-23T10:00:{:02}Z", i % 60),
        key_name: "alice".into(),
        role: Role::Investigator,
        justification: format!("case-{i}"),
        resource: "customer_profile".into(),
        entity_ids: vec![format!("acct-{i}"), "acct-0".into()],
    }
}

/// Audit: numbered from 1, chained from the genesis hash, paged, kept across reopen, and
/// verified.
pub fn audit_chain(open: Open<'_>) -> Result<(), String> {
    let mut s = open();
    let first = s.append_audit(&entry(1)).map_err(store_err("append 1"))?;
    check(first.seq == 1, "the first audit record is number 1")?;
    check(
        first.prev_hash == GENESIS_HASH,
        "the first record chains from the genesis hash",
    )?;
    let want = chain_hash(GENESIS_HASH, 1, &entry(1)).map_err(store_err("hash"))?;
    check(
        first.hash == want,
        "the record's hash is chain_hash(prev, seq, entry)",
    )?;
    drop(s);
    let mut s = open();
    for i in 2..=25 {
        s.append_audit(&entry(i)).map_err(store_err("append"))?;
    }
    let page = s.audit_page(10, 5).map_err(store_err("page"))?;
    check(
        page.iter().map(|r| r.seq).collect::<Vec<_>>() == [11, 12, 13, 14, 15],
        "audit_page(10, 5) returns records 11..=15",
    )?;
    check(
        page.first().map(|r| &r.entry) == Some(&entry(11)),
        "a record reads back as written",
    )?;
    let all = s.audit_page(0, 1000).map_err(store_err("page all"))?;
    for w in all.windows(2) {
        check(
            w[1].prev_hash == w[0].hash,
            "each record chains to the previous",
        )?;
    }
    let verified = s.verify_audit().map_err(store_err("verify"))?;
    check(verified == Ok(25), "an intact chain of 25 records verifies")?;
    Ok(())
}
